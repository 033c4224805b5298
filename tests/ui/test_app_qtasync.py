"""`ringdesk.qtasync` in a process of its own, as the app uses it: `run_app`, the quit guard, `spawn`,
`wait_signal`, `open_dialog`. A fresh process per case, because a QApplication (and which class it is)
lives as long as the process does."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.viewmodels

TROUBLE = ("Task was destroyed but it is pending", "no running event loop", "Event loop is closed")

PRELUDE = """
import asyncio, logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s %(levelname)s %(message)s")
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog
from ringdesk.qtasync import Application, run_app, spawn, wait_signal, open_dialog, running_tasks
"""


def run(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "case.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    env = {**os.environ, "RINGDESK_HOME": str(tmp_path / "home"), "PYTHONDEVMODE": "1"}
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    for text in TROUBLE:
        assert text not in result.stdout + result.stderr, result.stdout + result.stderr
    return result


def test_qt_quit_waits_for_the_async_shutdown(tmp_path: Path) -> None:
    result = run(
        """
        async def main(guard):
            assert isinstance(QApplication.instance(), Application)
            QTimer.singleShot(50, QApplication.quit)          # the tray's or the session's quit
            await guard.wait()
            await asyncio.sleep(0.1)                           # an await after Qt's quit: the loop still runs
            print("cleanup finished")
            return 7
        print("exit code", run_app(main))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "cleanup finished" in result.stdout
    assert "exit code 7" in result.stdout


def test_a_plain_qapplication_still_finishes_the_shutdown(tmp_path: Path) -> None:
    result = run(
        """
        app = QApplication(sys.argv)                           # not ours: Qt's quit ends exec()
        async def main(guard):
            QTimer.singleShot(50, QApplication.quit)
            await guard.wait()
            await asyncio.sleep(0.1)
            print("cleanup finished")
            return 3
        print("exit code", run_app(main, app=app))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "cleanup finished" in result.stdout
    assert "exit code 3" in result.stdout


def test_spawn_keeps_tasks_and_logs_their_failures(tmp_path: Path) -> None:
    result = run(
        """
        import gc
        async def main(guard):
            async def fails():
                raise ValueError("broken on purpose")
            async def forever():
                await asyncio.sleep(3600)
            spawn(fails(), name="a failing task")
            spawn(forever(), name="a task that never ends")
            gc.collect()                                       # a weakly held task would vanish here
            await asyncio.sleep(0.1)
            print("running", sorted(t.get_name() for t in running_tasks()))
            return 0
        print("exit code", run_app(main))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "ringdesk ERROR task 'a failing task' failed" in result.stdout
    assert "ValueError: broken on purpose" in result.stdout + result.stderr
    assert "running ['a task that never ends']" in result.stdout
    assert "exit code 0" in result.stdout


def test_wait_signal_and_open_dialog(tmp_path: Path) -> None:
    result = run(
        """
        async def main(guard):
            timer = QTimer(singleShot=True, interval=20)
            fired = wait_signal(timer.timeout)                 # connected before the emission
            timer.start()
            print("signal args", await fired)
            dialog = QDialog()
            QTimer.singleShot(50, dialog.accept)
            print("dialog result", await open_dialog(dialog))
            other = QDialog()
            task = spawn(open_dialog(other), name="dialog")
            await asyncio.sleep(0.05)
            task.cancel()                                      # cancelling closes the dialog
            await asyncio.sleep(0.05)
            print("cancelled dialog visible", other.isVisible())
            return 0
        run_app(main)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "signal args ()" in result.stdout
    assert "dialog result 1" in result.stdout
    assert "cancelled dialog visible False" in result.stdout


def test_uncaught_exceptions_in_slots_are_logged(tmp_path: Path) -> None:
    result = run(
        """
        def slot():
            raise RuntimeError("a slot failed")
        async def main(guard):
            QTimer.singleShot(10, slot)
            await asyncio.sleep(0.2)
            return 0
        print("exit code", run_app(main))
        """,
        tmp_path,
    )
    assert "ringdesk CRITICAL unhandled exception" in result.stdout
    assert "exit code 0" in result.stdout
