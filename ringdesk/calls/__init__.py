"""Calls, Qt-free: the call state machine (`state`) and the service that places and follows calls."""

from ringdesk.calls.service import (
    Call,
    CallActionUnavailable,
    CallHistoryLike,
    CallService,
    FeedStatusSource,
    PollingStatusSource,
    StatusSink,
    StatusSource,
)
from ringdesk.calls.state import (
    CallState,
    Phase,
    failure_sentence,
    next_state,
)

__all__ = [
    "Call",
    "CallActionUnavailable",
    "CallHistoryLike",
    "CallService",
    "CallState",
    "FeedStatusSource",
    "Phase",
    "PollingStatusSource",
    "StatusSink",
    "StatusSource",
    "failure_sentence",
    "next_state",
]
