"""The dialer in the whole app, on the qasync loop, against the real simulator.

Signed in silently from a stored JWT (as `tests/ui/test_app.py` does), the test types, clicks and
presses keys on the real widgets and reads what a person would read in the status view.
Simulator timings are slowed a little from `Timings.fast()` so each phase outlives a poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

from ringdesk.app import AppOptions, RingDeskApp
from ringdesk.auth.token_store import TokenStore
from ringdesk.calls.service import UNREACHABLE_WHILE_PLACING
from ringdesk.calls.state import Phase, failure_sentence
from ringdesk.config import (
    DialerSettings,
    load_settings,
    save_settings,
)
from ringdesk.platforms.ringcentral.progress import KNOWN_RINGOUT_STATUSES, leg_from_ringout
from ringdesk.qtasync import wait_signal
from ringdesk.simulator import Simulator, SimulatorControl
from ringdesk.ui.widgets.call_status import CallStatusView
from ringdesk.ui.widgets.history_window import HistoryWindow
from ringdesk.ui.widgets.phone_picker import PhonePickerDialog
from tests.ui.test_app import jwt_settings_file, quit_like_a_person, until, visible
from tests.ui.test_app import running as running_app
from tests.ui.test_app import trouble as trouble  # a fixture: imported so tests here can use it

MOBILE = DialerSettings(forwarding_number_id="733152008", phone_number="+16505550122", phone_label="Mobile")


@pytest.fixture
def calls_fast_enough(sim_control: SimulatorControl) -> SimulatorControl:
    # Each phase lasts several polls (0.1 s apart), and the Light group allows that many polls.
    sim_control.set_timings(caller_ring=0.6, callee_ring=0.6, talk=1.5, gone_after=1.0, auto_press_after=0.3)
    sim_control.set_rate_limits({"Light": 2000}, reset_counters=True)
    return sim_control


@pytest.fixture
def jwt_settings(sim: Simulator, ringdesk_home: Path) -> Path:
    return jwt_settings_file(sim, ringdesk_home)


@pytest.fixture
async def stored_jwt(sim: Simulator) -> AsyncIterator[None]:
    store = TokenStore(sim.base_url, "ringdesk-demo")
    assert store.persistent, "this test needs the Secret Service of scripts/desktop-session"
    await store.save_secret("jwt", sim.scenario.account.users[0].jwt_credential or "")
    yield
    await store.clear()


def store_choice(settings_path: Path, choice: DialerSettings = MOBILE) -> None:
    """The phone picker's choice, as an earlier run saved it in the settings file."""
    stored = load_settings(settings_path, environ={}).settings
    save_settings(replace(stored, dialer=choice), settings_path)


# Apps of these tests are kept until the process ends, as in the real program (one app per
# process). Python's garbage collector may run on any thread (the simulator's, the history's);
# a Qt object with a running timer destroyed there leaves Qt a dangling timer, which crashed
# later tests inside Qt's timer dispatch.
_KEPT_APPS: list[RingDeskApp] = []


@contextlib.asynccontextmanager
async def running(options: AppOptions) -> AsyncIterator[tuple[RingDeskApp, asyncio.Task[int]]]:
    async with running_app(options) as (app, task):
        _KEPT_APPS.append(app)
        yield app, task


def options(path: Path) -> AppOptions:
    return AppOptions(settings_path=path, remember_windows=False, call_poll_interval=0.1)


async def ready_to_dial(app: RingDeskApp) -> None:
    await until(lambda: app.session_vm.view.signed_in, what="signed in")
    await until(
        lambda: app.dialer_vm.view.signed_in and bool(app.connection and app.connection.calls),
        what="dialer ready",
    )


async def history_window_of(app: RingDeskApp) -> HistoryWindow:
    """The history window, once its first opening (a few turns of the loop) has made it."""
    await until(lambda: app.history_window is not None, what="the history window made")
    assert app.history_window is not None
    return app.history_window


def phase(app: RingDeskApp) -> Phase:
    return app.dialer_vm.call_vm.view.phase


async def dial(app: RingDeskApp, text: str) -> None:
    entry = app.dialer.entry
    entry.setFocus()
    QTest.keyClicks(entry, text)
    await until(lambda: app.dialer.call_button.isEnabled(), what="Call enabled")


