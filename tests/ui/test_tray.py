"""The tray: its view model (states, clipboard, recent numbers, notifications) and the real icon.

The view model is driven through a real `DialerViewModel` whose RingOut service is a small fake (the
same names and signatures as the real one), so calls go through the same states as in the app. The
icon is tested in a real XEmbed system tray: `trayer` runs on the test's X screen, which is the tray
Qt's xcb platform docks into when no StatusNotifierWatcher is on the session bus.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QSystemTrayIcon, QWidget
from pytestqt.qtbot import QtBot

from ringdesk.auth.session import SessionState, SessionStatus
from ringdesk.calls.state import CallState, next_state, placing_state
from ringdesk.config import DialerSettings, GeneralSettings
from ringdesk.errors import NetworkError
from ringdesk.numbers import format_for_display
from ringdesk.platforms.base import Identity
from ringdesk.platforms.ringcentral.models import RingOutStatus
from ringdesk.platforms.ringcentral.progress import progress_from_ringout
from ringdesk.ui.viewmodels.dialer import DialerViewModel, RecentNumber
from ringdesk.ui.viewmodels.session import SessionViewModel
from ringdesk.ui.viewmodels.tray import (
    Notification,
    NotificationKind,
    TrayState,
    TrayViewModel,
)
from ringdesk.ui.widgets.tray import TrayIcon
from tests.fakes import FakeCall, FakeService, FakeSession, no_spawn, until
from tests.ui.doubles import owner

MOBILE = DialerSettings(forwarding_number_id="733152008", phone_number="+16505550122", phone_label="Mobile")
SIGNED_IN = SessionStatus(SessionState.SIGNED_IN, Identity("1", "2", "101", "Dana Operator"), None, True)
SIGNED_OUT = SessionStatus(SessionState.SIGNED_OUT, None, None, True)
NUMBER = "+1 650-555-1234"


# --------------------------------------------------------------------------- fakes and helpers


def recent(*numbers: str) -> list[RecentNumber]:
    return [RecentNumber(number, format_for_display(number)) for number in numbers]


def ringing() -> CallState:
    return next_state(
        placing_state(NUMBER),
        progress_from_ringout(RingOutStatus("1", "InProgress", "InProgress", "InProgress")),
        play_prompt=False,
        now=1000.0,
        call_control=True,
    )


def connected(at: float = 1000.0) -> CallState:
    return next_state(
        ringing(),
        progress_from_ringout(RingOutStatus("1", "Success", "Success", "Success")),
        play_prompt=False,
        now=at,
        call_control=True,
    )


def ended(connected_at: float, seconds: float) -> CallState:
    return next_state(
        connected(connected_at),
        progress_from_ringout(RingOutStatus("1", "Finished", "Finished", "Finished")),
        play_prompt=False,
        now=connected_at + seconds,
        call_control=True,
    )


def busy() -> CallState:
    return next_state(
        ringing(),
        progress_from_ringout(RingOutStatus("1", "InProgress", "Success", "Busy")),
        play_prompt=False,
        now=1001.0,
        call_control=True,
    )


def cancelled() -> CallState:
    return next_state(
        ringing(), None, gone=True, cancelled=True, play_prompt=False, now=1002.0, call_control=True
    )


class Setup:
    """A tray view model on a signed-in session and a dialer with a fake service."""

    def __init__(
        self,
        *,
        spawn: Any = None,
        service: FakeService | None = None,
        general: GeneralSettings | None = None,
        clipboard: str | None = None,
    ) -> None:
        parent = owner()
        self.service = service or FakeService()
        self.session = SessionViewModel(parent=parent)
        self.session.show_status(SIGNED_IN)
        self.dialer = DialerViewModel(
            parent=parent, preferences=MOBILE, service=self.service, signed_in=True, spawn=spawn
        )
        self.window_active = False
        self.clipboard = clipboard
        self.vm = TrayViewModel(
            self.session,
            self.dialer,
            general or GeneralSettings(),
            window_active=lambda: self.window_active,
            clipboard_text=(lambda: self.clipboard or "") if clipboard is not None else None,
            parent=parent,
        )
        self.notes: list[Notification] = []
        self.vm.notify.connect(self.notes.append)
        self.show_requests: list[bool] = []
        self.vm.show_hide_requested.connect(self.show_requests.append)

    async def place(self) -> FakeCall:
        self.dialer.set_text("6505551234")
        assert self.dialer.call()
        await until(lambda: self.dialer.call_vm.call is not None)
        return self.service.calls[-1]

    async def publish(self, call: FakeCall, state: CallState) -> None:
        call.publish(state)
        await until(lambda: self.dialer.call_vm.view.phase is state.phase)


# --------------------------------------------------------------------------- the view model


@pytest.mark.viewmodels
def test_signed_out_signing_in_and_ready(qtbot: QtBot) -> None:
    s = Setup(spawn=no_spawn)
    assert s.vm.view.state is TrayState.READY
    assert s.vm.view.tooltip == "RingDesk: ready"
    assert s.vm.view.signed_in and s.vm.view.can_sign_out and not s.vm.view.can_sign_in
    assert s.vm.view.can_call

    s.session.show_status(SIGNED_OUT)
    s.dialer.set_signed_in(False)
    view = s.vm.view
    assert view.state is TrayState.SIGNED_OUT
    assert view.tooltip == "RingDesk: signed out"
    assert view.can_sign_in and not view.can_sign_out and not view.can_call

    s.session.show_status(SessionStatus(SessionState.SIGNING_IN, None, None, True))
    assert s.vm.view.state is TrayState.SIGNED_OUT
    assert s.vm.view.tooltip == "RingDesk: signing in\N{HORIZONTAL ELLIPSIS}"
    assert not s.vm.view.can_sign_in


@pytest.mark.viewmodels
def test_while_ringdesk_starts_the_tray_says_so_not_signed_out(qtbot: QtBot) -> None:
    parent = owner()
    session = SessionViewModel(starting=True, parent=parent)
    dialer = DialerViewModel(parent=parent, preferences=MOBILE, spawn=no_spawn)
    vm = TrayViewModel(session, dialer, GeneralSettings(), window_active=lambda: False, parent=parent)
    assert vm.view.tooltip == "RingDesk: starting\N{HORIZONTAL ELLIPSIS}"
    assert not vm.view.can_sign_in


@pytest.mark.viewmodels
async def test_in_a_call_the_state_and_tooltip_name_the_number(qtbot: QtBot) -> None:
    s = Setup()
    call = await s.place()
    assert s.vm.view.state is TrayState.IN_CALL
    assert s.vm.view.tooltip == f"RingDesk: calling {NUMBER}\N{HORIZONTAL ELLIPSIS}"
    assert not s.vm.view.can_call
    await s.publish(call, connected(time.time()))
    assert s.vm.view.tooltip == f"RingDesk: in a call with {NUMBER}"
    await s.publish(call, ended(time.time() - 5, 5))
    assert s.vm.view.state is TrayState.READY
    assert s.vm.view.tooltip == "RingDesk: ready"
    s.dialer.close()


@pytest.mark.viewmodels
def test_show_hide_follows_the_window(qtbot: QtBot) -> None:
    s = Setup(spawn=no_spawn)
    assert s.vm.view.show_hide_label == "Show RingDesk"
    s.vm.toggle_window()
    s.vm.set_window_visible(True)
    assert s.vm.view.show_hide_label == "Hide RingDesk"
    s.vm.toggle_window()
    assert s.show_requests == [True, False]


@pytest.mark.parametrize(
    ("copied", "label"),
    [
        ("Mobile: (650) 555-1234\n", f"Call {NUMBER} from the clipboard"),
        ("tel:+1-650-555-1234;ext=12", f"Call {NUMBER} ext. 12 from the clipboard"),
        ("+44 20 7946 0000", "Call +44 20 7946 0000 from the clipboard"),
        ("650555", "No number on the clipboard"),
        ("See you at the meeting", "No number on the clipboard"),
        ("", "No number on the clipboard"),
    ],
)
@pytest.mark.viewmodels
def test_the_clipboard_item_reads_the_real_clipboard(qtbot: QtBot, copied: str, label: str) -> None:
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("nothing to call")
    s = Setup(spawn=no_spawn)
    assert s.vm.view.clipboard_label == "No number on the clipboard"
    clipboard.setText(copied)
    # Read when the menu is about to open, not before.
    assert s.vm.view.clipboard_label == "No number on the clipboard"
    s.vm.refresh_clipboard()
    assert s.vm.view.clipboard_label == label
    assert s.vm.view.clipboard_enabled is (label != "No number on the clipboard")


@pytest.mark.viewmodels
def test_the_clipboard_item_is_disabled_while_calling_is_not_possible(qtbot: QtBot) -> None:
    s = Setup(spawn=no_spawn, clipboard="650 555 1234")
    assert s.vm.view.clipboard_enabled
    s.session.show_status(SIGNED_OUT)
    s.dialer.set_signed_in(False)
    assert s.vm.view.clipboard_label == f"Call {NUMBER} from the clipboard"
    assert not s.vm.view.clipboard_enabled


@pytest.mark.viewmodels
async def test_calling_the_clipboard_pastes_calls_and_shows_the_window(qtbot: QtBot) -> None:
    s = Setup(clipboard="Reach me on (650) 555-1234.")
    s.dialer.set_text("999")
    s.vm.refresh_clipboard()
    assert s.vm.call_clipboard()
    assert s.show_requests == [True]
    assert s.dialer.view.text == "6505551234"
    await until(lambda: s.service.placed)
    assert s.service.placed[0][0].e164 == "+16505551234"
    s.clipboard = "no number"
    assert not s.vm.call_clipboard()
    assert s.vm.view.clipboard_label == "No number on the clipboard"
    s.dialer.close()


@pytest.mark.viewmodels
async def test_recent_numbers_up_to_eight_and_redial(qtbot: QtBot) -> None:
    s = Setup()
    numbers = [f"+1650555{1200 + i}" for i in range(10)]
    s.dialer.show_recent(recent(*numbers))
    shown = s.vm.view.recent
    assert [r.number for r in shown] == numbers[:8]
    assert shown[0].display == "+1 650-555-1200"
    assert s.vm.redial(numbers[3])
    assert s.show_requests == [True]
    await until(lambda: s.service.placed)
    assert s.service.placed[0][0].e164 == numbers[3]
    s.dialer.close()


@pytest.mark.viewmodels
async def test_sign_in_sign_out_and_quit(qtbot: QtBot) -> None:
    s = Setup(spawn=no_spawn)
    session = FakeSession(SIGNED_IN)
    s.session.bind(session)
    s.vm.sign_out()
    await until(lambda: s.vm.view.state is TrayState.SIGNED_OUT)
    assert session.sign_outs == 1
    sign_ins: list[bool] = []
    s.session.sign_in_requested.connect(lambda: sign_ins.append(True))
    s.vm.sign_in()
    assert sign_ins == [True]
    quits: list[bool] = []
    s.vm.quit_requested.connect(lambda: quits.append(True))
    s.vm.quit()
    assert quits == [True]
    s.session.close()


# --------------------------------------------------------------------------- notifications


@pytest.mark.viewmodels
async def test_connected_and_ended_notify_once_each(qtbot: QtBot) -> None:
    s = Setup()
    call = await s.place()
    await s.publish(call, ringing())
    assert s.notes == []
    start = time.time()
    await s.publish(call, connected(start))
    await s.publish(call, connected(start))
    await s.publish(call, ended(start, 133))
    assert s.notes == [
        Notification("Connected", NUMBER, NotificationKind.CONNECTED),
        Notification("Call ended", f"{NUMBER} \N{MIDDLE DOT} 02:13", NotificationKind.ENDED),
    ]
    # The next call notifies again.
    s.dialer.call_vm.new_call()
    call = await s.place()
    await s.publish(call, connected(time.time()))
    assert [n.kind for n in s.notes] == [
        NotificationKind.CONNECTED,
        NotificationKind.ENDED,
        NotificationKind.CONNECTED,
    ]
    s.dialer.close()


@pytest.mark.viewmodels
async def test_a_failed_call_notifies_the_reason(qtbot: QtBot) -> None:
    s = Setup()
    call = await s.place()
    await s.publish(call, busy())
    assert s.notes == [
        Notification("Call failed", "The number you called was busy.", NotificationKind.FAILED)
    ]
    s.dialer.close()


@pytest.mark.viewmodels
async def test_a_call_refused_before_it_rang_notifies_the_sentence(qtbot: QtBot) -> None:
    sentence = "Cannot reach the phone service, so the call was not placed."
    s = Setup(service=FakeService(error=NetworkError(sentence, may_have_reached_server=False)))
    s.dialer.set_text("6505551234")
    assert s.dialer.call()
    await until(lambda: s.notes)
    assert s.notes == [Notification("Call failed", sentence, NotificationKind.FAILED)]
    s.dialer.close()


@pytest.mark.viewmodels
async def test_a_cancelled_call_notifies_nothing(qtbot: QtBot) -> None:
    s = Setup()
    call = await s.place()
    await s.publish(call, ringing())
    await s.publish(call, cancelled())
    await asyncio.sleep(0.1)
    assert s.notes == []
    s.dialer.close()


@pytest.mark.viewmodels
async def test_switched_off_kinds_are_not_notified(qtbot: QtBot) -> None:
    s = Setup(general=GeneralSettings(notify_connected=False, notify_ended=True))
    call = await s.place()
    start = time.time()
    await s.publish(call, connected(start))
    await s.publish(call, ended(start, 65))
    assert [n.kind for n in s.notes] == [NotificationKind.ENDED]
    assert s.notes[0].body == f"{NUMBER} \N{MIDDLE DOT} 01:05"

    s.vm.set_general(GeneralSettings(notify_failed=False))
    s.dialer.call_vm.new_call()
    call = await s.place()
    await s.publish(call, busy())
    await asyncio.sleep(0.1)
    assert [n.kind for n in s.notes] == [NotificationKind.ENDED]
    s.dialer.close()


@pytest.mark.viewmodels
async def test_nothing_is_notified_while_the_window_is_in_front(qtbot: QtBot) -> None:
    s = Setup()
    s.window_active = True
    call = await s.place()
    start = time.time()
    await s.publish(call, connected(start))
    # The person looks away: what was already seen is not notified late.
    s.window_active = False
    await s.publish(call, connected(start))
    assert s.notes == []
    await s.publish(call, ended(start, 10))
    assert [n.kind for n in s.notes] == [NotificationKind.ENDED]
    s.dialer.close()


# --------------------------------------------------------------------------- the tray icon and its menu


def texts(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator() and a.isVisible()]


def test_the_menu_follows_the_view(qtbot: QtBot) -> None:
    s = Setup(spawn=no_spawn, clipboard="(650) 555-1234")
    s.dialer.show_recent(recent("+14155550188", "+16505550101"))
    tray = TrayIcon(s.vm, owner())
    assert texts(tray.menu) == [
        "&Show RingDesk",
        f"&Call {NUMBER} from the clipboard",
        "&Recent numbers",
        "Sign &out",
        "&Quit RingDesk",
    ]
    assert tray.toolTip() == "RingDesk: ready"
    assert tray.clipboard_action.isEnabled()
    assert texts(tray.recent_menu) == ["+1 415-555-0188", "+1 650-555-0101"]
    assert all(a.isEnabled() for a in tray.recent_menu.actions())
    assert not tray.icon().isNull()
    ready_icon = tray.icon().cacheKey()

    s.session.show_status(SIGNED_OUT)
    s.dialer.set_signed_in(False)
    s.vm.set_window_visible(True)
    assert texts(tray.menu)[0] == "&Hide RingDesk"
    assert "Sign &in\N{HORIZONTAL ELLIPSIS}" in texts(tray.menu)
    assert "Sign &out" not in texts(tray.menu)
    assert not tray.clipboard_action.isEnabled()
    assert not any(a.isEnabled() for a in tray.recent_menu.actions())
    assert tray.toolTip() == "RingDesk: signed out"
    assert tray.icon().cacheKey() != ready_icon


def test_the_menu_actions_reach_the_view_model(qtbot: QtBot) -> None:
    s = Setup(spawn=no_spawn, clipboard="nothing")
    s.dialer.show_recent(recent("+14155550188"))
    tray = TrayIcon(s.vm, owner())
    quits: list[bool] = []
    s.vm.quit_requested.connect(lambda: quits.append(True))
    tray.show_hide_action.trigger()
    tray.recent_menu.actions()[0].trigger()
    assert s.show_requests == [True, True]
    assert s.dialer.view.text == "+14155550188"
    tray.quit_action.trigger()
    assert quits == [True]
    assert tray.clipboard_action.text() == "&No number on the clipboard"
    assert not tray.clipboard_action.isEnabled()
    # A left click on the icon shows or hides the window; a double click does not undo it.
    tray.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    tray.activated.emit(QSystemTrayIcon.ActivationReason.DoubleClick)
    assert s.show_requests == [True, True, True]


def test_the_menu_reads_the_clipboard_when_it_opens(qtbot: QtBot) -> None:
    s = Setup(spawn=no_spawn, clipboard="nothing yet")
    tray = TrayIcon(s.vm, owner())
    s.clipboard = "+1 650 555 1234"
    tray.menu.aboutToShow.emit()
    assert tray.clipboard_action.text() == f"&Call {NUMBER} from the clipboard"


# --------------------------------------------------------------------------- a real system tray


def tray_window(tray: QSystemTrayIcon) -> QWidget:
    """The little window Qt docks into an XEmbed tray for `tray`."""
    windows = [
        w for w in QApplication.topLevelWidgets() if w.metaObject().className() == "QSystemTrayIconSys"
    ]
    assert len(windows) == 1, windows
    return windows[0]


def x_ancestors(window_id: int) -> list[str]:
    """The X windows `window_id` sits in, innermost first, as xwininfo names them."""
    names: list[str] = []
    current = hex(window_id)
    while True:
        info = subprocess.run(
            ["xwininfo", "-children", "-id", current], capture_output=True, text=True, check=True
        ).stdout
        root = re.search(r"Root window id: (0x[0-9a-f]+)", info)
        parent = re.search(r"Parent window id: (0x[0-9a-f]+)(.*)", info)
        assert root is not None and parent is not None, info
        if parent.group(1) == root.group(1):
            return names
        current = parent.group(1)
        names.append(current + parent.group(2))


def test_the_icon_docks_in_a_real_tray_and_answers_clicks(
    qtbot: QtBot, tray_host: subprocess.Popen[bytes]
) -> None:
    assert TrayIcon.available()
    s = Setup(spawn=no_spawn, clipboard="(650) 555-1234")
    tray = TrayIcon(s.vm, owner())
    tray.show()
    qtbot.waitUntil(lambda: not tray.geometry().isEmpty(), timeout=5000)
    window = tray_window(tray)
    assert window.isVisible()
    # Embedded: trayer reparented the icon's window into its window named "panel".
    qtbot.waitUntil(lambda: any('"panel"' in name for name in x_ancestors(int(window.winId()))))
    assert tray.geometry().width() <= 24

    QTest.mouseClick(window, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert s.show_requests == [True]

    QTest.mouseClick(window, Qt.MouseButton.RightButton, pos=QPoint(5, 5))
    qtbot.waitUntil(tray.menu.isVisible, timeout=5000)
    assert texts(tray.menu) == [
        "&Show RingDesk",
        f"&Call {NUMBER} from the clipboard",
        "&Recent numbers",
        "Sign &out",
        "&Quit RingDesk",
    ]
    tray.menu.hide()

    s.vm.notify.emit(Notification("Call ended", f"{NUMBER} \N{MIDDLE DOT} 02:13", NotificationKind.ENDED))

    def balloon_texts() -> set[str]:
        return {
            label.text()
            for widget in QApplication.topLevelWidgets()
            if widget.metaObject().className() == "QBalloonTip" and widget.isVisible()
            for label in widget.findChildren(QLabel)
        }

    qtbot.waitUntil(lambda: {"Call ended", f"{NUMBER} \N{MIDDLE DOT} 02:13"} <= balloon_texts(), timeout=5000)
    tray.hide()
