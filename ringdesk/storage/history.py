"""The call history: every attempt, written before the call is placed, never lost.

SQLite in the user data folder (`app_paths().history_db`). Qt-free and asyncio-friendly: every
statement runs on one dedicated worker thread, so the GUI's event loop never waits for the disk
and sqlite3's rule that a connection stays on the thread that made it holds
(`check_same_thread` is left on, so a slip would raise instead of corrupting).

Durability: the database is in WAL mode. `record_attempt` commits with `synchronous=FULL`, so
the row is on the disk (fsync) before the caller places the call: it survives a crash of
RingDesk, of the OS, or a power cut. Updates commit with `synchronous=NORMAL`: in WAL mode that
still survives any crash of RingDesk itself (a committed transaction is in the OS's file
cache), and only an OS crash or power cut can lose the last few updates. Then the attempt row
is still there, with an older state, and the next start marks it interrupted. Saving an fsync
per status change keeps updates cheap while a call is ringing.

Schema versions are counted in `PRAGMA user_version` and migrated step by step at `open`
(see `_MIGRATIONS`). A database from a newer RingDesk is refused without being touched.

Damage and trouble are told apart. Only SQLite's own verdict makes a file damaged (the result
codes SQLITE_CORRUPT and SQLITE_NOTADB, or a failed `PRAGMA quick_check`), and only a damaged
file is set aside. A full disk, an I/O error, a read-only folder or a lock are trouble: the file
is healthy and stays where it is, untouched. While it cannot be written, the history works on a
copy in memory (this run's calls included), says so in `problems`, and writes the copy back to
the file at each later write and at `close`, once the disk allows.

The numbers a person called are personal data: the database and its -wal and -shm files are
0600 in a 0700 folder, and so is every file set aside.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Final, TypeVar

from ringdesk.errors import RingDeskError
from ringdesk.numbers import digits_of
from ringdesk.paths import create_private_file, make_private_folder, tighten_file

__all__ = [
    "INTERRUPTED_OUTCOME",
    "LIVE_STATES",
    "SCHEMA_VERSION",
    "CallHistory",
    "CallRecord",
    "HistoryError",
    "HistoryState",
    "HistoryUnavailable",
]


class HistoryState(StrEnum):
    """A call's state as the history stores it (the text is what is in the database)."""

    PLACING = "placing"
    RINGING = "ringing"
    CONNECTED = "connected"
    ENDED = "ended"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    """RingDesk stopped following the call (it quit or crashed) before it ended."""


_log = logging.getLogger("ringdesk.storage")

_STATE_TEXTS: Final = frozenset(state.value for state in HistoryState)
# States in which a call may still be going on; a row left in one of them by a crash is stale.
LIVE_STATES: Final = frozenset({HistoryState.PLACING, HistoryState.RINGING, HistoryState.CONNECTED})
INTERRUPTED_OUTCOME: Final = "RingDesk closed before this call ended."


class HistoryError(RingDeskError):
    """Reading or writing the call history failed."""

    default_user_message = "RingDesk could not read or save the call history."


class HistoryUnavailable(HistoryError):
    """The call history cannot be opened at all (newer version, in use elsewhere, or closed)."""

    default_user_message = "The call history is not available."


@dataclass(frozen=True)
class CallRecord:
    """One call attempt as stored. Times are seconds since the epoch."""

    id: int
    started_at: float
    destination: str
    destination_display: str
    extension: str | None
    from_number: str
    from_label: str | None
    caller_id: str | None
    play_prompt: bool
    state: HistoryState
    outcome: str | None
    error_code: str | None
    caller_status: str | None
    callee_status: str | None
    call_id: str | None
    """The platform's id of the call (RingCentral: the RingOut id); None until it was placed."""
    connected_at: float | None
    ended_at: float | None
    platform: str
    """Which platform placed the call (`ringdesk.platforms.base.PlatformKind`); `call_id` is its id."""

    @property
    def duration(self) -> float | None:
        """Seconds from connected to ended; None for a call that never connected or has not ended."""
        if self.connected_at is None or self.ended_at is None:
            return None
        return max(0.0, self.ended_at - self.connected_at)


