"""The dialogs on screen: shown with open(), held until they finish, closed together at quit."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

__all__ = ["OpenDialogs"]


class OpenDialogs:
    """Shows dialogs window-modally with `open()` and keeps each alive until it finishes.

    Never `exec()`: a nested event loop inside a coroutine starves or loses the loop's tasks.
    Python must hold a dialog shown with `open()` (Qt deletes it on close, not before), so this
    set does, and lets go when the dialog finishes.
    """

    def __init__(self) -> None:
        self._showing: set[QDialog] = set()

    @property
    def showing(self) -> tuple[QDialog, ...]:
        return tuple(self._showing)

    def show(self, dialog: QDialog) -> None:
        self._showing.add(dialog)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self._showing.discard(dialog))
        dialog.open()

    def close_all(self) -> None:
        """Close every dialog still showing (at quit); one Qt already deleted is skipped."""
        for dialog in list(self._showing):
            with contextlib.suppress(RuntimeError):
                dialog.close()
        self._showing.clear()
