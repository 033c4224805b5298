"""Where an administrator's defaults for everyone on this machine are, and reading them as they are.

    raw = read_admin_defaults(os.environ)     # None: this machine has none
    raw.source                                # "/etc/xdg/RingDesk/defaults.json", named in sentences
    raw.data                                  # the parsed content, or None with raw.problem saying why

Where they are, per platform:

- Linux and the BSDs: `RingDesk/defaults.json` in the folders of `$XDG_CONFIG_DIRS`, in the order
  given (the XDG base directory rule: the first folder is the most important one); unset or empty
  means `/etc/xdg`, and a relative folder is ignored, as the rule says. The first folder that holds
  the file wins, whole: files further down the list are not merged in, so what applies is always
  one file an administrator can read. A file that is there but cannot be used is reported and no
  other one is read instead, because a less important file was not meant to apply.
  `$XDG_CONFIG_HOME` is not searched: it belongs to the person, and defaults they wrote themselves
  are simply their settings.
- Windows: the policy key `HKLM\\Software\\Policies\\RingDesk` (read in the 64-bit view), one value
  per setting named `section.field` (`connection.client_id` as REG_SZ, `general.close_to_tray` as
  REG_DWORD 0 or 1), and `Locked` as REG_MULTI_SZ with the `section.field` names to lock.
- macOS: managed preferences, `/Library/Managed Preferences/com.ringdesk.RingDesk.plist` (what a
  configuration profile for `com.ringdesk.RingDesk` installs), holding the same structure as the
  JSON file.

The Windows and macOS readers are written carefully but have not run on those systems: there is
neither here. Their conversion to the common structure is plain code and is tested on Linux.

This module only finds and reads; `ringdesk.config` checks what was read with the same rules and
sentences as the person's own file. Nothing here ever writes: the administrator's files are theirs.
"""

from __future__ import annotations

import contextlib
import json
import os
import plistlib
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = [
    "ADMIN_FILE_NAME",
    "MACOS_MANAGED_PLIST",
    "WINDOWS_POLICY_KEY",
    "RawAdminDefaults",
    "find_xdg_defaults",
    "read_admin_defaults",
    "read_json_defaults",
    "read_plist_defaults",
    "registry_to_dict",
    "xdg_config_dirs",
]

ADMIN_FILE_NAME: Final = "defaults.json"
#: The folder under each XDG config folder (the same name as RingDesk's own config folder).
ADMIN_FOLDER: Final = "RingDesk"
XDG_DEFAULT_CONFIG_DIRS: Final = "/etc/xdg"
WINDOWS_POLICY_KEY: Final = r"Software\Policies\RingDesk"
#: The REG_MULTI_SZ value naming the locked settings.
WINDOWS_LOCKED_VALUE: Final = "Locked"
MACOS_MANAGED_PLIST: Final = Path("/Library/Managed Preferences/com.ringdesk.RingDesk.plist")

#: The most an administrator's file may hold; anything larger is not a settings file.
MAX_BYTES: Final = 1024 * 1024


@dataclass(frozen=True)
class RawAdminDefaults:
    """What was found: where (for sentences), and either its content or why it cannot be used."""

    #: The file's path or the registry key, as a person would look for it.
    source: str
    #: The parsed content (a JSON object's structure); None when `problem` says why not.
    data: Mapping[str, Any] | None = None
    #: Why the content cannot be used, as the end of a sentence ("it is not valid JSON (...)").
    problem: str | None = None


def read_admin_defaults(
    environ: Mapping[str, str] | None = None, *, platform: str | None = None
) -> RawAdminDefaults | None:
    """This machine's administrator defaults, or None when there are none; never raises.

    `environ` (default: the process environment) gives `XDG_CONFIG_DIRS` on Linux and the BSDs.
    """
    platform = sys.platform if platform is None else platform
    if platform == "win32":
        return _read_windows_policy()
    if platform == "darwin":
        return read_plist_defaults(MACOS_MANAGED_PLIST)
    path = find_xdg_defaults(os.environ if environ is None else environ)
    return None if path is None else read_json_defaults(path)


def xdg_config_dirs(environ: Mapping[str, str]) -> list[Path]:
    """The system config folders in XDG order, most important first (default `/etc/xdg`)."""
    listed = environ.get("XDG_CONFIG_DIRS", "") or XDG_DEFAULT_CONFIG_DIRS
    # The spec: a relative path is invalid and ignored; an empty entry (a stray colon) is nothing.
    return [Path(entry) for entry in listed.split(os.pathsep) if entry and os.path.isabs(entry)]