class CallHistory:
    """The call history database. Create with `await CallHistory.open(path)`; `await close()` at the end."""

    def __init__(self, worker: _Worker, path: Path, problems: list[str]) -> None:
        # Use `open`: the worker must already hold an open, migrated connection.
        self._worker = worker
        self.path = path
        # Sentences for the person about what is wrong now: a damaged file set aside at open, or
        # a file that cannot be written (the sentence goes once the calls kept in memory are saved).
        self.problems = problems

    def subscribe_problems(self, listener: Callable[[tuple[str, ...]], None]) -> Callable[[], None]:
        """Call `listener(problems)` on the event loop whenever `problems` changes after opening (the
        disk filled up, or the calls kept in memory were saved); returns the function that
        unsubscribes."""
        listeners = self._worker.problem_listeners
        listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                listeners.remove(listener)

        return unsubscribe

    @classmethod
    async def open(cls, path: Path) -> CallHistory:
        """Open (or create) the history at `path`, migrating it to the current schema.

        A damaged file is moved aside and a new history started; a healthy file that cannot be
        written is kept, and the history works in memory until it can (see `problems`). Raises
        `HistoryUnavailable` for a history written by a newer RingDesk or held by another program.
        """
        worker = _Worker()
        try:
            problems = await worker.start(path)
        except BaseException:
            worker.shutdown()
            raise
        return cls(worker, path, problems)

    async def close(self) -> None:
        """Close the database and stop the worker thread; closing twice is harmless."""
        await self._worker.stop()

    async def __aenter__(self) -> CallHistory:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def record_attempt(
        self,
        *,
        platform: str,
        destination: str,
        destination_display: str,
        extension: str | None,
        from_number: str,
        from_label: str | None,
        caller_id: str | None,
        play_prompt: bool,
        started_at: float | None = None,
    ) -> int:
        """Store a new attempt in state "placing" and return its id.

        The row is committed and synced to the disk before this returns: place the call only
        afterwards, so that no call exists without its history entry.
        """
        values = {
            "platform": platform,
            "started_at": time.time() if started_at is None else started_at,
            "destination": destination,
            "destination_display": destination_display,
            "extension": extension,
            "from_number": from_number,
            "from_label": from_label,
            "caller_id": caller_id,
            "play_prompt": 1 if play_prompt else 0,
            "state": HistoryState.PLACING,
        }
        return await self._worker.run(
            lambda conn: _insert_attempt(conn, values),
            "RingDesk could not save this call to the history, so it did not place it.",
            writes=True,
        )

    async def update(self, record_id: int, **fields: Any) -> None:
        """Change some of a record's fields (see `UPDATABLE_FIELDS`); an unknown field is a ValueError.

        Updating a record that no longer exists (deleted while its call went on) does nothing.
        """
        unknown = sorted(set(fields) - UPDATABLE_FIELDS)
        if unknown:
            raise ValueError(f"cannot update call record field(s): {', '.join(unknown)}")
        if "state" in fields and fields["state"] not in _STATE_TEXTS:
            raise ValueError(f"unknown call state {fields['state']!r}")
        if not fields:
            return
        await self._worker.run(
            lambda conn: _update(conn, record_id, fields),
            "RingDesk could not save the call's progress to the history.",
            writes=True,
        )

    async def get(self, record_id: int) -> CallRecord | None:
        rows = await self._worker.run(
            lambda conn: conn.execute(
                f"SELECT {_SELECT_COLUMNS} FROM calls WHERE id = ?", (record_id,)
            ).fetchall(),
            "RingDesk could not read the call history.",
        )
        return _record(rows[0]) if rows else None

    async def search(self, text: str = "", limit: int = 200) -> list[CallRecord]:
        """Records matching `text`, newest first; at most `limit` of them (a negative limit: all).

        Text that looks like a phone number matches the digits of the numbers whatever their
        formatting ("(650) 555-12" finds +16505551234); other words must each appear in some
        field (labels, outcome, status, error code), ignoring case.
        """
        sql, params = _search_query(text, limit)
        rows = await self._worker.run(
            lambda conn: conn.execute(sql, params).fetchall(),
            "RingDesk could not search the call history.",
        )
        return [_record(row) for row in rows]

    async def recent_calls(self, limit: int = 10) -> list[CallRecord]:
        """The last call to each number (a number with another extension counts as another),
        most recent first: what redial offers."""
        rows = await self._worker.run(
            lambda conn: conn.execute(
                f"SELECT {_SELECT_COLUMNS} FROM ("
                f"  SELECT *, ROW_NUMBER() OVER ("
                f"    PARTITION BY destination, IFNULL(extension, '') ORDER BY started_at DESC, id DESC"
                f"  ) AS newest FROM calls"
                f") WHERE newest = 1 ORDER BY started_at DESC, id DESC LIMIT ?",
                (max(0, limit),),
            ).fetchall(),
            "RingDesk could not read the call history.",
        )
        return [_record(row) for row in rows]

    async def delete(self, record_ids: Iterable[int]) -> int:
        """Delete records by id; returns how many existed."""
        ids = [int(record_id) for record_id in record_ids]
        if not ids:
            return 0
        return await self._worker.run(
            lambda conn: _delete(conn, ids),
            "RingDesk could not delete from the call history.",
            writes=True,
        )

    async def export_csv(self, path: Path, records: Sequence[CallRecord] | None = None) -> int:
        """Write `records` (default: the whole history, newest first) to `path` as CSV; returns the row count.

        UTF-8 with a byte-order mark, because without one Excel reads the file in the system's
        legacy code page and garbles names; a header row names the columns. Cells that a
        spreadsheet would run as a formula are prefixed with `'`. The file is written to a
        temporary name and renamed, so a failed export never leaves half a file behind.
        """
        chosen = list(records) if records is not None else None

        def export(conn: sqlite3.Connection) -> int:
            rows = (
                chosen
                if chosen is not None
                else [_record(row) for row in conn.execute(*_search_query("", -1)).fetchall()]
            )
            _write_csv(path, rows)
            return len(rows)

        return await self._worker.run(export, f"RingDesk could not export the call history to {path}.")


