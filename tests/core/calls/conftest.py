"""Fixtures for the call service on RingCentral against the real simulator, over sockets.

The client talks to the simulator through a real HTTP transport wrapped only to note, in one
shared event list, when each request goes out; the real SQLite call history (in `tmp_path`) is
wrapped the same way, so a test can prove the attempt was recorded before the first request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ringdesk.calls import Call, CallService, CallState, Phase
from ringdesk.calls.service import DEFAULT_RECORD_GAP
from ringdesk.numbers import DialTarget
from ringdesk.platforms.ringcentral import PlatformClient, RateLimitLedger, RetryPolicy, StaticTokenAuth
from ringdesk.platforms.ringcentral.platform import RingCentralPlatform
from ringdesk.simulator import Simulator, SimulatorControl
from ringdesk.storage.history import CallHistory

TO_E164 = "+14155550199"
TARGET = DialTarget(e164=TO_E164, display="+1 415-555-0199", region_code="US", region_name="United States")
FROM_NUMBER = "+16505550122"  # the demo user's "Mobile" forwarding number
FAST_POLL = 0.05
# Far above what any test sends, for the tests that are not about rate limits.
ROOMY_LIMITS = {"Light": 10_000, "Medium": 10_000, "Heavy": 10_000, "Auth": 10_000}


class Events(list[tuple[str, str]]):
    """What happened, in order: ("history", "record_attempt"), ("http", "POST /restapi/...")."""

    def index_of(self, kind: str, text: str) -> int:
        return next(i for i, (k, t) in enumerate(self) if k == kind and text in t)


class RecordingTransport(httpx.AsyncBaseTransport):
    """The real transport, noting each request as it leaves."""

    def __init__(self, events: Events) -> None:
        self._events = events
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._events.append(("http", f"{request.method} {request.url.path}"))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class OrderedHistory:
    """The real SQLite call history, noting each call in the shared event list."""

    def __init__(self, inner: CallHistory, events: Events) -> None:
        self.inner = inner
        self._events = events

    async def record_attempt(self, **fields: Any) -> int:
        record_id = await self.inner.record_attempt(**fields)
        self._events.append(("history", "record_attempt"))
        return record_id

    async def update(self, record_id: int, **fields: Any) -> None:
        self._events.append(("history", f"update {sorted(fields)}"))
        await self.inner.update(record_id, **fields)

    async def row(self, record_id: int) -> dict[str, Any]:
        """The stored record as a dict, with its duration."""
        record = await self.inner.get(record_id)
        assert record is not None, f"no call record {record_id}"
        return {**dataclasses.asdict(record), "duration": record.duration}

    async def rows(self) -> list[dict[str, Any]]:
        """Every record, oldest first."""
        return [await self.row(record.id) for record in reversed(await self.inner.search())]


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
async def history(events: Events, tmp_path: Path) -> AsyncIterator[OrderedHistory]:
    real = await CallHistory.open(tmp_path / "history.sqlite3")
    yield OrderedHistory(real, events)
    await real.close()


@pytest.fixture
def roomy(sim_control: SimulatorControl) -> SimulatorControl:
    """The simulator with rate limits far above what the test sends."""
    sim_control.set_rate_limits(ROOMY_LIMITS, reset_counters=True)
    return sim_control


@pytest.fixture
def tokens(sim_login: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return sim_login()


@pytest.fixture
async def make_client(
    sim: Simulator, tokens: dict[str, Any], events: Events
) -> AsyncIterator[Callable[..., PlatformClient]]:
    made: list[PlatformClient] = []

    def make(
        *,
        base_url: str | None = None,
        limits: dict[str, int] | None = None,
        window: float = 60.0,
        retry: RetryPolicy | None = None,
    ) -> PlatformClient:
        client = PlatformClient(
            base_url or sim.base_url,
            "ringdesk-demo",
            auth=StaticTokenAuth(tokens["access_token"]),
            transport=RecordingTransport(events),
            # One send per request, so the service's own back-off is what the tests see.
            retry=retry or RetryPolicy(max_attempts=1, backoff_initial=0.05, backoff_max=0.2),
            ledger=RateLimitLedger(time.monotonic, limits=limits or ROOMY_LIMITS, window=window),
            timeout=5.0,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
async def make_service(
    make_client: Callable[..., PlatformClient], history: OrderedHistory, tokens: dict[str, Any]
) -> AsyncIterator[Callable[..., CallService]]:
    made: list[CallService] = []
    granted = "CallControl" in str(tokens.get("scope", "")).split()

    def make(
        client: PlatformClient | None = None,
        *,
        call_control: bool | None = None,
        poll_interval: float = FAST_POLL,
        record_gap: float = DEFAULT_RECORD_GAP,
    ) -> CallService:
        allowed = granted if call_control is None else call_control
        service = CallService(
            RingCentralPlatform(client or make_client()),
            history,
            call_control=lambda: allowed,
            poll_interval=poll_interval,
            record_gap=record_gap,
        )
        made.append(service)
        return service

    yield make
    for service in made:
        await service.aclose()


async def place(service: CallService, *, play_prompt: bool = False, **kwargs: Any) -> Call:
    return await service.place(
        kwargs.pop("target", TARGET),
        from_=kwargs.pop("from_", FROM_NUMBER),
        from_label=kwargs.pop("from_label", "Mobile"),
        caller_id=kwargs.pop("caller_id", None),
        play_prompt=play_prompt,
        **kwargs,
    )


class Watcher:
    """Every state a call publishes, and a way to wait for a phase."""

    def __init__(self, call: Call) -> None:
        self.states: list[CallState] = [call.state]
        self._changed = asyncio.Event()
        call.subscribe(self._seen)

    def _seen(self, state: CallState) -> None:
        self.states.append(state)
        self._changed.set()

    @property
    def phases(self) -> list[Phase]:
        phases: list[Phase] = []
        for state in self.states:
            if not phases or phases[-1] is not state.phase:
                phases.append(state.phase)
        return phases

    async def until(self, check: Callable[[CallState], bool], *, within: float = 10.0) -> CallState:
        async with asyncio.timeout(within):
            while not check(self.states[-1]):
                self._changed.clear()
                await self._changed.wait()
        return self.states[-1]

    async def phase(self, phase: Phase, *, within: float = 10.0) -> CallState:
        return await self.until(lambda s: s.phase is phase, within=within)


@pytest.fixture
def watch() -> Iterator[Callable[[Call], Watcher]]:
    yield Watcher


def requests_to(control: SimulatorControl, method: str, fragment: str) -> list[dict[str, Any]]:
    return [r for r in control.requests() if r["method"] == method and fragment in r["path"]]