def find_xdg_defaults(environ: Mapping[str, str]) -> Path | None:
    """The first `RingDesk/defaults.json` in `XDG_CONFIG_DIRS` that is there, readable or not."""
    for folder in xdg_config_dirs(environ):
        candidate = folder / ADMIN_FOLDER / ADMIN_FILE_NAME
        try:
            candidate.stat()
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError:
            # There, but out of reach (a folder on the way that this account may not enter):
            # reading it will say why, rather than a less important file applying silently.
            pass
        return candidate
    return None


def read_json_defaults(path: Path) -> RawAdminDefaults:
    """Read and parse `path`; a file that cannot be used gives `problem` instead of `data`."""
    source = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as error:
        return RawAdminDefaults(source, problem=f"it could not be read ({_reason(error)})")
    if len(raw) > MAX_BYTES:
        return RawAdminDefaults(source, problem=f"it is larger than {MAX_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return RawAdminDefaults(source, problem="it is not UTF-8 text")
    try:
        data = json.loads(text)
    except ValueError as error:
        return RawAdminDefaults(source, problem=f"it is not valid JSON ({error})")
    if not isinstance(data, dict):
        return RawAdminDefaults(source, problem="it does not hold a JSON object")
    return RawAdminDefaults(source, data=data)


def read_plist_defaults(path: Path) -> RawAdminDefaults | None:
    """macOS managed preferences at `path`: None when there are none, else as `read_json_defaults`."""
    source = str(path)
    try:
        with path.open("rb") as handle:
            data = plistlib.load(handle)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        return RawAdminDefaults(source, problem=f"it could not be read ({_reason(error)})")
    except (plistlib.InvalidFileException, ValueError, TypeError, KeyError, OverflowError) as error:
        # plistlib raises several kinds for damaged binary plists; each means "not a property list".
        return RawAdminDefaults(source, problem=f"it is not a valid property list ({type(error).__name__})")
    if not isinstance(data, dict):
        return RawAdminDefaults(source, problem="it does not hold a dictionary")
    return RawAdminDefaults(source, data=data)


def registry_to_dict(values: Iterable[tuple[str, Any, int]]) -> dict[str, Any]:
    """The policy key's values `(name, data, type)` as the structure of the JSON file.

    `section.field` values go into their section; `Locked` (any case, as the registry ignores case)
    becomes `locked`. A REG_DWORD of 0 or 1 is a switch (the registry has no true or false); any
    other number stays a number, so the check says it is not a switch.
    """
    reg_dword = 4  # winreg.REG_DWORD; the constant is spelled out so this runs everywhere
    data: dict[str, Any] = {}
    for name, value, kind in values:
        if kind == reg_dword and value in (0, 1):
            value = bool(value)
        lowered = name.lower()
        if lowered == WINDOWS_LOCKED_VALUE.lower():
            data["locked"] = value
        elif "." in lowered:
            section, _, field = lowered.partition(".")
            data.setdefault(section, {})[field] = value
        else:
            data[lowered] = value
    # schema_version as a switch-looking DWORD 1 would read as True: it is the number it says.
    if isinstance(data.get("schema_version"), bool):
        data["schema_version"] = int(data["schema_version"])
    return data


def _read_windows_policy() -> RawAdminDefaults | None:  # pragma: no cover - Windows only
    """The values of HKLM\\Software\\Policies\\RingDesk; None when the key is not there."""
    if sys.platform != "win32":
        return None
    import winreg

    source = "HKLM\\" + WINDOWS_POLICY_KEY
    try:
        key = winreg.OpenKey(
            winreg.HKEY_LOCAL_MACHINE, WINDOWS_POLICY_KEY, 0, winreg.KEY_READ | winreg.KEY_WOW64_64KEY
        )
    except FileNotFoundError:
        return None
    except OSError as error:
        return RawAdminDefaults(source, problem=f"it could not be read ({_reason(error)})")
    values: list[tuple[str, Any, int]] = []
    with key:
        index = 0
        while True:
            try:
                values.append(winreg.EnumValue(key, index))
            except OSError:  # ERROR_NO_MORE_ITEMS ends the list
                break
            index += 1
    return RawAdminDefaults(source, data=registry_to_dict(values))


def _reason(error: OSError) -> str:
    with contextlib.suppress(AttributeError):
        if error.strerror:
            return error.strerror.lower()
    return type(error).__name__