UPDATABLE_FIELDS: Final = frozenset(
    {
        "state",
        "outcome",
        "error_code",
        "caller_status",
        "callee_status",
        "call_id",
        "connected_at",
        "ended_at",
    }
)

# --- Schema and migrations --------------------------------------------------------------------
#
# `_MIGRATIONS[n]` takes a database from version n to n + 1; each runs in its own transaction
# together with the new `user_version`, so a crash mid-migration leaves the old version intact.
# To add version 3, append one function and nothing else, for example:
#
#     def _v2_to_v3(conn: sqlite3.Connection) -> None:
#         conn.execute("ALTER TABLE calls ADD COLUMN note TEXT")
#
#     _MIGRATIONS = (_v0_to_v1, _v1_to_v2, _v2_to_v3)
#
# and add the column to `CallRecord` and `_COLUMNS`. Never edit a released migration: someone's
# file is already at that version.


def _v0_to_v1(conn: sqlite3.Connection) -> None:
    # AUTOINCREMENT: ids are never reused after a delete, so a live call still holding the id
    # of a deleted row can never update a newer call's row.
    conn.execute(
        """
        CREATE TABLE calls (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at REAL NOT NULL,
            destination TEXT NOT NULL,
            destination_display TEXT NOT NULL,
            extension TEXT,
            from_number TEXT NOT NULL,
            from_label TEXT,
            caller_id TEXT,
            play_prompt INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL,
            outcome TEXT,
            error_code TEXT,
            caller_status TEXT,
            callee_status TEXT,
            ringout_id TEXT,
            connected_at REAL,
            ended_at REAL
        )
        """
    )
    conn.execute("CREATE INDEX calls_by_start ON calls (started_at DESC, id DESC)")
    # Only live rows are looked up by state (at every start); a partial index stays tiny.
    conn.execute(
        "CREATE INDEX calls_live ON calls (state) WHERE state IN ('placing', 'ringing', 'connected')"
    )


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    # Calls are no longer RingCentral's only: the RingOut id becomes the platform's call id, and
    # every row says which platform it belongs to. Rows from version 1 were all RingCentral's.
    conn.execute("ALTER TABLE calls RENAME COLUMN ringout_id TO call_id")
    conn.execute("ALTER TABLE calls ADD COLUMN platform TEXT NOT NULL DEFAULT 'ringcentral'")


