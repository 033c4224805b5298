"""Command line.

    ringdesk [--minimized] [--demo] [--debug] [NUMBER_OR_LINK]   start, or show the running RingDesk
    ringdesk dial NUMBER_OR_LINK | --selection                    the number in the running RingDesk
    ringdesk show | quit                                          the running RingDesk's window / quit it
    ringdesk sim [--host H] [--port N] [--scenario FILE]          the built-in simulator

One RingDesk runs per user and profile (`ringdesk.desktop.instance`): a later start hands its
request to the running one, prints what became of it and exits with a status that says so
(`EXIT_CODES`); without a running one, this start becomes it and then handles the request.
Qt, asyncio and the log file's handlers are loaded only by a start that opens the window (or runs
`sim` or `--self-test`), so handing over a request and `--version` stay quick and work without a
display.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from ringdesk import __version__
from ringdesk.desktop.instance import (
    InstanceError,
    InstanceGone,
    PrimaryInstance,
    Request,
    RunningInstance,
    claim_instance,
    find_instance,
    instance_address,
)
from ringdesk.net import listen_address
from ringdesk.paths import AppPaths, app_paths, prepare_folders

log = logging.getLogger("ringdesk.cli")

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_REFUSED: Final = 3
EXIT_NO_ANSWER: Final = 4
EXIT_NOT_RUNNING: Final = 5
EXIT_CODES: Final = {
    EXIT_OK: "done, or handed to the running RingDesk",
    EXIT_FAILED: "RingDesk could not start",
    EXIT_USAGE: "the command line is wrong",
    EXIT_REFUSED: "the running RingDesk refused the request (not a phone number, nothing highlighted)",
    EXIT_NO_ANSWER: "a RingDesk is running but did not answer",
    EXIT_NOT_RUNNING: "quit: RingDesk was not running",
}
COMMANDS: Final = ("dial", "show", "quit", "sim")
# What makes a first argument a number or link rather than a mistyped command: a scheme or a digit.
_LOOKS_DIALABLE = re.compile(r"^[a-z][a-z0-9+.-]*:|\d", re.IGNORECASE)


def build_parser() -> argparse.ArgumentParser:
    codes = "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES.items())
    parser = argparse.ArgumentParser(
        prog="ringdesk",
        description="RingDesk: click a number, the platform rings your phone, then connects the call. "
        "With a number or a tel:, callto: or sip: link, RingDesk shows it ready to call "
        "(the same as `ringdesk dial`).",
        epilog=f"exit status:\n{codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="ringdesk [--minimized] [--demo] [--debug] [NUMBER_OR_LINK]\n"
        "       ringdesk dial NUMBER_OR_LINK | --selection\n"
        "       ringdesk show | quit\n"
        "       ringdesk sim [--host HOST] [--port PORT] [--scenario FILE]",
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
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation (Qt, keyring, call history, simulator, web view, a demo call), "
        "print each result and exit: 0 when everything works",
    )
    parser.add_argument(
        "--minimized",
        action="store_true",
        help="start in the tray with the window hidden (where the desktop has a tray)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    dial = commands.add_parser(
        "dial",
        help="show a number or link in RingDesk, ready to call (or call it, per Preferences)",
        description="Hand a number or a tel:, callto: or sip: link to RingDesk, which shows it ready "
        "to call (or calls it after a countdown, if Preferences say so). RingDesk starts if it is "
        "not running; before sign-in the number waits until calling is possible.",
    )
    what = dial.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "target", nargs="?", metavar="NUMBER_OR_LINK", help='e.g. "+1 650 555 1234" or tel:+16505551234'
    )
    what.add_argument(
        "--selection",
        action="store_true",
        help="the highlighted text (X11's primary selection; the clipboard where there is none): "
        "bind `ringdesk dial --selection` to a key to call any number you highlight",
    )
    commands.add_parser("show", help="bring RingDesk's window forward (starts RingDesk if needed)")
    commands.add_parser("quit", help="quit the running RingDesk")
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
    args = build_parser().parse_args(_with_dial_command(sys.argv[1:] if argv is None else list(argv)))
    paths = app_paths()
    # A folder that cannot be made (a read-only home) is said, not raised: RingDesk still starts,
    # keeps in memory what it cannot save, and says so.
    start_problems = prepare_folders(paths)
    if args.command == "sim":
        _start_logging(args, paths.log_file, start_problems, console=True)
        from ringdesk.simulator import run_foreground

        return run_foreground(args.host, args.port, args.scenario)

    if args.self_test:
        # Beside a running RingDesk too: it uses its own simulator, history and test entry.
        _start_logging(args, paths.log_file, start_problems, console=False)
        try:
            from ringdesk.selftest import main as self_test
        except ImportError as exc:
            print(f"FAILED Qt: RingDesk cannot load its window's libraries: {exc}", file=sys.stderr)
            return EXIT_FAILED
        return self_test()
    request = _request(args)
    if request.action == "quit":
        return _quit(paths, demo=args.demo)
    claim: PrimaryInstance | None = None
    # A running instance that was quitting closes the connection unread: then the next one, or
    # this start, takes the request. Twice at most: a third quitting instance is not plausible.
    for _attempt in range(3):
        try:
            found = claim_instance(instance_address(paths, demo=args.demo))
        except InstanceError as error:
            # Better two copies than none: this one starts, and its window says why it may not be alone.
            start_problems.append(error.user_message)
            break
        if isinstance(found, PrimaryInstance):
            claim = found
            break
        try:
            return _hand_over(found, request)
        except InstanceGone:
            continue
    _start_logging(args, paths.log_file, start_problems, console=args.debug)
    return _start_window(args, start_problems, claim, request)


def _with_dial_command(argv: list[str]) -> list[str]:
    """`ringdesk tel:+1...` (how desktops open links: `Exec=ringdesk %u`) means `ringdesk dial tel:+1...`."""
    for index, argument in enumerate(argv):
        if argument == "--":
            return argv
        if argument.startswith("-"):
            continue
        if argument not in COMMANDS and _LOOKS_DIALABLE.search(argument):
            return [*argv[:index], "dial", *argv[index:]]
        return argv
    return argv


def _request(args: argparse.Namespace) -> Request:
    # The desktop gives the program it starts for a click the right to bring a window forward;
    # the running RingDesk, which owns the window, needs it instead.
    token = os.environ.get("XDG_ACTIVATION_TOKEN") or os.environ.get("DESKTOP_STARTUP_ID") or ""
    if args.command == "dial":
        if args.selection:
            return Request("dial-selection", activation_token=token)
        return Request.dial(args.target, activation_token=token)
    if args.command == "quit":
        return Request("quit")
    return Request("show", activation_token=token)


def _quit(paths: AppPaths, *, demo: bool) -> int:
    try:
        running = find_instance(instance_address(paths, demo=demo))
    except InstanceError as error:
        print(error.user_message, file=sys.stderr)
        return EXIT_FAILED
    if running is None:
        print("RingDesk is not running.", file=sys.stderr)
        return EXIT_NOT_RUNNING
    try:
        return _hand_over(running, Request("quit"))
    except InstanceGone:
        print("RingDesk is quitting.")
        return EXIT_OK


def _hand_over(running: RunningInstance, request: Request) -> int:
    """Deliver `request` and say what became of it; raises InstanceGone when the instance was quitting."""
    try:
        reply = running.deliver(request)
    except InstanceGone:
        raise
    except InstanceError as error:
        print(error.user_message, file=sys.stderr)
        return EXIT_NO_ANSWER
    if reply.accepted:
        print(reply.message)
        return EXIT_OK
    print(reply.message, file=sys.stderr)
    return EXIT_REFUSED


def _start_logging(
    args: argparse.Namespace, log_file: Path, start_problems: list[str], *, console: bool
) -> None:
    # Imported here: a start that only hands its request over never logs, and is quicker without it.
    from ringdesk.log import setup_logging

    log_problem = setup_logging(log_file, logging.DEBUG if args.debug else logging.INFO, console=console)
    for problem in start_problems:
        log.warning("%s", problem)
    if log_problem:
        start_problems.append(log_problem)


def _start_window(
    args: argparse.Namespace,
    start_problems: list[str],
    instance: PrimaryInstance | None,
    request: Request,
) -> int:
    log.info("RingDesk %s starting%s", __version__, " in demo mode" if args.demo else "")
    try:
        from ringdesk.app import main as gui_main
    except ImportError as exc:
        if instance is not None:
            instance.close()
        print(f"RingDesk cannot start its window: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return gui_main(
        demo=args.demo,
        start_problems=tuple(start_problems),
        start_minimized=args.minimized,
        instance=instance,
        first_request=request,
    )


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
