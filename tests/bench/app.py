"""Benchmark of the whole app against the simulator: prints a table and a JSON line.

    scripts/bench            (or: python -m tests.bench.app [--starts N] [--calls N] [--memory-calls N])

It needs a screen, D-Bus and a Secret Service; started outside `scripts/desktop-session` it
restarts itself inside one. The simulator runs in a process of its own (`ringdesk sim`), as the
platform would be elsewhere. Every RingDesk process gets a throwaway RINGDESK_HOME whose settings
point at it: JWT sign-in (the JWT is in the session's keyring, as "remember" leaves it), and the
phone to ring first already chosen (`Settings.dialer`).

What is measured, and where:

- Start: `python -m ringdesk` is started `--starts` times, after a first start (reported apart in
  the JSON) that signs in with the JWT and creates the history; the others sign in from the
  stored tokens. A second X client (Xlib through ctypes) sees the main window (the window
  titled "RingDesk" that stays) mapped, and its first pixels drawn (an XDamage report). The app
  is stopped with SIGTERM (its quit guard) one second after its log says it is signed in.
- Calls, burst and memory: each in a fresh app process running `RingDeskApp` on the qasync loop
  as `ringdesk.app.main` does (`run_app`, with its GUI-thread garbage collector). Calls are
  placed by clicking the real Call button; the simulator's request log (wall-clock time of
  arrival) says when a request was received; an event filter on the status view's headline
  says when a new headline was painted. The calls part raises the simulator's Heavy limit (a
  call every 5 s is more than 10 a minute); the burst uses the platform's real limits; the
  memory part raises the Light and Heavy limits and polls every `--memory-poll` s, so that 100
  calls take half a minute instead of four.

Times depend on the machine and on what else runs there: compare them between versions on the
same machine, never use them for pass/fail. Counts (requests per call, 429s, calls held back)
are the figures that hold anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import ctypes.util
import json
import logging
import os
import random
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import httpx
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel

from ringdesk.auth.token_store import TokenStore
from ringdesk.calls.service import DEFAULT_POLL_INTERVAL
from ringdesk.config import (
    ENV_OVERRIDES,
    ConnectionSettings,
    DialerSettings,
    LoginMethod,
    ServerKind,
    Settings,
    save_settings,
)
from ringdesk.simulator import SimulatorControl
from tests.bench.platform import percentile

REPO = Path(__file__).resolve().parents[2]
CLIENT_ID = "ringdesk-demo"
#: What is typed into the number entry; the simulator's demo account connects it normally.
NUMBER = "6505551234"
WINDOW_TITLE = "RingDesk"
RESULT_PREFIX = "BENCH-RESULT "
#: The platform's documented limits per (user, app) and minute, which the simulator plays.
REAL_LIMITS = {"Light": 50, "Medium": 40, "Heavy": 10, "Auth": 5}
RAISED = 100_000

log = logging.getLogger("tests.bench.app")


# --------------------------------------------------------------------------- small helpers


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


def proc_status_mib(field_name: str, pid: int | str = "self") -> float:
    """A memory field of /proc/PID/status (VmRSS, VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field_name} not in /proc/{pid}/status")


def app_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_OVERRIDES}
    env["RINGDESK_HOME"] = str(home)
    return env


def write_settings(home: Path, server_url: str) -> Path:
    path = home / "config" / "settings.json"
    connection = ConnectionSettings(
        server=ServerKind.CUSTOM,
        custom_server_url=server_url,
        client_id=CLIENT_ID,
        login_method=LoginMethod.JWT,
    )
    dialer = DialerSettings(
        forwarding_number_id="733152008", phone_number="+16505550122", phone_label="Mobile"
    )
    save_settings(Settings(connection=connection, dialer=dialer), path)
    return path


_LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ")