_MIGRATIONS: Final[tuple[Callable[[sqlite3.Connection], None], ...]] = (_v0_to_v1, _v1_to_v2)
SCHEMA_VERSION: Final = len(_MIGRATIONS)

_COLUMNS: Final = tuple(field.name for field in fields(CallRecord))
_SELECT_COLUMNS: Final = ", ".join(_COLUMNS)

# --- The worker thread ------------------------------------------------------------------------

T = TypeVar("T")

# SQLite's primary result codes (the low byte of an extended code, so SQLITE_IOERR_WRITE,
# SQLITE_IOERR_FSYNC... all count as SQLITE_IOERR).
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26
# SQLite's verdict that the file itself is damaged; the only errors that set a file aside.
_DAMAGE_CODES: Final = frozenset({_SQLITE_CORRUPT, _SQLITE_NOTADB})
# The file is fine but cannot be written now (full disk, I/O error, read-only, locked): the
# history keeps working in memory and writes to the file again when it can.
_TROUBLE_CODES: Final = frozenset(
    {_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN}
)


class _Worker:
    """One thread that owns the connection; every statement runs there."""

    def __init__(self) -> None:
        # One worker: statements run in the order they were asked for, and sqlite3 sees a single
        # thread for the connection's whole life.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ringdesk-history")
        self.thread: threading.Thread | None = None
        self._store: _Store | None = None
        self._closed = False
        self.problem_listeners: list[Callable[[tuple[str, ...]], None]] = []
        self._problems_told: tuple[str, ...] = ()

    @property
    def store(self) -> _Store:
        self.assert_on_worker()
        if self._store is None:
            raise HistoryUnavailable("The call history is closed.")
        return self._store

    def assert_on_worker(self) -> None:
        if threading.current_thread() is not self.thread:
            raise RuntimeError("the call history database was used outside its worker thread")

    async def start(self, path: Path) -> list[str]:
        def start_on_worker() -> list[str]:
            self.thread = threading.current_thread()
            self._store = _open_store(path)
            return self._store.problems

        problems = await asyncio.get_running_loop().run_in_executor(self._executor, start_on_worker)
        self._problems_told = tuple(problems)
        return problems

    async def run(self, job: Callable[[sqlite3.Connection], T], failure: str, *, writes: bool = False) -> T:
        """Run `job(connection)` on the worker; a database or file error becomes `HistoryError(failure)`.

        A job that `writes` and meets trouble with the file (not damage) is done in memory instead
        (see `_Store.write`).
        """
        if self._closed:
            raise HistoryUnavailable("The call history is closed.")

        problems_after: tuple[str, ...] = self._problems_told

        def on_worker() -> T:
            nonlocal problems_after
            try:
                store = self.store
                try:
                    return store.write(job) if writes else job(store.connection)
                finally:
                    problems_after = tuple(store.problems)
            except (sqlite3.Error, OSError) as error:
                raise HistoryError(failure, detail=f"{type(error).__name__}: {error}") from error

        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, on_worker)
        finally:
            self._tell_problems(problems_after)

    def _tell_problems(self, problems: tuple[str, ...]) -> None:
        """Tell the listeners, on the event loop, when what is wrong has changed."""
        if problems == self._problems_told:
            return
        self._problems_told = problems
        for listener in list(self.problem_listeners):
            try:
                listener(problems)
            except Exception:
                _log.exception("a call history problem listener failed")

    async def stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._close_connection)
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        """Stop the thread; also the way out of a failed or cancelled `start`."""
        self._closed = True
        # Queued after any job still running (a cancelled `start` may yet open the connection),
        # so the connection is always closed on its own thread.
        with contextlib.suppress(RuntimeError):  # already shut down
            self._executor.submit(self._close_connection)
        # The queue holds at most that close, so joining takes no time.
        self._executor.shutdown(wait=True)

    def _close_connection(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


# --- Opening: everything below runs on the worker thread --------------------------------------


class _Store:
    """The history's data: the file, or, while the file cannot be written, a copy of it in memory.

    Lives on the worker thread. `problems` is the list `CallHistory.problems` shows.
    """

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        self.file: sqlite3.Connection | None = None
        self.memory: sqlite3.Connection | None = None
        # True when `memory` holds everything the file held: only then may it replace the file.
        # A file that could not even be read is never overwritten with a partial history.
        self.memory_may_replace_file = False
        self._trouble: str | None = None

    @property
    def connection(self) -> sqlite3.Connection:
        """Where statements run now: the copy in memory while there is one, else the file."""
        connection = self.memory if self.memory is not None else self.file
        if connection is None:  # pragma: no cover - `_open_store` always sets one
            raise HistoryUnavailable("The call history is closed.")
        return connection

    def write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run a writing `job` on the file; on trouble with the file, in memory, and say so.

        Every later write tries to save the copy in memory to the file again, so the calls of
        this run reach the disk as soon as it has room.
        """
        if self.memory is None and self.file is not None:
            try:
                return job(self.file)
            except sqlite3.Error as error:
                if _primary_code(error) not in _TROUBLE_CODES:
                    raise
                _log.warning("call history: cannot write %s: %s", self.path, error)
                self._keep_in_memory(self.file, error)
        result = job(self.connection)
        self.save_memory_to_file()
        return result

    def save_memory_to_file(self) -> bool:
        """Write the copy in memory back to the file and go on with the file; True on success."""
        if self.memory is None:
            return True
        if not self.memory_may_replace_file:
            return False
        try:
            if self.file is None:
                self.file = _connect_file(self.path)
            # One transaction on the file: a disk that fills up on the way leaves the file as it was.
            self.memory.backup(self.file)
        except (sqlite3.Error, OSError) as error:
            _log.debug("call history: still cannot write %s: %s", self.path, error)
            return False
        _add_functions(self.file)
        self.memory.close()
        self.memory = None
        if self._trouble in self.problems:
            self.problems.remove(self._trouble)
        self._trouble = None
        _log.info("call history: the calls kept in memory are saved to %s", self.path)
        return True

    def open_in_memory(self, error: BaseException) -> None:
        """Start in memory: with a copy of the file when it can be read, otherwise empty."""
        if self.file is not None:
            self.file.close()
            self.file = None
        self.memory = sqlite3.connect(":memory:", isolation_level=None)
        self.memory_may_replace_file = _copy_readable_file(self.path, self.memory)
        _migrate(self.memory, int(self.memory.execute("PRAGMA user_version").fetchone()[0]))
        _mark_interrupted(self.memory)
        _add_functions(self.memory)
        self._say_trouble(error)

    def close(self) -> None:
        """Save what is only in memory if the disk allows now, then close every connection."""
        if self.memory is not None and not self.save_memory_to_file():
            _log.warning("call history: the calls of this run could not be saved to %s", self.path)
        for connection in (self.memory, self.file):
            if connection is not None:
                # Closing the last connection checkpoints the WAL into the main file.
                connection.close()
        self.memory = self.file = None

    def _keep_in_memory(self, file: sqlite3.Connection, error: sqlite3.Error) -> None:
        """Go on in a copy of `file` in memory (the failed write was rolled back, so none of it is there)."""
        memory = sqlite3.connect(":memory:", isolation_level=None)
        try:
            file.backup(memory)
            self.memory_may_replace_file = True
        except sqlite3.Error:
            # Not even readable now: this run's calls in memory, the file kept as it is.
            memory.close()
            memory = sqlite3.connect(":memory:", isolation_level=None)
            _migrate(memory, 0)
            self.memory_may_replace_file = False
        _add_functions(memory)
        self.memory = memory
        self._say_trouble(error)

    def _say_trouble(self, error: BaseException) -> None:
        if self.memory_may_replace_file:
            sentence = (
                f"RingDesk cannot save to its call history in {self.path.parent} ({_reason(error)}); "
                "it keeps the calls made now in memory and saves them as soon as it can."
            )
        else:
            sentence = (
                f"RingDesk cannot save its call history in {self.path.parent} ({_reason(error)}); "
                "calls made now will be forgotten when RingDesk closes."
            )
        if self._trouble in self.problems:
            self.problems.remove(self._trouble)
        self._trouble = sentence
        self.problems.append(sentence)


class _DamagedFile(Exception):
    """SQLite reads the file but finds it damaged (a failed integrity check)."""


def _open_store(path: Path) -> _Store:
    store = _Store(path, [])
    try:
        _prepare_private_file(path)
        store.file = _connect(path)
        return store
    except HistoryUnavailable:
        raise
    except _DamagedFile as error:
        broken: BaseException = error
    except sqlite3.Error as error:
        code = _primary_code(error)
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
            raise HistoryUnavailable(
                "The call history is in use by another program; close it and start RingDesk again.",
                detail=str(error),
            ) from error
        if code not in _DAMAGE_CODES:
            # Trouble, not damage: the file may be fine, so it stays as it is.
            store.open_in_memory(error)
            return store
        broken = error
    except OSError as error:
        store.open_in_memory(error)
        return store
    # Damaged: set it aside, where nothing is lost and someone can still look at it, and start afresh.
    _log.warning("call history %s is damaged: %s", path, broken)
    moved = _move_aside(path)
    if moved is None:
        store.open_in_memory(broken)
        return store
    store.problems.append(
        f"The call history file could not be read, so RingDesk set it aside as "
        f"{moved.name} and started a new one."
    )
    try:
        _prepare_private_file(path)
        store.file = _connect(path)
    except (sqlite3.Error, OSError) as error:
        store.open_in_memory(error)
    return store


def _prepare_private_file(path: Path) -> None:
    """Make the folder 0700 and the database 0600 before SQLite opens it.

    The main file first: SQLite creates the -wal and -shm files with the main file's mode.
    """
    make_private_folder(path.parent)
    create_private_file(path)
    for suffix in ("-wal", "-shm"):
        tighten_file(path.with_name(path.name + suffix))


def _connect_file(path: Path) -> sqlite3.Connection:
    # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT), so that
    # PRAGMAs and migrations are not wrapped in transactions sqlite3 opens on its own.
    _prepare_private_file(path)
    conn = sqlite3.connect(str(path), timeout=5.0, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=5.0, isolation_level=None)
    try:
        # The first read of the file: a file that is not a database fails here.
        version = _checked_version(conn, path)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        _migrate(conn, version)
        _mark_interrupted(conn)
        _add_functions(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _checked_version(conn: sqlite3.Connection, path: Path) -> int:
    """The file's schema version, once it is known to be one this RingDesk can use and undamaged."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise HistoryUnavailable(
            "This call history was saved by a newer version of RingDesk; update RingDesk to use it. "
            "It was left unchanged.",
            detail=f"{path}: schema version {version}, this RingDesk knows up to {SCHEMA_VERSION}",
        )
    # A history is small; checking every page at start is cheap and catches damage before
    # a write could spread it.
    check = conn.execute("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        raise _DamagedFile(f"integrity check failed: {check}")
    return version


def _copy_readable_file(path: Path, memory: sqlite3.Connection) -> bool:
    """Copy the file at `path` into `memory` without writing to it; True when it was copied.

    Read only, or failing that as immutable: a WAL database on a read-only disk cannot get the
    -shm file a read-only open needs, and only this RingDesk writes the file, so nothing
    changes it while it is read.
    """
    if not path.is_file():
        return False
    for query in ("mode=ro", "immutable=1"):
        try:
            source = sqlite3.connect(f"{path.as_uri()}?{query}", uri=True, timeout=5.0)
        except sqlite3.Error:
            continue
        try:
            _checked_version(source, path)
            source.backup(memory)
        except (sqlite3.Error, _DamagedFile):
            continue
        finally:
            source.close()
        return True
    return False


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    for new_version, step in enumerate(_MIGRATIONS[version:], start=version + 1):
        with _transaction(conn):
            step(conn)
            # PRAGMA takes no parameters; new_version is our own integer.
            conn.execute(f"PRAGMA user_version = {int(new_version)}")


def _mark_interrupted(conn: sqlite3.Connection) -> None:
    # Only one RingDesk runs per profile, so a live row found at start belongs to a run that
    # ended without finishing its call: it must not look live forever.
    placeholders = ", ".join("?" for _ in LIVE_STATES)
    with _transaction(conn):
        conn.execute(
            f"UPDATE calls SET state = ?, outcome = ? WHERE state IN ({placeholders})",
            (HistoryState.INTERRUPTED, INTERRUPTED_OUTCOME, *sorted(LIVE_STATES)),
        )


def _add_functions(conn: sqlite3.Connection) -> None:
    # A number column holds text or NULL; anything else (a hand-edited file) matches nothing.
    conn.create_function(
        "rd_digits", 1, lambda value: digits_of(value) if isinstance(value, str) else "", deterministic=True
    )
    conn.create_function("rd_fold", 1, _fold, deterministic=True)


def _move_aside(path: Path) -> Path | None:
    """Rename the damaged file (and its WAL) to `<name>.broken-<timestamp>`; None when impossible."""
    if not os.path.lexists(path):
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.broken-{stamp}")
    counter = 1
    while os.path.lexists(target):
        counter += 1
        target = path.with_name(f"{path.name}.broken-{stamp}-{counter}")
    try:
        os.replace(path, target)
    except OSError:
        return None
    # A file set aside still holds the numbers called: private like the history itself.
    tighten_file(target)
    for suffix in ("-wal", "-shm"):
        # The WAL holds the latest commits of the damaged file: keep it next to it, under the
        # name SQLite looks for, so the set-aside file can still be opened and read.
        side = path.with_name(path.name + suffix)
        side_target = target.with_name(target.name + suffix)
        with contextlib.suppress(OSError):
            if side.exists():
                os.replace(side, side_target)
                tighten_file(side_target)
    return target


def _primary_code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error) or type(error).__name__


