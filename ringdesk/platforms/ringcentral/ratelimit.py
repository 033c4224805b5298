"""A ledger of the platform's rate limits, so that RingDesk never sends what would be refused.

The platform limits each user and app per group (Light, Medium, Heavy, Auth) over a sliding
60 s window, and a request sent during a penalty restarts the penalty. So the ledger:

- counts what we sent per group over the window and refuses to go past the known limit (the
  defaults below, or the `X-Rate-Limit-Limit` the server states, which may be higher);
- believes the server when its `X-Rate-Limit-Remaining` says more was used than we counted
  (another instance of the app, or the same user elsewhere with the same app);
- records penalties from 429 and 503 (their `Retry-After`, 30 s when it is missing) and
  answers "not before the penalty ends" for that group;
- believes a stated limit or window only when it is sane (`MAX_STATED_LIMIT`, `MAX_STATED_WINDOW`):
  a limit of a billion with nothing remaining would be counted out one send at a time, and a
  window of a billion seconds would hold the group for ever.

Pure: no I/O, no sleeping, time only from the injected clock. Not thread-safe; it lives on the
event loop with the client, and the check and the record of a send happen without an `await`
in between, so concurrent coroutines cannot both take the last slot.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ringdesk.platforms.ringcentral.endpoints import RateGroup

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_RETRY_AFTER",
    "DEFAULT_WINDOW",
    "MAX_STATED_LIMIT",
    "MAX_STATED_WINDOW",
    "GroupState",
    "RateLimitLedger",
]

DEFAULT_LIMITS: dict[str, int] = {
    RateGroup.LIGHT: 50,
    RateGroup.MEDIUM: 40,
    RateGroup.HEAVY: 10,
    RateGroup.AUTH: 5,
}
DEFAULT_WINDOW = 60.0
# The platform documents "wait at least 30 s" for a 429 that names no Retry-After.
DEFAULT_RETRY_AFTER = 30.0
MAX_STATED_LIMIT = 100_000
"""Largest `X-Rate-Limit-Limit` believed. The platform's limits are tens to hundreds per window;
test and benchmark servers raise theirs to 100,000, and the ledger may keep one entry per request
a stated limit allows, so anything above is not believed."""
MAX_STATED_WINDOW = 3600.0
"""Largest `X-Rate-Limit-Window` believed, in seconds; the platform's window is 60 s."""


@dataclass(frozen=True, slots=True)
class GroupState:
    """A snapshot of one group, for display ("next call possible in 12 s") and for logs."""

    group: str
    limit: int | None
    window: float
    used: int
    penalty_remaining: float
    next_send_in: float

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)


class _Group:
    __slots__ = ("limit", "penalty_until", "sent", "window")

    def __init__(self, limit: int | None, window: float) -> None:
        self.limit = limit
        self.window = window
        self.sent: deque[float] = deque()
        self.penalty_until = -math.inf


