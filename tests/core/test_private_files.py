"""The numbers a person called are personal: every file RingDesk writes is 0600, every folder 0700.

Made so from the start (whatever the umask), and tightened at start when an older RingDesk, or a
copy by hand, left them readable by others.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ringdesk.config import Settings, load_settings, save_settings
from ringdesk.log import setup_logging
from ringdesk.paths import AppPaths, prepare_folders
from ringdesk.storage import CallHistory


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual desktop umask, under which a file made without care is readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def paths_under(root: Path) -> AppPaths:
    return AppPaths(root / "config", root / "data", root / "logs", root / "cache")


async def add_call(history: CallHistory) -> int:
    return await history.record_attempt(
        platform="ringcentral",
        destination="+16505551234",
        destination_display="+1 650-555-1234",
        extension=None,
        from_number="+14155550100",
        from_label=None,
        caller_id=None,
        play_prompt=False,
    )


async def test_a_new_history_and_its_wal_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "history.sqlite3"
    history = await CallHistory.open(path)
    try:
        await add_call(history)
        wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
        assert wal.exists() and shm.exists()
        assert {file.name: mode(file) for file in (path, wal, shm)} == {
            file.name: 0o600 for file in (path, wal, shm)
        }
        assert mode(path.parent) == 0o700
    finally:
        await history.close()


async def test_a_readable_history_found_at_start_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "data" / "history.sqlite3"
    async with await CallHistory.open(path) as history:
        await add_call(history)
    path.chmod(0o644)
    path.parent.chmod(0o755)
    async with await CallHistory.open(path) as history:
        assert len(await history.search()) == 1
        assert mode(path) == 0o600
        assert mode(path.with_name(path.name + "-wal")) == 0o600
        assert mode(path.parent) == 0o700


async def test_a_damaged_history_set_aside_is_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "history.sqlite3"
    path.parent.mkdir()
    path.write_bytes(b"not a database at all\n" * 100)
    path.chmod(0o644)
    async with await CallHistory.open(path) as history:
        assert len(history.problems) == 1
    [moved] = path.parent.glob("history.sqlite3.broken-*")
    assert moved.read_bytes() == b"not a database at all\n" * 100
    assert mode(moved) == 0o600


def test_log_files_are_private_also_after_a_rollover(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "ringdesk.log"
    setup_logging(log_file)
    try:
        logging.getLogger("ringdesk.test").warning("called +16505551234")
        [handler] = [h for h in logging.getLogger().handlers if getattr(h, "_ringdesk", False)]
        assert isinstance(handler, logging.handlers.RotatingFileHandler)
        handler.doRollover()
        logging.getLogger("ringdesk.test").warning("called +16505551235")
    finally:
        setup_logging(None)
    rotated = log_file.with_name("ringdesk.log.1")
    assert "+16505551234" in rotated.read_text(encoding="utf-8")
    assert (mode(log_file), mode(rotated), mode(log_file.parent)) == (0o600, 0o600, 0o700)


def test_a_broken_settings_file_kept_aside_is_private(tmp_path: Path) -> None:
    path = tmp_path / "config" / "settings.json"
    save_settings(Settings(), path)
    assert (mode(path), mode(path.parent)) == (0o600, 0o700)
    path.write_text("{ not json")
    result = load_settings(path, environ={})
    assert result.broken_copy is not None
    assert mode(result.broken_copy) == 0o600


def test_start_makes_the_folders_private_and_tightens_the_files_in_them(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    paths = paths_under(tmp_path)
    left_readable = [
        paths.config_dir / "window-state.ini",
        paths.config_dir / "settings.json",
        paths.data_dir / "history.sqlite3",
        paths.data_dir / "history.sqlite3-wal",
        paths.data_dir / "history.sqlite3.broken-20240101-000000",
        paths.log_dir / "ringdesk.log.3",
    ]
    for file in left_readable:
        file.parent.mkdir(mode=0o755, exist_ok=True)
        file.write_text("personal")
        file.chmod(0o644)
    assert prepare_folders(paths) == []
    assert {file.name: mode(file) for file in left_readable} == {file.name: 0o600 for file in left_readable}
    assert [mode(folder) for folder in paths.folders] == [0o700, 0o700, 0o700]
    # The folder above RingDesk's own belongs to the person and keeps its mode.
    assert mode(tmp_path) == 0o755


def test_a_folder_that_cannot_be_made_is_said_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the folders should be")
    paths = paths_under(blocker)
    problems = prepare_folders(paths)
    assert problems == [
        f"RingDesk cannot save files in {folder} (not a directory)." for folder in paths.folders
    ]
