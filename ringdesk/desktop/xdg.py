"""RingDesk on freedesktop desktops (GNOME, KDE Plasma, Xfce...): desktop entries, xdg-mime, gsettings.

The files follow the freedesktop specifications: the Desktop Entry specification for
`ringdesk.desktop` (the only source of RingDesk's desktop entries is this module), the Base
Directory specification for where they go (`XDG_DATA_HOME`, `XDG_CONFIG_HOME` and their system
lists), the MIME Applications specification, through `xdg-mime`, for which app opens phone links,
and the Desktop Application Autostart specification for starting at sign-in.

Every path and every tool run comes from the `environ` given at construction, passed down to each
subprocess: the tests point it at a temporary folder and nothing touches the real profile.
"""

from __future__ import annotations

import ast
import logging
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from ringdesk.desktop.integration import (
    APP_ID,
    DEFAULT_DIAL_KEYS,
    DIAL_SELECTION_ARGUMENTS,
    LINK_SCHEMES,
    MINIMIZED_ARGUMENT,
    IntegrationError,
    KeyCombination,
    LinkHandlers,
    remove_file,
    write_file_atomically,
)
from ringdesk.resources import icon_file

__all__ = [
    "DESKTOP_FILE",
    "FreedesktopIntegration",
    "autostart_entry",
    "desktop_entry",
    "dial_shortcut_entry",
    "exec_arguments",
    "exec_value",
    "read_desktop_entry",
]

_log = logging.getLogger("ringdesk.desktop.xdg")

DESKTOP_FILE: Final = f"{APP_ID}.desktop"
#: The desktop file KDE Plasma runs for the dial shortcut (a "command shortcut", as Plasma's own
#: Shortcuts settings make them); it is hidden from menus.
KDE_DIAL_DESKTOP_FILE: Final = f"{APP_ID}-dial.desktop"
GNOME_MEDIA_KEYS: Final = "org.gnome.settings-daemon.plugins.media-keys"
GNOME_CUSTOM_KEYBINDING: Final = f"{GNOME_MEDIA_KEYS}.custom-keybinding"
GNOME_DIAL_PATH: Final = "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/ringdesk-dial/"
DIAL_SHORTCUT_NAME: Final = "RingDesk: dial the highlighted number"
#: How long one desktop tool may take; they answer in milliseconds, so this only catches a hang.
_TOOL_TIMEOUT: Final = 30.0
#: The Desktop Entry specification's field codes; RingDesk's entries use only %u.
_FIELD_CODES: Final = frozenset(
    {"%f", "%F", "%u", "%U", "%i", "%c", "%k", "%d", "%D", "%n", "%N", "%v", "%m"}
)
#: Characters that oblige an Exec argument to be quoted (Desktop Entry specification, "The Exec key").
_RESERVED: Final = frozenset(" \t\n\"'\\><~|&;$*?#()`")
_XDG_UTILS_MISSING: Final = (
    "RingDesk needs the xdg-utils package to open phone links; install it with your package "
    "manager (on Debian or Ubuntu: sudo apt install xdg-utils), then try again."
)


def exec_value(arguments: Sequence[str], *, field_code: str | None = None) -> str:
    """An Exec value, as written in the file, that runs exactly `arguments` (then `field_code`).

    Per the Desktop Entry specification: an argument with a reserved character is put in double
    quotes, inside which `"`, backquote, `$` and backslash take a backslash; a literal `%` is
    doubled because `%` starts a field code; finally the value is escaped as any string value, so
    each backslash is written twice again.
    """
    quoted = [_quote_argument(argument).replace("%", "%%") for argument in arguments]
    if field_code is not None:
        quoted.append(field_code)
    return _escape_string(" ".join(quoted))


def _quote_argument(argument: str) -> str:
    if argument and not _RESERVED & set(argument):
        return argument
    escaped = "".join(f"\\{character}" if character in '"`$\\' else character for character in argument)
    return f'"{escaped}"'


def _escape_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def _unescape_string(value: str) -> str:
    escapes = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
    result: list[str] = []
    characters = iter(value)
    for character in characters:
        if character == "\\":
            following = next(characters, "")
            result.append(escapes.get(following, "\\" + following))
        else:
            result.append(character)
    return "".join(result)


