"""Call notifications to the desktop's notification service, for desktops without a tray.

The Qt-side adapter of `ringdesk.desktop.notifications`: `notify` takes the tray view model's
`Notification` (it fits the `notify` signal) and shows it in the background.

    if not TrayIcon.available() and DesktopNotifier.available():
        notifier = DesktopNotifier()
        tray_vm.notify.connect(notifier.notify)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ringdesk.desktop.notifications import DesktopNotifications
from ringdesk.qtasync import spawn as qt_spawn
from ringdesk.ui.viewmodels.tray import Notification

__all__ = ["DesktopNotifier"]

Spawn = Callable[..., "asyncio.Task[Any]"]


class DesktopNotifier:
    """Shows the tray view model's `Notification`s through the desktop's notification service."""

    def __init__(
        self, notifications: DesktopNotifications | None = None, *, spawn: Spawn | None = None
    ) -> None:
        self._notifications = notifications or DesktopNotifications()
        self._spawn = spawn or qt_spawn

    @staticmethod
    def available() -> bool:
        """Whether notifications may go to the desktop here; asks nothing on the bus, so it never
        holds up the first frame (the service itself is looked for before the first notification)."""
        return DesktopNotifications.possible()

    def notify(self, notification: Notification) -> asyncio.Task[int | None]:
        """Show `notification` (in the background); the task's result is its id, None if none was shown."""
        return self._spawn(
            self._notifications.show(notification.title, notification.body), name="desktop notification"
        )
