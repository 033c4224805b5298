"""The one call state machine: a platform's `CallProgress` in, a plain-words `CallState` out.

Pure: no I/O, no clock of its own, no Qt, and nothing of any one platform. Every status source
(polling now, push events later, on any platform) feeds `next_state`, and every view renders the
`CallState` it returns.

A call is reported as three neutral legs (`ringdesk.platforms.base.Leg`): `call` (the whole call),
`caller` (the operator's phone, rung first) and `callee` (the destination). Each platform maps its
own status words onto a `LegStatus` and, for a failed leg, a `Failure` (RingCentral's RingOut
words: `ringdesk.platforms.ringcentral.progress`), and keeps each word in `Leg.word`: the state
carries the three as `raw` and a failed leg's word as `error_code`, so the call history stores
what the platform said. The legs become a phase in this order:

1. An UNRECOGNISED failure on any leg -> FAILED, keeping the platform's word (platforms add words).
2. A failure on the operator's leg -> FAILED, "Your phone ..."; then a failure on the destination's
   leg -> FAILED, "The number you called ..."; then a failure only on the call -> FAILED with a
   sentence about the call. The legs come first because they say whose phone it was.
3. The call FINISHED, or one leg FINISHED and the other FINISHED or ANSWERED -> ENDED.
4. The call ANSWERED, or both legs ANSWERED -> CONNECTED (`connected_at` is set once).
5. Operator's leg ANSWERED, destination's PENDING -> WAITING_FOR_PRESS_1 when the call was placed
   with "press 1", else CALLING_DESTINATION. The legs cannot tell "waiting for the press" from
   "destination ringing after the press" (RingOut reports both as Success/InProgress), so with the
   prompt the call stays in WAITING_FOR_PRESS_1 until it connects; its words cover both.
6. Otherwise -> CALLING_YOU.

`next_state` never produces YOU_ANSWERED: the legs cannot tell it from CALLING_DESTINATION, and
without the prompt RingOut dials the destination the moment the operator answers, so the state
would only flash. It exists for push events, which can tell (a telephony session whose initiator
has answered and whose target is not yet set up).

The call disappearing (`gone=True`: the platform no longer knows it) means ENDED after the call
connected, CANCELLED when RingDesk cancelled it, and FAILED ("The call ended before it connected.")
otherwise. A disappearance alone is weak evidence (a status that expired while the network was
down looks the same), so the service asks the platform's own record first and uses `gone` only
for what the record cannot settle; when neither can tell, `unknown_outcome_state` says so (ENDED,
"Outcome unknown: see your call log") rather than claim a failure.

States never go backwards: a stale or reordered status that would move the phase back is ignored,
and ENDED, FAILED and CANCELLED are final.

Times (`connected_at`, `ended_at`) are whatever clock the caller passes as `now`; the service that
follows a call passes the wall clock (seconds since the epoch) so the call history can store them
as is, and then sets a final `ended_at` to `connected_at` plus the length it measured on the
monotonic clock (or the platform's record of it), so that a jump of the wall clock cannot change
how long a call lasted.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from ringdesk.platforms.base import CallProgress, Failure, Leg, LegStatus

__all__ = [
    "CALL_CONTROL_MISSING",
    "CONNECTION_TROUBLE",
    "ENDED_BEFORE_CONNECT",
    "OUTCOME_UNKNOWN",
    "UNRECOGNISED_FAILURE",
    "CallState",
    "Phase",
    "failure_sentence",
    "next_state",
    "placing_state",
    "unknown_outcome_state",
]

_ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"


class Phase(enum.Enum):
    IDLE = "idle"
    PLACING = "placing"
    CALLING_YOU = "calling_you"
    YOU_ANSWERED = "you_answered"
    WAITING_FOR_PRESS_1 = "waiting_for_press_1"
    CALLING_DESTINATION = "calling_destination"
    CONNECTED = "connected"
    ENDED = "ended"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in _FINAL

    @property
    def ringing(self) -> bool:
        """Placed and not yet connected: the phases in which the call can still be cancelled."""
        return self in _RINGING


_FINAL = frozenset({Phase.ENDED, Phase.FAILED, Phase.CANCELLED})
_RINGING = frozenset(
    {Phase.CALLING_YOU, Phase.YOU_ANSWERED, Phase.WAITING_FOR_PRESS_1, Phase.CALLING_DESTINATION}
)
# The order phases may follow; a final phase outranks everything.
_RANK = {
    Phase.IDLE: 0,
    Phase.PLACING: 1,
    Phase.CALLING_YOU: 2,
    Phase.YOU_ANSWERED: 3,
    Phase.WAITING_FOR_PRESS_1: 4,
    Phase.CALLING_DESTINATION: 5,
    Phase.CONNECTED: 6,
    Phase.ENDED: 7,
    Phase.FAILED: 7,
    Phase.CANCELLED: 7,
}

ENDED_BEFORE_CONNECT = "The call ended before it connected."
CALL_CONTROL_MISSING = (
    "Hang up on your phone: your phone system does not let RingDesk end calls (an administrator "
    "can allow it by giving RingDesk the Call Control permission)."
)
CONNECTION_TROUBLE = "Connection trouble; still trying"
OUTCOME_UNKNOWN = "Outcome unknown: see your call log"
_OUTCOME_UNKNOWN_HEADLINE = "Outcome unknown"
_PRESS_1_TIMEOUT = "Nobody pressed 1 on your phone in time, so the call was not connected."
_CANCELLED = "You cancelled the call."
_ENDED = "The call ended."


@dataclass(frozen=True)
class CallState:
    """Everything a view shows about one call; a new object on every change."""

    phase: Phase
    headline: str
    """The phase in words: "Calling your phone…", "Connected", or the failure sentence."""
    your_leg: str
    """The operator's phone in plain words ("Ringing", "Answered", "Busy")."""
    their_leg: str
    """The destination's phone in plain words."""
    outcome: str | None = None
    """One sentence for how the call ended (always set for FAILED; shows an unrecognised word as is)."""
    error_code: str | None = None
    """The platform's word or error code behind a failure (`Busy`, `TEL-109`)."""
    raw: tuple[str, str, str] | None = None
    """The last (call, caller, callee) words seen, as the platform spelled them (`progress.words`)."""
    progress: CallProgress | None = None
    """The last progress taken in (None before the first); what a vanished call's legs were."""
    connected_at: float | None = None
    ended_at: float | None = None
    can_cancel: bool = False
    can_hang_up: bool = False
    hang_up_unavailable_reason: str | None = None
    """Why Hang up is disabled while connected (a tooltip); None when it is enabled or moot."""
    destination: str = ""
    """The number as the person reads it ("+1 650-555-1234"), for the card and the history."""
    notice: str | None = None
    """A passing remark that does not change the phase ("Connection trouble; still trying")."""
    your_phone_failed: bool = False
    """FAILED on the operator's own leg (their phone was busy, did not answer, cannot be rung):
    another of their phones may do better, so the view offers to change it."""

    @property
    def final(self) -> bool:
        return self.phase.final

    def duration(self, now: float | None = None) -> float | None:
        """Seconds connected: until `ended_at`, else until `now`; None when it never connected."""
        if self.connected_at is None:
            return None
        end = self.ended_at if self.ended_at is not None else now
        return None if end is None else max(0.0, end - self.connected_at)


