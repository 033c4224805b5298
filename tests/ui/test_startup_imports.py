"""What a start loads before its first frame: nothing a start with a stored sign-in does not need.

QtWebEngine (tens of MiB and milliseconds) is loaded when a web sign-in starts, the simulator and
its web framework only for `--demo`, `sim` and a simulator connection. A fresh interpreter builds
the application as `ringdesk` does and lists what got imported.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.viewmodels

#: Modules that must not be loaded by a start until something asks for them.
NOT_AT_START = (
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "ringdesk.ui.widgets.sign_in_window",
    "ringdesk.simulator",
    "uvicorn",
    "starlette",
    "pytest",
)

CHILD = """
import sys
from ringdesk.app import make_application
from ringdesk.cli import main  # noqa: F401  (the command line is on the start-up path too)
app, web_engine = make_application()
print("web engine installed:", web_engine)
print("\\n".join(sorted(sys.modules)))
"""


def test_a_start_loads_neither_the_web_engine_nor_the_simulator() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "web engine installed: True"  # found, and still not loaded
    loaded = set(lines[1:])
    early = sorted(m for m in loaded if any(m == n or m.startswith(n + ".") for n in NOT_AT_START))
    assert early == []
