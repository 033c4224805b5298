"""The call history window: search, the calls in a table, call back, copy, delete, export.

A dumb view of `HistoryViewModel`: it renders `HistoryView`s and calls the view model's intents.

    window = HistoryWindow(history_vm)        # no database here: only the view model
    window.show()                             # reloads, so "Today" is right after midnight too

Keyboard: Ctrl+F searches, Enter (or a double-click) calls back, Ctrl+C copies the numbers,
Delete asks before deleting, Esc closes. Dialogs are opened with `open()`, never `exec()`, so the
asyncio tasks on the same event loop keep running while they are shown.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QSize,
    QStandardPaths,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ringdesk.ui.viewmodels.formatting import when_text
from ringdesk.ui.viewmodels.history import HistoryRow, HistoryView, HistoryViewModel
from ringdesk.ui.widgets.history_table import HistoryTableModel, Index
from ringdesk.ui.widgets.placement import fit_to_screen
from ringdesk.ui.widgets.style import (
    GROUP,
    INSET,
    LARGE,
    RELATED,
    icon,
    is_dark,
    repolish,
    spaced,
    type_points,
)

__all__ = ["HistoryWindow", "default_export_path", "history_stylesheet"]

_ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"
_ZERO_WIDTH_SPACE = "\N{ZERO WIDTH SPACE}"


def history_stylesheet(dark: bool) -> str:
    """The window's own look, keyed on its object names, for light and dark palettes."""
    if dark:
        secondary, bad, border = "#a8afb8", "#ff9a8f", "#3a3f47"
    else:
        secondary, bad, border = "#5f6b7a", "#b3261e", "#d5dae0"
    return f"""
QLabel#historyEmpty {{
    color: {secondary}; font-size: {type_points(LARGE)}pt; padding: 24px;
    background: palette(base); border: 1px solid {border}; border-radius: 6px;
}}
QLabel#historyEmpty[problem="true"] {{ color: {bad}; }}
QLabel#historyStatus {{ color: {secondary}; }}
QLabel#historyStatus[error="true"] {{ color: {bad}; }}
"""


def default_export_path(today: date | None = None) -> Path:
    """`ringdesk-calls-YYYY-MM-DD.csv` in the Documents folder, or the home folder without one."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    base = Path(folder) if folder and Path(folder).is_dir() else Path.home()
    return base / f"ringdesk-calls-{(today or date.today()).isoformat()}.csv"


class _RoomyDelegate(QStyledItemDelegate):
    """Cells ask for some room after their text, so columns sized to their contents do not touch."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 16, size.height())


class _CallTable(QTableView):
    """The table, with the window's keys: Enter calls back, Ctrl+C copies, Delete asks to delete."""

    call_back_requested = Signal()
    copy_requested = Signal()
    delete_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            self.call_back_requested.emit()
        elif event.matches(QKeySequence.StandardKey.Copy):
            # Qt's own Ctrl+C would copy one cell; the person wants the numbers of the selected calls.
            self.copy_requested.emit()
        elif event.key() == Qt.Key.Key_Delete and plain:
            self.delete_requested.emit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()


