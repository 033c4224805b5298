"""RingOut's status words as the neutral `CallProgress` the call state machine reads.

A RingOut reports three words: `callStatus` (the whole call), `callerStatus` (the operator's phone,
rung first) and `calleeStatus` (the destination). Each becomes one `Leg`:

    "" or missing, InProgress  -> PENDING    (nothing said yet, or ringing)
    Success                    -> ANSWERED
    Finished                   -> FINISHED
    a documented failure word  -> FAILED with its `Failure` (Rejected -> DECLINED, ...)
    any other word             -> FAILED, UNRECOGNISED

Words compare without regard to case or surrounding spaces, because the platform's spelling varies
(the API reference says `NosuchUser`, older guides `NoSuchUser`). Every leg keeps the word exactly
as the platform sent it: the call history stores it as the leg's status, and a failed leg's word
as the error code.
"""

from __future__ import annotations

from collections.abc import Mapping

from ringdesk.platforms.base import CallProgress, Failure, Leg, LegStatus
from ringdesk.platforms.ringcentral.models import RingOutStatus

__all__ = ["KNOWN_RINGOUT_STATUSES", "leg_from_ringout", "progress_from_ringout"]

_PROGRESS: Mapping[str, LegStatus] = {
    "InProgress": LegStatus.PENDING,
    "Success": LegStatus.ANSWERED,
    "Finished": LegStatus.FINISHED,
}
_FAILURES: Mapping[str, Failure] = {
    "Busy": Failure.BUSY,
    "NoAnswer": Failure.NO_ANSWER,
    # Also what a leg shows after the RingOut was cancelled while it rang.
    "Rejected": Failure.DECLINED,
    "InternationalDisabled": Failure.INTERNATIONAL_DISABLED,
    "DestinationBlocked": Failure.BLOCKED,
    "GenericError": Failure.NETWORK_ERROR,
    "NotEnoughFunds": Failure.NOT_ENOUGH_FUNDS,
    "CannotReach": Failure.UNREACHABLE,
    "NoSessionFound": Failure.LOST,
    "Invalid": Failure.UNCLEAR,
    "Error": Failure.SERVICE_ERROR,
    "NoAnsweringMachine": Failure.SERVICE_FAILED,
    "RingOutFromThisNumberIsNotSupported": Failure.NOT_SUPPORTED,
    "NoSuchUser": Failure.NO_SUCH_NUMBER,
    "Unknown": Failure.UNSPECIFIED,
}
_FOLDED_PROGRESS = {word.casefold(): status for word, status in _PROGRESS.items()}
_FOLDED_FAILURES = {word.casefold(): failure for word, failure in _FAILURES.items()}

KNOWN_RINGOUT_STATUSES: frozenset[str] = frozenset(_PROGRESS) | frozenset(_FAILURES)
"""Every RingOut status word RingDesk understands, as the platform documents it."""


def progress_from_ringout(status: RingOutStatus) -> CallProgress:
    """The RingOut's three statuses as one `CallProgress` (its id is the call id)."""
    return CallProgress(
        call_id=status.id,
        call=leg_from_ringout(status.call_status),
        caller=leg_from_ringout(status.caller_status),
        callee=leg_from_ringout(status.callee_status),
    )


def leg_from_ringout(word: str | None) -> Leg:
    """One RingOut status word as a `Leg`; see the module docstring for the mapping."""
    raw = word or ""
    folded = raw.strip().casefold()
    if not folded:
        return Leg(LegStatus.PENDING, word=raw)
    progress = _FOLDED_PROGRESS.get(folded)
    if progress is not None:
        return Leg(progress, word=raw)
    return Leg(LegStatus.FAILED, _FOLDED_FAILURES.get(folded, Failure.UNRECOGNISED), raw)
