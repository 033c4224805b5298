"""A call history in a fresh temporary folder for every test, and a helper to add attempts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ringdesk.storage import CallHistory


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    # A folder that does not exist yet: `open` must create it.
    return tmp_path / "data" / "history.sqlite3"


@pytest.fixture
async def history(db_path: Path) -> AsyncIterator[CallHistory]:
    opened = await CallHistory.open(db_path)
    yield opened
    await opened.close()


AddAttempt = Callable[..., Awaitable[int]]


@pytest.fixture
def add_attempt(history: CallHistory) -> AddAttempt:
    """`await add_attempt(destination="+44...", started_at=..., **any other record_attempt argument)`."""

    async def add(**overrides: Any) -> int:
        values: dict[str, Any] = {
            "platform": "ringcentral",
            "destination": "+16505551234",
            "destination_display": "+1 650-555-1234",
            "extension": None,
            "from_number": "+14155550100",
            "from_label": "Desk phone",
            "caller_id": None,
            "play_prompt": False,
            **overrides,
        }
        return await history.record_attempt(**values)

    return add
