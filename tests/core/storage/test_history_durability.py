"""The history is never lost: crashes, damaged files, old and new schemas, and where SQL runs."""

from __future__ import annotations

import asyncio
import hashlib
import signal
import sqlite3
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ringdesk.storage import CallHistory, HistoryUnavailable
from ringdesk.storage.history import INTERRUPTED_OUTCOME, SCHEMA_VERSION
from tests.core.storage.conftest import AddAttempt

REPO_ROOT = Path(__file__).resolve().parents[3]


def pragma(path: Path, name: str) -> Any:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def place_file(path: Path, content: bytes) -> None:
    """Put a file where the history goes (test setup; the history itself never blocks a loop)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def remove_history_files(path: Path) -> None:
    for file in [path, *path.parent.glob(f"{path.name}-*")]:
        file.unlink(missing_ok=True)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- Schema and migrations -------------------------------------------------------------------


async def test_new_history_is_at_the_current_version_in_wal_mode(db_path: Path) -> None:
    history = await CallHistory.open(db_path)
    await history.close()
    assert SCHEMA_VERSION == 2
    assert pragma(db_path, "user_version") == SCHEMA_VERSION
    assert pragma(db_path, "journal_mode") == "wal"


async def test_empty_file_migrates(db_path: Path) -> None:
    # A zero-byte file is a valid, empty SQLite database at version 0.
    place_file(db_path, b"")
    history = await CallHistory.open(db_path)
    try:
        assert history.problems == []
        assert await history.search() == []
    finally:
        await history.close()
    assert pragma(db_path, "user_version") == SCHEMA_VERSION


async def test_version_0_database_migrates_and_keeps_its_other_tables(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.execute("INSERT INTO notes VALUES ('kept')")
    conn.commit()
    conn.close()
    async with await CallHistory.open(db_path) as history:
        assert history.problems == []
    assert pragma(db_path, "user_version") == SCHEMA_VERSION
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT text FROM notes").fetchall() == [("kept",)]
    conn.close()


VERSION_1_CALLS = """
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY AUTOINCREMENT, started_at REAL NOT NULL, destination TEXT NOT NULL,
        destination_display TEXT NOT NULL, extension TEXT, from_number TEXT NOT NULL, from_label TEXT,
        caller_id TEXT, play_prompt INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL, outcome TEXT,
        error_code TEXT, caller_status TEXT, callee_status TEXT, ringout_id TEXT, connected_at REAL,
        ended_at REAL
    )
