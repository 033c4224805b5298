"""Text the view models share: how a call went, when, for how long, and numbers with extensions.

The dial pad's Recent list and the history window say the same facts in the same words.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, QLocale

from ringdesk.storage.history import INTERRUPTED_OUTCOME, LIVE_STATES, CallRecord, HistoryState

__all__ = [
    "ELLIPSIS",
    "ErrorSentence",
    "call_outcome",
    "format_duration",
    "time_ago",
    "when_full",
    "when_text",
    "with_extension",
]

ErrorSentence = Callable[[str, str], "str | None"]
"""(platform, error code) -> the platform's sentence for it (`ringdesk.platforms.registry.error_sentence`)."""

ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"


def format_duration(seconds: float) -> str:
    """A call's length as the windows show it: "02:13", or "1:02:13" past an hour."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def with_extension(display: str, number: str, extension: str | None) -> tuple[str, str]:
    """A number and its extension as the windows show it and as redial types it back in.

    ("+1 650-555-1234", "+16505551234", "12") gives ("+1 650-555-1234 ext. 12", "+16505551234x12");
    without an extension, `display` and `number` as they are.
    """
    if not extension:
        return display, number
    return f"{display} ext. {extension}", f"{number}x{extension}"


def call_outcome(record: CallRecord, error_sentence: ErrorSentence | None = None) -> tuple[str, str]:
    """How a call went, in the words of the history's outcome column ("Ended · 02:13": it
    connected, for that long; "Failed: The number you called was busy."), and the stored sentence
    when the column does not include it."""
    sentence = (record.outcome or "").strip()
    state = record.state
    if state in LIVE_STATES:
        return "In progress", ""
    if state is HistoryState.ENDED:
        duration = record.duration
        if duration is None:
            return "Ended", sentence
        return f"Ended \N{MIDDLE DOT} {format_duration(duration)}", sentence
    if state is HistoryState.FAILED:
        code = record.error_code
        if not sentence and error_sentence and code:
            sentence = error_sentence(record.platform, code) or ""
        return (f"Failed: {sentence}" if sentence else "Failed"), ""
    if state is HistoryState.CANCELLED:
        return "Cancelled", sentence
    # What is left is INTERRUPTED (the history also reads a state it does not know as that).
    return f"Interrupted: {sentence or INTERRUPTED_OUTCOME}", ""


def when_text(started_at: float, now: float) -> str:
    """A call's time as the history lists it: "Today 14:05", "Yesterday 09:12", "3 Feb 14:05"."""
    moment = datetime.fromtimestamp(started_at)
    clock = moment.strftime("%H:%M")
    today = datetime.fromtimestamp(now).date()
    day = moment.date()
    if day == today:
        return f"Today {clock}"
    if day == today - timedelta(days=1):
        return f"Yesterday {clock}"
    return f"{_day_and_month(day, today)} {clock}"


def time_ago(started_at: float, now: float) -> str:
    """How long ago a call was, as a glance wants it: "just now", "2 min ago", "3 h ago",
    "yesterday", then the day ("3 Feb"); `when_full` has the exact time."""
    seconds = max(0.0, now - started_at)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    today = datetime.fromtimestamp(now).date()
    day = datetime.fromtimestamp(started_at).date()
    if day == today:
        return f"{int(seconds // 3600)} h ago"
    if day == today - timedelta(days=1):
        return "yesterday"
    return _day_and_month(day, today)


def when_full(started_at: float) -> str:
    """The exact time, in the desktop's long date format: "Monday, 7 December 2026, 14:05:33"."""
    moment = datetime.fromtimestamp(started_at)
    day = QLocale().toString(_qdate(moment.date()), QLocale.FormatType.LongFormat)
    return f"{day}, {moment.strftime('%H:%M:%S')}"


def _day_and_month(day: date, today: date) -> str:
    # The month as a word is read the same way everywhere, unlike 3/2 against 2/3.
    return QLocale().toString(_qdate(day), "d MMM" if day.year == today.year else "d MMM yyyy")


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)
