"""The whole app on the qasync loop against the real simulator: start-up paths, demo, clean quit.

Each test builds `RingDeskApp` as `ringdesk.app.main` does (minus `run_app`, since the test already
runs on the qasync loop), runs it as a task, looks at what a person would see, and quits the way
a person does. Quitting must leave no pending task and no "no running event loop".
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtNetwork import QNetworkInformation

from ringdesk.app import AppOptions
from ringdesk.auth.session import SessionState
from ringdesk.auth.token_store import TokenStore
from ringdesk.config import ConnectionSettings, LoginMethod, ServerKind
from ringdesk.connection import Connection, NotSetUp
from ringdesk.qtasync import running_tasks
from ringdesk.simulator import Simulator
from ringdesk.ui.widgets.sign_in_window import SignInWindow
from tests.conftest import fast_scenario
from tests.ui.app_harness import (
    quit_from_the_menu,
    quit_like_a_person,
    running,
    settings_file,
    until,
    visible,
)

SHUTDOWN_TROUBLE = ("Task was destroyed but it is pending", "no running event loop", "Event loop is closed")


@pytest.fixture
def trouble(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    """Log lines that mean an unclean shutdown (asyncio's and ours)."""
    caplog.set_level(logging.INFO)

    def found() -> list[str]:
        gc.collect()  # "Task was destroyed" is only reported when the task object is collected
        return [r.getMessage() for r in caplog.records if any(t in r.getMessage() for t in SHUTDOWN_TROUBLE)]

    yield found


def jwt_settings_file(sim: Simulator, home: Path) -> Path:
    """Settings for the simulator with the JWT method (nothing in the keyring yet)."""
    return settings_file(
        home,
        ConnectionSettings(
            server=ServerKind.CUSTOM,
            custom_server_url=sim.base_url,
            client_id="ringdesk-demo",
            login_method=LoginMethod.JWT,
        ),
    )


async def stored_jwt_sign_in(sim: Simulator, home: Path) -> tuple[Path, TokenStore]:
    """Settings for the simulator with the JWT method, and the demo user's JWT in the keyring."""
    path = jwt_settings_file(sim, home)
    store = TokenStore(sim.base_url, "ringdesk-demo")
    assert store.persistent, "this test needs the Secret Service of scripts/desktop-session"
    await store.save_secret("jwt", sim.scenario.account.users[0].jwt_credential or "")
    return path, store


async def test_a_stored_jwt_signs_in_without_any_window(
    sim: Simulator, ringdesk_home: Path, trouble: Callable[[], list[str]]
) -> None:
    path, store = await stored_jwt_sign_in(sim, ringdesk_home)
    try:
        async with running(AppOptions(settings_path=path, remember_windows=False)) as (app, task):
            await until(lambda: app.session_vm.view.signed_in, what="signed in")
            window = app.main_window
            assert window.isVisible()
            assert window.header.headline.text() == "Signed in as Dana Operator (ext. 101)"
            assert not window.signed_out_banner.isVisible()
            assert app.signed_out_prompt is None
            assert visible(SignInWindow) == []
            assert app.connection is not None
            client = app.connection.platform.client

            assert await quit_like_a_person(app, task) == 0
            assert client.closed
            # Hidden, then deleted: nothing of the window outlives the app.
            assert not shiboken6.isValid(window) or not window.isVisible()
            assert running_tasks() == frozenset()
    finally:
        await store.clear()
    assert trouble() == []


async def test_a_network_coming_back_checks_the_sign_in_at_once(
    sim: Simulator, ringdesk_home: Path, trouble: Callable[[], list[str]]
) -> None:
    path, store = await stored_jwt_sign_in(sim, ringdesk_home)
    try:
        async with running(AppOptions(settings_path=path, remember_windows=False)) as (app, task):
            await until(lambda: app.session_vm.view.signed_in, what="signed in")
            assert app.connection is not None
            checks: list[str] = []
            app.connection.session.check_now = lambda: checks.append("checked")  # type: ignore[method-assign]
            app.network_reachability_changed(QNetworkInformation.Reachability.Disconnected)
            app.network_reachability_changed(QNetworkInformation.Reachability.Online)
            assert checks == ["checked"]
            assert await quit_like_a_person(app, task) == 0
    finally:
        await store.clear()
    assert trouble() == []


async def test_a_new_sign_in_attempt_replaces_what_the_last_one_said(
    sim: Simulator, ringdesk_home: Path
) -> None:
    path = jwt_settings_file(sim, ringdesk_home)
    async with running(AppOptions(settings_path=path, remember_windows=False)) as (app, task):
        await until(lambda: app.sign_in_vm is not None, what="ready to sign in")
        vm, status = app.sign_in_vm, app.main_window.statusBar()
        assert vm is not None
        vm.sign_in_with_jwt("not-a-credential")
        assert status.currentMessage() == "Signing in\N{HORIZONTAL ELLIPSIS}"
        await until(lambda: status.currentMessage() not in ("", "Signing in\N{HORIZONTAL ELLIPSIS}"))
        refused = status.currentMessage()
        # Trying again: the refusal of the attempt that is over is not left on screen.
        vm.sign_in_with_jwt("still-not-a-credential")
        assert status.currentMessage() == "Signing in\N{HORIZONTAL ELLIPSIS}" != refused
        await until(lambda: status.currentMessage() == refused, what="the second refusal")
        # An attempt that ends without an answer (the settings changed, quitting) leaves no line.
        vm.sign_in_with_jwt("a-third-try")
        vm.close()
        assert status.currentMessage() == ""
        assert await quit_like_a_person(app, task) == 0


async def test_nothing_stored_asks_sign_in_now_or_continue(
    ringdesk_home: Path, trouble: Callable[[], list[str]]
) -> None:
    path = settings_file(
        ringdesk_home, ConnectionSettings(server=ServerKind.SIMULATOR, client_id="ringdesk-demo")
    )
    options = AppOptions(settings_path=path, remember_windows=False, scenario=fast_scenario())
    async with running(options) as (app, task):
        await until(
            lambda: app.signed_out_prompt is not None and app.signed_out_prompt.isVisible(), what="prompt"
        )
        prompt = app.signed_out_prompt
        assert prompt is not None
        assert prompt.heading.text() == "Sign in to Built-in simulator now?"
        assert app.main_window.signed_out_banner.isVisible()
        assert app.connector is not None
        simulator = app.connector.simulator
        assert simulator is not None and simulator.running

        prompt.continue_button.click()
        await until(lambda: not prompt.isVisible(), what="prompt closed")
        assert app.connection is not None
        assert app.connection.session.status.state is SessionState.SIGNED_OUT
        assert visible(SignInWindow) == []
        # Signed out, the rest of the window still works: the settings open.
        app.main_window.settings_action.trigger()
        await until(lambda: any(type(d).__name__ == "ConnectionSettingsDialog" for d in app.dialogs.showing))

        assert await quit_from_the_menu(app, task) == 0
        assert not simulator.running
    assert trouble() == []


async def test_unusable_settings_ask_with_a_setup_note(ringdesk_home: Path) -> None:
    # A first start: no client id yet. The prompt says what to do; "Sign in now" opens the settings.
    async with running(AppOptions(remember_windows=False)) as (app, task):
        await until(lambda: app.signed_out_prompt is not None and app.signed_out_prompt.isVisible())
        prompt = app.signed_out_prompt
        assert prompt is not None
        assert prompt.note.text().startswith("Set up the connection first: The client ID must not be empty")
        prompt.sign_in_button.click()
        await until(lambda: any(type(d).__name__ == "ConnectionSettingsDialog" for d in app.dialogs.showing))
        assert await quit_like_a_person(app, task) == 0


async def test_a_broken_settings_file_is_reported_in_the_window(ringdesk_home: Path) -> None:
    path = ringdesk_home / "config" / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_text("{broken")
    async with running(AppOptions(settings_path=path, remember_windows=False)) as (app, task):
        await until(lambda: app.main_window.settings_banner.isVisible())
        assert "not valid JSON" in app.main_window.settings_banner.text.text()
        assert list(path.parent.glob("settings.json.broken-*"))
        assert await quit_like_a_person(app, task) == 0


async def test_demo_signs_in_through_the_real_sign_in_window(
    ringdesk_home: Path, trouble: Callable[[], list[str]]
) -> None:
    options = AppOptions(demo=True, remember_windows=False, scenario=fast_scenario())
    async with running(options) as (app, task):
        await until(lambda: visible(SignInWindow), what="the sign-in window")
        window: SignInWindow = visible(SignInWindow)[0]
        assert app.connector is not None
        simulator = app.connector.simulator
        assert simulator is not None
        assert app.settings.connection.client_id == "ringdesk-demo"
        assert not (ringdesk_home / "config" / "settings.json").exists(), "demo settings are not saved"

        page = window.view.page()
        await until(lambda: window.view.url().toString().startswith(simulator.base_url), what="the page")
        user = simulator.scenario.account.users[0]
        values = json.dumps(
            {"login": user.login, "password": user.password, "extension": user.extension_number}
        )
        script = f"""(() => {{ const v = {values};
            const form = document.forms[0]; if (!form || !document.getElementById("signin")) return false;
            for (const name of Object.keys(v)) document.querySelector(`[name=${{name}}]`).value = v[name];
            document.getElementById("signin").click(); return true; }})()"""
        clicked: list[object] = []

        async def click_when_ready() -> None:
            while not clicked or clicked[-1] is not True:
                page.runJavaScript(script, 0, clicked.append)
                await asyncio.sleep(0.2)

        await asyncio.wait_for(click_when_ready(), 30)
        await until(lambda: app.session_vm.view.signed_in, within=30, what="signed in")
        assert app.main_window.header.headline.text() == "Signed in as Dana Operator (ext. 101)"
        await until(lambda: not visible(SignInWindow), what="the sign-in window to close")

        # The demo starts with no phone chosen: the picker opens, and the choice stays in memory.
        from ringdesk.ui.widgets.phone_picker import PhonePickerDialog

        await until(lambda: visible(PhonePickerDialog), what="the phone picker")
        picker: PhonePickerDialog = visible(PhonePickerDialog)[0]
        await until(lambda: len(picker.phone_buttons) == 5, what="the demo account's phones")
        next(b for b in picker.phone_buttons.values() if b.text().startswith("Mobile")).click()
        picker.save_button.click()
        await until(lambda: app.dialer.call_button.text() == "Call", what="ready to call")
        assert app.dialer.phone_line.text() == "Rings your Mobile, +1 650-555-0122 first"
        assert not (ringdesk_home / "config" / "settings.json").exists(), "the demo's phone is not saved"

        assert app.connection is not None
        store = app.connection.store
        assert await quit_like_a_person(app, task) == 0
        assert not simulator.running
        # The demo's tokens belong to a simulator that is gone: none is left in the keyring.
        assert await store.load_tokens() is None
    assert trouble() == []


def test_the_command_line_app_quits_cleanly_on_sigterm(sim: Simulator, tmp_path: Path) -> None:
    """`ringdesk` as a process: signed in from a stored JWT, then SIGTERM; exit 0, nothing pending."""
    home = tmp_path / "cli-home"
    settings_file(
        home,
        ConnectionSettings(
            server=ServerKind.CUSTOM,
            custom_server_url=sim.base_url,
            client_id="ringdesk-demo",
            login_method=LoginMethod.JWT,
        ),
    )
    user = sim.scenario.account.users[0]
    store = TokenStore(sim.base_url, "ringdesk-demo")
    asyncio.run(store.save_secret("jwt", user.jwt_credential or ""))
    env = {**os.environ, "RINGDESK_HOME": str(home), "PYTHONWARNINGS": "default"}
    process = subprocess.Popen(
        [sys.executable, "-X", "dev", "-m", "ringdesk", "--debug"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    log_file = home / "logs" / "ringdesk.log"
    try:
        deadline = time.monotonic() + 60
        while "signed in with the stored JWT credential" not in (
            log_file.read_text() if log_file.exists() else ""
        ):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the app did not sign in"
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        asyncio.run(store.clear())
    log = log_file.read_text()
    assert process.returncode == 0, err
    assert "shut down" in log
    for text in SHUTDOWN_TROUBLE:
        assert text not in err
        assert text not in log


async def test_without_a_keyring_the_window_says_sign_in_is_memory_only(
    sim: Simulator, ringdesk_home: Path
) -> None:
    from keyring.backends import fail

    path = jwt_settings_file(sim, ringdesk_home)
    options = AppOptions(settings_path=path, remember_windows=False, keyring_backend=fail.Keyring())
    async with running(options) as (app, task):
        await until(lambda: app.signed_out_prompt is not None and app.signed_out_prompt.isVisible())
        app.signed_out_prompt.reject()  # type: ignore[union-attr]
        assert app.connection is not None
        session = app.connection.session
        assert session is not None
        user = sim.scenario.account.users[0]
        await session.sign_in_with_jwt(user.jwt_credential or "", remember=True)
        await until(lambda: app.session_vm.view.signed_in)
        window = app.main_window
        assert window.notice_banner.isVisible()
        assert "GNOME Keyring" in window.notice_banner.text.text()
        assert await quit_from_the_menu(app, task) == 0


async def test_sign_out_from_the_menu_clears_the_keyring(sim: Simulator, ringdesk_home: Path) -> None:
    path, store = await stored_jwt_sign_in(sim, ringdesk_home)
    async with running(AppOptions(settings_path=path, remember_windows=False)) as (app, task):
        await until(lambda: app.session_vm.view.signed_in)
        window = app.main_window
        assert window.sign_out_action.isEnabled()
        window.sign_out_action.trigger()
        await until(lambda: app.session_vm.view.signed_out and not app.session_vm.view.signing_out)
        assert window.signed_out_banner.isVisible()
        assert window.signed_out_banner.text.text().startswith("Sign in to place calls")
        assert window.sign_in_action.isEnabled()
        assert await store.load_tokens() is None
        assert await store.load_secret("jwt") is None
        assert await quit_like_a_person(app, task) == 0


async def test_saved_connection_settings_connect_again_one_save_at_a_time(
    ringdesk_home: Path, trouble: Callable[[], list[str]]
) -> None:
    settings = ConnectionSettings(server=ServerKind.SIMULATOR, client_id="ringdesk-demo")
    path = settings_file(ringdesk_home, settings)
    options = AppOptions(settings_path=path, remember_windows=False, scenario=fast_scenario())
    async with running(options) as (app, task):
        await until(lambda: app.signed_out_prompt is not None and app.signed_out_prompt.isVisible())
        app.signed_out_prompt.reject()  # type: ignore[union-attr]
        first = app.connection
        assert first is not None and app.connector is not None
        simulator = app.connector.simulator
        first_sign_in = app.sign_in_vm
        built: list[Connection] = []
        connect = app.connector.connect

        async def recording(settings: ConnectionSettings) -> Connection | NotSetUp:
            made = await connect(settings)
            if isinstance(made, Connection):
                built.append(made)
            return made

        app.connector.connect = recording  # type: ignore[method-assign]

        # Two saves in quick succession: they connect one after the other, never interleaved.
        confidential = ConnectionSettings(
            server=ServerKind.SIMULATOR, client_id="ringdesk-confidential", use_client_secret=True
        )
        await app._save_connection(confidential)
        await app._save_connection(settings)
        await until(
            lambda: app.connection not in (None, first) and app.connection.settings == settings,  # type: ignore[union-attr]
            what="connected again",
        )

        last = app.connection
        assert last is not None and last is not first
        assert first.platform.client.closed, "the old connection is closed"
        assert app.connector.simulator is simulator and simulator is not None and simulator.running
        assert app.sign_in_vm is not None and app.sign_in_vm is not first_sign_in
        assert app.session_vm.view.detail  # the header shows the new connection
        assert json.loads(path.read_text(encoding="utf-8"))["connection"]["client_id"] == "ringdesk-demo"
        # Only the last connection is open: the one between was built, then closed.
        assert len(built) == 2 and built[-1] is last
        assert [c for c in (first, *built) if not c.platform.client.closed] == [last]

        assert await quit_like_a_person(app, task) == 0
    assert trouble() == []


def _demo_app_on_the_simulator(home: Path) -> AppOptions:
    """A start with the demo app on the built-in simulator and nothing stored: it will be signed out."""
    settings = ConnectionSettings(server=ServerKind.SIMULATOR, client_id="ringdesk-demo")
    return AppOptions(
        settings_path=settings_file(home, settings), remember_windows=False, scenario=fast_scenario()
    )


async def test_until_the_connection_is_made_the_window_says_starting_not_signed_out(
    ringdesk_home: Path, trouble: Callable[[], list[str]]
) -> None:
    async with running(_demo_app_on_the_simulator(ringdesk_home)) as (app, task):
        assert app.connector is None
        window = app.main_window
        assert window.header.headline.text() == "Starting\N{HORIZONTAL ELLIPSIS}"
        assert not window.sign_in_action.isEnabled()
        assert app.dialer.call_button.text() == "Getting ready\N{HORIZONTAL ELLIPSIS}"
        await until(lambda: app.connection is not None, what="the start's connection")
        # No stored sign-in: now it is known that the operator is signed out.
        await until(lambda: window.header.headline.text() == "Signed out", what="signed out shown")
        assert window.sign_in_action.isEnabled()
        assert app.dialer.call_button.text() == "Sign in to call"
        assert await quit_like_a_person(app, task) == 0
    assert trouble() == []


async def test_connection_settings_saved_while_starting_are_the_ones_it_connects_with(
    ringdesk_home: Path, trouble: Callable[[], list[str]]
) -> None:
    async with running(_demo_app_on_the_simulator(ringdesk_home)) as (app, task):
        # Before the start has reached its first connection (the window is not even shown yet).
        assert app.connector is None
        confidential = ConnectionSettings(
            server=ServerKind.SIMULATOR, client_id="ringdesk-confidential", use_client_secret=True
        )
        await app._save_connection(confidential)
        # No second connection is started beside the start's own: it takes the saved settings.
        assert [t.get_name() for t in running_tasks()].count("reconnect after settings change") == 0
        assert app.main_window.statusBar().currentMessage() == "Connection settings saved."
        await until(lambda: app.connection is not None, what="the start's connection")
        assert app.connection is not None and app.connection.settings == confidential
        assert await quit_like_a_person(app, task) == 0
    assert trouble() == []