"""


async def test_version_1_rows_keep_everything_and_become_ringcentral_calls(db_path: Path) -> None:
    # Version 1 knew only RingCentral: its RingOut id is the platform's call id from version 2 on.
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute(VERSION_1_CALLS)
    rows = [
        (
            7,
            1_700_000_000.0,
            "+16505551234",
            "+1 650-555-1234",
            None,
            "+14155550100",
            "Desk",
            None,
            1,
            "ended",
            "The call ended.",
            None,
            "Finished",
            "Finished",
            "RO-7",
            1_700_000_010.0,
            1_700_000_070.0,
        ),
        (
            8,
            1_700_000_100.0,
            "+442079460958",
            "+44 20 7946 0958",
            "12",
            "+14155550100",
            None,
            "+14155550199",
            0,
            "ringing",
            None,
            None,
            "Success",
            "InProgress",
            "RO-8",
            None,
            None,
        ),
    ]
    conn.executemany(f"INSERT INTO calls VALUES ({', '.join('?' * 17)})", rows)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()

    async with await CallHistory.open(db_path) as history:
        assert history.problems == []
        ended, live = await history.get(7), await history.get(8)
        new_id = await history.record_attempt(
            platform="ringcentral",
            destination="+16505550000",
            destination_display="+1 650-555-0000",
            extension=None,
            from_number="+14155550100",
            from_label=None,
            caller_id=None,
            play_prompt=False,
        )
    assert pragma(db_path, "user_version") == SCHEMA_VERSION
    assert ended is not None and live is not None
    assert (ended.platform, ended.call_id, ended.state, ended.duration) == (
        "ringcentral",
        "RO-7",
        "ended",
        60.0,
    )
    assert (ended.from_label, ended.play_prompt, ended.outcome) == ("Desk", True, "The call ended.")
    # A call left ringing by version 1 is stale at this start, as any live row is.
    assert (live.platform, live.call_id, live.state, live.extension) == (
        "ringcentral",
        "RO-8",
        "interrupted",
        "12",
    )
    assert new_id == 9, "ids go on after the migrated rows"


async def test_newer_schema_is_refused_and_left_untouched(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE calls (id INTEGER PRIMARY KEY, future_column TEXT)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = digest(db_path)
    with pytest.raises(HistoryUnavailable) as caught:
        await CallHistory.open(db_path)
    assert caught.value.user_message == (
        "This call history was saved by a newer version of RingDesk; update RingDesk to use it. "
        "It was left unchanged."
    )
    assert digest(db_path) == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["history.sqlite3"]
    assert pragma(db_path, "user_version") == SCHEMA_VERSION + 1
    # The worker thread of the refused open is gone too.
    assert not [t for t in threading.enumerate() if t.name.startswith("ringdesk-history")]


# --- Crashes ---------------------------------------------------------------------------------

CRASHING_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from ringdesk.storage import CallHistory

    async def main():
        history = await CallHistory.open(Path(sys.argv[1]))
        record_id = await history.record_attempt(
            platform="ringcentral",
            destination="+16505551234", destination_display="+1 650-555-1234", extension=None,
            from_number="+14155550100", from_label="Desk", caller_id=None, play_prompt=True,
        )
        if sys.argv[2] == "update":
            await history.update(record_id, state="ringing", call_id="RO-42")
        print(record_id, flush=True)
        await asyncio.sleep(3600)  # "placing the call" until killed

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("then", ["record", "update"])
async def test_attempt_survives_sigkill(db_path: Path, then: str) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CRASHING_CHILD,
        str(db_path),
        then,
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), timeout=60)
        record_id = int(line)
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL

    async with await CallHistory.open(db_path) as history:
        record = await history.get(record_id)
        assert record is not None
        assert record.destination == "+16505551234"
        assert record.play_prompt is True
        assert record.state == "interrupted"
        assert record.outcome == INTERRUPTED_OUTCOME
        if then == "update":
            # Committed at synchronous=NORMAL: still safe from a crash of the app itself.
            assert record.call_id == "RO-42"


async def test_live_rows_become_interrupted_at_open(db_path: Path) -> None:
    history = await CallHistory.open(db_path)
    ids: dict[str, int] = {}
    for state in ("placing", "ringing", "connected", "ended", "failed", "cancelled"):
        ids[state] = await history.record_attempt(
            platform="ringcentral",
            destination="+16505551234",
            destination_display="+1 650-555-1234",
            extension=None,
            from_number="+14155550100",
            from_label=None,
            caller_id=None,
            play_prompt=False,
        )
        if state != "placing":
            await history.update(ids[state], state=state, outcome=state.title())
    await history.close()

    async with await CallHistory.open(db_path) as history:
        for state, record_id in ids.items():
            record = await history.get(record_id)
            assert record is not None
            if state in ("placing", "ringing", "connected"):
                assert (record.state, record.outcome) == (
                    "interrupted",
                    "RingDesk closed before this call ended.",
                )
            else:
                assert (record.state, record.outcome) == (state, state.title())


# --- Damaged and unusable files --------------------------------------------------------------


def broken_files(folder: Path) -> list[Path]:
    """The set-aside database files (their -wal and -shm, when they had one, sit next to them)."""
    return sorted(
        p for p in folder.iterdir() if ".broken-" in p.name and not p.name.endswith(("-wal", "-shm"))
    )


async def test_garbage_file_is_set_aside(db_path: Path) -> None:
    garbage = b"this is not a database, it is a shopping list\n" * 200
    place_file(db_path, garbage)
    history = await CallHistory.open(db_path)
    try:
        [moved] = broken_files(db_path.parent)
        assert moved.name.startswith("history.sqlite3.broken-")
        assert moved.read_bytes() == garbage
        assert history.problems == [
            f"The call history file could not be read, so RingDesk set it aside as {moved.name} "
            "and started a new one."
        ]
        record_id = await history.record_attempt(
            platform="ringcentral",
            destination="+16505551234",
            destination_display="+1 650-555-1234",
            extension=None,
            from_number="+14155550100",
            from_label=None,
            caller_id=None,
            play_prompt=False,
        )
        assert await history.get(record_id) is not None
    finally:
        await history.close()
    assert pragma(db_path, "user_version") == SCHEMA_VERSION


async def test_damaged_pages_are_found_and_set_aside(db_path: Path) -> None:
    # A real history whose data pages were overwritten (a bad disk, a bad copy).
    history = await CallHistory.open(db_path)
    for i in range(300):
        await history.record_attempt(
            platform="ringcentral",
            destination=f"+1650555{i:04d}",
            destination_display="x" * 100,
            extension=None,
            from_number="+14155550100",
            from_label="label " * 20,
            caller_id=None,
            play_prompt=False,
        )
    await history.close()
    page_size = pragma(db_path, "page_size")
    with db_path.open("r+b") as handle:
        handle.seek(page_size * 2)
        handle.write(b"\xde\xad\xbe\xef" * (page_size // 2))

    history = await CallHistory.open(db_path)
    try:
        assert len(broken_files(db_path.parent)) == 1
        assert len(history.problems) == 1
        assert await history.search() == []
    finally:
        await history.close()


async def test_a_second_damaged_file_in_the_same_second_gets_its_own_name(db_path: Path) -> None:
    for content in (b"first broken file" * 100, b"second broken file" * 100):
        place_file(db_path, content)
        history = await CallHistory.open(db_path)
        await history.close()
        remove_history_files(db_path)
    assert {p.read_bytes()[:6] for p in broken_files(db_path.parent)} == {b"first ", b"second"}


async def test_folder_that_cannot_be_created_gives_a_history_for_this_run(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    history = await CallHistory.open(blocker / "history.sqlite3")
    try:
        assert len(history.problems) == 1
        assert history.problems[0].startswith(f"RingDesk cannot save its call history in {blocker} (")
        assert history.problems[0].endswith("calls made now will be forgotten when RingDesk closes.")
        record_id = await history.record_attempt(
            platform="ringcentral",
            destination="+16505551234",
            destination_display="+1 650-555-1234",
            extension=None,
            from_number="+14155550100",
            from_label=None,
            caller_id=None,
            play_prompt=False,
        )
        assert (await history.search())[0].id == record_id
    finally:
        await history.close()
    assert blocker.read_text() == "a file where the folder should be"


# --- Threads ---------------------------------------------------------------------------------


@pytest.fixture
def traced_statements(monkeypatch: pytest.MonkeyPatch) -> list[tuple[threading.Thread, str]]:
    """Every SQL statement the history runs, with the thread it ran on (SQLite's own trace hook)."""
    statements: list[tuple[threading.Thread, str]] = []
    real_connect: Callable[..., sqlite3.Connection] = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(lambda sql: statements.append((threading.current_thread(), sql)))
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    return statements


async def test_no_sql_runs_on_the_calling_thread(
    db_path: Path, tmp_path: Path, traced_statements: list[tuple[threading.Thread, str]]
) -> None:
    history = await CallHistory.open(db_path)
    record_id = await history.record_attempt(
        platform="ringcentral",
        destination="+16505551234",
        destination_display="+1 650-555-1234",
        extension=None,
        from_number="+14155550100",
        from_label=None,
        caller_id=None,
        play_prompt=False,
    )
    await history.update(record_id, state="ended")
    await history.get(record_id)
    await history.search("650")
    await history.search("ended")
    await history.recent_calls()
    await history.export_csv(tmp_path / "calls.csv")
    await history.delete([record_id])
    worker = history._worker.thread
    await history.close()

    assert worker is not None and worker is not threading.current_thread()
    assert worker.name.startswith("ringdesk-history")
    assert len(traced_statements) > 10
    assert {thread for thread, _ in traced_statements} == {worker}


async def test_connection_refuses_other_threads(history: CallHistory) -> None:
    with pytest.raises(RuntimeError, match="outside its worker thread"):
        history._worker.store  # noqa: B018 - the property access is the test


async def test_record_attempt_syncs_fully_and_updates_do_not(
    db_path: Path, traced_statements: list[tuple[threading.Thread, str]]
) -> None:
    async with await CallHistory.open(db_path) as history:
        traced_statements.clear()
        record_id = await history.record_attempt(
            platform="ringcentral",
            destination="+16505551234",
            destination_display="+1 650-555-1234",
            extension=None,
            from_number="+14155550100",
            from_label=None,
            caller_id=None,
            play_prompt=False,
        )
        insert = [sql.split()[0] for _, sql in traced_statements]
        synchronous = [sql for _, sql in traced_statements if "synchronous" in sql]
        traced_statements.clear()
        await history.update(record_id, state="ringing")
        update = [sql for _, sql in traced_statements]
    assert insert == ["PRAGMA", "BEGIN", "INSERT", "COMMIT", "PRAGMA"]
    assert synchronous == ["PRAGMA synchronous = FULL", "PRAGMA synchronous = NORMAL"]
    assert not any("synchronous" in sql for sql in update)


async def test_calls_from_many_tasks_are_serialized(history: CallHistory, add_attempt: AddAttempt) -> None:
    ids = await asyncio.gather(*(add_attempt(started_at=float(i)) for i in range(50)))
    assert len(set(ids)) == 50
    await asyncio.gather(*(history.update(record_id, state="ended") for record_id in ids))
    assert {r.state for r in await history.search()} == {"ended"}
