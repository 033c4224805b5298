"""Local storage: the call history in SQLite (Qt-free)."""

from ringdesk.storage.history import (
    CallHistory,
    CallRecord,
    HistoryError,
    HistoryState,
    HistoryUnavailable,
)

__all__ = ["CallHistory", "CallRecord", "HistoryError", "HistoryState", "HistoryUnavailable"]
