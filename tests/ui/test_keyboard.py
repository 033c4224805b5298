"""The keyboard, across the main window: Alt+letter never means two things, and the shortcut list
shows the keys RingDesk really answers to."""

from __future__ import annotations

import re
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QLabel, QTableWidget
from pytestqt.qtbot import QtBot

from ringdesk.auth.session import SessionState, SessionStatus
from ringdesk.calls.state import CallState, next_state, placing_state
from ringdesk.config import ConnectionInfo
from ringdesk.platforms.ringcentral.models import RingOutStatus
from ringdesk.platforms.ringcentral.progress import progress_from_ringout
from ringdesk.ui.viewmodels.dialer import DialerViewModel, RecentNumber
from ringdesk.ui.viewmodels.session import SessionViewModel
from ringdesk.ui.widgets.dialer import DIALER_KEYS, DialerWidget
from ringdesk.ui.widgets.main_window import MainWindow
from ringdesk.ui.widgets.shortcuts import ShortcutsDialog
from tests.fakes import FakeService, no_spawn
from tests.ui.doubles import owner
from tests.ui.test_dialer import MOBILE
from tests.ui.test_main_window import DANA

DEST = "+1 650-555-1234, United States"
_MNEMONIC = re.compile(r"&([^&])")


def _state(*statuses: tuple[str, str, str]) -> CallState:
    state = placing_state("+1 650-555-1234")
    for words in statuses:
        state = next_state(
            state,
            progress_from_ringout(RingOutStatus("1", *words)),
            play_prompt=False,
            now=time.time(),
            call_control=True,
        )
    return state


def _window(qtbot: QtBot, *, signed_in: bool) -> tuple[MainWindow, DialerViewModel]:
    info = ConnectionInfo("Built-in simulator", "http://127.0.0.1", "JWT")
    session = SessionViewModel(None, connection=info)
    state = SessionState.SIGNED_IN if signed_in else SessionState.SIGNED_OUT
    session.show_status(SessionStatus(state, DANA if signed_in else None, None, True))
    vm = DialerViewModel(
        parent=owner(), preferences=MOBILE, service=FakeService(), signed_in=signed_in, spawn=no_spawn
    )
    vm.show_recent([RecentNumber("+14155550188", "+1 415-555-0188", "Ended")])
    window = MainWindow(session, state_file=None)
    window.set_content(DialerWidget(vm))
    qtbot.addWidget(window)
    window.show()
    return window, vm


def _mnemonics(window: MainWindow) -> list[str]:
    """The Alt+letter of every menu title and visible button or labelled field, lower case."""
    texts = [action.text() for action in window.menuBar().actions()]
    texts += [b.text() for b in window.findChildren(QAbstractButton) if b.isVisibleTo(window)]
    texts += [
        label.text()
        for label in window.findChildren(QLabel)
        if label.isVisibleTo(window) and label.buddy() is not None
    ]
    return [m.group(1).lower() for text in texts for m in _MNEMONIC.finditer(text)]


@pytest.mark.parametrize(
    ("name", "signed_in", "statuses"),
    [
        ("dial pad", True, None),
        ("signed out", False, None),
        ("ringing", True, (("InProgress", "InProgress", "InProgress"),)),
        ("connected", True, (("Success", "Success", "Success"),)),
        ("your phone failed", True, (("CannotReach", "NoAnswer", "InProgress"),)),
        ("ended", True, (("Success", "Success", "Success"), ("Finished", "Finished", "Finished"))),
    ],
)
def test_no_two_controls_share_an_alt_letter(
    qtbot: QtBot, name: str, signed_in: bool, statuses: tuple[tuple[str, str, str], ...] | None
) -> None:
    window, vm = _window(qtbot, signed_in=signed_in)
    if statuses is not None:
        vm.call_vm.show_state(_state(*statuses), destination=DEST, your_phone="Mobile, +1 650-555-0122")
    letters = _mnemonics(window)
    assert len(letters) >= 4, letters  # the menus and the buttons were found
    clashes = sorted({letter for letter in letters if letters.count(letter) > 1})
    assert clashes == [], f"{name}: {letters}"


def test_the_shortcut_list_has_the_dialer_keys_and_every_menu_shortcut(qtbot: QtBot) -> None:
    window, _vm = _window(qtbot, signed_in=True)
    menu = window.menu_shortcuts()
    descriptions = dict(menu)
    assert descriptions["Ctrl+H"] == "Calls > Call history"
    assert descriptions["Ctrl+P"] == "Calls > Phone to ring first"
    (help_keys,) = [keys for keys, what in menu if what == "Help > Keyboard shortcuts"]
    assert "F1" in help_keys.split(", ")
    dialog = ShortcutsDialog([*DIALER_KEYS, *menu], window)
    qtbot.addWidget(dialog)
    table: QTableWidget = dialog.table
    rows = [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())]
    assert rows == [*DIALER_KEYS, *menu]


def test_f1_asks_for_the_shortcut_list(qtbot: QtBot) -> None:
    window, _vm = _window(qtbot, signed_in=True)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    assert window.shortcuts_action.shortcut().toString() == "F1"
    with qtbot.waitSignal(window.shortcuts_requested, timeout=2000):
        QTest.keyClick(window.focusWidget() or window, Qt.Key.Key_F1)
