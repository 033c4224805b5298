"""Running the simulator: in a background thread of any process, or in the foreground for `ringdesk sim`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
import time
from types import FrameType, TracebackType

import uvicorn

from ringdesk.simulator.app import ConnectionDropped, build_app
from ringdesk.simulator.scenario import Scenario, load_scenario
from ringdesk.simulator.state import SimState

log = logging.getLogger("ringdesk.simulator")

_START_TIMEOUT = 15.0


class _Server(uvicorn.Server):
    """uvicorn's server, woken at once by `request_exit()` instead of polling `should_exit` every 0.1 s.

    Tests start and stop a simulator per test; the poll interval was most of their run time.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    def request_exit(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop may already be closed
                loop.call_soon_threadsafe(wake.set)


class Simulator:
    """A RingCentral stand-in served by uvicorn on its own thread and event loop.

    It never touches the caller's event loop, so it can run inside a Qt/asyncio app (demo mode) as well as
    in a plain script or a test. `port=0` picks a free port; `base_url` is known once `start()` returns.
    """

    def __init__(self, scenario: Scenario | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.scenario = scenario if scenario is not None else Scenario.default()
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._state: SimState | None = None
        self._error: BaseException | None = None
        # Stays true after stop(), so the URL of a stopped simulator can still be reported.
        self._bound = False

    @property
    def base_url(self) -> str:
        if not self._bound:
            raise RuntimeError("the simulator has not been started; call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def control_url(self) -> str:
        return f"{self.base_url}/_sim/"

    @property
    def state(self) -> SimState:
        """The live state, for in-process inspection only: it belongs to the server thread; do not mutate."""
        if self._state is None:
            raise RuntimeError("the simulator is not running")
        return self._state

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Simulator:
        """Bind, start serving in a daemon thread, and return once the socket accepts connections."""
        if self.running:
            return self
        _quiet_dropped_connections()
        app, self._state = build_app(self.scenario)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this. Without it, uvicorn's separate header and body writes meet the
        # client's delayed ACK and every response takes ~40 ms longer.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        self._bound = True
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,  # uvicorn's access log would print query strings, which may hold secrets
            lifespan="off",
            timeout_graceful_shutdown=3,
            # Longer than the client's own 5 s: with equal times, a request sent just as the
            # server closes an idle connection meets a closed socket ("Server disconnected").
            timeout_keep_alive=75,
            ws="websockets-sansio",  # the push gateway (`push.WS_PATH`)
        )
        server = _Server(config)
        self._server = server
        self._error = None

        def serve() -> None:
            try:
                asyncio.run(server.serve(sockets=[sock]))
            except BaseException as exc:  # reported to start() or logged; the thread must not die silently
                self._error = exc
                log.exception("the simulator stopped with an error")
            finally:
                sock.close()

        self._thread = threading.Thread(target=serve, name=f"ringdesk-simulator:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the simulator did not start: {self._error!r}")
            time.sleep(0.005)
        log.info("simulator listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Shut down gracefully (open connections get a few seconds) and join the thread."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.request_exit()
        thread.join(timeout=10)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        self._thread = None
        self._server = None
        log.info("simulator on port %s stopped", self.port)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def run_foreground(host: str, port: int, scenario_path: str | None) -> int:
    """`ringdesk sim`: serve until Ctrl-C (or SIGTERM), after printing the URLs and demo credentials."""
    from ringdesk.simulator.scenario import ScenarioError

    try:
        scenario = load_scenario(scenario_path) if scenario_path else Scenario.default()
    except ScenarioError as exc:
        print(f"ringdesk sim: {exc}", flush=True)
        return 2
    simulator = Simulator(scenario, host=host, port=port)
    try:
        simulator.start()
    except (OSError, RuntimeError) as exc:
        print(f"ringdesk sim: cannot listen on {host}:{port}: {exc}", flush=True)
        return 1
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        # Printed inside the try: a Ctrl-C right after the banner must still stop the server
        # thread, or it would keep the process alive.
        print(describe(simulator), flush=True)
        while not stop.is_set() and simulator.running:
            stop.wait(0.25)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        print("Stopping the simulator...", flush=True)
        simulator.stop()
    return 0


def describe(simulator: Simulator) -> str:
    """The banner `ringdesk sim` prints: where to connect and how to sign in."""
    scenario = simulator.scenario
    lines = [
        "RingCentral simulator running.",
        f"  Server URL:   {simulator.base_url}",
        f"  Control URL:  {simulator.control_url}",
        "",
        "Apps:",
    ]
    for client in scenario.clients:
        kind = "public, no secret" if client.is_public else f"confidential, secret {client.client_secret}"
        lines.append(f"  client id {client.client_id} ({kind})")
        for uri in client.redirect_uris:
            lines.append(f"      redirect URI {uri}")
    lines.append("")
    lines.append("Users:")
    for user in scenario.account.users:
        lines.append(
            f"  {user.name}: login {user.login}, extension {user.extension_number}, password {user.password}"
        )
        lines.append(f"      JWT credential {user.jwt_credential}")
    lines.append("")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


class _DropFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


_drop_filter = _DropFilter()


def _quiet_dropped_connections() -> None:
    # A dropped connection is a fault we inject on purpose; uvicorn would log it as an application crash.
    uvicorn_error = logging.getLogger("uvicorn.error")
    with contextlib.suppress(ValueError):
        uvicorn_error.removeFilter(_drop_filter)
    uvicorn_error.addFilter(_drop_filter)
