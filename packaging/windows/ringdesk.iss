; RingDesk for Windows: an Inno Setup 6 script (6.3 or later: it uses the x64compatible architecture).
;
; WRITTEN WITHOUT A WINDOWS MACHINE AND NEVER COMPILED OR RUN. Every directive, flag and support
; function was checked against Inno Setup 6's documentation, but nothing here has been tried; see
; packaging/windows/README.md for what to check on the first real build.
;
; Build (from the repository root, after `pyinstaller packaging/pyinstaller.spec`):
;   iscc /DAppVersion=0.1.0 packaging\windows\ringdesk.iss
; Optional: /DDistDir=<folder holding ringdesk.exe> (default: dist\ringdesk beside packaging\),
;           /DOutputDir=<folder for the setup program> (default: dist\),
;           /DFileVersion=1.2.3.4 (the setup program's numeric version; default: AppVersion, which
;           must then be numeric, e.g. 0.1.0).
;
; What it does:
; - Installs the PyInstaller onedir bundle per user by default (no administrator needed); an
;   administrator can install for all users (/ALLUSERS, or the dialog Setup shows).
; - Start menu entry, optional desktop icon, an uninstaller (Settings > Apps).
; - Registers tel:, callto: and sip: exactly as ringdesk/desktop/windows.py does, so RingDesk is
;   listed in Settings > Apps > Default apps; under HKCU for a per-user install, HKLM for all users.
; - Optional task: start RingDesk when the person signs in (the Run value windows.py reads).
; - Administrator defaults for a silent all-users install (/SERVER=..., /LOCK=..., see README.md),
;   written to HKLM\Software\Policies\RingDesk as ringdesk/admin_defaults.py reads them.
; - Asks a running RingDesk to quit (`ringdesk.exe quit`) before upgrading or uninstalling, and
;   lets the Restart Manager close what is still running (CloseApplications).
;
; The names below must stay equal to ringdesk/desktop/windows.py (PROG_ID, CAPABILITIES,
; REGISTERED_APP_NAME, RUN, the description text) and ringdesk/admin_defaults.py
; (WINDOWS_POLICY_KEY, WINDOWS_LOCKED_VALUE).

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=0.1.0 packaging\windows\ringdesk.iss
#endif
#ifndef FileVersion
  #define FileVersion AppVersion
#endif
#ifndef DistDir
  #define DistDir AddBackslash(SourcePath) + "..\..\dist\ringdesk"
#endif
#ifndef OutputDir
  #define OutputDir AddBackslash(SourcePath) + "..\..\dist"
#endif
#if !FileExists(AddBackslash(DistDir) + "ringdesk.exe")
  #error No ringdesk.exe in DistDir: run `pyinstaller packaging/pyinstaller.spec` first (or pass /DDistDir=...)
#endif

#define AppName "RingDesk"
#define AppExe "ringdesk.exe"
; ringdesk/desktop/windows.py: PROG_ID, CAPABILITIES, REGISTERED_APP_NAME.
#define ProgId "RingDesk.PhoneLink"
#define CapabilitiesKey "Software\RingDesk\Capabilities"
#define RegisteredName "RingDesk"
#define RunKey "Software\Microsoft\Windows\CurrentVersion\Run"
; ringdesk/admin_defaults.py: WINDOWS_POLICY_KEY (read from HKLM, 64-bit view).
#define PolicyKey "Software\Policies\RingDesk"

