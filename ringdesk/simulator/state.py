"""Everything the simulator remembers between requests: sessions, calls, push, faults, limits, the log.

All of it lives on the server's event loop and is only touched from there (requests, push sockets, the
watchers of calls that push their events, and `/_sim/` control calls), so nothing here needs a lock.
"""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import random
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from ringdesk.simulator.calls import CallBook
from ringdesk.simulator.push import PushHub
from ringdesk.simulator.ratelimit import RateLimiter
from ringdesk.simulator.scenario import Scenario, User

if TYPE_CHECKING:
    from ringdesk.simulator.directory import DirectoryEntry

FaultKind = Literal["status", "drop", "lost", "malformed", "delay"]
FAULT_KINDS: tuple[FaultKind, ...] = ("status", "drop", "lost", "malformed", "delay")

#: Query parameters whose values never reach the request log.
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "refresh_token",
        "token",
        "code",
        "code_verifier",
        "assertion",
        "password",
        "client_secret",
        "api_key",
        "hash",
        "wsc",
    }
)


# --- OAuth --------------------------------------------------------------------------------------------


@dataclass
class AuthCode:
    client_id: str
    redirect_uri: str
    owner: int
    challenge: str | None
    challenge_method: str | None
    expires_at: float
    used: bool = False
    session_id: str | None = None


@dataclass
class OAuthSession:
    id: str
    client_id: str
    owner: int
    scope: str
    endpoint_id: str
    access_token: str
    access_expires_at: float
    refresh_token: str
    refresh_expires_at: float
    #: The refresh token the last refresh used, still accepted during its grace (`OAuthStore.in_grace`).
    previous_refresh: str | None = None
    created_at: float = 0.0
    rotated_at: float = 0.0
    #: When the current access token first authenticated a request; None while it has not.
    access_first_used_at: float | None = None