# --- Statements: run on the worker thread ------------------------------------------------------


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    # IMMEDIATE takes the write lock at once, so a transaction never fails halfway with BUSY.
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _insert_attempt(conn: sqlite3.Connection, values: dict[str, Any]) -> int:
    names = ", ".join(values)
    placeholders = ", ".join("?" for _ in values)
    # FULL for this one commit: the promise is that no call is placed without its row on the disk.
    conn.execute("PRAGMA synchronous = FULL")
    try:
        with _transaction(conn):
            cursor = conn.execute(
                f"INSERT INTO calls ({names}) VALUES ({placeholders})", tuple(values.values())
            )
            record_id = cursor.lastrowid
    finally:
        conn.execute("PRAGMA synchronous = NORMAL")
    if record_id is None:  # pragma: no cover - an INSERT always sets it
        raise sqlite3.DatabaseError("no row id after insert")
    return record_id


def _update(conn: sqlite3.Connection, record_id: int, values: dict[str, Any]) -> None:
    # Column names come from UPDATABLE_FIELDS only (checked by the caller), never from input.
    assignments = ", ".join(f"{name} = ?" for name in values)
    with _transaction(conn):
        conn.execute(f"UPDATE calls SET {assignments} WHERE id = ?", (*values.values(), record_id))


