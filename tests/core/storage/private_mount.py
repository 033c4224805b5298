"""Run a Python child in its own mount namespace, so a test can mount a tiny or read-only disk.

Only root can mount, and only where the kernel allows new mount namespaces (`unshare -m`); a
test that needs one is skipped elsewhere, saying why. Mounts made in the namespace vanish with
the child and are never seen by the rest of the machine.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
# The exit code of the shell when a mount fails: the test cannot run here.
_MOUNT_FAILED = 77


def run_with_mounts(
    mounts: list[list[str]], child: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the Python source `child` (with `args`) after the `mount` commands, in a new namespace."""
    if os.geteuid() != 0:
        pytest.skip("mounting a test disk needs root")
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        pytest.skip("unshare and mount are not installed")
    setup = " && ".join(shlex.join(command) for command in mounts)
    command = (
        f"{{ {setup}; }} || exit {_MOUNT_FAILED}; exec {shlex.join([sys.executable, '-c', child, *args])}"
    )
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {}), "PYTHONPATH": str(REPO_ROOT)},
    )
    if result.returncode == _MOUNT_FAILED or "unshare failed" in result.stderr:
        pytest.skip(f"a private mount namespace is not permitted here: {result.stderr.strip()}")
    return result


def tmpfs(folder: Path, size: str) -> list[list[str]]:
    """The mount commands for an empty tmpfs of `size` ("512k") at `folder`."""
    return [["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)]]


def read_only(folder: Path) -> list[list[str]]:
    """The mount commands that make `folder` read-only, with what it holds now."""
    return [
        ["mount", "--bind", str(folder), str(folder)],
        ["mount", "-o", "remount,bind,ro", str(folder)],
    ]
