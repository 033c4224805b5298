"""Running the whole app inside a test on the qasync loop, and quitting it as a person does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from ringdesk.app import AppOptions, RingDeskApp
from ringdesk.config import ConnectionSettings, Settings, save_settings
from ringdesk.qtasync import Application, QuitGuard
from tests import fakes


async def until(condition: Callable[[], object], within: float = 30.0, what: str = "") -> None:
    """`tests.fakes.until` with a whole app's patience: sign-in, the keyring, calls over sockets."""
    await fakes.until(condition, within, what)


def visible(kind: type) -> list[Any]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


@contextlib.asynccontextmanager
async def running(options: AppOptions) -> AsyncIterator[tuple[RingDeskApp, asyncio.Task[int]]]:
    """`RingDeskApp` built as `ringdesk.app.main` builds it (minus `run_app`), running as a task."""
    guard = QuitGuard(QApplication.instance())
    app = RingDeskApp(options, guard)
    task = asyncio.ensure_future(app.run())
    try:
        yield app, task
    finally:
        if not task.done():
            guard.request_quit()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 20)
        guard.remove()


async def quit_like_a_person(app: RingDeskApp, task: asyncio.Task[int]) -> int:
    """Deliver Qt's Quit event, as `QApplication.quit()` does from a tray or session end.

    Sent directly because the test loop runs a nested event loop, where `quit()` does nothing. When
    an earlier test folder made a plain QApplication, Qt's Quit cannot be routed (that path is
    covered in its own process by test_app_qtasync.py) and the menu's Quit is used instead.
    """
    qapp = QApplication.instance()
    if not isinstance(qapp, Application):
        return await quit_from_the_menu(app, task)
    QApplication.sendEvent(qapp, QEvent(QEvent.Type.Quit))
    return await asyncio.wait_for(task, 20)


async def quit_from_the_menu(app: RingDeskApp, task: asyncio.Task[int]) -> int:
    app.main_window.quit_action.trigger()
    return await asyncio.wait_for(task, 20)


def settings_file(home: Path, connection: ConnectionSettings) -> Path:
    path = home / "config" / "settings.json"
    save_settings(Settings(connection=connection), path)
    return path