class OAuthStore:
    """Authorization codes and sessions. A session holds one live access and refresh token, and
    after a refresh the refresh token that refresh used, for its grace period.

    `on_revoke` hears of every session that ends (its push sockets close with it).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.on_revoke: Callable[[OAuthSession], None] | None = None
        self.codes: dict[str, AuthCode] = {}
        self.sessions: dict[str, OAuthSession] = {}
        self._by_access: dict[str, str] = {}
        self._by_refresh: dict[str, str] = {}
        # Refresh tokens that once existed, so a replay gets "revoked" rather than "not found".
        self._dead_refresh: set[str] = set()

    def reset(self) -> None:
        self.codes.clear()
        self.sessions.clear()
        self._by_access.clear()
        self._by_refresh.clear()
        self._dead_refresh.clear()

    def new_code(self, code: AuthCode) -> str:
        value = secrets.token_urlsafe(32)
        self.codes[value] = code
        return value

    def issue(
        self,
        client_id: str,
        owner: int,
        scope: str,
        access_ttl: float,
        refresh_ttl: float,
        *,
        cap: int | None = None,
    ) -> OAuthSession:
        """A new session; beyond `cap` active sessions of this user in this app, the oldest end."""
        now = self._clock()
        session = OAuthSession(
            id=secrets.token_hex(8),
            client_id=client_id,
            owner=owner,
            scope=scope,
            endpoint_id=secrets.token_urlsafe(16),
            access_token=_token(),
            access_expires_at=now + access_ttl,
            refresh_token=_token(),
            refresh_expires_at=now + refresh_ttl,
            created_at=now,
        )
        if cap is not None:
            # Only active sessions count: one whose refresh token has expired is over, and goes now.
            for ended in [s for s in self.sessions.values() if self.refresh_expired(s)]:
                self.revoke(ended)
            same = sorted(
                (s for s in self.sessions.values() if (s.client_id, s.owner) == (client_id, owner)),
                key=lambda s: s.created_at,
            )
            for oldest in same[: max(0, len(same) - cap + 1)]:
                self.revoke(oldest)
        self.sessions[session.id] = session
        self._by_access[session.access_token] = session.id
        self._by_refresh[session.refresh_token] = session.id
        return session

    def rotate(self, session: OAuthSession, access_ttl: float, refresh_ttl: float) -> OAuthSession:
        """Refresh: the old access token dies at once; the old refresh token goes into its grace
        (replacing the one before, which dies now); the session gets a new pair."""
        previous = session.refresh_token
        self._forget_tokens(session)
        self._dead_refresh.discard(previous)
        self._by_refresh[previous] = session.id
        session.previous_refresh = previous
        now = self._clock()
        session.rotated_at = now
        session.access_first_used_at = None
        session.access_token = _token()
        session.refresh_token = _token()
        session.access_expires_at = now + access_ttl
        session.refresh_expires_at = now + refresh_ttl
        self._by_access[session.access_token] = session.id
        self._by_refresh[session.refresh_token] = session.id
        return session

    def revoke(self, session: OAuthSession) -> None:
        self._forget_tokens(session)
        self.sessions.pop(session.id, None)
        if self.on_revoke is not None:
            self.on_revoke(session)

    def by_access(self, token: str) -> OAuthSession | None:
        session_id = self._by_access.get(token)
        return self.sessions.get(session_id) if session_id else None

    def by_refresh(self, token: str) -> OAuthSession | None:
        """The session whose live refresh token, or whose refresh token in its grace, this is."""
        session_id = self._by_refresh.get(token)
        return self.sessions.get(session_id) if session_id else None

    def in_grace(self, session: OAuthSession, token: str, *, unused: float, after_use: float) -> bool:
        """Whether `token` is `session`'s previous refresh token and still within its grace: up to
        `unused` seconds after the refresh while the new access token has not been used, and up to
        `after_use` seconds after its first use. A token past its grace dies for good."""
        if token != session.previous_refresh:
            return False
        now = self._clock()
        used = session.access_first_used_at
        alive = now - session.rotated_at <= unused if used is None else now - used <= after_use
        if not alive:
            self._end_grace(session)
        return alive

    def note_access_used(self, session: OAuthSession) -> None:
        if session.access_first_used_at is None:
            session.access_first_used_at = self._clock()

    def refresh_was_known(self, token: str) -> bool:
        return token in self._dead_refresh

    def access_expired(self, session: OAuthSession) -> bool:
        return self._clock() >= session.access_expires_at

    def refresh_expired(self, session: OAuthSession) -> bool:
        return self._clock() >= session.refresh_expires_at

    def expire(self, kind: str, owner: int | None = None) -> int:
        """Make live tokens expired now; returns how many sessions were touched."""
        past = self._clock() - 1.0
        count = 0
        for session in self.sessions.values():
            if owner is not None and session.owner != owner:
                continue
            if kind in ("access", "all"):
                session.access_expires_at = past
            if kind in ("refresh", "all"):
                session.refresh_expires_at = past
            count += 1
        return count

    def revoke_all(self, owner: int | None = None) -> int:
        doomed = [s for s in self.sessions.values() if owner is None or s.owner == owner]
        for session in doomed:
            self.revoke(session)
        return len(doomed)

    def _forget_tokens(self, session: OAuthSession) -> None:
        self._by_access.pop(session.access_token, None)
        self._by_refresh.pop(session.refresh_token, None)
        self._dead_refresh.add(session.refresh_token)
        self._end_grace(session)

    def _end_grace(self, session: OAuthSession) -> None:
        if session.previous_refresh is not None:
            self._by_refresh.pop(session.previous_refresh, None)
            self._dead_refresh.add(session.previous_refresh)
            session.previous_refresh = None


def _token() -> str:
    # Opaque, long and URL-safe like the platform's; deliberately not a JWT so nobody parses it.
    return secrets.token_urlsafe(48)


def looks_like_token(value: str) -> bool:
    """Whether `value` could be a token the platform issued (long, of token characters); one that
    cannot is refused as corrupted rather than looked up."""
    return re.fullmatch(r"[A-Za-z0-9._~+/=-]{32,}", value) is not None


def subject_of(secret: str) -> str:
    """A short, non-reversible stand-in for a credential, for rate-limit keys."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


# --- Faults and latency ----------------------------------------------------------------------------


@dataclass
class Fault:
    """Trouble for matching requests: the next `remaining` of them, or each with probability `chance`.

    Kinds: "status" (an error answer with HTTP `status`, optional Retry-After); "drop" (the connection
    closes once the request was received, which the platform never processed); "lost" (the platform
    processes the request, then the connection closes before the answer: the call may ring although
    the client saw only a network error); "malformed" (a 200 with broken JSON); "delay" (`seconds`
    of extra latency, then the normal answer).
    """

    kind: FaultKind
    path: str = "*"
    method: str = "*"
    remaining: int = 1
    status: int = 500
    retry_after: float | None = None
    chance: float | None = None
    """With a chance, the fault stays until cleared and strikes each matching request that often."""
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return _route_matches(self.method, self.path, method, path)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "method": self.method,
            "remaining": None if self.chance is not None else self.remaining,
            "status": self.status,
            "retryAfter": self.retry_after,
            "chance": self.chance,
            "seconds": self.seconds,
        }


@dataclass
class Latency:
    seconds: float
    path: str = "*"
    method: str = "*"

    def matches(self, method: str, path: str) -> bool:
        return _route_matches(self.method, self.path, method, path)


