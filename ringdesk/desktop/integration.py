"""How RingDesk fits into the desktop: phone links, starting at sign-in, a shortcut that dials.

    integration = integration_for_this_system()
    if not integration.link_handlers().ours:
        integration.make_default_for_links()        # tel:, callto: and sip: links open RingDesk
    integration.set_autostart(True)                 # starts hidden in the tray at sign-in
    if integration.shortcut_desktop() and integration.dial_shortcut() is None:
        integration.add_dial_shortcut()             # Super+Shift+D dials the highlighted number

Each operating system has one implementation of `DesktopIntegration`: freedesktop (Linux and the
BSDs) in `ringdesk.desktop.xdg`, Windows in `ringdesk.desktop.windows`, macOS in
`ringdesk.desktop.macos`. All of them block (they run the desktop's own tools or write the
registry), so the caller runs them in an executor, never on the event loop.

Questions (`link_handlers`, `autostart_enabled`, `shortcut_desktop`, `dial_shortcut`) never raise:
an answer that cannot be found is "Unknown", False or None, and the reason is logged. Changes
raise `IntegrationError`, whose `user_message` is one sentence a person can act on.

Everything the desktop starts runs `launch_command()` followed by RingDesk's own arguments: a link
(`%u`), `show`, `dial --selection`, `quit` or `--minimized`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import sysconfig
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from ringdesk.errors import RingDeskError

__all__ = [
    "APP_ID",
    "DEFAULT_DIAL_KEYS",
    "DIAL_SELECTION_ARGUMENTS",
    "LINK_SCHEMES",
    "MINIMIZED_ARGUMENT",
    "DesktopIntegration",
    "IntegrationError",
    "KeyCombination",
    "LinkHandlers",
    "integration_for_this_system",
    "launch_command",
    "remove_file",
    "write_file_atomically",
]


#: The name the desktop knows RingDesk by: the desktop file `ringdesk.desktop`, the icon `ringdesk`,
#: and Qt's `setDesktopFileName("ringdesk")`, which ties RingDesk's windows to that desktop file.
APP_ID: Final = "ringdesk"
#: The link schemes RingDesk dials. `ours` in `LinkHandlers` asks only about tel: and callto:,
#: the two that web pages use; sip: is offered too, for softphone links.
LINK_SCHEMES: Final = ("tel", "callto", "sip")
DEFAULT_DIAL_KEYS: Final = "Super+Shift+D"
#: The arguments, after `launch_command()`, that dial the highlighted text.
DIAL_SELECTION_ARGUMENTS: Final = ("dial", "--selection")
#: The argument, after `launch_command()`, that starts RingDesk hidden in the tray.
MINIMIZED_ARGUMENT: Final = "--minimized"
_SCRIPT_NAME: Final = "ringdesk"
_MODIFIER_ORDER: Final = ("Super", "Ctrl", "Alt", "Shift")
#: The names the desktops and people use for the modifiers; Super is KDE's Meta and X11's Mod4.
_MODIFIER_NAMES: Final = {
    "super": "Super",
    "meta": "Super",
    "mod4": "Super",
    "win": "Super",
    "ctrl": "Ctrl",
    "control": "Ctrl",
    "primary": "Ctrl",
    "alt": "Alt",
    "mod1": "Alt",
    "shift": "Shift",
}


class IntegrationError(RingDeskError):
    """The desktop did not take a change: a missing tool, a refused write, an unknown key combination."""

    default_user_message = "RingDesk could not change this setting of your desktop."


@dataclass(frozen=True)
class LinkHandlers:
    """Who opens phone links now.

    `ours`: tel: and callto: both open this RingDesk. `current`: the app that opens tel: links, in
    plain words for the Preferences dialog ("RingDesk", "GNOME Calls"), "No app" when none does,
    "Unknown" when the desktop could not say.
    """

    ours: bool
    current: str


class DesktopIntegration(Protocol):
    """One operating system's way to register RingDesk; every method blocks (run it in an executor)."""

    def link_handlers(self) -> LinkHandlers:
        """Who opens tel: and callto: links now; never raises."""
        ...

    def make_default_for_links(self) -> None:
        """Make RingDesk open tel:, callto: and sip: links; raises IntegrationError."""
        ...

    def autostart_enabled(self) -> bool:
        """Whether RingDesk starts at sign-in, read from the system itself; never raises."""
        ...

    def set_autostart(self, enabled: bool) -> None:
        """Start RingDesk at sign-in, hidden in the tray (`--minimized`), or stop; raises IntegrationError."""
        ...

    def shortcut_desktop(self) -> str | None:
        """The desktop's name ("GNOME", "KDE Plasma") when `add_dial_shortcut` works here, else None."""
        ...

    def dial_shortcut(self) -> str | None:
        """The keys RingDesk bound to `dial --selection`, as "Super+Shift+D"; None when there are none."""
        ...

    def add_dial_shortcut(self, keys: str = DEFAULT_DIAL_KEYS) -> None:
        """Bind `keys` to `dial --selection`, replacing RingDesk's own binding; raises IntegrationError."""
        ...


