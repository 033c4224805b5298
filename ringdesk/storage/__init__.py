"""Local storage: the call history in SQLite (Qt-free)."""

from ringdesk.storage.history import (
    CALL_STATES,
    CallHistory,
    CallRecord,
    HistoryError,
    HistoryUnavailable,
)

__all__ = ["CALL_STATES", "CallHistory", "CallRecord", "HistoryError", "HistoryUnavailable"]
