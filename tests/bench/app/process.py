"""Process control: the simulator's and the app's processes, their homes, settings and logs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ringdesk.auth.token_store import TokenStore
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

if TYPE_CHECKING:
    from tests.bench.app.figures import PartOptions

REPO = Path(__file__).resolve().parents[3]
CLIENT_ID = "ringdesk-demo"
#: How an app process started by `run_part` hands its figures back: one stdout line, then JSON.
RESULT_PREFIX = "BENCH-RESULT "


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


def stop_process(process: subprocess.Popen[Any], grace: float) -> int:
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
            stop_process(self.process, 15)
            self.process = None


@contextlib.contextmanager
def simulator(home: Path) -> Iterator[str]:
    sim = SimulatorProcess(home)
    try:
        yield sim.start()
    finally:
        sim.stop()


@contextlib.contextmanager
def signed_in_simulator(home: Path, limits: dict[str, int]) -> Iterator[str]:
    """The simulator in a process of its own with `limits`, and the demo user's JWT in the keyring
    as a remembered JWT sign-in leaves it (removed afterwards); yields the server's URL."""
    with simulator(home) as server_url:
        with SimulatorControl(server_url) as control:
            control.set_rate_limits(limits, reset_counters=True)
            jwt = control.info()["users"][0]["jwtCredential"]
        if not asyncio.run(remember_jwt(server_url, jwt)):
            raise RuntimeError("no Secret Service: run this inside scripts/desktop-session")
        try:
            yield server_url
        finally:
            asyncio.run(remember_jwt(server_url, None))


async def remember_jwt(server_url: str, jwt: str | None) -> bool:
    """As a JWT sign-in with "remember" leaves it: the JWT in the keyring. None clears the store."""
    store = TokenStore(server_url, CLIENT_ID)
    if jwt is None:
        await store.clear()
    else:
        await store.save_secret("jwt", jwt)
    return store.persistent


def run_part(part: str, server_url: str, home: Path, options: PartOptions) -> dict[str, Any]:
    """One part in a fresh app process (`--part`); its figures, or an error with its output and log."""
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
