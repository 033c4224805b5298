"""RingDesk on macOS: phone links through Launch Services, starting at sign-in through a LaunchAgent.

Written with care but never run where RingDesk is tested (Linux): only the plist contents are
tested.

- Phone links: an app's URL schemes are declared in its bundle's Info.plist; the PyInstaller spec
  puts `INFO_PLIST_URL_TYPES` there as `CFBundleURLTypes`. macOS hands a link to the running app
  as an open-URL event (Qt's QFileOpenEvent), not as a command-line argument.
  `make_default_for_links` asks Launch Services (`LSSetDefaultHandlerForURLScheme`) for the
  bundle `com.ringdesk.RingDesk`, which only works for the installed app bundle.
- Autostart: `~/Library/LaunchAgents/com.ringdesk.RingDesk.plist`, run at sign-in in the
  graphical session only.
- The dial shortcut: None. macOS has no command-line shortcut setting to write; a Services menu
  entry in the bundle would be the way, and it is not part of this module.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import plistlib
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from ringdesk.desktop.integration import (
    DEFAULT_DIAL_KEYS,
    LINK_SCHEMES,
    MINIMIZED_ARGUMENT,
    IntegrationError,
    LinkHandlers,
    remove_file,
    write_file_atomically,
)

__all__ = ["BUNDLE_ID", "INFO_PLIST_URL_TYPES", "MacIntegration", "launch_agent_plist"]

_log = logging.getLogger("ringdesk.desktop.macos")

BUNDLE_ID: Final = "com.ringdesk.RingDesk"
#: `CFBundleURLTypes` for the app bundle's Info.plist (the PyInstaller spec's `info_plist`).
INFO_PLIST_URL_TYPES: Final[list[dict[str, object]]] = [
    {
        "CFBundleURLName": f"{BUNDLE_ID}.phone-link",
        "CFBundleURLSchemes": list(LINK_SCHEMES),
        # Viewer: RingDesk opens these links; it does not edit anything they name.
        "CFBundleTypeRole": "Viewer",
    }
]
#: Apps that often hold tel: links, by bundle id, for `LinkHandlers.current`.
KNOWN_APPS: Final = {"com.apple.FaceTime": "FaceTime", BUNDLE_ID: "RingDesk"}
_CORE_SERVICES: Final = "/System/Library/Frameworks/CoreServices.framework/CoreServices"
_CORE_FOUNDATION: Final = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation"
_UTF8: Final = 0x08000100  # kCFStringEncodingUTF8
_CHOOSE_IN_FACETIME: Final = (
    "macOS did not make RingDesk the app for phone links; choose it in FaceTime, Settings, "
    "General, Default for calls."
)


def launch_agent_plist(command: Sequence[str]) -> bytes:
    """The LaunchAgent that starts RingDesk hidden in the menu bar when the person signs in.

    `LimitLoadToSessionType` Aqua: only in the graphical session, never for an SSH login. No
    `KeepAlive`: quitting RingDesk must not make launchd start it again.
    """
    agent = {
        "Label": BUNDLE_ID,
        "ProgramArguments": [*command, MINIMIZED_ARGUMENT],
        "RunAtLoad": True,
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",
    }
    return plistlib.dumps(agent)


class MacIntegration:
    """`DesktopIntegration` for macOS; every method blocks."""

    def __init__(self, command: Sequence[str], *, environ: Mapping[str, str]) -> None:
        self._command = tuple(command)
        home = Path(environ.get("HOME") or Path.home())
        self._agent_path = home / "Library" / "LaunchAgents" / f"{BUNDLE_ID}.plist"

    def link_handlers(self) -> LinkHandlers:
        """Asks Launch Services which bundle opens tel: and callto: links."""
        try:
            tel, callto = (_default_handler(scheme) for scheme in ("tel", "callto"))
        except OSError as error:
            _log.info("cannot tell which app opens phone links: %s", error)
            return LinkHandlers(ours=False, current="Unknown")
        ours = all(handler is not None and handler.lower() == BUNDLE_ID.lower() for handler in (tel, callto))
        if tel is None:
            return LinkHandlers(ours=ours, current="No app")
        # Launch Services gives the bundle id in lower case; an unknown app is named by its id.
        known = {bundle.lower(): name for bundle, name in KNOWN_APPS.items()}
        return LinkHandlers(ours=ours, current=known.get(tel.lower(), tel))

    def make_default_for_links(self) -> None:
        """Makes the RingDesk app bundle the handler of tel:, callto: and sip: links.

        `LSSetDefaultHandlerForURLScheme` is deprecated since macOS 12 but still honoured; it
        needs the bundle to be known to Launch Services (the app installed in Applications), so
        RingDesk run from source gets the sentence telling where to choose.
        """
        if not getattr(sys, "frozen", False):
            raise IntegrationError(_CHOOSE_IN_FACETIME, detail="not running from the app bundle")
        try:
            for scheme in LINK_SCHEMES:
                status = _set_default_handler(scheme, BUNDLE_ID)
                if status != 0:
                    raise IntegrationError(_CHOOSE_IN_FACETIME, detail=f"{scheme}: OSStatus {status}")
        except OSError as error:
            raise IntegrationError(_CHOOSE_IN_FACETIME, detail=str(error)) from error

    def autostart_enabled(self) -> bool:
        """RingDesk's LaunchAgent is there and not marked Disabled."""
        try:
            agent = plistlib.loads(self._agent_path.read_bytes())
        except (OSError, plistlib.InvalidFileException, ValueError):
            return False
        return isinstance(agent, dict) and agent.get("Disabled") is not True

    def set_autostart(self, enabled: bool) -> None:
        """Writes or removes the LaunchAgent; launchd reads it at the next sign-in."""
        if enabled:
            write_file_atomically(self._agent_path, launch_agent_plist(self._command))
        else:
            remove_file(self._agent_path)

    def shortcut_desktop(self) -> str | None:
        """None: see the module's docstring."""
        return None

    def dial_shortcut(self) -> str | None:
        return None

    def add_dial_shortcut(self, keys: str = DEFAULT_DIAL_KEYS) -> None:
        raise IntegrationError("On macOS, RingDesk cannot add a keyboard shortcut.")


