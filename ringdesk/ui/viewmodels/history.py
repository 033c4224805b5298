"""The call history as the history window sees it: rows in words, search, redial, copy, delete, export.

    history_vm = HistoryViewModel(history)                # history may be None until it is open
    history_vm.set_search("555-12")                       # debounced; -> changed(HistoryView)
    history_vm.refresh()                                  # after a call changed state or finished
    history_vm.redial_requested.connect(dialer_vm.redial)
    history_vm.delete([3, 4])                             # -> "Deleted 2 calls."
    history_vm.export_csv(path)                           # what is listed; or pass record ids

Nothing is read until `refresh()` (the window calls it whenever it is shown). Every database call
runs as a task; a history that fails or is missing shows a sentence instead of rows, and nothing
here raises for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ringdesk.errors import report
from ringdesk.numbers import format_for_display
from ringdesk.qtasync import spawn as qt_spawn
from ringdesk.storage.history import LIVE_STATES, CallHistory, CallRecord, HistoryState
from ringdesk.ui.viewmodels.base import ViewModel
from ringdesk.ui.viewmodels.formatting import (
    ELLIPSIS,
    ErrorSentence,
    call_outcome,
    when_full,
    when_text,
    with_extension,
)

__all__ = ["LIMIT", "SEARCH_DELAY_MS", "HistoryRow", "HistoryView", "HistoryViewModel"]

_log = logging.getLogger("ringdesk.ui.history")

Spawn = Callable[..., "asyncio.Task[Any]"]

#: How many of the newest matching calls the window lists.
LIMIT = 500
#: Rows put into words in one turn of the event loop (a few milliseconds' work).
ROWS_PER_TURN = 100
#: Typing pauses this long before the history is searched, so a fast typist causes one query.
SEARCH_DELAY_MS = 150
UNAVAILABLE = "The call history is not available."


@dataclass(frozen=True)
class HistoryRow:
    """One call, ready to show."""

    record_id: int
    #: "Today 14:02", "Yesterday 09:10", "3 Feb 16:45", "3 Feb 2024 16:45".
    when: str
    #: The date and time in full, for a tooltip.
    when_full: str
    #: "+1 650-555-1234 ext. 12"
    number: str
    #: What the dialer dials to call back: "+16505551234x12".
    redial_number: str
    #: "Ended · 02:13", "Failed: <sentence>", "Cancelled", "Interrupted: <sentence>", "In progress".
    outcome: str
    #: The stored sentence when the outcome column does not already say it ("You hung up.").
    detail: str
    error_code: str | None
    #: The phone RingDesk rang first: its label, else its number.
    phone: str
    #: Label and number together, for a tooltip.
    phone_full: str
    #: The call failed or was interrupted (shown in the error colour).
    problem: bool
    live: bool


@dataclass(frozen=True)
class HistoryView:
    rows: tuple[HistoryRow, ...]
    #: The search the rows answer (the typed text may be newer while the debounce runs).
    search: str
    #: Shown in place of the table when there are no rows: no calls, no match, loading, or a problem.
    empty_text: str
    #: The history cannot be read; `empty_text` says why.
    problem: bool
    loading: bool
    #: A delete or export is running.
    busy: bool
    #: One line after an action ("Deleted 2 calls."), until the next one.
    message: str
    message_is_error: bool
    #: "42 calls", or that only the newest are listed.
    summary: str


class HistoryViewModel(ViewModel[HistoryView]):
    """Signals: `changed(HistoryView)`; `redial_requested(str)` with the number for the dialer."""

    redial_requested = Signal(str)

    def __init__(
        self,
        history: CallHistory | None = None,
        *,
        spawn: Spawn | None = None,
        clock: Callable[[], float] = time.time,
        error_sentence: ErrorSentence | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._spawn = spawn or qt_spawn
        self._clock = clock
        # (platform, error code) -> the platform's sentence, for failed calls stored without one.
        self._error_sentence = error_sentence
        self._history = history
        self._search = ""
        self._loaded_search = ""
        self._records: tuple[CallRecord, ...] = ()
        self._rows: tuple[HistoryRow, ...] = ()
        self._truncated = False
        self._loaded = False
        self._problem: str | None = None if history is not None else UNAVAILABLE
        self._loading = False
        self._reload = False
        self._load_task: asyncio.Task[Any] | None = None
        self._action_task: asyncio.Task[Any] | None = None
        self._message = ""
        self._message_is_error = False
        self._closed = False
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.refresh)
        self._view = self._make_view()

    # ------------------------------------------------------------------ state

    def set_history(self, history: CallHistory | None) -> None:
        """Use `history` (None while it is not open, or after it failed to open)."""
        self._history = history
        self._records, self._rows, self._truncated, self._loaded = (), (), False, False
        self._problem = None if history is not None else UNAVAILABLE
        self._publish()
        self.refresh()

    def set_search(self, text: str) -> None:
        """What the search field holds now; the history is searched once typing pauses."""
        if text == self._search:
            return
        self._search = text
        if not self._closed:
            self._debounce.start()

    def refresh(self) -> None:
        """Load the newest matching calls again (after a call changed, or when the window is shown)."""
        self._debounce.stop()
        history = self._history
        if history is None or self._closed:
            return
        if self._loading:
            # One load at a time; the newest request is served as soon as the running one ends.
            self._reload = True
            return
        self._loading = True
        self._publish()
        self._load_task = self._spawn(self._run_load(history, self._search), name="load the call history")

    def close(self) -> None:
        """Stop the search timer and any running load or action (the window is going away)."""
        self._closed = True
        self._debounce.stop()
        for task in (self._load_task, self._action_task):
            if task is not None and not task.done():
                task.cancel()

    # ------------------------------------------------------------------ intents

    def redial(self, record_id: int) -> bool:
        """Ask the dialer to call the number of `record_id` again; False when it is not listed."""
        row = self._row(record_id)
        if row is None:
            return False
        self.redial_requested.emit(row.redial_number)
        return True

    def numbers_text(self, record_ids: Iterable[int]) -> str:
        """The displayed numbers of the listed records, one per line, each once, newest first."""
        wanted = set(record_ids)
        numbers: list[str] = []
        for row in self._rows:
            if row.record_id in wanted and row.number not in numbers:
                numbers.append(row.number)
        return "\n".join(numbers)

    def copy_numbers(self, record_ids: Iterable[int]) -> str:
        """`numbers_text` for the clipboard, and a line that says what was copied."""
        text = self.numbers_text(record_ids)
        count = len(text.splitlines())
        if count:
            self._set_message(f"Copied {_calls(count, 'number')}.")
        return text

    def delete(self, record_ids: Iterable[int]) -> bool:
        """Delete the records (asked for and confirmed by the person); False when that cannot start."""
        ids = sorted({int(record_id) for record_id in record_ids})
        history = self._history
        if not ids or not self._can_act(history):
            return False
        assert history is not None
        self._action_task = self._spawn(self._run_delete(history, ids), name="delete from the call history")
        self._set_message("Deleting" + ELLIPSIS)
        return True

    def export_csv(self, path: Path | str, record_ids: Iterable[int] | None = None) -> bool:
        """Write the listed records among `record_ids`, or when None every record matching the
        search (also those beyond the listed newest), to `path` as CSV."""
        history = self._history
        if not self._can_act(history):
            return False
        assert history is not None
        records: list[CallRecord] | None = None
        if record_ids is not None:
            wanted = set(record_ids)
            records = [record for record in self._records if record.id in wanted]
            if not records:
                self._set_message("Select the calls to export first.", error=True)
                return False
        self._action_task = self._spawn(
            self._run_export(history, Path(path), records, self._loaded_search),
            name="export the call history",
        )
        self._set_message("Exporting" + ELLIPSIS)
        return True

    # ------------------------------------------------------------------ tasks

    async def _run_load(self, history: CallHistory, text: str) -> None:
        records: list[CallRecord] | None = None
        rows: tuple[HistoryRow, ...] = ()
        problem: str | None = None
        try:
            # One more than is listed tells whether there are older matches.
            records = await history.search(text, LIMIT + 1)
            rows = await _rows(records[:LIMIT], self._clock(), self._error_sentence)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            problem = report(error, context="reading the call history", logger=_log)
        finally:
            self._loading = False
            self._load_task = None
        # A history replaced while this load ran gets a load of its own below.
        current = history is self._history
        if current:
            self._problem = problem
            self._truncated = records is not None and problem is None and len(records) > LIMIT
            self._records = tuple(records[:LIMIT]) if records is not None and problem is None else ()
            self._rows = rows
            self._loaded = True
            self._loaded_search = text
        again = self._reload or not current or text != self._search
        self._reload = False
        self._publish()
        if again:
            self.refresh()

    async def _run_delete(self, history: CallHistory, ids: list[int]) -> None:
        try:
            deleted = await history.delete(ids)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._end_action(report(error, context="deleting calls", logger=_log), error=True)
        else:
            if deleted:
                self._end_action(f"Deleted {_calls(deleted)}.")
            else:
                self._end_action("Those calls were already deleted.")
        self.refresh()

    async def _run_export(
        self, history: CallHistory, path: Path, records: list[CallRecord] | None, text: str
    ) -> None:
        try:
            if records is None:
                # A negative limit is no limit: the file gets every match, not only the listed newest.
                records = await history.search(text, -1)
            count = await history.export_csv(path, records)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._end_action(report(error, context="exporting the call history", logger=_log), error=True)
        else:
            self._end_action(f"Exported {_calls(count)} to {path}.")

    # ------------------------------------------------------------------ internals

    def _can_act(self, history: CallHistory | None) -> bool:
        if self._closed:
            return False
        if history is None:
            self._set_message(UNAVAILABLE, error=True)
            return False
        return self._action_task is None

    def _end_action(self, message: str, *, error: bool = False) -> None:
        self._action_task = None
        self._set_message(message, error=error)

    def _set_message(self, message: str, *, error: bool = False) -> None:
        self._message, self._message_is_error = message, error
        self._publish()

    def _row(self, record_id: int) -> HistoryRow | None:
        return next((row for row in self._rows if row.record_id == record_id), None)

    def _make_view(self) -> HistoryView:
        search = self._loaded_search.strip()
        if self._problem is not None:
            empty = self._problem
        elif not self._loaded:
            empty = "Loading the call history" + ELLIPSIS
        elif search:
            empty = f"No calls match \N{LEFT DOUBLE QUOTATION MARK}{search}\N{RIGHT DOUBLE QUOTATION MARK}."
        else:
            empty = "No calls yet. Calls you place appear here."
        count = len(self._rows)
        if self._truncated:
            summary = f"Showing the newest {count} calls; search to find older ones."
        elif not count:
            summary = ""
        elif search:
            summary = "1 call matches" if count == 1 else f"{count} calls match"
        else:
            summary = _calls(count)
        return HistoryView(
            rows=self._rows,
            search=self._loaded_search,
            empty_text=empty,
            problem=self._problem is not None,
            loading=self._loading,
            busy=self._action_task is not None,
            message=self._message,
            message_is_error=self._message_is_error,
            summary=summary,
        )


# --------------------------------------------------------------------------- rows


async def _rows(
    records: Sequence[CallRecord], now: float, error_sentence: ErrorSentence | None
) -> tuple[HistoryRow, ...]:
    """Hundreds of rows take tens of milliseconds to put into words: `ROWS_PER_TURN` at a time, so
    that the window and the typing in its search field stay smooth. Not in a worker thread: while
    one runs Python, every call from Qt into Python (a cell's text, while the window paints) waits
    up to Python's switch interval for it, and the window's first paint stalled 25-40 ms so."""
    rows: list[HistoryRow] = []
    for start in range(0, len(records), ROWS_PER_TURN):
        if start:
            await asyncio.sleep(0)
        rows.extend(_row(record, now, error_sentence) for record in records[start : start + ROWS_PER_TURN])
    return tuple(rows)


def _row(record: CallRecord, now: float, error_sentence: ErrorSentence | None) -> HistoryRow:
    number, redial = with_extension(
        record.destination_display or format_for_display(record.destination),
        record.destination,
        record.extension,
    )
    from_number = format_for_display(record.from_number) if record.from_number else ""
    label = (record.from_label or "").strip()
    phone = label or from_number
    outcome, detail = call_outcome(record, error_sentence)
    return HistoryRow(
        record_id=record.id,
        when=when_text(record.started_at, now),
        when_full=when_full(record.started_at),
        number=number,
        redial_number=redial,
        outcome=outcome,
        detail=detail,
        error_code=record.error_code or None,
        phone=phone,
        phone_full=f"{label}, {from_number}" if label and from_number else phone,
        problem=record.state in (HistoryState.FAILED, HistoryState.INTERRUPTED),
        live=record.state in LIVE_STATES,
    )


def _calls(count: int, noun: str = "call") -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
