"""The platform client against the real simulator, over sockets: no mocks of HTTP.

The simulator's calls run on real time (tenths of a second here); the client's own clock and sleep
are fakes, so its retry and rate-limit waits cost nothing and are exactly measurable.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ringdesk.errors import (
    AuthenticationError,
    InvalidRequest,
    MalformedResponse,
    NetworkError,
    NotFound,
    OAuthError,
    RateLimited,
    ServerError,
)
from ringdesk.platforms.ringcentral import (
    PlatformClient,
    RetryPolicy,
    RingOutStatus,
    StaticTokenAuth,
    TokenSet,
)
from tests.fakes import FakeClock

RING_OUT = "*/extension/~/ring-out"
TO_NUMBER = "+14155550199"


class RefreshingAuth:
    """The smallest real AuthHook: refreshes through the client when the server rejects a token."""

    def __init__(self, client: PlatformClient, tokens: TokenSet) -> None:
        self.client = client
        self.tokens = tokens
        self.refreshes = 0

    async def access_token(self) -> str:
        return self.tokens.access_token

    async def token_rejected(self, rejected: str) -> str | None:
        if self.tokens.refresh_token is None:
            return None
        self.tokens = await self.client.refresh_tokens(self.tokens.refresh_token)
        self.refreshes += 1
        return self.tokens.access_token


@pytest.fixture
def sim_info(sim_control: Any) -> dict[str, Any]:
    # A no-op with today's per-test simulator; keeps these tests independent if it is ever shared.
    sim_control.reset()
    info: dict[str, Any] = sim_control.info()
    return info


@pytest.fixture
def public_client_id(sim_info: dict[str, Any]) -> str:
    return str(next(c["clientId"] for c in sim_info["clients"] if c["public"]))


@pytest.fixture
def demo_user(sim_info: dict[str, Any]) -> dict[str, Any]:
    user: dict[str, Any] = sim_info["users"][0]
    return user


@pytest.fixture
async def new_client(
    sim: Any, public_client_id: str, clock: FakeClock
) -> AsyncIterator[Callable[..., PlatformClient]]:
    made: list[PlatformClient] = []

    def make(**kwargs: Any) -> PlatformClient:
        kwargs.setdefault("retry", RetryPolicy())
        client = PlatformClient(
            sim.base_url, public_client_id, clock=clock, wall_clock=clock.wall, sleep=clock.sleep, **kwargs
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
async def signed_in(new_client: Callable[..., PlatformClient], demo_user: dict[str, Any]) -> PlatformClient:
    client = new_client()
    tokens = await client.login_jwt(demo_user["jwtCredential"])
    client.auth = RefreshingAuth(client, tokens)
    return client


def ringout_posts(sim_control: Any) -> list[dict[str, Any]]:
    return [r for r in sim_control.requests() if r["method"] == "POST" and r["path"].endswith("/ring-out")]


async def wait_for(
    client: PlatformClient, ringout_id: str, done: Callable[[RingOutStatus], bool]
) -> RingOutStatus:
    """Poll the status until `done`; the simulator's calls here last tenths of a second."""
    async with asyncio.timeout(10):
        while True:
            status = await client.get_ringout(ringout_id)
            if done(status):
                return status
            await asyncio.sleep(0.05)


async def test_jwt_login_and_account(
    signed_in: PlatformClient, demo_user: dict[str, Any], sim_control: Any
) -> None:
    client = signed_in
    assert isinstance(client.auth, RefreshingAuth)
    tokens = client.auth.tokens
    assert tokens.refresh_token and tokens.expires_in > 0
    assert tokens.owner_id == str(demo_user["extensionId"])

    extension = await client.get_extension()
    assert extension.id == str(demo_user["extensionId"])
    assert extension.extension_number == demo_user["extensionNumber"]
    assert extension.ringout_enabled
    assert extension.home_country is not None

    forwarding = await client.list_forwarding_numbers()
    assert forwarding, "the demo account has forwarding numbers"
    assert any(f.id is None for f in forwarding), "the demo data has a record without id, as real data does"
    for number in forwarding:
        assert number.ringout_from()  # usable as a RingOut `from` whether or not it has an id

    numbers = await client.list_phone_numbers()
    assert any(n.can_be_caller_id for n in numbers)
    assert any(not n.can_be_caller_id for n in numbers)

    devices = await client.list_devices()
    assert devices

    presence = await client.get_presence()
    assert presence.active_calls == ()

    # Every request carried our client id; none was a retry.
    log = sim_control.requests()
    assert [r["status"] for r in log] == [200] * len(log)


