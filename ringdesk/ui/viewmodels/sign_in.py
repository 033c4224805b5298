"""The sign-in view model: one interactive attempt at a time as a `SignInView`, and the unattended forms.

Interactive sign-in (authorization code with PKCE):

1. `start()` makes a fresh attempt (random `state` and verifier) and builds the sign-in URL.
2. Embedded: the view asks for the sign-in window (`SignInStep.SIGN_IN_PAGE`) with the page to
   load; the window stops at the redirect URI without loading it and hands the URL to
   `redirected(url)`. System browser: the URL goes to the person's browser (`opener`), the view
   asks for the "waiting for your browser" window (`WAITING_FOR_BROWSER`), and a
   `LoopbackRedirectListener` on 127.0.0.1 receives the redirect (RFC 8252).
3. The redirect's `state` is checked and its code taken; `Session.sign_in_with_code` exchanges it
   (`FINISHING`).

Every way an attempt can fail ends in `failed(sentence)` and a `PROBLEM` view: one sentence, shown
in the window that is still open together with "Try again", and an attempt that no longer exists.
The windows are made, shown and closed by the widget side (`ringdesk.ui.widgets.sign_in_presenter`)
as the views say; this object never touches one. The code, the verifier and the state never leave
it except to the session; none is logged.

Unattended sign-in: `sign_in_with_jwt()` and, when the advanced option allows it,
`sign_in_with_password()`.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from ringdesk.auth import pkce
from ringdesk.auth.loopback import LoopbackRedirectListener
from ringdesk.config import LoginMethod
from ringdesk.errors import report
from ringdesk.platforms.base import Identity
from ringdesk.qtasync import spawn as qt_spawn
from ringdesk.ui.viewmodels.base import ViewModel
from ringdesk.ui.viewmodels.secret_storage import SecretStorage, describe_secret_storage

__all__ = [
    "CANCELLED",
    "DENIED",
    "NO_BROWSER",
    "STATE_MISMATCH",
    "SignInStep",
    "SignInView",
    "SignInViewModel",
]

_log = logging.getLogger("ringdesk.ui.sign_in")

DENIED = "You chose not to allow RingDesk to sign in."
CANCELLED = "Sign-in was cancelled."
STATE_MISMATCH = (
    "The browser finished a different sign-in than the one RingDesk started (an older tab, perhaps), "
    "so RingDesk ignored it to keep your account safe. Try again."
)
NO_BROWSER = "RingDesk could not open your web browser. Open it yourself and try again."
_FINISHING = "Finishing sign-in with RingCentral\N{HORIZONTAL ELLIPSIS}"
_NOT_LOOPBACK = (
    "Signing in through your web browser needs a redirect URI on this computer with a port, "
    "such as http://127.0.0.1:53682/oauth/callback; change it in the connection settings."
)
_EMPTY_JWT = "Paste your JWT credential first."
_EMPTY_PASSWORD = "Enter your phone number or email and your password."
_PASSWORD_OFF = (
    'Password sign-in is switched off; turn on "Allow password sign-in" in the connection settings.'
)


class SignInStep(enum.Enum):
    """Where an interactive sign-in stands, and so what its window shows."""

    #: No attempt is shown: no sign-in window is open.
    CLOSED = "closed"
    #: The sign-in window shows the platform's page (`SignInView.page_url`).
    SIGN_IN_PAGE = "sign_in_page"
    #: The page is open in the system browser; the waiting window offers Cancel.
    WAITING_FOR_BROWSER = "waiting_for_browser"
    #: The redirect arrived and its code is being exchanged; the window says so.
    FINISHING = "finishing"
    #: The attempt failed: the window shows the sentence, with "Try again" and "Close".
    PROBLEM = "problem"


@dataclass(frozen=True)
class SignInView:
    """What the sign-in windows show of the interactive sign-in."""

    step: SignInStep
    #: The window of the attempt: EMBEDDED (the sign-in window) or SYSTEM_BROWSER (the waiting window).
    method: LoginMethod
    #: The platform's sign-in page of the attempt under way, which the sign-in window loads; "" when
    #: there is no attempt. A new page means a new attempt, whose window comes to the front.
    page_url: str
    #: What is being finished (FINISHING) or what went wrong (PROBLEM); "" otherwise.
    sentence: str


class _SignInSession(Protocol):
    async def sign_in_with_code(self, code: str, attempt: pkce.AuthorizationAttempt) -> Identity: ...
    async def sign_in_with_jwt(self, jwt: str, *, remember: bool = True) -> Identity: ...
    async def sign_in_with_password(
        self, username: str, extension: str | None, password: str
    ) -> Identity: ...


class _SignInPlatform(Protocol):
    """The part of `ringdesk.platforms.base.OAuthPlatform` sign-in needs: the platform's sign-in page."""

    def authorize_url(
        self, redirect_uri: str, state: str, code_challenge: str, **extra: str | None
    ) -> str: ...