def placing_state(destination: str) -> CallState:
    """The state while the request to place the call is on its way (nothing is ringing yet)."""
    return _make(Phase.PLACING, destination, call_control=False)


def unknown_outcome_state(previous: CallState, *, now: float, call_control: bool) -> CallState:
    """The final state of a call whose end RingDesk saw but whose outcome nobody could tell.

    ENDED, not FAILED: the call may well have connected, and a failure sentence would be a guess.
    What was last seen of the legs and any `connected_at` are kept; a final `previous` stays as is.
    """
    if previous.phase.final:
        return previous
    state = _make(
        Phase.ENDED,
        previous.destination,
        call_control=call_control,
        outcome=OUTCOME_UNKNOWN,
        progress=previous.progress,
        raw=previous.raw,
        connected_at=previous.connected_at,
        ended_at=now,
        your_leg=_UNKNOWN_LEG,
        their_leg=_UNKNOWN_LEG,
    )
    return dataclasses.replace(state, headline=_OUTCOME_UNKNOWN_HEADLINE)


def next_state(
    previous: CallState,
    progress: CallProgress | None,
    *,
    play_prompt: bool,
    now: float,
    gone: bool = False,
    call_control: bool,
    cancelled: bool = False,
) -> CallState:
    """The state after `progress` (or after the call vanished, `gone=True`).

    `cancelled` says RingDesk asked to cancel this call, so its disappearance (or a DECLINED
    leg, which is how RingOut reports a cancel) is a cancel, not a failure. `progress=None`
    without `gone` changes nothing except the hang-up permission. See the module docstring.
    """
    if previous.phase.final:
        return previous
    if gone:
        candidate = _gone_state(previous, now, call_control=call_control, cancelled=cancelled)
    elif progress is None:
        return _with_permission(previous, call_control)
    else:
        candidate = _state_for(
            previous, progress, play_prompt=play_prompt, now=now, call_control=call_control
        )
        if cancelled and candidate.phase is Phase.FAILED and _declined(progress):
            candidate = _make(
                Phase.CANCELLED,
                previous.destination,
                call_control=call_control,
                outcome=_CANCELLED,
                progress=progress,
                connected_at=previous.connected_at,
                ended_at=now,
            )
    if _RANK[candidate.phase] < _RANK[previous.phase]:
        # A stale answer (polls and pushes can arrive out of order): keep what we know.
        return _with_permission(previous, call_control)
    if candidate.phase is previous.phase and candidate.phase is not Phase.FAILED:
        # Same phase: keep the first `connected_at` and update only what the progress adds.
        return dataclasses.replace(
            previous,
            raw=candidate.raw or previous.raw,
            progress=candidate.progress or previous.progress,
            can_hang_up=candidate.can_hang_up,
            hang_up_unavailable_reason=candidate.hang_up_unavailable_reason,
        )
    return candidate


