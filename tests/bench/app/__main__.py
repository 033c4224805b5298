"""The command line: `python -m tests.bench.app` measures, in the desktop session, and prints the report.

With `--part` (hidden) it is instead one app process measuring that part, as `run_part` starts it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from ringdesk.calls.service import DEFAULT_POLL_INTERVAL
from tests.bench import app as package
from tests.bench.app.driver import app_process_main
from tests.bench.app.figures import PARTS, REAL_LIMITS, PartOptions, starts
from tests.bench.app.process import REPO, logged_problems, run_part, signed_in_simulator
from tests.bench.app.report import print_report


def part_options(args: argparse.Namespace) -> PartOptions:
    return PartOptions(
        calls=args.calls, burst=args.burst, memory_calls=args.memory_calls, memory_poll=args.memory_poll
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every figure: the simulator in a process of its own, the starts, then each part in a fresh app."""
    options = part_options(args)
    results: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        if args.workdir is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ringdesk-bench-")))
        else:
            root = args.workdir.resolve()
            root.mkdir(parents=True, exist_ok=True)
        with signed_in_simulator(root / "simulator", REAL_LIMITS) as server_url:
            results["start"] = starts(server_url, root / "start", args.starts)
            for part in PARTS:
                results[part] = run_part(part, server_url, root / part, options)
        problems = logged_problems(root)
        stderr_file = root / "start-stderr.txt"
        start_stderr = (
            stderr_file.read_text(errors="replace").strip().splitlines() if stderr_file.exists() else []
        )
    results["default_poll_interval_s"] = DEFAULT_POLL_INTERVAL
    results["app_log_problems"] = problems
    results["start"]["stderr"] = start_stderr[-20:]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.app", description=(package.__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--starts", type=int, default=5, help="measured process starts (after a first one)")
    parser.add_argument("--calls", type=int, default=20, help="calls for the click and status figures")
    parser.add_argument("--burst", type=int, default=20, help="call attempts in the Heavy-limit burst")
    parser.add_argument("--memory-calls", type=int, default=100, help="calls before memory is read again")
    parser.add_argument("--memory-poll", type=float, default=0.25, help="poll interval (s) for those calls")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep the homes, logs and settings of every process here (default: a temp dir)",
    )
    parser.add_argument("--part", choices=sorted(PARTS), help=argparse.SUPPRESS)
    parser.add_argument("--sim", help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        app_process_main(args.part, args.sim, args.home, part_options(args))
        return
    if not os.environ.get("RINGDESK_DESKTOP_SESSION"):
        os.chdir(REPO)
        session = str(REPO / "scripts" / "desktop-session")
        os.execv(session, [session, sys.executable, "-m", "tests.bench.app", *sys.argv[1:]])
    print_report(run(args))


if __name__ == "__main__":
    main()