@pytest.mark.usefixtures("stored_jwt")
async def test_the_first_frame_comes_before_connecting_and_takes_typing_at_once(jwt_settings: Path) -> None:
    store_choice(jwt_settings)
    async with running(options(jwt_settings)) as (app, task):
        first_frame = wait_signal(app.main_window.first_frame_painted)
        await asyncio.wait_for(first_frame, 10)
        # Nothing was opened or connected before the window was on screen.
        assert (app.history, app.connector, app.connection) == (None, None, None)
        QTest.keyClicks(app.dialer.entry, "6505551234")
        assert app.dialer.entry.text() == "6505551234"
        await ready_to_dial(app)
        await until(lambda: app.dialer.call_button.isEnabled(), what="Call enabled for what was typed")
        assert await quit_like_a_person(app, task) == 0


@pytest.mark.usefixtures("stored_jwt", "calls_fast_enough")
async def test_click_call_to_connected_to_ended(
    ringdesk_home: Path, jwt_settings: Path, sim_control: SimulatorControl, trouble: Callable[[], list[str]]
) -> None:
    store_choice(jwt_settings)
    async with running(options(jwt_settings)) as (app, task):
        await ready_to_dial(app)
        # A stored choice: the picker does not open by itself.
        await asyncio.sleep(0.3)
        assert visible(PhonePickerDialog) == []
        dialer = app.dialer
        assert dialer.phone_line.text() == "Rings your Mobile, +1 650-555-0122 first"

        await dial(app, "(650) 555-1234")
        assert dialer.preview.text() == "+1 650-555-1234, United States"
        QTest.mouseClick(dialer.call_button, Qt.MouseButton.LeftButton)

        status = dialer.status_view
        await until(lambda: dialer.pages.currentWidget() is dialer.status_page, what="the status view")
        await until(lambda: phase(app) is Phase.CONNECTED, within=15, what="connected")
        await until(lambda: status.headline.text().startswith("Connected 00:0"), what="painted")
        assert status.your_phone.text() == "Mobile, +1 650-555-0122"
        assert status.their_number.text() == "+1 650-555-1234"
        assert status.your_leg.text() == "Connected" and status.their_leg.text() == "Connected"
        # The simulator grants Call Control to the demo app: Hang up is the one action.
        assert status.action_button.text() == "Hang up" and status.action_button.isEnabled()

        await until(lambda: phase(app) is Phase.ENDED, within=15, what="ended")
        await until(lambda: status.headline.text() == "Ended", what="painted")
        assert status.detail.text().startswith("The call lasted 00:0")
        assert status.action_button.text() == "Call again"
        assert status.new_call_button.isVisible() and not status.change_phone_button.isVisible()

        # The call is in the history, and Recent offers it for redial.
        await until(lambda: dialer.recent.count() == 1, what="recent numbers")
        assert dialer.recent.item(0).text().startswith("+1 650-555-1234")
        assert app.history is not None
        (record,) = await app.history.search("")
        assert record.destination == "+16505551234" and record.state == "ended"

        status.new_call_button.click()
        assert dialer.pages.currentWidget() is dialer.pad_page
        assert await quit_like_a_person(app, task) == 0
    assert trouble() == []


async def failed_call(app: RingDeskApp, number: str, sentence: str) -> CallStatusView:
    """Dial `number` and press Enter; the card once the failure's `sentence` is painted on it."""
    await ready_to_dial(app)
    await dial(app, number)
    QTest.keyClick(app.dialer.entry, Qt.Key.Key_Return)
    await until(lambda: phase(app) is Phase.FAILED, within=15, what="failed")
    status = app.dialer.status_view
    await until(lambda: status.headline.text() == sentence, what="painted")
    return status


