"""The call history as a Qt table model: the rows of a `HistoryView` in four columns.

When, Number, Outcome, Phone; a tooltip per cell says more, and a failed call's outcome is drawn
in the error colour. `HistoryWindow` shows it in its table.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from ringdesk.ui.viewmodels.history import HistoryRow

__all__ = ["HistoryTableModel", "Index"]

Index = QModelIndex | QPersistentModelIndex


class HistoryTableModel(QAbstractTableModel):
    """The rows of a `HistoryView` as a table: When, Number, Outcome, Phone."""

    COLUMNS = ("When", "Number", "Outcome", "Phone")
    WHEN, NUMBER, OUTCOME, PHONE = range(4)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[HistoryRow, ...] = ()
        self._problem_color = QColor("#b3261e")

    def set_dark(self, dark: bool) -> None:
        self._problem_color = QColor("#ff9a8f" if dark else "#b3261e")

    def set_rows(self, rows: tuple[HistoryRow, ...]) -> bool:
        """Show `rows`; True when the model was reset (the view's selection is gone then)."""
        if rows == self._rows:
            return False
        if [row.record_id for row in rows] == [row.record_id for row in self._rows]:
            # The same calls with news (a live call ended): repaint, keeping selection and scroll.
            self._rows = rows
            last = self.index(len(rows) - 1, len(self.COLUMNS) - 1)
            self.dataChanged.emit(self.index(0, 0), last)
            return False
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()
        return True

    def row_at(self, row: int) -> HistoryRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, record_id: int) -> int:
        return next((i for i, row in enumerate(self._rows) if row.record_id == record_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section] if 0 <= section < len(self.COLUMNS) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.when, row.number, row.outcome, row.phone)[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.OUTCOME and row.problem:
            return self._problem_color
        if role == Qt.ItemDataRole.UserRole:
            return row.record_id
        return None

    def _tooltip(self, row: HistoryRow, column: int) -> str:
        if column == self.WHEN:
            return row.when_full
        if column == self.NUMBER:
            return f"Enter or double-click calls {row.number} back"
        if column == self.OUTCOME:
            lines = [row.outcome]
            if row.detail:
                lines.append(row.detail)
            if row.error_code:
                lines.append(f"Error code: {row.error_code}")
            return "\n".join(lines)
        return f"Rang your {row.phone_full} first" if row.phone_full else ""
