"""Command line: `ringdesk [--demo] [--debug] [--version]`, `ringdesk sim [--host H] [--port N] [...]`.

Without a command, the desktop app starts (`ringdesk.app.main`); Qt is only loaded then, so `--version`
and `sim` stay quick and work on machines without a display.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ringdesk import __version__
from ringdesk.log import setup_logging
from ringdesk.net import listen_address
from ringdesk.paths import app_paths, prepare_folders

log = logging.getLogger("ringdesk.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ringdesk",
        description="RingDesk: click a number, the platform rings your phone, then connects the call.",
    )
    parser.add_argument("--version", action="version", version=f"RingDesk {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="log in detail, also to the terminal (secrets are still removed)"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="try RingDesk without an account: starts the built-in simulator and signs in to it "
        "through the real sign-in window with the demo user (your settings are not changed)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sim = commands.add_parser(
        "sim",
        help="run the built-in RingCentral simulator in the foreground",
        description="Run the built-in RingCentral simulator until Ctrl-C. It prints its base URL "
        "and the demo account's credentials.",
    )
    sim.add_argument(
        "--host", default="127.0.0.1", type=_loopback_host, help="loopback address (default 127.0.0.1)"
    )
    sim.add_argument("--port", default=0, type=_port, help="TCP port (default: any free port)")
    sim.add_argument("--scenario", metavar="FILE", help="account data and behaviour, JSON or TOML")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.DEBUG if args.debug else logging.INFO
    paths = app_paths()
    # A folder that cannot be made (a read-only home) is said, not raised: RingDesk still starts,
    # keeps in memory what it cannot save, and says so.
    start_problems = prepare_folders(paths)
    log_problem = setup_logging(paths.log_file, level, console=args.command == "sim" or args.debug)
    for problem in start_problems:
        log.warning("%s", problem)
    if log_problem:
        start_problems.append(log_problem)
    if args.command == "sim":
        from ringdesk.simulator import run_foreground

        return run_foreground(args.host, args.port, args.scenario)
    log.info("RingDesk %s starting%s", __version__, " in demo mode" if args.demo else "")
    try:
        from ringdesk.app import main as gui_main
    except ImportError as exc:
        print(f"RingDesk cannot start its window: {exc}", file=sys.stderr)
        return 1
    return gui_main(demo=args.demo, start_problems=tuple(start_problems))


def _loopback_host(value: str) -> str:
    # The simulator's control API trusts its callers; it must never listen beyond this machine.
    try:
        return listen_address(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a loopback address; use 127.0.0.1 or ::1"
        ) from None


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 0-65535")
    return port
