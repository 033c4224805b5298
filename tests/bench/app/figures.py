"""The figures: process starts seen from the X server, and the parts measured inside an app process.

`starts` runs in the benchmark's own process. The parts (`PARTS`) run in an app process each
(`tests.bench.app.driver.app_process_main`), where `HeadlinePaints` and `StallMeter` watch the
app's GUI thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from ringdesk.auth.pkce import new_attempt
from ringdesk.config import DEFAULT_REDIRECT_URI
from ringdesk.simulator import SimulatorControl
from ringdesk.simulator.scenario import ClientApp
from ringdesk.storage.history import CallHistory, HistoryState
from tests.bench.app.process import (
    CLIENT_ID,
    app_env,
    log_lines,
    proc_status_mib,
    stop_process,
    write_settings,
)
from tests.bench.app.x11 import XScreen
from tests.bench.platform import percentile
from tests.start_modules import modules_at_first_frame

if TYPE_CHECKING:
    from tests.bench.app.driver import Driver

WINDOW_TITLE = "RingDesk"
BARE_TITLE = "Bare PySide6 window"
#: The platform's documented limits per (user, app) and minute, which the simulator plays.
REAL_LIMITS = {"Light": 50, "Medium": 40, "Heavy": 10, "Auth": 5}
RAISED = 100_000


def summary(values: list[float], digits: int = 1) -> dict[str, Any]:
    """Median, 95th percentile and maximum of `values` (milliseconds), with the samples."""
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "median": round(statistics.median(values), digits),
        "p95": round(percentile(values, 0.95), digits),
        "max": round(max(values), digits),
        "samples": [round(v, digits) for v in values],
    }


@dataclass
class PartOptions:
    calls: int = 20
    burst: int = 20
    burst_spacing: float = 2.9
    memory_calls: int = 100
    memory_poll: float = 0.25
    history_rows: int = 10_000
    seed: int = 7


# --------------------------------------------------------------------------- figure 1: starts


#: How the benchmark starts RingDesk unless told otherwise: from the source, as `python -m ringdesk`.
SOURCE_COMMAND = (sys.executable, "-m", "ringdesk")


def one_start(
    screen: XScreen,
    home: Path,
    stderr: IO[bytes],
    command: tuple[str, ...] = SOURCE_COMMAND,
    *,
    memory_after_s: float | None = None,
) -> dict[str, Any]:
    """One start with a stored sign-in, seen from the X server and the app's log; with
    `memory_after_s`, the resident memory that many seconds after signing in is read too."""
    log_file = home / "logs" / "ringdesk.log"
    offset = log_file.stat().st_size if log_file.exists() else 0
    spawned_wall = time.time()
    started = time.monotonic()
    screen.begin(started)
    process = subprocess.Popen(
        command,
        env=app_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,
    )
    try:
        signed_in: float | None = None
        cli_started: float | None = None
        deadline = time.monotonic() + 60
        while signed_in is None and time.monotonic() < deadline and process.poll() is None:
            screen.pump(0.05)
            for stamp, line in log_lines(log_file, offset):
                if cli_started is None and " starting" in line and "RingDesk" in line:
                    cli_started = stamp - spawned_wall
                if signed_in is None and re.search(r": signed in (from|with)", line):
                    signed_in = stamp - spawned_wall
        # The phone lists load after sign-in: the app is at rest after this, and then quits.
        screen.pump(1.0 if memory_after_s is None else memory_after_s)
        rss = proc_status_mib("VmRSS", process.pid) if process.poll() is None else None
        running = process.poll() is None
        term = time.monotonic()
        code = stop_process(process, 30)
        quit_s = time.monotonic() - term
    except BaseException:
        stop_process(process, 5)
        raise
    window = screen.main_window(WINDOW_TITLE)

    def ms(seconds: float | None) -> float | None:
        return None if seconds is None else seconds * 1000

    return {
        "mapped_ms": ms(window.mapped if window else None),
        "drawn_ms": ms(window.drawn if window else None),
        "logged_starting_ms": ms(cli_started),
        "signed_in_ms": ms(signed_in),
        "quit_ms": ms(quit_s if running else None),
        "rss_mib": rss,
        "exit_code": code,
        "windows_flashed": screen.flashes(WINDOW_TITLE),
    }


#: The yardstick: a bare PySide6 main window of RingDesk's size, nothing else (no RingDesk import).
BARE_WINDOW = (
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication([])\n"
    "window = QMainWindow()\n"
    f"window.setWindowTitle({BARE_TITLE!r})\n"
    "window.resize(560, 600)\n"
    "window.show()\n"
    "app.exec()\n"
)


def bare_window_start(screen: XScreen, memory_after_s: float | None = None) -> dict[str, Any]:
    """Process start to a bare PySide6 window mapped and drawn: what Qt itself costs here; with
    `memory_after_s`, its resident memory that many seconds after it was drawn."""
    started = time.monotonic()
    screen.begin(started)
    process = subprocess.Popen(
        [sys.executable, "-c", BARE_WINDOW],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        window = None
        while time.monotonic() < deadline and process.poll() is None:
            screen.pump(0.02)
            window = screen.main_window(BARE_TITLE)
            if window is not None and window.drawn is not None:
                break
        rss = None
        if memory_after_s is not None and process.poll() is None:
            screen.pump(memory_after_s)
            rss = proc_status_mib("VmRSS", process.pid)
    finally:
        stop_process(process, 10)
    return {
        "rss_mib": rss,
        "mapped_ms": window.mapped * 1000 if window and window.mapped else None,
        "drawn_ms": window.drawn * 1000 if window and window.drawn else None,
    }


def modules_before_first_frame() -> dict[str, Any]:
    """What the command line and the application set-up import before the first frame: the number
    of modules, and the packages other than Python's own (`tests.start_modules`)."""
    start = modules_at_first_frame()
    return {"count": len(start.modules), "packages": start.packages()}


