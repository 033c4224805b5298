"""The frozen (installed) RingDesk against the source run, started side by side.

    scripts/desktop-session .venv/bin/python -m tests.bench.frozen --frozen dist/ringdesk/ringdesk

Each round starts `python -m ringdesk` and then the frozen executable with the same stored sign-in
against a simulator in its own process, and times process start to the main window mapped and
first drawn (seen by an X client of its own) and to signed in (the app's log). Alternating rounds
share whatever else the machine is doing. A last start of each reads its resident memory 5 s after
signing in. Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.bench.app.figures import MEMORY_SETTLE_S, REAL_LIMITS, SOURCE_COMMAND, one_start
from tests.bench.app.process import signed_in_simulator, write_settings
from tests.bench.app.x11 import XScreen

COLUMNS = (("mapped_ms", "window mapped"), ("drawn_ms", "window drawn"), ("signed_in_ms", "signed in"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.frozen", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--frozen", required=True, type=Path, help="the frozen executable")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    commands = {"source": SOURCE_COMMAND, "frozen": (str(args.frozen.resolve()),)}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="ringdesk-frozen-") as folder:
        root = Path(folder)
        with signed_in_simulator(root / "simulator", REAL_LIMITS) as server_url:
            screen = XScreen()
            try:
                with (root / "stderr.txt").open("ab") as stderr:
                    for name, command in commands.items():  # one start each to warm the disk cache
                        write_settings(root / name, server_url)
                        one_start(screen, root / name, stderr, command)
                    for _ in range(args.rounds):
                        for name, command in commands.items():
                            runs[name].append(one_start(screen, root / name, stderr, command))
                    rested = {
                        name: one_start(screen, root / name, stderr, command, memory_after_s=MEMORY_SETTLE_S)
                        for name, command in commands.items()
                    }
            finally:
                screen.close()
    results = {name: {key: median(r[key] for r in done) for key, _ in COLUMNS} for name, done in runs.items()}
    for name, start in rested.items():
        results[name]["rss_mib"] = round(start["rss_mib"] or float("nan"), 1)
    results["rounds"] = args.rounds  # type: ignore[assignment]
    print(f"Start to window, median of {args.rounds} alternating rounds (ms); memory 5 s after sign-in")
    shown = (*COLUMNS, ("rss_mib", "memory (MiB)"))
    print(f"| {'':8} | " + " | ".join(f"{label:>13}" for _, label in shown) + " |")
    print(f"| {'-' * 8} | " + " | ".join("-" * 13 for _ in shown) + " |")
    for name in commands:
        print(f"| {name:8} | " + " | ".join(f"{results[name][key]:13.0f}" for key, _ in shown) + " |")
    print("BENCH-FROZEN " + json.dumps(results))
    return 0


def median(values: Any) -> float:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 1) if present else float("nan")


if __name__ == "__main__":
    sys.exit(main())
