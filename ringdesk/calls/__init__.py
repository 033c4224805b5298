"""Calls, Qt-free: the call state machine (`state`) and the RingOut service (`ringout`)."""

from ringdesk.calls.ringout import (
    Call,
    CallActionUnavailable,
    CallHistoryLike,
    PollingStatusSource,
    RingOutService,
    StatusSink,
    StatusSource,
)
from ringdesk.calls.state import (
    CallState,
    Phase,
    create_error_sentence,
    failure_sentence,
    next_state,
)

__all__ = [
    "Call",
    "CallActionUnavailable",
    "CallHistoryLike",
    "CallState",
    "Phase",
    "PollingStatusSource",
    "RingOutService",
    "StatusSink",
    "StatusSource",
    "create_error_sentence",
    "failure_sentence",
    "next_state",
]
