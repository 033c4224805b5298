"""The dialer's widgets and view models without a network: entry, pad, preview, Call, status view.

Small fakes stand in for the RingOut service and its calls (they keep the same names and
signatures); the real service against the real simulator is in test_dialer_app.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from ringdesk.calls.state import (
    CALL_CONTROL_MISSING,
    CallState,
    Phase,
    next_state,
    placing_state,
    unknown_outcome_state,
)
from ringdesk.config import DialerSettings
from ringdesk.errors import RateLimited
from ringdesk.people.directory import CompanyDirectory
from ringdesk.platforms.base import Person, PersonNumber, Phone
from ringdesk.platforms.ringcentral.models import RingOutStatus
from ringdesk.platforms.ringcentral.progress import progress_from_ringout
from ringdesk.qtasync import wait_signal
from ringdesk.ui.viewmodels.call import UNKNOWN_OUTCOME_DETAIL, CallAction, CallViewModel
from ringdesk.ui.viewmodels.dialer import DialerViewModel, RecentNumber, phone_to_ring
from ringdesk.ui.widgets.dialer import DialerWidget
from tests.fakes import FakeService, no_spawn, until
from tests.ui.doubles import owner

MOBILE = DialerSettings(forwarding_number_id="733152008", phone_number="+16505550122", phone_label="Mobile")
DEST = "+1 650-555-1234, United States"


def after(
    previous: CallState,
    statuses: tuple[str, str, str],
    *,
    play_prompt: bool = False,
    now: float | None = None,
    call_control: bool = True,
) -> CallState:
    """`previous` moved on by a RingOut status (call, caller, callee)."""
    return next_state(
        previous,
        progress_from_ringout(RingOutStatus("1", *statuses)),
        play_prompt=play_prompt,
        now=time.time() if now is None else now,
        call_control=call_control,
    )


def ringing(play_prompt: bool = False) -> CallState:
    return after(placing_state("+1 650-555-1234"), ("InProgress",) * 3, play_prompt=play_prompt, now=1000.0)


def connected(call_control: bool = True, at: float = 1000.0) -> CallState:
    return after(ringing(), ("Success",) * 3, now=at, call_control=call_control)


@pytest.fixture
def vm(qtbot: QtBot) -> DialerViewModel:
    return DialerViewModel(
        parent=owner(), preferences=MOBILE, service=FakeService(), signed_in=True, spawn=no_spawn
    )


@pytest.fixture
def widget(qtbot: QtBot, vm: DialerViewModel) -> DialerWidget:
    w = DialerWidget(vm)
    qtbot.addWidget(w)
    w.show()
    return w


# --------------------------------------------------------------------------- entry and preview


def test_a_number_too_wide_for_the_entry_steps_its_font_down(widget: DialerWidget) -> None:
    entry = widget.entry
    widget.resize(420, widget.height())
    QTest.keyClicks(entry, "6505551234")
    large = entry.font().pointSizeF()
    assert entry.property("long") is False
    QTest.keyClicks(entry, " ext. 12345 then 999")
    assert entry.property("long") is True
    assert entry.font().pointSizeF() < large
    entry.clear()
    assert entry.property("long") is False and entry.font().pointSizeF() == large


def test_typing_shows_a_live_preview_and_enables_call(widget: DialerWidget) -> None:
    assert widget.preview.text() == "Type or paste a number, or pick one from Recent."
    assert not widget.call_button.isEnabled()
    QTest.keyClicks(widget.entry, "650555")
    assert widget.preview.text() == "That is not a complete phone number for the United States."
    assert widget.preview.property("problem") == "true"
    assert not widget.call_button.isEnabled()
    assert widget.call_button.toolTip() == "That is not a complete phone number for the United States."
    QTest.keyClicks(widget.entry, "1234")
    assert widget.preview.text() == DEST
    assert widget.preview.property("valid") == "true"
    assert widget.call_button.isEnabled()
    assert widget.call_button.text() == "Call"


@pytest.mark.parametrize(
    ("text", "preview"),
    [
        ("(650) 555-1234 ext. 12", f"{DEST}; key in extension 12 once connected"),
        ("+1 650 555 1234;ext=7", f"{DEST}; key in extension 7 once connected"),
        ("1-800-FLOWERS", "+1 800-356-9377, United States"),
        ("+44 20 7946 0000", "+44 20 7946 0000, United Kingdom"),
        ("*67", "Codes with * or # work only when keyed on a phone; RingOut can call phone numbers only."),
        ("911", "Call 911 from a phone; RingDesk does not place emergency calls."),
    ],
)
def test_preview_texts(widget: DialerWidget, text: str, preview: str) -> None:
    QTest.keyClicks(widget.entry, text)
    assert widget.preview.text() == preview


@pytest.mark.parametrize(
    ("clipboard", "entry"),
    [
        ("\u00a0+1\u2009(650)\u00a0555.1234\n", "+16505551234"),
        ("tel:+1-650-555-1234;ext=12", "+16505551234x12"),
        ("650-555-1234 x 12\r\n", "6505551234x12"),
    ],
)
def test_paste_is_cleaned(widget: DialerWidget, clipboard: str, entry: str) -> None:
    QGuiApplication.clipboard().setText(clipboard)
    widget.entry.setFocus()
    QTest.keySequence(widget.entry, "Ctrl+V")
    assert widget.entry.text() == entry
    assert widget.call_button.isEnabled()
    assert widget.preview.text().startswith(DEST)


@pytest.mark.viewmodels
def test_paste_in_the_view_model_cleans_too(vm: DialerViewModel) -> None:
    vm.paste("Mobile: 650.555.1234\n")
    assert vm.view.text == "6505551234"
    assert vm.view.preview == DEST


def test_dial_pad_keys_and_backspace(widget: DialerWidget, vm: DialerViewModel) -> None:
    for key in "6505551234":
        widget.pad.keys[key].click()
    assert widget.entry.text() == "6505551234"
    assert vm.view.preview == DEST
    widget.backspace_button.click()
    assert widget.entry.text() == "650555123"
    QTest.keyClick(widget.entry, Qt.Key.Key_Backspace)
    assert vm.view.text == "65055512"
    assert (widget.pad.keys["2"].digit.text(), widget.pad.keys["2"].letters.text()) == ("2", "ABC")
    assert widget.pad.keys["#"].accessibleName() == "Key Pound"
    widget.pad.keys["*"].click()
    assert vm.view.text.endswith("*")


def test_esc_clears_the_entry_when_there_is_no_call(widget: DialerWidget) -> None:
    QTest.keyClicks(widget.entry, "6505551234")
    QTest.keyClick(widget.entry, Qt.Key.Key_Escape)
    assert widget.entry.text() == ""


def test_every_control_has_an_accessible_name(widget: DialerWidget) -> None:
    from PySide6.QtWidgets import QAbstractButton, QLineEdit, QListWidget

    controls = (
        widget.findChildren(QAbstractButton)
        + widget.findChildren(QLineEdit)
        + widget.findChildren(QListWidget)
    )
    unnamed = [c for c in controls if c.isVisibleTo(widget) and not c.accessibleName()]
    assert unnamed == []


# --------------------------------------------------------------------------- Call button states


def test_signed_out_the_call_button_says_so_and_recent_still_redials_into_the_entry(qtbot: QtBot) -> None:
    vm = DialerViewModel(parent=owner(), preferences=MOBILE, signed_in=False, spawn=no_spawn)
    w = DialerWidget(vm)
    qtbot.addWidget(w)
    vm.show_recent([RecentNumber("+14155550188", "+1 415-555-0188", "Ended")])
    assert w.call_button.text() == "Sign in to call"
    assert not w.call_button.isEnabled()
    assert w.recent.count() == 1 and w.redial_button.isEnabled()
    w.redial_button.click()
    assert w.entry.text() == "+14155550188"
    assert w.preview.text() == "+1 415-555-0188, United States"
    assert not w.call_button.isEnabled()


def test_without_a_phone_the_call_button_asks_for_one(qtbot: QtBot) -> None:
    vm = DialerViewModel(
        parent=owner(),
        preferences=DialerSettings(),
        service=FakeService(),
        signed_in=True,
        spawn=no_spawn,
    )
    vm.set_text("6505551234")
    assert vm.view.call_label == "Choose a phone"
    assert not vm.view.call_enabled
    assert vm.view.phone_line == "Choose the phone RingDesk rings first."
    widget = DialerWidget(vm)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(vm.phone_picker_requested):
        widget.phone_button.click()


@pytest.mark.viewmodels
def test_countdown_while_the_heavy_budget_is_spent(qtbot: QtBot) -> None:
    service = FakeService(wait=3.2)
    vm = DialerViewModel(parent=owner(), preferences=MOBILE, service=service, signed_in=True, spawn=no_spawn)
    vm.set_text("6505551234")
    assert vm.view.call_label == "Next call in 4 s"
    assert not vm.view.call_enabled
    assert not vm.call()
    service.wait = 2.0
    with qtbot.waitSignal(vm.changed, timeout=3000):
        pass  # the 1 s timer re-reads the service
    assert vm.view.call_label == "Next call in 2 s"
    service.wait = 0.0
    qtbot.waitUntil(lambda: vm.view.call_enabled, timeout=3000)
    assert vm.view.call_label == "Call"


# --------------------------------------------------------------------------- placing calls (qasync loop)


def _call_typed(qtbot: QtBot, number: str) -> tuple[DialerWidget, DialerViewModel, FakeService]:
    """A dialer on a fake service, `number` typed and Enter pressed: the call is being placed."""
    service = FakeService()
    vm = DialerViewModel(parent=owner(), preferences=MOBILE, service=service, signed_in=True)
    w = DialerWidget(vm)
    qtbot.addWidget(w)
    w.show()
    QTest.keyClicks(w.entry, number)
    QTest.keyClick(w.entry, Qt.Key.Key_Return)
    return w, vm, service


async def test_enter_places_the_call_and_the_status_view_follows_it(qtbot: QtBot) -> None:
    w, vm, service = _call_typed(qtbot, "650 555 1234 x12")
    assert w.pages.currentWidget() is w.status_page
    assert w.status_view.headline.text() == "Placing the call\N{HORIZONTAL ELLIPSIS}"
    assert not w.status_view.action_button.isEnabled()
    await until(lambda: vm.call_vm.call is not None)
    ((target, kwargs),) = service.placed
    assert target.e164 == "+16505551234" and target.extension == "12"
    assert isinstance(kwargs["from_"], Phone) and kwargs["from_"].id == "733152008"
    assert kwargs["from_label"] == "Mobile" and kwargs["play_prompt"] is False

    call = service.calls[0]
    changes: list[object] = []
    vm.call_vm.changed.connect(changes.append)
    # A burst of states repaints once.
    call.publish(ringing())
    call.publish(dataclasses.replace(ringing(), notice="Connection trouble; still trying"))
    call.publish(ringing())
    await asyncio.sleep(0.1)
    assert len(changes) == 1
    assert w.status_view.headline.text() == "Calling your phone\N{HORIZONTAL ELLIPSIS}"
    assert w.status_view.detail.text() == "Once connected, key in extension 12 on your phone."
    # The number large, its country under it, and the extension said once, on the details line.
    assert (w.status_view.destination.text(), w.status_view.region.text()) == (
        "+1 650-555-1234",
        "United States",
    )
    assert w.status_view.action_button.text() == "Cancel"

    QTest.keyClick(w.status_view.action_button, Qt.Key.Key_Escape)
    await asyncio.sleep(0.05)
    assert call.cancels == 1
    vm.close()


@pytest.mark.viewmodels
async def test_a_refused_call_shows_its_sentence(qtbot: QtBot) -> None:
    from ringdesk.errors import NetworkError

    service = FakeService(
        error=NetworkError(
            "Cannot reach the phone service, so the call was not placed.", may_have_reached_server=False
        )
    )
    vm = DialerViewModel(parent=owner(), preferences=MOBILE, service=service, signed_in=True)
    vm.set_text("6505551234")
    assert vm.call()
    await asyncio.wait_for(wait_signal(vm.call_vm.finished), 5)
    await asyncio.sleep(0.05)
    view = vm.call_vm.view
    assert view.phase is Phase.FAILED
    assert view.headline == "Cannot reach the phone service, so the call was not placed."
    assert view.action is CallAction.CALL_AGAIN and view.final
    assert not view.can_change_phone  # the network, not the operator's phone


@pytest.mark.viewmodels
async def test_a_rate_limit_before_sending_goes_back_to_the_pad_and_counts_down(qtbot: QtBot) -> None:
    error = RateLimited("Too many calls", retry_after=5.0, group="Heavy", sent=False)
    vm = DialerViewModel(parent=owner(), preferences=MOBILE, service=FakeService(error=error), signed_in=True)
    vm.set_text("6505551234")
    assert vm.call()
    await until(lambda: vm.view.cooldown > 0)
    assert not vm.call_vm.view.shown
    assert vm.view.call_label == "Next call in 5 s"
    vm.close()


# --------------------------------------------------------------------------- the status view


@pytest.mark.viewmodels
def test_connected_without_call_control_explains_the_disabled_hang_up(qtbot: QtBot) -> None:
    now = [1083.0]
    cvm = CallViewModel(parent=owner(), spawn=no_spawn, wall_clock=lambda: now[0])
    cvm.show_state(connected(call_control=False), destination=DEST, your_phone="Mobile, +1 650-555-0122")
    view = cvm.view
    assert view.headline == "Connected 01:23"
    assert view.action is CallAction.HANG_UP
    assert not view.action_enabled
    assert view.action_tooltip == CALL_CONTROL_MISSING
    now[0] = 1084.0
    with qtbot.waitSignal(cvm.changed, timeout=2000):
        pass  # the 1 s timer
    assert cvm.view.headline == "Connected 01:24"


@pytest.mark.viewmodels
def test_press_1_and_ended_views(qtbot: QtBot) -> None:
    cvm = CallViewModel(parent=owner(), spawn=no_spawn)
    state = next_state(
        ringing(True),
        progress_from_ringout(RingOutStatus("1", "InProgress", "Success", "InProgress")),
        play_prompt=True,
        now=1.0,
        call_control=True,
    )
    cvm.show_state(state, destination=DEST)
    assert cvm.view.headline == "Answered: press 1 on your phone"
    assert cvm.view.your_leg == "Answered: press 1"
    ended = after(connected(at=time.time() - 65), ("Finished",) * 3)
    cvm.show_state(ended, destination=DEST)
    assert cvm.view.headline == "Ended"
    assert cvm.view.detail == "The call lasted 01:05."
    assert cvm.view.action_label == "Call again" and cvm.view.final
    with qtbot.waitSignal(cvm.call_again_requested):
        cvm.act()
    with qtbot.waitSignal(cvm.dismissed):
        cvm.new_call()
    assert not cvm.view.shown


@pytest.mark.viewmodels
def test_a_status_ringdesk_does_not_know_is_plain_words_with_the_platforms_word_under_it() -> None:
    cvm = CallViewModel(parent=owner(), spawn=no_spawn)
    failed = after(ringing(False), ("InProgress", "Success", "SomeNewStatus"))
    cvm.show_state(failed, destination=DEST)
    assert cvm.view.headline == "The call did not go through, for a reason RingDesk does not know."
    assert (
        cvm.view.detail
        == "The phone system said \N{LEFT DOUBLE QUOTATION MARK}SomeNewStatus\N{RIGHT DOUBLE QUOTATION MARK}."
    )
    assert cvm.view.their_leg == "Failed"


@pytest.mark.viewmodels
def test_an_unknown_outcome_says_where_to_look(qtbot: QtBot) -> None:
    cvm = CallViewModel(parent=owner(), spawn=no_spawn)
    cvm.show_state(
        unknown_outcome_state(ringing(False), now=time.time(), call_control=True), destination=DEST
    )
    assert cvm.view.headline == "Outcome unknown"
    assert cvm.view.detail == UNKNOWN_OUTCOME_DETAIL
    assert (cvm.view.your_leg, cvm.view.their_leg) == ("Unknown", "Unknown")
    assert cvm.view.action_label == "Call again"


# --------------------------------------------------------------------------- preferences


@pytest.mark.viewmodels
def test_the_chosen_phone_is_rung_by_its_id_and_a_plain_number_by_number() -> None:
    assert phone_to_ring(MOBILE) == Phone(id="733152008", number="+16505550122", label="Mobile")
    other = DialerSettings(phone_number="+16505550155", phone_label="Another number")
    assert phone_to_ring(other) == "+16505550155"


@pytest.mark.viewmodels
def test_the_default_country_decides_how_a_local_number_is_read(qtbot: QtBot, tmp_path: Path) -> None:
    vm = DialerViewModel(parent=owner(), signed_in=True, spawn=no_spawn)
    vm.set_home_region("GB")
    vm.set_text("020 7946 0000")
    assert vm.view.preview == "+44 20 7946 0000, United Kingdom"
    vm.set_preferences(dataclasses.replace(MOBILE, default_country="US"))
    assert vm.view.preview == "That number has too many digits for the United States."
    assert not vm.view.preview_valid


@pytest.mark.viewmodels
async def test_recent_numbers_come_from_the_history_once_each_with_their_extension(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from ringdesk.storage.history import CallHistory

    now = time.time()
    yesterday = date.today() - timedelta(days=1)
    yesterday_noon = datetime(yesterday.year, yesterday.month, yesterday.day, 12).timestamp()
    async with await CallHistory.open(tmp_path / "history.sqlite3") as history:
        for started, destination, extension, state, outcome in (
            (now - 7200, "+16505551234", None, "ended", None),
            (now - 300, "+14155550188", "12", "failed", "The number you called was busy."),
            (now - 10, "+16505551234", None, "cancelled", None),
            (yesterday_noon, "+442079460000", None, "ended", None),
        ):
            record_id = await history.record_attempt(
                platform="ringcentral",
                destination=destination,
                destination_display="",
                extension=extension,
                from_number="+16505550122",
                from_label="Mobile",
                caller_id=None,
                play_prompt=False,
                started_at=started,
            )
            await history.update(record_id, state=state, outcome=outcome)
            if destination.startswith("+44"):
                await history.update(record_id, connected_at=started + 5, ended_at=started + 24)
        clock = [now]
        vm = DialerViewModel(
            parent=owner(), history=history, preferences=MOBILE, signed_in=True, wall_clock=lambda: clock[0]
        )
        vm.refresh_recent()
        await until(lambda: len(vm.view.recent) == 3)
        newest, older, oldest = vm.view.recent
        assert newest.number == "+16505551234" and newest.display == "+1 650-555-1234"
        # How it went in the history's words, and how long ago; the exact time in the tooltip.
        assert newest.detail == "Cancelled \N{MIDDLE DOT} just now"
        assert older.number == "+14155550188x12" and older.display == "+1 415-555-0188 ext. 12"
        assert older.detail == "Failed \N{MIDDLE DOT} 5 min ago"
        assert older.about.endswith("\nThe number you called was busy.")
        assert oldest.detail == "Ended \N{MIDDLE DOT} 00:19 \N{MIDDLE DOT} yesterday"
        clock[0] += 120
        vm._show_recent_records()  # what the minute timer does
        assert vm.view.recent[0].detail == "Cancelled \N{MIDDLE DOT} 2 min ago"
        assert vm.redial(older.number) is False  # no service: the number is in the entry, not called
        assert vm.view.text == "+14155550188x12"
        vm.close()


def test_the_countdown_puts_cancel_where_backspace_was(qtbot: QtBot) -> None:
    vm = DialerViewModel(
        parent=owner(), preferences=MOBILE, service=FakeService(), signed_in=True, spawn=no_spawn
    )
    widget = DialerWidget(vm)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    vm.offer("+16505551234")
    QApplication.processEvents()  # the layout settles
    slot = widget.end_key.geometry()
    vm.offer("+16505551234", call_after=3)
    QApplication.processEvents()
    assert widget.end_key.currentWidget() is widget.cancel_auto_button
    assert widget.call_button.text() == "Calling in 3 s\N{HORIZONTAL ELLIPSIS}"
    assert widget.end_key.geometry() == slot  # nothing moves
    widget.cancel_auto_button.click()
    assert vm.view.auto_call_in == 0
    assert widget.end_key.currentWidget() is widget.backspace_button
    assert widget.call_button.text() == "Call"


# --------------------------------------------------------------------------- keyboard first


def test_digits_typed_anywhere_in_the_dialer_go_into_the_entry(
    widget: DialerWidget, vm: DialerViewModel
) -> None:
    vm.show_recent([RecentNumber("+14155550188", "+1 415-555-0188", "Ended")])
    # The recent list would take them for its type-ahead search, Redial would ignore them.
    for control in (widget.recent, widget.redial_button):
        widget.entry.clear()
        vm.set_text("")
        QTest.keyClicks(control, "650")
        assert widget.entry.text() == "650", control
    QTest.keyClick(widget.redial_button, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert widget.entry.text() == "650"  # a chord is not a digit


async def _connected_call(qtbot: QtBot) -> tuple[DialerWidget, DialerViewModel, FakeService]:
    w, vm, service = _call_typed(qtbot, "6505551234")
    await until(lambda: vm.call_vm.call is not None)
    service.calls[0].publish(connected())
    await until(lambda: w.status_view.action_button.text() == "Hang up")
    return w, vm, service


def _hang_up_question(w: DialerWidget) -> QMessageBox | None:
    boxes = [box for box in w.findChildren(QMessageBox) if box.isVisible()]
    return boxes[0] if boxes else None


async def test_esc_asks_before_hanging_up_a_connected_call(qtbot: QtBot) -> None:
    w, vm, service = await _connected_call(qtbot)
    call = service.calls[0]
    QTest.keyClick(w.status_view.action_button, Qt.Key.Key_Escape)
    question = _hang_up_question(w)
    assert question is not None and question.text() == "Hang up the call?"
    QTest.keyClick(question, Qt.Key.Key_Escape)  # "Stay on the call"
    await asyncio.sleep(0.05)
    assert call.cancels == 0 and _hang_up_question(w) is None

    QTest.keyClick(w.status_view.action_button, Qt.Key.Key_Escape)
    question = _hang_up_question(w)
    assert question is not None
    QTest.keyClick(question, Qt.Key.Key_Return)  # the default: "Hang up"
    await until(lambda: call.cancels == 1)
    vm.close()


async def test_enter_never_hangs_up_and_the_button_hangs_up_at_once(qtbot: QtBot) -> None:
    w, vm, service = await _connected_call(qtbot)
    call, action = service.calls[0], w.status_view.action_button
    # The keyboard rests on the card, not on Hang up: Enter during a call changes nothing.
    assert w.window().focusWidget() is not action
    QTest.keyClick(w.window().focusWidget() or w, Qt.Key.Key_Return)
    await asyncio.sleep(0.05)
    assert call.cancels == 0 and _hang_up_question(w) is None
    # A click on the button is no stray key: it hangs up without a question.
    action.click()
    await until(lambda: call.cancels == 1)
    assert _hang_up_question(w) is None
    vm.close()


async def test_a_call_that_ends_while_hang_up_is_asked_closes_the_question(qtbot: QtBot) -> None:
    w, vm, service = await _connected_call(qtbot)
    QTest.keyClick(w.status_view.action_button, Qt.Key.Key_Escape)
    assert _hang_up_question(w) is not None
    ended = next_state(
        connected(),
        progress_from_ringout(RingOutStatus("1", "Finished", "Finished", "Finished")),
        play_prompt=False,
        now=time.time(),
        call_control=True,
    )
    service.calls[0].publish(ended)
    await until(lambda: _hang_up_question(w) is None)
    assert service.calls[0].cancels == 0
    vm.close()


async def test_change_phone_is_offered_only_when_your_own_phone_failed(qtbot: QtBot) -> None:
    from ringdesk.errors import ApiError

    cvm = CallViewModel(parent=owner(), spawn=no_spawn)
    for statuses, yours in (
        (("CannotReach", "NoAnswer", "InProgress"), True),
        (("CannotReach", "Success", "Busy"), False),
    ):
        failed = next_state(
            ringing(),
            progress_from_ringout(RingOutStatus("1", *statuses)),
            play_prompt=False,
            now=time.time(),
            call_control=True,
        )
        cvm.show_state(failed, destination=DEST)
        assert cvm.view.can_change_phone is yours, statuses
    # A refusal that blames the request's `from` field is about the operator's phone too.
    error = ApiError("That phone cannot be rung.", error_code="CMN-102", parameter_name="from.phoneNumber")
    vm = DialerViewModel(parent=owner(), preferences=MOBILE, service=FakeService(error=error), signed_in=True)
    vm.set_text("6505551234")
    assert vm.call()
    await until(lambda: vm.call_vm.view.final)
    assert vm.call_vm.view.can_change_phone
    with qtbot.waitSignal(vm.phone_picker_requested):
        vm.call_vm.change_phone()
    vm.close()


@pytest.mark.viewmodels
def test_the_company_directory_names_the_preview_and_widens_the_extensions(vm: DialerViewModel) -> None:
    zoe = Person("1", "Zoë Lefèvre", "1200", (PersonNumber("+16505551000", "Direct"),))
    vm.set_company_extensions(["101"])
    vm.set_text("1200")  # four digits: not an extension of a company with three-digit ones
    assert not (vm.target is not None and vm.target.internal)
    vm.set_directory(CompanyDirectory([zoe]))
    assert vm.view.preview == "Extension 1200, Zoë Lefèvre"
    vm.set_text("(650) 555-1000")
    assert vm.view.preview == "+1 650-555-1000, United States, Zoë Lefèvre"
    vm.set_text("(650) 555-1001")
    assert vm.view.preview == "+1 650-555-1001, United States"
    vm.set_directory(None)  # signed out
    vm.set_text("1200")
    assert not (vm.target is not None and vm.target.internal)