#: An UNRECOGNISED failure's sentence; the platform's own word for it is the state's `error_code`,
#: which the call's card shows on a details line and the history keeps.
UNRECOGNISED_FAILURE = "The call did not go through, for a reason RingDesk does not know."


def failure_sentence(leg: str, failure: Failure, *, previous: Phase | None = None) -> str:
    """The one sentence for `failure` on `leg` ("caller", "callee" or "call").

    `previous` is the phase the call was in: the operator's phone not answering while RingDesk
    waited for "press 1" means nobody pressed 1 in time.
    """
    if failure is Failure.UNRECOGNISED:
        return UNRECOGNISED_FAILURE
    words = _FAILURES[failure]
    if leg == "caller":
        if failure is Failure.NO_ANSWER and previous is Phase.WAITING_FOR_PRESS_1:
            return _PRESS_1_TIMEOUT
        return words.yours
    if leg == "callee":
        return words.theirs
    return words.call


# --------------------------------------------------------------------------- failures


class _FailureWords(NamedTuple):
    word: str
    """The leg in a word or two, for the per-leg lines."""
    yours: str
    theirs: str
    call: str


_FAILURES: Mapping[Failure, _FailureWords] = {
    Failure.BUSY: _FailureWords(
        "Busy",
        "Your phone was busy.",
        "The number you called was busy.",
        "The line was busy.",
    ),
    Failure.NO_ANSWER: _FailureWords(
        "No answer",
        "You did not answer your phone.",
        "The number you called did not answer.",
        "Nobody answered.",
    ),
    Failure.DECLINED: _FailureWords(
        "Declined",
        "The call was declined on your phone.",
        "The number you called declined the call.",
        "The call was declined.",
    ),
    Failure.INTERNATIONAL_DISABLED: _FailureWords(
        "Calling not allowed",
        "Ringing your phone needs international calling, which is disabled on your extension.",
        "International calling is disabled on your extension.",
        "International calling is disabled on your extension.",
    ),
    Failure.BLOCKED: _FailureWords(
        "Blocked",
        "Calls to your phone's number are blocked on your account.",
        "Calls to the number you called are blocked on your account.",
        "Calls to this number are blocked on your account.",
    ),
    Failure.NETWORK_ERROR: _FailureWords(
        "Error",
        "The phone network reported an error while ringing your phone.",
        "The phone network reported an error while calling the number.",
        "The phone network reported an error.",
    ),
    Failure.NOT_ENOUGH_FUNDS: _FailureWords(
        "Not enough funds",
        "Your account does not have enough funds for this call.",
        "Your account does not have enough funds for this call.",
        "Your account does not have enough funds for this call.",
    ),
    Failure.UNREACHABLE: _FailureWords(
        "Unreachable",
        "Your phone could not be reached.",
        "The number you called could not be reached.",
        "The call could not be connected.",
    ),
    Failure.LOST: _FailureWords(
        "Lost",
        "The phone service lost track of the call to your phone.",
        "The phone service lost track of the call to the number.",
        "The phone service lost track of the call.",
    ),
    Failure.UNCLEAR: _FailureWords(
        "Error",
        "The phone service could not tell what happened to your phone's call.",
        "The phone service could not tell what happened to the call to the number.",
        "The phone service could not tell what happened to the call.",
    ),
    Failure.SERVICE_ERROR: _FailureWords(
        "Error",
        "The phone service reported an error while ringing your phone.",
        "The phone service reported an error while calling the number.",
        "The phone service reported an error.",
    ),
    Failure.SERVICE_FAILED: _FailureWords(
        "Error",
        "The phone service failed while ringing your phone.",
        "The phone service failed while calling the number.",
        "The phone service failed while connecting the call.",
    ),
    Failure.NOT_SUPPORTED: _FailureWords(
        "Not supported",
        "RingOut cannot ring the phone you chose; choose another phone.",
        "RingOut cannot call this number.",
        "RingOut cannot ring the phone you chose; choose another phone.",
    ),
    Failure.NO_SUCH_NUMBER: _FailureWords(
        "No such number",
        "The phone you chose to be rung does not exist.",
        "The number you called does not exist.",
        "The number does not exist.",
    ),
    Failure.UNSPECIFIED: _FailureWords(
        "Failed",
        "The call to your phone failed for a reason the phone service did not give.",
        "The call to the number failed for a reason the phone service did not give.",
        "The call failed for a reason the phone service did not give.",
    ),
}
"""Every failure but UNRECOGNISED, whose sentence shows the platform's word instead."""