def log_lines(path: Path, offset: int = 0) -> list[tuple[float, str]]:
    """(epoch seconds, line) of the app's log from byte `offset` (asctime is local, to the ms)."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return []
    lines = []
    for line in text.splitlines():
        match = _LOG_TIME.match(line)
        if match:
            stamp = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").timestamp()
            lines.append((stamp + int(match.group(2)) / 1000, line))
    return lines


def logged_problems(root: Path) -> list[str]:
    """WARNING, ERROR and CRITICAL lines every RingDesk process of this run wrote to its log."""
    problems = []
    for path in sorted(root.glob("*/logs/ringdesk.log*")):
        for _stamp, line in log_lines(path):
            if re.search(r" (WARNING|ERROR|CRITICAL) ", line):
                problems.append(f"{path.parent.parent.name}: {line}")
    return problems


# --------------------------------------------------------------------------- the X screen, from outside


class _XAnyEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
    ]


class _XCreateWindowEvent(ctypes.Structure):
    _fields_ = [*_XAnyEvent._fields_[:4], ("parent", ctypes.c_ulong), ("window", ctypes.c_ulong)]


class _XWindowEvent(ctypes.Structure):
    """The head of XMapEvent and XDestroyWindowEvent: the window is the second Window field."""

    _fields_ = [*_XAnyEvent._fields_[:4], ("event", ctypes.c_ulong), ("window", ctypes.c_ulong)]


class _XDamageNotifyEvent(ctypes.Structure):
    _fields_ = [*_XAnyEvent._fields_[:4], ("drawable", ctypes.c_ulong), ("damage", ctypes.c_ulong)]


_CREATE_NOTIFY, _DESTROY_NOTIFY, _MAP_NOTIFY = 16, 17, 19
_SUBSTRUCTURE_NOTIFY_MASK = 1 << 19
_XA_WM_NAME = 39
_DAMAGE_REPORT_NON_EMPTY = 3
_X_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


@dataclass
class TopLevel:
    """One top-level X window of the app; times in seconds from the spawn."""

    name: str = ""
    mapped: float | None = None
    drawn: float | None = None
    destroyed: float | None = None


class XScreen:
    """A plain X client following top-level windows: created, mapped, first drawn, destroyed.

    Uses libX11 and libXdamage (both among the libraries `scripts/setup` installs for Qt) through
    ctypes, so no extra tool is needed. Errors (a window gone before it was asked about) are
    ignored by an error handler instead of ending the process, as Xlib's default one would.
    """

    def __init__(self) -> None:
        x = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        x.XOpenDisplay.restype = ctypes.c_void_p
        x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x.XDefaultRootWindow.restype = ctypes.c_ulong
        x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x.XSelectInput.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_long]
        x.XPending.argtypes = [ctypes.c_void_p]
        x.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        x.XConnectionNumber.argtypes = [ctypes.c_void_p]
        x.XFlush.argtypes = [ctypes.c_void_p]
        x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        x.XFree.argtypes = [ctypes.c_void_p]
        x.XInternAtom.restype = ctypes.c_ulong
        x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        x.XGetWindowProperty.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.c_ulong,
            ctypes.c_long,
            ctypes.c_long,
            ctypes.c_int,
            ctypes.c_ulong,
            ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_void_p),
        ]
        self._x = x
        self._display = x.XOpenDisplay(None)
        if not self._display:
            raise RuntimeError(f"cannot open the X display {os.environ.get('DISPLAY')!r}")
        self._error_handler = _X_ERROR_HANDLER(lambda _display, _event: 0)
        x.XSetErrorHandler(self._error_handler)
        self._root = x.XDefaultRootWindow(self._display)
        self._net_wm_name = x.XInternAtom(self._display, b"_NET_WM_NAME", 0)
        self._damage: Any = None
        self._damage_event = -1
        try:
            damage = ctypes.CDLL(ctypes.util.find_library("Xdamage") or "libXdamage.so.1")
            damage.XDamageQueryExtension.argtypes = [
                ctypes.c_void_p,
                ctypes.POINTER(ctypes.c_int),
                ctypes.POINTER(ctypes.c_int),
            ]
            damage.XDamageCreate.restype = ctypes.c_ulong
            damage.XDamageCreate.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int]
            damage.XDamageSubtract.argtypes = [
                ctypes.c_void_p,
                ctypes.c_ulong,
                ctypes.c_ulong,
                ctypes.c_ulong,
            ]
            event_base, error_base = ctypes.c_int(), ctypes.c_int()
            if damage.XDamageQueryExtension(
                self._display, ctypes.byref(event_base), ctypes.byref(error_base)
            ):
                self._damage = damage
                self._damage_event = event_base.value  # XDamageNotify is event 0 of the extension
        except OSError:
            pass
        x.XSelectInput(self._display, self._root, _SUBSTRUCTURE_NOTIFY_MASK)
        x.XFlush(self._display)
        self._event = (ctypes.c_long * 24)()  # sizeof(XEvent)
        self.windows: dict[int, TopLevel] = {}
        self._started = time.monotonic()

    @property
    def sees_drawing(self) -> bool:
        return self._damage is not None

    def close(self) -> None:
        if self._display:
            self._x.XCloseDisplay(self._display)
            self._display = None

    def begin(self, started: float) -> None:
        """Forget what came before; times from now on are seconds from `started` (monotonic)."""
        while self._x.XPending(self._display):
            self._x.XNextEvent(self._display, self._event)
        self.windows = {}
        self._started = started

    def window_name(self, window: int) -> str:
        for atom in (self._net_wm_name, _XA_WM_NAME):
            kind, fmt, items, after = ctypes.c_ulong(), ctypes.c_int(), ctypes.c_ulong(), ctypes.c_ulong()
            data = ctypes.c_void_p()
            status = self._x.XGetWindowProperty(
                self._display, window, atom, 0, 1024, 0, 0,  # AnyPropertyType
                ctypes.byref(kind), ctypes.byref(fmt), ctypes.byref(items), ctypes.byref(after),
                ctypes.byref(data),
            )  # fmt: skip
            if status == 0 and data.value:
                text = ctypes.string_at(data.value, items.value).decode("utf-8", "replace")
                self._x.XFree(data)
                if text:
                    return text
        return ""

    def pump(self, seconds: float) -> None:
        """Take in the X events of the next `seconds`."""
        x, display = self._x, self._display
        fd = x.XConnectionNumber(display)
        deadline = time.monotonic() + seconds
        while True:
            while x.XPending(display):
                x.XNextEvent(display, self._event)
                self._take(time.monotonic() - self._started)
            left = deadline - time.monotonic()
            if left <= 0:
                return
            select.select([fd], [], [], left)

    def _take(self, now: float) -> None:
        kind = _XAnyEvent.from_buffer(self._event).type
        if kind == _CREATE_NOTIFY:
            created = _XCreateWindowEvent.from_buffer(self._event)
            self.windows[created.window] = TopLevel()
            if self._damage is not None:
                # Asked for at creation, before Qt maps the window, so its first drawing is seen.
                self._damage.XDamageCreate(self._display, created.window, _DAMAGE_REPORT_NON_EMPTY)
                self._x.XFlush(self._display)
        elif kind in (_MAP_NOTIFY, _DESTROY_NOTIFY):
            window = self.windows.get(_XWindowEvent.from_buffer(self._event).window)
            if window is None:
                return
            if kind == _DESTROY_NOTIFY:
                window.destroyed = now
            elif window.mapped is None:
                window.mapped = now
                window.name = self.window_name(_XWindowEvent.from_buffer(self._event).window)
        elif kind == self._damage_event:
            damaged = _XDamageNotifyEvent.from_buffer(self._event)
            window = self.windows.get(damaged.drawable)
            if window is not None and window.mapped is not None and window.drawn is None:
                window.drawn = now
            elif window is not None and window.drawn is None:
                # Report again next time (non-empty reports come once until subtracted).
                self._damage.XDamageSubtract(self._display, damaged.damage, 0, 0)
                self._x.XFlush(self._display)

    def main_window(self, title: str) -> TopLevel | None:
        """The first-mapped window named `title` that is still there (others came and went)."""
        alive = [
            w
            for w in self.windows.values()
            if w.name == title and w.mapped is not None and w.destroyed is None
        ]
        return min(alive, key=lambda w: w.mapped or 0.0, default=None)

    def flashes(self, title: str) -> int:
        """Windows named `title` that were mapped and destroyed again (a window flashing up)."""
        return sum(
            1 for w in self.windows.values() if w.name == title and w.mapped is not None and w.destroyed
        )


# --------------------------------------------------------------------------- processes


def _wait_for_text(path: Path, pattern: str, timeout: float, alive: Callable[[], bool]) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError):
            match = re.search(pattern, path.read_text(encoding="utf-8", errors="replace"))
            if match:
                return match
        if not alive():
            break
        time.sleep(0.02)
    raise RuntimeError(f"{pattern!r} did not appear in {path}")


def _stop(process: subprocess.Popen[Any], grace: float) -> int:
    """SIGTERM, then SIGKILL to the whole process group if it does not end within `grace` s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return -9


