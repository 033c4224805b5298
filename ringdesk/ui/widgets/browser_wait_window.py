"""The windows of sign-in that need no web engine: "waiting for your browser", and the message
panel (a heading, a sentence, buttons) that the embedded sign-in window shows too.

Kept apart from `sign_in_window` (the QtWebEngine window) so that importing these never loads
QtWebEngine: RingDesk loads it only when a web sign-in starts.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ringdesk.ui.viewmodels.sign_in import SignInStep, SignInView
from ringdesk.ui.widgets.style import RELATED, WIDE, heading_label, spaced

__all__ = ["BrowserWaitWindow", "MessagePanel"]


class MessagePanel(QWidget):
    """A heading, one sentence and up to two buttons: the "problem" and "working" states of a window.

    With `card`, they sit on a card near the top of the window, where a sign-in page's card was
    (the sign-in window shows the panel in the page's place); without, they fill their window.
    """

    def __init__(self, parent: QWidget | None = None, *, card: bool = False) -> None:
        super().__init__(parent)
        self.heading = heading_label()
        self.sentence = QLabel()
        self.sentence.setObjectName("sentence")
        self.sentence.setWordWrap(True)
        self.sentence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.activity = QProgressBar()
        self.activity.setRange(0, 0)  # indeterminate: the wait has no known length
        self.activity.setTextVisible(False)
        self.activity.setAccessibleName("Working")
        self.primary = QPushButton()
        self.primary.setDefault(True)
        self.secondary = QPushButton()
        self.buttons = buttons = spaced(QHBoxLayout(), margin=0, gap=RELATED)
        buttons.addStretch(1)
        # In the order the desktop's dialogs put them (as QDialogButtonBox does): the main answer
        # last on GNOME and macOS, first on Windows and KDE.
        layout_hint = self.style().styleHint(QStyle.StyleHint.SH_DialogButtonLayout)
        main_last = layout_hint in (
            QDialogButtonBox.ButtonLayout.GnomeLayout.value,
            QDialogButtonBox.ButtonLayout.MacLayout.value,
        )
        for button in (self.secondary, self.primary) if main_last else (self.primary, self.secondary):
            buttons.addWidget(button)
        content: QWidget = self
        if card:
            content = QFrame(self)
            content.setObjectName("messageCard")
        layout = spaced(QVBoxLayout(content), margin=WIDE, gap=RELATED)
        if not card:
            layout.addStretch(1)
        layout.addWidget(self.heading)
        layout.addWidget(self.sentence)
        layout.addWidget(self.activity)
        layout.addSpacing(RELATED)
        layout.addLayout(buttons)
        if card:
            outer = spaced(QVBoxLayout(self), margin=(2 * WIDE, 2 * WIDE, 2 * WIDE, WIDE), gap=0)
            outer.addWidget(content)
            outer.addStretch(1)
        else:
            layout.addStretch(2)
        self.setMinimumWidth(420)

    def present(
        self,
        heading: str,
        sentence: str,
        *,
        working: bool,
        primary: str | None,
        secondary: str | None,
    ) -> None:
        self.heading.setText(heading)
        self.sentence.setText(sentence)
        self.sentence.setVisible(bool(sentence))
        # A screen reader announces the sentence as the panel's description.
        self.setAccessibleDescription(sentence)
        self.activity.setVisible(working)
        for button, text in ((self.primary, primary), (self.secondary, secondary)):
            button.setVisible(text is not None)
            button.setText(text or "")
        if primary is not None:
            self.primary.setFocus()


class BrowserWaitWindow(QWidget):
    """ "Waiting for your browser...": shown while the person signs in in the system browser.

    Signals: `cancel_requested()` (Cancel), `reopen_requested()` ("Open the page again"),
    `try_again_requested()` (after a problem), `closed()` when the person closes the window.
    """

    cancel_requested = Signal()
    reopen_requested = Signal()
    try_again_requested = Signal()
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BrowserWaitWindow")
        self.setWindowTitle("Sign in with your browser")
        self._finishing = False
        self._state = "waiting"
        self.panel = MessagePanel()
        self.reopen = QPushButton("&Open the page again")
        self.reopen.setAccessibleName("Open the sign-in page in the browser again")
        self.reopen.clicked.connect(self.reopen_requested.emit)
        # On the left of the button row, apart from Cancel: it helps when the browser tab got lost.
        self.panel.buttons.insertWidget(0, self.reopen)
        self.panel.primary.clicked.connect(self._primary_clicked)
        self.panel.secondary.clicked.connect(self._secondary_clicked)
        layout = spaced(QVBoxLayout(self), margin=0, gap=0)
        layout.addWidget(self.panel)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self, self.close)
        self.show_waiting()
        self.setMinimumWidth(440)

    def show_view(self, view: SignInView) -> None:
        """Show what `view` says: waiting for the browser, finishing, or the problem."""
        if view.step is SignInStep.WAITING_FOR_BROWSER:
            self.show_waiting()
        elif view.step is SignInStep.FINISHING:
            self.show_working(view.sentence)
        elif view.step is SignInStep.PROBLEM:
            self.show_problem(view.sentence)

    def show_waiting(self) -> None:
        self._state = "waiting"
        self.panel.present(
            "Waiting for your browser\N{HORIZONTAL ELLIPSIS}",
            "RingDesk opened the RingCentral sign-in page in your web browser. Sign in there; "
            "RingDesk continues by itself when you are done.",
            working=True,
            primary=None,
            secondary="Cancel",
        )
        self.reopen.show()
        self.panel.secondary.setFocus()

    def show_working(self, sentence: str) -> None:
        self._state = "working"
        self.panel.present(
            "Signing in\N{HORIZONTAL ELLIPSIS}", sentence, working=True, primary=None, secondary="Cancel"
        )
        self.reopen.hide()

    def show_problem(self, sentence: str) -> None:
        self._state = "problem"
        self.panel.present(
            "Sign-in did not finish", sentence, working=False, primary="Try again", secondary="Close"
        )
        self.reopen.hide()

    def finish(self) -> None:
        self._finishing = True
        self.close()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._secondary_clicked()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        if event.isAccepted() and not self._finishing:
            self._finishing = True
            self.closed.emit()

    def _primary_clicked(self) -> None:
        if self._state == "problem":
            self.try_again_requested.emit()

    def _secondary_clicked(self) -> None:
        if self._state == "problem":
            self.close()
        else:
            self.cancel_requested.emit()
