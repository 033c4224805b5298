"""Fakes for the client's unit tests: a clock that only moves when the client sleeps (`FakeClock`
with `autojump`), and a scripted transport that answers requests in order and keeps every request it saw."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from ringdesk.platforms.ringcentral import PlatformClient, RetryPolicy, StaticTokenAuth
from tests.fakes import FakeClock

SERVER = "https://platform.example.test"
EXT = "/restapi/v1.0/account/~/extension/~"


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """Answers each request with the next scripted reply; the last one repeats."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []
        self.clock: FakeClock | None = None

    def add(self, *replies: Reply) -> Script:
        self.replies.extend(replies)
        return self

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.clock is not None:
            self.times.append(self.clock.now)
        if not self.replies:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply) and not isinstance(reply, httpx.Response):
            return reply(request)
        return reply

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def ringout_json(ringout_id: str = "ro-1", call: str = "InProgress") -> dict[str, Any]:
    return {
        "id": ringout_id,
        "uri": f"{SERVER}{EXT}/ring-out/{ringout_id}",
        "status": {"callStatus": call, "callerStatus": call, "calleeStatus": call},
    }


def error_json(code: str, message: str = "boom", parameter: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"errorCode": code, "message": message}
    if parameter:
        item["parameterName"] = parameter
    return {"errors": [item]}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(autojump=True)


@pytest.fixture
def script(clock: FakeClock) -> Script:
    s = Script()
    s.clock = clock
    return s


@pytest.fixture
async def make_client(clock: FakeClock, script: Script) -> AsyncIterator[Callable[..., PlatformClient]]:
    made: list[PlatformClient] = []

    def make(**kwargs: Any) -> PlatformClient:
        kwargs.setdefault("auth", StaticTokenAuth("access-1"))
        kwargs.setdefault("transport", script.transport)
        kwargs.setdefault("retry", RetryPolicy())
        client = PlatformClient(
            SERVER, "client-id", clock=clock, wall_clock=clock.wall, sleep=clock.sleep, **kwargs
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()
