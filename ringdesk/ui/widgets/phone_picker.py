"""The phone picker (the "gear"): which phone RingOut rings first, caller ID, press 1, country.

A dumb view of `PhonePickerViewModel`: it lists the view's phones and numbers, and hands the
controls' values to `vm.save(PickerChoice(...))`, which answers with a sentence when something
is missing. Opened with `open()` by the app (never `exec()`).

    dialog = PhonePickerDialog(picker_vm, parent=window)
    picker_vm.saved.connect(dialer_vm.set_preferences)
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ringdesk.config import LOCKED_NOTE
from ringdesk.ui.viewmodels.phone_picker import OTHER_NUMBER, PhonePickerViewModel, PickerChoice, PickerView
from ringdesk.ui.widgets.dialer import dialer_stylesheet
from ringdesk.ui.widgets.style import GROUP, INSET, RELATED, TIGHT, WIDE, is_dark, repolish, spaced

__all__ = ["PhonePickerDialog"]


class PhonePickerDialog(QDialog):
    """Choose the phone RingOut rings first, the caller ID, "press 1" and the default country."""

    def __init__(self, vm: PhonePickerViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._vm = vm
        self._shown_phones: tuple[str, ...] | None = None
        self._started = False
        self.setWindowTitle("Your phone")
        self.setMinimumWidth(560)
        self.setStyleSheet(dialer_stylesheet(is_dark(self.palette())))

        intro = QLabel("RingDesk rings this phone first; when you answer, it calls the number you dialled.")
        intro.setWordWrap(True)
        self.phone_box = self._build_phone_box()
        form = self._build_options_form()
        self.status = QLabel()
        self.status.setObjectName("preview")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Problem")
        self.status.setProperty("problem", "true")
        self.buttons = self._build_buttons()

        layout = spaced(QVBoxLayout(self), margin=GROUP, gap=INSET)
        layout.addWidget(intro)
        layout.addWidget(self.phone_box)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        vm.changed.connect(self.show_view)
        self.show_view(vm.view)

    def _build_phone_box(self) -> QGroupBox:
        """The account's phones (filled in by `show_view`), and "Another number..." with its entry."""
        box = QGroupBox("Ring this phone first")
        self.phone_layout = spaced(QVBoxLayout(box), margin=INSET, gap=RELATED)
        self.phone_group = QButtonGroup(self)
        self.phone_group.setExclusive(True)
        self.phone_buttons: dict[str, QRadioButton] = {}
        self.no_phones = QLabel("No phones are set up for your extension; use another number.")
        self.no_phones.setObjectName("fieldLabel")
        self.no_phones.setWordWrap(True)
        self.other_radio = QRadioButton("&Another number\N{HORIZONTAL ELLIPSIS}")
        self.other_radio.setAccessibleName("Another number")
        self.phone_group.addButton(self.other_radio)
        self.other_entry = QLineEdit()
        self.other_entry.setAccessibleName("Another number to ring first")
        self.other_entry.setPlaceholderText("Phone number, e.g. +1 650 555 0199")
        self.other_preview = QLabel()
        self.other_preview.setObjectName("preview")
        self.other_preview.setWordWrap(True)
        self.other_preview.setAccessibleName("Another number, as it will be rung")
        self.other_entry.textEdited.connect(self._other_edited)
        self.other_entry.textEdited.connect(self._select_other)
        self.other_radio.toggled.connect(self._other_toggled)
        self.phone_list = spaced(QVBoxLayout(), margin=0, gap=RELATED)
        self.phone_layout.addLayout(self.phone_list)
        self.phone_layout.addWidget(self.no_phones)
        self.phone_layout.addWidget(self.other_radio)
        # Under its radio button's words, not its circle.
        other_row = spaced(QVBoxLayout(), margin=(WIDE, 0, 0, 0), gap=TIGHT)
        other_row.addWidget(self.other_entry)
        other_row.addWidget(self.other_preview)
        self.phone_layout.addLayout(other_row)
        return box

    def _build_options_form(self) -> QFormLayout:
        """Caller ID, the default country and "press 1"."""
        self.caller_id = QComboBox()
        self.caller_id.setAccessibleName("Caller ID")
        self.caller_id.setToolTip("The number the person you call sees")
        self.play_prompt = QCheckBox("Prompt me to press &1 before connecting")
        self.play_prompt.setAccessibleName("Prompt me to press 1 before connecting")
        self.play_prompt.setToolTip(
            "Your phone asks you to press 1 before the call goes out, so voicemail never places a call"
        )
        self.country = QComboBox()
        self.country.setAccessibleName("Default country")
        self.country.setToolTip("For numbers typed without a country code")
        self.country.setMaxVisibleItems(20)
        for control in (self.play_prompt, self.country):
            control.setProperty("ownToolTip", control.toolTip())
        self.country.activated.connect(self._country_chosen)
        form = spaced(QFormLayout(), margin=0, gap=RELATED)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        caller_label = QLabel("Caller &ID")
        caller_label.setBuddy(self.caller_id)
        country_label = QLabel("Default &country")
        country_label.setBuddy(self.country)
        form.addRow(caller_label, self.caller_id)
        form.addRow(country_label, self.country)
        form.addRow("", self.play_prompt)
        return form

    def _build_buttons(self) -> QDialogButtonBox:
        """Save, Cancel, and Refresh to load the lists again."""
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setAccessibleName("Reload the phone lists")
        self.refresh_button.setToolTip("Load the phones and numbers from your account again")
        self.refresh_button.clicked.connect(self._vm.refresh)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName("Save")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName("Cancel")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        return buttons

    # ------------------------------------------------------------------ rendering

    def show_view(self, view: PickerView) -> None:
        keys = tuple(p.key + p.text for p in view.phones)
        if keys != self._shown_phones:
            self._shown_phones = keys
            self._fill_phones(view)
        if not self._started:
            # The first full view sets the controls from what is stored; later views (a refresh)
            # only replace the lists and keep what the person already picked.
            self._started = bool(view.phones) or not view.loading
            self._select_stored(view)
        self._fill_caller_ids(view)
        self._fill_countries(view)
        self._show_locks(view)
        self.no_phones.setVisible(not view.phones and not view.loading)
        self.refresh_button.setEnabled(not view.loading)
        self.refresh_button.setText("Loading\N{HORIZONTAL ELLIPSIS}" if view.loading else "&Refresh")
        self._show_status(view.problem or "")

    def _show_locks(self, view: PickerView) -> None:
        """What the administrator set shows, disabled, with the reason where the pointer goes."""
        for field, control in (("play_prompt", self.play_prompt), ("default_country", self.country)):
            locked = field in view.locked
            control.setEnabled(not locked)
            control.setToolTip(LOCKED_NOTE if locked else control.property("ownToolTip"))
            control.setAccessibleDescription(LOCKED_NOTE if locked else "")

    def _fill_phones(self, view: PickerView) -> None:
        checked = self._checked_key()
        for button in self.phone_buttons.values():
            self.phone_group.removeButton(button)
            button.deleteLater()
        self.phone_buttons.clear()
        previous: QWidget | None = None
        for option in view.phones:
            button = QRadioButton(option.text)
            button.setAccessibleName(f"{option.label}, {option.number}")
            button.setProperty("phoneKey", option.key)
            self.phone_group.addButton(button)
            self.phone_list.addWidget(button)
            self.phone_buttons[option.key] = button
            if previous is not None:
                QWidget.setTabOrder(previous, button)
            previous = button
        if checked and checked in self.phone_buttons:
            self.phone_buttons[checked].setChecked(True)

    def _select_stored(self, view: PickerView) -> None:
        prefs = view.preferences
        key = view.selected_key
        if key == OTHER_NUMBER:
            self.other_radio.setChecked(True)
            self.other_entry.setText(view.other_number)
            self._other_edited(view.other_number)
        elif key in self.phone_buttons:
            self.phone_buttons[key].setChecked(True)
        elif self.phone_buttons and self.phone_group.checkedButton() is None:
            # Nothing stored yet: the first phone is the likeliest choice, and Save works at once.
            next(iter(self.phone_buttons.values())).setChecked(True)
        self.play_prompt.setChecked(prefs.play_prompt)
        self._other_toggled(self.other_radio.isChecked())

    def _fill_caller_ids(self, view: PickerView) -> None:
        wanted = [(c.text, c.number) for c in view.caller_ids]
        current = [
            (self.caller_id.itemText(i), self.caller_id.itemData(i)) for i in range(self.caller_id.count())
        ]
        if wanted == current:
            return
        keep = self.caller_id.currentData() if current else view.preferences.caller_id
        self.caller_id.clear()
        for text, number in wanted:
            self.caller_id.addItem(text, number)
        index = self.caller_id.findData(keep)
        self.caller_id.setCurrentIndex(max(0, index))

    def _fill_countries(self, view: PickerView) -> None:
        if self.country.count() == 0:
            for code, name in view.countries:
                self.country.addItem(f"{name} ({code})", code)
            wanted = view.preferences.default_country or view.home_country
            self.country.setCurrentIndex(max(0, self.country.findData(wanted)))
        elif view.preferences.default_country is None and not self._country_touched():
            # The home country arrives with the extension, possibly after the dialog opened.
            self.country.setCurrentIndex(max(0, self.country.findData(view.home_country)))

    def _country_touched(self) -> bool:
        return bool(self.country.property("touched"))

    def _show_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    # ------------------------------------------------------------------ input

    def _checked_key(self) -> str | None:
        button = self.phone_group.checkedButton()
        if button is None:
            return None
        if button is self.other_radio:
            return OTHER_NUMBER
        key = button.property("phoneKey")
        return key if isinstance(key, str) else None

    def _select_other(self, _text: str) -> None:
        self.other_radio.setChecked(True)

    def _country_chosen(self, _index: int) -> None:
        self.country.setProperty("touched", True)

    def _other_toggled(self, checked: bool) -> None:
        self.other_entry.setEnabled(True)  # typing into it selects it; never a dead field
        self.other_preview.setVisible(checked and bool(self.other_entry.text().strip()))

    def _other_edited(self, text: str) -> None:
        preview, problem = self._vm.check_other_number(text) if text.strip() else (None, None)
        self.other_preview.setText(preview or problem or "")
        self.other_preview.setProperty("problem", "true" if problem else "false")
        self.other_preview.setProperty("valid", "true" if preview else "false")
        repolish(self.other_preview)
        self.other_preview.setVisible(bool(text.strip()))

    def choice(self) -> PickerChoice:
        """What the controls say now."""
        data = self.country.currentData()
        return PickerChoice(
            phone_key=self._checked_key(),
            other_number=self.other_entry.text(),
            caller_id=self.caller_id.currentData(),
            play_prompt=self.play_prompt.isChecked(),
            country=data if isinstance(data, str) else "",
        )

    def save(self) -> None:
        problem = self._vm.save(self.choice())
        if problem:
            if self._checked_key() == OTHER_NUMBER:
                # The sentence already stands under the field it is about; say it once.
                self._other_edited(self.other_entry.text())
                if self.other_preview.text() != problem:
                    self._show_status(problem)
                self.other_entry.setFocus(Qt.FocusReason.OtherFocusReason)
            else:
                self._show_status(problem)
            return
        self.accept()
