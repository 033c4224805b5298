"""What a hostile or broken server can do to the client: bounded in time, memory and what it believes.

Every test runs the real client over a real socket against `hostile_server`, with small limits and
short deadlines passed as client parameters so that each stays fast.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ringdesk.errors import MalformedResponse, NetworkError, RateLimited, RingDeskError, ServerError
from ringdesk.platforms.ringcentral import PlatformClient, RetryPolicy, StaticTokenAuth
from ringdesk.platforms.ringcentral.ratelimit import (
    DEFAULT_LIMITS,
    DEFAULT_RETRY_AFTER,
    MAX_STATED_WINDOW,
)

from .hostile_server import HostileServer, gzip_of_zeros, head, hostile_server, json_answer

QUICK_RETRY = RetryPolicy(max_attempts=3, backoff_initial=0.01, backoff_max=0.01)
NONSENSE_RETRY_AFTER = ["inf", "nan", "-5", "1e12", "soon-ish", "Wed, 01 Jan 2200 00:00:00 GMT"]


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., PlatformClient]]:
    made: list[PlatformClient] = []

    def make(server: HostileServer, **kwargs: Any) -> PlatformClient:
        kwargs.setdefault("retry", QUICK_RETRY)
        client = PlatformClient(server.base_url, "client-id", auth=StaticTokenAuth("access-1"), **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


MakeClient = Callable[..., PlatformClient]


async def trickle(method: str, path: str, writer: asyncio.StreamWriter) -> None:
    """Promise a body, then send one byte of it every 50 ms: each read is quick, the whole never ends."""
    writer.write(head(200, {"Content-Type": "application/json", "Content-Length": "100000"}))
    while True:
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(0.05)


# ---------------------------------------------------------------- one deadline per request


async def test_a_trickling_server_cannot_hold_a_request_past_its_deadline(make_client: MakeClient) -> None:
    async with hostile_server(trickle) as server:
        client = make_client(server, timeout=5.0, request_deadline=0.3, retry=RetryPolicy(max_attempts=1))
        started = time.monotonic()
        with pytest.raises(NetworkError) as caught:
            await client.get_extension()
    assert time.monotonic() - started < 2.0
    assert caught.value.may_have_reached_server
    assert "0.3 seconds" in caught.value.user_message


async def test_a_get_past_its_deadline_is_sent_again(make_client: MakeClient) -> None:
    async with hostile_server(trickle) as server:
        client = make_client(server, timeout=5.0, request_deadline=0.2)
        with pytest.raises(NetworkError):
            await client.get_extension()
    assert len(server.requests) == QUICK_RETRY.max_attempts


async def test_a_ringout_past_its_deadline_is_never_sent_again(make_client: MakeClient) -> None:
    async with hostile_server(trickle) as server:
        client = make_client(server, timeout=5.0, request_deadline=0.2)
        with pytest.raises(NetworkError) as caught:
            await client.create_ringout("+16505550122", "+14155550199")
    assert caught.value.may_have_reached_server
    assert server.requests == ["POST /restapi/v1.0/account/~/extension/~/ring-out"]


# ---------------------------------------------------------------- how much a reply may weigh


async def endless_body(method: str, path: str, writer: asyncio.StreamWriter) -> None:
    """A 200 MB reply, 64 KiB at a time, for as long as the client keeps reading."""
    writer.write(head(200, {"Content-Type": "application/json", "Content-Length": str(200 << 20)}))
    chunk = b"[" + b"0," * (32 << 10)
    for _ in range((200 << 20) // len(chunk)):
        writer.write(chunk)
        await writer.drain()


async def gzip_bomb(method: str, path: str, writer: asyncio.StreamWriter) -> None:
    """About 100 KB on the wire that inflate to 100 MiB."""
    body = BOMB
    headers = {
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "Content-Length": str(len(body)),
    }
    writer.write(head(200, headers) + body)


BOMB = gzip_of_zeros(100 << 20)


async def test_a_huge_body_is_cut_off_at_the_limit(make_client: MakeClient) -> None:
    async with hostile_server(endless_body) as server:
        client = make_client(server, max_response_bytes=256 << 10, retry=RetryPolicy(max_attempts=1))
        with pytest.raises(MalformedResponse) as caught:
            await client.get_extension()
    assert "262144 bytes" in str(caught.value)


async def test_a_gzip_bomb_is_not_inflated_past_the_limit(make_client: MakeClient) -> None:
    assert len(BOMB) < 200_000
    async with hostile_server(gzip_bomb) as server:
        client = make_client(server, max_response_bytes=1 << 20, retry=RetryPolicy(max_attempts=1))
        tracemalloc.start()
        try:
            with pytest.raises(MalformedResponse) as caught:
                await client.get_extension()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert "1048576 bytes" in str(caught.value)
    assert peak < 16 << 20


async def test_a_gzip_reply_within_the_limit_is_read(make_client: MakeClient) -> None:
    body = gzip.compress(json.dumps({"id": 400131, "name": "Operator"}).encode())

    async def answer(method: str, path: str, writer: asyncio.StreamWriter) -> None:
        headers = {"Content-Encoding": "gzip", "Content-Length": str(len(body))}
        writer.write(head(200, {"Content-Type": "application/json", **headers}) + body)

    async with hostile_server(answer) as server:
        extension = await make_client(server).get_extension()
    assert extension.id == "400131"


async def test_json_nested_past_the_parsers_depth_is_malformed(make_client: MakeClient) -> None:
    body = b"[" * 200_000 + b"]" * 200_000

    async def answer(method: str, path: str, writer: asyncio.StreamWriter) -> None:
        writer.write(head(200, {"Content-Type": "application/json", "Content-Length": str(len(body))}) + body)

    async with hostile_server(answer) as server:
        with pytest.raises(MalformedResponse):
            await make_client(server).get_extension()


async def test_a_number_too_large_for_its_field_is_malformed(make_client: MakeClient) -> None:
    token = {"access_token": "a", "token_type": "bearer", "expires_in": 1e999, "refresh_token": "r"}
    async with hostile_server(json_answer(200, token)) as server:
        with pytest.raises(MalformedResponse):
            await make_client(server).login_jwt("assertion")


# ---------------------------------------------------------------- Retry-After is believed only when sane


@pytest.mark.parametrize("retry_after", NONSENSE_RETRY_AFTER)
async def test_nonsense_retry_after_on_a_429_counts_as_missing(
    make_client: MakeClient, retry_after: str
) -> None:
    answer = json_answer(429, {"errorCode": "CMN-301"}, {"Retry-After": retry_after})
    async with hostile_server(answer) as server:
        client = make_client(server)
        with pytest.raises(RateLimited) as caught:
            await client.create_ringout("+16505550122", "+14155550199")
    assert caught.value.retry_after == DEFAULT_RETRY_AFTER
    assert "30 seconds" in caught.value.user_message
    assert 0 < client.next_send_in("Heavy") <= DEFAULT_RETRY_AFTER


@pytest.mark.parametrize("retry_after", NONSENSE_RETRY_AFTER)
async def test_nonsense_retry_after_on_a_503_counts_as_missing(
    make_client: MakeClient, retry_after: str
) -> None:
    answer = json_answer(503, {"errorCode": "CMN-211"}, {"Retry-After": retry_after})
    async with hostile_server(answer) as server:
        client = make_client(server, retry=RetryPolicy(max_attempts=1))
        with pytest.raises(ServerError) as caught:
            await client.get_extension()
    assert caught.value.retry_after == DEFAULT_RETRY_AFTER
    assert 0 < client.next_send_in("Light") <= DEFAULT_RETRY_AFTER


async def test_a_sane_retry_after_is_still_honoured(make_client: MakeClient) -> None:
    answer = json_answer(429, {"errorCode": "CMN-301"}, {"Retry-After": "45"})
    async with hostile_server(answer) as server:
        with pytest.raises(RateLimited) as caught:
            await make_client(server).create_ringout("+16505550122", "+14155550199")
    assert caught.value.retry_after == 45.0


# ---------------------------------------------------------------- ids the server hands out


@pytest.mark.parametrize(
    "ringout_id", ["7" * 10_000, "/../", "1/../../../oauth/revoke", "..", "12 34", "id\n", "ümlaut"]
)
async def test_an_odd_ringout_id_is_malformed_when_read(make_client: MakeClient, ringout_id: str) -> None:
    ringout = {"id": ringout_id, "status": {"callStatus": "InProgress"}}
    async with hostile_server(json_answer(200, ringout)) as server:
        with pytest.raises(MalformedResponse) as caught:
            await make_client(server).create_ringout("+16505550122", "+14155550199")
    assert "ring-out.id" in str(caught.value)


@pytest.mark.parametrize("ringout_id", ["1234567890", "Y3MxNzE4-_1", 1234567890])
async def test_an_ordinary_ringout_id_is_kept(make_client: MakeClient, ringout_id: object) -> None:
    ringout = {"id": ringout_id, "status": {"callStatus": "InProgress"}}
    async with hostile_server(json_answer(200, ringout)) as server:
        status = await make_client(server).create_ringout("+16505550122", "+14155550199")
    assert status.id == str(ringout_id)


async def test_an_odd_telephony_session_id_in_presence_is_malformed(make_client: MakeClient) -> None:
    presence = {"activeCalls": [{"id": "c1", "telephonySessionId": "s-1/../../../extension/~"}]}
    async with hostile_server(json_answer(200, presence)) as server:
        with pytest.raises(MalformedResponse):
            await make_client(server).get_presence()


# ---------------------------------------------------------------- only the client's own errors escape


async def test_a_server_that_hangs_up_mid_answer_gives_the_clients_own_error(make_client: MakeClient) -> None:
    async def hang_up(method: str, path: str, writer: asyncio.StreamWriter) -> None:
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"id"')
        await writer.drain()
        writer.transport.abort()

    async with hostile_server(hang_up) as server:
        with pytest.raises(RingDeskError):
            await make_client(server, retry=RetryPolicy(max_attempts=1)).get_extension()


async def test_an_unknown_content_encoding_is_malformed(make_client: MakeClient) -> None:
    body = b"\x00\x01\x02"

    async def answer(method: str, path: str, writer: asyncio.StreamWriter) -> None:
        headers = {"Content-Encoding": "x-mystery", "Content-Length": str(len(body))}
        writer.write(head(200, {"Content-Type": "application/json", **headers}) + body)

    async with hostile_server(answer) as server:
        with pytest.raises(MalformedResponse):
            await make_client(server).get_extension()


# ---------------------------------------------------------------- rate-limit headers, believed only when sane


async def test_a_huge_stated_limit_with_nothing_remaining_is_not_believed(make_client: MakeClient) -> None:
    headers = {"X-Rate-Limit-Group": "Light", "X-Rate-Limit-Limit": "5000000", "X-Rate-Limit-Remaining": "0"}
    async with hostile_server(json_answer(200, {"id": 400131}, headers)) as server:
        client = make_client(server)
        await client.get_extension()
    light = client.ledger.state("Light")
    assert light.limit == DEFAULT_LIMITS["Light"]
    assert light.used <= DEFAULT_LIMITS["Light"]


async def test_a_huge_stated_window_is_not_believed(make_client: MakeClient) -> None:
    headers = {
        "X-Rate-Limit-Group": "Heavy",
        "X-Rate-Limit-Limit": "1",
        "X-Rate-Limit-Remaining": "0",
        "X-Rate-Limit-Window": "1e12",
    }
    ringout = {"id": "1234567890", "status": {"callStatus": "InProgress"}}
    async with hostile_server(json_answer(200, ringout, headers)) as server:
        client = make_client(server)
        await client.create_ringout("+16505550122", "+14155550199")
    assert client.next_send_in("Heavy") <= MAX_STATED_WINDOW
