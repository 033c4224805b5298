"""RingOut calls followed by telephony-session events: which session is which call, and where it stands.

The push gateway (`push.PushGateway`) delivers the extension's telephony-session events; this module
turns them into the neutral `CallProgress` of the calls RingDesk placed (`RingOutFeed`, the
platform's `CallFeed`).

**Matching.** Nothing in an event names the RingOut that made it, so a session is matched to a
call by what both know: its origin is RingOut, one of its parties has the destination's number
(or the operator's phone), and it started close to when RingDesk placed the call. Events can arrive
before `place_call` has answered, so sessions are kept for a while (`KEEP_SESSIONS_FOR`) and matched
when the call is followed.

**Order.** Each event carries the parties that changed and the session's `sequence`. Events can
come out of order or twice (after a reconnection, the gateway replays what was missed), so each
party keeps the status of the highest sequence seen, and an older or repeated one changes nothing.

**Parties as legs.** A RingOut session has two parties: the Initiator rings the operator's own
phone (the caller leg), the Target rings the destination (the callee leg). Their status codes:

    Setup, Proceeding                       -> PENDING   (about to ring, ringing)
    Answered, Hold, Parked, VoiceMail ...   -> ANSWERED
    Disconnected or Gone with a failure     -> FAILED, the reason as a `Failure` (TargetBusy -> BUSY,
      reason                                   Timeout -> NO_ANSWER: nobody pressed 1)
    Disconnected or Gone, otherwise         -> FINISHED after it was answered, else PENDING

The call as a whole: FAILED when a leg failed (the caller's failure first), ANSWERED while both
legs are, FINISHED once an answered leg ended while the other was answered too, or once every
party has ended. A call that ended without either leg saying why (the operator hung up while the
destination rang, say) is thus FINISHED without having connected, and the call service asks the
platform's record how it went rather than guessing from reason words it does not know.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ringdesk.numbers import digits_of, same_number
from ringdesk.platforms.base import (
    CallFeedListener,
    CallHandle,
    CallProgress,
    Failure,
    Leg,
    LegStatus,
)
from ringdesk.platforms.ringcentral.client import PlatformClient
from ringdesk.platforms.ringcentral.models import CallParty, TelephonyEvent, epoch_of
from ringdesk.platforms.ringcentral.push import PushGateway

__all__ = ["KEEP_SESSIONS_FOR", "MATCH_WINDOW", "RingOutFeed", "RingOutSessions", "leg_from_party"]

_log = logging.getLogger("ringdesk.platforms.ringcentral")

MATCH_WINDOW = 120.0
"""Seconds between placing a call and its session's first event within which they may match."""
KEEP_SESSIONS_FOR = 300.0
"""Seconds a session nobody follows is kept after its last event: one no call has claimed (then it
is not RingDesk's), or one whose call is settled (so that its late events are known as its own)."""

_PENDING_CODES = frozenset({"setup", "proceeding"})
_ENDED_CODES = frozenset({"disconnected", "gone"})
_REASONS: Mapping[str, Failure] = {
    "targetbusy": Failure.BUSY,
    "noanswer": Failure.NO_ANSWER,
    # Also how the operator's own leg ends when nobody pressed 1 in time, after it was answered.
    "timeout": Failure.NO_ANSWER,
    "voicemail": Failure.NO_ANSWER,
    # A cancel shows as the legs being dropped; the state machine tells RingDesk's own cancel apart.
    "rejected": Failure.DECLINED,
    "cancelled": Failure.DECLINED,
    "internationaldisabled": Failure.INTERNATIONAL_DISABLED,
    "destinationblocked": Failure.BLOCKED,
    "notenoughfunds": Failure.NOT_ENOUGH_FUNDS,
    "invalidnumber": Failure.NO_SUCH_NUMBER,
    "nosuchuser": Failure.NO_SUCH_NUMBER,
    "internalerror": Failure.SERVICE_ERROR,
}


