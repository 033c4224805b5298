"""The connection settings dialog and its view model: live problems, Save, the secret, the keyboard."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QWidget

from ringdesk.config import LOCKED_NOTE, ConnectionSettings, LoginMethod, ServerKind
from ringdesk.ui.viewmodels.connection import ConnectionViewModel
from ringdesk.ui.widgets.connection_settings import ConnectionSettingsDialog
from tests.fakes import loop_spawn


class FakeStore:
    def __init__(self, backend: str = "Secret Service", persistent: bool = True) -> None:
        self.backend_name = backend
        self.persistent = persistent
        self.unavailable_reason = (
            None if persistent else "No keyring was found, so you will need to sign in each time."
        )
        self.secrets: dict[str, str] = {}

    async def save_secret(self, name: str, value: str) -> None:
        self.secrets[name] = value

    async def load_secret(self, name: str) -> str | None:
        return self.secrets.get(name)

    async def delete_secret(self, name: str) -> None:
        self.secrets.pop(name, None)


@pytest.fixture
def saved() -> list[ConnectionSettings]:
    return []


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def make(qtbot, saved, store):
    def factory(settings: ConnectionSettings | None = None, **options: Any) -> ConnectionSettingsDialog:
        vm = ConnectionViewModel(
            settings or ConnectionSettings(),
            save=saved.append,
            store_for=options.pop("store_for", lambda _c: store),
            spawn=loop_spawn,
            **options,
        )
        dialog = ConnectionSettingsDialog(vm)
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    return factory


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.01)


async def test_an_empty_client_id_blocks_saving_with_a_sentence_next_to_it(make, qtbot, saved) -> None:
    dialog = make()
    await settle()
    assert not dialog.save_button.isEnabled()
    assert dialog.client_id_field.problem.isVisible()
    assert "client ID must not be empty" in dialog.client_id_field.problem.text()
    assert dialog.client_id.accessibleDescription() == dialog.client_id_field.problem.text()

    qtbot.keyClicks(dialog.client_id, "my-app-id")
    assert not dialog.client_id_field.problem.isVisible()
    assert dialog.save_button.isEnabled()
    dialog.save_button.click()
    await settle()
    assert saved == [ConnectionSettings(client_id="my-app-id")]
    assert dialog.result() == dialog.DialogCode.Accepted


async def test_a_custom_server_is_checked_as_it_is_typed(make, qtbot) -> None:
    dialog = make(ConnectionSettings(client_id="abc"))
    dialog.server.setCurrentIndex(dialog.server.findData(ServerKind.CUSTOM.value))
    assert dialog.custom_url.isVisible()
    assert "Enter the server address" in dialog.server_field.problem.text()
    qtbot.keyClicks(dialog.custom_url, "http://platform.example.com")
    assert "must start with https://" in dialog.server_field.problem.text()
    assert not dialog.save_button.isEnabled()
    dialog.custom_url.clear()
    qtbot.keyClicks(dialog.custom_url, "https://platform.example.com")
    assert not dialog.server_field.problem.isVisible() and dialog.save_button.isEnabled()


async def test_the_simulator_fills_in_the_demo_client(make) -> None:
    dialog = make()
    dialog.server.setCurrentIndex(dialog.server.findData(ServerKind.SIMULATOR.value))
    assert dialog.client_id.text() == "ringdesk-demo"
    assert "simulated RingCentral" in dialog.server_field.note.text()
    assert dialog.save_button.isEnabled()


async def test_the_system_browser_needs_a_loopback_redirect(make, qtbot) -> None:
    dialog = make(ConnectionSettings(client_id="abc", redirect_uri="https://example.com/cb"))
    assert dialog.save_button.isEnabled()  # fine for the sign-in window
    dialog.login_method.setCurrentIndex(dialog.login_method.findData(LoginMethod.SYSTEM_BROWSER.value))
    assert "redirect URI on this machine" in dialog.redirect_field.problem.text()
    assert not dialog.save_button.isEnabled()


async def test_password_sign_in_is_offered_only_with_the_advanced_option(make) -> None:
    dialog = make(ConnectionSettings(client_id="abc"))
    methods = [dialog.login_method.itemData(i) for i in range(dialog.login_method.count())]
    assert "password" not in methods
    dialog.allow_password.setChecked(True)
    methods = [dialog.login_method.itemData(i) for i in range(dialog.login_method.count())]
    assert "password" in methods
    dialog.login_method.setCurrentIndex(dialog.login_method.findData("password"))
    assert "retiring" in dialog.login_field.note.text()
    dialog.allow_password.setChecked(False)
    assert dialog.login_method.currentData() == "jwt"


async def test_the_client_secret_goes_to_the_keyring_only(make, qtbot, saved, store) -> None:
    dialog = make(ConnectionSettings(client_id="abc"))
    await settle()
    assert not dialog.client_secret.isEnabled()
    dialog.use_secret.setChecked(True)
    assert dialog.client_secret.isEnabled()
    assert dialog.client_secret.echoMode() == QLineEdit.EchoMode.Password
    assert "Enter the client secret" in dialog.secret_field.problem.text()
    assert "Secret Service" in dialog.secret_field.note.text()
    qtbot.keyClicks(dialog.client_secret, "s3cr3t-value")
    assert dialog.save_button.isEnabled()
    dialog.save_button.click()
    await settle()
    assert store.secrets == {"client_secret": "s3cr3t-value"}
    assert saved == [ConnectionSettings(client_id="abc", use_client_secret=True)]
    assert "s3cr3t" not in repr(saved)
    assert dialog.client_secret.text() == ""


async def test_a_stored_secret_counts_and_memory_only_is_said(make, store) -> None:
    store.secrets["client_secret"] = "kept"
    dialog = make(ConnectionSettings(client_id="abc", use_client_secret=True))
    await settle()
    assert not dialog.secret_field.problem.isVisible()
    assert "Stored" in dialog.client_secret.placeholderText()

    memory = FakeStore("memory only", persistent=False)
    dialog = make(ConnectionSettings(client_id="abc", use_client_secret=True), store_for=lambda _c: memory)
    assert "kept in memory only" in dialog.secret_field.note.text()


async def test_a_save_that_fails_says_why_and_stays_open(qtbot, store) -> None:
    def failing_save(_settings: ConnectionSettings) -> None:
        raise PermissionError(13, "Permission denied")

    vm = ConnectionViewModel(ConnectionSettings(client_id="abc"), save=failing_save, spawn=loop_spawn)
    dialog = ConnectionSettingsDialog(vm)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.save_button.click()
    await settle()
    assert dialog.save_problem.text() == "The settings could not be saved: Permission denied."
    assert dialog.isVisible()


async def test_every_control_is_named_and_reachable_by_keyboard(make) -> None:
    dialog = make(ConnectionSettings(client_id="abc", use_client_secret=True))
    dialog.activateWindow()
    inputs: list[QWidget] = [
        dialog.server,
        dialog.client_id,
        dialog.use_secret,
        dialog.client_secret,
        dialog.redirect_uri,
        dialog.login_method,
        dialog.allow_password,
        dialog.save_button,
    ]
    for widget in inputs:
        named = widget.accessibleName() or getattr(widget, "text", lambda: "")()
        assert named, f"{widget.objectName()} has no accessible name"
        assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus
    # Follow the tab chain from the first field: every input is on it.
    chain: list[QWidget] = []
    widget: QWidget = dialog.server
    for _ in range(40):
        chain.append(widget)
        widget = widget.nextInFocusChain()
        if widget is dialog.server:
            break
    for widget in inputs:
        assert widget in chain
    # Labels carry mnemonics and point at their fields.
    assert dialog.labels["client_id"].buddy() is dialog.client_id
    assert "&" in dialog.labels["client_id"].text()


def _cut_off_labels(root: QWidget) -> list[str]:
    cut: list[str] = []
    for label in root.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        if label.wordWrap():
            if label.height() < label.heightForWidth(label.width()):
                cut.append(label.text())
        elif label.width() < label.sizeHint().width():
            cut.append(label.text())
    return cut


async def test_no_label_is_cut_off_at_normal_scale(make, qtbot) -> None:
    dialog = make()  # invalid: problem sentences are showing
    await settle()
    qtbot.waitExposed(dialog)
    await asyncio.sleep(0.05)
    QApplication.processEvents()
    assert _cut_off_labels(dialog) == []


@pytest.mark.skipif(
    not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")),
    reason="needs a screen: run through scripts/desktop-session",
)
def test_no_label_is_cut_off_at_200_percent() -> None:
    # The scale factor is read when the application starts, so this runs in a process of its own.
    script = textwrap.dedent(
        """
        import asyncio, sys
        from PySide6.QtWidgets import QApplication
        from ringdesk.config import ConnectionSettings
        from ringdesk.ui.widgets.connection_settings import ConnectionSettingsDialog
        from ringdesk.ui.viewmodels.connection import ConnectionViewModel
        from tests.ui.test_connection_settings import _cut_off_labels
        app = QApplication(sys.argv)
        vm = ConnectionViewModel(ConnectionSettings(use_client_secret=True), save=lambda s: None,
                                 spawn=lambda coro, name: coro.close())
        dialog = ConnectionSettingsDialog(vm)
        dialog.show()
        for _ in range(20):
            app.processEvents()
        cut = _cut_off_labels(dialog)
        print(cut)
        sys.exit(1 if cut else 0)
        """
    )
    env = {**os.environ, "QT_SCALE_FACTOR": "2"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_locked_settings_are_disabled_with_a_note_and_saving_keeps_them(make, qtbot, saved) -> None:
    corp = ConnectionSettings(server=ServerKind.PARTNER, client_id="corp-app", allow_password_grant=False)
    locked = {"server", "custom_server_url", "client_id", "allow_password_grant"}
    dialog = make(corp, locked=locked)
    await settle()
    vm = dialog._vm
    assert vm.locked == locked
    assert vm.is_locked("server") and vm.is_locked("client_id") and not vm.is_locked("redirect_uri")
    for control in (dialog.server, dialog.custom_url, dialog.client_id, dialog.allow_password):
        assert not control.isEnabled(), control.objectName()
    for control in (dialog.redirect_uri, dialog.login_method, dialog.use_secret):
        assert control.isEnabled(), control.objectName()
    assert dialog.server_field.note.isVisible() and dialog.server_field.note.text() == LOCKED_NOTE
    # The app's settings are folded away until asked for, as an operator needs none of them.
    assert not dialog.advanced.isVisible()
    dialog.advanced_toggle.click()
    assert dialog.advanced.isVisible()
    assert dialog.client_id_field.note.text() == LOCKED_NOTE
    assert dialog.client_id.accessibleDescription() == LOCKED_NOTE
    assert dialog.allow_password_note.isVisible() and dialog.allow_password_note.text() == LOCKED_NOTE
    assert not dialog.redirect_field.note.isVisible()

    # No edit reaches a locked setting, not even one another choice would fill in.
    vm.set_server(ServerKind.SIMULATOR)
    vm.set_client_id("my-app")
    vm.set_allow_password_grant(True)
    assert vm.draft == corp
    dialog.redirect_uri.clear()
    qtbot.keyClicks(dialog.redirect_uri, "http://127.0.0.1:9/cb")
    dialog.save_button.click()
    await settle()
    assert saved == [replace(corp, redirect_uri="http://127.0.0.1:9/cb")]


async def test_a_locked_login_method_keeps_its_explanation_after_the_note(make) -> None:
    dialog = make(ConnectionSettings(client_id="abc", login_method=LoginMethod.JWT), locked={"login_method"})
    assert not dialog.login_method.isEnabled()
    assert dialog.login_field.note.text().startswith(LOCKED_NOTE + " You paste the JWT credential")