def exec_arguments(value: str) -> list[str] | None:
    """The arguments an Exec value (already unescaped as a string) runs, field codes left out;
    None when the value is not well formed (an unclosed quote)."""
    arguments: list[str] = []
    current: list[str] = []
    in_argument = in_quotes = False
    characters = iter(value)
    for character in characters:
        if in_quotes:
            if character == "\\":
                current.append(next(characters, ""))
            elif character == '"':
                in_quotes = False
            else:
                current.append(character)
        elif character == '"':
            in_quotes = in_argument = True
        elif character in " \t\n":
            if in_argument:
                arguments.append("".join(current))
                current, in_argument = [], False
        else:
            current.append(character)
            in_argument = True
    if in_quotes:
        return None
    if in_argument:
        arguments.append("".join(current))
    return [argument.replace("%%", "%") for argument in arguments if argument not in _FIELD_CODES]


def _entry_text(groups: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> str:
    return "\n".join(
        f"[{name}]\n" + "".join(f"{key}={value}\n" for key, value in keys) for name, keys in groups
    )


def desktop_entry(command: Sequence[str]) -> str:
    """`ringdesk.desktop`: RingDesk in the menus, the app for phone links, and its quick actions.

    `StartupWMClass` is the class Qt gives RingDesk's windows on X11 (the application name); on
    Wayland the windows carry the desktop file's name (`setDesktopFileName`). `TryExec` hides the
    entry once the program is gone (a removed virtual environment) instead of offering a dead app.
    """
    main_keys = [
        ("Type", "Application"),
        # The specification version the file follows; 1.4 is the newest Debian 12's validator knows.
        ("Version", "1.4"),
        ("Name", "RingDesk"),
        ("GenericName", "Dialer"),
        ("Comment", "Click a phone number: your phone rings, then RingDesk connects the call"),
        ("Icon", APP_ID),
        ("TryExec", _escape_string(command[0])),
        ("Exec", exec_value(command, field_code="%u")),
        ("Terminal", "false"),
        ("Categories", "Network;Telephony;"),
        ("MimeType", "".join(f"x-scheme-handler/{scheme};" for scheme in LINK_SCHEMES)),
        ("Keywords", "phone;call;dial;dialer;telephone;RingCentral;tel;"),
        ("StartupNotify", "true"),
        ("StartupWMClass", "RingDesk"),
        ("Actions", "show;dial-selection;quit;"),
    ]
    actions = [
        ("show", "Show", ("show",)),
        ("dial-selection", "Dial the highlighted number", DIAL_SELECTION_ARGUMENTS),
        ("quit", "Quit", ("quit",)),
    ]
    return _entry_text(
        [
            ("Desktop Entry", main_keys),
            *(
                (f"Desktop Action {action}", [("Name", name), ("Exec", exec_value([*command, *arguments]))])
                for action, name, arguments in actions
            ),
        ]
    )


def autostart_entry(command: Sequence[str], *, hidden: bool = False) -> str:
    """The sign-in entry: RingDesk hidden in the tray; with `hidden`, the entry that turns a
    system-wide one off for this person (the Autostart specification's `Hidden=true`)."""
    keys = [
        ("Type", "Application"),
        ("Version", "1.4"),
        ("Name", "RingDesk"),
        ("Comment", "Start RingDesk in the system tray"),
        ("Icon", APP_ID),
        ("TryExec", _escape_string(command[0])),
        ("Exec", exec_value([*command, MINIMIZED_ARGUMENT])),
        ("Terminal", "false"),
        ("StartupNotify", "false"),
    ]
    keys += [("Hidden", "true")] if hidden else [("X-GNOME-Autostart-enabled", "true")]
    return _entry_text([("Desktop Entry", keys)])


def dial_shortcut_entry(command: Sequence[str]) -> str:
    """The entry KDE Plasma runs for the dial shortcut: a command shortcut, hidden from menus."""
    keys = [
        ("Type", "Application"),
        ("Name", DIAL_SHORTCUT_NAME),
        ("Icon", APP_ID),
        ("Exec", exec_value([*command, *DIAL_SELECTION_ARGUMENTS])),
        ("NoDisplay", "true"),
        ("StartupNotify", "false"),
        ("X-KDE-GlobalAccel-CommandShortcut", "true"),
    ]
    return _entry_text([("Desktop Entry", keys)])


def read_desktop_entry(path: Path) -> dict[str, str] | None:
    """The keys of a desktop file's `[Desktop Entry]` group, values unescaped; None when unreadable.

    The first of a repeated key counts.

    A small reader rather than configparser, which would take `;` for a comment, fold the keys'
    case and refuse the repeated keys that real files contain.
    """
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    keys: dict[str, str] = {}
    group: str | None = None
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            group = stripped[1:-1]
        elif group == "Desktop Entry" and "=" in stripped:
            key, value = stripped.split("=", 1)
            keys.setdefault(key.strip(), _unescape_string(value.strip()))
    return keys


class FreedesktopIntegration:
    """`DesktopIntegration` for freedesktop desktops; every method blocks."""

    def __init__(self, command: Sequence[str], *, environ: Mapping[str, str]) -> None:
        self._command = tuple(command)
        self._environ = dict(environ)
        home = Path(self._environ.get("HOME") or Path.home())
        self._data_home = self._xdg_folder("XDG_DATA_HOME", home / ".local" / "share")
        self._config_home = self._xdg_folder("XDG_CONFIG_HOME", home / ".config")
        self._data_dirs = self._xdg_folders("XDG_DATA_DIRS", "/usr/local/share:/usr/share")
        self._config_dirs = self._xdg_folders("XDG_CONFIG_DIRS", "/etc/xdg")

    # Phone links

    def link_handlers(self) -> LinkHandlers:
        """Asks `xdg-mime` which desktop files open tel: and callto: links, and names the tel: one.

        `current` is the Name in that desktop file, found along XDG_DATA_HOME and XDG_DATA_DIRS.
        Without xdg-utils the answer is "Unknown" (`make_default_for_links` says what to install).
        """
        try:
            tel, callto = (self._default_for(scheme) for scheme in ("tel", "callto"))
        except IntegrationError as error:
            _log.info("cannot tell which app opens phone links: %s", error)
            return LinkHandlers(ours=False, current="Unknown")
        ours = tel == callto == DESKTOP_FILE and self._entry_starts_us(DESKTOP_FILE)
        if tel is None:
            return LinkHandlers(ours=ours, current="No app")
        entry = self._find_entry(tel)
        name = entry.get("Name") if entry is not None else None
        return LinkHandlers(ours=ours, current=name or "Unknown")

    def make_default_for_links(self) -> None:
        """Makes RingDesk the app for tel:, callto: and sip: links, through `xdg-mime default`.

        A `ringdesk.desktop` already installed system-wide that starts this same RingDesk (a
        package) is used as it is; otherwise RingDesk writes its own in XDG_DATA_HOME, with its
        icon, and refreshes that folder's MIME cache. Afterwards it asks again: some desktops keep
        their own choice (`gnome-mimeapps.list`) ahead of the common one, and then the sentence
        says where to choose RingDesk.
        """
        if self._tool("xdg-mime") is None:
            raise IntegrationError(_XDG_UTILS_MISSING)
        if self._user_entry_path.exists() or not self._entry_starts_us(DESKTOP_FILE):
            self._install_user_entry()
        self._run(
            ["xdg-mime", "default", DESKTOP_FILE, *(f"x-scheme-handler/{scheme}" for scheme in LINK_SCHEMES)],
            failure="The desktop did not accept RingDesk as the app for phone links.",
        )
        handlers = self.link_handlers()
        if not handlers.ours:
            raise IntegrationError(
                f"Your desktop still opens phone links with {handlers.current}; choose RingDesk for "
                "phone links in your desktop's default apps settings."
            )

    @property
    def _user_entry_path(self) -> Path:
        return self._data_home / "applications" / DESKTOP_FILE

    def _install_user_entry(self) -> None:
        write_file_atomically(self._user_entry_path, desktop_entry(self._command))
        icon = icon_file(APP_ID)
        if icon is not None:
            target = self._data_home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
            try:
                icon_bytes = icon.read_bytes()
            except OSError as error:
                raise IntegrationError("RingDesk could not read its own icon.", detail=str(error)) from error
            write_file_atomically(target, icon_bytes)
        if self._tool("update-desktop-database") is not None:
            # Only a cache that speeds up lookups (mimeinfo.cache): the desktop works without it.
            try:
                self._run(
                    ["update-desktop-database", str(self._user_entry_path.parent)],
                    failure="The desktop's list of apps could not be refreshed.",
                )
            except IntegrationError as error:
                _log.warning("%s", error)

    def _default_for(self, scheme: str) -> str | None:
        answer = self._run(
            ["xdg-mime", "query", "default", f"x-scheme-handler/{scheme}"],
            failure="The desktop did not say which app opens phone links.",
            missing=_XDG_UTILS_MISSING,
        )
        desktop_id = answer.strip().splitlines()[0].strip() if answer.strip() else ""
        return desktop_id or None

    def _find_entry(self, desktop_id: str) -> dict[str, str] | None:
        """The desktop file with this id along XDG_DATA_HOME then XDG_DATA_DIRS (the first wins).

        An id names a file in an `applications` folder; a `-` in it may stand for a subfolder
        (`kde-foo.desktop` can be `applications/kde/foo.desktop`), per the Desktop Entry spec.
        """
        candidates = [desktop_id]
        candidates += [
            f"{desktop_id[:index]}/{desktop_id[index + 1 :]}"
            for index, character in enumerate(desktop_id)
            if character == "-"
        ]
        for folder in (self._data_home, *self._data_dirs):
            for candidate in candidates:
                path = folder / "applications" / candidate
                if path.is_file():
                    return read_desktop_entry(path)
        return None

    def _entry_starts_us(self, desktop_id: str) -> bool:
        entry = self._find_entry(desktop_id)
        return entry is not None and self._starts_us(entry, ())

    def _starts_us(self, entry: Mapping[str, str], arguments: Sequence[str]) -> bool:
        return exec_arguments(entry.get("Exec", "")) == [*self._command, *arguments]

    # Autostart

    @property
    def _user_autostart_path(self) -> Path:
        return self._config_home / "autostart" / DESKTOP_FILE

    def autostart_enabled(self) -> bool:
        """Whether an autostart entry will start RingDesk at sign-in.

        The entry that counts is the first `autostart/ringdesk.desktop` along XDG_CONFIG_HOME
        then XDG_CONFIG_DIRS; it is off when `Hidden=true` or `X-GNOME-Autostart-enabled=false`.
        """
        for folder in (self._config_home, *self._config_dirs):
            path = folder / "autostart" / DESKTOP_FILE
            if path.is_file():
                entry = read_desktop_entry(path) or {}
                return (
                    entry.get("Hidden", "false") != "true"
                    and entry.get("X-GNOME-Autostart-enabled", "true") != "false"
                )
        return False

    def set_autostart(self, enabled: bool) -> None:
        """Writes or removes RingDesk's entry in XDG_CONFIG_HOME/autostart.

        Turning it off with an entry installed system-wide (in XDG_CONFIG_DIRS, by a package or
        an administrator) leaves a `Hidden=true` copy in the person's folder, which the
        Autostart specification defines as "this person does not want it".
        """
        if enabled:
            write_file_atomically(self._user_autostart_path, autostart_entry(self._command))
            return
        remove_file(self._user_autostart_path)
        if any((folder / "autostart" / DESKTOP_FILE).is_file() for folder in self._config_dirs):
            write_file_atomically(self._user_autostart_path, autostart_entry(self._command, hidden=True))

    # The dial shortcut

    def shortcut_desktop(self) -> str | None:
        """ "GNOME" where XDG_CURRENT_DESKTOP says GNOME (or Unity) and gsettings has the media-keys
        schema; "KDE Plasma" where it says KDE and kwriteconfig is there; else None."""
        desktops = {name.strip().lower() for name in self._environ.get("XDG_CURRENT_DESKTOP", "").split(":")}
        if desktops & {"gnome", "unity"} and self._gnome_schema_present():
            return "GNOME"
        if "kde" in desktops and self._kde_config_tools() is not None:
            return "KDE Plasma"
        return None

    def dial_shortcut(self) -> str | None:
        """The keys of RingDesk's dial shortcut on this desktop, as "Super+Shift+D"; None when unset."""
        desktop = self.shortcut_desktop()
        try:
            if desktop == "GNOME":
                return self._gnome_dial_shortcut()
            if desktop == "KDE Plasma":
                return self._kde_dial_shortcut()
        except IntegrationError as error:
            _log.info("cannot read the dial shortcut: %s", error)
        return None

    def add_dial_shortcut(self, keys: str = DEFAULT_DIAL_KEYS) -> None:
        """Binds `keys` to `dial --selection` in the desktop's own shortcut settings.

        GNOME: a custom keybinding of its own (`ringdesk-dial`), appended to the person's list,
        never replacing it; a second call changes RingDesk's binding. KDE Plasma (5.25 and later):
        a command shortcut, the form Plasma's Shortcuts settings write (a desktop file plus its
        `_launch` key in kglobalshortcutsrc). Plasma reads that file when its shortcut service
        starts: the keys work from the next sign-in, and System Settings shows them at once.
        The KDE part could not be run where RingDesk is tested (no Plasma there).
        """
        combination = KeyCombination.parse(keys)
        desktop = self.shortcut_desktop()
        if desktop == "GNOME":
            self._add_gnome_shortcut(combination)
        elif desktop == "KDE Plasma":
            self._add_kde_shortcut(combination)
        else:
            command = shlex.join([*self._command, *DIAL_SELECTION_ARGUMENTS])
            raise IntegrationError(
                "RingDesk can add its shortcut only on GNOME and KDE Plasma; in your desktop's keyboard "
                f"settings, add a shortcut that runs: {command}"
            )

    def _gnome_schema_present(self) -> bool:
        if self._tool("gsettings") is None:
            return False
        try:
            self._run(
                ["gsettings", "writable", GNOME_MEDIA_KEYS, "custom-keybindings"],
                failure="GNOME's keyboard shortcut settings are not available.",
            )
        except IntegrationError as error:
            _log.info("no GNOME shortcut settings: %s", error)
            return False
        return True

    def _gnome_keybinding_paths(self) -> list[str]:
        text = self._run(
            ["gsettings", "get", GNOME_MEDIA_KEYS, "custom-keybindings"],
            failure="GNOME did not give its list of custom shortcuts.",
        )
        paths = _parse_gvariant_strings(text)
        if paths is None:
            # Writing a list RingDesk could not read would lose the person's own shortcuts.
            raise IntegrationError(
                "RingDesk could not read GNOME's list of custom shortcuts, so it left it unchanged.",
                detail=text.strip(),
            )
        return paths

    def _gnome_dial_shortcut(self) -> str | None:
        if GNOME_DIAL_PATH not in self._gnome_keybinding_paths():
            return None
        text = self._run(
            ["gsettings", "get", f"{GNOME_CUSTOM_KEYBINDING}:{GNOME_DIAL_PATH}", "binding"],
            failure="GNOME did not give RingDesk's shortcut.",
        )
        binding = _parse_gvariant_string(text)
        combination = KeyCombination.from_gtk(binding) if binding else None
        return str(combination) if combination is not None else None

    def _add_gnome_shortcut(self, combination: KeyCombination) -> None:
        paths = self._gnome_keybinding_paths()
        ours = f"{GNOME_CUSTOM_KEYBINDING}:{GNOME_DIAL_PATH}"
        values = {
            "name": DIAL_SHORTCUT_NAME,
            # GNOME splits the command as a shell would (g_shell_parse_argv), without a shell.
            "command": shlex.join([*self._command, *DIAL_SELECTION_ARGUMENTS]),
            "binding": combination.gtk(),
        }
        # The keybinding is complete before it joins the list, so GNOME never sees half of it.
        for key, value in values.items():
            self._run(
                ["gsettings", "set", ours, key, _gvariant_string(value)],
                failure="GNOME did not accept RingDesk's shortcut.",
            )
        if GNOME_DIAL_PATH not in paths:
            self._run(
                [
                    "gsettings",
                    "set",
                    GNOME_MEDIA_KEYS,
                    "custom-keybindings",
                    _gvariant_strings([*paths, GNOME_DIAL_PATH]),
                ],
                failure="GNOME did not accept RingDesk's shortcut.",
            )

    def _kde_config_tools(self) -> tuple[str, str] | None:
        """kwriteconfig and kreadconfig of one Plasma version: the session's first, then 6, then 5."""
        versions = ["6", "5"]
        session = self._environ.get("KDE_SESSION_VERSION", "")
        if session in versions:
            versions.remove(session)
            versions.insert(0, session)
        for version in versions:
            write, read = f"kwriteconfig{version}", f"kreadconfig{version}"
            if self._tool(write) is not None and self._tool(read) is not None:
                return write, read
        return None

    def _kde_shortcut_arguments(self) -> list[str]:
        return ["--file", "kglobalshortcutsrc", "--group", "services", "--group", KDE_DIAL_DESKTOP_FILE]

    def _kde_dial_shortcut(self) -> str | None:
        tools = self._kde_config_tools()
        if tools is None or not (self._data_home / "applications" / KDE_DIAL_DESKTOP_FILE).is_file():
            return None
        text = self._run(
            [tools[1], *self._kde_shortcut_arguments(), "--key", "_launch"],
            failure="KDE Plasma did not give RingDesk's shortcut.",
        )
        # Several shortcuts for one action are separated by tabs; "none" means none.
        first = text.strip().split("\t")[0].strip()
        if not first or first.lower() == "none":
            return None
        try:
            return str(KeyCombination.parse(first))
        except IntegrationError:
            _log.info("RingDesk's shortcut in KDE Plasma is %r, which it does not read", first)
            return None

    def _add_kde_shortcut(self, combination: KeyCombination) -> None:
        tools = self._kde_config_tools()
        if tools is None:
            raise IntegrationError("KDE Plasma's configuration tool (kwriteconfig) is missing.")
        write_file_atomically(
            self._data_home / "applications" / KDE_DIAL_DESKTOP_FILE, dial_shortcut_entry(self._command)
        )
        self._run(
            [tools[0], *self._kde_shortcut_arguments(), "--key", "_launch", combination.qt()],
            failure="KDE Plasma did not accept RingDesk's shortcut.",
        )
        for rebuild in ("kbuildsycoca6", "kbuildsycoca5"):
            if self._tool(rebuild) is not None:
                # Plasma finds desktop files through this cache; without a rebuild it finds the
                # new one a little later, on its own.
                try:
                    self._run([rebuild], failure="KDE Plasma's list of apps could not be refreshed.")
                except IntegrationError as error:
                    _log.warning("%s", error)
                break

    # Plumbing

    def _xdg_folder(self, variable: str, default: Path) -> Path:
        value = self._environ.get(variable, "")
        # The Base Directory specification ignores relative paths.
        return Path(value) if value.startswith("/") else default

    def _xdg_folders(self, variable: str, default: str) -> list[Path]:
        value = self._environ.get(variable) or default
        return [Path(part) for part in value.split(":") if part.startswith("/")]

    def _tool(self, name: str) -> str | None:
        return shutil.which(name, path=self._environ.get("PATH"))

    def _run(self, arguments: list[str], *, failure: str, missing: str | None = None) -> str:
        """Run a desktop tool with this integration's environment and return what it printed.

        Raises IntegrationError with `failure` when it fails, or with `missing` (else `failure`)
        when it is not installed; the tool's own words go to the detail, for the log.
        """
        program = self._tool(arguments[0])
        if program is None:
            raise IntegrationError(missing or failure, detail=f"{arguments[0]} is not installed")
        try:
            completed = subprocess.run(
                [program, *arguments[1:]],
                env=self._environ,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=_TOOL_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise IntegrationError(failure, detail=f"{arguments[0]}: {error}") from error
        if completed.returncode != 0:
            said = completed.stderr.strip() or completed.stdout.strip()
            raise IntegrationError(
                failure, detail=f"{shlex.join(arguments)} exited with {completed.returncode}: {said}"
            )
        return completed.stdout


def _gvariant_string(value: str) -> str:
    """`value` in GVariant's text format, as gsettings reads it."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _gvariant_strings(values: Sequence[str]) -> str:
    return "[" + ", ".join(_gvariant_string(value) for value in values) + "]"


def _parse_gvariant_string(text: str) -> str | None:
    # gsettings prints a string as a Python literal would look: quoted, with backslash escapes.
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def _parse_gvariant_strings(text: str) -> list[str] | None:
    """A GVariant array of strings as gsettings prints it (`['a', 'b']`, `@as []`); None otherwise."""
    text = text.strip().removeprefix("@as").strip()
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None
