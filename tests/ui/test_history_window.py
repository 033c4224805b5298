"""The call history window and its view model, on a real call history in a temporary folder.

Async tests run on the qasync loop (see conftest.py): the history's worker answers through asyncio,
so they wait with `until`, never with qtbot's nested loops.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QStandardPaths, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLineEdit,
    QMessageBox,
)
from pytestqt.qtbot import QtBot

from ringdesk.platforms.registry import error_sentence
from ringdesk.storage.history import INTERRUPTED_OUTCOME, CallHistory
from ringdesk.ui.viewmodels import history as history_viewmodel
from ringdesk.ui.viewmodels.history import HistoryViewModel
from ringdesk.ui.widgets.history_table import HistoryTableModel
from ringdesk.ui.widgets.history_window import HistoryWindow, default_export_path
from tests.ui.app_harness import until
from tests.ui.doubles import owner

MY_PHONE = "+16505550122"


def at(year: int, month: int, day: int, hour: int, minute: int) -> float:
    return datetime(year, month, day, hour, minute).timestamp()


# "Now" for every view model here: the words for "when" do not depend on the day the tests run.
NOW = at(2025, 6, 18, 15, 0)


async def add(
    history: CallHistory,
    destination: str,
    *,
    started: float,
    state: str = "ended",
    display: str | None = None,
    extension: str | None = None,
    label: str | None = "Mobile",
    outcome: str | None = None,
    error_code: str | None = None,
    callee_status: str | None = None,
    talked: float | None = None,
) -> int:
    """One call as RingDesk writes it: the attempt first, then what became of it."""
    record_id = await history.record_attempt(
        platform="ringcentral",
        destination=destination,
        destination_display=display or destination,
        extension=extension,
        from_number=MY_PHONE,
        from_label=label,
        caller_id=None,
        play_prompt=False,
        started_at=started,
    )
    fields: dict[str, Any] = {"state": state}
    for name, value in (("outcome", outcome), ("error_code", error_code), ("callee_status", callee_status)):
        if value is not None:
            fields[name] = value
    if talked is not None:
        fields["connected_at"] = started + 8
        fields["ended_at"] = started + 8 + talked
    if state != "placing":
        await history.update(record_id, **fields)
    return record_id


@pytest.fixture
async def history(tmp_path: Path) -> AsyncIterator[CallHistory]:
    opened = await CallHistory.open(tmp_path / "history.sqlite3")
    yield opened
    await opened.close()


@pytest.fixture
async def calls(history: CallHistory) -> dict[str, int]:
    """Six calls of every kind, added oldest first; the keys name them."""
    ids = {}
    ids["interrupted"] = await add(
        history,
        "+442079460000",
        display="+44 20 7946 0000",
        started=at(2024, 12, 24, 8, 5),
        state="interrupted",
        outcome=INTERRUPTED_OUTCOME,
    )
    ids["invalid"] = await add(
        history,
        "+16505550199",
        display="+1 650-555-0199",
        started=at(2025, 6, 1, 10, 0),
        state="failed",
        error_code="TEL-109",
    )
    ids["cancelled"] = await add(
        history,
        "+16505551234",
        display="+1 650-555-1234",
        started=at(2025, 6, 3, 16, 45),
        state="cancelled",
        outcome="You cancelled the call.",
        label=None,
    )
    ids["busy"] = await add(
        history,
        "+14155551299",
        display="+1 415-555-1299",
        started=at(2025, 6, 17, 9, 10),
        state="failed",
        outcome="The person you called was busy.",
        error_code="Busy",
        callee_status="Busy",
    )
    ids["extension"] = await add(
        history,
        "+16505559876",
        display="+1 650-555-9876",
        extension="12",
        started=at(2025, 6, 18, 14, 2),
        outcome="You hung up.",
        talked=133,
    )
    ids["live"] = await add(
        history, "+16505550101", display="+1 650-555-0101", started=at(2025, 6, 18, 14, 40), state="ringing"
    )
    return ids


MakeWindow = Callable[..., Awaitable[tuple[HistoryWindow, HistoryViewModel]]]


@pytest.fixture
async def make_window(qtbot: QtBot) -> AsyncIterator[MakeWindow]:
    """A shown window on a view model whose timer and tasks end with the test."""
    models: list[HistoryViewModel] = []

    async def make(history: CallHistory | None) -> tuple[HistoryWindow, HistoryViewModel]:
        vm = HistoryViewModel(history, clock=lambda: NOW, error_sentence=error_sentence, parent=owner())
        models.append(vm)
        window = HistoryWindow(vm)
        qtbot.addWidget(window)
        window.show()
        # Showing the window loads the history.
        await until(lambda: not vm.view.loading, 5, "the first load")
        return window, vm

    yield make
    for vm in models:
        vm.close()


def shown(window: HistoryWindow) -> list[tuple[str, str, str, str]]:
    """The table as the person sees it: the text of every cell, row by row."""
    model = window.model
    return [
        tuple(model.index(row, column).data() for column in range(model.columnCount()))
        for row in range(model.rowCount())
    ]


def select(window: HistoryWindow, *rows: int) -> None:
    """Select `rows` as a person would with Ctrl+click; the first is the current row."""
    table, flags = window.table, QItemSelectionModel.SelectionFlag
    table.clearSelection()
    for row in rows:
        table.selectionModel().select(window.model.index(row, 0), flags.Select | flags.Rows)
    if rows:
        table.selectionModel().setCurrentIndex(window.model.index(rows[0], 0), flags.NoUpdate)


async def stored_ids(history: CallHistory) -> list[int]:
    return [record.id for record in await history.search("", 100)]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- rows in words


async def test_rows_are_newest_first_and_in_words(
    make_window: MakeWindow, history: CallHistory, calls: dict[str, int]
) -> None:
    window, vm = await make_window(history)
    assert window.windowTitle() == "Call history"  # Qt adds " — RingDesk", as to every window
    assert window.pages.currentWidget() is window.table
    assert [window.model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)] == [
        "When",
        "Number",
        "Outcome",
        "Phone",
    ]
    assert shown(window) == [
        ("Today 14:40", "+1 650-555-0101", "In progress", "Mobile"),
        ("Today 14:02", "+1 650-555-9876 ext. 12", "Ended \N{MIDDLE DOT} 02:13", "Mobile"),
        ("Yesterday 09:10", "+1 415-555-1299", "Failed: The person you called was busy.", "Mobile"),
        ("3 Jun 16:45", "+1 650-555-1234", "Cancelled", "+1 650-555-0122"),
        ("1 Jun 10:00", "+1 650-555-0199", "Failed: The number you are calling is not valid.", "Mobile"),
        ("24 Dec 2024 08:05", "+44 20 7946 0000", f"Interrupted: {INTERRUPTED_OUTCOME}", "Mobile"),
    ]
    rows = vm.view.rows
    assert [row.record_id for row in rows] == [
        calls[name] for name in ("live", "extension", "busy", "cancelled", "invalid", "interrupted")
    ]
    assert rows[1].redial_number == "+16505559876x12"
    assert rows[2].error_code == "Busy" and rows[2].problem
    assert not rows[1].problem and rows[0].live
    # The error code and the stored sentence are in the outcome's tooltip, never shown alone.
    busy_tip = window.model.index(2, HistoryTableModel.OUTCOME).data(Qt.ItemDataRole.ToolTipRole)
    assert busy_tip == "Failed: The person you called was busy.\nError code: Busy"
    ended_tip = window.model.index(1, HistoryTableModel.OUTCOME).data(Qt.ItemDataRole.ToolTipRole)
    assert ended_tip == "Ended \N{MIDDLE DOT} 02:13\nYou hung up."
    phone_tip = window.model.index(1, HistoryTableModel.PHONE).data(Qt.ItemDataRole.ToolTipRole)
    assert phone_tip == "Rang your Mobile, +1 650-555-0122 first"
    assert window.status.text() == "6 calls"


async def test_a_call_that_ends_is_repainted_and_a_new_call_keeps_the_selection(
    make_window: MakeWindow, history: CallHistory, calls: dict[str, int]
) -> None:
    window, vm = await make_window(history)
    select(window, 2)
    await history.update(calls["live"], state="ended", connected_at=NOW - 600, ended_at=NOW - 595)
    vm.refresh()
    await until(lambda: shown(window)[0][2] == "Ended \N{MIDDLE DOT} 00:05", 5, "the ended call")
    assert window.selected_ids() == [calls["busy"]]

    newest = await add(history, "+16505550177", started=NOW - 60, state="placing")
    vm.refresh()
    await until(lambda: window.model.rowCount() == 7, 5, "the new call")
    assert vm.view.rows[0].record_id == newest
    assert shown(window)[0][2] == "In progress"
    assert window.selected_ids() == [calls["busy"]]
    current = window.model.row_at(window.table.currentIndex().row())
    assert current is not None and current.record_id == calls["busy"]


# --------------------------------------------------------------------------- search and empty states


async def test_search_by_part_of_a_formatted_number_and_by_a_word(
    make_window: MakeWindow, history: CallHistory, calls: dict[str, int]
) -> None:
    window, vm = await make_window(history)
    searched: list[str] = []
    vm.changed.connect(lambda view: searched.append(view.search))

    QTest.keyClicks(window.search, "555-12")
    # Typing does not search per key: nothing has been asked yet.
    assert vm.view.search == "" and window.model.rowCount() == 6
    await until(lambda: vm.view.search == "555-12", 5, "the debounced search")
    assert [row.record_id for row in vm.view.rows] == [calls["busy"], calls["cancelled"]]
    assert [number for _, number, _, _ in shown(window)] == ["+1 415-555-1299", "+1 650-555-1234"]
    assert {text for text in searched if text} == {"555-12"}
    assert window.status.text() == "2 calls match"

    window.search.clear()
    QTest.keyClicks(window.search, "busy")
    await until(lambda: vm.view.search == "busy", 5, "the word search")
    assert [row.record_id for row in vm.view.rows] == [calls["busy"]]
    assert window.status.text() == "1 call matches"


async def test_empty_states(make_window: MakeWindow, history: CallHistory) -> None:
    window, vm = await make_window(history)
    assert window.pages.currentWidget() is window.empty
    assert window.empty.text() == "No calls yet. Calls you place appear here."
    assert window.empty.property("problem") == "false"
    assert not window.export_button.isEnabled()
    assert not window.call_back_button.isEnabled()

    await add(history, "+16505551234", started=NOW - 300)
    vm.refresh()
    await until(lambda: window.pages.currentWidget() is window.table, 5, "the first call")

    QTest.keyClicks(window.search, "zzz")
    await until(lambda: window.pages.currentWidget() is window.empty, 5, "no match")
    assert (
        window.empty.text()
        == "No calls match \N{LEFT DOUBLE QUOTATION MARK}zzz\N{RIGHT DOUBLE QUOTATION MARK}."
    )
    assert window.status.text() == ""
    assert not window.export_button.isEnabled()


# --------------------------------------------------------------------------- call back and copy


async def test_call_back_sends_the_number_with_its_extension(
    make_window: MakeWindow, history: CallHistory, calls: dict[str, int]
) -> None:
    window, vm = await make_window(history)
    asked: list[str] = []
    vm.redial_requested.connect(asked.append)

    assert not window.call_back_button.isEnabled()
    select(window, 1)
    assert window.call_back_button.isEnabled()
    window.call_back_button.click()
    assert asked == ["+16505559876x12"]

    window.table.setFocus()
    select(window, 3)
    QTest.keyClick(window.table, Qt.Key.Key_Return)
    assert asked[-1] == "+16505551234"

    cell = window.table.visualRect(window.model.index(2, HistoryTableModel.NUMBER)).center()
    # A real double-click starts with a click; QTest's double-click alone is only the second half.
    QTest.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    QTest.mouseDClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    assert asked[-1] == "+14155551299"
    assert len(asked) == 3

    # Two selected rows: the button cannot know which to call.
    select(window, 1, 2)
    assert not window.call_back_button.isEnabled()
    assert vm.redial(999_999) is False


async def test_copy_puts_the_selected_numbers_on_the_clipboard(
    make_window: MakeWindow, history: CallHistory, calls: dict[str, int]
) -> None:
    window, vm = await make_window(history)
    QGuiApplication.clipboard().setText("before")
    assert not window.copy_button.isEnabled()

    select(window, 1, 3)
    window.table.setFocus()
    QTest.keyClick(window.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "+1 650-555-9876 ext. 12\n+1 650-555-1234"
    assert window.status.text() == "Copied 2 numbers."

    select(window, 2)
    window.copy_button.click()
    assert QGuiApplication.clipboard().text() == "+1 415-555-1299"
    assert window.status.text() == "Copied 1 number."
    assert vm.numbers_text([calls["busy"], calls["busy"], 424242]) == "+1 415-555-1299"


# --------------------------------------------------------------------------- delete


def confirm_buttons(box: QMessageBox) -> tuple[QAbstractButton, QAbstractButton]:
    (delete,) = [b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole]
    return delete, box.button(QMessageBox.StandardButton.Cancel)


async def test_delete_asks_first_and_cancel_keeps_the_calls(
    make_window: MakeWindow, history: CallHistory, calls: dict[str, int]
) -> None:
    window, _vm = await make_window(history)
    before = await stored_ids(history)
    select(window, 1, 2)
    window.table.setFocus()
    QTest.keyClick(window.table, Qt.Key.Key_Delete)
    box = window.confirm_box
    assert box is not None and box.isVisible()
    assert box.text() == "Delete these 2 calls from the call history?"
    delete, cancel = confirm_buttons(box)
    assert box.defaultButton() is cancel
    assert delete.accessibleName() == "Delete" and cancel.accessibleName() == "Cancel"

    cancel.click()
    await until(lambda: window.confirm_box is None, 5, "the box to close")
    assert await stored_ids(history) == before
    assert window.model.rowCount() == 6


async def test_delete_after_confirming_removes_the_calls_from_the_database(
    make_window: MakeWindow, history: CallHistory, calls: dict[str, int]
) -> None:
    window, vm = await make_window(history)
    select(window, 1, 2)
    window.delete_button.click()
    box = window.confirm_box
    assert box is not None
    # The selection may change while the box is open; the calls asked about are deleted.
    select(window, 0)
    delete, _cancel = confirm_buttons(box)
    delete.click()
    await until(lambda: window.status.text() == "Deleted 2 calls.", 5, "the delete")
    await until(lambda: window.model.rowCount() == 4, 5, "the list without them")
    left = await stored_ids(history)
    assert calls["extension"] not in left and calls["busy"] not in left
    assert len(left) == 4
    assert calls["extension"] not in [row.record_id for row in vm.view.rows]


# --------------------------------------------------------------------------- export


async def test_export_writes_the_selected_calls(
    make_window: MakeWindow, history: CallHistory, calls: dict[str, int], tmp_path: Path
) -> None:
    window, _vm = await make_window(history)
    select(window, 1, 3)
    window.export_button.click()
    dialog = window.export_dialog
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    assert Path(dialog.selectedFiles()[0]).name == f"ringdesk-calls-{date.today().isoformat()}.csv"

    dialog.selectFile(str(tmp_path / "picked"))
    dialog.accept()
    target = tmp_path / "picked.csv"
    await until(lambda: window.status.text().startswith("Exported"), 5, "the export")
    assert window.status.toolTip() == f"Exported 2 calls to {target}."
    rows = read_csv(target)
    assert [int(row["id"]) for row in rows] == [calls["extension"], calls["cancelled"]]
    assert rows[0]["extension"] == "12" and rows[1]["state"] == "cancelled"


async def test_export_without_a_selection_writes_every_listed_call(
    make_window: MakeWindow, history: CallHistory, calls: dict[str, int], tmp_path: Path
) -> None:
    window, vm = await make_window(history)
    QTest.keyClicks(window.search, "555-12")
    await until(lambda: vm.view.search == "555-12", 5, "the search")
    assert window.selected_ids() == []
    assert window.export_button.isEnabled()
    window.export_button.click()
    dialog = window.export_dialog
    assert dialog is not None
    # What the file dialog hands over, typed without the extension.
    dialog.fileSelected.emit(str(tmp_path / "listed"))
    await until(lambda: window.status.text().startswith("Exported"), 5, "the export")
    rows = read_csv(tmp_path / "listed.csv")
    assert [int(row["id"]) for row in rows] == [calls["busy"], calls["cancelled"]]
    assert window.status.property("error") == "false"


async def test_export_asks_before_replacing_a_file(
    make_window: MakeWindow, history: CallHistory, calls: dict[str, int], tmp_path: Path
) -> None:
    window, _vm = await make_window(history)
    target = tmp_path / "old.csv"
    target.write_text("kept\n", encoding="utf-8")
    select(window, 2)

    def export_to_target() -> QMessageBox:
        window.export_button.click()
        dialog = window.export_dialog
        assert dialog is not None
        dialog.fileSelected.emit(str(target))
        box = window.confirm_box
        assert box is not None and box.isVisible()
        return box

    box = export_to_target()
    assert box.text() == "old.csv already exists. Replace it?"
    replace, cancel = confirm_buttons(box)
    assert box.defaultButton() is cancel and replace.accessibleName() == "Replace"
    cancel.click()
    await until(lambda: window.confirm_box is None, 5, "the box to close")
    assert target.read_text(encoding="utf-8") == "kept\n"
    assert not window.status.text().startswith("Exported")

    replace, _cancel = confirm_buttons(export_to_target())
    replace.click()
    await until(lambda: window.status.text().startswith("Exported 1 call"), 5, "the export")
    assert [int(row["id"]) for row in read_csv(target)] == [calls["busy"]]


async def test_only_the_newest_are_listed_but_export_writes_every_match(
    make_window: MakeWindow,
    history: CallHistory,
    calls: dict[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(history_viewmodel, "LIMIT", 3)
    window, vm = await make_window(history)
    assert [row.record_id for row in vm.view.rows] == [calls["live"], calls["extension"], calls["busy"]]
    assert window.status.text() == "Showing the newest 3 calls; search to find older ones."
    assert vm.export_csv(tmp_path / "all.csv")
    await until(lambda: window.status.text().startswith("Exported"), 5, "the export")
    assert window.status.toolTip() == f"Exported 6 calls to {tmp_path / 'all.csv'}."
    assert len(read_csv(tmp_path / "all.csv")) == 6


@pytest.mark.viewmodels
def test_the_export_file_is_named_by_date_in_documents_or_home() -> None:
    path = default_export_path(date(2025, 6, 18))
    assert path.name == "ringdesk-calls-2025-06-18.csv"
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    assert path.parent in {Path(documents), Path.home()}


# --------------------------------------------------------------------------- a failing history


async def test_a_closed_history_gives_a_sentence_not_a_crash(
    make_window: MakeWindow, history: CallHistory, tmp_path: Path
) -> None:
    await history.close()
    window, vm = await make_window(history)
    assert window.pages.currentWidget() is window.empty
    assert window.empty.text() == "The call history is closed."
    assert window.empty.property("problem") == "true"
    assert vm.view.problem

    assert vm.export_csv(tmp_path / "out.csv")
    await until(lambda: not vm.view.busy, 5, "the export to fail")
    assert window.status.text() == "The call history is closed."
    assert window.status.property("error") == "true"
    assert not (tmp_path / "out.csv").exists()

    vm.set_history(None)
    assert window.empty.text() == "The call history is not available."
    assert vm.delete([1]) is False
    assert window.status.text() == "The call history is not available."


async def test_a_history_closed_under_the_window_keeps_it_working(
    make_window: MakeWindow, history: CallHistory, calls: dict[str, int]
) -> None:
    window, vm = await make_window(history)
    select(window, 0)
    await history.close()
    assert vm.delete(window.selected_ids())
    await until(lambda: window.pages.currentWidget() is window.empty, 5, "the failed reload")
    assert window.status.text() == "The call history is closed."
    assert window.empty.text() == "The call history is closed."
    QTest.keyClicks(window.search, "555")
    await until(lambda: vm.view.search == "555", 5, "the failed search")
    assert window.empty.text() == "The call history is closed."


# --------------------------------------------------------------------------- keyboard and names


async def test_keyboard_ctrl_f_searches_and_esc_closes(
    make_window: MakeWindow, history: CallHistory, calls: dict[str, int]
) -> None:
    window, _vm = await make_window(history)
    window.activateWindow()
    await until(window.isActiveWindow, 5, "the window to be active")
    window.table.setFocus()
    await until(window.table.hasFocus, 5, "the table to have the focus")
    QTest.keyClick(window.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.search.hasFocus()

    # Down from the search goes to the calls, with the newest selected.
    QTest.keyClick(window.search, Qt.Key.Key_Down)
    assert window.table.hasFocus()
    assert window.selected_ids() == [calls["live"]]

    QTest.keyClick(window.table, Qt.Key.Key_Escape)
    assert not window.isVisible()


async def test_context_menu_has_the_same_actions(
    make_window: MakeWindow, history: CallHistory, calls: dict[str, int]
) -> None:
    window, vm = await make_window(history)
    asked: list[str] = []
    vm.redial_requested.connect(asked.append)
    select(window, 1)
    texts = [a.text() for a in (window.call_back_action, window.copy_action, window.delete_action)]
    assert texts == ["Call back", "Copy number", "Delete\N{HORIZONTAL ELLIPSIS}"]
    assert window.delete_action.isEnabled() and window.export_action.isEnabled()
    window.call_back_action.trigger()
    assert asked == ["+16505559876x12"]
    select(window)
    assert not window.copy_action.isEnabled() and not window.delete_action.isEnabled()
    assert window.export_action.isEnabled()


async def test_every_control_has_an_accessible_name(
    make_window: MakeWindow, history: CallHistory, calls: dict[str, int]
) -> None:
    window, _vm = await make_window(history)
    # With text in the search, its clear button shows too.
    QTest.keyClicks(window.search, "650")

    def unnamed() -> list[str]:
        controls = (
            window.findChildren(QAbstractButton)
            + window.findChildren(QLineEdit)
            + window.findChildren(QAbstractItemView)
            + window.findChildren(QHeaderView)
            + [window.status, window.empty]
        )
        return [
            f"{type(c).__name__} {c.objectName()}"
            for c in controls
            if c.isVisibleTo(window) and not c.accessibleName()
        ]

    assert unnamed() == []
    window.pages.setCurrentWidget(window.empty)
    assert unnamed() == []
    assert window.search.placeholderText() == "Search numbers and outcomes"
    assert window.search.isClearButtonEnabled()
    assert window.table.selectionMode() == QAbstractItemView.SelectionMode.ExtendedSelection
