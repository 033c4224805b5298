"""`ringdesk --self-test`: does this installation of RingDesk work, here, now?

For an installed or frozen RingDesk, where the classic failures are parts left out of the bundle
(QtWebEngine's helper process or resources, a keyring backend, the simulator's lazily imported
modules) or libraries missing on the machine. Each step says what it found, in the order the app
needs them:

1. Qt starts (a QApplication on the desktop's display);
2. the keyring: which backend holds secrets, and a secret written, read back and removed;
3. the call history: a SQLite database opened, written and closed in a temporary folder;
4. the built-in simulator starts on 127.0.0.1;
5. a web view (QtWebEngine, the sign-in window's engine) loads the simulator's sign-in page;
6. a demo call: signed in as the demo user, one RingOut placed and followed to "Ended".

Every line goes to stdout and to the log file (a windowed build has no terminal). The exit status
is 0 when every step passed, 1 otherwise. Nothing of the person's is touched: the history is a
temporary one, the keyring entry is RingDesk's own test entry, and the demo's sign-in is removed.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final, TypeVar

import keyring
from PySide6.QtCore import QUrl, qVersion
from PySide6.QtGui import QGuiApplication

from ringdesk import __version__
from ringdesk.app import make_application
from ringdesk.auth.pkce import new_attempt
from ringdesk.auth.token_store import TokenStore
from ringdesk.calls.state import CallState, Phase
from ringdesk.config import DEFAULT_REDIRECT_URI, DEMO_CLIENT_ID, ConnectionSettings, LoginMethod, ServerKind
from ringdesk.connection import Connection, Connector
from ringdesk.errors import RingDeskError, report
from ringdesk.numbers import parse_dial_input
from ringdesk.qtasync import QuitGuard, run_app, wait_signal
from ringdesk.simulator import Scenario, Timings
from ringdesk.storage.history import CallHistory

__all__ = ["main"]

_log = logging.getLogger("ringdesk.selftest")

T = TypeVar("T")

#: How long one step may take before it counts as failed (a web engine's first start is the slowest).
STEP_TIMEOUT: Final = 60.0
#: The demo call's pace: long enough to be seen ringing and connected, short enough for CI.
_DEMO_TIMINGS: Final = Timings(
    caller_ring=0.5, callee_ring=0.5, talk=1.0, gone_after=3.0, auto_press_after=0.2, prompt_timeout=10.0
)
#: The server the self-test's keyring entry is filed under: no real one.
_KEYRING_SERVER: Final = "https://self-test.invalid"
_DEMO_DESTINATION: Final = "+16505551234"


class SelfTestFailure(RingDeskError):
    """A step found something wrong; `user_message` says what."""


def main() -> int:
    """Run every step; the exit status (logging is set up by the caller, the command line)."""
    app, web_engine = make_application()
    return run_app(lambda guard: SelfTest(web_engine).run(guard), app=app)


class SelfTest:
    def __init__(self, web_engine: bool) -> None:
        self._web_engine = web_engine
        self._folder = tempfile.TemporaryDirectory(prefix="ringdesk-self-test-")
        self._history: CallHistory | None = None
        self._connector: Connector | None = None
        self._connection: Connection | None = None
        self._failed = 0

    async def run(self, guard: QuitGuard) -> int:
        say(f"RingDesk {__version__} self-test")
        try:
            await self._step("Qt", self._qt)
            await self._step("keyring", self._keyring)
            await self._step("call history", self._open_history)
            await self._step("simulator", self._simulator)
            await self._step("web view", self._web_view)
            await self._step("demo call", self._demo_call)
        finally:
            await self._close()
        verdict = "all steps passed" if not self._failed else f"{self._failed} step(s) failed"
        say(f"self-test: {verdict}")
        return 0 if not self._failed else 1

    async def _step(self, name: str, step: Callable[[], Awaitable[str]]) -> None:
        """Run `step`, which returns what it found, and say so; a failure is said and counted."""
        started = time.monotonic()
        try:
            detail = await asyncio.wait_for(step(), STEP_TIMEOUT)
        except TimeoutError:
            self._failed += 1
            say(f"FAILED {name}: no result within {STEP_TIMEOUT:.0f} s")
            return
        except Exception as error:
            self._failed += 1
            say(f"FAILED {name}: {report(error, context=f'self-test: {name}', logger=_log)}")
            return
        say(f"ok     {name}: {detail} ({(time.monotonic() - started) * 1000:.0f} ms)")

    # ------------------------------------------------------------------ the steps

    async def _qt(self) -> str:
        return f"Qt {qVersion()} on the {QGuiApplication.platformName()} platform"

    async def _keyring(self) -> str:
        backend = await asyncio.to_thread(keyring.get_keyring)
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        # The token store's own rule decides what counts as a keyring, and its own calls are tried.
        store = await asyncio.to_thread(TokenStore, _KEYRING_SERVER, DEMO_CLIENT_ID, backend=backend)
        if not store.persistent:
            raise SelfTestFailure(f"no usable keyring ({name}): sign-ins could not be remembered")
        await store.save_secret("jwt", "ok")
        try:
            stored = await store.load_secret("jwt")
        finally:
            await store.delete_secret("jwt")
        # A keyring that fails on use makes the store fall back to memory: that is a failure here.
        if stored != "ok" or not store.persistent:
            raise SelfTestFailure(f"{name} did not give back what was stored")
        return f"{name} stores, reads and removes a secret"

    async def _open_history(self) -> str:
        path = Path(self._folder.name) / "history.sqlite3"
        self._history = await CallHistory.open(path)
        if self._history.problems:
            raise SelfTestFailure(" ".join(self._history.problems))
        return f"SQLite database opened in {path.parent}"

    async def _simulator(self) -> str:
        """The built-in simulator, and a connection to it as the demo uses (tokens forgotten at close)."""
        scenario = Scenario(demo_mode=True, timings=_DEMO_TIMINGS)
        self._connector = Connector(history=self._history, demo=True, scenario=scenario)
        settings = ConnectionSettings(
            server=ServerKind.SIMULATOR, client_id=DEMO_CLIENT_ID, login_method=LoginMethod.JWT
        )
        connection = await self._connector.connect(settings)
        if not isinstance(connection, Connection):
            raise SelfTestFailure(" ".join(connection.problems))
        self._connection = connection
        return f"listening at {connection.server_url}"

    async def _web_view(self) -> str:
        if not self._web_engine:
            raise SelfTestFailure("QtWebEngine is missing: the sign-in window cannot open")
        from PySide6.QtWebEngineWidgets import QWebEngineView

        if self._connection is None:
            raise SelfTestFailure("no simulator to load a page from")
        # The page the sign-in window opens, asked for as the sign-in asks (PKCE and all): an
        # answer with an error status counts as a failed load.
        attempt = new_attempt(DEFAULT_REDIRECT_URI)
        url = self._connection.platform.authorize_url(
            attempt.redirect_uri, attempt.state, attempt.code_challenge
        )
        view = QWebEngineView()
        try:
            loaded = wait_signal(view.loadFinished)
            view.load(QUrl(url))
            (ok,) = await loaded
            if not ok:
                raise SelfTestFailure("the sign-in page did not load in the web view")
            title = view.title()
        finally:
            view.deleteLater()
        return f"sign-in page loaded ({title!r})"

    async def _demo_call(self) -> str:
        connection, connector = self._connection, self._connector
        if connection is None or connection.calls is None or connector is None or connector.simulator is None:
            raise SelfTestFailure("no simulator and call history to call through")
        jwt = connector.simulator.scenario.account.users[0].jwt_credential or ""
        identity = await connection.session.sign_in_with_jwt(jwt, remember=False)
        phones = await connection.account_phones()
        if not phones.phones:
            raise SelfTestFailure("the demo user has no phone to ring")
        phone = phones.phones[0]
        ended: asyncio.Future[CallState] = asyncio.get_running_loop().create_future()

        def follow(state: CallState) -> None:
            if state.phase.final and not ended.done():
                ended.set_result(state)

        call = await connection.calls.place(
            parse_dial_input(_DEMO_DESTINATION, "US"),
            from_=phone,
            from_label=phone.label,
            caller_id=None,
            play_prompt=False,
        )
        unsubscribe = call.subscribe(follow)
        try:
            follow(call.state)
            final = await ended
        finally:
            unsubscribe()
        if final.phase is not Phase.ENDED:
            raise SelfTestFailure(f"the demo call ended as {final.phase.value}: {final.outcome}")
        return f"signed in as extension {identity.extension_number}, called {_DEMO_DESTINATION}: Ended"

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.stop_calls()
                await connection.aclose()
            except Exception as error:
                report(error, context="self-test: closing the demo connection", logger=_log)
        if self._connector is not None:
            await self._connector.aclose()
        history, self._history = self._history, None
        if history is not None:
            try:
                await history.close()
            except Exception as error:
                report(error, context="self-test: closing the call history", logger=_log)
        self._folder.cleanup()


def say(line: str) -> None:
    """A result line: on stdout for a terminal and in the log for a windowed build."""
    print(line, flush=True)
    _log.info("%s", line)