#: Seconds after signing in (or, for the bare window, after drawing) that resident memory is read.
MEMORY_SETTLE_S = 5.0


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def starts(server_url: str, home: Path, count: int) -> dict[str, Any]:
    """RingDesk's starts with a stored sign-in, each followed by a bare PySide6 window's start, so
    that both share whatever else the machine is doing; the ratio is the figure to compare."""
    write_settings(home, server_url)
    screen = XScreen()
    try:
        with (home.parent / "start-stderr.txt").open("ab") as stderr:
            first = one_start(screen, home, stderr)
            bare_window_start(screen)  # the first bare start warms Qt's files in the disk cache
            runs, bare = [], []
            for _ in range(count):
                runs.append(one_start(screen, home, stderr))
                bare.append(bare_window_start(screen))
            # Memory at rest: the sign-in, the phone lists and the first paint are long over.
            memory = one_start(screen, home, stderr, memory_after_s=MEMORY_SETTLE_S)
            bare_memory = bare_window_start(screen, memory_after_s=MEMORY_SETTLE_S)
    finally:
        # Closed before the other parts: an X client that stops reading its events must not linger.
        screen.close()

    def column(name: str, rows: list[dict[str, Any]] = runs) -> dict[str, Any]:
        return summary([r[name] for r in rows if r[name] is not None])

    mapped, bare_mapped = column("mapped_ms"), column("mapped_ms", bare)
    return {
        "runs": count,
        "first_start": first,
        "mapped_ms": mapped,
        "bare_window_mapped_ms": bare_mapped,
        "bare_window_drawn_ms": column("drawn_ms", bare),
        "mapped_ratio_to_bare_window": (
            round(mapped["median"] / bare_mapped["median"], 2)
            if mapped.get("count") and bare_mapped.get("count")
            else None
        ),
        "modules_before_first_frame": modules_before_first_frame(),
        "rss_after_sign_in_mib": _rounded(memory["rss_mib"]),
        "bare_window_rss_mib": _rounded(bare_memory["rss_mib"]),
        "memory_settle_s": MEMORY_SETTLE_S,
        "drawn_ms": column("drawn_ms"),
        "logged_starting_ms": column("logged_starting_ms"),
        "signed_in_ms": column("signed_in_ms"),
        "sigterm_to_exit_ms": column("quit_ms"),
        "exit_codes": [first["exit_code"], *(r["exit_code"] for r in runs)],
        "windows_flashed_per_start": [first["windows_flashed"], *(r["windows_flashed"] for r in runs)],
        "drawing_seen": screen.sees_drawing,
    }