class SimulatorProcess:
    """`python -m ringdesk sim` on a free loopback port, with its own RINGDESK_HOME for its log."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.process: subprocess.Popen[bytes] | None = None
        self.output = home / "sim-output.txt"

    def start(self) -> str:
        self.home.mkdir(parents=True, exist_ok=True)
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ringdesk", "sim"],
                env=app_env(self.home),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        process = self.process
        match = _wait_for_text(self.output, r"Server URL:\s+(\S+)", 30, lambda: process.poll() is None)
        return match.group(1)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process, 15)
            self.process = None


@contextlib.contextmanager
def simulator(home: Path) -> Iterator[str]:
    sim = SimulatorProcess(home)
    try:
        yield sim.start()
    finally:
        sim.stop()


async def _remember_jwt(server_url: str, jwt: str | None) -> bool:
    """As a JWT sign-in with "remember" leaves it: the JWT in the keyring. None clears the store."""
    store = TokenStore(server_url, CLIENT_ID)
    if jwt is None:
        await store.clear()
    else:
        await store.save_secret("jwt", jwt)
    return store.persistent


# --------------------------------------------------------------------------- figure 1: starts


def one_start(screen: XScreen, home: Path, stderr: IO[bytes]) -> dict[str, Any]:
    log_file = home / "logs" / "ringdesk.log"
    offset = log_file.stat().st_size if log_file.exists() else 0
    spawned_wall = time.time()
    started = time.monotonic()
    screen.begin(started)
    process = subprocess.Popen(
        [sys.executable, "-m", "ringdesk"],
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
        screen.pump(1.0)
        running = process.poll() is None
        term = time.monotonic()
        code = _stop(process, 30)
        quit_s = time.monotonic() - term
    except BaseException:
        _stop(process, 5)
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
        "exit_code": code,
        "windows_flashed": screen.flashes(WINDOW_TITLE),
    }


def starts(server_url: str, home: Path, count: int) -> dict[str, Any]:
    write_settings(home, server_url)
    screen = XScreen()
    try:
        with (home.parent / "start-stderr.txt").open("ab") as stderr:
            first = one_start(screen, home, stderr)
            runs = [one_start(screen, home, stderr) for _ in range(count)]
    finally:
        # Closed before the other parts: an X client that stops reading its events must not linger.
        screen.close()

    def column(name: str) -> dict[str, Any]:
        return summary([r[name] for r in runs if r[name] is not None])

    return {
        "runs": count,
        "first_start": first,
        "mapped_ms": column("mapped_ms"),
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


@dataclass
class PartOptions:
    calls: int = 20
    burst: int = 20
    burst_spacing: float = 2.9
    memory_calls: int = 100
    memory_poll: float = 0.25
    seed: int = 7


async def until(
    condition: Callable[[], object], within: float, what: str, app_task: asyncio.Future[Any]
) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if app_task.done():
            raise RuntimeError(f"the app stopped while waiting for {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.01)


class Driver:
    """Operates one running `RingDeskApp` the way a person does: types, clicks Call, New call."""

    def __init__(self, app: Any, task: asyncio.Future[Any], control: SimulatorControl) -> None:
        self.app = app
        self.task = task
        self.control = control
        self.dialer = app.dialer
        self.call_vm = app.dialer_vm.call_vm

    async def until(self, condition: Callable[[], object], what: str, within: float = 30) -> None:
        await until(condition, within, what, self.task)

    async def sim(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A control call, off the GUI thread (the client is synchronous) so the loop measured never waits.

        Control calls are idempotent, so one that meets a pooled connection the simulator has just
        closed as idle (uvicorn keeps them 5 s, the same as httpx's keep-alive expiry) is sent again.
        """

        def call() -> Any:
            try:
                return method(*args, **kwargs)
            except httpx.TransportError:
                return method(*args, **kwargs)

        return await asyncio.to_thread(call)

    async def ready(self) -> None:
        app = self.app
        await self.until(lambda: app.session_vm.view.signed_in, "the stored sign-in")
        await self.until(lambda: app.connection is not None and app.connection.calls is not None and app.dialer_vm.view.signed_in, "the dialer")
        if not app.dialer_vm.preferences.chosen:
            raise RuntimeError("the dialer has no phone chosen: Settings.dialer was not used")
        await self.until(lambda: app.picker_vm.view.phones, "the phone lists")
        entry = self.dialer.entry
        entry.setFocus()
        from PySide6.QtTest import QTest

        QTest.keyClicks(entry, NUMBER)
        await self.until(lambda: self.dialer.call_button.isEnabled(), "the Call button")

    def on_pad(self) -> bool:
        return bool(self.dialer.pages.currentWidget() is self.dialer.pad_page)

    def click(self, button: Any) -> None:
        from PySide6.QtTest import QTest

        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    async def new_call(self) -> None:
        """After a call: "New call" on the status view, back to the pad with the number kept."""
        await self.until(lambda: self.call_vm.view.final or not self.call_vm.view.shown, "the call to end")
        if not self.on_pad():
            self.click(self.dialer.status_view.action_button)
        await self.until(self.on_pad, "the dial pad")

    def poll_interval(self) -> float:
        return float(self.app.options.call_poll_interval or DEFAULT_POLL_INTERVAL)

    def phase(self) -> str:
        return str(self.call_vm.view.phase.value)


