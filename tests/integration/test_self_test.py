"""`ringdesk --self-test` as an installed RingDesk runs it: a process of its own on the desktop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

STEPS = ("Qt", "keyring", "call history", "simulator", "web view", "demo call")


def self_test(home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ringdesk", "--self-test"],
        env={**os.environ, "RINGDESK_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_every_step_passes_and_is_logged(tmp_path: Path) -> None:
    result = self_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0].split(maxsplit=1) for line in lines[1:-1]] == [["ok", step] for step in STEPS]
    assert "Secret Service" in lines[2] or "SecretService" in lines[2]
    assert lines[-1] == "self-test: all steps passed"
    # A windowed build has no terminal: the log says the same.
    log = (tmp_path / "logs" / "ringdesk.log").read_text()
    for line in lines:
        assert line in log


def test_a_missing_keyring_fails_with_its_name(tmp_path: Path) -> None:
    result = self_test(tmp_path, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    assert result.returncode == 1
    assert (
        "FAILED keyring: no usable keyring (keyring.backends.fail.Keyring): sign-ins could not be remembered"
        in result.stdout
    )
    assert result.stdout.splitlines()[-1] == "self-test: 1 step(s) failed"