# --------------------------------------------------------------------------- in the app process


class HeadlinePaints(QObject):
    """When the status view's headline was first painted with each text of interest (wall clock).

    An event filter on that one label (not on the application, which QtWebEngine does not bear).
    """

    KINDS = (("calling", "Calling your phone"), ("connected", "Connected"), ("ended", "Ended"))

    def __init__(self, label: QLabel) -> None:
        super().__init__(label)
        self._label = label
        self.seen: dict[str, float] = {}
        label.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            text = self._label.text()
            for kind, prefix in self.KINDS:
                if text.startswith(prefix) and kind not in self.seen:
                    self.seen[kind] = time.time()
        return False


class StallMeter(QObject):
    """A precise timer ticking every `interval_ms` on the GUI thread; each tick's lateness is kept."""

    def __init__(self, interval_ms: int = 5) -> None:
        super().__init__()
        self.interval = interval_ms / 1000
        self.lates: list[float] = []
        self._last = 0.0
        self._started = 0.0
        self._stopped = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._started = self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._stopped = time.perf_counter()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.lates.append(now - self._last - self.interval)
        self._last = now

    def result(self) -> dict[str, Any]:
        lates_ms = [max(0.0, late) * 1000 for late in self.lates]
        return {
            "interval_ms": self.interval * 1000,
            "seconds": round(self._stopped - self._started, 1),
            "ticks": len(lates_ms),
            "longest_stall_ms": round(max(lates_ms, default=0.0), 1),
            "p99_late_ms": round(percentile(lates_ms, 0.99), 1) if lates_ms else 0.0,
            "ticks_late_over_50ms": sum(1 for late in lates_ms if late > 50),
        }


def _ringout_posts(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if r["method"] == "POST" and r["path"].endswith("/ring-out")]


def _request_kind(entry: dict[str, Any]) -> str:
    path = re.sub(r"/\d{4,}", "/{id}", entry["path"].replace("/restapi/v1.0/account/~/extension/~", ""))
    return f"{entry['method']} {path}"


async def calls_part(driver: Driver, options: PartOptions) -> dict[str, Any]:
    """Figures 2, 3, 4 and 7: calls one after the other, followed by push as the app does by default.

    Each call connects at a random moment 0.2-2.2 s after the simulator received it and ends at
    a random moment 2.7-4.7 s after, so both changes fall at a random point of a poll interval
    (the first poll comes 2.5 s after the POST is answered, the second 2.5 s later) when the calls
    are polled (`calls_polling_part`).
    """
    await driver.until(driver.push_live, "push to be live", within=15)
    return {"push": True, **await _calls(driver, options)}


async def calls_polling_part(driver: Driver, options: PartOptions) -> dict[str, Any]:
    """The same calls for an app the platform sends no events (it lacks the WebSocket permission)."""
    return {"push": driver.push_live(), **await _calls(driver, options)}


