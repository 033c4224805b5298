"""What the client sends for each endpoint, and how it reads the replies."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ringdesk.errors import AuthenticationError, MalformedResponse, OAuthError
from ringdesk.platforms.ringcentral import ForwardingNumber, PlatformClient, StaticTokenAuth
from tests.fakes import WALL_EPOCH, FakeClock

from .conftest import EXT, SERVER, Script, json_response, ringout_json

MakeClient = Callable[..., PlatformClient]

TOKEN_REPLY = {
    "access_token": "AT-new-secret",
    "token_type": "bearer",
    "expires_in": 3600,
    "refresh_token": "RT-new-secret",
    "refresh_token_expires_in": 604800,
    "scope": "RingOut ReadAccounts",
    "owner_id": "400131",
    "session_id": "s1",
}


def form_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_constructor_validates() -> None:
    with pytest.raises(ValueError):
        PlatformClient("ftp://x", "id")
    with pytest.raises(ValueError):
        PlatformClient("https://x", "")


def test_authorize_url(make_client: MakeClient) -> None:
    client = make_client()
    url = client.authorize_url(
        "http://127.0.0.1:8765/callback", "st-1", "chal-1", prompt="login", ui_locales=None
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{SERVER}/restapi/oauth/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "client-id",
        "redirect_uri": "http://127.0.0.1:8765/callback",
        "state": "st-1",
        "code_challenge": "chal-1",
        "code_challenge_method": "S256",
        "prompt": "login",
    }


async def test_public_client_sends_client_id_in_body_and_no_authorization(
    make_client: MakeClient, script: Script, clock: FakeClock
) -> None:
    script.add(json_response(200, TOKEN_REPLY))
    client = make_client(auth=None)
    tokens = await client.login_jwt("eyJhbGciOi.jwt.assertion")
    request = script.requests[0]
    assert request.method == "POST"
    assert request.url.path == "/restapi/oauth/token"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in request.headers
    assert form_of(request) == {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": "eyJhbGciOi.jwt.assertion",
        "client_id": "client-id",
    }
    assert tokens.access_token == "AT-new-secret"
    assert tokens.issued_at == WALL_EPOCH + clock.now
    assert tokens.expires_at == tokens.issued_at + 3600


async def test_confidential_client_uses_basic_auth(make_client: MakeClient, script: Script) -> None:
    script.add(json_response(200, TOKEN_REPLY))
    client = make_client(client_secret="s3cret", auth=None)
    assert client.confidential
    await client.refresh_tokens("RT-old")
    request = script.requests[0]
    expected = base64.b64encode(b"client-id:s3cret").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert form_of(request) == {"grant_type": "refresh_token", "refresh_token": "RT-old"}


async def test_exchange_code_and_password_grant(make_client: MakeClient, script: Script) -> None:
    script.add(json_response(200, TOKEN_REPLY))
    client = make_client(auth=None)
    await client.exchange_code("code-1", "http://127.0.0.1:1/cb", "verifier-1")
    await client.login_password("+16505550100", "101", "pw")
    await client.login_password("+16505550100", None, "pw")
    assert form_of(script.requests[0]) == {
        "grant_type": "authorization_code",
        "code": "code-1",
        "redirect_uri": "http://127.0.0.1:1/cb",
        "code_verifier": "verifier-1",
        "client_id": "client-id",
    }
    assert form_of(script.requests[1])["extension"] == "101"
    assert "extension" not in form_of(script.requests[2])


async def test_revoke(make_client: MakeClient, script: Script) -> None:
    script.add(httpx.Response(200))
    client = make_client(auth=None)
    await client.revoke("RT-x")
    assert script.paths() == ["POST /restapi/oauth/revoke"]
    assert form_of(script.requests[0]) == {"token": "RT-x", "client_id": "client-id"}


async def test_refresh_rejected_is_recognisable(make_client: MakeClient, script: Script) -> None:
    script.add(
        json_response(
            400,
            {
                "error": "invalid_grant",
                "error_description": "Token is revoked",
                "errors": [{"errorCode": "OAU-211", "message": "Token is revoked"}],
            },
        )
    )
    client = make_client(auth=None)
    with pytest.raises(OAuthError) as caught:
        await client.refresh_tokens("RT-dead")
    assert caught.value.refresh_token_dead
    assert caught.value.error_code == "OAU-211"
    assert caught.value.grant_type == "refresh_token"
    assert len(script.requests) == 1


async def test_token_reply_of_wrong_shape(make_client: MakeClient, script: Script) -> None:
    script.add(json_response(200, {"access_token": 12}))
    client = make_client(auth=None)
    with pytest.raises(MalformedResponse) as caught:
        await client.login_jwt("jwt")
    assert caught.value.status == 200
    assert caught.value.path == "/restapi/oauth/token"


async def test_authenticated_requests_send_bearer(make_client: MakeClient, script: Script) -> None:
    script.add(json_response(200, {"id": 400131, "extensionNumber": "101"}))
    client = make_client(auth=StaticTokenAuth("AT-1"))
    ext = await client.get_extension()
    assert ext.id == "400131"
    request = script.requests[0]
    assert request.headers["Authorization"] == "Bearer AT-1"
    assert request.url.path == EXT
    assert request.headers["User-Agent"].startswith("RingDesk/")


async def test_no_auth_hook_means_not_signed_in_and_nothing_sent(
    make_client: MakeClient, script: Script
) -> None:
    client = make_client(auth=None)
    with pytest.raises(AuthenticationError):
        await client.get_extension()
    assert script.requests == []


async def test_create_ringout_body(make_client: MakeClient, script: Script) -> None:
    script.add(json_response(200, ringout_json("ro-7")))
    client = make_client()
    fw = ForwardingNumber(id="fw-1", phone_number="+16505550100")
    status = await client.create_ringout(
        fw, "+14155550199", caller_id="+16505550000", play_prompt=True, country_id="1"
    )
    assert status.id == "ro-7"
    assert status.call_status_is("InProgress")
    request = script.requests[0]
    assert request.url.path == f"{EXT}/ring-out"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "from": {"forwardingNumberId": "fw-1"},
        "to": {"phoneNumber": "+14155550199"},
        "playPrompt": True,
        "callerId": {"phoneNumber": "+16505550000"},
        "country": {"id": "1"},
    }


@pytest.mark.parametrize(
    ("from_", "expected"),
    [
        (ForwardingNumber(id=None, phone_number="+16505550111"), {"phoneNumber": "+16505550111"}),
        ({"forwardingNumberId": "fw-2"}, {"forwardingNumberId": "fw-2"}),
        ({"phoneNumber": "+1650"}, {"phoneNumber": "+1650"}),
        ("+16505550122", {"phoneNumber": "+16505550122"}),
    ],
)
async def test_ringout_from_variants(
    make_client: MakeClient, script: Script, from_: object, expected: dict[str, str]
) -> None:
    script.add(json_response(200, ringout_json()))
    client = make_client()
    await client.create_ringout(from_, "+14155550199")  # type: ignore[arg-type]
    body = json.loads(script.requests[0].content)
    assert body["from"] == expected
    assert body["playPrompt"] is False
    assert "callerId" not in body and "country" not in body


@pytest.mark.parametrize("bad", [{}, {"phoneNumber": "+1", "forwardingNumberId": "x"}, ""])
async def test_ringout_from_invalid_sends_nothing(
    make_client: MakeClient, script: Script, bad: object
) -> None:
    client = make_client()
    with pytest.raises(ValueError):
        await client.create_ringout(bad, "+14155550199")  # type: ignore[arg-type]
    assert script.requests == []


async def test_ringout_status_cancel_session_and_presence(make_client: MakeClient, script: Script) -> None:
    script.add(
        json_response(200, ringout_json("ro-1", "Success")),
        httpx.Response(204),
        json_response(200, {"id": "s-1", "origin": {"type": "RingOut"}, "parties": []}),
        httpx.Response(204),
        json_response(200, {"telephonyStatus": "NoCall", "activeCalls": []}),
        json_response(200, {"presenceStatus": "Available"}),
    )
    client = make_client()
    status = await client.get_ringout("a/b")
    assert status.call_status_is("success")
    await client.cancel_ringout("a/b")
    session = await client.get_telephony_session("s-1")
    assert session.is_ringout
    await client.hang_up("s-1")
    presence = await client.get_presence()
    assert presence.telephony_status == "NoCall"
    await client.get_presence(detailed=False)
    assert [r.url.raw_path.decode() for r in script.requests] == [
        f"{EXT}/ring-out/a%2Fb",
        f"{EXT}/ring-out/a%2Fb",
        "/restapi/v1.0/account/~/telephony/sessions/s-1",
        "/restapi/v1.0/account/~/telephony/sessions/s-1",
        f"{EXT}/presence?detailedTelephonyState=true",
        f"{EXT}/presence",
    ]
    assert [r.method for r in script.requests] == ["GET", "DELETE", "GET", "DELETE", "GET", "GET"]


async def test_paging_follows_to_the_end(make_client: MakeClient, script: Script) -> None:
    def page(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        assert request.url.params["perPage"] == "100"
        records = [{"id": f"fw-{number}-{i}", "phoneNumber": f"+1650555{number}{i:03d}"} for i in range(2)]
        navigation: dict[str, object] = {"firstPage": {"uri": "u"}}
        if number < 3:
            navigation["nextPage"] = {"uri": f"{SERVER}/next"}
        return json_response(
            200, {"records": records, "navigation": navigation, "paging": {"page": number, "perPage": 100}}
        )

    script.add(page)
    client = make_client()
    numbers = await client.list_forwarding_numbers()
    assert [n.id for n in numbers] == ["fw-1-0", "fw-1-1", "fw-2-0", "fw-2-1", "fw-3-0", "fw-3-1"]
    assert len(script.requests) == 3
    # Never follows the server's absolute nextPage URI (it could point elsewhere with our token).
    assert all(
        r.url.host == "platform.example.test" and r.url.path == f"{EXT}/forwarding-number"
        for r in script.requests
    )


async def test_paging_by_total_pages_and_empty_page(make_client: MakeClient, script: Script) -> None:
    script.add(
        json_response(
            200,
            {
                "records": [{"id": 1, "phoneNumber": "+1", "features": ["CallerId"]}],
                "paging": {"page": 1, "totalPages": 2},
            },
        ),
        json_response(200, {"records": [], "paging": {"page": 2, "totalPages": 2}}),
        json_response(200, {"records": [{"id": "d", "status": "Online"}]}),
    )
    client = make_client()
    numbers = await client.list_phone_numbers()
    assert [n.can_be_caller_id for n in numbers] == [True]
    devices = await client.list_devices()
    assert devices[0].online
    assert len(script.requests) == 3


async def test_page_of_wrong_shape(make_client: MakeClient, script: Script) -> None:
    script.add(json_response(200, {"records": {"id": 1}}))
    client = make_client()
    with pytest.raises(MalformedResponse) as caught:
        await client.list_devices()
    assert caught.value.path == f"{EXT}/device"


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(200, content=b"<html>captive portal</html>", headers={"Content-Type": "text/html"}),
        httpx.Response(200, content=b""),
        httpx.Response(200, content=b'{"id": "trunc'),
        json_response(200, ["not", "an", "object"]),
        json_response(200, {"id": "x", "status": ["Busy"]}),
    ],
)
async def test_unreadable_success_is_malformed(
    make_client: MakeClient, script: Script, reply: httpx.Response
) -> None:
    script.add(reply)
    client = make_client()
    with pytest.raises(MalformedResponse) as caught:
        await client.get_ringout("x")
    assert caught.value.status == 200
    assert caught.value.method == "GET"


async def test_async_with_closes(script: Script, clock: FakeClock) -> None:
    async with PlatformClient(
        SERVER, "cid", transport=script.transport, clock=clock, sleep=clock.sleep
    ) as client:
        assert not client.closed
    assert client.closed


async def test_no_secret_in_logs(
    make_client: MakeClient, script: Script, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ringdesk")
    script.add(
        json_response(200, TOKEN_REPLY),
        json_response(400, {"error": "invalid_grant", "error_description": "bad"}),
        json_response(200, {"id": 1}),
    )
    client = make_client(client_secret="CLIENT-SECRET", auth=StaticTokenAuth("AT-in-use"))
    await client.login_jwt("JWT-ASSERTION")
    with pytest.raises(OAuthError) as caught:
        await client.refresh_tokens("RT-OLD")
    await client.get_extension()
    text = caplog.text + str(caught.value) + repr(caught.value) + repr(client)
    assert "/restapi/oauth/token" in caplog.text  # it did log the requests
    for secret in ("AT-new-secret", "RT-new-secret", "JWT-ASSERTION", "RT-OLD", "CLIENT-SECRET", "AT-in-use"):
        assert secret not in text