def _delete(conn: sqlite3.Connection, ids: list[int]) -> int:
    deleted = 0
    with _transaction(conn):
        # Chunks stay below SQLite's limit on the number of parameters of one statement.
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            placeholders = ", ".join("?" for _ in chunk)
            deleted += conn.execute(f"DELETE FROM calls WHERE id IN ({placeholders})", chunk).rowcount
    return deleted


# Columns searched as text, and those whose digits are searched as numbers.
_TEXT_COLUMNS: Final = (
    "destination",
    "destination_display",
    "extension",
    "from_number",
    "from_label",
    "caller_id",
    "state",
    "outcome",
    "error_code",
    "caller_status",
    "callee_status",
)
_NUMBER_COLUMNS: Final = ("destination", "from_number", "caller_id")
# What a number looks like when typed or pasted: digits and the usual formatting around them.
_NUMBER_LIKE = re.compile(r"[0-9\s+().\-/\u00a0]+")


def _search_query(text: str, limit: int) -> tuple[str, list[Any]]:
    """SQL and parameters for `search`; a negative limit means no limit."""
    text = text.strip()
    clauses: list[str] = []
    params: list[Any] = []
    if text and _NUMBER_LIKE.fullmatch(text) and digits_of(text):
        clauses.append(_number_clause())
        params.extend([digits_of(text)] * len(_NUMBER_COLUMNS))
    else:
        for word in text.split():
            alternatives = [f"instr(rd_fold({column}), ?) > 0" for column in _TEXT_COLUMNS]
            params.extend([_fold(word)] * len(_TEXT_COLUMNS))
            digits = digits_of(word)
            if digits and _NUMBER_LIKE.fullmatch(word):
                alternatives.append(_number_clause())
                params.extend([digits] * len(_NUMBER_COLUMNS))
            clauses.append("(" + " OR ".join(alternatives) + ")")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    params.append(limit if limit >= 0 else -1)
    return f"SELECT {_SELECT_COLUMNS} FROM calls {where} ORDER BY started_at DESC, id DESC LIMIT ?", params