_UNKNOWN_LEG = "Unknown"

_PROGRESS_WORDS: Mapping[LegStatus, str] = {
    LegStatus.PENDING: "Not connected",
    LegStatus.ANSWERED: "Answered",
    LegStatus.FINISHED: "Ended",
}


def _failure_of(leg: Leg) -> Failure | None:
    """Why `leg` failed, or None while it has not; a failure without a reason is UNSPECIFIED."""
    if leg.status is not LegStatus.FAILED:
        return None
    return leg.failure or Failure.UNSPECIFIED


def _declined(progress: CallProgress) -> bool:
    return Failure.DECLINED in (_failure_of(progress.caller), _failure_of(progress.callee))


def _leg_word(leg: Leg | None) -> str:
    if leg is None:
        return _PROGRESS_WORDS[LegStatus.PENDING]
    failure = _failure_of(leg)
    if failure is None:
        return _PROGRESS_WORDS[leg.status]
    if failure is Failure.UNRECOGNISED:
        return "Failed"
    return _FAILURES[failure].word


def _state_for(
    previous: CallState, progress: CallProgress, *, play_prompt: bool, now: float, call_control: bool
) -> CallState:
    destination = previous.destination
    connected_at = previous.connected_at

    def failed(leg_name: str, leg: Leg, failure: Failure) -> CallState:
        outcome = failure_sentence(leg_name, failure, previous=previous.phase)
        state = _make(
            Phase.FAILED,
            destination,
            call_control=call_control,
            outcome=outcome,
            error_code=leg.word or None,
            progress=progress,
            connected_at=connected_at,
            ended_at=now,
            your_leg=_leg_word(progress.caller),
            their_leg=_leg_word(progress.callee),
        )
        # RingOut cannot ring some phones at all; that failure is reported on the whole call.
        yours = leg_name == "caller" or (leg_name == "call" and failure is Failure.NOT_SUPPORTED)
        return dataclasses.replace(state, your_phone_failed=yours)

    legs = (("caller", progress.caller), ("callee", progress.callee), ("call", progress.call))
    for leg_name, leg in legs:
        if _failure_of(leg) is Failure.UNRECOGNISED:
            return failed(leg_name, leg, Failure.UNRECOGNISED)
    for leg_name, leg in legs:
        failure = _failure_of(leg)
        if failure is not None:
            return failed(leg_name, leg, failure)

    call, caller, callee = progress.call.status, progress.caller.status, progress.callee.status
    answered_or_finished = {LegStatus.ANSWERED, LegStatus.FINISHED}
    if call is LegStatus.FINISHED or (
        LegStatus.FINISHED in (caller, callee) and {caller, callee} <= answered_or_finished
    ):
        return _make(
            Phase.ENDED,
            destination,
            call_control=call_control,
            outcome=_ENDED,
            progress=progress,
            connected_at=connected_at,
            ended_at=now,
        )
    if call is LegStatus.ANSWERED or (caller is LegStatus.ANSWERED and callee is LegStatus.ANSWERED):
        return _make(
            Phase.CONNECTED,
            destination,
            call_control=call_control,
            progress=progress,
            connected_at=connected_at if connected_at is not None else now,
        )
    if caller is LegStatus.ANSWERED:
        phase = Phase.WAITING_FOR_PRESS_1 if play_prompt else Phase.CALLING_DESTINATION
        return _make(phase, destination, call_control=call_control, progress=progress)
    return _make(Phase.CALLING_YOU, destination, call_control=call_control, progress=progress)


