"""Whatever a hostile server answers to placing a call, the call history row is closed with a sentence.

The real call service, the real RingCentral platform and client, and the real SQLite history,
against `hostile_server` over a socket.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ringdesk.calls import CallService
from ringdesk.errors import MalformedResponse, RateLimited, RingDeskError
from ringdesk.platforms.ringcentral import PlatformClient, RetryPolicy, StaticTokenAuth
from ringdesk.platforms.ringcentral.platform import RingCentralPlatform
from ringdesk.storage.history import CallHistory, CallRecord, HistoryState
from tests.core.ringcentral.hostile_server import Answer, hostile_server, json_answer

from .conftest import FROM_NUMBER, TARGET


@pytest.fixture
async def history(tmp_path: Path) -> AsyncIterator[CallHistory]:
    history = await CallHistory.open(tmp_path / "history.sqlite3")
    yield history
    await history.close()


async def place_against(answer: Answer, history: CallHistory) -> tuple[RingDeskError, CallRecord]:
    """Place one call against a server answering `answer`; the error it raised and the history row."""
    async with hostile_server(answer) as server:
        client = PlatformClient(
            server.base_url, "client-id", auth=StaticTokenAuth("access-1"), retry=RetryPolicy(max_attempts=1)
        )
        service = CallService(RingCentralPlatform(client), history, call_control=lambda: False)
        try:
            with pytest.raises(RingDeskError) as caught:
                await service.place(
                    TARGET, from_=FROM_NUMBER, from_label="Mobile", caller_id=None, play_prompt=False
                )
        finally:
            await service.aclose()
            await client.aclose()
    [record] = await history.search()
    return caught.value, record


@pytest.mark.parametrize("retry_after", ["inf", "1e12", "-5", "nan"])
async def test_a_429_with_nonsense_retry_after_closes_the_row_with_the_default_wait(
    history: CallHistory, retry_after: str
) -> None:
    answer = json_answer(429, {"errorCode": "CMN-301"}, {"Retry-After": retry_after})
    error, record = await place_against(answer, history)
    assert isinstance(error, RateLimited)
    assert record.state is HistoryState.FAILED
    assert record.outcome == "The phone service refused the call: too many requests. Wait 30 s."


@pytest.mark.parametrize("ringout_id", ["7" * 10_000, "/../"])
async def test_a_ringout_with_an_odd_id_closes_the_row_with_a_sentence(
    history: CallHistory, ringout_id: str
) -> None:
    answer = json_answer(200, {"id": ringout_id, "status": {"callStatus": "InProgress"}})
    error, record = await place_against(answer, history)
    assert isinstance(error, MalformedResponse)
    assert record.state is HistoryState.FAILED
    assert record.call_id is None
    assert record.outcome is not None and "check your phone" in record.outcome
