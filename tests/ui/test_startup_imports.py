"""What a start loads before its first frame: nothing a start with a stored sign-in does not need.

QtWebEngine (tens of MiB and milliseconds) is loaded when a web sign-in starts, the simulator and
its web framework only for `--demo`, `sim` and a simulator connection, the HTTP, WebSocket and
keyring libraries by the worker that connects, after the first frame, the D-Bus library with the
first desktop notification, and the other windows when they are first opened.
"""

from __future__ import annotations

import pytest

from tests.start_modules import modules_at_first_frame

pytestmark = pytest.mark.viewmodels

#: Modules that must not be loaded by a start until something asks for them.
NOT_AT_START = (
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtNetwork",
    "ringdesk.ui.widgets.sign_in_window",
    "ringdesk.ui.widgets.sign_in_presenter",
    "ringdesk.ui.widgets.history_window",
    "ringdesk.ui.widgets.preferences",
    "ringdesk.ui.widgets.connection_settings",
    "ringdesk.ui.widgets.phone_picker",
    "ringdesk.platforms.registry",
    "ringdesk.platforms.ringcentral",
    "ringdesk.simulator",
    "httpx",
    "websockets",
    "keyring",
    "jeepney",
    "click",
    "rich",
    "uvicorn",
    "starlette",
    "pytest",
)


def test_a_start_loads_only_what_its_first_frame_needs() -> None:
    start = modules_at_first_frame()
    assert start.web_engine_installed  # found, and still not loaded
    early = sorted(m for m in start.modules if any(m == n or m.startswith(n + ".") for n in NOT_AT_START))
    assert early == []
    # PySide6 reads every later module's source unless told not to (`ringdesk.qtasync`).
    assert [path for path in start.sources_kept if "ringdesk" in path or "qasync" in path] == []
