"""OAuth against a running simulator: code + PKCE, refresh rotation, JWT, password, revoke, expiry."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest

from ringdesk.simulator import Lifetimes, Simulator, SimulatorControl

from .helpers import (
    EXT,
    REDIRECT,
    api,
    authorize_params,
    code_from,
    error_code,
    get_code,
    http,
    pkce_pair,
    sign_in,
    token,
    wait_for,
)

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def test_code_with_pkce_gives_tokens_that_work(sim: Simulator) -> None:
    code, verifier = get_code(sim)
    response = token(
        sim,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": "ringdesk-demo",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["owner_id"] == str(sim.scenario.account.users[0].extension_id)
    assert body["expires_in"] > 3000 and body["refresh_token_expires_in"] > 600000
    assert "RingOut" in body["scope"].split()
    assert api(sim, "GET", EXT, body["access_token"]).status_code == 200


def test_wrong_verifier_is_refused(sim: Simulator) -> None:
    code, _ = get_code(sim)
    other_verifier, _ = pkce_pair()
    response = token(
        sim,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": other_verifier,
            "client_id": "ringdesk-demo",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert error_code(response) == "OAU-114"


def test_missing_verifier_is_refused(sim: Simulator) -> None:
    code, _ = get_code(sim)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "ringdesk-demo",
    }
    response = token(sim, data)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_is_single_use_and_reuse_revokes_the_session(sim: Simulator) -> None:
    code, verifier = get_code(sim)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": "ringdesk-demo",
    }
    first = token(sim, data)
    assert first.status_code == 200
    again = token(sim, data)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert api(sim, "GET", EXT, first.json()["access_token"]).status_code == 401


def test_code_expires(sim: Simulator, sim_control: SimulatorControl) -> None:
    sim_control.set_lifetimes(auth_code=0)
    code, verifier = get_code(sim)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": "ringdesk-demo",
    }
    response = token(sim, data)
    assert response.status_code == 400
    assert "expired" in response.json()["error_description"]


def test_redirect_uri_must_match_at_the_token_endpoint(sim: Simulator) -> None:
    code, verifier = get_code(sim)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://127.0.0.1:53682/other",
        "code_verifier": verifier,
        "client_id": "ringdesk-demo",
    }
    response = token(sim, data)
    assert response.status_code == 400
    assert error_code(response) == "OAU-109"


def test_unknown_client_is_refused(sim: Simulator) -> None:
    response = token(sim, {"grant_type": JWT_GRANT, "assertion": "x", "client_id": "nobody"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"
    assert error_code(response) == "OAU-153"


def test_public_client_with_sdk_style_basic_auth_is_accepted(sim: Simulator) -> None:
    # The official SDKs always send Basic, with an empty secret for public apps.
    user = sim.scenario.account.users[0]
    response = token(
        sim, {"grant_type": JWT_GRANT, "assertion": user.jwt_credential or ""}, auth=("ringdesk-demo", "")
    )
    assert response.status_code == 200, response.text


def test_confidential_client_needs_its_secret(sim: Simulator) -> None:
    user = sim.scenario.account.users[0]
    data = {"grant_type": JWT_GRANT, "assertion": user.jwt_credential or ""}
    without = token(sim, {**data, "client_id": "ringdesk-confidential"})
    assert without.status_code == 400
    assert error_code(without) == "OAU-123"
    wrong = token(sim, data, auth=("ringdesk-confidential", "wrong"))
    assert wrong.status_code == 400
    assert error_code(wrong) == "OAU-153"
    right = token(sim, data, auth=("ringdesk-confidential", "ringdesk-confidential-secret"))
    assert right.status_code == 200, right.text


def test_confidential_client_code_flow(sim: Simulator) -> None:
    code, verifier = get_code(sim, "ringdesk-confidential")
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    response = token(sim, data, auth=("ringdesk-confidential", "ringdesk-confidential-secret"))
    assert response.status_code == 200, response.text


def _refresh(sim: Simulator, refresh_token: str) -> dict:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": "ringdesk-demo"}
    return token(sim, data)


def test_refresh_rotates_and_the_old_access_token_dies_at_once(sim: Simulator, sim_login) -> None:
    first = sim_login()
    second = _refresh(sim, first["refresh_token"])
    assert second.status_code == 200, second.text
    new = second.json()
    assert new["access_token"] != first["access_token"]
    assert new["refresh_token"] != first["refresh_token"]
    assert api(sim, "GET", EXT, new["access_token"]).status_code == 200

    old_access = api(sim, "GET", EXT, first["access_token"])
    assert old_access.status_code == 401
    assert error_code(old_access) == "OAU-149"


def test_an_answer_lost_after_a_refresh_is_given_again_while_the_new_token_is_unused(
    sim: Simulator, sim_login
) -> None:
    # The platform's grace: the refresh's answer never arrived, so the client asks again with the
    # token it still has, and gets the same new pair (not a third one), as often as it asks.
    first = sim_login()
    new = _refresh(sim, first["refresh_token"]).json()
    again = _refresh(sim, first["refresh_token"])
    assert again.status_code == 200, again.text
    assert (again.json()["access_token"], again.json()["refresh_token"]) == (
        new["access_token"],
        new["refresh_token"],
    )
    assert _refresh(sim, first["refresh_token"]).json()["access_token"] == new["access_token"]
    # The new pair is the live one; refreshing with it rotates as usual and ends the old grace.
    third = _refresh(sim, new["refresh_token"]).json()
    assert third["access_token"] != new["access_token"]
    replay = _refresh(sim, first["refresh_token"])
    assert (replay.status_code, error_code(replay)) == (400, "OAU-211")


def test_within_the_grace_an_answer_whose_access_token_has_expired_is_not_given_again(
    sim: Simulator, sim_control: SimulatorControl, sim_login
) -> None:
    first = sim_login()
    new = _refresh(sim, first["refresh_token"]).json()
    sim_control.expire_tokens("access")
    again = _refresh(sim, first["refresh_token"])
    assert again.status_code == 200, again.text
    fresh = again.json()
    assert fresh["access_token"] != new["access_token"] and fresh["expires_in"] > 0
    assert api(sim, "GET", EXT, fresh["access_token"]).status_code == 200


def test_the_grace_ends_soon_after_the_new_access_token_is_used(
    sim: Simulator, sim_control: SimulatorControl, sim_login
) -> None:
    sim_control.set_lifetimes(refresh_grace_after_use=0.2)
    first = sim_login()
    new = _refresh(sim, first["refresh_token"]).json()
    assert api(sim, "GET", EXT, new["access_token"]).status_code == 200
    assert _refresh(sim, first["refresh_token"]).json()["access_token"] == new["access_token"]
    time.sleep(0.3)
    late = _refresh(sim, first["refresh_token"])
    assert late.status_code == 400
    assert (late.json()["error"], error_code(late)) == ("invalid_grant", "OAU-211")
    # The new pair is untouched by the refused replay.
    assert api(sim, "GET", EXT, new["access_token"]).status_code == 200


def test_the_grace_of_an_unused_refresh_ends_too(
    sim: Simulator, sim_control: SimulatorControl, sim_login
) -> None:
    sim_control.set_lifetimes(refresh_grace_unused=0.2)
    first = sim_login()
    _refresh(sim, first["refresh_token"])
    time.sleep(0.3)
    assert error_code(_refresh(sim, first["refresh_token"])) == "OAU-211"


def test_unknown_refresh_token(sim: Simulator) -> None:
    data = {"grant_type": "refresh_token", "refresh_token": "nonsense", "client_id": "ringdesk-demo"}
    response = token(sim, data)
    assert response.status_code == 400
    assert error_code(response) == "OAU-213"


def test_expired_refresh_token(sim: Simulator, sim_control: SimulatorControl, sim_login) -> None:
    tokens = sim_login()
    sim_control.expire_tokens("refresh")
    data = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": "ringdesk-demo",
    }
    response = token(sim, data)
    assert response.status_code == 400
    assert error_code(response) == "OAU-210"


def test_jwt_grant(sim: Simulator, sim_login) -> None:
    tokens = sim_login(user_index=1)
    assert tokens["owner_id"] == str(sim.scenario.account.users[1].extension_id)


def _jwt_login(sim: Simulator, **extra: str) -> httpx.Response:
    user = sim.scenario.account.users[0]
    data = {"grant_type": JWT_GRANT, "assertion": user.jwt_credential or "", "client_id": "ringdesk-demo"}
    return token(sim, {**data, **extra})


@pytest.mark.parametrize(
    ("asked", "access", "refresh"),
    [
        ({"access_token_ttl": "1200", "refresh_token_ttl": "86400"}, 1200, 86400),
        # Outside the published range (600 to 3600 s): brought to its edge, never shorter.
        ({"access_token_ttl": "5"}, 600, 604800),
        # What the JavaScript SDK asks for when it renews after a 401: the shortest, not the default.
        ({"access_token_ttl": "-1"}, 600, 604800),
        ({"access_token_ttl": "0"}, 600, 604800),
        ({"access_token_ttl": "7200"}, 3600, 604800),
        # Longer than the app's own lifetime: the app's.
        ({"refresh_token_ttl": "2592000"}, 3600, 604800),
    ],
)
def test_lifetimes_asked_for_are_kept_within_the_published_ranges(
    sim: Simulator, asked: dict[str, str], access: int, refresh: int
) -> None:
    response = _jwt_login(sim, **asked)
    assert response.status_code == 200, response.text
    tokens = response.json()
    # The simulator floors what is left when it answers: 3600 s is said as 3599.
    assert access - 1 <= tokens["expires_in"] <= access
    assert refresh - 1 <= tokens["refresh_token_expires_in"] <= refresh


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("access_token_ttl", "soon"),
        ("access_token_ttl", "1.5"),
        ("refresh_token_ttl", "soon"),
        ("refresh_token_ttl", "0"),
        ("refresh_token_ttl", "-60"),
        ("access_token_ttl", "9" * 5000),
    ],
)
def test_a_lifetime_that_is_no_whole_number_of_seconds_is_refused_not_ignored(
    sim: Simulator, key: str, value: str
) -> None:
    response = _jwt_login(sim, **{key: value})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert error_code(response) == "OAU-101"


def test_an_empty_lifetime_is_not_asked_for(sim: Simulator) -> None:
    # What the official JavaScript SDK sends when its caller asks for nothing.
    tokens = _jwt_login(sim, access_token_ttl="", refresh_token_ttl="").json()
    assert (tokens["expires_in"], tokens["refresh_token_expires_in"]) == (3599, 604799)


def test_short_lifetimes_for_tests_come_from_the_control_api_only(
    sim: Simulator, sim_control: SimulatorControl
) -> None:
    sim_control.set_lifetimes(access_token=2.5)
    tokens = _jwt_login(sim, access_token_ttl="600").json()
    assert tokens["expires_in"] <= 2


@pytest.mark.parametrize("mangle", ["garbage", "tampered", "unsigned"])
def test_bad_jwt_is_refused(sim: Simulator, mangle: str) -> None:
    good = sim.scenario.account.users[0].jwt_credential or ""
    header, payload, signature = good.split(".")
    if mangle == "garbage":
        assertion = "not-a-jwt"
    elif mangle == "tampered":
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["sub"] = "1"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        assertion = f"{header}.{forged}.{signature}"
    else:
        assertion = f"{header}.{payload}."
    response = token(sim, {"grant_type": JWT_GRANT, "assertion": assertion, "client_id": "ringdesk-demo"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_password_grant_and_switching_it_off(sim: Simulator, sim_control: SimulatorControl) -> None:
    user = sim.scenario.account.users[0]
    data = {
        "grant_type": "password",
        "username": user.login,
        "extension": user.extension_number,
        "password": user.password,
        "client_id": "ringdesk-demo",
    }
    assert token(sim, data).status_code == 200
    wrong = token(sim, {**data, "password": "nope"})
    assert wrong.status_code == 400
    assert error_code(wrong) == "OAU-140"
    sim_control.set_password_grant(False)
    off = token(sim, data)
    assert off.status_code == 400
    assert off.json()["error"] == "unauthorized_client"
    assert error_code(off) == "OAU-251"


def test_revoke_ends_the_whole_session(sim: Simulator, sim_login) -> None:
    tokens = sim_login()
    revoked = sim.base_url + "/restapi/oauth/revoke"
    response = http.post(revoked, data={"token": tokens["access_token"], "client_id": "ringdesk-demo"})
    assert response.status_code == 200
    assert api(sim, "GET", EXT, tokens["access_token"]).status_code == 401
    refresh = token(
        sim,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "ringdesk-demo",
        },
    )
    assert refresh.status_code == 400


def test_access_token_expiry_gives_oau_128(make_sim) -> None:
    sim = make_sim(lifetimes=Lifetimes(access_token=0.3))
    user = sim.scenario.account.users[0]
    tokens = token(
        sim, {"grant_type": JWT_GRANT, "assertion": user.jwt_credential or "", "client_id": "ringdesk-demo"}
    )
    access = tokens.json()["access_token"]
    expired = wait_for(lambda: (r := api(sim, "GET", EXT, access)).status_code == 401 and r)
    assert error_code(expired) == "OAU-128"
    assert expired.json()["errorCode"] == "OAU-128"


def test_control_can_expire_and_revoke_tokens(
    sim: Simulator, sim_control: SimulatorControl, sim_login
) -> None:
    tokens = sim_login()
    assert sim_control.expire_tokens("access") == 1
    assert error_code(api(sim, "GET", EXT, tokens["access_token"])) == "OAU-128"
    refreshed = token(
        sim,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "ringdesk-demo",
        },
    ).json()
    assert sim_control.revoke_tokens() == 1
    assert error_code(api(sim, "GET", EXT, refreshed["access_token"])) == "OAU-149"


def test_a_sixth_session_of_one_user_in_one_app_ends_the_oldest(
    sim: Simulator, sim_control: SimulatorControl, sim_login
) -> None:
    sim_control.set_rate_limits(enabled=False)  # six sign-ins in a moment are more than Auth allows
    first, *others = [sim_login() for _ in range(6)]
    refused = api(sim, "GET", EXT, first["access_token"])
    assert (refused.status_code, error_code(refused)) == (401, "OAU-149")
    assert error_code(_refresh(sim, first["refresh_token"])) == "OAU-211"
    for tokens in others:
        assert api(sim, "GET", EXT, tokens["access_token"]).status_code == 200
    # Another app, or another user, has sessions of its own.
    confidential = sim_login(client_id="ringdesk-confidential")
    second_user = sim_login(user_index=1)
    for tokens in (others[0], confidential, second_user):
        assert api(sim, "GET", EXT, tokens["access_token"]).status_code == 200
    # A refresh keeps its session (and its place), it does not start another.
    refreshed = _refresh(sim, others[0]["refresh_token"]).json()
    assert api(sim, "GET", EXT, refreshed["access_token"]).status_code == 200
    assert len([s for s in sim.state.oauth.sessions.values() if s.client_id == "ringdesk-demo"]) == 6


def test_only_active_sessions_count_towards_the_cap(
    sim: Simulator, sim_control: SimulatorControl, sim_login
) -> None:
    sim_control.set_rate_limits(enabled=False)
    live = sim_login()
    sim_control.set_lifetimes(refresh_token=0.2)
    over = [sim_login() for _ in range(4)]  # their sessions end with their refresh tokens
    time.sleep(0.3)
    sim_control.set_lifetimes(refresh_token=604800)
    for _ in range(4):
        sim_login()
    # Five active sessions: the first is still one of them, the four that ended do not count.
    assert api(sim, "GET", EXT, live["access_token"]).status_code == 200
    assert error_code(_refresh(sim, over[0]["refresh_token"])) in ("OAU-211", "OAU-213")


def test_missing_or_unknown_bearer_token(sim: Simulator) -> None:
    missing = http.get(sim.base_url + EXT)
    assert missing.status_code == 401
    assert error_code(missing) == "CMN-405"
    # One that cannot be a token is corrupted; one that could be but is not known is invalid.
    corrupted = api(sim, "GET", EXT, "made-up")
    assert (corrupted.status_code, error_code(corrupted)) == (401, "OAU-129")
    unknown = api(sim, "GET", EXT, "U0pDMTFQMDFQQVMwMHxBQUFWaFpfX2dhZ2dhZ2dhZ2dhZ2dhZw")
    assert (unknown.status_code, error_code(unknown)) == (401, "OAU-149")


def test_sign_in_with_wrong_extension_gives_no_code(sim: Simulator) -> None:
    _, challenge = pkce_pair()
    response = sign_in(sim, challenge=challenge, extension="999")
    assert response.status_code == 200
    assert "Wrong login" in response.text


def test_second_user_signs_in_with_extension(sim: Simulator) -> None:
    verifier, challenge = pkce_pair()
    user = sim.scenario.account.users[1]
    form = {
        **authorize_params("ringdesk-demo", challenge),
        "login": user.login,
        "extension": user.extension_number,
        "password": user.password,
        "action": "signin",
    }
    code = code_from(http.post(sim.base_url + "/login/", data=form))
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": "ringdesk-demo",
    }
    assert token(sim, data).json()["owner_id"] == str(user.extension_id)
