"""Integration tests run real parts together: a browser engine on a (virtual) X screen, the
Secret Service, the simulator. They need the session `scripts/desktop-session` sets up."""

from __future__ import annotations

import os

import pytest

IN_DESKTOP_SESSION = bool(os.environ.get("RINGDESK_DESKTOP_SESSION"))

if os.name == "posix" and os.geteuid() == 0:
    # Chromium refuses to start its sandbox as root (containers, CI); only then is it turned off.
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

# QtWebEngine must be loaded before the QApplication exists, and pytest-qt creates that lazily.
if IN_DESKTOP_SESSION:
    import PySide6.QtWebEngineWidgets  # noqa: F401

    from tests.gui_gc import gui_thread_garbage_collection  # noqa: F401


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if IN_DESKTOP_SESSION:
        return
    if os.environ.get("CI"):
        # In CI a skipped integration test would be a silent hole: the run must use the session.
        raise pytest.UsageError("CI must run the tests through scripts/desktop-session")
    skip = pytest.mark.skip(reason="needs scripts/desktop-session (X screen, D-Bus, GNOME Keyring)")
    for item in items:
        if "integration" in item.nodeid.split("/"):
            item.add_marker(skip)
