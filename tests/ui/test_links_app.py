"""Dial from anywhere, the whole way: a second `ringdesk` process (or `xdg-open`) hands a link to the
running app over its socket, and the app shows the number ready to call, or calls it once.

The app runs either in this process on the qasync loop (to read its widgets) or as a real
`ringdesk` process (cold start, SIGKILL); the platform is the real simulator.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from ringdesk.app import AppOptions
from ringdesk.config import GeneralSettings, load_settings, save_settings
from ringdesk.desktop.instance import PrimaryInstance, claim_instance, instance_address
from ringdesk.desktop.integration import integration_for_this_system
from ringdesk.paths import app_paths
from ringdesk.simulator import Simulator, SimulatorControl
from tests.ui.app_harness import quit_like_a_person, until
from tests.ui.test_app import stored_jwt_sign_in
from tests.ui.test_dialer_app import ready_to_dial, running, store_choice

LINK = "tel:+1-650-555-1234"


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private runtime folder of this test's own (short: a socket path has about 100 bytes)."""
    folder = tempfile.mkdtemp(prefix="rd-run-", dir="/tmp")
    monkeypatch.setenv("XDG_RUNTIME_DIR", folder)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def claim() -> PrimaryInstance:
    primary = claim_instance(instance_address(app_paths()))
    assert isinstance(primary, PrimaryInstance)
    return primary