@pytest.mark.usefixtures("stored_jwt", "calls_fast_enough")
async def test_a_failure_outcome_shows_its_sentence(
    ringdesk_home: Path, jwt_settings: Path, sim_control: SimulatorControl
) -> None:
    store_choice(jwt_settings)
    sim_control.set_next_outcome("callee", "Busy")
    async with running(options(jwt_settings)) as (app, task):
        status = await failed_call(app, "+1 650 555 1234", "The number you called was busy.")
        assert status.headline.property("tone") == "failed"
        assert status.action_button.text() == "Call again"
        # Enter means Call again only once the end has sunk in: the keyboard rests on the card first.
        assert app.main_window.focusWidget() is status
        await until(lambda: app.main_window.focusWidget() is status.action_button, what="Call again focused")
        # Their phone was busy: another phone of the operator's would not help.
        assert not status.change_phone_button.isVisible()
        # Esc after the end goes back to the pad, with the number still there (selected: typing
        # replaces it, Enter calls it).
        QTest.keyClick(status.action_button, Qt.Key.Key_Escape)
        assert app.dialer.pages.currentWidget() is app.dialer.pad_page
        assert app.dialer.entry.text() == "+1 650 555 1234"
        assert app.dialer.entry.selectedText() == "+1 650 555 1234"
        assert await quit_like_a_person(app, task) == 0


@pytest.mark.usefixtures("stored_jwt", "calls_fast_enough")
async def test_after_a_failure_enter_calls_again_and_typing_starts_the_next_number(
    ringdesk_home: Path, jwt_settings: Path, sim_control: SimulatorControl
) -> None:
    store_choice(jwt_settings)
    sim_control.set_next_outcome("caller", "NoAnswer")
    async with running(options(jwt_settings)) as (app, task):
        status = await failed_call(app, "650 555 1234 x12", "You did not answer your phone.")
        # The operator's own phone failed: another of their phones may do, so it is offered.
        assert status.change_phone_button.isVisible() and status.new_call_button.isVisible()

        # Enter on the card calls the same number again, extension included.
        QTest.keyClick(status.action_button, Qt.Key.Key_Return)
        assert app.dialer_vm.view.text == "+16505551234x12"
        assert "key in extension 12" in status.detail.text()
        await until(lambda: len(sim_control.calls()) == 2, within=15, what="the second RingOut")
        first, again = sim_control.calls()
        assert again["to"] == first["to"] == "+16505551234"
        await until(lambda: phase(app) is Phase.ENDED, within=15, what="the second call ended")
        await until(lambda: status.action_button.text() == "Call again", what="painted")

        # Digits typed on the finished card start the next number at once: nothing is lost.
        QTest.keyClicks(status.action_button, "415")
        assert app.dialer.pages.currentWidget() is app.dialer.pad_page
        assert app.dialer.entry.text() == "415"
        assert app.main_window.focusWidget() is app.dialer.entry
        QTest.keyClicks(app.dialer.entry, "5550188")
        assert app.dialer.preview.text() == "+1 415-555-0188, United States"
        assert await quit_like_a_person(app, task) == 0


@pytest.mark.usefixtures("stored_jwt", "calls_fast_enough")
async def test_an_extension_of_the_company_is_called_by_its_number(
    ringdesk_home: Path, jwt_settings: Path, sim_control: SimulatorControl
) -> None:
    store_choice(jwt_settings)
    async with running(options(jwt_settings)) as (app, task):
        await ready_to_dial(app)
        # Dana is extension 101: three digits alone are a colleague's extension, not a number, and
        # once the company directory has loaded, the preview names whose it is.
        await dial(app, "102")
        await until(lambda: app.dialer.preview.text() == "Extension 102, Sam Second", what="the name")
        assert app.dialer.call_button.isEnabled()
        QTest.keyClick(app.dialer.entry, Qt.Key.Key_Return)
        await until(lambda: phase(app) is Phase.ENDED, within=15, what="the call to ended")
        assert sim_control.calls()[-1]["to"] == "102"
        assert app.dialer.status_view.destination.text() == "Extension 102"
        assert app.history is not None
        (record,) = await app.history.search("")
        assert (record.destination, record.destination_display) == ("102", "Extension 102")
        assert record.state == "ended"
        await until(lambda: app.dialer.recent.count() == 1, what="recent numbers")
        assert app.dialer.recent.item(0).text().startswith("Extension 102")
        assert await quit_like_a_person(app, task) == 0


