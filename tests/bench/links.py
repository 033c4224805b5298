"""Dial from anywhere, timed: from starting `ringdesk dial tel:...` (what a click on a link does)
to the number in RingDesk's entry, for a RingDesk already running and for a cold start.

    scripts/desktop-session .venv/bin/python -m tests.bench.links [--runs 20] [--cold-runs 5]

Real processes throughout: the simulator in its own, RingDesk started as a person starts it (a
stored sign-in and a chosen phone), and each link handed over by a new `ringdesk` process, which
is what a desktop runs for a click. "In the entry" is the app's log line written right after the
number was put there (a paint follows within a frame); log times are to the millisecond. A cold
start counts until that line too: the number is filled in as soon as the window is built, before
the sign-in has finished; the sign-in's own time is the app benchmark's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.bench.app.figures import REAL_LIMITS
from tests.bench.app.process import app_env, log_lines, signed_in_simulator, stop_process, write_settings

IN_THE_ENTRY = "a number from outside is in the entry"
#: The first start signs in with the stored JWT, later ones with the tokens it stored.
SIGNED_IN = ("signed in with the stored JWT credential", "signed in from stored tokens")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.links", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="links handed to a running RingDesk")
    parser.add_argument("--cold-runs", type=int, default=5, help="links that start RingDesk")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ringdesk-links-") as folder:
        root = Path(folder)
        with signed_in_simulator(root / "simulator", REAL_LIMITS) as server_url, runtime_folder() as runtime:
            env = {**app_env(root / "home"), "XDG_RUNTIME_DIR": runtime}
            write_settings(root / "home", server_url)
            results = {
                "running": running_instance(env, root / "home", args.runs),
                "cold_start": cold_starts(env, root / "home", args.cold_runs),
            }
    print_report(results)
    return 0


@contextlib.contextmanager
def runtime_folder() -> Iterator[str]:
    folder = tempfile.mkdtemp(prefix="rd-run-", dir="/tmp")  # short: a socket path has ~100 bytes
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def ringdesk(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ringdesk", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_line(log: Path, text: str | tuple[str, ...], after: int, timeout: float = 60) -> float:
    """When `text` (or one of the texts) was logged after byte `after` of the log (epoch seconds)."""
    texts = (text,) if isinstance(text, str) else text
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for stamp, line in log_lines(log, after):
            if any(t in line for t in texts):
                return stamp
        time.sleep(0.005)
    raise RuntimeError(f"{text!r} was not logged")


def log_size(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


def hand_over(env: dict[str, str], number: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "ringdesk", "dial", f"tel:{number}"], env=env, capture_output=True, text=True
    )
    return started, done


def running_instance(env: dict[str, str], home: Path, runs: int) -> dict[str, Any]:
    log = home / "logs" / "ringdesk.log"
    app = ringdesk(env)
    try:
        wait_for_line(log, SIGNED_IN, 0)
        shown_ms, handed_ms = [], []
        for run in range(runs):
            offset = log_size(log)
            started, done = hand_over(env, f"+1650555{1000 + run}")
            if done.returncode != 0:
                raise RuntimeError(f"ringdesk dial failed: {done.stderr}")
            handed = time.time()
            shown = wait_for_line(log, IN_THE_ENTRY, offset)
            shown_ms.append((shown - started) * 1000)
            handed_ms.append((handed - started) * 1000)
        return {"runs": runs, "link_to_entry_ms": summary(shown_ms), "dial_process_ms": summary(handed_ms)}
    finally:
        stop_process(app, grace=20)


def cold_starts(env: dict[str, str], home: Path, runs: int) -> dict[str, Any]:
    log = home / "logs" / "ringdesk.log"
    shown_ms, signed_in_ms, exit_codes = [], [], []
    for run in range(runs):
        offset = log_size(log)
        started = time.time()
        app = ringdesk(env, "dial", f"tel:+1650555{2000 + run}")
        try:
            shown = wait_for_line(log, IN_THE_ENTRY, offset)
            signed_in = wait_for_line(log, SIGNED_IN, offset)
            shown_ms.append((shown - started) * 1000)
            signed_in_ms.append((signed_in - started) * 1000)
            quitting = subprocess.run(
                [sys.executable, "-m", "ringdesk", "quit"], env=env, capture_output=True
            )
            exit_codes.append(quitting.returncode)
            exit_codes.append(app.wait(timeout=30))
        finally:
            if app.poll() is None:
                stop_process(app, grace=20)
    return {
        "runs": runs,
        "link_to_entry_ms": summary(shown_ms),
        "link_to_signed_in_ms": summary(signed_in_ms),
        "exit_codes": sorted(set(exit_codes)),
    }


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median": round(statistics.median(ordered), 1),
        "p95": round(p95, 1),
        "max": round(ordered[-1], 1),
    }


def print_report(results: dict[str, Any]) -> None:
    running, cold = results["running"], results["cold_start"]
    rows = [
        ("running RingDesk: link to number in the entry", running["link_to_entry_ms"], running["runs"]),
        ("running RingDesk: the `ringdesk dial` process", running["dial_process_ms"], running["runs"]),
        ("cold start: link to number in the entry", cold["link_to_entry_ms"], cold["runs"]),
        ("cold start: link to signed in", cold["link_to_signed_in_ms"], cold["runs"]),
    ]
    print("Dial from anywhere (ms)")
    print(f"| {'':48} | {'median':>7} | {'p95':>7} | {'max':>7} | runs |")
    print(f"| {'-' * 48} | {'-' * 7} | {'-' * 7} | {'-' * 7} | ---- |")
    for name, figures, runs in rows:
        cells = " | ".join(f"{figures[key]:7.1f}" for key in ("median", "p95", "max"))
        print(f"| {name:48} | {cells} | {runs:4} |")
    print(f"cold-start exit codes (quit, app): {cold['exit_codes']}")
    print("BENCH-LINKS " + json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