def _ringout_posts(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if r["method"] == "POST" and r["path"].endswith("/ring-out")]


def _request_kind(entry: dict[str, Any]) -> str:
    path = re.sub(r"/\d{4,}", "/{id}", entry["path"].replace("/restapi/v1.0/account/~/extension/~", ""))
    return f"{entry['method']} {path}"


async def calls_part(driver: Driver, options: PartOptions) -> dict[str, Any]:
    """Figures 2, 3, 4 and 7: calls at the app's default poll interval, one after the other.

    Each call connects at a random moment 0.2-2.2 s after the simulator received it and ends at
    a random moment 2.7-4.7 s after, so both changes fall at a random point of a poll interval
    (the first poll comes 2.5 s after the POST is answered, the second 2.5 s later).
    """
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


PARTS = {"calls": calls_part, "burst": burst_part, "memory": memory_part}


def prepare_simulator(control: SimulatorControl, part: str) -> None:
    """Limits and call timings for a part, set before the app starts (it learns limits from headers)."""
    if part == "calls":
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


def child_main(part: str, server_url: str, home: Path, options: PartOptions) -> None:
    """One app process: `RingDeskApp` built and run as `ringdesk.app.main` does, driven by `part`."""
    os.environ["RINGDESK_HOME"] = str(home)
    from ringdesk.log import setup_logging
    from ringdesk.paths import app_paths

    setup_logging(app_paths().log_file, logging.INFO)
    from ringdesk import __version__
    from ringdesk.app import AppOptions, RingDeskApp, prepare_qt

    web_engine = prepare_qt()
    from ringdesk.qtasync import QuitGuard, application, run_app
    from ringdesk.ui.style import apply_style

    qapp = application()
    qapp.setApplicationName("RingDesk")
    qapp.setApplicationDisplayName("RingDesk")
    qapp.setApplicationVersion(__version__)
    qapp.setOrganizationName("RingDesk")
    qapp.setDesktopFileName("ringdesk")
    apply_style(qapp)
    app_options = AppOptions(
        web_engine=web_engine,
        settings_path=write_settings(home, server_url),
        remember_windows=False,
        call_poll_interval=options.memory_poll if part == "memory" else None,
    )
    result: dict[str, Any] = {}

    async def drive(guard: QuitGuard) -> int:
        with SimulatorControl(server_url) as control:
            await asyncio.to_thread(prepare_simulator, control, part)
            app = RingDeskApp(app_options, guard)
            task = asyncio.ensure_future(app.run())
            try:
                driver = Driver(app, task, control)
                await driver.ready()
                result.update(await PARTS[part](driver, options))
            finally:
                guard.request_quit()
                code: int = await asyncio.wait_for(task, 60)
        return code

    try:
        code = run_app(drive, app=qapp)
    except BaseException:
        # run_app sends uncaught exceptions to the app's log; the parent reads stderr.
        traceback.print_exc()
        raise SystemExit(1) from None
    result["exit_code"] = code
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def run_part(part: str, server_url: str, home: Path, options: PartOptions) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "tests.bench.app", "--part", part, "--sim", server_url, "--home", str(home),
        "--calls", str(options.calls), "--burst", str(options.burst),
        "--memory-calls", str(options.memory_calls), "--memory-poll", str(options.memory_poll),
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=app_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
    for line in out.splitlines():
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line.removeprefix(RESULT_PREFIX))
            if err.strip():
                result["stderr"] = err.strip().splitlines()[-20:]
            return result
    app_log: list[str] = []
    with contextlib.suppress(OSError):
        app_log = (home / "logs" / "ringdesk.log").read_text(errors="replace").splitlines()[-40:]
    raise RuntimeError(
        f"the {part} part failed (exit {process.returncode}):\n{out}\n{err}\nits log ends:\n"
        + "\n".join(app_log)
    )


