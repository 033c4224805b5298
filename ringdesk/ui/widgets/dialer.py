"""The main screen's dialer: number entry and preview, dial pad, Call, recent numbers, the live call.

A pure view of `DialerViewModel`; while a call is shown, its status (`CallStatusView`) takes the
place of the pad.

    dialer = DialerWidget(dialer_vm)          # no network, no database: only the view models
    window.set_content(dialer)

Keyboard (`DIALER_KEYS`, listed under Help): type or paste anywhere in the dialer and the number
goes into the entry; Enter calls; Esc cancels a ringing call, hangs up a connected one after
asking, and clears the entry when there is no call. On a finished call's card Enter calls the same
number again, and typing a digit starts the next number.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ringdesk.ui.viewmodels.call import CallAction, CallView
from ringdesk.ui.viewmodels.dialer import DialerView, DialerViewModel
from ringdesk.ui.widgets.call_status import CallStatusView
from ringdesk.ui.widgets.style import (
    ACTION_HEIGHT,
    BODY,
    DISPLAY,
    GROUP,
    INSET,
    LARGE,
    RELATED,
    TIGHT,
    TITLE,
    is_dark,
    repolish,
    spaced,
    type_points,
)

__all__ = ["DIALER_KEYS", "DialPad", "DialerWidget", "NumberEntry", "dialer_stylesheet"]

#: The dialer's keys, for the shortcut list (the menus' shortcuts come from their actions).
DIALER_KEYS = (
    ("Digits, +, *, #", "Type the number to call, wherever the focus is in the dialer"),
    ("Ctrl+V", "Paste a number: spaces, brackets and labels are dropped"),
    ("Enter", "Call the number; after a call, call it again (Enter never hangs up)"),
    (
        "Esc",
        "Stop a link's countdown; cancel a ringing call; hang up, after asking; back to the dial pad; "
        "clear the number",
    ),
    ("Backspace", "Delete the last digit (in the number field)"),
    ("Alt+R", "Redial the most recent number"),
    ("Alt+N", "After a call: a new call"),
)
# What typed anywhere in the dialer goes into the entry.
_DIALABLE_KEYS = frozenset("0123456789+*#")
#: How long after a call ends before Enter means "Call again".
FOCUS_AFTER_END_MS = 700
#: Dial keys' height: at least a finger's touch target, at most what a mouse needs.
KEY_MIN_HEIGHT = 48
KEY_MAX_HEIGHT = 64

# The keys of a phone keypad in its order, with the letters printed under the digits (ITU E.161).
_LETTERS = {
    "1": "",
    "2": "ABC",
    "3": "DEF",
    "4": "GHI",
    "5": "JKL",
    "6": "MNO",
    "7": "PQRS",
    "8": "TUV",
    "9": "WXYZ",
    "*": "",
    "0": "+",
    "#": "",
}


def dialer_stylesheet(dark: bool) -> str:
    """The dialer's own look, keyed on its object names, for light and dark palettes.

    White text on the call and stop colours reaches 4.5:1 (WCAG AA), hovered too.
    """
    if dark:
        card_bg, card_border, secondary = "#262a30", "#3a3f47", "#a8afb8"
        key_bg, key_border, key_hover = "#2d3238", "#444b54", "#373d45"
        letters = secondary
        # Fields' edges: the platform's own vanish against a dark window.
        field_border, accent = "#5a6069", "#4d8fe0"
        call_bg, call_hover, call_disabled, call_disabled_text = "#23804b", "#1c6e40", "#3a3f47", "#a8afb8"
        stop_bg, stop_hover = "#c0392b", "#a93226"
        ok, bad, ended = "#7fd3a0", "#ff9a8f", "#a8afb8"
    else:
        card_bg, card_border, secondary = "#ffffff", "#dde1e6", "#5f6b7a"
        key_bg, key_border, key_hover = "#f6f7f9", "#d5dae0", "#eceff3"
        # The letters on a key: secondary, and dark enough for 4.5:1 on a hovered key.
        letters = "#4f5a67"
        field_border, accent = "#a9b0b8", "#2f6fc4"
        call_bg, call_hover, call_disabled, call_disabled_text = "#1f7a46", "#196b3d", "#e3e6ea", "#5f6b7a"
        stop_bg, stop_hover = "#b3261e", "#c62f26"
        ok, bad, ended = "#1f7a46", "#b3261e", "#5f6b7a"
    # Heights are given here, not by setMinimumHeight, which a style sheet's box overrides: the
    # min-height below is the text's box, inside the padding and the border.
    return f"""
