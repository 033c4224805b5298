"""Call notifications through the desktop's notification service, for desktops without a tray.

GNOME, KDE Plasma, Xfce, dunst and most other Linux desktops show notifications sent to
`org.freedesktop.Notifications` on the session bus (the freedesktop notification specification).

    if not TrayIcon.available() and DesktopNotifier.available():
        notifier = DesktopNotifier()
        tray_vm.notify.connect(notifier.notify)

Each notification replaces RingDesk's previous one, so the desktop keeps only the latest news about
calls. Failures are logged and never raised: a missed notification must not disturb a call.

The calls go through jeepney rather than QtDBus: `Notify` takes a uint32 (`replaces_id`), and PySide6
sends a Python int only as int32 or int64 (QDBusArgument's one integer overload writes a uint16),
so every notification service, which checks the signature, would refuse the call. jeepney sends the
signature it is given. It is pure Python and comes with keyring on Linux, the one platform that has
this service; elsewhere `available()` is False.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections.abc import Callable
from typing import Any, Final

from ringdesk.qtasync import spawn as qt_spawn
from ringdesk.ui.style import icon_path
from ringdesk.ui.viewmodels.tray import Notification

_HAVE_JEEPNEY = importlib.util.find_spec("jeepney") is not None
if _HAVE_JEEPNEY:
    from jeepney import DBusAddress, new_method_call
    from jeepney.bus_messages import message_bus
    from jeepney.io.asyncio import open_dbus_router
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import DBusErrorResponse, unwrap_msg

__all__ = ["SERVICE", "TIMEOUT_MS", "DesktopNotifier"]

_log = logging.getLogger("ringdesk.ui.notifications")

SERVICE: Final = "org.freedesktop.Notifications"
_PATH: Final = "/org/freedesktop/Notifications"
#: How long a notification stays up; the desktop may use its own time.
TIMEOUT_MS: Final = 5000
#: How long to wait for the bus and the service before giving up on one notification.
_REPLY_WITHIN: Final = 5.0

Spawn = Callable[..., "asyncio.Task[Any]"]


class DesktopNotifier:
    """Sends `Notification`s to the desktop's notification service; `notify` fits a Qt signal."""

    def __init__(self, *, app_name: str = "RingDesk", spawn: Spawn | None = None) -> None:
        self._app_name = app_name
        self._spawn = spawn or qt_spawn
        path = icon_path("ringdesk")
        self._icon = path.as_uri() if path.exists() else ""
        self._last_id = 0

    @staticmethod
    def available() -> bool:
        """Whether a notification service runs on the session bus, or would be started by it."""
        if not _HAVE_JEEPNEY:
            return False
        try:
            return _service_on_bus()
        except (OSError, KeyError, ValueError, TimeoutError, DBusErrorResponse) as error:
            # KeyError: no DBUS_SESSION_BUS_ADDRESS, so there is no session bus at all.
            _log.info("no desktop notification service found: %s", error)
            return False
        except Exception:
            _log.exception("looking for a desktop notification service failed")
            return False

    def notify(self, notification: Notification) -> asyncio.Task[int | None]:
        """Show `notification` (in the background); the task's result is its id, None if it failed."""
        return self._spawn(self.send(notification.title, notification.body), name="desktop notification")

    async def send(self, title: str, body: str) -> int | None:
        """Show one notification and return the id the service gave it; None when it failed (logged)."""
        if not _HAVE_JEEPNEY:
            _log.info("no D-Bus support here, so no desktop notification: %s", title)
            return None
        address = DBusAddress(_PATH, bus_name=SERVICE, interface=SERVICE)
        message = new_method_call(
            address,
            "Notify",
            "susssasa{sv}i",
            (self._app_name, self._last_id, self._icon, title, body, [], {}, TIMEOUT_MS),
        )
        try:
            async with asyncio.timeout(_REPLY_WITHIN), open_dbus_router("SESSION") as router:
                reply = await router.send_and_get_reply(message)
            (notification_id,) = unwrap_msg(reply)
        except (OSError, EOFError, KeyError, ValueError, TimeoutError, DBusErrorResponse) as error:
            _log.warning("the desktop did not show the notification %r: %s", title, error)
            return None
        except Exception:
            _log.exception("sending the notification %r failed", title)
            return None
        self._last_id = int(notification_id)
        return self._last_id


def _service_on_bus() -> bool:
    connection = open_dbus_connection("SESSION")
    try:
        owned = unwrap_msg(connection.send_and_get_reply(message_bus.NameHasOwner(SERVICE), timeout=1))
        if owned[0]:
            return True
        # Many services (dunst, xfce4-notifyd) are started by the bus on the first notification.
        names = unwrap_msg(connection.send_and_get_reply(message_bus.ListActivatableNames(), timeout=1))
        return SERVICE in names[0]
    finally:
        connection.close()