async def _calls(driver: Driver, options: PartOptions) -> dict[str, Any]:
    rng = random.Random(options.seed)
    dialer = driver.dialer
    paints = HeadlinePaints(dialer.status_view.headline)
    meter = StallMeter()
    plan: list[dict[str, Any]] = []
    await driver.sim(driver.control.clear_requests)
    meter.start()
    for _ in range(options.calls):
        connect, end = rng.uniform(0.2, 2.2), rng.uniform(2.7, 4.7)
        await driver.sim(
            driver.control.set_timings, caller_ring=connect / 2, callee_ring=connect / 2, talk=end - connect
        )
        await driver.until(lambda: driver.on_pad() and dialer.call_button.isEnabled(), "Call to be enabled")
        paints.seen.clear()
        clicked = time.time()
        driver.click(dialer.call_button)
        await driver.until(lambda: driver.call_vm.view.final, "the call to end")
        with contextlib.suppress(RuntimeError):
            await driver.until(lambda: "ended" in paints.seen, "the Ended headline", within=2)
        plan.append(
            {"connect": connect, "end": end, "clicked": clicked, "phase": driver.phase(), **paints.seen}
        )
        await driver.new_call()
    meter.stop()
    requests = await driver.sim(driver.control.requests)
    posts = _ringout_posts(requests)
    if len(posts) != len(plan):
        raise RuntimeError(f"{len(plan)} calls clicked but the simulator received {len(posts)} RingOuts")

    click_to_post: list[float] = []
    click_to_calling: list[float] = []
    connected_lags: list[float] = []
    ended_lags: list[float] = []
    for call, post in zip(plan, posts, strict=True):
        click_to_post.append((post["time"] - call["clicked"]) * 1000)
        if "calling" in call:
            click_to_calling.append((call["calling"] - call["clicked"]) * 1000)
        # The simulator's call starts when it handles the POST (its log time, within a millisecond).
        if "connected" in call:
            connected_lags.append((call["connected"] - (post["time"] + call["connect"])) * 1000)
        if "ended" in call:
            ended_lags.append((call["ended"] - (post["time"] + call["end"])) * 1000)
    completed = sum(1 for call in plan if call["phase"] == "ended")
    kinds: dict[str, int] = {}
    for entry in requests:
        kinds[_request_kind(entry)] = kinds.get(_request_kind(entry), 0) + 1
    return {
        "calls": len(plan),
        "completed": completed,
        "click_to_post_received_ms": summary(click_to_post),
        "click_to_calling_painted_ms": summary(click_to_calling),
        "status_change_to_painted_ms": summary(connected_lags + ended_lags, 0),
        "connected_to_painted_ms": summary(connected_lags, 0),
        "ended_to_painted_ms": summary(ended_lags, 0),
        "status_changes_expected": 2 * len(plan),
        "poll_interval_s": driver.poll_interval(),
        "requests": len(requests),
        "requests_per_completed_call": round(len(requests) / completed, 2) if completed else None,
        "requests_by_kind": kinds,
        "non_2xx": sum(1 for r in requests if not 200 <= (r["status"] or 0) < 300),
        "event_loop": meter.result(),
    }


async def burst_part(driver: Driver, options: PartOptions) -> dict[str, Any]:
    """Figure 5: `burst` attempts to call, `burst_spacing` s apart, at the platform's real limits.

    A call placed by an attempt ends at its first poll (the simulator's call is over by then), so
    the next attempt finds the pad again; an attempt while the Call button counts down is a click
    on a disabled button, as a person's would be.
    """
    dialer = driver.dialer
    await driver.sim(driver.control.clear_requests)
    loop = asyncio.get_running_loop()
    start = loop.time()
    clicked = counting_down = 0
    labels: list[str] = []
    for attempt in range(options.burst):
        await asyncio.sleep(max(0.0, start + attempt * options.burst_spacing - loop.time()))
        await driver.new_call()
        if dialer.call_button.isEnabled():
            clicked += 1
        else:
            counting_down += 1
            labels.append(dialer.call_button.text())
        driver.click(dialer.call_button)
        await asyncio.sleep(0.05)
    duration = loop.time() - start
    await driver.new_call()
    requests = await driver.sim(driver.control.requests)
    placed = len(_ringout_posts(requests))
    return {
        "attempts": options.burst,
        "seconds": round(duration, 1),
        "heavy_limit_per_minute": REAL_LIMITS["Heavy"],
        "clicked_while_enabled": clicked,
        "button_counting_down": counting_down,
        "countdown_labels": labels[:1] + labels[-1:],
        "placed": placed,
        "held_back": options.burst - placed,
        "429s_seen": sum(1 for r in requests if r["status"] == 429),
    }