class _SearchField(QLineEdit):
    """The search field; Down moves on to the calls, as in a browser's address bar."""

    down_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            self.down_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class HistoryWindow(QWidget):
    """A top-level window of past calls; closing it only hides it, the app keeps and reuses it."""

    def __init__(self, vm: HistoryViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._vm = vm
        self._view = vm.view
        self.confirm_box: QMessageBox | None = None
        self.export_dialog: QFileDialog | None = None
        # What an open dialog acts on, fixed when it opened: the selection may change meanwhile.
        self._confirmed: Callable[[], object] | None = None
        self._yes_button: QAbstractButton | None = None
        self._export_ids: list[int] | None = None
        self.setObjectName("historyWindow")
        # Qt adds " — RingDesk" (the display name) to every window's title on Linux and Windows.
        self.setWindowTitle("Call history")
        self.setWindowIcon(icon("ringdesk"))
        self.setMinimumSize(460, 320)
        self.resize(640, 480)
        fit_to_screen(self)
        dark = is_dark(self.palette())
        self.setStyleSheet(history_stylesheet(dark))

        search_row = self._build_search_row()
        self.pages = self._build_calls(dark)
        self.status = QLabel()
        self.status.setObjectName("historyStatus")
        self.status.setAccessibleName("Status")
        self.status.setWordWrap(True)
        buttons = self._build_buttons()
        self._build_menu_actions()

        layout = spaced(QVBoxLayout(self), margin=GROUP, gap=INSET)
        layout.addLayout(search_row)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, self._focus_search)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)

        self.setTabOrder(self.search, self.table)
        self.setTabOrder(self.table, self.call_back_button)
        self.setTabOrder(self.call_back_button, self.copy_button)
        self.setTabOrder(self.copy_button, self.delete_button)
        self.setTabOrder(self.delete_button, self.export_button)
        self.setFocusProxy(self.search)

        vm.changed.connect(self.show_view)
        self.show_view(vm.view)

    def _build_search_row(self) -> QHBoxLayout:
        """The search field, which searches as the person types."""
        search_label = QLabel("&Search")
        self.search = _SearchField()
        self.search.setAccessibleName("Search the call history")
        self.search.setPlaceholderText("Search numbers and outcomes")
        self.search.setToolTip("Part of a number in any format, or words from the outcome (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        for clear in self.search.findChildren(QToolButton):
            clear.setAccessibleName("Clear the search")
            clear.setToolTip("Clear the search")
        self.search.textChanged.connect(self._vm.set_search)
        self.search.returnPressed.connect(self._focus_table)
        self.search.down_pressed.connect(self._focus_table)
        search_label.setBuddy(self.search)
        search_row = spaced(QHBoxLayout(), margin=0, gap=RELATED)
        search_row.addWidget(search_label)
        search_row.addWidget(self.search, 1)
        return search_row

    def _build_calls(self, dark: bool) -> QStackedWidget:
        """The calls in a table, or a sentence in their place when there are none to list."""
        self.model = HistoryTableModel(self)
        self.model.set_dark(dark)
        self.table = _CallTable()
        self.table.setObjectName("historyTable")
        self.table.setModel(self.model)
        self.table.setItemDelegate(_RoomyDelegate(self.table))
        self.table.setAccessibleName("Calls")
        self.table.setAccessibleDescription(
            "Enter calls back, Ctrl+C copies the numbers, Delete deletes the selected calls"
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(True)
        self.table.setTabKeyNavigation(False)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        rows = self.table.verticalHeader()
        rows.hide()
        # Rows of one height, with room for an outcome sentence wrapped to two lines (the whole
        # sentence is in its tooltip). Sizing each row to its contents measured every cell of up
        # to 500 rows whenever the list changed: hundreds of milliseconds with the window frozen.
        metrics = self.table.fontMetrics()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(2 * metrics.lineSpacing() + 12)
        header = self.table.horizontalHeader()
        header.setAccessibleName("Columns")
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        # The numbers and phones on screen size their columns; the time column fits its widest
        # forms (a day of another year, "Yesterday") from the start, so that older rows fit too.
        for column in (HistoryTableModel.NUMBER, HistoryTableModel.PHONE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setResizeContentsPrecision(0)
        now = datetime.now()
        last_year = now.replace(year=now.year - 1, month=9, day=28, hour=23, minute=59)
        yesterday = (now - timedelta(days=1)).replace(hour=23, minute=59)
        widest = [when_text(moment.timestamp(), now.timestamp()) for moment in (last_year, yesterday)]
        header.setSectionResizeMode(HistoryTableModel.WHEN, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(HistoryTableModel.WHEN, max(map(metrics.horizontalAdvance, widest)) + 24)
        header.setSectionResizeMode(HistoryTableModel.OUTCOME, QHeaderView.ResizeMode.Stretch)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.call_back_requested.connect(self.call_back)
        self.table.copy_requested.connect(self.copy_numbers)
        self.table.delete_requested.connect(self.ask_delete)
        selection = self.table.selectionModel()
        selection.selectionChanged.connect(self._update_actions)

        self.empty = QLabel()
        self.empty.setObjectName("historyEmpty")
        self.empty.setAccessibleName("Call history")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pages = QStackedWidget()
        pages.addWidget(self.table)
        pages.addWidget(self.empty)
        return pages

    def _build_buttons(self) -> QHBoxLayout:
        """Call back and copy on the left, delete and export on the right."""
        self.call_back_button = self._button("&Call back", "Call back", "Call the selected number (Enter)")
        self.call_back_button.clicked.connect(self.call_back)
        self.copy_button = self._button(
            "Co&py number", "Copy number", "Copy the selected numbers to the clipboard (Ctrl+C)"
        )
        self.copy_button.clicked.connect(self.copy_numbers)
        self.delete_button = self._button(
            "&Delete" + _ELLIPSIS, "Delete", "Delete the selected calls from the history (Delete)"
        )
        self.delete_button.clicked.connect(self.ask_delete)
        self.export_button = self._button(
            "&Export CSV" + _ELLIPSIS,
            "Export CSV",
            "Save the selected calls, or all listed calls when none is selected, as a CSV file",
        )
        self.export_button.clicked.connect(self.ask_export)
        buttons = spaced(QHBoxLayout(), margin=0, gap=RELATED)
        buttons.addWidget(self.call_back_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.export_button)
        return buttons

    def _build_menu_actions(self) -> None:
        """The buttons' actions again, for the table's context menu."""
        self.call_back_action = self._action("Call back", "Return", self.call_back)
        self.copy_action = self._action("Copy number", QKeySequence.StandardKey.Copy, self.copy_numbers)
        self.delete_action = self._action("Delete" + _ELLIPSIS, "Delete", self.ask_delete)
        self.export_action = self._action("Export CSV" + _ELLIPSIS, None, self.ask_export)

    # ------------------------------------------------------------------ rendering

    def show_view(self, view: HistoryView) -> None:
        self._view = view
        self._show_rows(view.rows)
        page = self.table if view.rows else self.empty
        if self.pages.currentWidget() is not page:
            had_focus = self.table.hasFocus()
            self.pages.setCurrentWidget(page)
            if had_focus:
                self.search.setFocus()  # the table is gone; keep the keyboard somewhere useful
        self.empty.setText(view.empty_text)
        _set_flag(self.empty, "problem", view.problem)
        line = view.message or view.summary
        # A long file path must wrap rather than widen the window or be cut off.
        self.status.setText(line.replace("/", "/" + _ZERO_WIDTH_SPACE))
        self.status.setAccessibleDescription(line)
        self.status.setToolTip(line)
        _set_flag(self.status, "error", bool(view.message) and view.message_is_error)
        self._update_actions()

    def _show_rows(self, rows: tuple[HistoryRow, ...]) -> None:
        selected = self.selected_ids()
        current = self.model.row_at(self.table.currentIndex().row())
        if not self.model.set_rows(rows):
            return
        # A reset (a call added or deleted) keeps what the person had selected.
        chosen = QItemSelection()
        for record_id in selected:
            row = self.model.row_of(record_id)
            if row >= 0:
                chosen.select(self.model.index(row, 0), self.model.index(row, len(self.model.COLUMNS) - 1))
        model_selection = self.table.selectionModel()
        model_selection.select(chosen, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if current is not None and (row := self.model.row_of(current.record_id)) >= 0:
            model_selection.setCurrentIndex(
                self.model.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate
            )

    def _update_actions(self) -> None:
        count = len(self.selected_ids())
        busy = self._view.busy
        for widget in (self.call_back_button, self.call_back_action):
            widget.setEnabled(count == 1)
        for widget in (self.copy_button, self.copy_action):
            widget.setEnabled(count > 0)
        for widget in (self.delete_button, self.delete_action):
            widget.setEnabled(count > 0 and not busy)
        for widget in (self.export_button, self.export_action):
            widget.setEnabled(bool(self._view.rows) and not busy)

    # ------------------------------------------------------------------ selection

    def selected_ids(self) -> list[int]:
        """Record ids of the selected rows, in the listed order (newest first)."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [row.record_id for r in rows if (row := self.model.row_at(r)) is not None]

    def _current_id(self) -> int | None:
        current = self.table.currentIndex()
        row = self.model.row_at(current.row()) if current.isValid() else None
        if row is not None and self.table.selectionModel().isRowSelected(current.row(), QModelIndex()):
            return row.record_id
        ids = self.selected_ids()
        return ids[0] if len(ids) == 1 else None

    # ------------------------------------------------------------------ actions

    def call_back(self) -> None:
        """Call back the focused row (Enter) or the one selected row (the button)."""
        record_id = self._current_id()
        if record_id is not None:
            self._vm.redial(record_id)

    def copy_numbers(self) -> None:
        text = self._vm.copy_numbers(self.selected_ids())
        if text:
            QGuiApplication.clipboard().setText(text)

    def ask_delete(self) -> None:
        """Ask before deleting the selected calls; the answer comes back through the box's signal."""
        ids = self.selected_ids()
        if not ids or self._view.busy:
            return
        what = "this call" if len(ids) == 1 else f"these {len(ids)} calls"
        self._confirm(
            title="Delete calls",
            question=f"Delete {what} from the call history?",
            detail="This cannot be undone. Files you exported keep their copy.",
            yes="&Delete",
            then=functools.partial(self._vm.delete, ids),
        )

    def ask_export(self) -> None:
        """Choose a file for the selected calls, or for every listed call when none is selected."""
        if not self._view.rows or self._view.busy:
            return
        ids = self.selected_ids() or None
        target = default_export_path()
        dialog = QFileDialog(self, "Export calls as CSV")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setDefaultSuffix("csv")
        # Qt's own "replace?" question runs a nested event loop; `_export_chosen` asks with open().
        dialog.setOption(QFileDialog.Option.DontConfirmOverwrite)
        dialog.setDirectory(str(target.parent))
        dialog.selectFile(target.name)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self._export_chosen)
        dialog.finished.connect(self._export_closed)
        self.export_dialog, self._export_ids = dialog, ids
        # Never the static getSaveFileName: its nested event loop would starve the asyncio tasks.
        dialog.open()

    # ------------------------------------------------------------------ internals

    def _button(self, text: str, name: str, tooltip: str) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(name)
        button.setToolTip(tooltip)
        return button

    def _action(self, text: str, shortcut: str | QKeySequence.StandardKey | None, slot: Any) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            # Shown in the menu; the table handles the keys themselves (see `_CallTable`).
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        return action

    def _context_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        menu.setAccessibleName("Call actions")
        for action in (self.call_back_action, self.copy_action):
            menu.addAction(action)
        menu.addSeparator()
        for action in (self.delete_action, self.export_action):
            menu.addAction(action)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.table.viewport().mapToGlobal(position))

    def _double_clicked(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            self._vm.redial(row.record_id)

    def _confirm(
        self, *, title: str, question: str, detail: str, yes: str, then: Callable[[], object]
    ) -> None:
        """A window-modal question; `then` runs only when the person chooses `yes`."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(title)
        box.setText(question)
        box.setInformativeText(detail)
        yes_button = box.addButton(yes, QMessageBox.ButtonRole.DestructiveRole)
        yes_button.setAccessibleName(yes.replace("&", ""))
        cancel_button = box.addButton(QMessageBox.StandardButton.Cancel)
        cancel_button.setAccessibleName("Cancel")
        # Enter alone must not destroy anything.
        box.setDefaultButton(cancel_button)
        box.setEscapeButton(cancel_button)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # Bound methods, not lambdas holding `self`: a child's connection to its parent through a
        # lambda is a cycle the garbage collector cannot see.
        box.buttonClicked.connect(self._confirm_answered)
        box.finished.connect(self._confirm_closed)
        self.confirm_box, self._confirmed, self._yes_button = box, then, yes_button
        box.open()  # never exec(): the event loop also runs the history's tasks

    def _confirm_answered(self, button: QAbstractButton) -> None:
        if button is self._yes_button and self._confirmed is not None:
            self._confirmed()

    def _confirm_closed(self) -> None:
        self.confirm_box, self._confirmed, self._yes_button = None, None, None

    def _export_chosen(self, path: str) -> None:
        if not path:
            return
        if not path.lower().endswith(".csv"):
            path += ".csv"
        target = Path(path)
        export = functools.partial(self._vm.export_csv, target, self._export_ids)
        if not target.exists():
            export()
            return
        self._confirm(
            title="Replace file",
            question=f"{target.name} already exists. Replace it?",
            detail=f"The file in {target.parent} will then hold only these calls.",
            yes="&Replace",
            then=export,
        )

    def _export_closed(self) -> None:
        self.export_dialog, self._export_ids = None, None

    def _focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _focus_table(self) -> None:
        if self.pages.currentWidget() is not self.table:
            return
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)

    def showEvent(self, event: QShowEvent) -> None:
        # Reloaded on every opening: "Today" must not still mean yesterday after midnight.
        self._vm.refresh()
        super().showEvent(event)


def _set_flag(widget: QWidget, name: str, value: bool) -> None:
    """Set a property the stylesheet keys on, re-applying the style only when it changed."""
    text = "true" if value else "false"
    if widget.property(name) != text:
        widget.setProperty(name, text)
        repolish(widget)
