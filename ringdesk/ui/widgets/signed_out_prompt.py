"""The start-up question when no stored sign-in still works: sign in now, or continue signed out.

Shown with `open()` (window-modal, never `exec()`); the answer comes as `answered(bool)`: True for
"Sign in now". Closing it or pressing Esc means "Continue signed out".
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ringdesk.config import LOCKED_NOTE
from ringdesk.ui.widgets.style import GROUP, RELATED, WIDE, heading_label, icon, spaced

__all__ = ["SignedOutPrompt"]


class SignedOutPrompt(QDialog):
    answered = Signal(bool)

    def __init__(
        self,
        *,
        server_label: str = "RingCentral",
        problem: str | None = None,
        note: str | None = None,
        ask_at_start: bool = True,
        ask_at_start_locked: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        """`problem`: why a stored sign-in no longer works; `note`: e.g. that the connection needs
        setting up first. Both are one sentence each and optional. `ask_at_start_locked`: the
        administrator decided whether this question is asked; the box shows it, disabled."""
        super().__init__(parent)
        self.setWindowTitle("Sign in to RingDesk")
        self.setWindowIcon(icon("ringdesk"))
        self.setObjectName("signedOutPrompt")
        self.setMinimumWidth(440)

        top = self._build_question(server_label, problem, note)
        self.ask_again = QCheckBox("&Ask me each time RingDesk starts")
        self.ask_again.setChecked(ask_at_start)
        if ask_at_start_locked:
            self.ask_again.setEnabled(False)
            self.ask_again.setToolTip(LOCKED_NOTE)
            self.ask_again.setAccessibleDescription(LOCKED_NOTE)
        buttons = self._build_buttons()

        layout = spaced(QVBoxLayout(self), margin=WIDE, gap=GROUP)
        layout.addLayout(top)
        layout.addWidget(self.ask_again)
        layout.addWidget(buttons)

        self.finished.connect(self._on_finished)

    def _build_question(self, server_label: str, problem: str | None, note: str | None) -> QHBoxLayout:
        """The app's picture beside the question, why it is asked, and what signing in is for."""
        picture = QLabel()
        picture.setPixmap(icon("ringdesk").pixmap(48, 48))
        picture.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.heading = heading_label(f"Sign in to {server_label} now?")
        self.explanation = QLabel(
            "RingDesk needs your sign-in to place calls. You can also continue signed out: "
            "call history and settings still work, and you can sign in later from the Account menu."
        )
        self.explanation.setWordWrap(True)
        self.problem = QLabel(problem or "", self)
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(bool(problem))
        self.note = QLabel(note or "", self)
        self.note.setObjectName("note")
        self.note.setWordWrap(True)
        self.note.setVisible(bool(note))

        texts = spaced(QVBoxLayout(), margin=0, gap=RELATED)
        texts.addWidget(self.heading)
        texts.addWidget(self.problem)
        texts.addWidget(self.explanation)
        texts.addWidget(self.note)
        top = spaced(QHBoxLayout(), margin=0, gap=GROUP)
        top.addWidget(picture, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(texts, 1)
        return top

    def _build_buttons(self) -> QDialogButtonBox:
        """The answers: "Sign in now" (the default), and "Continue signed out", as Esc and closing mean."""
        self.sign_in_button = QPushButton("&Sign in now")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.setAccessibleName("Sign in now")
        self.continue_button = QPushButton("&Continue signed out")
        self.continue_button.setAccessibleName("Continue signed out")
        buttons = QDialogButtonBox()
        buttons.addButton(self.sign_in_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.continue_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        return buttons

    @property
    def ask_at_start(self) -> bool:
        return self.ask_again.isChecked()

    def _on_finished(self, result: int) -> None:
        self.answered.emit(result == QDialog.DialogCode.Accepted)