class FaultBook:
    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.latencies: list[Latency] = []
        self.struck: Counter[str] = Counter()
        """Faults that struck since the last reset, by kind (the request log keeps only the latest)."""
        self._random = random.Random()

    def reset(self) -> None:
        self.faults.clear()
        self.latencies.clear()
        self.struck.clear()

    def seed(self, seed: int) -> None:
        """Make the chance faults strike the same requests in every run with the same traffic."""
        self._random.seed(seed)

    def take(self, method: str, path: str) -> Fault | None:
        """The first matching fault that strikes: counted ones count down (and go when used up),
        chance ones roll their dice."""
        for fault in self.faults:
            if not fault.matches(method, path):
                continue
            if fault.chance is not None:
                if self._random.random() >= fault.chance:
                    continue
            else:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
            self.struck[fault.kind] += 1
            return fault
        return None

    def latency(self, method: str, path: str) -> float:
        """The most specific matching latency: the last one added that matches wins."""
        for latency in reversed(self.latencies):
            if latency.matches(method, path):
                return latency.seconds
        return 0.0


def _route_matches(method_pattern: str, path_pattern: str, method: str, path: str) -> bool:
    if method_pattern != "*" and method_pattern.upper() != method.upper():
        return False
    return fnmatch.fnmatchcase(path, path_pattern)


# --- Request log ----------------------------------------------------------------------------------


@dataclass
class LogEntry:
    time: float
    method: str
    path: str
    query: dict[str, list[str]]
    status: int | None = None
    group: str | None = None
    client_id: str | None = None
    owner: int | None = None
    fault: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "isoTime": datetime.fromtimestamp(self.time, UTC).isoformat(timespec="milliseconds"),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "group": self.group,
            "clientId": self.client_id,
            "owner": self.owner,
            "fault": self.fault,
        }


class RequestLog:
    def __init__(self, size: int = 5000) -> None:
        self.entries: deque[LogEntry] = deque(maxlen=size)

    def start(self, method: str, path: str, query: dict[str, list[str]]) -> LogEntry:
        redacted = {k: (["***"] * len(v) if k.lower() in SECRET_PARAMS else v) for k, v in query.items()}
        entry = LogEntry(time=time.time(), method=method, path=path, query=redacted)
        self.entries.append(entry)
        return entry


# --- The whole state -------------------------------------------------------------------------------


@dataclass
class SimState:
    scenario: Scenario
    original: Scenario = field(init=False)
    oauth: OAuthStore = field(default_factory=OAuthStore)
    calls: CallBook = field(default_factory=CallBook)
    faults: FaultBook = field(default_factory=FaultBook)
    log: RequestLog = field(default_factory=RequestLog)
    push: PushHub = field(default_factory=PushHub)
    limiter: RateLimiter = field(init=False)
    _directory: list[DirectoryEntry] | None = field(init=False, default=None)  # see `directory`

    def __post_init__(self) -> None:
        self.original = copy.deepcopy(self.scenario)
        self.limiter = RateLimiter(self.scenario.rate_limits)
        self.calls.on_change = self.push.call_changed
        self.calls.name_of = lambda owner: user.name if (user := self.user(owner)) else ""
        self.push.presence_of = self.presence
        self.oauth.on_revoke = lambda session: self.push.end_oauth_session(session.id)

    def reset(self) -> None:
        """Back to the scenario as loaded: no sessions, calls, faults, counters or log."""
        self.scenario = copy.deepcopy(self.original)
        self.limiter = RateLimiter(self.scenario.rate_limits)
        self._directory = None
        self.oauth.reset()
        self.calls.reset()
        self.faults.reset()
        self.push.reset()
        self.log.entries.clear()

    @property
    def directory(self) -> list[DirectoryEntry]:
        """The account's company directory (`ringdesk.simulator.directory`), made from the scenario
        when it is first asked for (most runs never ask)."""
        if self._directory is None:
            from ringdesk.simulator.directory import company_directory

            self._directory = company_directory(self.scenario.account)
        return self._directory

    def user(self, extension_id: int) -> User | None:
        return self.scenario.user(extension_id)

    def presence(self, extension_id: int) -> dict[str, Any]:
        """The extension's detailed presence as a presence event carries it: statuses and active calls."""
        now = self.calls.now()
        entries = [e for c in self.calls.active_for(extension_id) if (e := c.presence_entry(now)) is not None]
        if any(e["telephonyStatus"] == "CallConnected" for e in entries):
            telephony = "CallConnected"
        elif entries:
            telephony = "Ringing"
        else:
            telephony = "NoCall"
        return {
            "telephonyStatus": telephony,
            "activeCalls": entries,
            "presenceStatus": "Busy" if entries else "Available",
            "userStatus": "Available",
            "dndStatus": "TakeAllCalls",
            "meetingStatus": "Disconnected",
            "allowSeeMyPresence": True,
            "ringOnMonitoredCall": False,
            "pickUpCallsOnHold": False,
            "totalActiveCalls": len(entries),
        }