# --------------------------------------------------------------------------- the report


def run(args: argparse.Namespace) -> dict[str, Any]:
    options = PartOptions(
        calls=args.calls, burst=args.burst, memory_calls=args.memory_calls, memory_poll=args.memory_poll
    )
    results: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        if args.workdir is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ringdesk-bench-")))
        else:
            root = args.workdir.resolve()
            root.mkdir(parents=True, exist_ok=True)
        with simulator(root / "simulator") as server_url:
            with SimulatorControl(server_url) as control:
                control.set_rate_limits(REAL_LIMITS, reset_counters=True)
                jwt = control.info()["users"][0]["jwtCredential"]
            if not asyncio.run(_remember_jwt(server_url, jwt)):
                raise RuntimeError("no Secret Service: run this inside scripts/desktop-session")
            try:
                results["start"] = starts(server_url, root / "start", args.starts)
                for part in PARTS:
                    results[part] = run_part(part, server_url, root / part, options)
            finally:
                asyncio.run(_remember_jwt(server_url, None))
        problems = logged_problems(root)
        stderr_file = root / "start-stderr.txt"
        start_stderr = (
            stderr_file.read_text(errors="replace").strip().splitlines() if stderr_file.exists() else []
        )
    results["default_poll_interval_s"] = DEFAULT_POLL_INTERVAL
    results["app_log_problems"] = problems
    results["start"]["stderr"] = start_stderr[-20:]
    return results


