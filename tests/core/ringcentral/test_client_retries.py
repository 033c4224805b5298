"""Retry rules: what is re-sent, when, and what never is. Time is fake: nothing really sleeps."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ringdesk.errors import (
    AuthenticationError,
    InvalidRequest,
    NetworkError,
    NotFound,
    OAuthError,
    RateLimited,
    ServerError,
)
from ringdesk.platforms.ringcentral import PlatformClient, RetryPolicy, StaticTokenAuth
from tests.fakes import FakeClock

from .conftest import EXT, Script, error_json, json_response, ringout_json

MakeClient = Callable[..., PlatformClient]

EXTENSION_OK = json_response(200, {"id": 400131})
TOKEN_OK = json_response(200, {"access_token": "a", "expires_in": 3600, "refresh_token": "r"})


# ---------------------------------------------------------------- idempotent requests are retried


async def test_get_retried_after_500_with_doubling_backoff(
    make_client: MakeClient, script: Script, clock: FakeClock
) -> None:
    script.add(
        json_response(500, error_json("CMN-201")), httpx.Response(502), httpx.Response(504), EXTENSION_OK
    )
    client = make_client()
    ext = await client.get_extension()
    assert ext.id == "400131"
    assert len(script.requests) == 4
    assert clock.sleeps == [2.0, 4.0, 8.0]


async def test_get_gives_up_after_max_attempts(
    make_client: MakeClient, script: Script, clock: FakeClock
) -> None:
    script.add(json_response(500, error_json("CMN-201", "Internal")))
    client = make_client()
    with pytest.raises(ServerError) as caught:
        await client.get_extension()
    assert caught.value.status == 500
    assert len(script.requests) == 4
    assert clock.sleeps == [2.0, 4.0, 8.0]


async def test_backoff_is_capped(make_client: MakeClient, script: Script, clock: FakeClock) -> None:
    script.add(httpx.Response(500))
    client = make_client(retry=RetryPolicy(max_attempts=8, backoff_max=60.0))
    with pytest.raises(ServerError):
        await client.get_extension()
    assert clock.sleeps == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


@pytest.mark.parametrize(
    ("error", "reached"),
    [
        (httpx.ConnectError("refused"), False),
        (httpx.ConnectTimeout("slow"), False),
        (httpx.ReadTimeout("no answer"), True),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), True),
        (httpx.ReadError("reset"), True),
    ],
)
async def test_get_retried_after_network_errors(
    make_client: MakeClient, script: Script, clock: FakeClock, error: Exception, reached: bool
) -> None:
    script.add(error, error, EXTENSION_OK)
    client = make_client()
    assert (await client.get_extension()).id == "400131"
    assert clock.sleeps == [2.0, 4.0]
    script.replies = [error]
    with pytest.raises(NetworkError) as caught:
        await client.get_extension()
    assert caught.value.may_have_reached_server is reached


async def test_get_retried_after_503_honours_retry_after(
    make_client: MakeClient, script: Script, clock: FakeClock
) -> None:
    script.add(httpx.Response(503, headers={"Retry-After": "7"}), EXTENSION_OK)
    client = make_client()
    assert (await client.get_extension()).id == "400131"
    assert script.times[1] - script.times[0] == pytest.approx(7.0)


async def test_get_503_without_retry_after_waits_30(
    make_client: MakeClient, script: Script, clock: FakeClock
) -> None:
    script.add(httpx.Response(503), EXTENSION_OK)
    client = make_client()
    await client.get_extension()
    assert script.times[1] - script.times[0] == pytest.approx(30.0)


async def test_429_on_get_waits_then_retries(
    make_client: MakeClient, script: Script, clock: FakeClock
) -> None:
    script.add(
        json_response(
            429,
            error_json("CMN-301", "Request rate exceeded"),
            {"Retry-After": "20", "X-Rate-Limit-Group": "Light"},
        ),
        EXTENSION_OK,
    )
    client = make_client()
    assert (await client.get_extension()).id == "400131"
    assert len(script.requests) == 2
    assert script.times[1] - script.times[0] == pytest.approx(20.0)


async def test_429_on_get_with_long_penalty_raises(
    make_client: MakeClient, script: Script, clock: FakeClock
) -> None:
    script.add(json_response(429, error_json("CMN-301"), {"Retry-After": "120"}))
    client = make_client()
    with pytest.raises(RateLimited) as caught:
        await client.get_extension()
    assert caught.value.sent is True
    assert caught.value.retry_after == 120
    assert caught.value.group == "Light"
    assert caught.value.error_code == "CMN-301"
    assert len(script.requests) == 1
    # The penalty holds every Light request back, without sending.
    with pytest.raises(RateLimited) as held:
        await client.get_ringout("x")
    assert held.value.sent is False
    assert len(script.requests) == 1
    assert client.next_send_in("Light") == pytest.approx(120.0)


async def test_retry_after_as_http_date(make_client: MakeClient, script: Script, clock: FakeClock) -> None:
    from email.utils import formatdate

    script.add(
        httpx.Response(429, headers={"Retry-After": formatdate(clock.wall() + 15, usegmt=True)}), EXTENSION_OK
    )
    client = make_client()
    await client.get_extension()
    assert script.times[1] - script.times[0] == pytest.approx(15.0, abs=1.0)


async def test_delete_cancel_is_retried_after_a_drop(
    make_client: MakeClient, script: Script, clock: FakeClock
) -> None:
    script.add(httpx.ReadError("reset"), httpx.Response(204))
    client = make_client()
    await client.cancel_ringout("ro-1")
    assert script.paths() == [f"DELETE {EXT}/ring-out/ro-1"] * 2


async def test_4xx_is_not_retried(make_client: MakeClient, script: Script, clock: FakeClock) -> None:
    script.add(json_response(404, error_json("CMN-102", "Resource not found")))
    client = make_client()
    with pytest.raises(NotFound):
        await client.get_ringout("gone")
    assert len(script.requests) == 1
    assert clock.sleeps == []


# ---------------------------------------------------------------- RingOut POST is never re-sent


@pytest.mark.parametrize(
    "failure",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadTimeout("timed out"),
        httpx.ReadError("connection reset"),
    ],
)
async def test_ringout_post_not_resent_after_connection_drop(
    make_client: MakeClient, script: Script, clock: FakeClock, failure: Exception
) -> None:
    script.add(failure, json_response(200, ringout_json()))
    client = make_client()
    with pytest.raises(NetworkError) as caught:
        await client.create_ringout({"phoneNumber": "+16505550100"}, "+14155550199")
    assert caught.value.may_have_reached_server is True
    assert len(script.requests) == 1
    assert clock.sleeps == []


async def test_ringout_post_connect_error_is_known_not_to_have_reached(
    make_client: MakeClient, script: Script
) -> None:
    script.add(httpx.ConnectError("refused"))
    client = make_client()
    with pytest.raises(NetworkError) as caught:
        await client.create_ringout("+16505550100", "+14155550199")
    assert caught.value.may_have_reached_server is False
    assert len(script.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_ringout_post_not_resent_after_5xx(
    make_client: MakeClient, script: Script, clock: FakeClock, status: int
) -> None:
    script.add(json_response(status, error_json("CMN-201")), json_response(200, ringout_json()))
    client = make_client()
    with pytest.raises(ServerError) as caught:
        await client.create_ringout("+16505550100", "+14155550199")
    assert caught.value.status == status
    assert len(script.requests) == 1
    assert clock.sleeps == []


async def test_ringout_post_429_raises_with_retry_after(make_client: MakeClient, script: Script) -> None:
    script.add(
        json_response(429, error_json("CMN-301"), {"Retry-After": "45", "X-Rate-Limit-Group": "Heavy"})
    )
    client = make_client()
    with pytest.raises(RateLimited) as caught:
        await client.create_ringout("+16505550100", "+14155550199")
    assert (caught.value.sent, caught.value.group, caught.value.retry_after) == (True, "Heavy", 45.0)
    assert client.next_send_in("Heavy") == pytest.approx(45.0)
    # Other groups are not penalised.
    assert client.next_send_in("Light") == 0.0


async def test_token_request_not_resent_after_drop(
    make_client: MakeClient, script: Script, clock: FakeClock
) -> None:
    script.add(httpx.ReadError("reset"), TOKEN_OK)
    client = make_client(auth=None)
    with pytest.raises(NetworkError) as caught:
        await client.refresh_tokens("RT-1")
    assert caught.value.may_have_reached_server is True
    assert len(script.requests) == 1


async def test_token_request_not_resent_after_503(make_client: MakeClient, script: Script) -> None:
    script.add(httpx.Response(503, headers={"Retry-After": "3"}), TOKEN_OK)
    client = make_client(auth=None)
    with pytest.raises(ServerError) as caught:
        await client.refresh_tokens("RT-1")
    assert not isinstance(caught.value, OAuthError)
    assert caught.value.retry_after == 3.0
    assert len(script.requests) == 1


# ---------------------------------------------------------------- the budget: strict client-side limiting


async def test_heavy_budget_spent_raises_without_sending(
    make_client: MakeClient, script: Script, clock: FakeClock
) -> None:
    script.add(json_response(200, ringout_json()))
    client = make_client()
    for _ in range(10):
        await client.create_ringout("+16505550100", "+14155550199")
        clock.jump(1.0)
    assert len(script.requests) == 10
    with pytest.raises(RateLimited) as caught:
        await client.create_ringout("+16505550100", "+14155550199")
    assert caught.value.sent is False
    assert caught.value.group == "Heavy"
    assert caught.value.status is None
    assert caught.value.retry_after == pytest.approx(50.0)
    assert len(script.requests) == 10  # zero requests sent
    assert client.next_send_in("Heavy") == pytest.approx(50.0)
    assert client.next_send_in(client.group_of("ringout_create")) == pytest.approx(50.0)
    clock.jump(50.0)
    await client.create_ringout("+16505550100", "+14155550199")
    assert len(script.requests) == 11


async def test_cancel_shares_the_heavy_budget(
    make_client: MakeClient, script: Script, clock: FakeClock
) -> None:
    script.add(json_response(200, ringout_json()))
    client = make_client(retry=RetryPolicy(max_rate_limit_wait=5.0))
    for _ in range(10):
        await client.create_ringout("+16505550100", "+14155550199")
    with pytest.raises(RateLimited) as caught:
        await client.cancel_ringout("ro-1")
    assert caught.value.sent is False
    assert len(script.requests) == 10


async def test_get_waits_for_its_budget_instead_of_failing(
    make_client: MakeClient, script: Script, clock: FakeClock
) -> None:
    script.add(json_response(200, ringout_json()))
    client = make_client()
    for _ in range(50):
        await client.get_ringout("ro-1")
    start = clock.now
    await client.get_ringout("ro-1")
    assert clock.now - start == pytest.approx(60.0)
    assert len(script.requests) == 51


async def test_server_remaining_header_stops_us_early(make_client: MakeClient, script: Script) -> None:
    script.add(
        json_response(
            200,
            ringout_json(),
            {
                "X-Rate-Limit-Group": "Heavy",
                "X-Rate-Limit-Limit": "10",
                "X-Rate-Limit-Remaining": "0",
                "X-Rate-Limit-Window": "60",
            },
        )
    )
    client = make_client()
    await client.create_ringout("+16505550100", "+14155550199")
    with pytest.raises(RateLimited) as caught:
        await client.create_ringout("+16505550100", "+14155550199")
    assert caught.value.sent is False
    assert len(script.requests) == 1


async def test_auth_budget_guards_token_requests(make_client: MakeClient, script: Script) -> None:
    script.add(TOKEN_OK)
    client = make_client(auth=None)
    for _ in range(5):
        await client.login_jwt("jwt")
    with pytest.raises(RateLimited) as caught:
        await client.refresh_tokens("r")
    assert caught.value.sent is False and caught.value.group == "Auth"
    assert len(script.requests) == 5


# ---------------------------------------------------------------- the auth hook


class RecordingAuth:
    def __init__(self, tokens: list[str], replacement: str | None) -> None:
        self.tokens = tokens
        self.replacement = replacement
        self.rejected: list[str] = []

    async def access_token(self) -> str:
        return self.tokens[0]

    async def token_rejected(self, rejected: str) -> str | None:
        self.rejected.append(rejected)
        if self.replacement is not None:
            self.tokens[0] = self.replacement
        return self.replacement


def unauthorized() -> httpx.Response:
    return json_response(
        401,
        {
            "errorCode": "OAU-128",
            "message": "Access token expired",
            "errors": [{"errorCode": "OAU-128", "message": "Access token expired"}],
        },
    )


async def test_401_refreshes_once_and_retries_once(make_client: MakeClient, script: Script) -> None:
    script.add(unauthorized(), EXTENSION_OK)
    auth = RecordingAuth(["old"], "new")
    client = make_client(auth=auth)
    assert (await client.get_extension()).id == "400131"
    assert auth.rejected == ["old"]
    assert [r.headers["Authorization"] for r in script.requests] == ["Bearer old", "Bearer new"]


async def test_second_401_raises(make_client: MakeClient, script: Script) -> None:
    script.add(unauthorized())
    auth = RecordingAuth(["old"], "new")
    client = make_client(auth=auth)
    with pytest.raises(AuthenticationError) as caught:
        await client.get_extension()
    assert caught.value.error_code == "OAU-128"
    assert auth.rejected == ["old"]
    assert len(script.requests) == 2


async def test_401_without_replacement_raises_at_once(make_client: MakeClient, script: Script) -> None:
    script.add(unauthorized())
    auth = RecordingAuth(["old"], None)
    client = make_client(auth=auth)
    with pytest.raises(AuthenticationError):
        await client.get_extension()
    assert len(script.requests) == 1


async def test_401_same_token_back_is_not_retried(make_client: MakeClient, script: Script) -> None:
    script.add(unauthorized())
    auth = RecordingAuth(["old"], "old")
    client = make_client(auth=auth)
    with pytest.raises(AuthenticationError):
        await client.get_extension()
    assert len(script.requests) == 1


async def test_ringout_post_retried_after_401(make_client: MakeClient, script: Script) -> None:
    # A 401 means the platform refused the request before acting: no call exists yet.
    script.add(unauthorized(), json_response(200, ringout_json("ro-9")))
    auth = RecordingAuth(["old"], "new")
    client = make_client(auth=auth)
    status = await client.create_ringout("+16505550100", "+14155550199")
    assert status.id == "ro-9"
    assert len(script.requests) == 2


async def test_401_on_token_endpoint_is_oauth_error_not_hook(make_client: MakeClient, script: Script) -> None:
    script.add(json_response(401, {"error": "invalid_client", "errors": [{"errorCode": "OAU-123"}]}))
    auth = RecordingAuth(["old"], "new")
    client = make_client(auth=auth)
    with pytest.raises(OAuthError) as caught:
        await client.login_jwt("jwt")
    assert caught.value.oauth_error == "invalid_client"
    assert auth.rejected == []
    assert "Authorization" not in script.requests[0].headers


async def test_static_token_auth() -> None:
    auth = StaticTokenAuth(None)
    with pytest.raises(AuthenticationError):
        await auth.access_token()
    auth.set_token("t1")
    assert await auth.access_token() == "t1"
    assert await auth.token_rejected("t1") is None
    assert await auth.token_rejected("t0") == "t1"
    assert "t1" not in repr(auth)


async def test_validation_errors_carry_codes(make_client: MakeClient, script: Script) -> None:
    script.add(json_response(400, error_json("TEL-109", "Invalid to", "to.phoneNumber")))
    client = make_client()
    with pytest.raises(InvalidRequest) as caught:
        await client.create_ringout("+16505550100", "12")
    assert caught.value.error_code == "TEL-109"
    assert caught.value.user_message == "The number you are calling is not valid."