[Setup]
; Generated once for RingDesk; never change it (upgrades and the uninstaller find RingDesk by it).
AppId={{F5D1138A-8DF6-43F0-A3F5-4E2F99AA3A68}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
VersionInfoVersion={#FileVersion}
VersionInfoProductName={#AppName}
VersionInfoDescription={#AppName} Setup
; Per user by default: %LOCALAPPDATA%\Programs\RingDesk; all users: C:\Program Files\RingDesk.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
; The bundle is 64-bit Python: install in 64-bit mode, so {autopf} is the 64-bit Program Files and
; HKLM is the 64-bit view (the view admin_defaults.py reads the policy key from).
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Default apps by URL scheme, and PySide6 itself, need Windows 10.
MinVersion=10.0
; Setup tells Explorer that associations changed (SHChangeNotify), as windows.py does.
ChangesAssociations=yes
; Close a running RingDesk (after `ringdesk.exe quit` in PrepareToInstall) with the Restart Manager;
; .pyd files are DLLs too. RingDesk does not register for restart, so do not try.
CloseApplications=yes
CloseApplicationsFilter=*.exe,*.dll,*.pyd
RestartApplications=no
UninstallDisplayName={#AppName}
UninstallDisplayIcon={app}\{#AppExe}
OutputDir={#OutputDir}
OutputBaseFilename=RingDesk-{#AppVersion}-setup
#if FileExists(AddBackslash(SourcePath) + "..\ringdesk.ico")
SetupIconFile={#AddBackslash(SourcePath) + "..\ringdesk.ico"}
#endif
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
SetupLogging=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
AutoStartRingDesk=Start RingDesk when I log in
PoliciesNeedAllUsers=The administrator defaults (%1) can only be set by an all-users installation: they are written to HKEY_LOCAL_MACHINE\{#PolicyKey}, which applies to everyone on this computer.%n%nRun Setup as an administrator with /ALLUSERS, for example:%nRingDesk-setup.exe /VERYSILENT /ALLUSERS /SERVER=ringcentral /CLIENTID=...
BadPolicyParameter=The administrator defaults cannot be used: %1%n%nSetup did not install anything.

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "autostart"; Description: "{cm:AutoStartRingDesk}"; GroupDescription: "{cm:AutoStartProgramGroupDescription}"; Flags: unchecked

[InstallDelete]
; PyInstaller 6 keeps everything but the executable in _internal\: remove the previous version's
; copy so that no file the new version no longer has is left behind.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Registry]
; ---- Phone links, as ringdesk/desktop/windows.py `_register` writes them (HKA: HKCU per user,
; HKLM for all users). The values are the same strings: windows_command_line() quotes every
; argument, so the command is "<exe>" "%1" and the icon "<exe>",0.
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "Phone link"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""

; The schemes themselves, only where no other app registered them (or RingDesk did: its DefaultIcon
; names ringdesk), as windows.py does; Windows uses them while the person has made no choice.
Root: HKA; Subkey: "Software\Classes\tel"; ValueType: string; ValueName: ""; ValueData: "URL:tel"; Flags: uninsdeletekey; Check: SchemeIsOurs('tel')
Root: HKA; Subkey: "Software\Classes\tel"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""; Check: SchemeIsOurs('tel')
Root: HKA; Subkey: "Software\Classes\tel\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"; Check: SchemeIsOurs('tel')
Root: HKA; Subkey: "Software\Classes\tel\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Check: SchemeIsOurs('tel')
Root: HKA; Subkey: "Software\Classes\callto"; ValueType: string; ValueName: ""; ValueData: "URL:callto"; Flags: uninsdeletekey; Check: SchemeIsOurs('callto')
Root: HKA; Subkey: "Software\Classes\callto"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""; Check: SchemeIsOurs('callto')
Root: HKA; Subkey: "Software\Classes\callto\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"; Check: SchemeIsOurs('callto')
Root: HKA; Subkey: "Software\Classes\callto\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Check: SchemeIsOurs('callto')
Root: HKA; Subkey: "Software\Classes\sip"; ValueType: string; ValueName: ""; ValueData: "URL:sip"; Flags: uninsdeletekey; Check: SchemeIsOurs('sip')
Root: HKA; Subkey: "Software\Classes\sip"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""; Check: SchemeIsOurs('sip')
Root: HKA; Subkey: "Software\Classes\sip\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"; Check: SchemeIsOurs('sip')
Root: HKA; Subkey: "Software\Classes\sip\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Check: SchemeIsOurs('sip')

; Capabilities, listed under RegisteredApplications: this is what puts RingDesk in Default apps.
Root: HKA; Subkey: "Software\RingDesk"; Flags: uninsdeletekeyifempty
Root: HKA; Subkey: "{#CapabilitiesKey}"; ValueType: string; ValueName: "ApplicationName"; ValueData: "RingDesk"; Flags: uninsdeletekey
Root: HKA; Subkey: "{#CapabilitiesKey}"; ValueType: string; ValueName: "ApplicationDescription"; ValueData: "Click a phone number: your phone rings, then RingDesk connects the call."
Root: HKA; Subkey: "{#CapabilitiesKey}\URLAssociations"; ValueType: string; ValueName: "tel"; ValueData: "{#ProgId}"
Root: HKA; Subkey: "{#CapabilitiesKey}\URLAssociations"; ValueType: string; ValueName: "callto"; ValueData: "{#ProgId}"
Root: HKA; Subkey: "{#CapabilitiesKey}\URLAssociations"; ValueType: string; ValueName: "sip"; ValueData: "{#ProgId}"
Root: HKA; Subkey: "Software\RegisteredApplications"; ValueType: string; ValueName: "{#RegisteredName}"; ValueData: "{#CapabilitiesKey}"; Flags: uninsdeletevalue

; ---- Start at sign-in: the value windows.py `set_autostart` writes and `autostart_enabled` reads
; (windows_command_line quotes "--minimized" too). All-users installs write it under HKLM: see README.
Root: HKA; Subkey: "{#RunKey}"; ValueType: string; ValueName: "{#RegisteredName}"; ValueData: """{app}\{#AppExe}"" ""--minimized"""; Flags: uninsdeletevalue; Tasks: autostart

; ---- Administrator defaults (all-users installs only; see [Code] InitializeSetup). One value per
; setting named "section.field" (REG_SZ for text and choices, REG_DWORD 0/1 for switches) and a
; REG_MULTI_SZ "Locked", as ringdesk/admin_defaults.py reads them. Nothing is written for a
; parameter that was not given; the uninstaller removes what this Setup wrote.
Root: HKLM; Subkey: "{#PolicyKey}"; Flags: uninsdeletekeyifempty; Check: PoliciesGiven
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: string; ValueName: "connection.server"; ValueData: "{code:LowerParam|SERVER}"; Flags: uninsdeletevalue; Check: PolicyParam('SERVER')
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: string; ValueName: "connection.custom_server_url"; ValueData: "{param:SERVERURL}"; Flags: uninsdeletevalue; Check: PolicyParam('SERVERURL')
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: string; ValueName: "connection.client_id"; ValueData: "{param:CLIENTID}"; Flags: uninsdeletevalue; Check: PolicyParam('CLIENTID')
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: string; ValueName: "connection.redirect_uri"; ValueData: "{param:REDIRECTURI}"; Flags: uninsdeletevalue; Check: PolicyParam('REDIRECTURI')
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: string; ValueName: "connection.login_method"; ValueData: "{code:LowerParam|LOGINMETHOD}"; Flags: uninsdeletevalue; Check: PolicyParam('LOGINMETHOD')
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: string; ValueName: "dialer.default_country"; ValueData: "{code:UpperParam|COUNTRY}"; Flags: uninsdeletevalue; Check: PolicyParam('COUNTRY')
; Switches: /ENABLE=name,... and /DISABLE=name,... (the names of config.py's true/false settings).
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: dword; ValueName: "connection.use_client_secret"; ValueData: "{code:SwitchData|connection.use_client_secret}"; Flags: uninsdeletevalue; Check: SwitchGiven('connection.use_client_secret')
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: dword; ValueName: "connection.allow_password_grant"; ValueData: "{code:SwitchData|connection.allow_password_grant}"; Flags: uninsdeletevalue; Check: SwitchGiven('connection.allow_password_grant')
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: dword; ValueName: "general.ask_to_sign_in_at_start"; ValueData: "{code:SwitchData|general.ask_to_sign_in_at_start}"; Flags: uninsdeletevalue; Check: SwitchGiven('general.ask_to_sign_in_at_start')
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: dword; ValueName: "general.close_to_tray"; ValueData: "{code:SwitchData|general.close_to_tray}"; Flags: uninsdeletevalue; Check: SwitchGiven('general.close_to_tray')
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: dword; ValueName: "general.start_minimized"; ValueData: "{code:SwitchData|general.start_minimized}"; Flags: uninsdeletevalue; Check: SwitchGiven('general.start_minimized')
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: dword; ValueName: "general.notify_connected"; ValueData: "{code:SwitchData|general.notify_connected}"; Flags: uninsdeletevalue; Check: SwitchGiven('general.notify_connected')
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: dword; ValueName: "general.notify_failed"; ValueData: "{code:SwitchData|general.notify_failed}"; Flags: uninsdeletevalue; Check: SwitchGiven('general.notify_failed')
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: dword; ValueName: "general.notify_ended"; ValueData: "{code:SwitchData|general.notify_ended}"; Flags: uninsdeletevalue; Check: SwitchGiven('general.notify_ended')
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: dword; ValueName: "general.call_links_at_once"; ValueData: "{code:SwitchData|general.call_links_at_once}"; Flags: uninsdeletevalue; Check: SwitchGiven('general.call_links_at_once')
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: dword; ValueName: "dialer.play_prompt"; ValueData: "{code:SwitchData|dialer.play_prompt}"; Flags: uninsdeletevalue; Check: SwitchGiven('dialer.play_prompt')
; "Locked": this entry records the value for the uninstaller; its AfterInstall then writes the
; real list with RegWriteMultiStringValue (strings separated by #0, as documented), because a
; list of any length cannot be spelled with {break} in a fixed ValueData.
Root: HKLM; Subkey: "{#PolicyKey}"; ValueType: multisz; ValueName: "Locked"; ValueData: ""; Flags: uninsdeletevalue; Check: PolicyParam('LOCK'); AfterInstall: WriteLocked

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
const
  PolicyKey = '{#PolicyKey}';
  RunKey = '{#RunKey}';
  StartupApprovedRunKey = 'Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run';
  RegisteredName = '{#RegisteredName}';
  { The parameters that set administrator defaults (README.md). }
  PolicyParams = 'SERVER,SERVERURL,CLIENTID,REDIRECTURI,LOGINMETHOD,COUNTRY,ENABLE,DISABLE,LOCK';
  { ringdesk/config.py: ServerKind, LoginMethod, the true/false fields, ADMIN_FIELDS. }
  ServerKinds = 'ringcentral,partner,custom,simulator';
  LoginMethods = 'embedded,system_browser,jwt,password';
  SwitchFields = 'connection.use_client_secret,connection.allow_password_grant,' +
    'general.ask_to_sign_in_at_start,general.close_to_tray,general.start_minimized,' +
    'general.notify_connected,general.notify_failed,general.notify_ended,' +
    'general.call_links_at_once,dialer.play_prompt';
  TextFields = 'connection.platform,connection.server,connection.custom_server_url,' +
    'connection.client_id,connection.redirect_uri,connection.login_method,dialer.default_country';

var
  SchemesDecided: Boolean;
  TelIsOurs, CalltoIsOurs, SipIsOurs: Boolean;

{ ---- Command-line parameters ---------------------------------------------------------------- }

function Param(const Name: String): String;
begin
  // The param constant gives '' when /NAME=... was not given (or given empty): both mean "absent".
  Result := Trim(ExpandConstant('{param:' + Name + '|}'));
end;

function PolicyParam(const Name: String): Boolean;
begin
  Result := IsAdminInstallMode and (Param(Name) <> '');
end;

function LowerParam(const Name: String): String;
begin
  Result := Lowercase(Param(Name));
end;

function UpperParam(const Name: String): String;
begin
  Result := Uppercase(Param(Name));
end;

{ Removes and returns the first comma-separated item of List, trimmed and in lower case. }
function NextItem(var List: String): String;
var
  Comma: Integer;
begin
  Comma := Pos(',', List);
  if Comma = 0 then
  begin
    Result := List;
    List := '';
  end
  else
  begin
    Result := Copy(List, 1, Comma - 1);
    List := Copy(List, Comma + 1, Length(List));
  end;
  Result := Lowercase(Trim(Result));
end;

function InList(const Item, List: String): Boolean;
var
  Rest: String;
begin
  Result := False;
  Rest := List;
  while (not Result) and (Rest <> '') do
    Result := NextItem(Rest) = Lowercase(Item);
end;

function GivenPolicyParams: String;
var
  Rest, Name: String;
begin
  Result := '';
  Rest := PolicyParams;
  while Rest <> '' do
  begin
    Name := Uppercase(NextItem(Rest));
    if Param(Name) <> '' then
    begin
      if Result <> '' then
        Result := Result + ' ';
      Result := Result + '/' + Name;
    end;
  end;
end;

function PoliciesGiven: Boolean;
begin
  Result := IsAdminInstallMode and (GivenPolicyParams <> '');
end;

function SwitchGiven(const Field: String): Boolean;
begin
  Result := IsAdminInstallMode and
    (InList(Field, Param('ENABLE')) or InList(Field, Param('DISABLE')));
end;

function SwitchData(const Field: String): String;
begin
  if InList(Field, Param('ENABLE')) then
    Result := '1'
  else
    Result := '0';
end;

{ Every name in the comma-separated List must be one of Allowed; otherwise a sentence naming it. }
function UnknownNames(const Option, List, Allowed: String): String;
var
  Rest, Name: String;
begin
  Result := '';
  Rest := List;
  while (Result = '') and (Rest <> '') do
  begin
    Name := NextItem(Rest);
    if (Name <> '') and not InList(Name, Allowed) then
      Result := '/' + Option + ' names "' + Name + '", which is not one of: ' + Allowed + '.';
  end;
end;

{ Why the given administrator defaults cannot be used, or '' when they can. The app checks the
  values again (config.py) and reports in its log; this catches typos before a silent install. }
function PolicyProblem: String;
var
  Rest, Name: String;
begin
  Result := '';
  if (Param('SERVER') <> '') and not InList(Param('SERVER'), ServerKinds) then
    Result := '/SERVER=' + Param('SERVER') + ' is not one of: ' + ServerKinds + '.'
  else if (Param('LOGINMETHOD') <> '') and not InList(Param('LOGINMETHOD'), LoginMethods) then
    Result := '/LOGINMETHOD=' + Param('LOGINMETHOD') + ' is not one of: ' + LoginMethods + '.'
  else if (LowerParam('SERVER') = 'custom') and (Param('SERVERURL') = '') then
    Result := '/SERVER=custom needs /SERVERURL=https://...'
  else
  begin
    Result := UnknownNames('ENABLE', Param('ENABLE'), SwitchFields);
    if Result = '' then
      Result := UnknownNames('DISABLE', Param('DISABLE'), SwitchFields);
    if Result = '' then
      Result := UnknownNames('LOCK', Param('LOCK'), TextFields + ',' + SwitchFields);
    if Result = '' then
    begin
      Rest := Param('ENABLE');
      while (Result = '') and (Rest <> '') do
      begin
        Name := NextItem(Rest);
        if (Name <> '') and InList(Name, Param('DISABLE')) then
          Result := Name + ' is in both /ENABLE and /DISABLE.';
      end;
    end;
  end;
end;

{ AfterInstall of the "Locked" entry: the locked names, one string each (REG_MULTI_SZ). }
procedure WriteLocked;
var
  Rest, Name, Data: String;
begin
  Data := '';
  Rest := Param('LOCK');
  while Rest <> '' do
  begin
    Name := NextItem(Rest);
    if Name <> '' then
    begin
      if Data <> '' then
        Data := Data + #0;
      Data := Data + Name;
    end;
  end;
  { 64-bit install mode: HKEY_LOCAL_MACHINE is the 64-bit view, the one admin_defaults.py reads. }
  if not RegWriteMultiStringValue(HKEY_LOCAL_MACHINE, PolicyKey, 'Locked', Data) then
    Log('Could not write HKLM\' + PolicyKey + '\Locked');
end;

{ ---- Phone link schemes ---------------------------------------------------------------------- }

{ As windows.py `_register`: a scheme is RingDesk's to register when no app has registered it, or
  when the registration there is RingDesk's own (its DefaultIcon names ringdesk). }
function SchemeFree(const Scheme: String): Boolean;
var
  Icon: String;
begin
  if not RegKeyExists(HKEY_CLASSES_ROOT, Scheme) then
    Result := True
  else
    Result := RegQueryStringValue(HKEY_AUTO, 'Software\Classes\' + Scheme + '\DefaultIcon', '', Icon)
      and (Pos('ringdesk', Lowercase(Icon)) > 0);
end;

function YesNo(const Value: Boolean): String;
begin
  if Value then
    Result := 'yes'
  else
    Result := 'no';
end;

{ Decided once, before the first registry entry: the first entry creates the key, which would
  make the later checks of the same scheme see "registered" and skip the rest. }
procedure DecideSchemes;
begin
  if not SchemesDecided then
  begin
    TelIsOurs := SchemeFree('tel');
    CalltoIsOurs := SchemeFree('callto');
    SipIsOurs := SchemeFree('sip');
    SchemesDecided := True;
    Log('Phone link schemes RingDesk registers: tel=' + YesNo(TelIsOurs) + ' callto=' +
      YesNo(CalltoIsOurs) + ' sip=' + YesNo(SipIsOurs));
  end;
end;

function SchemeIsOurs(const Scheme: String): Boolean;
begin
  DecideSchemes;
  if Scheme = 'tel' then
    Result := TelIsOurs
  else if Scheme = 'callto' then
    Result := CalltoIsOurs
  else
    Result := SipIsOurs;
end;

{ ---- Setup events ----------------------------------------------------------------------------- }

function InitializeSetup: Boolean;
var
  Given, Problem: String;
begin
  Result := True;
  Given := GivenPolicyParams;
  if Given = '' then
    exit;
  { Policies apply to everyone on the machine: they belong to an administrator's install. }
  if not IsAdminInstallMode then
  begin
    Log('Refused: administrator defaults in a per-user install: ' + Given);
    SuppressibleMsgBox(FmtMessage(CustomMessage('PoliciesNeedAllUsers'), [Given]),
      mbCriticalError, MB_OK, IDOK);
    Result := False;
    exit;
  end;
  Problem := PolicyProblem;
  if Problem <> '' then
  begin
    Log('Refused: ' + Problem);
    SuppressibleMsgBox(FmtMessage(CustomMessage('BadPolicyParameter'), [Problem]),
      mbCriticalError, MB_OK, IDOK);
    Result := False;
    exit;
  end;
  Log('Administrator defaults to write under HKLM\' + PolicyKey + ': ' + Given);
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if CurStep = ssInstall then
    DecideSchemes;
end;

{ Ask a running RingDesk to quit (its own way out, like the tray's Quit), before the Restart
  Manager closes whatever still holds files. In an all-users install Setup runs elevated: the
  original user's RingDesk is the one to reach. }
function PrepareToInstall(var NeedsRestart: Boolean): String;
var
  Exe: String;
  ResultCode: Integer;
begin
  Result := '';
  Exe := AddBackslash(WizardDirValue) + '{#AppExe}';
  if FileExists(Exe) then
  begin
    if ExecAsOriginalUser(Exe, 'quit', '', SW_HIDE, ewWaitUntilTerminated, ResultCode) then
    begin
      Log(Format('"%s" quit exited with %d', [Exe, ResultCode]));
      if ResultCode = 0 then
        Sleep(2000);  { it was running and is quitting: give it time to exit }
    end
    else
      Log('Could not run "' + Exe + '" quit: ' + SysErrorMessage(ResultCode));
  end;
end;

{ ---- Uninstall events ------------------------------------------------------------------------- }

{ What RingDesk wrote itself in the current user's registry (windows.py: "Make default", "Start
  when I sign in") that the uninstall log does not know of, when it points at this installation. }
procedure RemoveOwnUserRegistrations;
var
  Exe, Value: String;
begin
  Exe := Lowercase(ExpandConstant('{app}\{#AppExe}'));
  if RegQueryStringValue(HKEY_CURRENT_USER, RunKey, RegisteredName, Value)
    and (Pos(Exe, Lowercase(Value)) > 0) then
  begin
    RegDeleteValue(HKEY_CURRENT_USER, RunKey, RegisteredName);
    RegDeleteValue(HKEY_CURRENT_USER, StartupApprovedRunKey, RegisteredName);
  end;
  if RegQueryStringValue(HKEY_CURRENT_USER, 'Software\Classes\tel\DefaultIcon', '', Value)
    and (Pos(Exe, Lowercase(Value)) > 0) then
    RegDeleteKeyIncludingSubkeys(HKEY_CURRENT_USER, 'Software\Classes\tel');
  if RegQueryStringValue(HKEY_CURRENT_USER, 'Software\Classes\callto\DefaultIcon', '', Value)
    and (Pos(Exe, Lowercase(Value)) > 0) then
    RegDeleteKeyIncludingSubkeys(HKEY_CURRENT_USER, 'Software\Classes\callto');
  if RegQueryStringValue(HKEY_CURRENT_USER, 'Software\Classes\sip\DefaultIcon', '', Value)
    and (Pos(Exe, Lowercase(Value)) > 0) then
    RegDeleteKeyIncludingSubkeys(HKEY_CURRENT_USER, 'Software\Classes\sip');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Exe: String;
  ResultCode: Integer;
begin
  if CurUninstallStep = usUninstall then
  begin
    { Before any file is removed. The uninstaller has no ExecAsOriginalUser: in an all-users
      uninstall this reaches only the RingDesk of the account that runs the uninstaller. }
    Exe := ExpandConstant('{app}\{#AppExe}');
    if FileExists(Exe) then
      if Exec(Exe, 'quit', '', SW_HIDE, ewWaitUntilTerminated, ResultCode) and (ResultCode = 0) then
        Sleep(2000);
  end
  else if CurUninstallStep = usPostUninstall then
  begin
    { Per user only: in an all-users uninstall HKEY_CURRENT_USER is the administrator's. }
    if not IsAdminInstallMode then
      RemoveOwnUserRegistrations;
  end;
end;
