"""Starting and stopping the simulator: in a thread (also beside a running loop) and in the foreground."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import threading

import httpx
import pytest

from ringdesk.simulator import Simulator, SimulatorControl


def test_start_stop_and_free_port() -> None:
    first, second = Simulator().start(), Simulator().start()
    try:
        assert first.port != 0 and first.port != second.port
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", first.base_url)
        assert httpx.get(first.control_url).status_code == 200
    finally:
        first.stop()
        second.stop()
    assert not first.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(first.base_url + "/_sim/", timeout=2)
    first.stop()  # stopping twice is harmless


def test_context_manager_leaves_no_thread_behind() -> None:
    before = {t.name for t in threading.enumerate()}
    with Simulator() as sim, SimulatorControl(sim.base_url) as control:
        assert control.info()["baseUrl"] == sim.base_url
    after = {t.name for t in threading.enumerate()}
    assert after <= before


async def test_runs_beside_a_running_event_loop() -> None:
    # Demo mode starts it from inside the GUI's loop: it must not touch that loop.
    with Simulator() as sim:
        async with httpx.AsyncClient() as client:
            response = await client.get(sim.control_url)
        assert response.status_code == 200
        await asyncio.sleep(0)


def test_busy_port_is_an_error() -> None:
    with Simulator() as sim, pytest.raises(OSError):
        Simulator(port=sim.port).start()


def test_run_foreground_prints_and_stops_on_ctrl_c() -> None:
    code = "from ringdesk.simulator import run_foreground as run; raise SystemExit(run('127.0.0.1', 0, None))"
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: a shell without job control starts background commands (a test run
        # with `&`) with Ctrl-C ignored, and the simulator would inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        banner = "".join(lines)
        base_url = re.search(r"Server URL:\s+(\S+)", banner)
        assert base_url, banner
        for needle in (
            "ringdesk-demo",
            "ringdesk-confidential",
            "extension 101",
            "RingDesk-Demo-1",
            "JWT credential",
            "/_sim/",
        ):
            assert needle in banner
        assert httpx.get(base_url.group(1) + "/_sim/").status_code == 200
        process.send_signal(signal.SIGINT)
        try:
            # communicate() drains both pipes: a child blocked on a full pipe could never exit.
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            raise AssertionError(f"no exit after Ctrl-C; stdout: {out!r}; stderr: {err[-3000:]!r}") from None
        assert process.returncode == 0, err
        assert "Stopping the simulator" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_run_foreground_reports_a_bad_scenario(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"demo_mode": 3}')
    code = (
        "from ringdesk.simulator import run_foreground; "
        f"raise SystemExit(run_foreground('127.0.0.1', 0, {str(bad)!r}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "demo_mode" in result.stdout