async def test_full_ringout_to_finished(signed_in: PlatformClient, sim_control: Any) -> None:
    sim_control.set_timings(caller_ring=0.1, callee_ring=0.1, talk=0.8, gone_after=0.3)
    client = signed_in
    phone = (await client.list_forwarding_numbers())[0]
    numbers = await client.list_phone_numbers()
    caller_id = next(n.phone_number for n in numbers if n.can_be_caller_id)

    placed = await client.create_ringout(phone, TO_NUMBER, caller_id=caller_id)
    assert placed.call_status_is("InProgress")

    connected = await wait_for(client, placed.id, lambda s: not s.call_status_is("InProgress"))
    assert connected.call_status_is("Success")
    assert connected.caller_status_is("Success") and connected.callee_status_is("Success")
    presence = await client.get_presence()
    assert presence.telephony_status == "CallConnected"
    session_id = presence.active_calls[0].telephony_session_id
    assert session_id
    session = await client.get_telephony_session(session_id)
    assert session.is_ringout
    assert {p.ringout_role for p in session.parties} == {"Initiator", "Target"}

    finished = await wait_for(client, placed.id, lambda s: s.call_status_is("Finished"))
    assert finished.caller_status_is("Finished") and finished.callee_status_is("Finished")

    # Some time after the end the resource is gone: the platform's "ended", here a NotFound.
    with pytest.raises(NotFound) as gone:
        async with asyncio.timeout(10):
            while True:
                await client.get_ringout(placed.id)
                await asyncio.sleep(0.05)
    assert gone.value.error_code == "CMN-102"
    assert len(ringout_posts(sim_control)) == 1


async def test_hang_up_a_connected_call(signed_in: PlatformClient, sim_control: Any) -> None:
    sim_control.set_timings(caller_ring=0.05, callee_ring=0.05, talk=30.0)
    client = signed_in
    placed = await client.create_ringout({"phoneNumber": "+16505550100"}, TO_NUMBER)
    await wait_for(client, placed.id, lambda s: s.call_status_is("Success"))
    presence = await client.get_presence()
    session_id = presence.active_calls[0].telephony_session_id
    assert session_id
    await client.hang_up(session_id)
    status = await client.get_ringout(placed.id)
    assert status.call_status_is("Finished")
    with pytest.raises(NotFound):
        await client.hang_up(session_id)


async def test_cancel_while_ringing(signed_in: PlatformClient, sim_control: Any) -> None:
    sim_control.set_timings(caller_ring=30.0)
    client = signed_in
    placed = await client.create_ringout({"phoneNumber": "+16505550100"}, TO_NUMBER)
    await client.cancel_ringout(placed.id)
    calls = sim_control.calls()
    assert len(calls) == 1
    assert "cancel" in str(calls[0]).lower()
    deletes = [r for r in sim_control.requests() if r["method"] == "DELETE"]
    assert [r["status"] for r in deletes] == [204]


async def test_validation_error_from_the_server(signed_in: PlatformClient) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await signed_in.create_ringout({"phoneNumber": "+16505550100"}, "not a number")
    assert caught.value.error_code == "TEL-109"
    assert caught.value.parameter_name == "to.phoneNumber"
    assert caught.value.user_message == "The number you are calling is not valid."


async def test_ledger_learns_the_limit_and_never_sends_past_it(
    signed_in: PlatformClient, sim_control: Any, clock: FakeClock
) -> None:
    sim_control.set_timings(caller_ring=30.0)
    sim_control.set_rate_limits({"Heavy": 2}, reset_counters=True)
    client = signed_in
    for _ in range(2):
        await client.create_ringout({"phoneNumber": "+16505550100"}, TO_NUMBER)
    with pytest.raises(RateLimited) as caught:
        await client.create_ringout({"phoneNumber": "+16505550100"}, TO_NUMBER)
    assert caught.value.sent is False
    assert caught.value.group == "Heavy"
    assert client.next_send_in("Heavy") > 0
    posts = ringout_posts(sim_control)
    assert [p["status"] for p in posts] == [200, 200]  # the server never had to say 429