Spawn = Callable[..., "asyncio.Task[Any]"]


class SignInViewModel(ViewModel[SignInView]):
    """Runs sign-in attempts and turns every outcome into `succeeded(identity)` or `failed(sentence)`.

    `session` signs in (`sign_in_with_code`, `sign_in_with_jwt`, `sign_in_with_password`);
    `platform` builds the sign-in URL (`authorize_url`). `embedded_available` is False when
    QtWebEngine is missing: then the system browser is used instead of the sign-in window.
    `opener(QUrl) -> bool` opens the system browser; `listener_factory(redirect_uri, state)` makes
    the loopback listener for an attempt. `store` (optional) says where secrets are kept.
    `spawn(coro, name=)` runs a coroutine on the Qt event loop and keeps the task alive.

    Signals: `changed(SignInView)`; `succeeded(object)` with the `ringdesk.platforms.base.Identity`
    the session signed in as; `failed(str)` with one sentence; `busy(bool)` while an attempt or an
    unattended sign-in is under way; `raise_requested()` when the person asks to sign in while an
    attempt's window is open.
    """

    succeeded = Signal(object)
    failed = Signal(str)
    busy = Signal(bool)
    raise_requested = Signal()

    def __init__(
        self,
        session: _SignInSession,
        platform: _SignInPlatform,
        *,
        redirect_uri: str,
        login_method: LoginMethod | str = LoginMethod.EMBEDDED,
        allow_password_grant: bool = False,
        embedded_available: bool = False,
        opener: Callable[[QUrl], bool] = QDesktopServices.openUrl,
        listener_factory: Callable[[str, str], Any] = LoopbackRedirectListener,
        store: SecretStorage | None = None,
        spawn: Spawn | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._platform = platform
        self._redirect_uri = redirect_uri
        self._login_method = LoginMethod(login_method)
        self._allow_password_grant = allow_password_grant
        self._embedded_available = embedded_available
        self._opener = opener
        self._listener_factory = listener_factory
        self._store = store
        self._spawn = spawn or qt_spawn
        self._attempt: pkce.AuthorizationAttempt | None = None
        self._url: str | None = None
        self._step = SignInStep.CLOSED
        self._sentence = ""
        self._task: asyncio.Task[Any] | None = None
        self._busy = False
        self._last_problem: str | None = None
        self._view = self._make_view()

    # ------------------------------------------------------------------ facts for views

    @property
    def is_busy(self) -> bool:
        return self._busy

    @property
    def last_problem(self) -> str | None:
        """The sentence of the last failure, until the next attempt starts."""
        return self._last_problem

    @property
    def login_method(self) -> LoginMethod:
        """The method `start()` uses; without QtWebEngine the embedded window gives way to the browser."""
        if self._login_method is LoginMethod.EMBEDDED and not self._embedded_available:
            return LoginMethod.SYSTEM_BROWSER
        return self._login_method

    @property
    def embedded_unavailable_note(self) -> str | None:
        """A sentence for the settings when the embedded window was asked for but cannot be used."""
        if self._login_method is LoginMethod.EMBEDDED and not self._embedded_available:
            return (
                "The sign-in window needs QtWebEngine, which is not installed here, so RingDesk "
                "uses your web browser instead."
            )
        return None

    @property
    def password_allowed(self) -> bool:
        return self._allow_password_grant

    @property
    def secret_storage_note(self) -> str:
        """Where a JWT credential is kept, in one sentence."""
        return describe_secret_storage(self._store, "The credential")

    def is_redirect(self, url: str) -> bool:
        """Whether `url` is the configured redirect URI (exact scheme, host, port and path)."""
        return pkce.matches_redirect(url, self._redirect_uri)

    # ------------------------------------------------------------------ intents

    def start(self) -> None:
        """Begin an interactive sign-in with the configured method (or bring its window forward)."""
        if self._busy:
            self.raise_requested.emit()
            return
        if self.login_method is LoginMethod.SYSTEM_BROWSER:
            self._start_system_browser()
        else:
            self._start_embedded()

    def try_again(self) -> None:
        """After a failure: a new attempt with a fresh state and verifier, in the same window."""
        self._end_attempt()
        self.start()

    def cancel(self) -> None:
        """Stop the attempt under way; the windows close and `failed("Sign-in was cancelled.")` follows."""
        if not self._busy:
            self._close_windows()
            return
        self._fail(CANCELLED, close_windows=True)

    def redirected(self, url: str) -> None:
        """The sign-in window stopped at the redirect URI, with the platform's answer in `url`."""
        attempt = self._attempt
        if attempt is None or self._task is not None:
            # A late or repeated answer for an attempt that is over: never exchanged.
            _log.info("a redirect arrived when no sign-in attempt was waiting; ignored")
            return
        code = self._read(url, attempt)
        if code is None:
            return
        self._show(SignInStep.FINISHING, _FINISHING)
        self._task = self._spawn(self._exchange(code, attempt), name="sign-in code exchange")

    def window_closed(self) -> None:
        """The person closed the attempt's window: an attempt under way is cancelled."""
        if self._busy:
            self._fail(CANCELLED, close_windows=True)
        else:
            self._close_windows()

    def open_browser(self) -> bool:
        """Open the attempt's sign-in page in the system browser (again); False when that failed."""
        if self._url is None:
            return False
        opened = bool(self._opener(QUrl.fromEncoded(self._url.encode("ascii"))))
        if not opened:
            _log.warning("the system browser could not be opened")
        return opened

    def sign_in_with_jwt(self, jwt: str) -> None:
        """Unattended sign-in with a JWT credential, which the session keeps in the keyring."""
        credential = "".join(jwt.split())  # pasted from a web page, it often carries a line break
        if not credential:
            self._report_unattended(_EMPTY_JWT)
            return
        if self._busy:
            return
        self._run_unattended(lambda: self._session.sign_in_with_jwt(credential, remember=True), "JWT sign-in")

    def sign_in_with_password(self, username: str, extension: str, password: str) -> None:
        """The legacy password grant; only when the advanced option allows it."""
        if not self._allow_password_grant:
            self._report_unattended(_PASSWORD_OFF)
            return
        if not username.strip() or not password:
            self._report_unattended(_EMPTY_PASSWORD)
            return
        if self._busy:
            return
        session, user, ext = self._session, username.strip(), extension.strip() or None
        self._run_unattended(lambda: session.sign_in_with_password(user, ext, password), "password sign-in")

    def close(self) -> None:
        """The app is shutting down or the settings changed: end any attempt silently."""
        self._end_attempt()
        self._close_windows()
        self._set_busy(False)

    # ------------------------------------------------------------------ the two ways to sign in

    def _start_embedded(self) -> None:
        self._new_attempt()
        _log.info("sign-in started in the sign-in window")
        self._show(SignInStep.SIGN_IN_PAGE)

    def _start_system_browser(self) -> None:
        attempt = self._new_attempt()
        self._show(SignInStep.WAITING_FOR_BROWSER)
        _log.info("sign-in started in the system browser")
        self._task = self._spawn(self._browser_flow(attempt), name="sign-in through the system browser")

    async def _browser_flow(self, attempt: pkce.AuthorizationAttempt) -> None:
        try:
            try:
                listener_cm = self._listener_factory(attempt.redirect_uri, attempt.state)
            except ValueError:
                self._fail(_NOT_LOOPBACK)
                return
            # Listening before the browser opens, so a fast answer cannot be missed. A port that is
            # taken raises SignInFailed with its own sentence, reported below.
            async with listener_cm as listener:
                if not self.open_browser():
                    self._fail(NO_BROWSER)
                    return
                url = await listener.wait()
            if self._attempt is not attempt:
                return
            code = self._read(url, attempt)
            if code is None:
                return
            self._show(SignInStep.FINISHING, _FINISHING)
            await self._exchange(code, attempt)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._fail(report(error, context="sign-in through the system browser", logger=_log))

    # ------------------------------------------------------------------ shared steps

    def _new_attempt(self) -> pkce.AuthorizationAttempt:
        attempt = pkce.new_attempt(self._redirect_uri)
        self._attempt = attempt
        self._url = self._platform.authorize_url(attempt.redirect_uri, attempt.state, attempt.code_challenge)
        self._last_problem = None
        self._set_busy(True)
        return attempt

    def _read(self, url: str, attempt: pkce.AuthorizationAttempt) -> str | None:
        """The code from the redirect, or None after failing the attempt with the right sentence."""
        try:
            return pkce.read_redirect(url, attempt)
        except pkce.SignInDenied:
            _log.info("the person declined the sign-in on the platform's page")
            self._fail(DENIED)
        except pkce.StateMismatch:
            _log.warning("a redirect with a state that does not belong to this attempt was refused")
            self._fail(STATE_MISMATCH)
        except pkce.SignInFailed as error:
            self._fail(report(error, context="sign-in redirect", logger=_log))
        return None

    async def _exchange(self, code: str, attempt: pkce.AuthorizationAttempt) -> None:
        try:
            identity = await self._session.sign_in_with_code(code, attempt)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if self._attempt is attempt:
                self._fail(report(error, context="sign-in code exchange", logger=_log))
            return
        if self._attempt is not attempt:
            return
        _log.info("signed in")
        self._task = None
        self._attempt = None
        self._url = None
        self._close_windows()
        self._set_busy(False)
        self.succeeded.emit(identity)

    def _fail(self, sentence: str, *, close_windows: bool = False) -> None:
        self._end_attempt()
        self._last_problem = sentence
        if close_windows:
            self._close_windows()
        else:
            self._show(SignInStep.PROBLEM, sentence)
        self._set_busy(False)
        self.failed.emit(sentence)

    def _end_attempt(self) -> None:
        # Forget the verifier and state at once: a late redirect for this attempt must find nothing.
        self._attempt = None
        self._url = None
        task, self._task = self._task, None
        if task is not None and not task.done() and task is not _current_task():
            task.cancel()

    def _show(self, step: SignInStep, sentence: str = "") -> None:
        self._step, self._sentence = step, sentence
        self._publish()

    def _close_windows(self) -> None:
        self._show(SignInStep.CLOSED)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy.emit(busy)

    def _make_view(self) -> SignInView:
        return SignInView(
            step=self._step, method=self.login_method, page_url=self._url or "", sentence=self._sentence
        )

    # ------------------------------------------------------------------ unattended

    def _run_unattended(self, sign_in: Callable[[], Coroutine[Any, Any, Identity]], what: str) -> None:
        # The coroutine is made inside the task: one cancelled before it ran leaves none unawaited.
        self._last_problem = None
        self._set_busy(True)

        async def run() -> None:
            try:
                identity = await sign_in()
            except asyncio.CancelledError:
                self._set_busy(False)
                raise
            except Exception as error:
                self._task = None
                self._report_unattended(report(error, context=what, logger=_log))
                self._set_busy(False)
                return
            self._task = None
            self._set_busy(False)
            self.succeeded.emit(identity)

        self._task = self._spawn(run(), name=what)

    def _report_unattended(self, sentence: str) -> None:
        self._last_problem = sentence
        self.failed.emit(sentence)


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None
