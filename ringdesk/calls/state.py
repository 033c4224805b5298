"""The one call state machine: the platform's RingOut statuses in, a plain-words `CallState` out.

Pure: no I/O, no clock of its own, no Qt. Every status source (polling now, push events later)
feeds `next_state`, and every view renders the `CallState` it returns.

How the platform's three statuses (`callStatus`, `callerStatus`, `calleeStatus`, compared without
regard to case) become a phase, in this order:

1. Any value RingDesk does not know -> FAILED, showing the raw text (the platform adds values).
2. A failure on the operator's leg -> FAILED, "Your phone ..."; then a failure on the destination's
   leg -> FAILED, "The number you called ..."; then a failure only in `callStatus` -> FAILED with a
   sentence about the call. The legs come first because they say whose phone it was.
3. `Finished` (the platform's "In Progress > Success > Finished") -> ENDED.
4. `callStatus` Success, or both legs Success -> CONNECTED (`connected_at` is set once).
5. Operator's leg Success, destination's leg InProgress -> WAITING_FOR_PRESS_1 when the call was
   placed with "press 1", else CALLING_DESTINATION. RingOut statuses cannot tell "waiting for the
   press" from "destination ringing after the press" (both are Success/InProgress), so with the
   prompt the call stays in WAITING_FOR_PRESS_1 until it connects; its words cover both.
6. Otherwise -> CALLING_YOU.

YOU_ANSWERED is never produced from RingOut statuses: without the prompt the platform dials the
destination the moment the operator answers, so the state would only flash. It exists for push
events (a telephony session whose initiator has answered and whose target is not yet set up).

The RingOut disappearing (`gone=True`, a 404 on status) means ENDED after the call connected,
CANCELLED when RingDesk cancelled it, and FAILED ("The call ended before it connected.") otherwise.

States never go backwards: a stale or reordered status that would move the phase back is ignored,
and ENDED, FAILED and CANCELLED are final.

Times (`connected_at`, `ended_at`) are whatever clock the caller passes as `now`; the RingOut
service passes the wall clock (seconds since the epoch) so the call history can store them as is.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from ringdesk.errors import friendly_message
from ringdesk.platforms.ringcentral.models import RingOutStatus

__all__ = [
    "CALL_CONTROL_MISSING",
    "CONNECTION_TROUBLE",
    "CREATE_ERROR_SENTENCES",
    "ENDED_BEFORE_CONNECT",
    "KNOWN_STATUSES",
    "CallState",
    "Phase",
    "create_error_sentence",
    "failure_sentence",
    "initial_state",
    "next_state",
    "placing_state",
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
        """Placed and not yet connected: the phases in which a RingOut can still be cancelled."""
        return self in _RINGING

    @property
    def history_state(self) -> str:
        """The call history's word for this phase."""
        return _HISTORY_STATES[self]


_FINAL = frozenset({Phase.ENDED, Phase.FAILED, Phase.CANCELLED})
_RINGING = frozenset(
    {Phase.CALLING_YOU, Phase.YOU_ANSWERED, Phase.WAITING_FOR_PRESS_1, Phase.CALLING_DESTINATION}
)
_HISTORY_STATES = {
    Phase.IDLE: "placing",
    Phase.PLACING: "placing",
    Phase.CALLING_YOU: "ringing",
    Phase.YOU_ANSWERED: "ringing",
    Phase.WAITING_FOR_PRESS_1: "ringing",
    Phase.CALLING_DESTINATION: "ringing",
    Phase.CONNECTED: "connected",
    Phase.ENDED: "ended",
    Phase.FAILED: "failed",
    Phase.CANCELLED: "cancelled",
}
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
    "Hanging up from RingDesk needs the Call Control permission, which this app was not granted; "
    "hang up on your phone."
)
CONNECTION_TROUBLE = "Connection trouble; still trying"
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
    """One sentence for how the call ended (always set for FAILED; raw text for unknown values)."""
    error_code: str | None = None
    """The status value or platform error code behind a failure (`Busy`, `TEL-109`)."""
    raw: tuple[str, str, str] | None = None
    """The last (callStatus, callerStatus, calleeStatus) seen, as the platform spelled them."""
    connected_at: float | None = None
    ended_at: float | None = None
    can_cancel: bool = False
    can_hang_up: bool = False
    hang_up_unavailable_reason: str | None = None
    """Why Hang up is disabled while connected (a tooltip); None when it is enabled or moot."""
    destination: str = ""
    """The number as the person reads it ("+1 650-555-1234"), for the headlines."""
    notice: str | None = None
    """A passing remark that does not change the phase ("Connection trouble; still trying")."""

    @property
    def final(self) -> bool:
        return self.phase.final

    def duration(self, now: float | None = None) -> float | None:
        """Seconds connected: until `ended_at`, else until `now`; None when it never connected."""
        if self.connected_at is None:
            return None
        end = self.ended_at if self.ended_at is not None else now
        return None if end is None else max(0.0, end - self.connected_at)


