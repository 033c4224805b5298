"""The phone picker: lists (records without id or type too), "Another number...", caller ID,
press 1, default country, refresh, and what is stored. No network: the lists are models."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ringdesk.config import DialerSettings
from ringdesk.errors import NetworkError
from ringdesk.platforms.base import AccountPhones, CallerId, DefaultCallerId, Phone
from ringdesk.ui.viewmodels.dialer import phone_to_ring
from ringdesk.ui.viewmodels.phone_picker import (
    OTHER_NUMBER,
    PhonePickerViewModel,
    PickerChoice,
)
from ringdesk.ui.widgets.phone_picker import PhonePickerDialog
from tests.fakes import no_spawn, until

DOT = "  \N{MIDDLE DOT}  "
PHONES = AccountPhones(
    "US",
    (
        Phone("733151008", "+16505550111", "Desk phone", "desk"),
        Phone("733152008", "+16505550122", "Cell", "mobile"),
        Phone("733154008", "+16505550144", "Front desk", None),
        Phone(None, "+16505550155", "Other phone", "other"),
        Phone(None, None, "Broken", None),  # nothing to ring: left out
        Phone("733156008", "+16505550166", None, None),
    ),
    (
        CallerId("+16505550100", usage="main company number"),
        CallerId("+16505550101", usage="direct number"),
    ),
)


def picker(prefs: DialerSettings | None = None, phones: AccountPhones = PHONES) -> PhonePickerViewModel:
    # Owned by Qt (the application), so Python's garbage collector never destroys it on another thread.
    return PhonePickerViewModel(
        None, prefs or DialerSettings(), phones=phones, spawn=no_spawn, parent=QApplication.instance()
    )


def test_the_lists(qtbot: QtBot) -> None:
    dialog = PhonePickerDialog(picker())
    qtbot.addWidget(dialog)
    texts = [b.text() for b in dialog.phone_buttons.values()]
    assert texts == [
        f"Desk phone{DOT}+1 650-555-0111",
        f"Cell{DOT}+1 650-555-0122{DOT}Mobile phone",
        f"Front desk{DOT}+1 650-555-0144",
        f"Other phone{DOT}+1 650-555-0155",
        f"Phone{DOT}+1 650-555-0166",
    ]
    # Nothing stored yet: the first phone is preselected, so Save works at once.
    assert next(iter(dialog.phone_buttons.values())).isChecked()
    callers = [
        (dialog.caller_id.itemText(i), dialog.caller_id.itemData(i)) for i in range(dialog.caller_id.count())
    ]
    assert callers == [
        ("Account default", None),
        ("+1 650-555-0100 (main company number)", "+16505550100"),
        ("+1 650-555-0101 (direct number)", "+16505550101"),
    ]
    assert dialog.country.currentData() == "US"
    assert dialog.country.currentText() == "United States (US)"
    assert not dialog.play_prompt.isChecked()
    for control in [*dialog.phone_buttons.values(), dialog.other_radio, dialog.other_entry, dialog.caller_id]:
        assert control.accessibleName()


def test_saving_a_record_with_an_id_uses_the_id(qtbot: QtBot) -> None:
    vm = picker()
    dialog = PhonePickerDialog(vm)
    qtbot.addWidget(dialog)
    dialog.phone_buttons["id:733152008"].click()
    dialog.caller_id.setCurrentIndex(2)
    dialog.play_prompt.setChecked(True)
    with qtbot.waitSignal(vm.saved) as saved:
        dialog.save_button.click()
    prefs: DialerSettings = saved.args[0]
    assert prefs == DialerSettings(
        forwarding_number_id="733152008",
        phone_number="+16505550122",
        phone_label="Cell",
        caller_id="+16505550101",
        play_prompt=True,
        default_country=None,  # the home country is not stored: it follows the extension
    )
    assert phone_to_ring(prefs) == Phone("733152008", "+16505550122", "Cell")
    assert dialog.result() == PhonePickerDialog.DialogCode.Accepted


def test_a_record_without_id_is_stored_by_its_number(qtbot: QtBot) -> None:
    vm = picker()
    other = next(o for o in vm.view.phones if o.label == "Other phone")
    assert vm.save(PickerChoice(other.key, "", None, False, "US")) is None
    assert vm.view.preferences.forwarding_number_id is None
    assert phone_to_ring(vm.view.preferences) == "+16505550155"
    # Opened again, the same record is selected.
    dialog = PhonePickerDialog(vm)
    qtbot.addWidget(dialog)
    assert dialog.phone_buttons[other.key].isChecked()


def test_another_number_is_validated(qtbot: QtBot) -> None:
    vm = picker()
    dialog = PhonePickerDialog(vm)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.other_entry.setFocus()
    qtbot.keyClicks(dialog.other_entry, "650 555")
    assert dialog.other_radio.isChecked()
    assert dialog.other_preview.text() == "That is not a complete phone number for the United States."
    dialog.save_button.click()
    assert dialog.isVisible()
    assert dialog.status.isHidden(), "the sentence stands under the field, once"
    assert dialog.other_preview.text() == "That is not a complete phone number for the United States."
    qtbot.keyClicks(dialog.other_entry, " 0199")
    assert dialog.other_preview.text() == "+1 650-555-0199, United States"
    with qtbot.waitSignal(vm.saved) as saved:
        dialog.save_button.click()
    assert saved.args[0].phone_number == "+16505550199"
    assert saved.args[0].phone_label == "Another number"
    assert vm.view.selected_key == OTHER_NUMBER
    assert vm.check_other_number("6505550199 x12")[1] == (
        "RingOut cannot key an extension on your own phone; enter its direct number."
    )


def test_default_country_follows_the_extension_unless_chosen(qtbot: QtBot) -> None:
    vm = picker(phones=AccountPhones("GB", PHONES.phones, PHONES.caller_ids))
    dialog = PhonePickerDialog(vm)
    qtbot.addWidget(dialog)
    assert dialog.country.currentData() == "GB"
    assert vm.check_other_number("020 7946 0000") == ("+44 20 7946 0000, United Kingdom", None)
    dialog.country.setCurrentIndex(dialog.country.findData("DE"))
    with qtbot.waitSignal(vm.saved) as saved:
        dialog.save_button.click()
    assert saved.args[0].default_country == "DE"


def test_a_stored_choice_is_shown_as_stored(qtbot: QtBot) -> None:
    prefs = DialerSettings(
        forwarding_number_id="733154008",
        phone_number="+16505550144",
        phone_label="Front desk",
        caller_id="+16505550100",
        play_prompt=True,
        default_country="CA",
    )
    dialog = PhonePickerDialog(picker(prefs))
    qtbot.addWidget(dialog)
    assert dialog.phone_buttons["id:733154008"].isChecked()
    assert dialog.caller_id.currentData() == "+16505550100"
    assert dialog.play_prompt.isChecked()
    assert dialog.country.currentData() == "CA"


async def test_refresh_reloads_the_lists_and_says_when_it_cannot(qtbot: QtBot) -> None:
    answers: list[AccountPhones | Exception] = [
        AccountPhones(PHONES.home_country, PHONES.phones[:1], ()),
        NetworkError("Cannot reach the phone service.", may_have_reached_server=False),
        PHONES,
    ]

    async def load() -> AccountPhones:
        await asyncio.sleep(0.01)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    vm = PhonePickerViewModel(load, DialerSettings(), parent=QApplication.instance())
    dialog = PhonePickerDialog(vm)
    qtbot.addWidget(dialog)
    assert dialog.no_phones.isVisibleTo(dialog)
    dialog.refresh_button.click()
    assert not dialog.refresh_button.isEnabled()
    await until(lambda: len(dialog.phone_buttons) == 1)
    dialog.refresh_button.click()
    await until(lambda: dialog.status.text() == "Cannot reach the phone service.")
    assert len(dialog.phone_buttons) == 1, "a failed refresh keeps the lists"
    dialog.refresh_button.click()
    await until(lambda: len(dialog.phone_buttons) == 5)
    assert dialog.status.text() == ""
    assert dialog.caller_id.count() == 3


def test_what_the_administrator_locked_is_shown_disabled_with_the_reason(qtbot: QtBot) -> None:
    vm = PhonePickerViewModel(
        None,
        DialerSettings(play_prompt=True, default_country="GB"),
        phones=PHONES,
        locked=frozenset({"play_prompt", "default_country"}),
        spawn=no_spawn,
        parent=QApplication.instance(),
    )
    dialog = PhonePickerDialog(vm)
    qtbot.addWidget(dialog)
    assert dialog.play_prompt.isChecked() and not dialog.play_prompt.isEnabled()
    assert not dialog.country.isEnabled()
    assert dialog.play_prompt.toolTip() == "Set by your administrator."
    assert dialog.country.accessibleDescription() == "Set by your administrator."
    # Without locks the controls keep their own help.
    free = PhonePickerDialog(picker())
    qtbot.addWidget(free)
    assert free.play_prompt.isEnabled()
    assert free.country.toolTip() == "For numbers typed without a country code"


@pytest.mark.parametrize(
    ("default", "label"),
    [
        (DefaultCallerId(number="+16505550101"), "Account default: +1 650-555-0101"),
        (DefaultCallerId(hidden=True), "Account default: hidden"),
        (DefaultCallerId(), "Account default: the number of the phone rung first"),
        (None, "Account default"),  # the platform did not say
    ],
)
def test_account_default_says_which_number_the_called_person_sees(
    default: DefaultCallerId | None, label: str
) -> None:
    vm = PhonePickerViewModel(
        None, DialerSettings(), phones=replace(PHONES, default_caller_id=default), spawn=no_spawn
    )
    assert vm.view.caller_ids[0].number is None
    assert vm.view.caller_ids[0].text == label
