"""The sign-in page as a browser sees it: a plain HTML form, errors, Deny, escaping, parameter checks."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from ringdesk.simulator import Simulator

from .helpers import REDIRECT, authorize_params, http, pkce_pair, sign_in

AUTHORIZE = "/restapi/oauth/authorize"
LOGIN = "/login/"


def redirect_query(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


def test_the_authorization_endpoint_redirects_to_the_sign_in_page(sim: Simulator) -> None:
    # As the platform does: 302 to its sign-in page (the description allows 302 or 400, never 200),
    # with what the page needs to carry on; by POST as by GET.
    _, challenge = pkce_pair()
    params = authorize_params(challenge=challenge, login_hint="+16505550100")
    for response in (
        http.get(sim.base_url + AUTHORIZE, params=params),
        http.post(sim.base_url + AUTHORIZE, data=params),
    ):
        assert response.status_code == 302, response.text
        location = urlsplit(response.headers["location"])
        assert location.path == LOGIN
        assert {key: values[0] for key, values in parse_qs(location.query).items()} == params


def test_get_renders_the_form(sim: Simulator) -> None:
    _, challenge = pkce_pair()
    response = http.get(
        sim.base_url + AUTHORIZE, params=authorize_params(challenge=challenge), follow_redirects=True
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for needle in (
        'name="login"',
        'name="password"',
        'name="extension"',
        'id="signin"',
        'id="deny"',
        "<form",
    ):
        assert needle in page
    assert f'value="{challenge}"' in page
    assert 'id="demo-hint"' in page
    assert sim.scenario.account.users[0].password in page


def test_no_demo_hint_outside_demo_mode(make_sim) -> None:
    sim = make_sim(demo_mode=False)
    _, challenge = pkce_pair()
    page = http.get(
        sim.base_url + AUTHORIZE, params=authorize_params(challenge=challenge), follow_redirects=True
    ).text
    assert 'id="demo-hint"' not in page
    assert sim.scenario.account.users[0].password not in page


def test_everything_is_html_escaped(sim: Simulator) -> None:
    _, challenge = pkce_pair()
    nasty = '"><script>alert(1)</script>'
    params = authorize_params(challenge=challenge, state=nasty, login_hint=nasty)
    page = http.get(sim.base_url + AUTHORIZE, params=params, follow_redirects=True).text
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_right_credentials_redirect_with_code_and_state(sim: Simulator) -> None:
    _, challenge = pkce_pair()
    query = redirect_query(sign_in(sim, challenge=challenge))
    assert query["state"] == ["st-123"]
    assert len(query["code"][0]) > 20


def test_wrong_password_shows_an_error_and_keeps_the_login(sim: Simulator) -> None:
    _, challenge = pkce_pair()
    response = sign_in(sim, challenge=challenge, password="wrong")
    assert response.status_code == 200
    assert 'id="error"' in response.text
    assert "Wrong login, extension or password." in response.text
    assert f'value="{sim.scenario.account.users[0].login}"' in response.text
    assert 'name="password" required>' in response.text  # the password is never echoed back


def test_deny_redirects_with_access_denied(sim: Simulator) -> None:
    _, challenge = pkce_pair()
    form = {**authorize_params(challenge=challenge), "action": "deny"}
    query = redirect_query(http.post(sim.base_url + LOGIN, data=form))
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["st-123"]
    assert "code" not in query


def test_unknown_client_and_wrong_redirect_get_an_error_page_not_a_redirect(sim: Simulator) -> None:
    _, challenge = pkce_pair()
    unknown = http.get(sim.base_url + AUTHORIZE, params=authorize_params("nobody", challenge))
    assert unknown.status_code == 400
    assert "OAU-153" in unknown.text
    params = {**authorize_params(challenge=challenge), "redirect_uri": "http://evil.example/cb"}
    wrong = http.get(sim.base_url + AUTHORIZE, params=params)
    assert wrong.status_code == 400
    assert "OAU-109" in wrong.text
    assert "location" not in wrong.headers


def test_redirect_uri_match_is_exact(sim: Simulator) -> None:
    _, challenge = pkce_pair()
    params = {**authorize_params(challenge=challenge), "redirect_uri": REDIRECT + "/"}
    assert http.get(sim.base_url + AUTHORIZE, params=params).status_code == 400


def test_response_type_must_be_code(sim: Simulator) -> None:
    _, challenge = pkce_pair()
    params = {**authorize_params(challenge=challenge), "response_type": "token"}
    query = redirect_query(http.get(sim.base_url + AUTHORIZE, params=params))
    assert query["error"] == ["unsupported_response_type"]


def test_public_client_must_use_pkce_s256(sim: Simulator) -> None:
    no_pkce = redirect_query(http.get(sim.base_url + AUTHORIZE, params=authorize_params()))
    assert no_pkce["error"] == ["invalid_request"]
    params = {**authorize_params(challenge="abc"), "code_challenge_method": "plain"}
    plain = redirect_query(http.get(sim.base_url + AUTHORIZE, params=params))
    assert plain["error"] == ["invalid_request"]