async def test_429_after_heavy_budget_then_ledger_prevents_a_second_send(
    new_client: Callable[..., PlatformClient], demo_user: dict[str, Any], sim_control: Any
) -> None:
    sim_control.set_timings(caller_ring=30.0)
    sim_control.set_rate_limits({"Heavy": 3}, penalty=20, reset_counters=True)
    # Another instance of the app for the same user spends the budget; our client's ledger cannot know.
    other = new_client()
    tokens = await other.login_jwt(demo_user["jwtCredential"])
    other.auth = StaticTokenAuth(tokens.access_token)
    for _ in range(3):
        await other.create_ringout({"phoneNumber": "+16505550100"}, TO_NUMBER)

    client = new_client(auth=StaticTokenAuth(tokens.access_token))
    with pytest.raises(RateLimited) as first:
        await client.create_ringout({"phoneNumber": "+16505550100"}, TO_NUMBER)
    assert first.value.sent is True
    assert first.value.status == 429
    assert first.value.error_code == "CMN-301"
    assert first.value.group == "Heavy"
    assert first.value.retry_after == pytest.approx(20.0)
    # At least the penalty; here the window too, since the 429's headers say the budget is spent.
    assert client.next_send_in("Heavy") >= 20.0

    with pytest.raises(RateLimited) as second:
        await client.create_ringout({"phoneNumber": "+16505550100"}, TO_NUMBER)
    assert second.value.sent is False
    statuses = [p["status"] for p in ringout_posts(sim_control)]
    assert statuses == [200, 200, 200, 429]  # exactly one POST from our client, none during the penalty
    # The penalty is per group: Light requests still go.
    await client.get_extension()


async def test_ringout_post_not_resent_after_drop(
    signed_in: PlatformClient, sim_control: Any, clock: FakeClock
) -> None:
    sim_control.set_timings(caller_ring=30.0)
    sim_control.drop_next(RING_OUT, method="POST")
    with pytest.raises(NetworkError) as caught:
        await signed_in.create_ringout({"phoneNumber": "+16505550100"}, TO_NUMBER)
    assert caught.value.may_have_reached_server is True
    assert "may or may not have gone through" in caught.value.user_message
    posts = ringout_posts(sim_control)
    assert len(posts) == 1
    assert posts[0]["fault"] == "drop"
    assert clock.sleeps == []


async def test_ringout_post_not_resent_after_500(signed_in: PlatformClient, sim_control: Any) -> None:
    sim_control.fail_next(RING_OUT, method="POST", status=500)
    with pytest.raises(ServerError) as caught:
        await signed_in.create_ringout({"phoneNumber": "+16505550100"}, TO_NUMBER)
    assert caught.value.status == 500
    assert len(ringout_posts(sim_control)) == 1


async def test_get_retried_after_503(signed_in: PlatformClient, sim_control: Any, clock: FakeClock) -> None:
    sim_control.clear_requests()
    sim_control.fail_next("*/extension/~", method="GET", status=503, retry_after=3)
    extension = await signed_in.get_extension()
    assert extension.id
    log = [r for r in sim_control.requests() if r["path"].endswith("/extension/~")]
    assert [(r["status"], r["fault"]) for r in log] == [(503, "status"), (200, None)]
    assert clock.sleeps == [pytest.approx(3.0)]


async def test_get_retried_after_drop_and_500(
    signed_in: PlatformClient, sim_control: Any, clock: FakeClock
) -> None:
    sim_control.clear_requests()
    sim_control.drop_next("*/forwarding-number", method="GET")
    sim_control.fail_next("*/forwarding-number", method="GET", status=500)
    numbers = await signed_in.list_forwarding_numbers()
    assert numbers
    log = [r for r in sim_control.requests() if r["path"].endswith("/forwarding-number")]
    assert len(log) == 3
    assert clock.sleeps == [2.0, 4.0]


async def test_malformed_json_is_reported(signed_in: PlatformClient, sim_control: Any) -> None:
    sim_control.malform_next("*/extension/~", method="GET")
    with pytest.raises(MalformedResponse):
        await signed_in.get_extension()


async def test_expired_access_token_refreshed_once_through_the_hook(
    signed_in: PlatformClient, sim_control: Any
) -> None:
    auth = signed_in.auth
    assert isinstance(auth, RefreshingAuth)
    sim_control.expire_tokens("access")
    extension = await signed_in.get_extension()
    assert extension.id
    assert auth.refreshes == 1
    statuses = [(r["path"].rsplit("/", 1)[-1], r["status"]) for r in sim_control.requests()][-3:]
    assert statuses == [("~", 401), ("token", 200), ("~", 200)]


async def test_dead_refresh_token_is_recognisable(signed_in: PlatformClient, sim_control: Any) -> None:
    sim_control.expire_tokens("all")
    with pytest.raises(OAuthError) as caught:
        await signed_in.get_extension()
    error = caught.value
    assert error.refresh_token_dead
    assert "sign in again" in error.user_message.lower()


async def test_revoked_session_gives_authentication_error(
    new_client: Callable[..., PlatformClient], demo_user: dict[str, Any]
) -> None:
    client = new_client()
    tokens = await client.login_jwt(demo_user["jwtCredential"])
    client.auth = StaticTokenAuth(tokens.access_token)
    await client.revoke(tokens.access_token)
    with pytest.raises(AuthenticationError) as caught:
        await client.get_extension()
    assert caught.value.status == 401
