"""The command line as a person types it, in a separate process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

from ringdesk import __version__
from ringdesk.cli import _with_dial_command
from ringdesk.desktop.instance import (
    PrimaryInstance,
    Reply,
    Request,
    claim_instance,
    instance_address,
)
from ringdesk.desktop.instance_server import InstanceServer
from ringdesk.paths import AppPaths, prepare_folders
from tests.core.storage.private_mount import read_only, run_with_mounts


def run(*args: str, home) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RINGDESK_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "ringdesk", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_version(tmp_path) -> None:
    result = run("--version", home=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"RingDesk {__version__}"


def test_sim_refuses_a_non_loopback_host(tmp_path) -> None:
    result = run("sim", "--host", "0.0.0.0", home=tmp_path)
    assert result.returncode == 2
    assert "not a loopback address" in result.stderr


def test_sim_refuses_a_bad_port(tmp_path) -> None:
    result = run("sim", "--port", "70000", home=tmp_path)
    assert result.returncode == 2
    assert "outside 0-65535" in result.stderr


# The start-up path up to the window: the command line sets up folders and logging, then the
# window's first steps (settings, call history) run in place of the GUI, which needs a desktop.
START_UP_CHILD = textwrap.dedent(
    """
    import asyncio, json, sys, types

    from ringdesk.paths import app_paths
    from ringdesk.settings_keeper import SettingsKeeper
    from ringdesk.storage import CallHistory

    def window_start(demo=False, start_problems=(), **_instance):
        keeper = SettingsKeeper.load(app_paths().settings_file)

        async def history_problems():
            history = await CallHistory.open(app_paths().history_db)
            try:
                await history.record_attempt(
                    platform="ringcentral", destination="+16505551234", destination_display="x",
                    extension=None, from_number="+14155550100", from_label=None, caller_id=None,
                    play_prompt=False,
                )
                return history.problems, len(await history.search())
            finally:
                await history.close()

        problems, listed = asyncio.run(history_problems())
        report = {"start": list(start_problems), "settings": keeper.problems, "history": problems}
        print(json.dumps({**report, "listed": listed}))
        return 0

    sys.modules["ringdesk.app"] = types.SimpleNamespace(main=window_start)
    from ringdesk.cli import main

    sys.exit(main([]))
    """
)


def test_a_read_only_home_starts_and_says_what_cannot_be_saved(tmp_path: Path) -> None:
    home = tmp_path / "home"
    # A home used before: settings, a history with one call, a log.
    first_run = subprocess.run(
        [sys.executable, "-c", START_UP_CHILD],
        capture_output=True,
        text=True,
        env={**os.environ, "RINGDESK_HOME": str(home)},
        timeout=60,
    )
    assert first_run.returncode == 0, first_run.stderr
    (home / "config").mkdir(exist_ok=True)
    (home / "config" / "settings.json").write_text('{"schema_version": 1}\n')

    result = run_with_mounts(read_only(home), START_UP_CHILD, env={"RINGDESK_HOME": str(home)})

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"RingDesk cannot write its log in {home / 'logs'} (read-only file system)" in result.stderr
    report = json.loads(result.stdout)
    assert report["settings"] == [
        f"RingDesk cannot save settings in {home / 'config'} (read-only file system); "
        "changes you make last until RingDesk closes."
    ]
    [history_problem] = report["history"]
    assert history_problem.startswith(f"RingDesk cannot save to its call history in {home / 'data'} (")
    # The call of the first run is still there, with this run's.
    assert report["listed"] == 2
    assert not list((home / "data").glob("*.broken-*"))


def test_an_empty_read_only_home_starts_and_keeps_this_run_in_memory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()

    result = run_with_mounts(read_only(home), START_UP_CHILD, env={"RINGDESK_HOME": str(home)})

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    for folder in ("config", "data", "logs"):
        unsaved = f"RingDesk cannot save files in {home / folder} (read-only file system)."
        assert unsaved in result.stderr
        assert unsaved in report["start"], "the window is told, not only the log"
    assert report["settings"] == [
        f"RingDesk cannot save settings in {home / 'config'} (read-only file system); "
        "changes you make last until RingDesk closes."
    ]
    assert report["history"] == [
        f"RingDesk cannot save its call history in {home / 'data'} (read-only file system); "
        "calls made now will be forgotten when RingDesk closes."
    ]
    assert report["listed"] == 1


# --- Handing a request to the running RingDesk ------------------------------------------------


@pytest.fixture
def instance_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a start: its own profile and runtime folder."""
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    return {**os.environ, "RINGDESK_HOME": str(tmp_path / "home"), "XDG_RUNTIME_DIR": str(runtime)}