async def memory_part(driver: Driver, options: PartOptions) -> dict[str, Any]:
    """Figure 6 (and 7 under a faster pace): RSS idle after sign-in, then after `memory_calls` calls."""
    await asyncio.sleep(3.0)  # sign-in, phone lists and first paint are over
    idle = proc_status_mib("VmRSS")
    await driver.sim(driver.control.clear_requests)
    meter = StallMeter()
    meter.start()
    ended = 0
    for _ in range(options.memory_calls):
        await driver.until(lambda: driver.dialer.call_button.isEnabled(), "Call to be enabled")
        driver.click(driver.dialer.call_button)
        await driver.until(lambda: driver.call_vm.view.final, "the call to end")
        ended += driver.phase() == "ended"
        await driver.new_call()
    meter.stop()
    await asyncio.sleep(2.0)
    after = proc_status_mib("VmRSS")
    requests = await driver.sim(driver.control.requests)
    return {
        "rss_idle_mib": round(idle, 1),
        "calls": options.memory_calls,
        "completed": ended,
        "rss_after_calls_mib": round(after, 1),
        "rss_growth_mib": round(after - idle, 1),
        "peak_rss_mib": round(proc_status_mib("VmHWM"), 1),
        "poll_interval_s": driver.poll_interval(),
        "requests_per_completed_call": round(len(requests) / ended, 2) if ended else None,
        "event_loop": meter.result(),
    }


