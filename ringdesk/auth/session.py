"""The one object that owns the sign-in: tokens, their renewal, and the signed-in/out state.

Why it is built this way (the platform's refresh tokens rotate and are single-use):

- **One refresh at a time.** A refresh kills the old access token at once and starts the old
  refresh token's short grace; a second refresh after the new token was used, or racing with one
  in flight, would be refused and sign the person out. Every path that wants new tokens (the
  timer, a request finding its token due, a 401) joins the one refresh in flight instead.
- **Ahead of expiry.** The timer renews at `refresh_delay(expires_in)` after issue (80% of the
  lifetime, earlier for mid-length lifetimes so that 60 s are left; see `refresh_delay`), so
  requests normally never meet an expired token and never wait for a refresh.
- **Stored before used.** New tokens go to the token store before any request gets them: if
  RingDesk dies right after a refresh, the tokens on record are the live ones, not the dead pair.
- **Trouble is not an expiry.** Network errors and 5xx during a refresh keep the session and retry
  with backoff (2 s doubling, capped at 60 s); a 429 waits as long as the Auth budget says. Only a
  refresh the server refuses (400/`invalid_grant`) ends the session, with a sentence saying so.
- **A lost answer is asked for again.** The platform keeps the refresh token a refresh used alive
  for a grace period (up to 60 min while the new access token is unused, about 10 s after its
  first use) and answers it with that refresh's tokens again. So a retry after an answer lost on
  the way, or a start after RingDesk died between the refresh and storing its answer (the stored
  access token is then refused, and the 401 renews with the stored refresh token), keeps the
  sign-in: both retry with the tokens on record, never with anything guessed.
- **Sleep-proof timer.** `asyncio.sleep` runs on the monotonic clock, which stops while the machine
  is suspended. The timer therefore sleeps in steps of at most `TIMER_STEP`, tracks each deadline on
  both the wall clock and the monotonic clock (whichever passes first counts), and treats a
  disagreement between the two clocks as a resume or clock change: check now, retry now.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ringdesk.auth.pkce import AuthorizationAttempt
from ringdesk.auth.token_store import TokenStore
from ringdesk.errors import (
    AuthenticationError,
    NetworkError,
    OAuthError,
    RateLimited,
    RingDeskError,
    ServerError,
)
from ringdesk.platforms.base import Action, Identity, OAuthPlatform
from ringdesk.platforms.oauth import TokenSet

__all__ = [
    "EXPIRED_PROBLEM",
    "Session",
    "SessionState",
    "SessionStatus",
    "refresh_delay",
]

_log = logging.getLogger("ringdesk.auth")

EXPIRED_PROBLEM = "Your sign-in has expired. Sign in again."
_NOT_SIGNED_IN = "You are not signed in. Please sign in."

REFRESH_FRACTION = 0.8
REFRESH_MARGIN = 60.0
# Never renew sooner than this after issue, whatever the server says the lifetime is: a server
# answering `expires_in: 0` must not turn the timer into a loop.
MIN_REFRESH_DELAY = 1.0
BACKOFF_INITIAL = 2.0
BACKOFF_MAX = 60.0
REJECTED_WAIT_MAX = 5.0
"""Longest a request refused with 401 waits for a planned retry of a failed refresh (the first two
backoffs): a call placed just after a blip goes through instead of failing."""
# The longest single sleep of the timer: after a resume, the renewal check is at most this late
# even when nobody calls `check_now()`.
TIMER_STEP = 30.0
# Wall-clock and monotonic progress over one timer step differ by scheduling noise only; more than
# this means the machine slept or the clock was set.
CLOCK_JUMP_TOLERANCE = 5.0
# Sign-out must not hang on a dead network; the revoke is best effort anyway.
REVOKE_TIMEOUT = 10.0
# How long `aclose()` lets a refresh in flight finish, so rotated tokens are not lost on quit.
CLOSE_GRACE = 5.0


def refresh_delay(expires_in: float) -> float:
    """Seconds after issue at which to renew a token that lives `expires_in` seconds.

    `min(0.8 * T, max(T - 60, 60))`: 80% of the lifetime (2880 s of the platform's 3600 s), or
    60 s before expiry when that comes first (T between 75 s and 300 s). The 60 s margin never
    pulls the renewal below 60 s after issue, so for lifetimes under 75 s (tests use 3 s: renewal
    at 2.4 s) the 80% rule wins, and a margin can never make the session renew more often than once
    a minute, which the Auth budget (5 a minute, shared with sign-in and revoke) could not afford.
    The formula is continuous in T.
    """
    lifetime = max(0.0, float(expires_in))
    delay = min(REFRESH_FRACTION * lifetime, max(lifetime - REFRESH_MARGIN, REFRESH_MARGIN))
    return max(MIN_REFRESH_DELAY, delay)


class SessionState(enum.Enum):
    SIGNED_OUT = "signed_out"
    SIGNING_IN = "signing_in"
    SIGNED_IN = "signed_in"


@dataclass(frozen=True)
class SessionStatus:
    state: SessionState
    identity: Identity | None
    problem: str | None
    """A sentence for the UI when signed out because of a problem, e.g. `EXPIRED_PROBLEM`."""
    tokens_persistent: bool


class Session:
    """Signs in to `platform` and keeps it signed in (its auth hook); rules in the module docstring."""

    def __init__(
        self,
        platform: OAuthPlatform,
        store: TokenStore,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._platform = platform
        self._store = store
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._status = SessionStatus(SessionState.SIGNED_OUT, None, None, store.persistent)
        self._listeners: list[Callable[[SessionStatus], None]] = []

        self._tokens: TokenSet | None = None
        # The monotonic time that matches `_tokens.issued_at`, so deadlines survive clock changes.
        self._issued_mono = 0.0
        # Bumped whenever the tokens are replaced or dropped, so a late answer cannot resurrect them.
        self._generation = 0

        self._refresh_task: asyncio.Task[None] | None = None
        self._failures = 0
        self._retry_at: float | None = None  # monotonic; no refresh attempt before it
        self._last_error: RingDeskError | None = None
        self.refresh_count = 0
        """Successful refreshes since this object was made (for diagnostics and tests)."""

        self._timer_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._sign_in_lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()
        platform.auth = self

    # ------------------------------------------------------------------ state for the UI

    @property
    def status(self) -> SessionStatus:
        return self._status

    def subscribe(self, listener: Callable[[SessionStatus], None]) -> Callable[[], None]:
        """Call `listener(status)` on every status change; returns the function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    # ------------------------------------------------------------------ start-up and sign-in

    async def restore(self) -> bool:
        """Sign in from stored tokens without any UI; False when there are none worth using.

        Tokens whose access token is due are refreshed first. When that refresh cannot reach the
        server, the session still counts as restored (the refresh token may well be fine) and the
        timer keeps trying with backoff; a refresh the server refuses means False.
        """
        async with self._sign_in_lock:
            tokens = await self._store.load_tokens()
            if tokens is None:
                self._publish()
                return False
            now = self._wall_clock()
            if not tokens.access_token_valid(now) and not tokens.refresh_token_valid(now):
                _log.info("stored sign-in has expired; not restoring it")
                await self._store.delete_tokens(tokens.owner_id or "unknown")
                self._set_status(SessionState.SIGNED_OUT, None, EXPIRED_PROBLEM)
                return False
            self._adopt(tokens)
            self._set_status(SessionState.SIGNING_IN, None, None)
            if self._refresh_due(tokens) or not self._access_valid(tokens):
                await self._wait_refresh(start=True)
                if self._tokens is None:
                    return False
            identity = await self._identity_for(self._tokens or tokens, cached=True)
            self._set_status(SessionState.SIGNED_IN, identity, None)
            self._ensure_timer()
            _log.info("signed in from stored tokens")
            return True

    async def sign_in_with_code(self, code: str, attempt: AuthorizationAttempt) -> Identity:
        """Exchange the authorization code of `attempt` (from `read_redirect`) and sign in."""
        return await self._sign_in(
            "authorization code",
            lambda: self._platform.exchange_code(code, attempt.redirect_uri, attempt.code_verifier),
        )

    async def sign_in_with_jwt(self, jwt: str, *, remember: bool = True) -> Identity:
        """JWT credential login (unattended). `remember` keeps the JWT in the keyring; False forgets it."""
        identity = await self._sign_in("JWT", lambda: self._platform.login_jwt(jwt))
        if remember:
            await self._store.save_secret("jwt", jwt)
        else:
            await self._store.delete_secret("jwt")
        self._publish()
        return identity

    async def sign_in_with_password(self, username: str, extension: str | None, password: str) -> Identity:
        """The legacy password grant (being retired by the platform). The password is never stored."""
        return await self._sign_in(
            "password", lambda: self._platform.login_password(username, extension, password)
        )

    async def sign_out(self) -> None:
        """Revoke at the server (best effort, never retried), clear the store, and sign out."""
        async with self._sign_in_lock:
            await self._stop_timer()
            # A refresh in flight would otherwise hand back a live pair after the revoke.
            await self._wait_refresh()
            tokens = self._tokens
            self._drop_tokens()
            self._set_status(SessionState.SIGNED_OUT, None, None)
            # Local state goes first: if the revoke hangs or RingDesk is killed during it, nothing
            # of the session is left on this machine.
            await self._store.clear()
            self._publish()
            if tokens is not None:
                await self._revoke(tokens)
            _log.info("signed out")

    def granted(self, permission: str) -> bool:
        """Whether the current sign-in's scope includes an app permission, e.g. `CallControl`."""
        return self._tokens is not None and self._tokens.has_scope(permission)

    def check_now(self) -> None:
        """The network came back or the machine resumed: check (and refresh if due) right away.

        A retry that was waiting out a backoff is tried now, once; a refresh in flight is joined.
        """
        self._retry_at = None
        self._wake.set()
        if self._tokens is not None and self._status.state is SessionState.SIGNED_IN:
            self._ensure_timer()

    async def aclose(self) -> None:
        """Stop the timer; let a refresh in flight finish briefly (its tokens are stored); no task left."""
        await self._stop_timer()
        task = self._refresh_task
        if task is not None:
            try:
                async with asyncio.timeout(CLOSE_GRACE):
                    await asyncio.shield(task)
            except TimeoutError:
                task.cancel()
            except Exception:
                _log.debug("the last refresh ended with an error (already reported)")
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for background in list(self._background):
            background.cancel()
        for background in list(self._background):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await background

    # ------------------------------------------------------------------ AuthHook

    async def access_token(self) -> str:
        tokens = self._require_tokens()
        if self._refresh_task is None and self._refresh_due(tokens) and self._may_attempt():
            self._start_refresh("the access token is due")
        if self._refresh_task is not None:
            # The old access token dies the moment the server rotates: wait for the new one.
            await self._wait_refresh()
            tokens = self._require_tokens()
        if self._access_valid(tokens):
            return tokens.access_token
        raise self._trouble_error()

    async def token_rejected(self, rejected: str) -> str | None:
        """A token for a request the server refused with 401, or None while signed out.

        A refresh that fails raises what a request meets while renewal is failing (network or
        server trouble, a rate limit), not a 401: the session is still signed in. Right after a
        failed refresh, a 401 does not start another (a stream of 401s must not become a stream
        of refreshes); it waits for the retry already planned when that is at most
        `REJECTED_WAIT_MAX` away.
        """
        waited = False
        while True:
            tokens = self._tokens
            if tokens is None:
                return None
            if self._refresh_task is None and tokens.access_token != rejected:
                return tokens.access_token  # renewed since that request started
            if self._refresh_task is None:
                if self._may_attempt():
                    self._start_refresh("the server rejected the access token")
                else:
                    wait = (self._retry_at or self._clock()) - self._clock()
                    if waited or wait > REJECTED_WAIT_MAX:
                        raise self._trouble_error()
                    waited = True
                    await self._sleep(wait)
                    continue
            await self._wait_refresh()
            # Renewed: the next turn hands the new token over. Failed: it waits for the retry once.

    # ------------------------------------------------------------------ sign-in internals

    async def _sign_in(self, method: str, obtain: Callable[[], Awaitable[TokenSet]]) -> Identity:
        async with self._sign_in_lock:
            await self._stop_timer()
            await self._wait_refresh()
            previous = self._tokens
            previous_status = self._status
            self._set_status(SessionState.SIGNING_IN, previous_status.identity, None)
            try:
                tokens = await obtain()
            except BaseException:
                self._back_to(previous, previous_status)
                raise
            new_tokens_in_use = False
            try:
                await self._store.save_tokens(tokens)  # stored before anything uses them
                self._adopt(tokens)
                new_tokens_in_use = True
                identity = await self._identity_for(tokens, cached=False)
            except BaseException:
                # Nothing half signed in: the new session is ended and forgotten.
                if new_tokens_in_use:
                    self._drop_tokens()
                self._spawn(self._forget(tokens))
                if previous is not None:
                    self._spawn(self._store.save_tokens(previous))
                self._back_to(previous, previous_status)
                raise
            if previous is not None and previous.session_id != tokens.session_id:
                self._spawn(self._revoke(previous))
                if (previous.owner_id or "unknown") != (tokens.owner_id or "unknown"):
                    self._spawn(self._store.delete_tokens(previous.owner_id or "unknown"))
            self._set_status(SessionState.SIGNED_IN, identity, None)
            self._ensure_timer()
            _log.info(
                "signed in (%s) as extension %s", method, identity.extension_number or identity.extension_id
            )
            return identity

    def _back_to(self, previous: TokenSet | None, status: SessionStatus) -> None:
        if previous is None:
            self._drop_tokens()
            self._set_status(SessionState.SIGNED_OUT, None, status.problem)
            return
        if self._tokens is not previous:
            self._adopt(previous)
        self._set_status(status.state, status.identity, status.problem)
        if status.state is SessionState.SIGNED_IN:
            self._ensure_timer()

    async def _identity_for(self, tokens: TokenSet, *, cached: bool) -> Identity:
        account = tokens.owner_id or "unknown"
        if cached:
            stored = await self._store.load_identity(account)
            if stored is not None and stored.get("extension_id") == tokens.owner_id:
                return Identity(
                    account_id=stored.get("account_id", ""),
                    extension_id=stored.get("extension_id", ""),
                    extension_number=stored.get("extension_number", ""),
                    name=stored.get("name", ""),
                )
        try:
            identity = await self._platform.identity()
        except (NetworkError, ServerError, RateLimited) as exc:
            if not cached:
                raise
            # Starting offline must not cost the stored sign-in; the header shows the id for now.
            _log.info("who is signed in is unknown for now (%s)", type(exc).__name__)
            return Identity("", tokens.owner_id or "", "", "")
        await self._store.save_identity(
            account,
            {
                "account_id": identity.account_id,
                "extension_id": identity.extension_id,
                "extension_number": identity.extension_number,
                "name": identity.name,
            },
        )
        return identity

    async def _forget(self, tokens: TokenSet) -> None:
        await self._revoke(tokens)
        await self._store.delete_tokens(tokens.owner_id or "unknown")

    async def _revoke(self, tokens: TokenSet) -> None:
        # Either token ends the whole session; the refresh token lives longer, so it is the surer one.
        token = tokens.refresh_token or tokens.access_token
        try:
            async with asyncio.timeout(REVOKE_TIMEOUT):
                await self._platform.revoke(token)
        except (RingDeskError, TimeoutError) as exc:
            _log.info(
                "revoking the session at the server failed (%s); it is forgotten here anyway",
                type(exc).__name__,
            )
        else:
            _log.info("session revoked at the server")

    # ------------------------------------------------------------------ refresh

    def _start_refresh(self, why: str) -> None:
        if self._refresh_task is None:
            _log.info("renewing the access token: %s", why)
            self._refresh_task = asyncio.create_task(
                self._refresh(self._generation), name="ringdesk-token-refresh"
            )

    async def _wait_refresh(self, *, start: bool = False) -> None:
        if start and self._refresh_task is None:
            self._start_refresh("restoring the stored sign-in")
        task = self._refresh_task
        if task is None:
            return
        # Shielded: a request that gives up waiting must not cancel the refresh everyone shares.
        with contextlib.suppress(Exception):
            await asyncio.shield(task)

    async def _refresh(self, generation: int) -> None:
        try:
            tokens = self._tokens
            if tokens is None or generation != self._generation:
                return
            if not tokens.refresh_token or not tokens.refresh_token_valid(self._wall_clock()):
                await self._expire(generation, "the refresh token has expired")
                return
            try:
                new = await self._platform.refresh_tokens(tokens.refresh_token)
            except OAuthError as exc:
                if exc.refresh_token_dead:
                    await self._expire(
                        generation, f"the server refused the refresh ({exc.error_code or exc.status})"
                    )
                elif exc.oauth_error is None and exc.status not in (400, 401):
                    # No OAuth refusal in the answer (a 404 or 405 from something in front of the
                    # platform): trouble on the way, like a 5xx, not a verdict on the tokens.
                    self._backoff(exc)
                else:
                    # invalid_client and the like: retrying cannot help, and the tokens are unusable.
                    await self._expire(
                        generation, f"renewal refused ({exc.oauth_error or exc.status})", exc.user_message
                    )
                return
            except RateLimited as exc:
                self._backoff(exc, max(exc.retry_after, self._platform.budget(Action.SIGN_IN).next_send_in))
                return
            except RingDeskError as exc:  # NetworkError, ServerError, MalformedResponse
                self._backoff(exc)
                return
            except Exception as exc:
                _log.exception("renewing the access token failed unexpectedly")
                self._backoff(RingDeskError(detail=type(exc).__name__))
                return
            if generation != self._generation:
                return
            await self._store.save_tokens(new)  # stored before use: see the module docstring
            if generation != self._generation:
                return
            self._adopt(new, same_session=True)
            self.refresh_count += 1
            self._failures = 0
            self._retry_at = None
            self._last_error = None
            self._publish()
            self._wake.set()
            _log.info("access token renewed; it lives %d s", new.expires_in)
        finally:
            if self._refresh_task is asyncio.current_task():
                self._refresh_task = None

    def _backoff(self, error: RingDeskError, wait: float | None = None) -> None:
        self._failures += 1
        if wait is None:
            wait = min(BACKOFF_MAX, BACKOFF_INITIAL * 2 ** (self._failures - 1))
            # A 503 puts the Auth group in a penalty; trying before it ends would send nothing.
            wait = max(wait, self._platform.budget(Action.SIGN_IN).next_send_in)
        self._retry_at = self._clock() + wait
        self._last_error = error
        _log.warning(
            "renewing the access token failed (%s: %s); trying again in %.0f s",
            type(error).__name__,
            error.user_message,
            wait,
        )

    async def _expire(self, generation: int, why: str, problem: str = EXPIRED_PROBLEM) -> None:
        if generation != self._generation:
            return
        tokens = self._tokens
        _log.warning("signed out: %s", why)
        self._drop_tokens()
        self._set_status(SessionState.SIGNED_OUT, None, problem)
        if tokens is not None:
            # Only this account's tokens: a remembered JWT stays, it is still a valid credential.
            await self._store.delete_tokens(tokens.owner_id or "unknown")
        self._publish()

    # ------------------------------------------------------------------ the timer

    def _ensure_timer(self) -> None:
        if self._timer_task is None or self._timer_task.done():
            self._timer_task = asyncio.create_task(self._run_timer(), name="ringdesk-token-timer")

    async def _stop_timer(self) -> None:
        task, self._timer_task = self._timer_task, None
        if task is None or task is asyncio.current_task():
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run_timer(self) -> None:
        while True:
            self._wake.clear()
            tokens = self._tokens
            if tokens is None:
                return  # signed out; the next sign-in starts a new timer
            wait = self._seconds_to_next_attempt(tokens)
            if wait <= 0:
                self._start_refresh(
                    "scheduled renewal" if self._failures == 0 else "retrying after a failure"
                )
                await self._wait_refresh()
                continue
            step = min(wait, TIMER_STEP)
            wall_before, mono_before = self._wall_clock(), self._clock()
            await self._sleep_or_wake(step)
            jump = (self._wall_clock() - wall_before) - (self._clock() - mono_before)
            if abs(jump) > CLOCK_JUMP_TOLERANCE:
                _log.info(
                    "the clock jumped by %+.0f s (resume or clock change); checking the sign-in now", jump
                )
                # The network may be back as well: a retry waiting out a backoff goes now.
                self._retry_at = None

    async def _sleep_or_wake(self, seconds: float) -> None:
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                task.cancel()
            await asyncio.gather(sleeper, waker, return_exceptions=True)

    # ------------------------------------------------------------------ deadlines

    def _adopt(self, tokens: TokenSet, *, same_session: bool = False) -> None:
        self._tokens = tokens
        # `issued_at` was stamped on the wall clock; carry it over to the monotonic one now.
        self._issued_mono = self._clock() - max(0.0, self._wall_clock() - tokens.issued_at)
        if not same_session:
            self._generation += 1
            self._failures = 0
            self._retry_at = None
            self._last_error = None

    def _drop_tokens(self) -> None:
        self._tokens = None
        self._generation += 1
        self._failures = 0
        self._retry_at = None
        self._last_error = None

    def _refresh_due(self, tokens: TokenSet) -> bool:
        return self._seconds_to_due(tokens) <= 0

    def _seconds_to_due(self, tokens: TokenSet) -> float:
        delay = refresh_delay(tokens.expires_in)
        by_wall = tokens.issued_at + delay - self._wall_clock()
        by_mono = self._issued_mono + delay - self._clock()
        return min(by_wall, by_mono)

    def _access_valid(self, tokens: TokenSet) -> bool:
        # Expired as soon as either clock says so: the wall clock runs on through a suspend, the
        # monotonic clock is immune to the clock being set back.
        return (
            tokens.access_token_valid(self._wall_clock())
            and self._clock() < self._issued_mono + tokens.expires_in
        )

    def _may_attempt(self) -> bool:
        return self._retry_at is None or self._clock() >= self._retry_at

    def _seconds_to_next_attempt(self, tokens: TokenSet) -> float:
        wait = self._seconds_to_due(tokens)
        if self._retry_at is not None:
            wait = max(wait, self._retry_at - self._clock())
        return wait

    def _require_tokens(self) -> TokenSet:
        tokens = self._tokens
        if tokens is None:
            raise AuthenticationError(self._status.problem or _NOT_SIGNED_IN)
        return tokens

    def _trouble_error(self) -> RingDeskError:
        """What a request gets when its token has expired and renewing it is failing."""
        error = self._last_error
        retry_in = max(0.0, (self._retry_at or self._clock()) - self._clock())
        if isinstance(error, RateLimited):
            return RateLimited(
                retry_after=retry_in,
                group=error.group or self._platform.budget(Action.SIGN_IN).name,
                sent=False,
            )
        if isinstance(error, ServerError):
            return ServerError(retry_after=retry_in, message="renewing the access token failed")
        return NetworkError(
            error.user_message if isinstance(error, NetworkError) else None,
            may_have_reached_server=False,
            detail=f"the access token expired and renewing it failed; next try in {retry_in:.0f} s",
        )

    # ------------------------------------------------------------------ status

    def _set_status(self, state: SessionState, identity: Identity | None, problem: str | None) -> None:
        self._publish(SessionStatus(state, identity, problem, self._store.persistent))

    def _publish(self, status: SessionStatus | None = None) -> None:
        if status is None:
            current = self._status
            status = SessionStatus(current.state, current.identity, current.problem, self._store.persistent)
        if status == self._status:
            return
        self._status = status
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                _log.exception("a session listener failed")

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await coro
            except Exception:
                _log.exception("background sign-in clean-up failed")

        task = asyncio.create_task(run(), name="ringdesk-auth-cleanup")
        self._background.add(task)
        task.add_done_callback(self._background.discard)