@pytest.mark.usefixtures("stored_jwt")
async def test_esc_cancels_while_your_phone_rings(
    ringdesk_home: Path, jwt_settings: Path, sim_control: SimulatorControl
) -> None:
    sim_control.set_timings(caller_ring=30.0, callee_ring=1.0, talk=1.0, gone_after=1.0)
    sim_control.set_rate_limits({"Light": 2000}, reset_counters=True)
    store_choice(jwt_settings)
    async with running(options(jwt_settings)) as (app, task):
        await ready_to_dial(app)
        await dial(app, "6505551234")
        QTest.keyClick(app.dialer.entry, Qt.Key.Key_Return)
        status = app.dialer.status_view
        await until(lambda: phase(app) is Phase.CALLING_YOU, within=15, what="calling you")
        await until(
            lambda: status.headline.text() == "Calling your phone\N{HORIZONTAL ELLIPSIS}", what="painted"
        )
        assert status.action_button.text() == "Cancel" and status.action_button.isEnabled()
        assert status.your_leg.text() == "Ringing"

        QTest.keyClick(status.action_button, Qt.Key.Key_Escape)
        await until(lambda: phase(app) is Phase.CANCELLED, within=15, what="cancelled")
        await until(lambda: status.headline.text() == "Cancelled", what="painted")
        assert status.detail.text() == "You cancelled the call."
        assert all(call["state"] != "ringing" for call in sim_control.calls() if "state" in call)
        assert await quit_like_a_person(app, task) == 0


@pytest.mark.usefixtures("stored_jwt", "calls_fast_enough")
async def test_the_call_button_counts_down_when_the_heavy_budget_is_spent(
    ringdesk_home: Path, jwt_settings: Path, sim_control: SimulatorControl
) -> None:
    sim_control.set_rate_limits({"Heavy": 1, "Light": 2000}, window=60, reset_counters=True)
    store_choice(jwt_settings)
    async with running(options(jwt_settings)) as (app, task):
        await ready_to_dial(app)
        dialer = app.dialer
        await dial(app, "6505551234")
        dialer.call_button.click()
        await until(lambda: phase(app).final, within=15, what="the first call to end")
        app.dialer_vm.escape()  # New call
        # The second call is refused before anything is sent: the button counts down instead.
        app.dialer_vm.call()
        pattern = re.compile(r"Next call in (\d+) s")
        await until(lambda: pattern.fullmatch(dialer.call_button.text()) is not None, what="the countdown")
        assert not dialer.call_button.isEnabled()
        first = int(pattern.fullmatch(dialer.call_button.text()).group(1))  # type: ignore[union-attr]
        assert 0 < first <= 60
        await until(
            lambda: (
                (m := pattern.fullmatch(dialer.call_button.text())) is not None and int(m.group(1)) < first
            ),
            within=3,
            what="the countdown to move",
        )
        posts = [
            r for r in sim_control.requests() if r["method"] == "POST" and r["path"].endswith("/ring-out")
        ]
        assert len(posts) == 1, "nothing is sent while the budget is spent"
        assert await quit_like_a_person(app, task) == 0


@pytest.mark.usefixtures("stored_jwt", "calls_fast_enough")
async def test_first_sign_in_shows_the_picker_and_the_choice_is_used(
    ringdesk_home: Path, jwt_settings: Path, sim_control: SimulatorControl
) -> None:
    async with running(options(jwt_settings)) as (app, task):
        await ready_to_dial(app)
        await until(lambda: visible(PhonePickerDialog), what="the phone picker")
        dialog: PhonePickerDialog = visible(PhonePickerDialog)[0]
        await until(lambda: len(dialog.phone_buttons) == 5, what="the phone list")
        texts = [b.text() for b in dialog.phone_buttons.values()]
        assert texts[0] == "Desk phone  \N{MIDDLE DOT}  +1 650-555-0111"
        assert "Front desk  \N{MIDDLE DOT}  +1 650-555-0144" in texts  # a record without type
        assert "Other phone  \N{MIDDLE DOT}  +1 650-555-0155" in texts  # a record without id
        callers = [dialog.caller_id.itemText(i) for i in range(dialog.caller_id.count())]
        # What the person called sees when no number is chosen: the account's RingOut setting.
        assert callers[0] == "Account default: +1 650-555-0101"
        assert "+1 650-555-0101 (direct number)" in callers
        assert dialog.country.currentData() == "US"
        assert app.dialer.call_button.text() == "Choose a phone"

        # A record without an id is rung by its number.
        other = next(b for b in dialog.phone_buttons.values() if b.text().startswith("Other phone"))
        other.click()
        dialog.play_prompt.setChecked(True)
        dialog.save_button.click()
        await until(lambda: not dialog.isVisible(), what="the picker to close")
        stored = load_settings(jwt_settings, environ={}).settings.dialer
        assert stored.forwarding_number_id is None
        assert stored.phone_number == "+16505550155"
        assert stored.play_prompt is True

        await dial(app, "6505551234")
        app.dialer.call_button.click()
        await until(lambda: phase(app) in (Phase.WAITING_FOR_PRESS_1, Phase.CONNECTED), within=15)
        calls = sim_control.calls()
        assert calls and "5550155" in json.dumps(calls[-1])
        assert await quit_like_a_person(app, task) == 0