QLineEdit#numberEntry {{
    font-size: {type_points(DISPLAY)}pt; padding: 4px 8px;
    border: 1px solid {field_border}; border-radius: 6px; background: palette(base);
}}
QLineEdit#numberEntry:focus {{ border-color: {accent}; }}
QListWidget#recent {{ border: 1px solid {field_border}; border-radius: 6px; background: palette(base); }}
QLineEdit#numberEntry[long="true"] {{ font-size: {type_points(LARGE)}pt; }}
QLabel#preview {{ color: {secondary}; }}
QLabel#preview[problem="true"] {{ color: {bad}; }}
QLabel#preview[valid="true"] {{ color: {ok}; font-weight: 600; }}
QLabel#phoneLine, QLabel#fieldLabel, QLabel#callDetail {{ color: {secondary}; }}
QLabel#sectionTitle {{ font-weight: 600; }}
QListWidget#recent::item {{ padding: 4px; border-bottom: 1px solid {card_border}; }}
QPushButton#dialKey, QPushButton#eraseKey {{
    background: {key_bg}; border: 1px solid {key_border}; border-radius: 8px;
    font-size: {type_points(TITLE)}pt; padding: 4px;
}}
QPushButton#dialKey {{ min-height: {KEY_MIN_HEIGHT - 10}px; }}
QLabel#keyDigit {{ font-size: {type_points(TITLE)}pt; }}
QLabel#keyLetters {{ color: {letters}; font-size: {type_points(BODY)}pt; }}
QPushButton#eraseKey {{ min-height: {ACTION_HEIGHT - 10}px; }}
QPushButton#dialKey:hover, QPushButton#eraseKey:hover {{ background: {key_hover}; }}
QPushButton#dialKey:pressed, QPushButton#eraseKey:pressed {{ background: {key_border}; }}
QPushButton#redial, QPushButton#cancelCountdown {{ min-height: {ACTION_HEIGHT - 12}px; }}
QPushButton#callButton, QPushButton#callAction {{
    background: {call_bg}; color: white; border: 2px solid transparent; border-radius: 8px;
    font-size: {type_points(LARGE)}pt; font-weight: 600; padding: 8px 16px;
    min-height: {ACTION_HEIGHT - 20}px;
}}
QPushButton#callButton:hover:enabled, QPushButton#callAction:hover:enabled {{ background: {call_hover}; }}
QPushButton#callAction[kind="stop"]:enabled {{ background: {stop_bg}; }}
QPushButton#callAction[kind="stop"]:hover:enabled {{ background: {stop_hover}; }}
QPushButton#callButton:focus, QPushButton#callAction:focus {{ border: 2px solid {secondary}; }}
QPushButton#callButton:disabled, QPushButton#callAction:disabled {{
    background: {call_disabled}; color: {call_disabled_text};
}}
QFrame#callCard {{ background: {card_bg}; border: 1px solid {card_border}; border-radius: 10px; }}
QLabel#callHeadline {{ font-size: {type_points(TITLE)}pt; font-weight: 600; }}
QLabel#callHeadline[tone="connected"] {{ color: {ok}; }}
QLabel#callHeadline[tone="failed"] {{ color: {bad}; }}
QLabel#callHeadline[tone="ended"] {{ color: {ended}; }}
QLabel#callDestination {{ font-size: {type_points(DISPLAY)}pt; }}
QLabel#callRegion {{ color: {secondary}; }}
QLabel#legState {{ font-weight: 600; }}
"""


class NumberEntry(QLineEdit):
    """The number field: a paste (keys or context menu) is cleaned by `clean` before it is inserted.

    A number with an extension can be wider than the field at the large size; then the font
    steps down, so the whole number stays in view instead of scrolling its start away.
    """

    pasted = Signal()

    def __init__(self, clean: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clean = clean
        self.setObjectName("numberEntry")
        self.setAccessibleName("Number to call")
        self.setPlaceholderText("Number to call")
        self.setClearButtonEnabled(True)
        self.setProperty("long", False)
        self.textChanged.connect(self._fit_text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_text()

    def _fit_text(self) -> None:
        font = QFont(self.font())
        font.setPointSizeF(type_points(DISPLAY))
        # Room for the padding and the clear button, which the text must not run under.
        room = self.width() - 16 - self.height()
        long = QFontMetrics(font).horizontalAdvance(self.text()) > room
        if long != self.property("long"):
            self.setProperty("long", long)
            repolish(self)

    def paste_text(self, text: str) -> None:
        """Insert the dialable part of `text` where the cursor is (replacing a selection)."""
        cleaned = self._clean(text)
        if cleaned:
            self.insert(cleaned)
            self.pasted.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste_text(QGuiApplication.clipboard().text())
            event.accept()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.createStandardContextMenu()
        for action in menu.actions():
            # Qt names its standard actions; the built-in paste would insert the raw clipboard.
            if action.objectName() == "edit-paste":
                action.triggered.disconnect()
                action.triggered.connect(lambda: self.paste_text(QGuiApplication.clipboard().text()))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())

    def insertFromMimeData(self, source: QMimeData) -> None:  # pragma: no cover - drag and drop
        self.paste_text(source.text())


class DialKey(QPushButton):
    """A key of the pad: its digit large, the letters a phone's key carries small under it.

    The words are labels laid on the button (a button's own text has one size), and let clicks
    through to it. Digits sit on the same line whether or not letters follow; * and # are centred.
    """

    def __init__(self, key: str, letters: str) -> None:
        super().__init__()
        self.setObjectName("dialKey")
        self.digit = QLabel(key)
        self.digit.setObjectName("keyDigit")
        self.letters = QLabel(letters or " ")
        self.letters.setObjectName("keyLetters")
        layout = spaced(QVBoxLayout(self), margin=TIGHT, gap=0)
        # The style sheet's minimum height is the key's, not the labels' sum.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addStretch(1)
        for label in (self.digit, self.letters):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            layout.addWidget(label)
        self.letters.setVisible(key not in "*#")
        layout.addStretch(1)


class DialPad(QWidget):
    """Twelve keys with the letters under the digits; they do not take focus (typing is quicker)."""

    key_pressed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = spaced(QGridLayout(self), margin=0, gap=RELATED)
        self.keys: dict[str, DialKey] = {}
        for index, (key, letters) in enumerate(_LETTERS.items()):
            button = DialKey(key, letters)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            # Big enough for a finger (48 px and more: the style sheet) and a mouse, never the
            # whole window's height.
            button.setMinimumWidth(64)
            button.setMaximumHeight(KEY_MAX_HEIGHT)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            name = {"*": "Star", "#": "Pound"}.get(key, key)
            button.setAccessibleName(f"Key {name}")
            button.setToolTip(f"Key {name}" + (f" ({letters})" if letters else ""))
            button.clicked.connect(lambda _checked=False, k=key: self.key_pressed.emit(k))
            grid.addWidget(button, index // 3, index % 3)
            self.keys[key] = button
        # Four rows of keys at their tallest, and no more: spare height is not spread between rows.
        self.setMaximumHeight(4 * KEY_MAX_HEIGHT + 3 * grid.spacing())


class DialerWidget(QWidget):
    """The main screen: phone line and gear, entry and preview, pad and Call, recent numbers,
    and in place of the pad the live status while a call is shown."""

    def __init__(self, vm: DialerViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        self.setObjectName("dialer")
        self.setStyleSheet(dialer_stylesheet(is_dark(self.palette())))

        phone_row = self._build_phone_row()
        self.pad_page = self._build_pad_page(self._build_entry_and_pad())
        self.status_page = self._build_status_page()
        # Only the left column changes during a call: Recent stays where it was, one click away.
        self.pages = QStackedWidget()
        self.pages.addWidget(self.pad_page)
        self.pages.addWidget(self.status_page)
        recent = QWidget()
        recent_column = self._build_recent()
        recent.setLayout(recent_column)
        for column, narrowest in ((self.pages, 240), (recent, 170)):
            # The columns keep their shares whatever their texts say (a long Call label, an
            # empty Recent): the layout holds still between states.
            column.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            column.setMinimumWidth(narrowest)
        body = spaced(QHBoxLayout(), margin=0, gap=GROUP)
        body.addWidget(self.pages, 3)
        body.addWidget(recent, 2)

        layout = spaced(QVBoxLayout(self), margin=0, gap=INSET)
        layout.addLayout(phone_row)
        layout.addLayout(body, 1)

        # A long number steps the entry's font down; its height stays, so the pad does not move.
        self.entry.ensurePolished()
        self.entry.setMinimumHeight(self.entry.sizeHint().height())

        self.setTabOrder(self.entry, self.call_button)
        self.setTabOrder(self.call_button, self.recent)
        self.setTabOrder(self.recent, self.redial_button)
        self.setTabOrder(self.redial_button, self.phone_button)
        self.setFocusProxy(self.entry)

        vm.changed.connect(self.show_view)
        vm.call_vm.changed.connect(self.show_call)
        vm.hang_up_confirmation_requested.connect(self._confirm_hang_up)
        # The card itself holds the keyboard while its action must not take Enter.
        self.status_view.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        # The call on the card has ended and its Call again is about to take the focus.
        self._ended_seen = False
        self._focus_after_end = QTimer(self)
        self._focus_after_end.setSingleShot(True)
        self._focus_after_end.setInterval(FOCUS_AFTER_END_MS)
        self._focus_after_end.timeout.connect(self._focus_settled_call)
        self.recent.installEventFilter(self)
        self._hang_up_question: QMessageBox | None = None
        self.show_view(vm.view)
        self.show_call(vm.call_vm.view)

    def _build_phone_row(self) -> QHBoxLayout:
        """The phone RingDesk rings first, and the gear that opens the phone picker."""
        self.phone_line = QLabel()
        self.phone_line.setObjectName("phoneLine")
        self.phone_line.setWordWrap(True)
        self.phone_line.setAccessibleName("Your phone")
        self.phone_button = QPushButton("\N{GEAR} &Phone\N{HORIZONTAL ELLIPSIS}")
        self.phone_button.setAccessibleName("Choose your phone")
        self.phone_button.setToolTip("The phone RingDesk rings first, caller ID, press 1, default country")
        self.phone_button.clicked.connect(self._vm.open_phone_picker)
        row = spaced(QHBoxLayout(), margin=0, gap=RELATED)
        row.addWidget(self.phone_line, 1)
        row.addWidget(self.phone_button)
        return row

    def _build_entry_and_pad(self) -> QVBoxLayout:
        """The entry and its preview, the dial pad, Call and the backspace key."""
        vm = self._vm
        self.entry = NumberEntry(vm.dialable)
        self.entry.textEdited.connect(vm.set_text)
        self.entry.pasted.connect(self._entry_pasted)
        self.entry.returnPressed.connect(vm.call)
        self.preview = QLabel()
        self.preview.setObjectName("preview")
        self.preview.setWordWrap(True)
        self.preview.setAccessibleName("What will be dialled")
        self.preview.setMinimumHeight(self.preview.fontMetrics().lineSpacing() * 2 + 4)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.pad = DialPad()
        self.pad.key_pressed.connect(self._key)
        self.backspace_button = QPushButton("\N{ERASE TO THE LEFT}")
        self.backspace_button.setObjectName("eraseKey")
        self.backspace_button.setAccessibleName("Delete last digit")
        self.backspace_button.setToolTip("Delete the last digit (Backspace)")
        self.backspace_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.backspace_button.setMinimumWidth(64)
        self.backspace_button.clicked.connect(self._backspace)
        self.call_button = QPushButton()
        self.call_button.setObjectName("callButton")
        self.call_button.setAccessibleName("Call")
        self.call_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.call_button.clicked.connect(vm.call)
        # While an offered number counts down to its call, Cancel takes the backspace key's place:
        # one slot, so nothing around it moves.
        self.cancel_auto_button = QPushButton("Cancel")
        self.cancel_auto_button.setAccessibleName("Do not call this number")
        self.cancel_auto_button.setToolTip("Stop the countdown; the number stays in the entry (Esc)")
        self.cancel_auto_button.setObjectName("cancelCountdown")
        self.cancel_auto_button.setMinimumWidth(64)
        self.cancel_auto_button.clicked.connect(vm.cancel_auto_call)
        self.end_key = QStackedWidget()
        self.end_key.addWidget(self.backspace_button)
        self.end_key.addWidget(self.cancel_auto_button)
        self.end_key.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        call_row = spaced(QHBoxLayout(), margin=0, gap=RELATED)
        call_row.addWidget(self.call_button, 1)
        call_row.addWidget(self.end_key)

        column = spaced(QVBoxLayout(), margin=0, gap=RELATED)
        column.addWidget(self.entry)
        column.addWidget(self.preview)
        column.addWidget(self.pad, 1)
        # A taller window leaves the room above Call: the keys do not grow past a finger's size,
        # and Call stays level with Redial at the foot of the window.
        column.addStretch(0)
        column.addLayout(call_row)
        return column

    def _build_recent(self) -> QVBoxLayout:
        """The recent numbers (or a line saying where they will appear), and Redial."""
        recent_title = QLabel("Recent")
        recent_title.setObjectName("sectionTitle")
        self.recent = QListWidget()
        self.recent.setObjectName("recent")
        self.recent.setAccessibleName("Recent numbers")
        self.recent.setToolTip("Enter or double-click calls the number again")
        self.recent.setMinimumWidth(170)
        self.recent.setWordWrap(True)
        self.recent.itemActivated.connect(self._recent_activated)
        recent_title.setBuddy(self.recent)
        self.recent_empty = QLabel("Numbers you call appear here.")
        self.recent_empty.setObjectName("fieldLabel")
        self.recent_empty.setWordWrap(True)
        self.redial_button = QPushButton("&Redial")
        self.redial_button.setAccessibleName("Redial the last number")
        self.redial_button.setToolTip("Call the most recent number again")
        self.redial_button.clicked.connect(self._redial_last)
        self.redial_button.setObjectName("redial")
        column = spaced(QVBoxLayout(), margin=0, gap=RELATED)
        column.addWidget(recent_title)
        column.addWidget(self.recent, 1)
        column.addWidget(self.recent_empty)
        column.addWidget(self.redial_button)
        return column

    def _build_pad_page(self, entry_and_pad: QVBoxLayout) -> QWidget:
        page = QWidget()
        page.setLayout(entry_and_pad)
        return page

    def _build_status_page(self) -> QWidget:
        """The live call's card, in the pad's place while a call is shown, as tall as the pad."""
        self.status_view = CallStatusView(self._vm.call_vm)
        page = QWidget()
        layout = spaced(QVBoxLayout(page), margin=0, gap=0)
        layout.addWidget(self.status_view)
        return page

    # ------------------------------------------------------------------ rendering

    def show_view(self, view: DialerView) -> None:
        if self.entry.text() != view.text:
            self.entry.setText(view.text)
        self.preview.setText(view.preview)
        state = (str(view.preview_problem).lower(), str(view.preview_valid).lower())
        if (self.preview.property("problem"), self.preview.property("valid")) != state:
            self.preview.setProperty("problem", state[0])
            self.preview.setProperty("valid", state[1])
            repolish(self.preview)
        self.call_button.setText(view.call_label)
        self.call_button.setAccessibleName(view.call_label.replace("&", ""))
        self.call_button.setEnabled(view.call_enabled)
        self.call_button.setToolTip(view.call_tooltip)
        self.phone_line.setText(view.phone_line)
        self.end_key.setCurrentWidget(self.cancel_auto_button if view.auto_call_in else self.backspace_button)
        self._show_recent(view)
        self.redial_button.setEnabled(view.redial_enabled)

    def focus_call(self) -> None:
        """Where a number offered from elsewhere leaves the keyboard: on Call when it can be
        pressed (Enter or Space calls), else in the entry."""
        (self.call_button if self.call_button.isEnabled() else self.entry).setFocus()

    def show_call(self, view: CallView) -> None:
        page = self.status_page if view.shown else self.pad_page
        if self.pages.currentWidget() is not page:
            self.pages.setCurrentWidget(page)
            if not view.shown:
                # Back at the pad: the last number selected (typing replaces it; the arrows edit it).
                self.entry.setFocus()
                self.entry.selectAll()
        if view.shown:
            self._focus_call_action()
        else:
            self._ended_seen = False
            self._focus_after_end.stop()
        if self._hang_up_question is not None and view.action is not CallAction.HANG_UP:
            # The call ended while the question was open: there is nothing left to hang up.
            self._hang_up_question.done(QMessageBox.StandardButton.Cancel)

    def _focus_call_action(self) -> None:
        """Where the keyboard rests while a call is shown. On Cancel while it rings (Enter or Esc
        cancels), never on Hang up (only Esc hangs up, after asking), and on Call again only
        `FOCUS_AFTER_END_MS` after the call ended: an Enter meant for the live call must not
        call the same person again. A control the person moved to keeps the focus."""
        card, action = self.status_view, self.status_view.action_button
        view = self._vm.call_vm.view
        focused = self.window().focusWidget()
        if view.final:
            if not self._ended_seen:
                self._ended_seen = True
                if focused is action or self._stray(focused):
                    card.setFocus()
                self._focus_after_end.start()
            return
        self._ended_seen = False
        if view.action is CallAction.HANG_UP:
            if focused is action or self._stray(focused):
                card.setFocus()
        elif focused is not action and action.isEnabled() and self._stray(focused):
            action.setFocus()

    def _focus_settled_call(self) -> None:
        action = self.status_view.action_button
        if action.isVisible() and action.isEnabled() and self.window().focusWidget() is self.status_view:
            action.setFocus()

    def _stray(self, focused: QWidget | None) -> bool:
        """Focus on nothing the person chose: no widget, a hidden or disabled one, or a page."""
        return (
            focused is None
            or focused is self.status_view
            or not focused.isVisible()
            or not focused.isEnabled()
            or not focused.focusPolicy() & Qt.FocusPolicy.TabFocus
        )

    def _show_recent(self, view: DialerView) -> None:
        items = [self.recent.item(row) for row in range(self.recent.count())]
        if [item.data(Qt.ItemDataRole.UserRole) for item in items] != [e.number for e in view.recent]:
            self.recent.clear()
            items = []
            for entry in view.recent:
                item = QListWidgetItem()
                item.setData(Qt.ItemDataRole.UserRole, entry.number)
                self.recent.addItem(item)
                items.append(item)
        # The same numbers with new words ("3 min ago"): changed in place, so the selection and
        # the scroll position stay where the person left them.
        for item, entry in zip(items, view.recent, strict=True):
            if item.text() != entry.text:
                item.setText(entry.text)
            if item.toolTip() != entry.tooltip:
                item.setToolTip(entry.tooltip)
        self.recent_empty.setVisible(not view.recent)

    # ------------------------------------------------------------------ input

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Keys the entry, the buttons and the card do not use reach here, so these work wherever
        # the focus is in the dialer without window-wide shortcuts.
        if event.key() == Qt.Key.Key_Escape and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            self._vm.escape()
            event.accept()
            return
        if self._type_into_entry(event):
            event.accept()
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The recent list would take digits for its own type-ahead search; they start a number.
        if watched is self.recent and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            return self._type_into_entry(event)
        return False

    def _type_into_entry(self, event: QKeyEvent) -> bool:
        """A digit (or +, *, #) or a paste typed outside the entry goes into it; on a finished
        call's card it starts the next number. False when the key is not one of those."""
        chord = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        if event.matches(QKeySequence.StandardKey.Paste):
            text = self._vm.dialable(QGuiApplication.clipboard().text())
        elif event.text() in _DIALABLE_KEYS and not event.modifiers() & chord:
            text = event.text()
        else:
            return False
        if not text:
            return False
        if self.pages.currentWidget() is self.status_page:
            if not self._vm.call_vm.view.final:
                return False
            self._vm.start_over(text)
            self.entry.setFocus()
        else:
            self._key(text)
        return True

    def _confirm_hang_up(self) -> None:
        """Esc on a connected call: hanging up by a stray key is worse than one more key press."""
        if self._hang_up_question is not None:
            return
        question = QMessageBox(
            QMessageBox.Icon.Question,
            "Hang up?",
            "Hang up the call?",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        question.setInformativeText("The call ends for both of you.")
        hang_up = question.addButton("Hang up", QMessageBox.ButtonRole.AcceptRole)
        keep = question.addButton("Stay on the call", QMessageBox.ButtonRole.RejectRole)
        question.setDefaultButton(hang_up)
        question.setEscapeButton(keep)
        question.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(_result: int) -> None:
            self._hang_up_question = None
            if question.clickedButton() is hang_up:
                self._vm.call_vm.stop()

        question.finished.connect(answered)
        self._hang_up_question = question
        question.open()

    def _key(self, key: str) -> None:
        # Digits go in where the cursor is, as on a phone's own entry; the view model re-reads the text.
        self.entry.insert(key)
        self._vm.set_text(self.entry.text())
        self.entry.setFocus()

    def _backspace(self) -> None:
        self.entry.backspace()
        self._vm.set_text(self.entry.text())
        self.entry.setFocus()

    def _entry_pasted(self) -> None:
        self._vm.set_text(self.entry.text())

    def _redial_last(self) -> None:
        self._vm.redial()

    def _recent_activated(self, item: QListWidgetItem) -> None:
        number = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(number, str):
            self._vm.redial(number)
