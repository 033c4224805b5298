"""The live status of the current call: a pure view of `CallViewModel`.

Shown by the dialer in place of the dial pad while a call is shown; styled by the dialer's
stylesheet (`callCard`, `callHeadline`, ...).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ringdesk.ui.viewmodels.call import CallAction, CallView, CallViewModel
from ringdesk.ui.widgets.style import GROUP, INSET, RELATED, TIGHT, repolish, spaced

__all__ = ["CallStatusView"]


class CallStatusView(QFrame):
    """The live call: phase in words, both legs, the numbers, elapsed time and the one action."""

    def __init__(self, vm: CallViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        self.setObjectName("callCard")
        self.setAccessibleName("Call status")

        self.headline = QLabel()
        self.headline.setObjectName("callHeadline")
        self.headline.setWordWrap(True)
        self.headline.setAccessibleName("Call status")
        self.destination = QLabel()
        self.destination.setObjectName("callDestination")
        self.destination.setWordWrap(True)
        self.destination.setAccessibleName("Number called")
        self.destination.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.region = QLabel()
        self.region.setObjectName("callRegion")
        self.region.setAccessibleName("Country called")
        legs = self._build_legs()
        self.detail = QLabel()
        self.detail.setObjectName("callDetail")
        self.detail.setWordWrap(True)
        self.detail.setAccessibleName("Call details")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = self._build_action()

        layout = spaced(QVBoxLayout(self), margin=GROUP, gap=INSET)
        layout.addWidget(self.headline)
        # The number large, its country under it: "United States" never breaks the number's line.
        destination = spaced(QVBoxLayout(), margin=0, gap=TIGHT)
        destination.addWidget(self.destination)
        destination.addWidget(self.region)
        layout.addLayout(destination)
        layout.addLayout(legs)
        layout.addWidget(self.detail)
        # The card is as tall as the pad it replaces; its actions sit at the bottom, where the
        # Call button was.
        layout.addStretch(1)
        layout.addLayout(buttons)

        vm.changed.connect(self.show_view)
        self.show_view(vm.view)

    def _build_legs(self) -> QGridLayout:
        """Each leg of the call, yours first: its name and state on one line, its number under."""
        legs = spaced(QGridLayout(), margin=0, gap=TIGHT)
        legs.setHorizontalSpacing(INSET)
        self.your_phone, self.your_leg = self._leg(legs, 0, "Your phone", "Your phone")
        legs.setRowMinimumHeight(2, 8)
        self.their_number, self.their_leg = self._leg(legs, 3, "Their phone", "Their number")
        legs.setColumnStretch(0, 1)
        return legs

    def _leg(self, legs: QGridLayout, row: int, name: str, number_name: str) -> tuple[QLabel, QLabel]:
        title = QLabel(name)
        title.setObjectName("fieldLabel")
        state = QLabel()
        state.setObjectName("legState")
        state.setAccessibleName(f"{name}'s state")
        number = QLabel()
        number.setWordWrap(True)
        number.setAccessibleName(number_name)
        legs.addWidget(title, row, 0)
        legs.addWidget(state, row, 1, Qt.AlignmentFlag.AlignRight)
        legs.addWidget(number, row + 1, 0, 1, 2)
        return number, state

    def _build_action(self) -> QVBoxLayout:
        """The main action (cancel, hang up, call again) across the card's foot, where the Call
        button was; after a call, "Change phone" (when the operator's own phone failed) and "New
        call" above it."""
        self.change_phone_button = QPushButton("Change phone\N{HORIZONTAL ELLIPSIS}")
        self.change_phone_button.setToolTip("Choose another of your phones to ring first (Ctrl+P)")
        self.change_phone_button.clicked.connect(self._vm.change_phone)
        self.new_call_button = QPushButton("&New call")
        self.new_call_button.setToolTip("Back to the dial pad; typing a number does the same (Esc)")
        self.new_call_button.clicked.connect(self._vm.new_call)
        self.action_button = QPushButton()
        self.action_button.setObjectName("callAction")
        self.action_button.setAutoDefault(True)
        self.action_button.clicked.connect(self._vm.act)
        after_call = spaced(QHBoxLayout(), margin=0, gap=RELATED)
        for button in (self.change_phone_button, self.new_call_button):
            after_call.addWidget(button, 1)
        buttons = spaced(QVBoxLayout(), margin=0, gap=RELATED)
        buttons.addLayout(after_call)
        buttons.addWidget(self.action_button)
        return buttons

    def show_view(self, view: CallView) -> None:
        self.headline.setText(view.headline)
        if self.headline.property("tone") != view.tone.value:
            self.headline.setProperty("tone", view.tone.value)
            repolish(self.headline)
        number, _comma, region = view.destination.partition(", ")
        self.destination.setText(number)
        self.region.setText(region)
        self.region.setVisible(bool(region))
        self.your_phone.setText(view.your_phone or "\N{EM DASH}")
        self.your_leg.setText(view.your_leg)
        self.their_number.setText(number or "\N{EM DASH}")
        self.their_leg.setText(view.their_leg)
        self.detail.setText(view.detail)
        self.detail.setVisible(bool(view.detail))
        self.change_phone_button.setVisible(view.can_change_phone)
        self.new_call_button.setVisible(view.final)  # "New call" goes back to the pad
        self.action_button.setVisible(view.action is not CallAction.NONE)
        kind = "call" if view.action is CallAction.CALL_AGAIN else "stop"
        if self.action_button.property("kind") != kind:
            self.action_button.setProperty("kind", kind)
            repolish(self.action_button)
        self.action_button.setText(view.action_label)
        self.action_button.setAccessibleName(view.action_label.replace("&", ""))
        self.action_button.setEnabled(view.action_enabled)
        self.action_button.setToolTip(view.action_tooltip)
        # A disabled button shows no tooltip on hover in some styles; the reason stays readable here.
        self.action_button.setAccessibleDescription(view.action_tooltip)