@contextlib.contextmanager
def running_instance(env: dict[str, str], answer: Reply) -> Iterator[list[Request]]:
    """A running RingDesk as far as the socket goes: it takes every request with `answer`."""
    paths = AppPaths(*(Path(env["RINGDESK_HOME"]) / name for name in ("config", "data", "logs", "cache")))
    prepare_folders(paths)
    with mock.patch.dict(os.environ, {"XDG_RUNTIME_DIR": env["XDG_RUNTIME_DIR"]}):
        primary = claim_instance(instance_address(paths))
    assert isinstance(primary, PrimaryInstance)
    seen: list[Request] = []
    loop = asyncio.new_event_loop()

    async def handle(request: Request) -> Reply:
        seen.append(request)
        return answer

    server = InstanceServer(primary, handle)
    loop.run_until_complete(server.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        asyncio.run_coroutine_threadsafe(server.aclose(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def start(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ringdesk", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_a_link_goes_to_the_running_ringdesk(instance_env: dict[str, str]) -> None:
    with running_instance(instance_env, Reply(True, "RingDesk has +1 650-555-1234 ready to call.")) as seen:
        result = start("tel:+1-650-555-1234", env=instance_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "RingDesk has +1 650-555-1234 ready to call.\n"
    assert [(r.action, r.text) for r in seen] == [("dial", "tel:+1-650-555-1234")]


def test_each_command_sends_its_request(instance_env: dict[str, str]) -> None:
    with running_instance(instance_env, Reply(True, "done")) as seen:
        for args in (
            ["dial", "+1 650 555 1234"],
            ["dial", "--selection"],
            ["show"],
            [],
            ["--minimized"],
            ["quit"],
        ):
            result = start(*args, env=instance_env)
            assert (result.returncode, result.stdout) == (0, "done\n"), (args, result.stderr)
    assert [(r.action, r.text) for r in seen] == [
        ("dial", "+1 650 555 1234"),
        ("dial-selection", ""),
        ("show", ""),
        ("show", ""),
        ("show", ""),
        ("quit", ""),
    ]


def test_a_refused_request_is_said_on_stderr_with_status_3(instance_env: dict[str, str]) -> None:
    sentence = "That link does not contain a phone number."
    with running_instance(instance_env, Reply(False, sentence)):
        result = start("dial", "tel:", env=instance_env)
    assert (result.returncode, result.stdout, result.stderr) == (3, "", sentence + "\n")


def test_quit_without_a_running_ringdesk_says_so(instance_env: dict[str, str]) -> None:
    result = start("quit", env=instance_env)
    assert (result.returncode, result.stderr) == (5, "RingDesk is not running.\n")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["dial"], "one of the arguments NUMBER_OR_LINK --selection is required"),
        (["dial", "--selection", "123"], "not allowed with argument"),
        (["shw"], "invalid choice: 'shw'"),
    ],
)
def test_a_wrong_command_line_is_status_2(args: list[str], error: str, instance_env: dict[str, str]) -> None:
    result = start(*args, env=instance_env)
    assert result.returncode == 2
    assert error in result.stderr


@pytest.mark.parametrize(
    ("argv", "meant"),
    [
        (["tel:+16505551234"], ["dial", "tel:+16505551234"]),
        (["--demo", "+1 650 555 1234"], ["--demo", "dial", "+1 650 555 1234"]),
        (["callto://+16505551234"], ["dial", "callto://+16505551234"]),
        (["show"], ["show"]),
        (["dial", "tel:1"], ["dial", "tel:1"]),
        (["shw"], ["shw"]),
        ([], []),
        (["--", "tel:1"], ["--", "tel:1"]),
    ],
)
def test_a_bare_link_means_dial(argv: list[str], meant: list[str]) -> None:
    assert _with_dial_command(argv) == meant


def test_the_desktops_activation_token_travels_with_the_request(instance_env: dict[str, str]) -> None:
    """The desktop lets the program it started for a click bring a window forward; the running
    RingDesk owns the window, so the token goes to it."""
    env = {**instance_env, "XDG_ACTIVATION_TOKEN": "token-from-the-desktop"}
    with running_instance(instance_env, Reply(True, "done")) as seen:
        assert start("tel:+16505551234", env=env).returncode == 0
        assert start("quit", env=env).returncode == 0
    assert [(r.action, r.activation_token) for r in seen] == [
        ("dial", "token-from-the-desktop"),
        ("quit", ""),
    ]