@pytest.mark.usefixtures("stored_jwt")
async def test_quitting_during_a_call_is_clean_and_the_history_says_so(
    ringdesk_home: Path, jwt_settings: Path, sim_control: SimulatorControl, trouble: Callable[[], list[str]]
) -> None:
    sim_control.set_timings(caller_ring=30.0, callee_ring=1.0, talk=1.0, gone_after=1.0)
    sim_control.set_rate_limits({"Light": 2000}, reset_counters=True)
    store_choice(jwt_settings)
    async with running(options(jwt_settings)) as (app, task):
        await ready_to_dial(app)
        await dial(app, "6505551234")
        app.dialer.call_button.click()
        await until(lambda: phase(app) is Phase.CALLING_YOU, within=15, what="calling you")
        history = app.history
        assert history is not None
        assert await quit_like_a_person(app, task) == 0
        assert app.connection is None and app.history is None
    assert trouble() == []

    from ringdesk.storage.history import CallHistory

    async with await CallHistory.open(ringdesk_home / "data" / "history.sqlite3") as reopened:
        (record,) = await reopened.search("")
    assert record.destination == "+16505551234"
    # Whichever notes it (the call on quit, or the history on the next start), it is not "ringing".
    assert record.outcome in (
        "RingDesk stopped following this call before it ended.",
        "RingDesk closed before this call ended.",
    )


# Every failure the platform reports, on the leg it can happen on, and one status RingDesk does not
# know: each must end in its own sentence on the screen and in the history, never in a crash.
CALLEE_FAILURES = [*sorted(KNOWN_RINGOUT_STATUSES - {"InProgress", "Success", "Finished"}), "CarrierStrike"]
CALLER_FAILURES = ["Busy", "NoAnswer", "Rejected", "InternationalDisabled", "CarrierStrike"]


@pytest.mark.usefixtures("stored_jwt")
async def test_every_failure_outcome_shows_its_sentence_and_is_in_the_history(
    ringdesk_home: Path, jwt_settings: Path, sim_control: SimulatorControl
) -> None:
    sim_control.set_timings(caller_ring=0.3, callee_ring=0.3, talk=1.0, gone_after=1.0)
    # RingOut's own status words, so by polling: push speaks in telephony reasons (tests/core/calls).
    demo_app = sim_control.info()["clients"][0]
    sim_control.set_app_permissions(
        demo_app["clientId"], [p for p in demo_app["permissions"] if p != "WebSocket"]
    )
    cases = [("callee", s) for s in CALLEE_FAILURES] + [("caller", s) for s in CALLER_FAILURES]
    sim_control.set_rate_limits({"Light": 5000, "Heavy": 10 * len(cases)}, reset_counters=True)
    store_choice(jwt_settings)
    async with running(options(jwt_settings)) as (app, task):
        await ready_to_dial(app)
        status = app.dialer.status_view
        await dial(app, "6505551234")
        for leg, outcome in cases:
            sim_control.set_next_outcome(leg, outcome)
            assert app.dialer_vm.call(), f"Call was not possible before {leg} {outcome}"
            await until(lambda: phase(app) is Phase.FAILED, within=15, what=f"{leg} {outcome} to fail")
            failure = leg_from_ringout(outcome).failure
            assert failure is not None
            expected = failure_sentence(leg, failure)
            painted = f"{expected!r} painted"
            await until(lambda e=expected: status.headline.text() == e, within=2, what=painted)
            assert status.headline.property("tone") == "failed"
            assert status.action_button.text() == "Call again"
            assert status.change_phone_button.isVisible() == (leg == "caller"), (leg, outcome)
            assert app.history is not None
            latest = (await app.history.search("", 1))[0]
            assert (latest.state, latest.outcome) == ("failed", expected), (leg, outcome)
            assert (latest.caller_status if leg == "caller" else latest.callee_status) == outcome
            app.dialer_vm.escape()  # New call: back to the pad with the number still there
            await until(lambda: app.dialer.call_button.isEnabled(), what="Call enabled again")
        assert await quit_like_a_person(app, task) == 0


