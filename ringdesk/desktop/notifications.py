"""Notifications through the desktop's notification service (`org.freedesktop.Notifications`).

GNOME, KDE Plasma, Xfce, dunst and most other Linux desktops show notifications sent to
`org.freedesktop.Notifications` on the session bus (the freedesktop notification specification).

    if DesktopNotifications.possible():            # no bus traffic: safe on the start-up path
        notifications = DesktopNotifications()
        await notifications.show("Connected", "+1 650-555-1234")

Nothing here blocks: `possible()` only looks for D-Bus support and a session bus address, and
whether a notification service runs is asked on the bus, asynchronously, before the first
notification is shown. Each notification replaces RingDesk's previous one, so the desktop keeps
only the latest news about calls. Failures are logged and never raised: a missed notification must
not disturb a call.

The calls go through jeepney rather than QtDBus: `Notify` takes a uint32 (`replaces_id`), and PySide6
sends a Python int only as int32 or int64 (QDBusArgument's one integer overload writes a uint16),
so every notification service, which checks the signature, would refuse the call. jeepney sends the
signature it is given. It is pure Python and comes with keyring on Linux, the one platform that has
this service; elsewhere `possible()` is False.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Final

from ringdesk.resources import icon_file

if TYPE_CHECKING:
    from jeepney.io.asyncio import DBusRouter

# Whether jeepney is installed, without importing it: it loads with the first notification, so a
# start without a tray does not pay for it before its first frame.
_HAVE_JEEPNEY = importlib.util.find_spec("jeepney") is not None

__all__ = ["SERVICE", "TIMEOUT_MS", "DesktopNotifications"]

_log = logging.getLogger("ringdesk.desktop.notifications")

SERVICE: Final = "org.freedesktop.Notifications"
_PATH: Final = "/org/freedesktop/Notifications"
#: How long a notification stays up; the desktop may use its own time.
TIMEOUT_MS: Final = 5000
#: How long to wait for the bus and the service before giving up on one question or notification.
_REPLY_WITHIN: Final = 5.0


class DesktopNotifications:
    """Shows notifications through the desktop's notification service; needs a running event loop."""

    def __init__(self, *, app_name: str = "RingDesk") -> None:
        self._app_name = app_name
        icon = icon_file("ringdesk")
        self._icon = icon.as_uri() if icon is not None else ""
        self._last_id = 0
        # Asked once, before the first notification; None until then.
        self._service_found: bool | None = None

    @staticmethod
    def possible() -> bool:
        """Whether this desktop may have a notification service: D-Bus support and a session bus.

        Makes no call on the bus, so it may be asked on the start-up path; `available()` asks.
        """
        return _HAVE_JEEPNEY and bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))

    async def available(self) -> bool:
        """Whether a notification service runs on the session bus, or would be started by it."""
        if not _HAVE_JEEPNEY:
            return False
        from jeepney.wrappers import DBusErrorResponse

        try:
            async with asyncio.timeout(_REPLY_WITHIN), open_dbus_router("SESSION") as router:
                return await _service_on_bus(router)
        except (OSError, EOFError, KeyError, ValueError, TimeoutError, DBusErrorResponse) as error:
            # KeyError: no DBUS_SESSION_BUS_ADDRESS, so there is no session bus at all.
            _log.info("no desktop notification service found: %s", error)
            return False
        except Exception:
            _log.exception("looking for a desktop notification service failed")
            return False

    async def show(self, title: str, body: str) -> int | None:
        """`send`, once the first call has found a notification service; None while there is none."""
        if self._service_found is None:
            self._service_found = await self.available()
        if not self._service_found:
            _log.debug("no desktop notification service, so no notification: %s", title)
            return None
        return await self.send(title, body)

    async def send(self, title: str, body: str) -> int | None:
        """Show one notification and return the id the service gave it; None when it failed (logged)."""
        if not _HAVE_JEEPNEY:
            _log.info("no D-Bus support here, so no desktop notification: %s", title)
            return None
        from jeepney import DBusAddress, new_method_call
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

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


def open_dbus_router(bus: str) -> AbstractAsyncContextManager[DBusRouter]:
    """jeepney's router on `bus` ("SESSION"), to be used in `async with`."""
    from jeepney.io.asyncio import open_dbus_router as open_router

    router: AbstractAsyncContextManager[DBusRouter] = open_router(bus)  # jeepney's is untyped
    return router


async def _service_on_bus(router: DBusRouter) -> bool:
    from jeepney.bus_messages import message_bus
    from jeepney.wrappers import unwrap_msg

    owned = unwrap_msg(await router.send_and_get_reply(message_bus.NameHasOwner(SERVICE)))
    if owned[0]:
        return True
    # Many services (dunst, xfce4-notifyd) are started by the bus on the first notification.
    names = unwrap_msg(await router.send_and_get_reply(message_bus.ListActivatableNames()))
    return SERVICE in names[0]