def initial_state(destination: str = "") -> CallState:
    return CallState(Phase.IDLE, "Ready", "", "", destination=destination)


def placing_state(destination: str) -> CallState:
    """The state while the RingOut request is on its way (nothing is ringing yet)."""
    return _make(Phase.PLACING, destination, call_control=False)


def next_state(
    previous: CallState,
    status: RingOutStatus | None,
    *,
    play_prompt: bool,
    now: float,
    gone: bool = False,
    call_control: bool,
    cancelled: bool = False,
) -> CallState:
    """The state after `status` (or after the RingOut vanished, `gone=True`).

    `cancelled` says RingDesk asked to cancel this call, so its disappearance (or a `Rejected`
    leg, which is how the platform reports a cancel) is a cancel, not a failure. `status=None`
    without `gone` changes nothing except the hang-up permission. See the module docstring.
    """
    if previous.phase.final:
        return previous
    if gone:
        candidate = _gone_state(previous, now, call_control=call_control, cancelled=cancelled)
    elif status is None:
        return _with_permission(previous, call_control)
    else:
        candidate = _state_for(previous, status, play_prompt=play_prompt, now=now, call_control=call_control)
        if cancelled and candidate.phase is Phase.FAILED and _rejected(status):
            candidate = _make(
                Phase.CANCELLED,
                previous.destination,
                call_control=call_control,
                outcome=_CANCELLED,
                raw=candidate.raw,
                connected_at=previous.connected_at,
                ended_at=now,
            )
    if _RANK[candidate.phase] < _RANK[previous.phase]:
        # A stale answer (polls and pushes can arrive out of order): keep what we know.
        return _with_permission(previous, call_control)
    if candidate.phase is previous.phase and candidate.phase is not Phase.FAILED:
        # Same phase: keep the first `connected_at` and update only what the status adds.
        return dataclasses.replace(
            previous,
            raw=candidate.raw or previous.raw,
            can_hang_up=candidate.can_hang_up,
            hang_up_unavailable_reason=candidate.hang_up_unavailable_reason,
        )
    return candidate


def failure_sentence(leg: str, status: str, *, previous: Phase | None = None) -> str:
    """The one sentence for a failure `status` on `leg` ("caller", "callee" or "call")."""
    entry = _FAILURES.get(_fold(status))
    if entry is None:
        return f"The call failed with a status RingDesk does not know: {status}"
    if leg == "caller":
        if _fold(status) == "noanswer" and previous is Phase.WAITING_FOR_PRESS_1:
            return _PRESS_1_TIMEOUT
        return entry.yours
    if leg == "callee":
        return entry.theirs
    return entry.call


# --------------------------------------------------------------------------- RingOut create errors

# Codes the platform returns when a RingOut cannot be placed. The sentences themselves live in
# `ringdesk.errors` (one place for every error text); this table only adds what placing a RingOut
# implies: which parameter a bare `CMN-102` is about, and what a missing permission means here.
_CREATE_IMPLIED_PARAMETER: Mapping[str, str] = {"CMN-102": "from.forwardingNumberId"}
_CREATE_OWN_SENTENCES: Mapping[str, str] = {
    "CMN-401": (
        "RingDesk is not allowed to place RingOut calls on your account; ask your administrator to "
        "give the app the RingOut permission."
    ),
}
_CREATE_CODES = (
    "TEL-108",
    "TEL-109",
    "TEL-107",
    "RNG-102",
    "CMN-102",
    "CMN-401",
    "CMN-112",
    "BIL-103",
    "TEL-101",
    "TEL-102",
)


def create_error_sentence(error_code: str | None, parameter_name: str | None = None) -> str | None:
    """The sentence for an error code met when placing a RingOut, or None for other codes."""
    if not error_code:
        return None
    code = error_code.upper()
    own = _CREATE_OWN_SENTENCES.get(code)
    if own is not None:
        return own
    if code not in _CREATE_CODES:
        return None
    return friendly_message(code, parameter_name or _CREATE_IMPLIED_PARAMETER.get(code))


