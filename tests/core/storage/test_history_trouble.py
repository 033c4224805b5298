"""Trouble is not damage: a full disk keeps the history file, and this run's calls reach it later.

The disk is real: a 512 KiB tmpfs in a private mount namespace, filled to the last byte.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from tests.core.storage.private_mount import run_with_mounts, tmpfs

FULL_DISK_CHILD = textwrap.dedent(
    """
    import asyncio, errno, json, sqlite3, sys
    from pathlib import Path

    from ringdesk.storage import CallHistory

    disk = Path(sys.argv[1])
    path = disk / "data" / "history.sqlite3"
    filler = disk / "filler"

    def fill_the_disk():
        with filler.open("wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"x" * 4096)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error

    async def attempt(history, number):
        return await history.record_attempt(
            platform="ringcentral", destination=number, destination_display=number, extension=None,
            from_number="+14155550100", from_label="Desk phone " * 20, caller_id=None, play_prompt=False,
        )

    async def main():
        report = {}
        history = await CallHistory.open(path)
        told = []
        history.subscribe_problems(lambda problems: told.append(list(problems)))
        before = await attempt(history, "+16505550000")
        fill_the_disk()
        ids = [await attempt(history, f"+1650555{i:04d}") for i in range(1, 41)]
        await history.update(ids[0], state="ended", outcome="Call ended.")
        report["problems_while_full"] = list(history.problems)
        report["listed_while_full"] = sorted(r.id for r in await history.search(limit=-1))
        report["files_while_full"] = sorted(p.name for p in path.parent.iterdir())
        filler.unlink()
        await history.update(ids[1], state="failed")
        report["problems_after_space_freed"] = list(history.problems)
        report["told"] = told
        await history.close()
        conn = sqlite3.connect(path)
        report["ids"] = [before, *ids]
        report["on_disk"] = [row[0] for row in conn.execute("SELECT id FROM calls ORDER BY id")]
        states = conn.execute("SELECT id, state FROM calls WHERE id IN (?, ?)", ids[:2])
        report["states_on_disk"] = dict(states)
        conn.close()
        print(json.dumps(report))

    asyncio.run(main())
    """
)


def test_a_full_disk_keeps_the_file_and_saves_the_calls_once_there_is_room(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    result = run_with_mounts(tmpfs(disk, "512k"), FULL_DISK_CHILD, str(disk))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)

    [problem] = report["problems_while_full"]
    assert "disk is full" in problem
    assert problem.endswith("it keeps the calls made now in memory and saves them as soon as it can.")
    assert not [name for name in report["files_while_full"] if ".broken-" in name]
    assert report["listed_while_full"] == sorted(report["ids"])

    assert report["problems_after_space_freed"] == []
    # Whoever shows the problems (the main window) learns both changes as they happen.
    assert report["told"] == [[problem], []]
    assert report["on_disk"] == report["ids"]
    first, second = report["ids"][1:3]
    assert report["states_on_disk"] == {str(first): "ended", str(second): "failed"}


FULL_AT_CLOSE_CHILD = textwrap.dedent(
    """
    import asyncio, errno, json, sqlite3, sys
    from pathlib import Path

    from ringdesk.storage import CallHistory

    disk = Path(sys.argv[1])
    path = disk / "data" / "history.sqlite3"
    filler = disk / "filler"

    async def main():
        history = await CallHistory.open(path)
        with filler.open("wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"x" * 4096)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
        ids = []
        for i in range(40):
            ids.append(await history.record_attempt(
                platform="ringcentral", destination=f"+1650555{i:04d}", destination_display="x" * 200,
                extension=None, from_number="+14155550100", from_label=None, caller_id=None,
                play_prompt=False,
            ))
        full = list(history.problems)
        filler.unlink()
        await history.close()
        conn = sqlite3.connect(path)
        on_disk = [row[0] for row in conn.execute("SELECT id FROM calls ORDER BY id")]
        conn.close()
        print(json.dumps({"problems": full, "ids": ids, "on_disk": on_disk}))

    asyncio.run(main())
    """
)


def test_calls_kept_in_memory_are_saved_at_close_when_the_disk_has_room_again(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    result = run_with_mounts(tmpfs(disk, "512k"), FULL_AT_CLOSE_CHILD, str(disk))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["problems"]) == 1 and "disk is full" in report["problems"][0]
    assert report["on_disk"] == report["ids"]