def _gone_state(previous: CallState, now: float, *, call_control: bool, cancelled: bool) -> CallState:
    if previous.connected_at is not None or previous.phase is Phase.CONNECTED:
        return _make(
            Phase.ENDED,
            previous.destination,
            call_control=call_control,
            outcome=_ENDED,
            progress=previous.progress,
            raw=previous.raw,
            connected_at=previous.connected_at,
            ended_at=now,
        )
    if cancelled:
        return _make(
            Phase.CANCELLED,
            previous.destination,
            call_control=call_control,
            outcome=_CANCELLED,
            progress=previous.progress,
            raw=previous.raw,
            ended_at=now,
        )
    return _make(
        Phase.FAILED,
        previous.destination,
        call_control=call_control,
        outcome=ENDED_BEFORE_CONNECT,
        error_code="NotFound",
        progress=previous.progress,
        raw=previous.raw,
        ended_at=now,
        your_leg=_leg_word(previous.progress.caller if previous.progress else None),
        their_leg=_leg_word(previous.progress.callee if previous.progress else None),
    )


def _headline(phase: Phase, outcome: str | None) -> str:
    # The state in words; the number is shown beside it, large, so it is not repeated here.
    if phase is Phase.FAILED:
        return outcome or "The call failed."
    return {
        Phase.IDLE: "Ready",
        Phase.PLACING: f"Placing the call{_ELLIPSIS}",
        Phase.CALLING_YOU: f"Calling your phone{_ELLIPSIS}",
        Phase.YOU_ANSWERED: f"You answered: calling them{_ELLIPSIS}",
        Phase.WAITING_FOR_PRESS_1: "Answered: press 1 on your phone",
        Phase.CALLING_DESTINATION: f"Calling them{_ELLIPSIS}",
        Phase.CONNECTED: "Connected",
        Phase.ENDED: "Ended",
        Phase.CANCELLED: "Cancelled",
    }[phase]


_LEGS: dict[Phase, tuple[str, str]] = {
    Phase.IDLE: ("", ""),
    Phase.PLACING: ("Waiting", "Waiting"),
    Phase.CALLING_YOU: ("Ringing", "Rings after you answer"),
    Phase.YOU_ANSWERED: ("Answered", "About to ring"),
    Phase.WAITING_FOR_PRESS_1: ("Answered: press 1", "Rings after you press 1"),
    Phase.CALLING_DESTINATION: ("Answered", "Ringing"),
    Phase.CONNECTED: ("Connected", "Connected"),
    Phase.ENDED: ("Ended", "Ended"),
    Phase.FAILED: ("", ""),
    Phase.CANCELLED: ("Cancelled", "Cancelled"),
}


def _make(
    phase: Phase,
    destination: str,
    *,
    call_control: bool,
    outcome: str | None = None,
    error_code: str | None = None,
    progress: CallProgress | None = None,
    raw: tuple[str, str, str] | None = None,
    connected_at: float | None = None,
    ended_at: float | None = None,
    your_leg: str | None = None,
    their_leg: str | None = None,
) -> CallState:
    """A fresh state for `phase`; `raw` is the progress's words unless given."""
    default_yours, default_theirs = _LEGS[phase]
    state = CallState(
        phase=phase,
        headline=_headline(phase, outcome),
        your_leg=your_leg if your_leg is not None else default_yours,
        their_leg=their_leg if their_leg is not None else default_theirs,
        outcome=outcome,
        error_code=error_code,
        raw=raw if raw is not None else (progress.words if progress is not None else None),
        progress=progress,
        connected_at=connected_at,
        ended_at=ended_at,
        can_cancel=phase.ringing,
        destination=destination,
    )
    return _with_permission(state, call_control)


def _with_permission(state: CallState, call_control: bool) -> CallState:
    connected = state.phase is Phase.CONNECTED
    can_hang_up = connected and call_control
    reason = CALL_CONTROL_MISSING if connected and not call_control else None
    if state.can_hang_up == can_hang_up and state.hang_up_unavailable_reason == reason:
        return state
    return dataclasses.replace(state, can_hang_up=can_hang_up, hang_up_unavailable_reason=reason)