CREATE_ERROR_SENTENCES: Mapping[str, str] = {
    code: sentence for code in _CREATE_CODES if (sentence := create_error_sentence(code)) is not None
}
"""Every RingOut create error code with its sentence (for views and documentation)."""


# --------------------------------------------------------------------------- statuses


class _Failure(NamedTuple):
    word: str
    """The leg in a word or two, for the per-leg lines."""
    yours: str
    theirs: str
    call: str


_FAILURE_LIST: dict[str, _Failure] = {
    "Busy": _Failure(
        "Busy",
        "Your phone was busy.",
        "The number you called was busy.",
        "The line was busy.",
    ),
    "NoAnswer": _Failure(
        "No answer",
        "You did not answer your phone.",
        "The number you called did not answer.",
        "Nobody answered.",
    ),
    "Rejected": _Failure(
        "Declined",
        "The call was declined on your phone.",
        "The number you called declined the call.",
        "The call was declined.",
    ),
    "InternationalDisabled": _Failure(
        "Calling not allowed",
        "Ringing your phone needs international calling, which is disabled on your extension.",
        "International calling is disabled on your extension.",
        "International calling is disabled on your extension.",
    ),
    "DestinationBlocked": _Failure(
        "Blocked",
        "Calls to your phone's number are blocked on your account.",
        "Calls to the number you called are blocked on your account.",
        "Calls to this number are blocked on your account.",
    ),
    "GenericError": _Failure(
        "Error",
        "The phone network reported an error while ringing your phone.",
        "The phone network reported an error while calling the number.",
        "The phone network reported an error.",
    ),
    "NotEnoughFunds": _Failure(
        "Not enough funds",
        "Your account does not have enough funds for this call.",
        "Your account does not have enough funds for this call.",
        "Your account does not have enough funds for this call.",
    ),
    "CannotReach": _Failure(
        "Unreachable",
        "Your phone could not be reached.",
        "The number you called could not be reached.",
        "The call could not be connected.",
    ),
    "NoSessionFound": _Failure(
        "Lost",
        "The phone service lost track of the call to your phone.",
        "The phone service lost track of the call to the number.",
        "The phone service lost track of the call.",
    ),
    "Invalid": _Failure(
        "Error",
        "The phone service could not tell what happened to your phone's call.",
        "The phone service could not tell what happened to the call to the number.",
        "The phone service could not tell what happened to the call.",
    ),
    "Error": _Failure(
        "Error",
        "The phone service reported an error while ringing your phone.",
        "The phone service reported an error while calling the number.",
        "The phone service reported an error.",
    ),
    "NoAnsweringMachine": _Failure(
        "Error",
        "The phone service failed while ringing your phone.",
        "The phone service failed while calling the number.",
        "The phone service failed while connecting the call.",
    ),
    "RingOutFromThisNumberIsNotSupported": _Failure(
        "Not supported",
        "RingOut cannot ring the phone you chose; choose another phone.",
        "RingOut cannot call this number.",
        "RingOut cannot ring the phone you chose; choose another phone.",
    ),
    "NoSuchUser": _Failure(
        "No such number",
        "The phone you chose to be rung does not exist.",
        "The number you called does not exist.",
        "The number does not exist.",
    ),
    "Unknown": _Failure(
        "Failed",
        "The call to your phone failed for a reason the phone service did not give.",
        "The call to the number failed for a reason the phone service did not give.",
        "The call failed for a reason the phone service did not give.",
    ),
}
# Case-folded, so `NosuchUser` (the spec) and `NoSuchUser` (older docs) are one entry.
_FAILURES: dict[str, _Failure] = {name.casefold(): entry for name, entry in _FAILURE_LIST.items()}
_PROGRESS = frozenset({"inprogress", "success", "finished"})
KNOWN_STATUSES: frozenset[str] = frozenset(_FAILURE_LIST) | {"InProgress", "Success", "Finished"}
"""Every status value RingDesk understands, as the platform documents them."""


def _fold(status: str | None) -> str:
    return (status or "").strip().casefold()


def _known(status: str | None) -> bool:
    folded = _fold(status)
    return folded == "" or folded in _PROGRESS or folded in _FAILURES


def _rejected(status: RingOutStatus) -> bool:
    return status.caller_status_is("Rejected") or status.callee_status_is("Rejected")


def _leg_word(status: str | None) -> str:
    folded = _fold(status)
    if folded in ("", "inprogress"):
        return "Not connected"
    if folded == "success":
        return "Answered"
    if folded == "finished":
        return "Ended"
    entry = _FAILURES.get(folded)
    return entry.word if entry is not None else (status or "")


