"""Requests from outside the window (links, `ringdesk dial`, the highlighted text, show, quit),
handled by `IncomingRequestsViewModel` with the real dialer view model and a fake call service.

The whole way, from a second process over the socket into the running app, is in test_links_app.py.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ringdesk.calls.state import next_state
from ringdesk.config import DialerSettings
from ringdesk.desktop.instance import Reply, Request
from ringdesk.platforms.ringcentral.models import RingOutStatus
from ringdesk.platforms.ringcentral.progress import progress_from_ringout
from ringdesk.qtasync import Application
from ringdesk.ui.viewmodels.dialer import DialerViewModel
from ringdesk.ui.viewmodels.incoming import AUTO_CALL_SECONDS, NOTHING_HIGHLIGHTED, IncomingRequestsViewModel
from ringdesk.ui.viewmodels.tray import Notification, NotificationKind
from tests.fakes import FakeService, loop_spawn, until
from tests.ui.doubles import owner

pytestmark = pytest.mark.viewmodels

MOBILE = DialerSettings(forwarding_number_id="733152008", phone_number="+16505550122", phone_label="Mobile")


class Clock:
    """The dialer's clock, moved by hand so a countdown passes without waiting it out."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Outside:
    """What the view model asks of the app, and what it told it."""

    def __init__(self, vm: IncomingRequestsViewModel) -> None:
        self.shown = 0
        self.quits = 0
        self.messages: list[str] = []
        self.notifications: list[Notification] = []
        vm.show_requested.connect(self._show)
        vm.quit_requested.connect(self._quit)
        vm.message.connect(self.messages.append)
        vm.notify.connect(self.notifications.append)

    def _show(self) -> None:
        self.shown += 1

    def _quit(self) -> None:
        self.quits += 1


class Setup:
    def __init__(
        self, *, signed_in: bool = True, phone: DialerSettings = MOBILE, call_at_once: bool = False
    ) -> None:
        self.clock = Clock()
        self.service = FakeService()
        self.selection = ""
        self.window_shown = True
        self.dialer = DialerViewModel(
            parent=owner(),
            preferences=phone,
            service=self.service if signed_in else None,
            signed_in=signed_in,
            spawn=loop_spawn,
            clock=self.clock,
        )
        self.vm = IncomingRequestsViewModel(
            self.dialer,
            read_selection=lambda: self.selection,
            window_shown=lambda: self.window_shown,
            call_at_once=call_at_once,
            parent=self.dialer,
        )
        self.outside = Outside(self.vm)

    def sign_in(self) -> None:
        self.dialer.set_signed_in(True)
        self.dialer.set_service(self.service)

    async def pass_countdown(self) -> None:
        """Move the clock past the countdown and let the dialer's once-a-second timer see it."""
        self.clock.now += AUTO_CALL_SECONDS
        await until(lambda: self.dialer.view.auto_call_in == 0, within=3, what="countdown over")
        await asyncio.sleep(0.05)


async def test_a_link_fills_the_number_and_brings_the_window_forward(qtbot: QtBot) -> None:
    s = Setup()
    reply = await s.vm.handle(Request.dial("tel:+1-650-555-1234"))
    assert reply == Reply(True, "RingDesk has +1 650-555-1234 ready to call.")
    assert s.dialer.view.text == "+16505551234"
    assert s.dialer.view.preview == "+1 650-555-1234, United States"
    assert s.dialer.view.call_enabled and s.dialer.view.call_label == "Call"
    assert s.outside.shown == 1
    assert s.vm.pending is None
    assert s.dialer.view.auto_call_in == 0  # filled in, not called
    assert s.service.placed == []


