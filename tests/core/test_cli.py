"""The command line as a person types it, in a separate process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from ringdesk import __version__
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

    def window_start(demo=False, start_problems=()):
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