def _number_clause() -> str:
    return "(" + " OR ".join(f"instr(rd_digits({column}), ?) > 0" for column in _NUMBER_COLUMNS) + ")"


def _fold(value: object) -> str:
    # casefold, unlike SQLite's LIKE, ignores case beyond ASCII ("Zürich" finds "ZÜRICH").
    return value.casefold() if isinstance(value, str) else ""


def _record(row: Sequence[Any]) -> CallRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["play_prompt"] = bool(values["play_prompt"])
    values["state"] = _state_of(values["state"])
    return CallRecord(**values)


def _state_of(text: str) -> HistoryState:
    try:
        return HistoryState(text)
    except ValueError:
        # Only a newer RingDesk writes a state this one does not know (and then the schema version
        # refuses the file); a row edited by hand still shows, as a call that is not live.
        _log.warning("call record with an unknown state %r shown as interrupted", text)
        return HistoryState.INTERRUPTED


# --- CSV export -------------------------------------------------------------------------------

_CSV_HEADER: Final = (
    "id",
    "started_at",
    "destination",
    "destination_display",
    "extension",
    "from_number",
    "from_label",
    "caller_id",
    "play_prompt",
    "state",
    "outcome",
    "error_code",
    "caller_status",
    "callee_status",
    "platform",
    "call_id",
    "connected_at",
    "ended_at",
    "duration_seconds",
)
# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection);
# tab and carriage return are included as OWASP advises.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
# Characters a spreadsheet skips or trims before it decides whether a cell is a formula, so
# " =1+1" and "\u200b=1+1" are formulas too: spaces, no-break space, newline, and the invisible
# zero-width space, non-joiner, joiner, word joiner and byte-order mark.
_INVISIBLE_LEADERS: Final = " \u00a0\n\u200b\u200c\u200d\u2060\ufeff"