def leg_from_party(party: CallParty | None, *, answered_before: bool) -> Leg:
    """One party's status as a `Leg` (see the module docstring); no party yet is a pending leg."""
    if party is None:
        return Leg(LegStatus.PENDING)
    code = (party.status_code or "").strip()
    folded = code.casefold()
    reason = (party.status_reason or "").strip()
    if not folded or folded in _PENDING_CODES:
        return Leg(LegStatus.PENDING, word=code)
    if folded not in _ENDED_CODES:
        return Leg(LegStatus.ANSWERED, word=code)
    failure = _REASONS.get(reason.casefold())
    if failure is not None:
        return Leg(LegStatus.FAILED, failure, reason)
    return Leg(LegStatus.FINISHED if answered_before else LegStatus.PENDING, word=code)


@dataclass
class _Party:
    sequence: int
    party: CallParty
    answered: bool
    """Seen in a state that means the phone was answered, at any sequence so far."""


@dataclass
class _Session:
    id: str
    first_seen: float
    """Wall-clock time of the session's first event (its `eventTime`, else when it arrived)."""
    last_event: float
    """Monotonic time of its last event, for forgetting it."""
    parties: dict[str, _Party] = field(default_factory=dict)
    """By role ("Initiator", "Target"), else by party id."""
    call_id: str | None = None
    """The RingOut this session is, once matched."""

    def party(self, role: str) -> _Party | None:
        return self.parties.get(role)

    def numbers(self) -> list[str]:
        return [
            digits_of(number)
            for known in self.parties.values()
            for number in (known.party.to_number, known.party.from_number)
            if number
        ]

    def progress(self, call_id: str) -> CallProgress:
        caller, callee = _leg(self.party("Initiator")), _leg(self.party("Target"))
        return CallProgress(
            call_id, call=_whole_call(caller, callee, self.ended), caller=caller, callee=callee
        )

    @property
    def ended(self) -> bool:
        """Every party seen so far has left the call."""
        return bool(self.parties) and all(
            (known.party.status_code or "").strip().casefold() in _ENDED_CODES
            for known in self.parties.values()
        )


def _leg(known: _Party | None) -> Leg:
    if known is None:
        return Leg(LegStatus.PENDING)
    return leg_from_party(known.party, answered_before=known.answered)


def _whole_call(caller: Leg, callee: Leg, ended: bool) -> Leg:
    for leg in (caller, callee):
        if leg.status is LegStatus.FAILED:
            return leg
    statuses = {caller.status, callee.status}
    if statuses == {LegStatus.ANSWERED}:
        return Leg(LegStatus.ANSWERED, word="Answered")
    if ended or (LegStatus.FINISHED in statuses and statuses <= {LegStatus.ANSWERED, LegStatus.FINISHED}):
        return Leg(LegStatus.FINISHED, word="Disconnected")
    return Leg(LegStatus.PENDING)


@dataclass
class _Watch:
    handle: CallHandle
    listener: CallFeedListener
    session_id: str | None = None