def _ms(figure: dict[str, Any], *keys: str) -> str:
    if not figure.get("count"):
        return "n/a"
    return " / ".join(f"{figure[k]:.0f}" for k in keys) + " ms"


def table(results: dict[str, Any]) -> list[tuple[str, str]]:
    start, calls, burst, memory = results["start"], results["calls"], results["burst"], results["memory"]
    n, poll = start["runs"], calls["poll_interval_s"]
    loop_calls, loop_memory = calls["event_loop"], memory["event_loop"]
    kinds = calls["requests_by_kind"]
    polls = sum(v for k, v in kinds.items() if k.startswith("GET") and "/ring-out/" in k)
    return [
        (
            f"process start to main window mapped, median / max ({n} starts)",
            _ms(start["mapped_ms"], "median", "max"),
        ),
        ("process start to main window first drawn, median / max", _ms(start["drawn_ms"], "median", "max")),
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
            f"simulator status change to status view painted, median / max ({poll:g} s polls)",
            _ms(calls["status_change_to_painted_ms"], "median", "max"),
        ),
        (
            f"HTTP requests per completed call (1 POST, {polls / calls['calls']:.1f} status polls; "
            "3-5 s calls)",
            f"{calls['requests_per_completed_call']:.1f}",
        ),
        (
            f"burst of {burst['attempts']} calls in {burst['seconds']:.0f} s at Heavy "
            f"{burst['heavy_limit_per_minute']}/min: placed / held back / 429s",
            f"{burst['placed']} / {burst['held_back']} / {burst['429s_seen']}",
        ),
        ("resident memory, idle after sign-in", f"{memory['rss_idle_mib']:.0f} MiB"),
        (
            f"resident memory after {memory['completed']} completed calls "
            f"({memory['poll_interval_s']:g} s polls, limits raised)",
            f"{memory['rss_after_calls_mib']:.0f} MiB",
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
        ("warnings and errors in the app's logs", str(len(results["app_log_problems"]))),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
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
        options = PartOptions(
            calls=args.calls, burst=args.burst, memory_calls=args.memory_calls, memory_poll=args.memory_poll
        )
        child_main(args.part, args.sim, args.home, options)
        return
    if not os.environ.get("RINGDESK_DESKTOP_SESSION"):
        os.chdir(REPO)
        session = str(REPO / "scripts" / "desktop-session")
        os.execv(session, [session, sys.executable, "-m", "tests.bench.app", *sys.argv[1:]])
    results = run(args)
    rows = table(results)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value:>16}")
    for problem in results["app_log_problems"][:10]:
        print(f"  log: {problem}", file=sys.stderr)
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