async def test_a_link_before_sign_in_waits_and_is_called_once_after_it(qtbot: QtBot) -> None:
    s = Setup(signed_in=False, call_at_once=True)
    reply = await s.vm.handle(Request.dial("tel:%2B1-650-555-1234"))
    assert reply == Reply(True, "RingDesk shows +1 650-555-1234 and can call it once you are signed in.")
    # Shown at once, so the person sees what was asked; nothing counts down yet.
    assert s.dialer.view.text == "+16505551234"
    assert s.dialer.view.call_label == "Sign in to call"
    assert s.dialer.view.auto_call_in == 0
    assert s.vm.pending == "+16505551234"

    s.sign_in()
    assert s.vm.pending is None
    assert s.dialer.view.auto_call_in == AUTO_CALL_SECONDS
    assert s.dialer.view.call_label == f"Calling in {AUTO_CALL_SECONDS} s\N{HORIZONTAL ELLIPSIS}"
    await s.pass_countdown()
    await until(lambda: len(s.service.placed) == 1, what="the call placed")
    assert s.service.placed[0][0].e164 == "+16505551234"
    # Later changes of the dialer (the call's own, a sign-in again) never place it twice.
    s.dialer.set_signed_in(True)
    s.dialer.set_service(s.service)
    await asyncio.sleep(0.1)
    assert len(s.service.placed) == 1


async def test_a_link_before_a_phone_is_chosen_waits_for_the_choice(qtbot: QtBot) -> None:
    s = Setup(phone=DialerSettings())
    reply = await s.vm.handle(Request.dial("callto://+442079460958"))
    assert reply == Reply(
        True,
        "RingDesk shows +44 20 7946 0958 and can call it once you have chosen the phone that rings first.",
    )
    assert s.outside.shown == 1
    s.dialer.set_preferences(MOBILE)
    assert s.vm.pending is None
    assert s.outside.shown == 2  # forward again, with the keyboard on Call
    assert s.dialer.view.call_enabled


async def test_a_newer_link_replaces_the_waiting_one_and_typing_takes_over(qtbot: QtBot) -> None:
    s = Setup(signed_in=False, call_at_once=True)
    await s.vm.handle(Request.dial("tel:+16505551234"))
    await s.vm.handle(Request.dial("tel:+16505559876"))
    assert s.vm.pending == "+16505559876"
    assert s.dialer.view.text == "+16505559876"
    s.dialer.set_text("+1650555987")  # the person edits the number
    assert s.vm.pending is None
    s.sign_in()
    assert s.dialer.view.auto_call_in == 0  # nothing counts down
    assert s.service.placed == []


async def test_during_a_call_the_link_waits_for_its_end(qtbot: QtBot) -> None:
    s = Setup()
    s.dialer.set_text("+16505550000")
    assert s.dialer.call()
    await until(lambda: s.dialer.call_vm.call is not None, what="call bound")
    reply = await s.vm.handle(Request.dial("tel:+16505551234"))
    assert reply == Reply(True, "RingDesk fills in +1 650-555-1234 when the current call ends.")
    assert s.dialer.view.text == "+16505550000"
    assert s.outside.shown == 0

    call = s.service.calls[0]
    call.publish(
        next_state(
            call.state,
            progress_from_ringout(RingOutStatus("1", "Finished", "Finished", "Finished")),
            play_prompt=False,
            now=time.time(),
            call_control=True,
        )
    )
    await until(lambda: s.dialer.view.text == "+16505551234", what="the number filled in")
    assert not s.dialer.call_vm.view.shown  # the ended call's card gave way to the pad
    assert s.outside.shown == 1
    assert len(s.service.placed) == 1


async def test_call_at_once_counts_down_and_esc_stops_it(qtbot: QtBot) -> None:
    s = Setup(call_at_once=True)
    reply = await s.vm.handle(Request.dial("tel:+16505551234"))
    assert reply == Reply(True, "RingDesk calls +1 650-555-1234 in 3 seconds unless you cancel.")
    assert s.dialer.view.auto_call_in == AUTO_CALL_SECONDS
    s.dialer.escape()
    assert s.dialer.view.auto_call_in == 0
    assert s.dialer.view.text == "+16505551234"  # Esc stops the countdown; the number stays
    s.clock.now += 10
    await asyncio.sleep(1.2)
    assert s.service.placed == []


