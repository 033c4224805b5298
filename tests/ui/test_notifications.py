"""Desktop notifications: `DesktopNotifications` and the app's `DesktopNotifier` against a real
`org.freedesktop.Notifications` service.

The service is a separate process on the private session bus of `scripts/desktop-session`, written
with QtDBus. Like the notification services of GNOME, Plasma and dunst it refuses a `Notify` whose
signature is not the specification's; it prints each notification it accepts as a JSON line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
from jeepney.wrappers import unwrap_msg

from ringdesk.desktop import notifications as notifications_module
from ringdesk.desktop.notifications import SERVICE, TIMEOUT_MS, DesktopNotifications
from ringdesk.resources import icon_file
from ringdesk.ui.desktop_notifier import DesktopNotifier
from ringdesk.ui.viewmodels.tray import Notification, NotificationKind

SIGNATURE = "susssasa{sv}i"

# The service: `python -c SERVICE_PROGRAM [refusal]`. With a refusal it answers every Notify with an error.
SERVICE_PROGRAM = r"""
import json, sys
from PySide6.QtCore import QCoreApplication
from PySide6.QtDBus import QDBusConnection, QDBusVirtualObject

NAME = "org.freedesktop.Notifications"
SIGNATURE = "susssasa{sv}i"
refusal = sys.argv[1] if len(sys.argv) > 1 else ""


class Service(QDBusVirtualObject):
    count = 0

    def introspect(self, path):
        return ""

    def handleMessage(self, message, connection):
        if message.interface() != NAME or message.member() != "Notify":
            reply = message.createErrorReply("org.freedesktop.DBus.Error.UnknownMethod", message.member())
        elif message.signature() != SIGNATURE:
            wrong = "expected " + SIGNATURE + ", got " + message.signature()
            reply = message.createErrorReply("org.freedesktop.DBus.Error.InvalidArgs", wrong)
        elif refusal:
            reply = message.createErrorReply("org.freedesktop.Notifications.Error", refusal)
        else:
            Service.count += 1
            app, replaces, icon, title, body, actions, _hints, timeout = message.arguments()
            print(json.dumps([app, replaces, icon, title, body, actions, timeout]), flush=True)
            reply = message.createReply(40 + Service.count)
        connection.send(reply)
        return True


app = QCoreApplication([])
bus = QDBusConnection.sessionBus()
service = Service()
if not (bus.registerVirtualObject("/org/freedesktop/Notifications", service) and bus.registerService(NAME)):
    sys.exit("could not register " + NAME)
print("ready", flush=True)
app.exec()
"""


class NotificationService:
    def __init__(self, refusal: str = "") -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVICE_PROGRAM, refusal], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"

    def next_notification(self) -> list[Any]:
        """What the service received (app, replaces_id, icon, title, body, actions, timeout)."""
        assert self.process.stdout is not None
        line: list[Any] = json.loads(self.process.stdout.readline())
        return line

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def activatable() -> bool:
    connection = open_dbus_connection("SESSION")
    try:
        names = unwrap_msg(connection.send_and_get_reply(message_bus.ListActivatableNames(), timeout=2))[0]
    finally:
        connection.close()
    return SERVICE in names


@pytest.fixture
def service() -> Iterator[NotificationService]:
    running = NotificationService()
    yield running
    running.stop()


async def test_a_notification_reaches_the_service_with_title_body_and_icon(
    service: NotificationService,
) -> None:
    assert DesktopNotifier.available()
    notifications = DesktopNotifications()
    assert await notifications.available()
    notifier = DesktopNotifier(notifications)
    task = notifier.notify(Notification("Connected", "+1 650-555-1234", NotificationKind.CONNECTED))
    assert await asyncio.wait_for(task, 10) == 41
    icon = icon_file("ringdesk")
    assert icon is not None
    assert service.next_notification() == [
        "RingDesk",
        0,
        icon.as_uri(),
        "Connected",
        "+1 650-555-1234",
        [],
        TIMEOUT_MS,
    ]
    # The next one replaces it, so the desktop keeps only the latest news about calls.
    assert await notifications.send("Call ended", "+1 650-555-1234 \N{MIDDLE DOT} 02:13") == 42
    replaced = service.next_notification()
    assert replaced[1] == 41
    assert replaced[3:5] == ["Call ended", "+1 650-555-1234 \N{MIDDLE DOT} 02:13"]


async def test_a_refusal_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    refusing = NotificationService("Too many notifications")
    try:
        with caplog.at_level(logging.WARNING, logger="ringdesk.desktop.notifications"):
            assert await DesktopNotifications().send("Call failed", "The line was busy.") is None
    finally:
        refusing.stop()
    assert "Too many notifications" in caplog.text


async def test_without_the_service_nothing_is_available_and_nothing_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    if activatable():
        pytest.skip("this machine's session bus starts a notification service of its own")
    notifications = DesktopNotifications()
    assert not await notifications.available()
    # Asked before the first notification, the bus says there is no service: nothing is sent.
    with caplog.at_level(logging.WARNING, logger="ringdesk.desktop.notifications"):
        assert await notifications.show("Connected", "+1 650-555-1234") is None
    assert "did not show" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="ringdesk.desktop.notifications"):
        assert await notifications.send("Connected", "+1 650-555-1234") is None
    assert "org.freedesktop.DBus.Error.ServiceUnknown" in caplog.text


async def test_without_a_session_bus_nothing_is_available_and_nothing_raises(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    assert not DesktopNotifier.available()
    assert not await DesktopNotifications().available()
    with caplog.at_level(logging.WARNING, logger="ringdesk.desktop.notifications"):
        assert await DesktopNotifications().send("Connected", "+1 650-555-1234") is None
    assert "did not show the notification 'Connected'" in caplog.text


def test_the_start_up_check_never_calls_the_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    # The app asks at start-up, before the first frame: a bus that hangs must not hold the window up.
    def no_bus(*_args: Any) -> Any:
        raise AssertionError("the start-up check called the bus")

    monkeypatch.setattr(notifications_module, "open_dbus_router", no_bus)
    assert DesktopNotifier.available()
