"""The main window shell and the signed-out prompt, driven by a view model put in each state.

No network and no session: `SessionViewModel.show_status` sets the state, a small fake stands in
for the session where an intent needs one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from ringdesk.auth.session import EXPIRED_PROBLEM, SessionState, SessionStatus
from ringdesk.config import ConnectionInfo
from ringdesk.platforms.base import Identity
from ringdesk.ui.viewmodels.session import MEMORY_ONLY_NOTICE, SessionViewModel
from ringdesk.ui.widgets.main_window import MainWindow
from ringdesk.ui.widgets.signed_out_prompt import SignedOutPrompt
from tests.fakes import FakeSession

DANA = Identity(
    account_id="400131005008", extension_id="400131005009", extension_number="101", name="Dana Operator"
)
CONNECTION = ConnectionInfo("Built-in simulator", "http://127.0.0.1:5000", "Sign-in window", "Secret Service")


def signed_in(persistent: bool = True, identity: Identity = DANA) -> SessionStatus:
    return SessionStatus(SessionState.SIGNED_IN, identity, None, persistent)


def signed_out(problem: str | None = None) -> SessionStatus:
    return SessionStatus(SessionState.SIGNED_OUT, None, problem, True)


SIGNING_IN = SessionStatus(SessionState.SIGNING_IN, None, None, True)


@pytest.fixture
def vm() -> SessionViewModel:
    return SessionViewModel(connection=CONNECTION)


@pytest.fixture
def window(qtbot: QtBot, vm: SessionViewModel) -> MainWindow:
    window = MainWindow(vm)
    qtbot.addWidget(window)
    window.show()
    return window


def test_signed_in_header_says_who_and_which_extension(window: MainWindow, vm: SessionViewModel) -> None:
    vm.show_status(signed_in())
    assert window.header.headline.text() == "Signed in as Dana Operator (ext. 101)"
    assert "101" not in window.header.detail.text()  # the headline names the extension once
    # The account's number is for support, not for every glance: in the tooltip.
    assert "400131005008" not in window.header.detail.text()
    assert window.header.detail.toolTip() == "Account 400131005008"
    assert "Built-in simulator" in window.header.detail.text()
    assert window.header.avatar.text() == "DO"
    assert not window.signed_out_banner.isVisible()
    assert not window.notice_banner.isVisible()
    assert window.header.accessibleName() == "Signed in as Dana Operator (ext. 101)"


def test_headline_without_a_name(window: MainWindow, vm: SessionViewModel) -> None:
    vm.show_status(signed_in(identity=Identity("1", "2", "204", "")))
    assert window.header.headline.text() == "Signed in as extension 204"


def test_signed_out_banner_and_sign_in(window: MainWindow, vm: SessionViewModel, qtbot: QtBot) -> None:
    vm.show_status(signed_out())
    assert window.header.headline.text() == "Signed out"
    assert window.signed_out_banner.isVisible()
    assert window.signed_out_banner.title.text() == "You are signed out"
    assert window.signed_out_banner.button.text().replace("&", "") == "Sign in"
    with qtbot.waitSignal(vm.sign_in_requested, timeout=1000):
        qtbot.mouseClick(window.signed_out_banner.button, Qt.MouseButton.LeftButton)


def test_before_the_connection_is_made_the_window_says_starting_and_offers_no_sign_in(
    qtbot: QtBot,
) -> None:
    # RingDesk has not yet looked for a stored sign-in: "Signed out" with a Sign in button would
    # be wrong for most starts, and a click on it could not work yet.
    vm = SessionViewModel(connection=CONNECTION, starting=True)
    window = MainWindow(vm)
    qtbot.addWidget(window)
    window.show()
    assert window.header.headline.text() == "Starting\N{HORIZONTAL ELLIPSIS}"
    assert not window.signed_out_banner.isVisible()
    assert not window.sign_in_action.isEnabled()
    with qtbot.assertNotEmitted(vm.sign_in_requested):
        vm.sign_in()

    vm.bind(FakeSession(signed_out()))
    assert window.header.headline.text() == "Signed out"
    assert window.signed_out_banner.isVisible()
    assert window.sign_in_action.isEnabled()


def test_a_lost_session_offers_sign_in_again_with_the_reason(
    window: MainWindow, vm: SessionViewModel, qtbot: QtBot
) -> None:
    vm.show_status(signed_in())
    vm.show_status(signed_out(EXPIRED_PROBLEM))
    banner = window.signed_out_banner
    assert banner.isVisible()
    assert banner.text.text() == EXPIRED_PROBLEM
    assert banner.button.text().replace("&", "") == "Sign in again"
    assert banner.button.accessibleName() == "Sign in again"
    with qtbot.waitSignal(vm.sign_in_requested, timeout=1000):
        qtbot.mouseClick(banner.button, Qt.MouseButton.LeftButton)


def test_menu_actions_follow_the_state(window: MainWindow, vm: SessionViewModel) -> None:
    vm.show_status(signed_out())
    assert window.sign_in_action.isEnabled()
    assert not window.sign_out_action.isEnabled()
    assert window.settings_action.isEnabled()
    assert window.quit_action.isEnabled()

    vm.show_status(SIGNING_IN)
    assert window.header.headline.text() == "Signing in\N{HORIZONTAL ELLIPSIS}"
    assert not window.sign_in_action.isEnabled()
    assert not window.sign_out_action.isEnabled()

    vm.show_status(signed_in())
    assert not window.sign_in_action.isEnabled()
    assert window.sign_out_action.isEnabled()


def test_account_menu_wording_and_shortcuts(window: MainWindow) -> None:
    texts = [a.text().replace("&", "") for a in window.account_menu.actions() if not a.isSeparator()]
    assert texts == [
        "Sign in\N{HORIZONTAL ELLIPSIS}",
        "Sign out",
        "Connection settings\N{HORIZONTAL ELLIPSIS}",
        "Preferences\N{HORIZONTAL ELLIPSIS}",
        "Quit",
    ]
    # The other names of the same actions.
    assert window.sign_in_action.toolTip().startswith("Get credentials")
    assert window.sign_out_action.toolTip().startswith("Clear credentials")
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"
    assert not window.sign_in_action.shortcut().isEmpty()
    assert "Ctrl+," in [k.toString() for k in window.preferences_action.shortcuts()]


def test_menu_intents(window: MainWindow, vm: SessionViewModel, qtbot: QtBot) -> None:
    vm.show_status(signed_out())
    with qtbot.waitSignal(vm.sign_in_requested, timeout=1000):
        window.sign_in_action.trigger()
    with qtbot.waitSignal(window.connection_settings_requested, timeout=1000):
        window.settings_action.trigger()
    with qtbot.waitSignal(window.quit_requested, timeout=1000):
        window.quit_action.trigger()


def test_memory_only_notice(window: MainWindow, vm: SessionViewModel) -> None:
    vm.set_connection(
        ConnectionInfo("RingCentral", "https://platform.ringcentral.com", "Sign-in window", None)
    )
    vm.show_status(signed_in(persistent=False))
    assert window.notice_banner.isVisible()
    assert window.notice_banner.text.text() == MEMORY_ONLY_NOTICE
    assert "GNOME Keyring" in MEMORY_ONLY_NOTICE


def test_settings_problems_banner(window: MainWindow) -> None:
    window.show_settings_problems(["Your settings file could not be used because it is not valid JSON."])
    assert window.settings_banner.isVisible()
    assert window.settings_banner.title.text() == "Settings were reset"
    window.settings_banner.button.click()
    assert not window.settings_banner.isVisible()
    # A read-only home resets nothing: the title says what is true.
    window.show_settings_problems(
        ["RingDesk cannot save files in /home/op/.config/ringdesk (read-only file system)."],
        files_unsaved=True,
    )
    assert window.settings_banner.title.text() == "Not everything can be saved"


def test_history_problems_banner_follows_the_history(window: MainWindow) -> None:
    full = "RingDesk cannot save to its call history in /home/op/.local/share/ringdesk (the disk is full)."
    window.show_history_problems([full])
    assert window.history_banner.isVisible()
    assert window.history_banner.text.text() == full
    window.history_banner.button.click()
    assert not window.history_banner.isVisible()
    # A new problem shows again after a dismissal; none hides the banner.
    window.show_history_problems([full, "The history file was damaged and set aside."])
    assert window.history_banner.isVisible()
    window.show_history_problems(())
    assert not window.history_banner.isVisible()


def test_closing_the_window_asks_to_quit(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    with qtbot.waitSignal(window.quit_requested, timeout=1000):
        window.close()


def test_with_a_tray_closing_only_hides_the_window(window: MainWindow, qtbot: QtBot) -> None:
    window.set_close_to_tray(True)
    quits: list[bool] = []
    window.quit_requested.connect(lambda: quits.append(True))
    with qtbot.waitSignal(window.hidden_to_tray, timeout=1000):
        window.close()
    assert not window.isVisible() and quits == []
    window.show_and_raise()
    assert window.isVisible()


def test_menus_reach_history_phone_and_preferences_by_keyboard(window: MainWindow, qtbot: QtBot) -> None:
    for action, signal, key in (
        (window.history_action, window.history_requested, "Ctrl+H"),
        (window.phone_action, window.phone_picker_requested, "Ctrl+P"),
        (window.preferences_action, window.preferences_requested, "Ctrl+,"),
    ):
        assert QKeySequence(key) in action.shortcuts()
        with qtbot.waitSignal(signal, timeout=1000):
            action.trigger()


def test_geometry_is_kept(qtbot: QtBot, vm: SessionViewModel, tmp_path: Path) -> None:
    state = tmp_path / "window-state.ini"
    first = MainWindow(vm, state_file=state)
    qtbot.addWidget(first)
    first.resize(700, 640)
    first.show()
    first.close()
    assert state.exists()
    second = MainWindow(vm, state_file=state)
    qtbot.addWidget(second)
    assert second.size().width() == 700


def test_controls_have_accessible_names(window: MainWindow, vm: SessionViewModel) -> None:
    vm.show_status(signed_out())
    assert window.signed_out_banner.button.accessibleName()
    assert window.signed_out_banner.accessibleName() == "You are signed out"
    assert window.header.avatar.accessibleName()


@pytest.mark.viewmodels
async def test_sign_out_runs_through_the_session() -> None:
    # On the qasync loop: the intent starts a task, the fake session publishes "signed out".
    from ringdesk.qtasync import wait_signal

    session = FakeSession(signed_in())
    vm = SessionViewModel(session, connection=CONNECTION)
    assert vm.view.can_sign_out
    done = wait_signal(vm.signed_out)
    vm.sign_out()
    assert vm.view.signing_out
    await done
    assert session.sign_outs == 1
    assert vm.view.signed_out
    assert not vm.view.signing_out
    assert vm.view.problem is None
    vm.close()
    assert session.listeners == []


@pytest.mark.viewmodels
def test_view_model_follows_the_session(qtbot: QtBot) -> None:
    session = FakeSession(signed_out())
    vm = SessionViewModel(session, connection=CONNECTION)
    with qtbot.waitSignal(vm.changed, timeout=1000) as blocker:
        session.publish(signed_in())
    assert blocker.args[0].headline == "Signed in as Dana Operator (ext. 101)"
    other = FakeSession(signed_out())
    vm.bind(other)
    assert session.listeners == []
    assert vm.view.signed_out


# --- the signed-out prompt ------------------------------------------------------------------------


@pytest.mark.parametrize(("accept", "expected"), [(True, True), (False, False)])
def test_prompt_answers_through_a_signal(qtbot: QtBot, accept: bool, expected: bool) -> None:
    prompt = SignedOutPrompt(server_label="RingCentral")
    qtbot.addWidget(prompt)
    prompt.open()
    assert prompt.isVisible()
    assert prompt.heading.text() == "Sign in to RingCentral now?"
    assert prompt.sign_in_button.text().replace("&", "") == "Sign in now"
    assert prompt.continue_button.text().replace("&", "") == "Continue signed out"
    assert prompt.sign_in_button.isDefault()
    button = prompt.sign_in_button if accept else prompt.continue_button
    with qtbot.waitSignal(prompt.answered, timeout=1000) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert blocker.args == [expected]
    assert prompt.result() == (QDialog.DialogCode.Accepted if accept else QDialog.DialogCode.Rejected)


def test_prompt_escape_means_continue_signed_out(qtbot: QtBot) -> None:
    prompt = SignedOutPrompt(problem=EXPIRED_PROBLEM, note="Set up the connection first.")
    qtbot.addWidget(prompt)
    prompt.open()
    assert prompt.problem.text() == EXPIRED_PROBLEM
    assert prompt.note.isVisibleTo(prompt)
    with qtbot.waitSignal(prompt.answered, timeout=1000) as blocker:
        qtbot.keyClick(prompt, Qt.Key.Key_Escape)
    assert blocker.args == [False]


def test_prompt_remembers_the_ask_choice(qtbot: QtBot) -> None:
    prompt = SignedOutPrompt(ask_at_start=True)
    qtbot.addWidget(prompt)
    assert prompt.ask_at_start
    prompt.ask_again.setChecked(False)
    assert not prompt.ask_at_start