class RateLimitLedger:
    def __init__(
        self,
        clock: Callable[[], float],
        *,
        limits: Mapping[str, int] | None = None,
        window: float = DEFAULT_WINDOW,
        default_retry_after: float = DEFAULT_RETRY_AFTER,
    ) -> None:
        self._clock = clock
        self._default_limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self._default_window = window
        self._default_retry_after = default_retry_after
        self._groups: dict[str, _Group] = {}
        # Operations the server placed in a group other than the static table says.
        self._regrouped: dict[str, str] = {}

    # ---------------------------------------------------------------- questions

    def group_of(self, operation: str, default: str) -> str:
        """The group an operation is in: what the server last said, else the static table."""
        return self._regrouped.get(operation, default)

    def next_send_in(self, group: str) -> float:
        """Seconds until a request of `group` may be sent; 0.0 means now."""
        now = self._clock()
        state = self._group(group)
        self._expire(state, now)
        wait = max(0.0, state.penalty_until - now)
        if state.limit is not None and len(state.sent) >= state.limit:
            # The slot frees when the oldest send that keeps us at the limit leaves the window.
            blocking = state.sent[len(state.sent) - state.limit]
            wait = max(wait, blocking + state.window - now)
        return wait

    def state(self, group: str) -> GroupState:
        now = self._clock()
        g = self._group(group)
        self._expire(g, now)
        return GroupState(
            group=group,
            limit=g.limit,
            window=g.window,
            used=len(g.sent),
            penalty_remaining=max(0.0, g.penalty_until - now),
            next_send_in=self.next_send_in(group),
        )

    # ---------------------------------------------------------------- what happened

    def record_sent(self, group: str) -> None:
        """Count a request as sent now (call right before sending: it may reach the server)."""
        now = self._clock()
        state = self._group(group)
        self._expire(state, now)
        state.sent.append(now)

    def _known_spelling(self, named: str) -> str:
        """The platform spells groups in lower case ("light"); the ledger's name for the same group."""
        for group in (*self._default_limits, *self._groups):
            if group.casefold() == named.casefold():
                return group
        return named

    def observe(self, operation: str, sent_as: str, headers: Mapping[str, str]) -> str:
        """Learn from a response's `X-Rate-Limit-*` headers; returns the group the server named.

        Header lookups are case-insensitive when `headers` is an `httpx.Headers`; plain dicts
        are expected to use the canonical spelling.
        """
        now = self._clock()
        named = self._known_spelling((headers.get("X-Rate-Limit-Group") or "").strip())
        group = sent_as
        if named and named != sent_as:
            group = named
            self._regrouped[operation] = named
            self._move_last_send(sent_as, named, now)
        state = self._group(group)
        self._expire(state, now)

        window = _positive_float(headers.get("X-Rate-Limit-Window"))
        if window is not None and window <= MAX_STATED_WINDOW:
            state.window = window
        limit = _non_negative_int(headers.get("X-Rate-Limit-Limit"))
        if limit is not None and limit <= MAX_STATED_LIMIT:
            state.limit = limit
        remaining = _non_negative_int(headers.get("X-Rate-Limit-Remaining"))
        if remaining is not None and state.limit is not None:
            # The server saw more than we counted: account for the difference as if sent now,
            # which errs on the side of waiting a little longer than necessary.
            server_used = state.limit - remaining
            missing = server_used - len(state.sent)
            for _ in range(max(0, missing)):
                state.sent.append(now)
        return group

    def penalize(self, group: str, retry_after: float | None) -> float:
        """Record a penalty (from a 429 or 503); returns its length in seconds."""
        seconds = self._default_retry_after if retry_after is None else max(0.0, retry_after)
        state = self._group(group)
        state.penalty_until = max(state.penalty_until, self._clock() + seconds)
        return seconds

    def reset(self) -> None:
        self._groups.clear()
        self._regrouped.clear()

    # ---------------------------------------------------------------- internals

    def _group(self, group: str) -> _Group:
        state = self._groups.get(group)
        if state is None:
            # A group we have no number for (the server may invent new ones) is unlimited
            # until the server states a limit; penalties still apply.
            state = _Group(self._default_limits.get(group), self._default_window)
            self._groups[group] = state
        return state

    @staticmethod
    def _expire(state: _Group, now: float) -> None:
        horizon = now - state.window
        while state.sent and state.sent[0] <= horizon:
            state.sent.popleft()

    def _move_last_send(self, from_group: str, to_group: str, now: float) -> None:
        source = self._group(from_group)
        when = source.sent.pop() if source.sent else now
        target = self._group(to_group)
        target.sent.append(when)
        # Keep the deque ordered; the moved send is normally the newest anyway.
        if len(target.sent) > 1 and target.sent[-2] > when:
            target.sent = deque(sorted(target.sent))


def _positive_float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number > 0 else None


def _non_negative_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 0 else None
