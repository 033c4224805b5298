"""What a start imports before its first frame, for the start-up test and the app benchmark.

A fresh interpreter (offscreen, in a throw-away home) builds RingDesk's application and windows as
`ringdesk` does, without running them, and lists the modules then loaded and the source files
Python keeps in `linecache`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass

_CHILD = """
import json, linecache, sys
from ringdesk.cli import main  # noqa: F401  (the command line is on the start-up path too)
from ringdesk.app import AppOptions, RingDeskApp, make_application
from ringdesk.qtasync import QuitGuard
qapp, web_engine = make_application()
RingDeskApp(AppOptions(web_engine=web_engine, remember_windows=False), QuitGuard(qapp))
print(json.dumps({
    "web_engine": web_engine,
    # A name mapped to None is a module marked "not importable", not a loaded one.
    "modules": sorted(name for name, module in sys.modules.items() if module is not None),
    "sources_kept": sorted(linecache.cache),
}))
"""


@dataclass(frozen=True)
class StartModules:
    web_engine_installed: bool
    modules: list[str]
    #: Source files held in memory by `linecache` (a traceback or a library may have read them).
    sources_kept: list[str]

    def packages(self) -> list[str]:
        """The top-level packages loaded, other than Python's own."""
        tops = {name.split(".")[0] for name in self.modules}
        return sorted(t for t in tops if t not in sys.stdlib_module_names and not t.startswith("_"))


def modules_at_first_frame() -> StartModules:
    with tempfile.TemporaryDirectory(prefix="ringdesk-start-") as home:
        result = subprocess.run(
            [sys.executable, "-c", _CHILD],
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "RINGDESK_HOME": home},
            capture_output=True,
            text=True,
            timeout=120,
        )
    if result.returncode != 0:
        raise RuntimeError(f"the start-up child failed:\n{result.stderr}")
    found = json.loads(result.stdout.splitlines()[-1])
    return StartModules(found["web_engine"], found["modules"], found["sources_kept"])
