"""RingDesk's PlatformClient, against the real simulator, sends and receives only what the description allows.

The client's transport is wrapped by ValidatingTransport, so every request the client builds (method, path,
query, headers, credentials, body) and every answer it gets is checked. The browser part of the sign-in (the
authorize URL the client builds, the sign-in form) goes through the same checker.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator, Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ringdesk.errors import InvalidRequest, NotFound, OAuthError
from ringdesk.platforms.ringcentral import ForwardingNumber, PlatformClient, StaticTokenAuth, TokenSet
from ringdesk.simulator import Simulator, SimulatorControl
from ringdesk.simulator.scenario import ClientApp, User
from tests.contract.openapi_check import ContractChecker, ValidatingTransport

DESTINATION = "+14155550123"


@pytest.fixture
def checker() -> ContractChecker:
    return ContractChecker()


@pytest.fixture
def user(sim: Simulator) -> User:
    return sim.scenario.account.users[0]


@pytest.fixture
def public_app(sim: Simulator) -> ClientApp:
    return next(c for c in sim.scenario.clients if c.is_public)


@pytest.fixture
def confidential_app(sim: Simulator) -> ClientApp:
    return next(c for c in sim.scenario.clients if not c.is_public)


@pytest.fixture
async def make_client(
    sim: Simulator, checker: ContractChecker, public_app: ClientApp
) -> AsyncIterator[Callable[..., PlatformClient]]:
    made: list[PlatformClient] = []

    def make(app: ClientApp | None = None) -> PlatformClient:
        app = app or public_app
        client = PlatformClient(
            sim.base_url,
            app.client_id,
            client_secret=app.client_secret,
            auth=StaticTokenAuth(None),
            transport=ValidatingTransport(httpx.AsyncHTTPTransport(), checker),
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


async def signed_in(client: PlatformClient, user: User) -> TokenSet:
    tokens = await client.login_jwt(user.jwt_credential or "")
    assert isinstance(client.auth, StaticTokenAuth)
    client.auth.set_token(tokens.access_token)
    return tokens


def assert_conforms(checker: ContractChecker, at_least: int) -> None:
    assert checker.violations == [], "\n" + checker.report()
    assert checker.checked_count >= at_least, (
        f"only {checker.checked_count} exchanges were checked; expected at least {at_least}"
    )


def checked_operations(checker: ContractChecker) -> set[str]:
    return {e.operation_id or "" for e in checker.exchanges}


async def browser_sign_in(authorize_url: str, user: User, checker: ContractChecker) -> dict[str, list[str]]:
    """A browser's part: load the client's authorize URL, submit the sign-in form, stop at the redirect."""
    async with httpx.AsyncClient(
        transport=ValidatingTransport(httpx.AsyncHTTPTransport(), checker)
    ) as browser:
        page = await browser.get(authorize_url, follow_redirects=True)
        assert page.status_code == 200, page.text
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action is not None, "the sign-in page has no form"
        origin = urlsplit(authorize_url)
        redirect = await browser.post(
            f"{origin.scheme}://{origin.netloc}{action.group(1)}",
            data={
                **hidden,
                "login": user.login,
                "extension": user.extension_number,
                "password": user.password,
                "action": "signin",
            },
        )
    assert redirect.status_code == 302, redirect.text
    return parse_qs(urlsplit(redirect.headers["location"]).query)


# --- OAuth --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["public", "confidential"])
async def test_token_methods(
    make_client: Callable[..., PlatformClient],
    checker: ContractChecker,
    user: User,
    public_app: ClientApp,
    confidential_app: ClientApp,
    sim_control: SimulatorControl,
    kind: str,
) -> None:
    # Seven token requests in a row would exceed the Auth group's five per minute.
    sim_control.set_rate_limits({"Auth": 50})
    app = public_app if kind == "public" else confidential_app
    client = make_client(app)

    by_jwt = await client.login_jwt(user.jwt_credential or "")
    assert by_jwt.owner_id == str(user.extension_id)
    by_password = await client.login_password(user.login, user.extension_number, user.password)
    assert by_password.owner_id == str(user.extension_id)

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect_uri = app.redirect_uris[0]
    returned = await browser_sign_in(client.authorize_url(redirect_uri, "st-1", challenge), user, checker)
    assert returned["state"] == ["st-1"]
    by_code = await client.exchange_code(returned["code"][0], redirect_uri, verifier)
    assert by_code.owner_id == str(user.extension_id)

    refreshed = await client.refresh_tokens(by_code.refresh_token or "")
    assert refreshed.access_token != by_code.access_token
    # Within the grace, the old refresh token gets the same answer again (as after a lost one).
    again = await client.refresh_tokens(by_code.refresh_token or "")
    assert again.access_token == refreshed.access_token

    await client.revoke(refreshed.access_token)
    with pytest.raises(OAuthError):
        await client.refresh_tokens(by_code.refresh_token or "")
    await client.revoke(by_jwt.refresh_token or "")
    assert {"getToken", "revokeToken", "authorize"} <= checked_operations(checker)
    assert_conforms(checker, at_least=9)


# --- account data -------------------------------------------------------------------------------------------


async def test_account_data_methods(
    make_client: Callable[..., PlatformClient], checker: ContractChecker, user: User
) -> None:
    client = make_client()
    await signed_in(client, user)

    extension = await client.get_extension()
    assert extension.extension_number == user.extension_number
    forwarding = await client.list_forwarding_numbers()
    assert [f.phone_number for f in forwarding] == [f.phone_number for f in user.forwarding_numbers]
    numbers = await client.list_phone_numbers()
    assert len(numbers) == len(user.phone_numbers)
    devices = await client.list_devices()
    assert len(devices) == len(user.devices)
    (ringout,) = [c for c in await client.get_caller_ids() if c.feature == "RingOut"]
    assert (ringout.type, ringout.phone_number) == ("PhoneNumber", "+16505550101")  # the primary one
    detailed = await client.get_presence()
    assert detailed.telephony_status == "NoCall"
    plain = await client.get_presence(detailed=False)
    assert plain.active_calls == ()
    assert {
        "readExtension",
        "listForwardingNumbers",
        "listExtensionPhoneNumbers",
        "listExtensionDevices",
        "readExtensionCallerId",
        "readUserPresenceStatus",
    } <= checked_operations(checker)
    assert_conforms(checker, at_least=7)


# --- RingOut and call control -------------------------------------------------------------------------------


async def test_ring_out_methods(
    make_client: Callable[..., PlatformClient], checker: ContractChecker, user: User
) -> None:
    client = make_client()
    await signed_in(client, user)
    forwarding = await client.list_forwarding_numbers()
    with_id = next(f for f in forwarding if f.id)
    without_id = next(f for f in forwarding if not f.id)
    caller_id = next(n.phone_number for n in user.phone_numbers if "CallerId" in n.features)

    # Every way the client can name the phone to ring first, with and without the optional fields.
    cancelled = await client.create_ringout(with_id, DESTINATION)
    # Cancelled at once: a cancel is refused once the call has connected, a few tenths of a second on.
    await client.cancel_ringout(cancelled.id)
    with pytest.raises(NotFound):
        await client.get_ringout(cancelled.id)
    placed = [
        await client.create_ringout(without_id, DESTINATION, play_prompt=True),
        await client.create_ringout(
            {"forwardingNumberId": with_id.id or ""}, DESTINATION, caller_id=caller_id
        ),
        await client.create_ringout(user.forwarding_numbers[0].phone_number, DESTINATION, country_id="1"),
    ]
    for status in placed:
        assert status.call_status == "InProgress"
        current = await client.get_ringout(status.id)
        assert current.id == status.id
    assert {"createRingOutCall", "readRingOutCallStatus", "deleteRingOutCall"} <= checked_operations(checker)
    assert_conforms(checker, at_least=11)


async def test_call_control_methods(
    make_client: Callable[..., PlatformClient],
    checker: ContractChecker,
    user: User,
    sim_control: SimulatorControl,
) -> None:
    sim_control.set_timings(talk=5.0)
    client = make_client()
    await signed_in(client, user)
    placed = await client.create_ringout(ForwardingNumber(id=None, phone_number="+16505550111"), DESTINATION)
    await asyncio.sleep(0.35)
    presence = await client.get_presence()
    assert len(presence.active_calls) == 1
    session_id = presence.active_calls[0].telephony_session_id or ""
    session = await client.get_telephony_session(session_id)
    assert session.origin_type == "RingOut"
    await client.hang_up(session_id)
    assert (await client.get_ringout(placed.id)).call_status == "Finished"
    with pytest.raises(NotFound):
        await client.hang_up(session_id)
    assert {"readCallSessionStatus", "deleteCallSession"} <= checked_operations(checker)
    assert_conforms(checker, at_least=7)


async def test_call_log_method(
    make_client: Callable[..., PlatformClient],
    checker: ContractChecker,
    user: User,
    sim_control: SimulatorControl,
) -> None:
    """The request that asks how a finished call ended, and the records it reads back."""
    sim_control.set_timings(talk=0.2)
    client = make_client()
    await signed_in(client, user)
    placed = await client.create_ringout(ForwardingNumber(id=None, phone_number="+16505550111"), DESTINATION)
    while True:
        try:
            await client.get_ringout(placed.id)
        except NotFound:
            break
        await asyncio.sleep(0.1)
    records = await client.list_call_log(
        date_from="2020-01-01T00:00:00Z", date_to="2100-01-01T00:00:00Z", direction="Outbound"
    )
    assert [(r.result, r.to_number) for r in records] == [("Call connected", DESTINATION)]
    assert "readUserCallLog" in checked_operations(checker)
    assert_conforms(checker, at_least=3)


async def test_the_company_directory_requests_conform(
    make_client: Callable[..., PlatformClient], checker: ContractChecker, user: User
) -> None:
    client = make_client()
    await signed_in(client, user)
    entries = await client.list_directory()
    assert entries[0].extension_number == user.extension_number
    assert "listDirectoryEntries" in checked_operations(checker)
    assert_conforms(checker, at_least=2)


async def test_errors_the_client_meets_conform(
    make_client: Callable[..., PlatformClient], checker: ContractChecker, user: User
) -> None:
    client = make_client()
    await signed_in(client, user)
    with pytest.raises(InvalidRequest) as invalid:
        await client.create_ringout(user.forwarding_numbers[0].phone_number, "12")
    assert invalid.value.error_code == "TEL-109"
    with pytest.raises(NotFound):
        await client.create_ringout({"forwardingNumberId": "999"}, DESTINATION)
    with pytest.raises(NotFound):
        await client.get_telephony_session("s-unknown")
    with pytest.raises(OAuthError):
        await client.login_jwt("eyJ.not.registered")
    assert_conforms(checker, at_least=5)