@pytest.mark.usefixtures("stored_jwt")
async def test_a_call_placed_while_the_server_is_unreachable_is_in_the_history_with_its_error(
    ringdesk_home: Path, jwt_settings: Path, sim: Simulator, trouble: Callable[[], list[str]]
) -> None:
    store_choice(jwt_settings)
    async with running(options(jwt_settings)) as (app, task):
        await ready_to_dial(app)
        # Nothing in flight when the server goes: the phone lists load after sign-in.
        await until(lambda: app.picker_vm.view.phones, what="the phone lists")
        await dial(app, "6505551234")
        await asyncio.to_thread(sim.stop)  # the server goes away: connections are refused
        app.dialer.call_button.click()
        status = app.dialer.status_view
        await until(lambda: phase(app) is Phase.FAILED, within=15, what="the call to fail")
        await until(lambda: status.headline.text() == UNREACHABLE_WHILE_PLACING, what="painted")
        assert app.history is not None
        (record,) = await app.history.search("")
        assert record.destination == "+16505551234"
        assert (record.state, record.outcome, record.error_code) == (
            "failed",
            UNREACHABLE_WHILE_PLACING,
            "NetworkError",
        )
        assert record.call_id is None
        assert await quit_like_a_person(app, task) == 0
    assert trouble() == []


@pytest.mark.usefixtures("stored_jwt", "calls_fast_enough")
async def test_the_history_window_follows_a_call_and_calls_it_back_from_the_keyboard(
    ringdesk_home: Path, jwt_settings: Path, sim_control: SimulatorControl
) -> None:
    sim_control.set_rate_limits({"Light": 2000, "Heavy": 20}, reset_counters=True)
    store_choice(jwt_settings)
    async with running(options(jwt_settings)) as (app, task):
        await ready_to_dial(app)
        app.main_window.activateWindow()
        await until(lambda: app.main_window.isActiveWindow(), what="the main window active")
        QTest.keySequence(app.main_window, QKeySequence("Ctrl+H"))
        history = await history_window_of(app)
        await until(lambda: history.isVisible(), what="the history window")
        await until(lambda: "No calls yet" in history.empty.text(), what="the empty history")

        await dial(app, "(650) 555-1234")
        QTest.keyClick(app.dialer.entry, Qt.Key.Key_Return)
        # The open window lists the call while it runs, and its outcome once it is over.
        await until(lambda: history.model.rowCount() == 1, what="the call listed")
        await until(lambda: phase(app) is Phase.ENDED, within=15, what="ended")
        await until(
            lambda: (row := history.model.row_at(0)) is not None and row.outcome.startswith("Ended"),
            what="the outcome listed",
        )
        row = history.model.row_at(0)
        assert row is not None
        assert row.number == "+1 650-555-1234" and row.phone == "Mobile"

        app.dialer_vm.escape()  # back to the pad
        history.activateWindow()
        history.table.setFocus()
        history.table.selectRow(0)
        QTest.keyClick(history.table, Qt.Key.Key_Return)
        await until(lambda: app.dialer_vm.call_vm.busy, what="the call back to start")
        assert app.dialer.entry.text() == "+16505551234"
        await until(lambda: history.model.rowCount() == 2, what="the second call listed")
        assert await quit_like_a_person(app, task) == 0


