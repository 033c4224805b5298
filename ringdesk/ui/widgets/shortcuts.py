"""Help > Keyboard shortcuts: every key RingDesk answers to, in one list.

The menus' part is read from their actions, so it is always what the menus do; the dialer's keys
(`DIALER_KEYS`) are written beside the code that handles them, in `ringdesk.ui.widgets.dialer`.

    dialog = ShortcutsDialog([("Enter", "Call the number"), ("Ctrl+H", "Call history")], parent)
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ringdesk.ui.widgets.placement import fit_to_screen
from ringdesk.ui.widgets.style import GROUP, INSET, RELATED, TIGHT, spaced

__all__ = ["ShortcutsDialog"]


class ShortcutsDialog(QDialog):
    """A two-column list, keys and what they do; read-only, closed with Esc or Close."""

    def __init__(self, shortcuts: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(len(shortcuts), 2)
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Keys", "What they do"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        # The header's words start where the rows' words do (Fusion adds 4 px inside a cell).
        self.table.setStyleSheet(
            f"QTableWidget::item {{ padding: {TIGHT}px; }}"
            f"QHeaderView::section {{ padding: {TIGHT}px {RELATED}px; }}"
        )
        for row, (keys, meaning) in enumerate(shortcuts):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(meaning))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.resizeRowsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = spaced(QVBoxLayout(self), margin=GROUP, gap=INSET)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        # As tall as the list, so no empty table stands under it; a small screen scrolls it.
        self.table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.resize(620, 480)
        self.table.resizeRowsToContents()
        self.resize(620, self.sizeHint().height())
        fit_to_screen(self)
