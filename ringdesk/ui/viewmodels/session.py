"""The session as the windows see it: one immutable `SessionView` per change, and three intents.

`SessionViewModel` bridges `Session.subscribe` (plain callbacks from the Qt-free core) to the Qt
signal `changed(SessionView)`. The windows render `SessionView` and call the intent methods; they
never see the session.

    vm = SessionViewModel(session, connection=ConnectionInfo("Built-in simulator", url, "Sign-in window"))
    vm.changed.connect(window.render)
    vm.sign_in()            # -> sign_in_requested: the app opens the configured sign-in flow
    vm.sign_out()           # revokes and clears the keyring through the session

For screenshots and widget tests no session is needed: `SessionViewModel()` and then
`vm.show_status(SessionStatus(...))` puts it in any state. The app makes it with `starting=True`:
until the first `bind`, RingDesk has not yet looked for a stored sign-in, so the window says
"Starting..." rather than "Signed out" with a Sign in button that could not work yet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from ringdesk.auth.session import SessionState, SessionStatus
from ringdesk.config import ConnectionInfo
from ringdesk.errors import report
from ringdesk.platforms.base import Identity
from ringdesk.qtasync import spawn as qt_spawn
from ringdesk.ui.viewmodels.base import ViewModel

__all__ = [
    "MEMORY_ONLY_NOTICE",
    "ConnectionInfo",
    "SessionView",
    "SessionViewModel",
    "headline_for",
]

_log = logging.getLogger("ringdesk.ui.session")

MEMORY_ONLY_NOTICE = (
    "No keyring was found, so you will sign in each time RingDesk starts. Install a Secret Service "
    "such as GNOME Keyring to stay signed in."
)

SIGNED_OUT = "Signed out"
SIGNING_IN = "Signing in\N{HORIZONTAL ELLIPSIS}"
STARTING = "Starting\N{HORIZONTAL ELLIPSIS}"


@dataclass(frozen=True)
class SessionView:
    """Everything a window shows about the session, as text and switches."""

    state: SessionState
    #: "Signed in as Dana Operator (ext. 101)", "Signing in...", "Signed out".
    headline: str
    #: The second line: the server (the headline names the extension).
    detail: str
    #: Why the session ended or failed, as one sentence; None after a sign-out the person chose.
    problem: str | None
    #: The memory-only sentence when tokens cannot be kept; None when they are in a keyring.
    storage_notice: str | None
    #: The signed-out banner's button: "Sign in again" after a session was lost, else "Sign in".
    sign_in_label: str
    #: Two letters for the avatar; empty when signed out.
    initials: str
    connection: ConnectionInfo
    #: A sign-out (revoke and keyring clean-up) is under way.
    signing_out: bool = False
    #: "Account 400131005008": what support asks for, kept off the screen (a tooltip).
    account: str = ""
    #: RingDesk has not yet looked for a stored sign-in (before the connection is made).
    starting: bool = False

    @property
    def signed_in(self) -> bool:
        return self.state is SessionState.SIGNED_IN

    @property
    def signed_out(self) -> bool:
        return self.state is SessionState.SIGNED_OUT and not self.starting

    @property
    def busy(self) -> bool:
        return self.state is SessionState.SIGNING_IN or self.signing_out or self.starting

    @property
    def can_sign_in(self) -> bool:
        return self.signed_out and not self.signing_out

    @property
    def can_sign_out(self) -> bool:
        return self.state is SessionState.SIGNED_IN and not self.signing_out


class _SessionLike(Protocol):
    @property
    def status(self) -> SessionStatus: ...

    def subscribe(self, listener: Callable[[SessionStatus], None]) -> Callable[[], None]: ...

    async def sign_out(self) -> None: ...


Spawn = Callable[..., "asyncio.Task[Any]"]


class SessionViewModel(ViewModel[SessionView]):
    """Signals: `changed(SessionView)` on every change; `sign_in_requested()` when the person asks to
    sign in (the app runs the configured sign-in flow); `signed_out()` after a sign-out finished."""

    sign_in_requested = Signal()
    signed_out = Signal()
    # The core may call its listeners from any thread; a signal hands the status to the GUI thread.
    _status_arrived = Signal(object)

    def __init__(
        self,
        session: _SessionLike | None = None,
        *,
        connection: ConnectionInfo | None = None,
        starting: bool = False,
        spawn: Spawn | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._spawn = spawn or qt_spawn
        self._starting = starting
        self._connection = connection or ConnectionInfo()
        self._session: _SessionLike | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._status = SessionStatus(SessionState.SIGNED_OUT, None, None, True)
        self._was_signed_in = False
        self._signing_out = False
        self._sign_out_task: asyncio.Task[Any] | None = None
        self._view = self._make_view()
        self._status_arrived.connect(self._apply_status)
        if session is not None:
            self.bind(session)

    # ------------------------------------------------------------------ state

    @property
    def status(self) -> SessionStatus:
        return self._status

    def bind(self, session: _SessionLike | None, *, connection: ConnectionInfo | None = None) -> None:
        """Follow `session` from now on (after connection settings changed, a new session is made)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._session = session
        self._was_signed_in = False
        self._starting = False
        if connection is not None:
            self._connection = connection
        if session is None:
            self.show_status(SessionStatus(SessionState.SIGNED_OUT, None, None, True))
            return
        self._unsubscribe = session.subscribe(self._status_arrived.emit)
        self.show_status(session.status)

    def set_connection(self, connection: ConnectionInfo) -> None:
        self._connection = connection
        self._publish()

    def show_status(self, status: SessionStatus) -> None:
        """Render `status` (the session's listener does this; tests and screenshots call it directly)."""
        self._apply_status(status)

    def close(self) -> None:
        """Stop following the session (app shutdown)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._session = None

    # ------------------------------------------------------------------ intents

    def sign_in(self) -> None:
        """Sign in... (also called "Get credentials"): the app opens the configured sign-in flow."""
        if self._status.state is SessionState.SIGNED_IN or self._starting:
            return
        self.sign_in_requested.emit()

    def sign_in_again(self) -> None:
        """The signed-out banner's one click: the same flow, offered after a session was lost."""
        self.sign_in()

    def sign_out(self) -> None:
        """Sign out (also called "Clear credentials"): revoke at the server, delete the keyring entries."""
        if self._session is None or self._signing_out:
            return
        if self._status.state is SessionState.SIGNED_OUT:
            return
        self._signing_out = True
        self._publish()
        self._sign_out_task = self._spawn(self._run_sign_out(self._session), name="sign out")

    async def _run_sign_out(self, session: _SessionLike) -> None:
        try:
            await session.sign_out()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # The session forgets its tokens even when the server cannot be reached; say what failed.
            report(error, context="sign out", logger=_log)
        finally:
            self._signing_out = False
            self._sign_out_task = None
            self._was_signed_in = False
            self._publish()
        self.signed_out.emit()

    # ------------------------------------------------------------------ internals

    def _apply_status(self, status: SessionStatus) -> None:
        if status.state is SessionState.SIGNED_IN:
            self._was_signed_in = True
        self._status = status
        self._publish()

    def _make_view(self) -> SessionView:
        status = self._status
        identity = status.identity if status.state is SessionState.SIGNED_IN else None
        problem = status.problem if status.state is SessionState.SIGNED_OUT else None
        lost = problem is not None or self._was_signed_in
        return SessionView(
            state=status.state,
            headline=STARTING if self._starting else headline_for(status),
            detail=self._connection.server_label,
            problem=problem,
            storage_notice=None if status.tokens_persistent else MEMORY_ONLY_NOTICE,
            sign_in_label="Sign in again" if lost else "Sign in",
            initials=_initials(identity),
            connection=self._connection,
            signing_out=self._signing_out,
            account=f"Account {identity.account_id}" if identity is not None and identity.account_id else "",
            starting=self._starting,
        )


def headline_for(status: SessionStatus) -> str:
    if status.state is SessionState.SIGNING_IN:
        return SIGNING_IN
    if status.state is SessionState.SIGNED_IN and status.identity is not None:
        identity = status.identity
        name = identity.name.strip() if identity.name else ""
        ext = f"ext. {identity.extension_number}" if identity.extension_number else ""
        if name and ext:
            return f"Signed in as {name} ({ext})"
        if name:
            return f"Signed in as {name}"
        if ext:
            return f"Signed in as extension {identity.extension_number}"
        return "Signed in"
    if status.state is SessionState.SIGNED_IN:
        return "Signed in"
    return SIGNED_OUT


def _initials(identity: Identity | None) -> str:
    if identity is None:
        return ""
    words = [w for w in (identity.name or "").split() if w[:1].isalnum()]
    if words:
        return "".join(w[0] for w in words[:2]).upper()
    return (identity.extension_number or "")[:3]
