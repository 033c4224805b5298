"""The report: the figures as a table of one line each, then all of them as one JSON line."""

from __future__ import annotations

import json
import sys
from typing import Any

from tests.bench.app.figures import PARTS


def _ms(figure: dict[str, Any], *keys: str) -> str:
    if not figure.get("count"):
        return "n/a"
    return " / ".join(f"{figure[k]:.0f}" for k in keys) + " ms"


def _polls(calls: dict[str, Any]) -> str:
    kinds = calls["requests_by_kind"]
    polls = sum(v for k, v in kinds.items() if k.startswith("GET") and "/ring-out/" in k)
    return f"{polls / calls['calls']:.1f}"


def table(results: dict[str, Any]) -> list[tuple[str, str]]:
    start, calls, burst, memory = results["start"], results["calls"], results["burst"], results["memory"]
    history, web = results["history"], results["sign_in_window"]
    part_starts = [results[part]["start_event_loop"] for part in PARTS]
    polled = results["calls_polling"]
    n, poll = start["runs"], polled["poll_interval_s"]
    loop_calls, loop_memory = calls["event_loop"], memory["event_loop"]
    return [
        (
            f"process start to main window mapped, median / max ({n} starts)",
            _ms(start["mapped_ms"], "median", "max"),
        ),
        ("process start to main window first drawn, median / max", _ms(start["drawn_ms"], "median", "max")),
        (
            "a bare PySide6 window, same run: mapped / drawn, median",
            _ms(start["bare_window_mapped_ms"], "median")
            + " / "
            + _ms(start["bare_window_drawn_ms"], "median"),
        ),
        (
            "RingDesk's start to window against the bare window's (mapped)",
            f"{start['mapped_ratio_to_bare_window']}x",
        ),
        (
            "modules imported before any window (command line and application set-up)",
            f"{start['modules_before_first_frame']['count']}: "
            + ", ".join(start["modules_before_first_frame"]["packages"]),
        ),
        (
            "other windows titled RingDesk mapped and destroyed again, per start",
            "/".join(str(count) for count in start["windows_flashed_per_start"]),
        ),
        (
            "process start to 'starting' logged (Python and CLI), median",
            _ms(start["logged_starting_ms"], "median"),
        ),
        ("process start to signed in (stored sign-in), median", _ms(start["signed_in_ms"], "median")),
        ("SIGTERM to process exit, median / max", _ms(start["sigterm_to_exit_ms"], "median", "max")),
        (
            f"Call clicked to RingOut POST received, median / p95 ({calls['calls']} calls, Heavy raised)",
            _ms(calls["click_to_post_received_ms"], "median", "p95"),
        ),
        (
            "Call clicked to 'Calling your phone' painted, median / p95",
            _ms(calls["click_to_calling_painted_ms"], "median", "p95"),
        ),
        (
            "simulator status change to status view painted, median / p95 / max: push",
            _ms(calls["status_change_to_painted_ms"], "median", "p95", "max"),
        ),
        (
            f"  the same by polling ({poll:g} s polls; an app without the WebSocket permission)",
            _ms(polled["status_change_to_painted_ms"], "median", "p95", "max"),
        ),
        (
            f"HTTP requests per completed call (3-5 s calls): push / polling ({_polls(polled)} status polls)",
            f"{calls['requests_per_completed_call']:.1f} / {polled['requests_per_completed_call']:.1f}",
        ),
        (
            f"burst of {burst['attempts']} calls in {burst['seconds']:.0f} s at Heavy "
            f"{burst['heavy_limit_per_minute']}/min: placed / held back / 429s",
            f"{burst['placed']} / {burst['held_back']} / {burst['429s_seen']}",
        ),
        (
            f"resident memory {start['memory_settle_s']:g} s after sign-in: RingDesk / bare window",
            f"{start['rss_after_sign_in_mib']:.0f} / {start['bare_window_rss_mib']:.0f} MiB",
        ),
        (
            f"resident memory growth over {memory['completed']} completed calls "
            f"({memory['poll_interval_s']:g} s polls, limits raised)",
            f"{memory['rss_growth_mib']:+.1f} MiB",
        ),
        (
            f"longest event-loop stall from the first frame to signed in (worst of {len(part_starts)})",
            f"{max(p['longest_stall_ms'] for p in part_starts):.0f} ms",
        ),
        (
            f"longest event-loop stall during the {calls['calls']} calls "
            f"({loop_calls['interval_ms']:.0f} ms ticker)",
            f"{loop_calls['longest_stall_ms']:.0f} ms",
        ),
        ("ticks late by more than 50 ms during those calls", str(loop_calls["ticks_late_over_50ms"])),
        (
            f"longest stall / ticks late > 50 ms during the {memory['calls']} quick calls",
            f"{loop_memory['longest_stall_ms']:.0f} ms / {loop_memory['ticks_late_over_50ms']}",
        ),
        (
            f"history window over {history['rows_in_history']:,} calls: opened to listed / typed to searched",
            f"{history['open_to_listed_ms']:.0f} / {history['typed_to_search_listed_ms']:.0f} ms",
        ),
        (
            "  longest event-loop stall: first opening / searching / opening again",
            f"{history['event_loop']['longest_stall_ms']:.0f} / "
            f"{history['event_loop_searching']['longest_stall_ms']:.0f} / "
            f"{history['event_loop_opened_again']['longest_stall_ms']:.0f} ms",
        ),
        (
            "first sign-in window (QtWebEngine's first start): made / page shown",
            f"{web['window_made_ms']:.0f} / {web['to_page_title_ms']:.0f} ms",
        ),
        (
            "  longest event-loop stall meanwhile; resident memory after",
            f"{web['event_loop']['longest_stall_ms']:.0f} ms; {web['rss_with_web_engine_mib']:.0f} MiB",
        ),
        ("warnings and errors in the app's logs", str(len(results["app_log_problems"]))),
    ]


def print_report(results: dict[str, Any]) -> None:
    """The table on stdout, the first logged problems on stderr, then the JSON line on stdout."""
    rows = table(results)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value:>16}")
    for problem in results["app_log_problems"][:10]:
        print(f"  log: {problem}", file=sys.stderr)
    print(json.dumps(results, sort_keys=True))
