"""The command line as a person types it, in a separate process."""

from __future__ import annotations

import os
import subprocess
import sys

from ringdesk import __version__


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