async def fill_history(path: Path, rows: int) -> None:
    """A history of `rows` ended calls to different numbers, in RingDesk's own database: one row
    written through `CallHistory`, the rest copied from it in SQL (written one by one, each synced
    to the disk, they would take minutes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    async with await CallHistory.open(path) as history:
        first = await history.record_attempt(
            platform="ringcentral",
            destination="+16505550000",
            destination_display="(650) 555-0000",
            extension=None,
            from_number="+16505550122",
            from_label="Mobile",
            caller_id=None,
            play_prompt=False,
            started_at=time.time() - rows * 60,
        )
        await history.update(first, state=HistoryState.ENDED, ended_at=time.time() - rows * 60 + 42)
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(calls)") if row[1] != "id"]
        varied = {
            "destination": "'+1650555' || printf('%04d', n % 10000)",
            "destination_display": "'(650) 555-' || printf('%04d', n % 10000)",
            "started_at": "started_at + n * 60",
            "ended_at": "ended_at + n * 60",
        }
        chosen = ", ".join(varied.get(column, column) for column in columns)
        conn.execute(
            f"INSERT INTO calls ({', '.join(columns)}) "
            "WITH RECURSIVE n(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM n WHERE n < ?) "
            f"SELECT {chosen} FROM calls, n WHERE calls.id = ?",
            (rows - 1, first),
        )


async def history_part(driver: Driver, options: PartOptions) -> dict[str, Any]:
    """The history window opened for the first time over `history_rows` calls, searched as a person
    types, closed and opened again: times, and the longest event-loop stall of each step."""
    app = driver.app
    opening = StallMeter()
    opening.start()
    opened = time.perf_counter()
    app.show_history()
    await driver.until(lambda: app.history_window is not None, "the history window made")
    window, vm = app.history_window, app.history_vm
    assert window is not None and vm is not None
    await driver.until(lambda: window.model.rowCount() > 0, "the history listed")
    listed_ms = (time.perf_counter() - opened) * 1000
    await asyncio.sleep(0.3)
    opening.stop()

    searching = StallMeter()
    searching.start()
    window.search.setFocus()
    typed = time.perf_counter()
    QTest.keyClicks(window.search, "555-12")
    await driver.until(lambda: vm.view.search == "555-12" and bool(vm.view.rows), "the search's rows")
    searched_ms = (time.perf_counter() - typed) * 1000
    window.search.clear()
    await driver.until(lambda: vm.view.search == "" and len(vm.view.rows) > 100, "all rows again")
    await asyncio.sleep(0.3)
    searching.stop()

    window.close()
    reopening = StallMeter()
    reopening.start()
    app.show_history()
    await asyncio.sleep(0.5)
    reopening.stop()
    return {
        "rows_in_history": options.history_rows,
        "rows_listed": window.model.rowCount(),
        "open_to_listed_ms": round(listed_ms, 1),
        "typed_to_search_listed_ms": round(searched_ms, 1),
        "event_loop": opening.result(),
        "event_loop_searching": searching.result(),
        "event_loop_opened_again": reopening.result(),
    }


async def sign_in_window_part(driver: Driver, _options: PartOptions) -> dict[str, Any]:
    """The embedded sign-in window made and its page loaded for the first time in the process: the
    first QtWebEngine start, on the GUI thread (the known exception to "no stall")."""
    from ringdesk.ui.widgets.sign_in_presenter import embedded_window_factory

    connection = driver.app.connection
    assert connection is not None
    attempt = new_attempt(DEFAULT_REDIRECT_URI)
    page = connection.platform.authorize_url(attempt.redirect_uri, attempt.state, attempt.code_challenge)
    meter = StallMeter()
    meter.start()
    began = time.perf_counter()
    window = embedded_window_factory()(lambda _url: False)
    made_ms = (time.perf_counter() - began) * 1000
    window.show()
    window.load(page)
    await driver.until(lambda: window.view.title() != "", "the sign-in page's title", within=60)
    loaded_ms = (time.perf_counter() - began) * 1000
    await asyncio.sleep(0.5)
    meter.stop()
    window.finish()
    return {
        "window_made_ms": round(made_ms, 1),
        "to_page_title_ms": round(loaded_ms, 1),
        "rss_with_web_engine_mib": round(proc_status_mib("VmRSS"), 1),
        "event_loop": meter.result(),
    }


PARTS = {
    "calls": calls_part,
    "calls_polling": calls_polling_part,
    "burst": burst_part,
    "memory": memory_part,
    "history": history_part,
    "sign_in_window": sign_in_window_part,
}
_APP_PERMISSIONS = ClientApp(CLIENT_ID, "RingDesk").permissions


def prepare_simulator(control: SimulatorControl, part: str) -> None:
    """Limits, call timings and the app's permissions for a part, set before the app starts (it
    learns limits from headers)."""
    without_push = [p for p in _APP_PERMISSIONS if p != "WebSocket"]
    control.set_app_permissions(CLIENT_ID, without_push if part == "calls_polling" else _APP_PERMISSIONS)
    if part in ("calls", "calls_polling"):
        # One call every ~5 s is 12 a minute: past the Heavy limit, which this part does not measure.
        control.set_rate_limits({**REAL_LIMITS, "Heavy": RAISED}, window=60, penalty=60, reset_counters=True)
    elif part == "burst":
        control.set_rate_limits(REAL_LIMITS, window=60, penalty=60, reset_counters=True)
        control.set_timings(caller_ring=0.3, callee_ring=0.3, talk=0.5, gone_after=30)
    else:
        limits = dict.fromkeys(("Light", "Medium", "Heavy"), RAISED)
        control.set_rate_limits({**REAL_LIMITS, **limits}, reset_counters=True)
        control.set_timings(caller_ring=0.05, callee_ring=0.05, talk=0.05, gone_after=30)
    control.clear_requests()