@pytest.mark.usefixtures("stored_jwt", "calls_fast_enough")
async def test_keyboard_only_an_operators_round(
    ringdesk_home: Path, jwt_settings: Path, sim_control: SimulatorControl, trouble: Callable[[], list[str]]
) -> None:
    """Signed in at start, then only keys: dial, call, call again after a failure, dial an
    extension from the finished card, cancel it, the phone picker and Preferences, the history
    and a call back from it, quit."""
    from PySide6.QtWidgets import QApplication, QWidget

    from ringdesk.ui.widgets.preferences import PreferencesDialog

    store_choice(jwt_settings)
    sim_control.set_next_outcome("callee", "Busy")

    def keys(sequence: str) -> None:
        widget = QApplication.focusWidget()
        assert widget is not None, "something has the keyboard focus"
        QTest.keySequence(widget, QKeySequence(sequence))

    def typed(text: str) -> None:
        widget = QApplication.focusWidget()
        assert widget is not None, "something has the keyboard focus"
        QTest.keyClicks(widget, text)

    async def back_to(window: QWidget) -> None:
        # A window manager hands the focus back to the main window; Xvfb has none.
        window.activateWindow()
        await until(lambda: window.isActiveWindow(), what=f"{window.windowTitle()} active")

    async with running(options(jwt_settings)) as (app, task):
        await ready_to_dial(app)
        window = app.main_window
        await back_to(window)
        # The number field has the focus from the start: typing goes straight in.
        assert QApplication.focusWidget() is app.dialer.entry
        typed("6505551234")
        await until(lambda: app.dialer.call_button.isEnabled(), what="Call enabled")
        keys("Return")
        await until(lambda: phase(app) is Phase.FAILED, within=15, what="busy")
        action = app.dialer.status_view.action_button
        await until(lambda: QApplication.focusWidget() is action, what="Call again to take the keyboard")
        keys("Return")  # Call again
        await until(lambda: len(sim_control.calls()) == 2, within=15, what="the second RingOut")
        await until(lambda: phase(app) is Phase.ENDED, within=15, what="the call again ended")

        # Digits on the finished card start the next number: Dana's colleague, extension 102.
        sim_control.set_timings(caller_ring=30.0, callee_ring=1.0, talk=1.0, gone_after=1.0)
        await until(lambda: app.dialer.status_view.action_button.isEnabled(), what="Call again ready")
        typed("102")
        assert app.dialer.entry.text() == "102" and app.dialer.preview.text().startswith("Extension 102")
        keys("Return")
        await until(lambda: phase(app) is Phase.CALLING_YOU, within=15, what="calling you")
        assert sim_control.calls()[-1]["to"] == "102"
        keys("Esc")  # cancels while your phone rings: no question asked
        await until(lambda: phase(app) is Phase.CANCELLED, within=15, what="cancelled")
        keys("Esc")
        await until(lambda: app.dialer.pages.currentWidget() is app.dialer.pad_page, what="the pad")

        for sequence, kind in (("Ctrl+P", PhonePickerDialog), ("Ctrl+,", PreferencesDialog)):
            keys(sequence)
            await until(lambda k=kind: visible(k), what=f"{sequence} to open its dialog")
            dialog = visible(kind)[0]
            await until(lambda d=dialog: d.isActiveWindow(), what="the dialog active")
            keys("Esc")
            await until(lambda k=kind: not visible(k), what=f"Esc to close {kind.__name__}")
            await back_to(window)

        keys("Ctrl+H")
        history = await history_window_of(app)
        await until(lambda: history.isActiveWindow(), what="the history window active")
        await until(lambda: history.model.rowCount() == 3, what="the three calls listed")
        keys("Return")  # from the search field to the newest call
        row = history.model.row_at(history.table.currentIndex().row())
        assert row is not None and row.number == "Extension 102"
        keys("Return")  # Call back
        await until(lambda: len(sim_control.calls()) == 4, within=15, what="the call back")
        assert sim_control.calls()[-1]["to"] == "102"
        await back_to(window)
        await until(lambda: phase(app) is Phase.CALLING_YOU, within=15, what="calling you again")
        keys("Esc")
        await until(lambda: phase(app) is Phase.CANCELLED, within=15, what="cancelled again")
        keys("Ctrl+Q")
        assert await asyncio.wait_for(task, 20) == 0
    assert trouble() == []
