"""Integration tests run real parts together: a browser engine on a (virtual) X screen, the
Secret Service, the simulator. They are the `desktop` tier: they need the session
`scripts/desktop-session` sets up (tests/conftest.py skips them elsewhere)."""

from __future__ import annotations

import os

IN_DESKTOP_SESSION = bool(os.environ.get("RINGDESK_DESKTOP_SESSION"))

if os.name == "posix" and os.geteuid() == 0:
    # Chromium refuses to start its sandbox as root (containers, CI); only then is it turned off.
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

# QtWebEngine must be loaded before the QApplication exists, and pytest-qt creates that lazily.
if IN_DESKTOP_SESSION:
    import PySide6.QtWebEngineWidgets  # noqa: F401
    import pytest

    from tests.gui_gc import gui_thread_garbage_collection  # noqa: F401

    @pytest.fixture(scope="session")
    def qapp_cls() -> type:
        """RingDesk's own QApplication, as in tests/ui: the first folder that makes the session's
        one QApplication decides its class, and the app's Quit and link-open events need this one."""
        from ringdesk.qtasync import Application

        return Application
