"""Everything for one server and app, built and torn down as a unit; and the connector that builds it.

    connector = Connector(history=history, demo=False)
    connection = await connector.connect(settings.connection)    # a Connection, or NotSetUp
    outcome = await connection.sign_in_at_start(ask_at_start=True, demo=False)
    connection.session, connection.calls, connection.platform     # what view models bind to
    await connection.aclose()
    await connector.aclose()                                      # stops the built-in simulator

A `Connection` holds what exists for one server and app (the connection settings): the platform,
the token store, the session, the call service, and later push and the directory. Changing the
connection settings closes it and builds a new one. Within one connection the session may sign
out and in as someone else: what belongs to the signed-in person (their phones, and later their
push subscription) follows `session.status.identity`, as `AccountLoader` does for the phones.

Qt-free: the app binds view models to what a connection holds; tests build connections directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ringdesk.auth.session import Session, SessionState, SessionStatus
from ringdesk.auth.token_store import TokenStore
from ringdesk.calls.service import DEFAULT_POLL_INTERVAL, CallService
from ringdesk.config import (
    LOGIN_METHOD_LABELS,
    SERVER_LABELS,
    ConnectionInfo,
    ConnectionSettings,
    LoginMethod,
    ServerKind,
    validate_connection,
)
from ringdesk.errors import RingDeskError, report
from ringdesk.platforms.base import AccountPhones, Identity, Platform
from ringdesk.storage.history import CallHistory

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

    from ringdesk.simulator import Scenario, Simulator

__all__ = [
    "AccountLoader",
    "Connection",
    "Connector",
    "NotSetUp",
    "NotSignedIn",
    "StartUpSignIn",
]

_log = logging.getLogger("ringdesk.connection")


def _log_failure(task: asyncio.Future[None]) -> None:
    error = None if task.cancelled() else task.exception()
    if error is not None:
        report(error, context="stopping the push connection", logger=_log)


class NotSignedIn(RingDeskError):
    default_user_message = "Sign in to load your phones and numbers."


@dataclass(frozen=True)
class NotSetUp:
    """The connection settings cannot be used yet; `problems` says why, one sentence each."""

    description: ConnectionInfo
    problems: tuple[str, ...]


class StartUpSignIn(enum.Enum):
    """What should happen after `Connection.sign_in_at_start`."""

    SIGNED_IN = "signed_in"
    """A stored sign-in (or the stored JWT) worked: nothing to ask."""
    OPEN_SIGN_IN = "open_sign_in"
    """Open the sign-in at once (the demo)."""
    ASK = "ask"
    """Ask "Sign in now" / "Continue signed out"."""
    STAY_SIGNED_OUT = "stay_signed_out"
    """The person asked not to be asked at start."""


class Connection:
    """Everything that exists for one signed-in account on one server; close with `aclose()`."""

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        platform: Platform,
        store: TokenStore,
        session: Session,
        calls: CallService | None,
        description: ConnectionInfo,
        forget_on_close: bool = False,
    ) -> None:
        self.settings = settings
        self.platform = platform
        self.store = store
        self.session = session
        self.calls = calls
        """None when the call history could not be opened: no call is placed without its record."""
        self.description = description
        self._forget_on_close = forget_on_close
        self._feed_running = False
        session.subscribe(self._session_changed)
        self.start_up_problem: str | None = None
        """Why the start-up sign-in did not work, for the prompt that follows."""
        self.notice: str | None = None
        """Something about the settings the person should fix, to show once."""

    @property
    def server_url(self) -> str:
        return self.description.server_url

    @property
    def identity(self) -> Identity | None:
        return self.session.status.identity

    def can_hang_up(self) -> bool:
        """Whether the sign-in holds the permission hanging up needs."""
        permission = self.platform.hang_up_permission
        return permission is None or self.session.granted(permission)

    async def account_phones(self) -> AccountPhones:
        """The operator's phones and caller IDs; `NotSignedIn` while signed out."""
        if self.identity is None:
            raise NotSignedIn()
        return await self.platform.account_phones()

    async def sign_in_at_start(self, *, ask_at_start: bool, demo: bool) -> StartUpSignIn:
        """A stored sign-in that still works, or a stored JWT, means no question at all.

        Otherwise the demo opens the sign-in at once, and the person is asked unless they chose not
        to be (`ask_at_start`); `start_up_problem` then says what went wrong, if anything did.
        """
        problem: str | None = None
        try:
            if await self.session.restore():
                _log.info("signed in with the stored sign-in")
                return StartUpSignIn.SIGNED_IN
        except Exception as error:
            problem = report(error, context="restoring the sign-in", logger=_log)
        if self.settings.login_method is LoginMethod.JWT:
            jwt = await self.store.load_secret("jwt")
            if jwt:
                try:
                    await self.session.sign_in_with_jwt(jwt, remember=True)
                    _log.info("signed in with the stored JWT credential")
                    return StartUpSignIn.SIGNED_IN
                except Exception as error:
                    problem = report(error, context="JWT sign-in at start", logger=_log)
        self.start_up_problem = problem or self.session.status.problem
        if demo:
            return StartUpSignIn.OPEN_SIGN_IN
        if ask_at_start:
            return StartUpSignIn.ASK
        return StartUpSignIn.STAY_SIGNED_OUT

    def _session_changed(self, status: SessionStatus) -> None:
        """Push runs while signed in: it needs the sign-in, and a signed-out operator has no calls."""
        feed = self.platform.call_feed
        if feed is None:
            return
        if status.state is SessionState.SIGNED_IN and not self._feed_running:
            self._feed_running = True
            feed.start()
        elif status.state is SessionState.SIGNED_OUT and self._feed_running:
            self._feed_running = False
            task = asyncio.ensure_future(feed.aclose())
            task.add_done_callback(_log_failure)

    async def stop_calls(self) -> None:
        """Stop following every call (a call still running is marked interrupted); never raises."""
        if self.calls is not None:
            try:
                await self.calls.aclose()
            except Exception as error:
                report(error, context="stopping the calls", logger=_log)

    async def aclose(self) -> None:
        """Stop the calls, close the session and the platform; never raises."""
        await self.stop_calls()
        try:
            # First: closing lets a refresh in flight finish and store what it got.
            await self.session.aclose()
        except Exception as error:
            report(error, context="closing the session", logger=_log)
        if self._forget_on_close:
            # The demo's simulator gets a new port each run: its tokens would only pile up.
            with contextlib.suppress(Exception):
                await self.store.clear()
        try:
            await self.platform.aclose()
        except Exception as error:
            report(error, context="closing the platform client", logger=_log)