class RingOutSessions:
    """The telephony sessions of the extension's RingOuts, matched to the calls RingDesk follows.

    `apply(event)` takes each event in; followed calls hear their progress through their
    `CallFeedListener`. Everything runs on the event loop. `clock` is monotonic (for forgetting),
    `wall_clock` stamps sessions whose events carry no time.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._wall_clock = wall_clock
        self._sessions: dict[str, _Session] = {}
        self._watches: dict[str, _Watch] = {}

    # ------------------------------------------------------------------ calls

    def follow(self, call: CallHandle, listener: CallFeedListener) -> Callable[[], None]:
        watch = _Watch(call, listener)
        self._watches[call.call_id] = watch
        session = self._best_session_for(call)
        if session is not None:
            self._claim(session, watch)

        def stop() -> None:
            # The call is settled. Its session stays claimed (until `_forget_old` drops it) so that
            # a late event of it is known as this call's and not matched to the next call to the
            # same number, which a redial places seconds later.
            if self._watches.get(call.call_id) is watch:
                del self._watches[call.call_id]

        return stop

    def matched(self, call_id: str) -> bool:
        watch = self._watches.get(call_id)
        return watch is not None and watch.session_id is not None

    def session_of(self, call_id: str) -> str | None:
        """The telephony session id of a followed call, once matched (for hanging up exactly it)."""
        watch = self._watches.get(call_id)
        return watch.session_id if watch is not None else None

    def listeners(self) -> list[CallFeedListener]:
        return [watch.listener for watch in self._watches.values()]

    # ------------------------------------------------------------------ events

    def apply(self, event: TelephonyEvent) -> None:
        """Take one event in (see the module docstring for order and matching)."""
        if not event.is_ringout:
            return
        now = self._clock()
        self._forget_old(now)
        session = self._sessions.get(event.session_id)
        if session is None:
            started = epoch_of(event.event_time) or self._wall_clock()
            session = _Session(event.session_id, first_seen=started, last_event=now)
            self._sessions[event.session_id] = session
        session.last_event = now
        changed = False
        for party in event.parties:
            key = party.ringout_role or party.id or ""
            known = session.parties.get(key)
            if known is not None and event.sequence <= known.sequence:
                continue  # stale or repeated
            answered = (known is not None and known.answered) or _is_answered(party)
            session.parties[key] = _Party(event.sequence, party, answered)
            changed = True
        if not changed:
            return
        if session.call_id is None:
            watch = self._best_watch_for(session)
            if watch is not None:
                self._claim(session, watch)
            return
        watch = self._watches.get(session.call_id)
        if watch is not None:
            watch.listener.progress(session.progress(session.call_id))

    # ------------------------------------------------------------------ internals

    def _claim(self, session: _Session, watch: _Watch) -> None:
        session.call_id = watch.handle.call_id
        watch.session_id = session.id
        _log.info("call %s follows telephony session %s", watch.handle.call_id, session.id)
        watch.listener.progress(session.progress(watch.handle.call_id))

    def _best_session_for(self, call: CallHandle) -> _Session | None:
        candidates = [
            (abs(session.first_seen - call.placed_at), session)
            for session in self._sessions.values()
            if session.call_id is None and _may_be(session, call)
        ]
        return min(candidates, key=lambda pair: pair[0])[1] if candidates else None

    def _best_watch_for(self, session: _Session) -> _Watch | None:
        candidates = [
            (abs(session.first_seen - watch.handle.placed_at), watch)
            for watch in self._watches.values()
            if watch.session_id is None and _may_be(session, watch.handle)
        ]
        return min(candidates, key=lambda pair: pair[0])[1] if candidates else None

    def _forget_old(self, now: float) -> None:
        for session_id, session in list(self._sessions.items()):
            followed = session.call_id is not None and session.call_id in self._watches
            if not followed and now - session.last_event > KEEP_SESSIONS_FOR:
                del self._sessions[session_id]


def _may_be(session: _Session, call: CallHandle) -> bool:
    """Whether `session` may be the RingOut `call` placed: close in time, and the destination's number.

    The operator's own phone is in every one of their RingOuts, so it tells nothing about which
    one this is; a session that never shows the destination stays unmatched (its call is polled).
    """
    if abs(session.first_seen - call.placed_at) > MATCH_WINDOW:
        return False
    wanted = digits_of(call.destination)
    target = session.party("Target")
    if target is not None and target.party.to_number:
        # The Target rings the destination: when it says where, that decides.
        return same_number(digits_of(target.party.to_number), wanted)
    return any(same_number(number, wanted) for number in session.numbers())


def _is_answered(party: CallParty) -> bool:
    code = (party.status_code or "").strip().casefold()
    return bool(code) and code not in _PENDING_CODES and code not in _ENDED_CODES


class RingOutFeed:
    """RingCentral's `CallFeed`: telephony-session events from the push gateway, matched to calls.

    Started once the operator is signed in (`start`), closed at sign-out (`aclose`). Until the
    gateway is live, and for a call whose events have not been found yet, calls are polled.
    """

    def __init__(self, client: PlatformClient) -> None:
        self.sessions = RingOutSessions()
        self.gateway = PushGateway(client, on_event=self.sessions.apply, on_live=self._live_changed)

    @property
    def live(self) -> bool:
        return self.gateway.live

    def follow(self, call: CallHandle, listener: CallFeedListener) -> Callable[[], None]:
        return self.sessions.follow(call, listener)

    def matched(self, call_id: str) -> bool:
        return self.sessions.matched(call_id)

    def start(self) -> None:
        self.gateway.start()

    async def aclose(self) -> None:
        await self.gateway.aclose()

    def _live_changed(self, live: bool, missed: bool) -> None:
        for listener in self.sessions.listeners():
            listener.live_changed(live)
            if live and missed:
                listener.missed_events()
