"""UI tests: widgets with pytest-qt, and async tests on the qasync loop.

- Every async test in this folder runs on `qasync.QEventLoop` (pytest-asyncio's
  `pytest_asyncio_loop_factories` hook): Qt signals, timers and asyncio tasks share one loop, as in
  the app. In those tests await signals with `ringdesk.qtasync.wait_signal`, never
  `qtbot.waitSignal`/`qtbot.wait`, which spin a nested loop and starve the tasks.
- The QApplication is `ringdesk.qtasync.Application` (pytest-qt's `qapp_cls`), so `QApplication.quit()`
  reaches the app's quit guard as it does in the real program.
- A test here is in the `desktop` tier (a screen, D-Bus, a Secret Service, a tray: run through
  `scripts/desktop-session`) unless it or its module is marked `viewmodels` (Qt without a
  screen); tests/conftest.py assigns and skips the tiers.
- Every test gets its own `RINGDESK_HOME`, so no test reads or writes the real profile.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

IN_DESKTOP_SESSION = bool(os.environ.get("RINGDESK_DESKTOP_SESSION"))

if os.name == "posix" and os.geteuid() == 0:
    # Chromium refuses to start its sandbox as root (containers, CI); only then is it turned off.
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

# qasync must bind to PySide6; QtWebEngine must be loaded before the QApplication exists.
os.environ["QT_API"] = "pyside6"
if IN_DESKTOP_SESSION:
    import PySide6.QtWebEngineWidgets  # noqa: F401

from PySide6.QtCore import QAbstractEventDispatcher, QEventLoop  # noqa: E402
from PySide6.QtWidgets import QApplication, QSystemTrayIcon  # noqa: E402

from ringdesk.config import ENV_OVERRIDES  # noqa: E402
from ringdesk.qtasync import Application, application, new_event_loop  # noqa: E402


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, object]:
    return {"qasync": _qasync_loop}


def _qasync_loop() -> asyncio.AbstractEventLoop:
    app = application([])
    # As in `run_app`: closing a test's last window must not end the loop under the test.
    app.setQuitOnLastWindowClosed(False)
    return new_event_loop(_NestedLoopHost(app))  # type: ignore[arg-type]


class _NestedLoopHost:
    """The part of the QApplication qasync drives, with `exec()` on a nested `QEventLoop`.

    qasync ends every `run_until_complete` with `QApplication.exit()`, and on Qt 6 each `exit()`
    emits `aboutToQuit`, on which QtWebEngine tears itself down: in a test session (one loop per
    test, one application for all) the second web view would crash the process. A nested loop
    is ended with its own `exit()`, so the application never hears "about to quit" until the end.
    """

    def __init__(self, app: QApplication) -> None:
        self._app = app
        self._loops: list[QEventLoop] = []

    def exec(self) -> int:
        loop = QEventLoop()
        self._loops.append(loop)
        try:
            return loop.exec()
        finally:
            self._loops.pop()

    def exit(self, code: int = 0) -> None:
        if self._loops:
            self._loops[-1].exit(code)

    def eventDispatcher(self) -> QAbstractEventDispatcher | None:
        return self._app.eventDispatcher()

    def __getattr__(self, name: str) -> object:
        return getattr(self._app, name)


@pytest.fixture(scope="session")
def qapp_cls() -> type[Application]:
    return Application


@pytest.fixture(autouse=True)
def ringdesk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh RingDesk home per test, and no connection overrides leaking in from the shell."""
    home = tmp_path / "ringdesk-home"
    monkeypatch.setenv("RINGDESK_HOME", str(home))
    for name in ENV_OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    yield home


from tests.gui_gc import gui_thread_garbage_collection  # noqa: E402, F401


@pytest.fixture(scope="module")
def tray_host() -> Iterator[subprocess.Popen[bytes]]:
    """trayer, a standalone XEmbed system tray, on the test's X screen."""
    if shutil.which("trayer") is None:
        message = "trayer is not installed (scripts/setup --test installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    host = subprocess.Popen(
        ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request", "--height", "24"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not QSystemTrayIcon.isSystemTrayAvailable():
            assert host.poll() is None, "trayer exited"
            assert time.monotonic() < deadline, "Qt never saw trayer's system tray"
            QApplication.processEvents()
            time.sleep(0.05)
        yield host
    finally:
        host.terminate()
        host.wait(10)


@pytest.fixture(autouse=True)
def _delete_owners() -> Iterator[None]:
    """Delete the parents `tests.ui.doubles.owner()` made, on the GUI thread, after each test."""
    from tests.ui.doubles import OWNERS

    yield
    while OWNERS:
        OWNERS.pop().deleteLater()