async def test_call_at_once_with_the_window_hidden_says_so_in_a_notification(qtbot: QtBot) -> None:
    s = Setup(call_at_once=True)
    s.window_shown = False
    await s.vm.handle(Request.dial("tel:+16505551234"))
    assert s.outside.shown == 0  # the person stays where they are
    assert s.outside.notifications == [
        Notification("Calling +1 650-555-1234 in 3 s", "Open RingDesk to cancel.", NotificationKind.LINK)
    ]
    await s.pass_countdown()
    await until(lambda: len(s.service.placed) == 1, what="the call placed")


@pytest.mark.parametrize(
    ("link", "sentence"),
    [
        ("tel:", "That link holds no phone number."),
        ("mailto:dana@example.com", "RingDesk opens tel:, callto: and sip: links only."),
        (
            "sip:alice@example.com",
            "That link is for alice, not a phone number; RingDesk can call phone numbers only.",
        ),
    ],
)
async def test_a_link_without_a_number_is_refused_and_nothing_is_dialled(
    qtbot: QtBot, link: str, sentence: str
) -> None:
    s = Setup(call_at_once=True)
    s.dialer.set_text("+16505550000")
    s.window_shown = False
    reply = await s.vm.handle(Request.dial(link))
    assert reply == Reply(False, sentence)
    assert s.outside.messages == [sentence]
    assert s.outside.notifications == [
        Notification("RingDesk cannot call that", sentence, NotificationKind.LINK)
    ]
    assert s.dialer.view.text == "+16505550000"
    assert s.vm.pending is None
    assert s.dialer.view.auto_call_in == 0
    assert s.service.placed == []


async def test_a_number_not_in_use_is_refused_once_the_country_is_known(qtbot: QtBot) -> None:
    s = Setup(call_at_once=True)
    reply = await s.vm.handle(Request.dial("tel:+1-650-555"))
    assert reply == Reply(False, "That is not a complete phone number for the United States.")
    assert s.dialer.view.preview == "That is not a complete phone number for the United States."
    assert s.dialer.view.auto_call_in == 0


async def test_the_highlighted_text_is_read_when_asked(qtbot: QtBot) -> None:
    s = Setup()
    reply = await s.vm.handle(Request("dial-selection"))
    assert reply == Reply(False, NOTHING_HIGHLIGHTED)
    s.selection = "Call me on (650) 555-1234 ext. 7 \n"
    reply = await s.vm.handle(Request("dial-selection"))
    assert reply == Reply(True, "RingDesk has +1 650-555-1234 ready to call.")
    assert s.dialer.view.text == "6505551234x7"


async def test_show_and_quit_reach_the_app(qtbot: QtBot) -> None:
    s = Setup()
    assert await s.vm.handle(Request("show")) == Reply(True, "RingDesk's window is shown.")
    assert await s.vm.handle(Request("quit")) == Reply(True, "RingDesk is quitting.")
    assert (s.outside.shown, s.outside.quits) == (1, 1)


def test_links_the_system_opens_the_app_with_wait_for_their_handler(qapp: QApplication) -> None:
    """macOS hands a clicked link to the running app as a QFileOpenEvent, maybe before the app is
    ready for it."""
    assert isinstance(qapp, Application)
    got: list[str] = []
    try:
        QApplication.sendEvent(qapp, QFileOpenEvent(QUrl("tel:+16505551234")))
        qapp.set_link_handler(got.append)
        QApplication.sendEvent(qapp, QFileOpenEvent(QUrl("callto:+442079460958")))
        QApplication.sendEvent(qapp, QFileOpenEvent(QUrl.fromLocalFile("/tmp/a-document.pdf")))
    finally:
        qapp.set_link_handler(None)
    assert got == ["tel:+16505551234", "callto:+442079460958"]