def _write_csv(path: Path, records: Sequence[CallRecord]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(_CSV_HEADER)
            for record in records:
                writer.writerow([_safe_cell(value) for value in _csv_row(record)])
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def _csv_row(record: CallRecord) -> list[str]:
    duration = record.duration
    return [
        str(record.id),
        _timestamp(record.started_at),
        record.destination,
        record.destination_display,
        record.extension or "",
        record.from_number,
        record.from_label or "",
        record.caller_id or "",
        "yes" if record.play_prompt else "no",
        record.state,
        record.outcome or "",
        record.error_code or "",
        record.caller_status or "",
        record.callee_status or "",
        record.platform,
        record.call_id or "",
        _timestamp(record.connected_at),
        _timestamp(record.ended_at),
        "" if duration is None else str(round(duration)),
    ]


def _timestamp(value: float | None) -> str:
    # Local time with its offset: what the person saw on the clock, and still unambiguous.
    if value is None:
        return ""
    return datetime.fromtimestamp(value).astimezone().isoformat(timespec="seconds")


def _safe_cell(value: str) -> str:
    """`value` with a leading `'` when its first visible character would start a formula.

    Leading spaces and invisible characters are looked past, because a spreadsheet may skip them
    and still run what follows. "'+16505551234" also keeps spreadsheets from turning numbers into
    1.65E+10.
    """
    visible = value.lstrip(_INVISIBLE_LEADERS)
    return "'" + value if visible.startswith(_FORMULA_STARTS) else value
