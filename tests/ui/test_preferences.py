"""The Preferences dialog and its view model: switches, saving through the app's callback, no tray."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox
from pytestqt.qtbot import QtBot

from ringdesk.config import LOCKED_NOTE, GeneralSettings
from ringdesk.desktop.integration import integration_for_this_system
from ringdesk.qtasync import wait_signal
from ringdesk.ui.viewmodels.preferences import NO_TRAY, OPTIONS, PreferencesViewModel
from ringdesk.ui.widgets.preferences import PreferencesDialog
from tests.fakes import until
from tests.ui.doubles import owner


def make(
    qtbot: QtBot, general: GeneralSettings | None = None, *, tray: bool = True
) -> tuple[PreferencesDialog, PreferencesViewModel, list[GeneralSettings]]:
    stored: list[GeneralSettings] = []
    vm = PreferencesViewModel(
        general or GeneralSettings(), save=stored.append, tray_available=tray, parent=owner()
    )
    dialog = PreferencesDialog(vm)
    qtbot.addWidget(dialog)
    return dialog, vm, stored


def test_the_switches_show_the_settings_and_ok_saves_the_changes(qtbot: QtBot) -> None:
    general = GeneralSettings(start_minimized=True, notify_ended=False)
    dialog, _vm, stored = make(qtbot, general)
    dialog.open()
    assert {name: box.isChecked() for name, box in dialog.switches.items()} == dataclasses.asdict(general)
    assert set(dialog.switches) == set(OPTIONS)
    assert not dialog.tray_reason.isVisible()

    dialog.switches["close_to_tray"].click()
    QTest.keyClick(dialog.switches["notify_ended"], Qt.Key.Key_Space)
    assert stored == []  # nothing is saved before OK
    dialog.ok_button.click()
    assert stored == [dataclasses.replace(general, close_to_tray=False, notify_ended=True)]
    assert dialog.result() == PreferencesDialog.DialogCode.Accepted
    assert not dialog.isVisible()


def test_cancel_and_escape_save_nothing(qtbot: QtBot) -> None:
    dialog, _vm, stored = make(qtbot)
    dialog.open()
    dialog.switches["notify_failed"].click()
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert dialog.result() == PreferencesDialog.DialogCode.Rejected
    assert stored == []


def test_enter_saves(qtbot: QtBot) -> None:
    dialog, _vm, stored = make(qtbot)
    dialog.open()
    dialog.switches["ask_to_sign_in_at_start"].setFocus()
    QTest.keyClick(dialog.switches["ask_to_sign_in_at_start"], Qt.Key.Key_Space)
    QTest.keyClick(dialog, Qt.Key.Key_Return)
    assert stored == [GeneralSettings(ask_to_sign_in_at_start=False)]


def test_without_a_tray_the_tray_switches_are_off_disabled_and_say_why(qtbot: QtBot) -> None:
    general = GeneralSettings(close_to_tray=True, start_minimized=True)
    dialog, vm, stored = make(qtbot, general, tray=False)
    dialog.open()
    for name in ("close_to_tray", "start_minimized"):
        box = dialog.switches[name]
        assert not box.isEnabled() and not box.isChecked()
        assert box.accessibleDescription() == NO_TRAY
    assert dialog.tray_reason.isVisible() and dialog.tray_reason.text() == NO_TRAY
    assert dialog.switches["notify_connected"].isEnabled()
    vm.set_option("close_to_tray", False)  # ignored: the switch cannot be changed
    dialog.ok_button.click()
    # The stored values are kept for a desktop that has a tray.
    assert stored == [general]


def test_every_switch_has_an_accessible_name_and_a_mnemonic(qtbot: QtBot) -> None:
    dialog, _vm, _stored = make(qtbot)
    for box in dialog.findChildren(QCheckBox):
        assert box.accessibleName() and "&" not in box.accessibleName()
        assert "&" in box.text()
    mnemonics = [box.text()[box.text().index("&") + 1].lower() for box in dialog.findChildren(QCheckBox)]
    assert len(set(mnemonics)) == len(mnemonics)


def test_a_failed_save_keeps_the_dialog_open_with_the_sentence(qtbot: QtBot) -> None:
    def save(_general: GeneralSettings) -> None:
        raise PermissionError(13, "Permission denied")

    vm = PreferencesViewModel(GeneralSettings(), save=save, tray_available=True, parent=owner())
    dialog = PreferencesDialog(vm)
    qtbot.addWidget(dialog)
    dialog.open()
    with qtbot.waitSignal(vm.save_failed) as failed:
        dialog.ok_button.click()
    assert failed.args == ["Your preferences could not be saved: Permission denied."]
    assert dialog.isVisible()
    assert dialog.problem.isVisible() and dialog.problem.text() == failed.args[0]


async def test_an_async_save_callback_is_awaited_before_the_dialog_closes(qtbot: QtBot) -> None:
    release = asyncio.Event()
    stored: list[GeneralSettings] = []

    async def save(general: GeneralSettings) -> None:
        await release.wait()
        stored.append(general)

    vm = PreferencesViewModel(GeneralSettings(), save=save, tray_available=True, parent=owner())
    dialog = PreferencesDialog(vm)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.switches["notify_connected"].click()
    saved = wait_signal(vm.saved)
    dialog.ok_button.click()
    assert vm.view.saving
    assert not dialog.ok_button.isEnabled() and not dialog.switches["notify_failed"].isEnabled()
    assert dialog.isVisible()
    release.set()
    (general,) = await asyncio.wait_for(saved, 5)
    assert general == stored[0] == GeneralSettings(notify_connected=False)
    assert not dialog.isVisible()


# --------------------------------------------------------------------------- the desktop's part


@pytest.fixture
def xdg(tmp_path: Path) -> dict[str, str]:
    """XDG folders in tmp_path and a desktop xdg-mime knows nothing special about."""
    env = {name: str(tmp_path / name.lower()) for name in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME")}
    env.update(XDG_DATA_DIRS=str(tmp_path / "system"), XDG_CONFIG_DIRS=str(tmp_path / "system-config"))
    for folder in env.values():
        Path(folder).mkdir()
    env.update(PATH=os.environ.get("PATH", os.defpath), LANG="C.UTF-8", XDG_CURRENT_DESKTOP="X-Generic")
    return env


def tel_handler(xdg: dict[str, str]) -> str:
    query = ["xdg-mime", "query", "default", "x-scheme-handler/tel"]
    return subprocess.run(query, env=xdg, capture_output=True, text=True, check=True).stdout.strip()


def autostart_entry(xdg: dict[str, str]) -> str | None:
    entry = Path(xdg["XDG_CONFIG_HOME"], "autostart", "ringdesk.desktop")
    return entry.read_text() if entry.exists() else None


def with_desktop(qtbot: QtBot, xdg: dict[str, str]) -> tuple[PreferencesDialog, PreferencesViewModel]:
    desktop = integration_for_this_system((sys.executable, "-m", "ringdesk"), environ=xdg)
    vm = PreferencesViewModel(
        GeneralSettings(),
        save=lambda _general: None,
        tray_available=True,
        desktop=desktop,
        dial_command="ringdesk dial --selection",
        parent=owner(),
    )
    dialog = PreferencesDialog(vm)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog, vm


@pytest.mark.skipif(shutil.which("xdg-mime") is None, reason="needs xdg-utils (scripts/setup --test)")
async def test_make_ringdesk_the_default_for_phone_links(qtbot: QtBot, xdg: dict[str, str]) -> None:
    dialog, vm = with_desktop(qtbot, xdg)
    assert dialog.links_line.text() == "Asking your desktop\N{HORIZONTAL ELLIPSIS}"
    assert not dialog.make_default_button.isEnabled()
    await until(lambda: vm.view.desktop.loaded, what="the desktop answered")
    assert dialog.links_line.text() == "No app opens phone links yet."
    assert dialog.shortcut_line.text() == (
        "To call a number you highlight in any app, bind this command to a key in your desktop's "
        "keyboard settings:"
    )
    assert dialog.shortcut_command.text() == "ringdesk dial --selection"
    assert not dialog.add_shortcut_button.isVisible()  # this desktop lets no app add one

    dialog.make_default_button.click()
    await until(lambda: vm.view.desktop.links_ours, what="RingDesk opens phone links")
    assert dialog.links_line.text() == "Phone links open in RingDesk."
    assert not dialog.make_default_button.isVisible()
    assert tel_handler(xdg) == "ringdesk.desktop"


async def test_start_at_log_in_is_applied_on_ok_only(qtbot: QtBot, xdg: dict[str, str]) -> None:
    dialog, vm = with_desktop(qtbot, xdg)
    await until(lambda: vm.view.desktop.loaded, what="the desktop answered")
    assert not dialog.autostart.isChecked()
    dialog.autostart.click()
    dialog.reject()
    assert autostart_entry(xdg) is None  # Cancel changes nothing

    dialog, vm = with_desktop(qtbot, xdg)
    await until(lambda: vm.view.desktop.loaded, what="the desktop answered")
    dialog.autostart.click()
    saved = wait_signal(vm.saved)
    dialog.ok_button.click()
    await saved
    assert "--minimized" in (autostart_entry(xdg) or "")

    dialog, vm = with_desktop(qtbot, xdg)
    await until(lambda: vm.view.desktop.loaded, what="the desktop answered")
    assert dialog.autostart.isChecked()


def test_locked_switches_are_disabled_with_a_note_and_saved_as_they_are(qtbot: QtBot) -> None:
    general = GeneralSettings(close_to_tray=False)
    stored: list[GeneralSettings] = []
    vm = PreferencesViewModel(
        general,
        save=stored.append,
        tray_available=True,
        locked={"close_to_tray", "notify_ended"},
        parent=owner(),
    )
    dialog = PreferencesDialog(vm)
    qtbot.addWidget(dialog)
    dialog.open()
    for name, checked in (("close_to_tray", False), ("notify_ended", True)):
        box = dialog.switches[name]
        assert not box.isEnabled() and box.isChecked() is checked
        assert box.accessibleDescription() == LOCKED_NOTE
        assert dialog.locked_notes[name].isVisible() and dialog.locked_notes[name].text() == LOCKED_NOTE
    assert dialog.switches["notify_failed"].isEnabled()
    assert not dialog.locked_notes["notify_failed"].isVisible()

    vm.set_option("close_to_tray", True)  # ignored: the administrator decides it
    dialog.switches["notify_failed"].click()
    dialog.ok_button.click()
    assert stored == [dataclasses.replace(general, notify_failed=False)]


def test_without_a_tray_a_locked_tray_switch_says_it_is_the_administrators(qtbot: QtBot) -> None:
    vm = PreferencesViewModel(
        GeneralSettings(),
        save=lambda _g: None,
        tray_available=False,
        locked={"start_minimized"},
        parent=owner(),
    )
    dialog = PreferencesDialog(vm)
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.switches["start_minimized"].accessibleDescription() == LOCKED_NOTE
    assert dialog.switches["close_to_tray"].accessibleDescription() == NO_TRAY