def _frameworks() -> tuple[ctypes.CDLL, ctypes.CDLL]:
    """CoreFoundation and CoreServices with the signatures used here; raises OSError elsewhere."""
    foundation = ctypes.CDLL(_CORE_FOUNDATION)
    services = ctypes.CDLL(_CORE_SERVICES)
    foundation.CFStringCreateWithCString.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint32]
    foundation.CFStringCreateWithCString.restype = ctypes.c_void_p
    foundation.CFStringGetCString.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_long,
        ctypes.c_uint32,
    ]
    foundation.CFStringGetCString.restype = ctypes.c_bool
    foundation.CFRelease.argtypes = [ctypes.c_void_p]
    foundation.CFRelease.restype = None
    services.LSSetDefaultHandlerForURLScheme.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    services.LSSetDefaultHandlerForURLScheme.restype = ctypes.c_int32
    services.LSCopyDefaultHandlerForURLScheme.argtypes = [ctypes.c_void_p]
    services.LSCopyDefaultHandlerForURLScheme.restype = ctypes.c_void_p
    return foundation, services


def _cf_string(foundation: ctypes.CDLL, text: str) -> int:
    reference = foundation.CFStringCreateWithCString(None, text.encode("utf-8"), _UTF8)
    if not reference:
        raise OSError(f"CFStringCreateWithCString failed for {text!r}")
    return int(reference)


def _set_default_handler(scheme: str, bundle_id: str) -> int:
    foundation, services = _frameworks()
    scheme_reference = _cf_string(foundation, scheme)
    try:
        bundle_reference = _cf_string(foundation, bundle_id)
        try:
            return int(services.LSSetDefaultHandlerForURLScheme(scheme_reference, bundle_reference))
        finally:
            foundation.CFRelease(bundle_reference)
    finally:
        foundation.CFRelease(scheme_reference)


def _default_handler(scheme: str) -> str | None:
    """The bundle id that opens `scheme` links, or None; raises OSError off macOS."""
    foundation, services = _frameworks()
    scheme_reference = _cf_string(foundation, scheme)
    try:
        # "Copy" in the name: the caller owns the result and releases it.
        handler = services.LSCopyDefaultHandlerForURLScheme(scheme_reference)
    finally:
        foundation.CFRelease(scheme_reference)
    if not handler:
        return None
    try:
        buffer = ctypes.create_string_buffer(1024)
        if not foundation.CFStringGetCString(handler, buffer, len(buffer), _UTF8):
            return None
        return buffer.value.decode("utf-8")
    finally:
        foundation.CFRelease(handler)
