"""RingDesk on Windows: phone links, starting at sign-in, through the current user's registry.

Written with care but never run where RingDesk is tested (Linux): only the command-line quoting
here is tested. Everything is per user (HKEY_CURRENT_USER), so no administrator rights are needed.

- Phone links: a ProgID `RingDesk.PhoneLink` whose open command runs RingDesk with the link,
  declared as RingDesk's choice for tel:, callto: and sip: in its Capabilities, which are listed
  under RegisteredApplications. Windows 10 and 11 do not let an app make itself the default (the
  choice is stored with a hash only the Settings app writes), so `make_default_for_links`
  registers and then opens Settings at RingDesk's page, where the person picks it.
- Autostart: the value "RingDesk" in HKCU\\...\\CurrentVersion\\Run. Task Manager's "Disable"
  keeps the value and marks it in Explorer\\StartupApproved\\Run; both are read.
- The dial shortcut: None. Windows binds global keys only to a Start menu shortcut's hotkey,
  which belongs to the installer; that is not part of this module.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from typing import Final

from ringdesk.desktop.integration import (
    DEFAULT_DIAL_KEYS,
    LINK_SCHEMES,
    MINIMIZED_ARGUMENT,
    IntegrationError,
    LinkHandlers,
)

__all__ = ["PROG_ID", "REGISTERED_APP_NAME", "windows_command_line"]


PROG_ID: Final = "RingDesk.PhoneLink"
#: The name under RegisteredApplications, which the Settings page address names too.
REGISTERED_APP_NAME: Final = "RingDesk"
SETTINGS_PAGE: Final = f"ms-settings:defaultapps?registeredAppUser={REGISTERED_APP_NAME}"
CLASSES: Final = r"Software\Classes"
CAPABILITIES: Final = r"Software\RingDesk\Capabilities"
REGISTERED_APPLICATIONS: Final = r"Software\RegisteredApplications"
RUN: Final = r"Software\Microsoft\Windows\CurrentVersion\Run"
STARTUP_APPROVED_RUN: Final = r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
USER_CHOICE: Final = r"Software\Microsoft\Windows\Shell\Associations\UrlAssociations\{scheme}\UserChoice"
#: SHChangeNotify's "file associations changed": Explorer rereads the handlers.
_SHCNE_ASSOCCHANGED: Final = 0x08000000


def windows_command_line(arguments: Sequence[str]) -> str:
    """A command line that Windows programs split back into exactly `arguments`.

    Each argument is put in double quotes, as the registry's commands usually are (`"C:\\...\\
    RingDesk.exe" "%1"`), following the rules of CommandLineToArgvW and the C runtime: a quote
    inside takes a backslash, and backslashes before a quote (or before the closing quote) are
    doubled.
    """
    return " ".join(_quote(argument) for argument in arguments)


def _quote(argument: str) -> str:
    quoted: list[str] = ['"']
    backslashes = 0
    for character in argument:
        if character == "\\":
            backslashes += 1
            continue
        if character == '"':
            quoted.append("\\" * (2 * backslashes + 1) + '"')
        else:
            quoted.append("\\" * backslashes + character)
        backslashes = 0
    quoted.append("\\" * (2 * backslashes) + '"')
    return "".join(quoted)


if sys.platform == "win32":
    import ctypes
    import os
    import winreg

    class WindowsIntegration:
        """`DesktopIntegration` for Windows, through the current user's registry; every method blocks."""

        def __init__(self, command: Sequence[str]) -> None:
            self._command = tuple(command)

        def link_handlers(self) -> LinkHandlers:
            """Reads the person's choice for tel: and callto: (UserChoice), which Windows follows.

            Without a choice Windows uses the scheme's own registration: RingDesk's when
            `make_default_for_links` found the scheme unowned.
            """
            handlers = {scheme: self._handler(scheme) for scheme in ("tel", "callto")}
            ours = all(handler == PROG_ID for handler in handlers.values())
            tel = handlers["tel"]
            if tel is None:
                return LinkHandlers(ours=ours, current="No app")
            return LinkHandlers(ours=ours, current="RingDesk" if tel == PROG_ID else _app_name(tel))

        def make_default_for_links(self) -> None:
            """Registers RingDesk for phone links, then opens Settings where the person picks it.

            Windows 10 and 11 let only the person make an app the default; a scheme no app has
            claimed yet is given to RingDesk directly.
            """
            try:
                self._register()
            except OSError as error:
                raise IntegrationError(
                    "Windows did not let RingDesk register for phone links.", detail=str(error)
                ) from error
            try:
                ctypes.windll.shell32.SHChangeNotify(_SHCNE_ASSOCCHANGED, 0, None, None)
                os.startfile(SETTINGS_PAGE)
            except OSError as error:
                raise IntegrationError(
                    "RingDesk is registered for phone links; choose it in Settings, Apps, Default apps.",
                    detail=str(error),
                ) from error

        def _register(self) -> None:
            open_command = windows_command_line([*self._command, "%1"])
            icon = f"{windows_command_line(self._command[:1])},0"
            with winreg.CreateKey(winreg.HKEY_CURRENT_USER, rf"{CLASSES}\{PROG_ID}") as prog_id:
                winreg.SetValueEx(prog_id, None, 0, winreg.REG_SZ, "Phone link")
                winreg.SetValueEx(prog_id, "URL Protocol", 0, winreg.REG_SZ, "")
                winreg.SetValue(prog_id, "DefaultIcon", winreg.REG_SZ, icon)
                winreg.SetValue(prog_id, r"shell\open\command", winreg.REG_SZ, open_command)
            for scheme in LINK_SCHEMES:
                if _key_exists(winreg.HKEY_CLASSES_ROOT, scheme) and not _registered_by_ringdesk(scheme):
                    continue  # Another app's registration: the person chooses in Settings.
                with winreg.CreateKey(winreg.HKEY_CURRENT_USER, rf"{CLASSES}\{scheme}") as key:
                    winreg.SetValueEx(key, None, 0, winreg.REG_SZ, f"URL:{scheme}")
                    winreg.SetValueEx(key, "URL Protocol", 0, winreg.REG_SZ, "")
                    winreg.SetValue(key, "DefaultIcon", winreg.REG_SZ, icon)
                    winreg.SetValue(key, r"shell\open\command", winreg.REG_SZ, open_command)
            with winreg.CreateKey(winreg.HKEY_CURRENT_USER, CAPABILITIES) as capabilities:
                winreg.SetValueEx(capabilities, "ApplicationName", 0, winreg.REG_SZ, "RingDesk")
                winreg.SetValueEx(
                    capabilities,
                    "ApplicationDescription",
                    0,
                    winreg.REG_SZ,
                    "Click a phone number: your phone rings, then RingDesk connects the call.",
                )
            with winreg.CreateKey(winreg.HKEY_CURRENT_USER, rf"{CAPABILITIES}\URLAssociations") as urls:
                for scheme in LINK_SCHEMES:
                    winreg.SetValueEx(urls, scheme, 0, winreg.REG_SZ, PROG_ID)
            with winreg.CreateKey(winreg.HKEY_CURRENT_USER, REGISTERED_APPLICATIONS) as registered:
                winreg.SetValueEx(registered, REGISTERED_APP_NAME, 0, winreg.REG_SZ, CAPABILITIES)

        def _handler(self, scheme: str) -> str | None:
            """The ProgID that opens `scheme` links: the person's choice, else RingDesk's own
            registration of the scheme, else None (another app's is named by `_app_name(scheme)`)."""
            choice = _read_value(winreg.HKEY_CURRENT_USER, USER_CHOICE.format(scheme=scheme), "ProgId")
            if choice:
                return choice
            command = _read_value(winreg.HKEY_CLASSES_ROOT, rf"{scheme}\shell\open\command", "")
            if command is None:
                return None
            return PROG_ID if command == windows_command_line([*self._command, "%1"]) else scheme

        def autostart_enabled(self) -> bool:
            """The Run value is there and Task Manager has not disabled it."""
            if _read_value(winreg.HKEY_CURRENT_USER, RUN, REGISTERED_APP_NAME) is None:
                return False
            approval = _read_raw(winreg.HKEY_CURRENT_USER, STARTUP_APPROVED_RUN, REGISTERED_APP_NAME)
            # Task Manager writes 02 (enabled) or 03 (disabled) in the first byte.
            return not (isinstance(approval, bytes) and approval[:1] == b"\x03")

        def set_autostart(self, enabled: bool) -> None:
            """Writes or deletes the Run value; turning it on also clears Task Manager's "Disabled"."""
            try:
                with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN) as run:
                    if enabled:
                        value = windows_command_line([*self._command, MINIMIZED_ARGUMENT])
                        winreg.SetValueEx(run, REGISTERED_APP_NAME, 0, winreg.REG_SZ, value)
                    else:
                        _delete_value(run, REGISTERED_APP_NAME)
                if enabled and _key_exists(winreg.HKEY_CURRENT_USER, STARTUP_APPROVED_RUN):
                    with winreg.OpenKey(
                        winreg.HKEY_CURRENT_USER, STARTUP_APPROVED_RUN, 0, winreg.KEY_SET_VALUE
                    ) as approved:
                        _delete_value(approved, REGISTERED_APP_NAME)
            except OSError as error:
                raise IntegrationError(
                    "Windows did not let RingDesk change whether it starts when you sign in.",
                    detail=str(error),
                ) from error

        def shortcut_desktop(self) -> str | None:
            """None: see the module's docstring."""
            return None

        def dial_shortcut(self) -> str | None:
            return None

        def add_dial_shortcut(self, keys: str = DEFAULT_DIAL_KEYS) -> None:
            raise IntegrationError("On Windows, RingDesk cannot add a keyboard shortcut.")

    def _registered_by_ringdesk(scheme: str) -> bool:
        """Whether the per-user key of `scheme` is one RingDesk wrote (it names RingDesk's icon), so
        that a RingDesk moved to another folder rewrites its own keys."""
        icon = _read_raw(winreg.HKEY_CURRENT_USER, rf"{CLASSES}\{scheme}\DefaultIcon", "")
        return isinstance(icon, str) and "ringdesk" in icon.lower()

    def _key_exists(root: winreg.HKEYType | int, path: str) -> bool:
        try:
            winreg.CloseKey(winreg.OpenKey(root, path))
        except OSError:
            return False
        return True

    def _read_raw(root: winreg.HKEYType | int, path: str, name: str) -> object:
        """A value of a key (`name` "" is the key's default value), or None when either is missing."""
        try:
            with winreg.OpenKey(root, path) as key:
                value, _kind = winreg.QueryValueEx(key, name)
        except OSError:
            return None
        return value

    def _read_value(root: winreg.HKEYType | int, path: str, name: str) -> str | None:
        value = _read_raw(root, path, name)
        return value if isinstance(value, str) else None

    def _delete_value(key: winreg.HKEYType, name: str) -> None:
        # Already gone is what was asked.
        with contextlib.suppress(FileNotFoundError):
            winreg.DeleteValue(key, name)

    def _app_name(prog_id: str) -> str:
        """The name Windows shows for a ProgID: its Application key's name, else its description."""
        name = _read_value(winreg.HKEY_CLASSES_ROOT, rf"{prog_id}\Application", "ApplicationName")
        name = name or _read_value(winreg.HKEY_CLASSES_ROOT, prog_id, "")
        if not name or name.startswith(("@", "URL:")):
            # An "@dll,-id" reference would need SHLoadIndirectString; "URL:tel" names no app.
            return "Unknown"
        return name