def launch_command() -> tuple[str, ...]:
    """How the desktop starts this RingDesk: the program and the arguments before RingDesk's own.

    A frozen build is its own program (`sys.executable`). Otherwise the `ringdesk` script of this
    Python installation, when it runs this same Python (see `_script_of_this_python`): a desktop
    file naming it reads well and shows the right name in process lists. Otherwise this Python
    with `-m ringdesk`, which works wherever this RingDesk can be imported.
    """
    if getattr(sys, "frozen", False):
        return (sys.executable,)
    script = _script_of_this_python()
    if script is not None:
        return (str(script),)
    return (sys.executable, "-m", "ringdesk")


def _script_of_this_python() -> Path | None:
    """The installed `ringdesk` script that runs this very Python, or None.

    Looked for in the scripts folders of this installation (a virtual environment's bin, or the
    system's and the user's). On POSIX the script's first lines name its Python; it is ours when
    that Python is this one in the same folder (a symlinked `python3` beside `python` is the same
    installation, another virtual environment's `python` resolving to the same file is not). On
    Windows the script is an .exe made for the Python of the folder it is in, so being in this
    Python's scripts folder is enough.
    """
    folders = [sysconfig.get_path("scripts")]
    with contextlib.suppress(KeyError):
        folders.append(sysconfig.get_path("scripts", sysconfig.get_preferred_scheme("user")))
    for folder in folders:
        if sys.platform == "win32":
            # The windowed launcher: a link click must not open a console (whose closing would
            # end RingDesk with it).
            script = Path(folder, f"{_SCRIPT_NAME}-gui.exe")
            if script.is_file() and _same_folder(Path(folder), Path(sys.executable).parent):
                return script.absolute()
            continue
        script = Path(folder, _SCRIPT_NAME)
        if script.is_file() and os.access(script, os.X_OK) and _runs_this_python(script):
            return script.absolute()
    return None


def _runs_this_python(script: Path) -> bool:
    interpreter = _script_interpreter(script)
    if interpreter is None:
        return False
    this = Path(sys.executable)
    try:
        return _same_folder(interpreter.parent, this.parent) and os.path.samefile(interpreter, this)
    except OSError:
        return False


def _same_folder(first: Path, second: Path) -> bool:
    return os.path.normcase(os.path.abspath(first)) == os.path.normcase(os.path.abspath(second))


def _script_interpreter(script: Path) -> Path | None:
    """The Python a console script made by pip runs: its `#!` line, or, when that names /bin/sh
    (pip's form for a path too long or with spaces), the Python in the `'''exec' "python"` line."""
    try:
        with script.open("rb") as file:
            head = file.read(4096).decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    if not head or not head[0].startswith("#!"):
        return None
    interpreter = head[0][2:].strip().split(" ")[0]
    if interpreter == "/bin/sh" and len(head) > 1 and head[1].startswith("'''exec' \""):
        interpreter = head[1][len("'''exec' \"") :].split('"')[0]
    return Path(interpreter) if os.path.isabs(interpreter) else None


