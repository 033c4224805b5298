"""Unit tests of the service's rules that a scripted transport shows more exactly than the simulator:
the poll spacing rule, and a cancel that arrives just after the call connected."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ringdesk.calls import CallService, Phase, PollingStatusSource
from ringdesk.platforms.ringcentral import PlatformClient, RateLimitLedger, StaticTokenAuth
from ringdesk.platforms.ringcentral.platform import RingCentralPlatform
from ringdesk.storage.history import CallHistory
from tests.fakes import FakeClock

from .conftest import TARGET, TO_E164

EXT = "/restapi/v1.0/account/~/extension/~"


def _client(
    ledger: RateLimitLedger, handler: Callable[[httpx.Request], httpx.Response] | None = None
) -> PlatformClient:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    return PlatformClient(
        "https://platform.example.test",
        "client-id",
        auth=StaticTokenAuth("token"),
        transport=httpx.MockTransport(handler or refuse),
        ledger=ledger,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def clients() -> AsyncIterator[list[PlatformClient]]:
    made: list[PlatformClient] = []
    yield made
    for client in made:
        await client.aclose()


async def test_default_pause_is_the_widget_interval(clock: FakeClock, clients: list[PlatformClient]) -> None:
    client = _client(RateLimitLedger(clock))
    clients.append(client)
    # 50 Light per 60 s, half of it for polling: 2.4 s, so the 2.5 s interval rules.
    assert PollingStatusSource(RingCentralPlatform(client)).pause() == 2.5


async def test_a_smaller_stated_limit_slows_polling(clock: FakeClock, clients: list[PlatformClient]) -> None:
    ledger = RateLimitLedger(clock)
    ledger.observe("ringout_status", "Light", {"X-Rate-Limit-Limit": "10", "X-Rate-Limit-Window": "60"})
    client = _client(ledger)
    clients.append(client)
    source = PollingStatusSource(RingCentralPlatform(client), interval=0.05)
    assert source.pause() == pytest.approx(12.0)


async def test_a_penalty_or_a_full_window_holds_polling_back(
    clock: FakeClock, clients: list[PlatformClient]
) -> None:
    ledger = RateLimitLedger(clock, limits={"Light": 1000})
    client = _client(ledger)
    clients.append(client)
    source = PollingStatusSource(RingCentralPlatform(client), interval=0.05)
    assert source.pause() == pytest.approx(0.12)
    ledger.penalize("Light", 30.0)
    assert source.pause() == pytest.approx(30.0)


async def test_trouble_backs_off_doubling_up_to_the_cap(
    clock: FakeClock, clients: list[PlatformClient]
) -> None:
    client = _client(RateLimitLedger(clock, limits={"Light": 1000}))
    clients.append(client)
    source = PollingStatusSource(RingCentralPlatform(client), interval=1.0, trouble_backoff_max=5.0)
    assert [source.pause(failures) for failures in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


async def test_cancel_that_meets_a_connected_call_hangs_it_up(
    tmp_path: Path, clients: list[PlatformClient]
) -> None:
    seen: list[str] = []
    connected = {"yes": False}
    placed_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")

    def reply(status: int, body: Any = None) -> httpx.Response:
        return httpx.Response(status, json=body) if body is not None else httpx.Response(status)

    def ringout(call: str, caller: str, callee: str) -> dict[str, Any]:
        return {"id": "ro-1", "status": {"callStatus": call, "callerStatus": caller, "calleeStatus": callee}}

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        seen.append(f"{request.method} {path.removeprefix(EXT)}")
        if request.method == "POST":
            assert json.loads(request.content)["to"] == {"phoneNumber": TO_E164}
            return reply(200, ringout("InProgress", "InProgress", "InProgress"))
        if request.method == "DELETE" and path.endswith("/ring-out/ro-1"):
            connected["yes"] = True  # it connected while the cancel was on its way
            return reply(409, {"errors": [{"errorCode": "RNG-109", "message": "connected"}]})
        if request.method == "GET" and path.endswith("/ring-out/ro-1"):
            return reply(
                200,
                ringout("Success", "Success", "Success")
                if connected["yes"]
                else ringout("InProgress", "InProgress", "InProgress"),
            )
        if path.endswith("/presence"):
            calls = [
                {"telephonySessionId": "s-other", "to": "+14155550100", "startTime": placed_at},
                {"telephonySessionId": "s-ours", "to": TO_E164, "startTime": placed_at},
            ]
            return reply(200, {"activeCalls": calls})
        if request.method == "DELETE" and path.endswith("/telephony/sessions/s-ours"):
            return reply(204)
        raise AssertionError(f"unexpected {request.method} {path}")

    client = _client(RateLimitLedger(time.monotonic), handler)
    clients.append(client)
    async with await CallHistory.open(tmp_path / "h.sqlite3") as history:
        # A long poll interval: only the cancel talks to the server after the POST.
        service = CallService(
            RingCentralPlatform(client), history, call_control=lambda: True, poll_interval=60.0
        )
        call = await service.place(
            TARGET, from_="+16505550122", from_label=None, caller_id=None, play_prompt=False
        )
        assert call.state.phase is Phase.CALLING_YOU
        await call.cancel()
        final = await call.wait_finished()
        assert final.phase is Phase.ENDED and final.outcome == "You hung up."
        assert seen == [
            "POST /ring-out",
            "DELETE /ring-out/ro-1",
            "GET /ring-out/ro-1",
            "GET /presence",
            "DELETE /restapi/v1.0/account/~/telephony/sessions/s-ours",
        ]
        record = await history.get(call.record_id)
        assert record is not None and record.state == "ended" and record.connected_at is not None
        await service.aclose()