def _state_for(
    previous: CallState, status: RingOutStatus, *, play_prompt: bool, now: float, call_control: bool
) -> CallState:
    raw = (status.call_status or "", status.caller_status or "", status.callee_status or "")
    destination = previous.destination
    connected_at = previous.connected_at

    def failed(outcome: str, code: str) -> CallState:
        return _make(
            Phase.FAILED,
            destination,
            call_control=call_control,
            outcome=outcome,
            error_code=code,
            raw=raw,
            connected_at=connected_at,
            ended_at=now,
            your_leg=_leg_word(status.caller_status),
            their_leg=_leg_word(status.callee_status),
        )

    for value in (status.caller_status, status.callee_status, status.call_status):
        if not _known(value):
            assert value is not None
            return failed(f"The call failed with a status RingDesk does not know: {value}", value)
    legs = (("caller", status.caller_status), ("callee", status.callee_status), ("call", status.call_status))
    for leg, value in legs:
        if _fold(value) in _FAILURES:
            assert value is not None
            return failed(failure_sentence(leg, value, previous=previous.phase), value)

    call, caller, callee = (
        _fold(v) for v in (status.call_status, status.caller_status, status.callee_status)
    )
    if call == "finished" or ("finished" in (caller, callee) and {caller, callee} <= {"finished", "success"}):
        return _make(
            Phase.ENDED,
            destination,
            call_control=call_control,
            outcome=_ENDED,
            raw=raw,
            connected_at=connected_at,
            ended_at=now,
        )
    if call == "success" or (caller == "success" and callee == "success"):
        return _make(
            Phase.CONNECTED,
            destination,
            call_control=call_control,
            raw=raw,
            connected_at=connected_at if connected_at is not None else now,
        )
    if caller == "success":
        phase = Phase.WAITING_FOR_PRESS_1 if play_prompt else Phase.CALLING_DESTINATION
        return _make(phase, destination, call_control=call_control, raw=raw)
    return _make(Phase.CALLING_YOU, destination, call_control=call_control, raw=raw)


def _gone_state(previous: CallState, now: float, *, call_control: bool, cancelled: bool) -> CallState:
    if previous.connected_at is not None or previous.phase is Phase.CONNECTED:
        return _make(
            Phase.ENDED,
            previous.destination,
            call_control=call_control,
            outcome=_ENDED,
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
            raw=previous.raw,
            ended_at=now,
        )
    return _make(
        Phase.FAILED,
        previous.destination,
        call_control=call_control,
        outcome=ENDED_BEFORE_CONNECT,
        error_code="NotFound",
        raw=previous.raw,
        ended_at=now,
        your_leg=_leg_word(previous.raw[1] if previous.raw else None),
        their_leg=_leg_word(previous.raw[2] if previous.raw else None),
    )


def _headline(phase: Phase, destination: str, outcome: str | None) -> str:
    number = destination or "the number"
    if phase is Phase.FAILED:
        return outcome or "The call failed."
    return {
        Phase.IDLE: "Ready",
        Phase.PLACING: f"Placing the call{_ELLIPSIS}",
        Phase.CALLING_YOU: f"Calling your phone{_ELLIPSIS}",
        Phase.YOU_ANSWERED: f"Answered: calling {number}{_ELLIPSIS}",
        Phase.WAITING_FOR_PRESS_1: "Answered: press 1 on your phone",
        Phase.CALLING_DESTINATION: f"Calling {number}{_ELLIPSIS}",
        Phase.CONNECTED: "Connected",
        Phase.ENDED: "Ended",
        Phase.CANCELLED: "Cancelled",
    }[phase]


_LEGS: dict[Phase, tuple[str, str]] = {
    Phase.IDLE: ("", ""),
    Phase.PLACING: ("Not rung yet", "Not rung yet"),
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
    raw: tuple[str, str, str] | None = None,
    connected_at: float | None = None,
    ended_at: float | None = None,
    your_leg: str | None = None,
    their_leg: str | None = None,
) -> CallState:
    default_yours, default_theirs = _LEGS[phase]
    state = CallState(
        phase=phase,
        headline=_headline(phase, destination, outcome),
        your_leg=your_leg if your_leg is not None else default_yours,
        their_leg=their_leg if their_leg is not None else default_theirs,
        outcome=outcome,
        error_code=error_code,
        raw=raw,
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