class Connector:
    """Builds connections for connection settings, and runs the built-in simulator while one needs it.

    `history` is shared by every connection (the history belongs to the person, not the account);
    without it, connections have no call service. With `demo`, connections to the built-in
    simulator forget their tokens when they close (a real server's sign-in is never touched).
    """

    def __init__(
        self,
        *,
        history: CallHistory | None,
        demo: bool = False,
        scenario: Scenario | None = None,
        keyring_backend: KeyringBackend | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        self.history = history
        self._demo = demo
        self._scenario = scenario
        self._keyring_backend = keyring_backend
        self._poll_interval = poll_interval
        self.simulator: Simulator | None = None

    async def connect(self, settings: ConnectionSettings) -> Connection | NotSetUp:
        """A connection for `settings`, or why there can be none yet.

        May raise when the simulator cannot start; the caller reports it.
        """
        if settings.server is ServerKind.SIMULATOR:
            await self._start_simulator()
        else:
            await self._stop_simulator()
        server_url = self.server_url(settings)
        description = ConnectionInfo(
            server_label=SERVER_LABELS[settings.server],
            server_url=server_url or "",
            login_method_label=LOGIN_METHOD_LABELS[settings.login_method],
        )
        problems = validate_connection(settings)
        if problems or not server_url:
            _log.info("connection not set up: %s", " ".join(problems))
            return NotSetUp(description, tuple(problems))
        # Both block for tens of ms (the keyring's backend asks D-Bus; the HTTP client builds its TLS
        # context), and the first time they import their libraries: in a worker, so the window
        # stays responsive right after its first frame.
        store = await asyncio.to_thread(self.store_for, settings, server_url)
        secret: str | None = None
        if settings.use_client_secret:
            secret = await store.load_secret("client_secret")
        platform = await asyncio.to_thread(_make_platform, settings, server_url, secret)
        session = Session(platform, store)
        connection = Connection(
            settings,
            platform=platform,
            store=store,
            session=session,
            calls=None,
            description=dataclasses.replace(
                description, secret_storage=store.backend_name if store.persistent else None
            ),
            forget_on_close=self._demo and settings.server is ServerKind.SIMULATOR,
        )
        if self.history is not None:
            connection.calls = CallService(
                platform, self.history, call_control=connection.can_hang_up, poll_interval=self._poll_interval
            )
        if settings.use_client_secret and not secret:
            connection.notice = (
                "The client secret is missing from the keyring; enter it in Connection settings."
            )
        return connection

    def server_url(self, settings: ConnectionSettings) -> str | None:
        """The server address of `settings` now (the simulator's depends on its port)."""
        return settings.server_url(self.simulator.base_url if self.simulator else None)

    def store_for(self, settings: ConnectionSettings, server_url: str | None = None) -> TokenStore:
        """The token store of `settings`' server and app (keyring entries are keyed by both)."""
        url = server_url or self.server_url(settings) or ""
        if self._keyring_backend is not None:
            return TokenStore(url, settings.client_id, backend=self._keyring_backend)
        return TokenStore(url, settings.client_id)

    def secret_store(self, settings: ConnectionSettings, *, live: Connection | None) -> TokenStore | None:
        """Where the connection settings dialog keeps a client secret for `settings`.

        The live connection's own store when `settings` name its server and app (so a secret saved
        there is the one it reads), another store for other settings, and None while the server's
        address or the client id is not known yet.
        """
        url = self.server_url(settings)
        if not url or not settings.client_id.strip():
            return None
        if live is not None and (live.server_url, live.settings.client_id) == (url, settings.client_id):
            return live.store
        return self.store_for(settings, url)

    async def aclose(self) -> None:
        """Stop the built-in simulator, if it runs; never raises."""
        try:
            await self._stop_simulator()
        except Exception as error:
            report(error, context="stopping the simulator", logger=_log)

    async def _start_simulator(self) -> None:
        if self.simulator is not None:
            return
        # Imported here: only the demo and a simulator connection need it (and its web framework).
        from ringdesk.simulator import Scenario, Simulator

        simulator = Simulator(self._scenario or Scenario(demo_mode=True))
        # Starting waits for the server thread to listen; keep the window responsive meanwhile.
        await asyncio.to_thread(simulator.start)
        self.simulator = simulator
        _log.info("built-in simulator listening at %s", simulator.base_url)

    async def _stop_simulator(self) -> None:
        simulator, self.simulator = self.simulator, None
        if simulator is not None:
            await asyncio.to_thread(simulator.stop)
            _log.info("built-in simulator stopped")


def _make_platform(settings: ConnectionSettings, server_url: str, client_secret: str | None) -> Platform:
    # Imported here, in the connecting worker: the platform clients bring their HTTP and WebSocket
    # libraries, which the first frame has no need to wait for.
    from ringdesk.platforms.registry import make_platform

    return make_platform(
        settings.platform, server_url=server_url, client_id=settings.client_id, client_secret=client_secret
    )


class AccountLoader:
    """Loads the signed-in person's phones once per identity, and offers the phone picker once per run.

    The app asks `should_load(identity)` on every sign-in change (the session publishes many), runs
    `load()` when it says so, and opens the picker when `offer_picker(chosen)` says so: after the
    first sign-in with no phone chosen, so that there is something to ring.
    """

    def __init__(self) -> None:
        self._loaded_for: str | None = None
        self._picker_offered = False

    def should_load(self, identity: Identity | None) -> bool:
        """Whether `identity`'s phones are to be loaded now; True once per new identity."""
        who = identity.extension_id if identity is not None else None
        if who is None or who == self._loaded_for:
            return False
        # Claimed at once: the session publishes several changes before a load could finish.
        self._loaded_for = who
        return True

    async def load(self, connection: Connection | None) -> AccountPhones:
        """The phones of whoever `connection` has signed in; `NotSignedIn` without one.

        A failure forgets the identity, so the next sign-in change tries again.
        """
        try:
            if connection is None:
                raise NotSignedIn()
            return await connection.account_phones()
        except BaseException:
            self._loaded_for = None
            raise

    def offer_picker(self, phone_chosen: bool) -> bool:
        """True once per run, when no phone is chosen yet."""
        if phone_chosen or self._picker_offered:
            return False
        self._picker_offered = True
        return True

    def forget(self) -> None:
        """The connection is going away: the next one loads again."""
        self._loaded_for = None