def ringdesk(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`ringdesk ARGS` as the desktop or a person runs it, with this test's profile and runtime folder."""
    return subprocess.run(
        [sys.executable, "-m", "ringdesk", *args], capture_output=True, text=True, timeout=timeout
    )


async def ringdesk_async(*args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(ringdesk, *args)


def highlight(text: str) -> subprocess.Popen[str]:
    """Another X client owning the PRIMARY selection, as a browser or an e-mail program does for
    highlighted text; -quiet keeps xclip in the foreground until it is stopped."""
    highlighter = subprocess.Popen(
        ["xclip", "-quiet", "-selection", "primary", "-in"], stdin=subprocess.PIPE, text=True
    )
    assert highlighter.stdin is not None
    highlighter.stdin.write(text)
    highlighter.stdin.close()
    return highlighter


def ringouts_to(control: SimulatorControl, number: str) -> int:
    return sum(1 for call in control.calls() if call.get("to") == number)


@pytest.mark.usefixtures("runtime")
async def test_a_second_process_hands_a_link_to_the_running_app(sim: Simulator, ringdesk_home: Path) -> None:
    path, store = await stored_jwt_sign_in(sim, ringdesk_home)
    store_choice(path)
    try:
        options = AppOptions(settings_path=path, remember_windows=False, instance=claim())
        async with running(options) as (app, task):
            await ready_to_dial(app)
            app.main_window.hide()

            result = await ringdesk_async(LINK)  # as the desktop opens a link: `Exec=ringdesk %u`

            assert result.returncode == 0, result.stderr
            assert result.stdout == "RingDesk has +1 650-555-1234 ready to call.\n"
            await until(lambda: app.dialer.entry.text() == "+16505551234", what="the number shown")
            assert app.dialer.preview.text() == "+1 650-555-1234, United States"
            assert app.main_window.isVisible()
            assert app.dialer.call_button.isEnabled() and app.dialer.call_button.hasFocus()
            assert app.dialer_vm.call_vm.call is None  # shown, not called

            # A malformed link: a sentence for the terminal and the window, nothing dialled.
            result = await ringdesk_async("dial", "tel:;ext=12")
            assert (result.returncode, result.stderr) == (3, "That link holds no phone number.\n")
            assert app.dialer.entry.text() == "+16505551234"

            # macOS opens a link in the running app itself (QFileOpenEvent), without a process.
            QApplication.sendEvent(QApplication.instance(), QFileOpenEvent(QUrl("tel:+16505559876")))
            await until(lambda: app.dialer.entry.text() == "+16505559876", what="the opened link shown")

            # A second launch without a link raises the window and starts nothing.
            app.main_window.hide()
            started = time.monotonic()
            result = await ringdesk_async()
            assert (result.returncode, result.stdout) == (0, "RingDesk's window is shown.\n")
            assert time.monotonic() - started < 30
            await until(lambda: app.main_window.isVisible(), what="the window shown")
            assert await quit_like_a_person(app, task) == 0
    finally:
        await store.clear()
    # The running instance let go of its socket: the next start is the running one.
    again = claim()
    again.close()


@pytest.mark.usefixtures("runtime")
async def test_xdg_open_reaches_the_running_app(
    sim: Simulator, ringdesk_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("xdg-open") is None:
        pytest.skip("needs xdg-utils (scripts/setup --test)")
    # RingDesk registered as the phone-link handler in a desktop of this test's own.
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_DATA_DIRS", "XDG_CONFIG_DIRS"):
        (tmp_path / name).mkdir()
        monkeypatch.setenv(name, str(tmp_path / name))
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "X-Generic")
    integration_for_this_system((sys.executable, "-m", "ringdesk")).make_default_for_links()

    path, store = await stored_jwt_sign_in(sim, ringdesk_home)
    store_choice(path)
    try:
        options = AppOptions(settings_path=path, remember_windows=False, instance=claim())
        async with running(options) as (app, task):
            await ready_to_dial(app)
            opened = await asyncio.to_thread(
                subprocess.run,
                ["xdg-open", "tel:+44-20-7946-0958"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert opened.returncode == 0, opened.stderr
            await until(lambda: app.dialer.entry.text() == "+442079460958", what="the number shown")
            assert app.dialer.preview.text() == "+44 20 7946 0958, United Kingdom"
            assert await quit_like_a_person(app, task) == 0
    finally:
        await store.clear()


def test_a_link_at_a_cold_start_is_called_once_after_sign_in(
    sim: Simulator, sim_control: SimulatorControl, ringdesk_home: Path, runtime: str
) -> None:
    """`ringdesk dial` with no RingDesk running starts it; the link waits for the sign-in and is called
    once; a start meanwhile is handed over; after SIGKILL the socket left behind is replaced."""
    path, store = asyncio.run(stored_jwt_sign_in(sim, ringdesk_home))
    store_choice(path)
    stored = load_settings(path, environ={}).settings
    save_settings(dataclasses.replace(stored, general=GeneralSettings(call_links_at_once=True)), path)
    sim_control.set_rate_limits({"Light": 2000}, reset_counters=True)
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    first = subprocess.Popen(
        [sys.executable, "-m", "ringdesk", "dial", "tel:+16505551234"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Handed over even while the first start is still starting: its socket, there before Qt
        # is, queues the request.
        deadline = time.monotonic() + 30
        while not list(Path(runtime, "ringdesk").glob("*.sock")):
            assert time.monotonic() < deadline, "no socket"
            time.sleep(0.01)
        result = ringdesk("show")
        assert (result.returncode, result.stdout) == (0, "RingDesk's window is shown.\n"), result.stderr
        deadline = time.monotonic() + 60
        while ringouts_to(sim_control, "+16505551234") == 0:
            assert first.poll() is None, ringdesk_home / "logs" / "ringdesk.log"
            assert time.monotonic() < deadline, "the link was not called"
            time.sleep(0.2)
        time.sleep(1.0)
        assert ringouts_to(sim_control, "+16505551234") == 1

        first.send_signal(signal.SIGKILL)
        first.wait(30)
        # What the killed RingDesk left (a socket file nobody listens on) does not stop the next.
        assert list(Path(runtime, "ringdesk").glob("*.sock"))
        second = subprocess.Popen(
            [sys.executable, "-m", "ringdesk", "--minimized"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                result = ringdesk("quit")
                if result.returncode == 0:
                    break
                assert second.poll() is None, ringdesk_home / "logs" / "ringdesk.log"
                assert time.monotonic() < deadline, result.stderr
                time.sleep(0.2)
            assert result.stdout == "RingDesk is quitting.\n"
            assert second.wait(30) == 0
        finally:
            if second.poll() is None:
                second.kill()
                second.wait(10)
        assert ringouts_to(sim_control, "+16505551234") == 1
        result = ringdesk("quit")
        assert (result.returncode, result.stderr) == (5, "RingDesk is not running.\n")
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
        asyncio.run(store.clear())


@pytest.mark.usefixtures("runtime")
async def test_dial_selection_reads_what_another_app_highlighted(sim: Simulator, ringdesk_home: Path) -> None:
    if shutil.which("xclip") is None:
        pytest.skip("needs xclip (scripts/setup --test)")
    path, store = await stored_jwt_sign_in(sim, ringdesk_home)
    store_choice(path)
    highlighter = highlight("Call me: +49 (30) 1234567 ext. 89\n")
    try:
        options = AppOptions(settings_path=path, remember_windows=False, instance=claim())
        async with running(options) as (app, task):
            await ready_to_dial(app)
            result = await ringdesk_async("dial", "--selection")
            assert result.returncode == 0, result.stderr
            assert result.stdout == "RingDesk has +49 30 1234567 ready to call.\n"
            await until(lambda: app.dialer.entry.text() == "+49301234567x89", what="the number shown")
            assert app.dialer.preview.text() == "+49 30 1234567, Germany; key in extension 89 once connected"
            assert await quit_like_a_person(app, task) == 0
    finally:
        highlighter.kill()
        highlighter.wait(10)
        await store.clear()