def integration_for_this_system(
    command: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> DesktopIntegration:
    """The integration for the operating system RingDesk runs on.

    `command` is what the desktop runs to start RingDesk (default `launch_command()`); `environ`
    the environment that says where the desktop keeps its files and which desktop this is
    (default `os.environ`, copied now). Tests pass both, so nothing touches the real profile.
    """
    command = tuple(command) if command is not None else launch_command()
    environ = dict(environ) if environ is not None else dict(os.environ)
    if sys.platform == "win32":
        from ringdesk.desktop.windows import WindowsIntegration

        return WindowsIntegration(command)
    if sys.platform == "darwin":
        from ringdesk.desktop.macos import MacIntegration

        return MacIntegration(command, environ=environ)
    from ringdesk.desktop.xdg import FreedesktopIntegration

    return FreedesktopIntegration(command, environ=environ)


@dataclass(frozen=True)
class KeyCombination:
    """A shortcut as the Preferences dialog writes it ("Super+Shift+D"), convertible to each desktop's form.

    Modifiers are Super (the Windows or Command key; KDE calls it Meta), Ctrl, Alt and Shift; the
    key is one letter, digit or a named key such as F5. A combination needs Super, Ctrl or Alt,
    or an F key: anything else would take a key away from typing in every app.
    """

    modifiers: frozenset[str]
    key: str

    @classmethod
    def parse(cls, keys: str) -> KeyCombination:
        """Read "Super+Shift+D" (any case; Meta for Super); raises IntegrationError for anything else."""
        *names, key = [part.strip() for part in keys.split("+")]
        modifiers = frozenset(_MODIFIER_NAMES.get(name.lower(), "") for name in names)
        is_function_key = key[:1] in "Ff" and key[1:].isdigit()
        if (
            "" in modifiers
            or not key.isascii()
            or not key.isalnum()
            or (len(key) > 1 and not is_function_key)
            or not (modifiers & {"Super", "Ctrl", "Alt"} or is_function_key)
        ):
            raise IntegrationError(
                f"“{keys}” is not a key combination RingDesk can set; choose one like {DEFAULT_DIAL_KEYS}."
            )
        return cls(modifiers, key.upper())

    @classmethod
    def from_gtk(cls, accelerator: str) -> KeyCombination | None:
        """Read GNOME's form ("<Super><Shift>d"); None for an empty or unfamiliar one."""
        names: list[str] = []
        rest = accelerator.strip()
        while rest.startswith("<") and ">" in rest:
            name, rest = rest[1:].split(">", 1)
            names.append(name)
        try:
            return cls.parse("+".join([*names, rest])) if rest else None
        except IntegrationError:
            return None

    def _ordered(self) -> list[str]:
        return [name for name in _MODIFIER_ORDER if name in self.modifiers]

    def __str__(self) -> str:
        return "+".join([*self._ordered(), self.key])

    def gtk(self) -> str:
        """GNOME's form: "<Super><Shift>d" (GTK names Ctrl "Control" and wants letters in lower case)."""
        names = {"Ctrl": "Control"}
        prefix = "".join(f"<{names.get(name, name)}>" for name in self._ordered())
        return prefix + (self.key.lower() if len(self.key) == 1 else self.key)

    def qt(self) -> str:
        """KDE's (Qt's) form: "Meta+Shift+D"."""
        names = {"Super": "Meta"}
        return "+".join([*(names.get(name, name) for name in self._ordered()), self.key])


def write_file_atomically(path: Path, content: str | bytes, *, mode: int = 0o644) -> None:
    """Replace `path` with `content`: never a half-written file, whatever happens; raises IntegrationError.

    The content goes to a temporary file in the same folder, reaches the disk, then takes the
    file's name in one step (`os.replace`), so the desktop reads the old file or the new one.
    Missing folders are made. The files are the desktop's, not RingDesk's private data (a desktop
    entry names the program, a registry of defaults), so they are readable by all like any other.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
        temporary = None
    except OSError as error:
        raise IntegrationError(f"RingDesk could not write the file {path}.", detail=str(error)) from error
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def remove_file(path: Path) -> None:
    """Delete `path` if it is there; raises IntegrationError when it stays."""
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        raise IntegrationError(f"RingDesk could not remove the file {path}.", detail=str(error)) from error
