"""Small helpers for the simulator tests: PKCE, the browser sign-in, bounded polling."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx

from ringdesk.simulator import Simulator

#: One pooled client for the whole run: a fresh client per request spends most of its time building TLS
#: settings it never uses.
http = httpx.Client(timeout=10)

REDIRECT = "http://127.0.0.1:53682/oauth/callback"
EXT = "/restapi/v1.0/account/~/extension/~"
T = TypeVar("T")


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(
    client_id: str = "ringdesk-demo", challenge: str | None = None, **extra: str
) -> dict[str, str]:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "st-123"}
    if challenge is not None:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return params


def sign_in(
    sim: Simulator,
    client_id: str = "ringdesk-demo",
    challenge: str | None = None,
    password: str | None = None,
    extension: str = "101",
) -> httpx.Response:
    """POST the sign-in form as a browser would; returns the (unfollowed) response."""
    user = sim.scenario.account.users[0]
    form = {
        **authorize_params(client_id, challenge),
        "login": user.login,
        "extension": extension,
        "password": user.password if password is None else password,
        "action": "signin",
    }
    return http.post(f"{sim.base_url}/login/", data=form, follow_redirects=False)


def code_from(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return query["code"][0]


def get_code(sim: Simulator, client_id: str = "ringdesk-demo") -> tuple[str, str]:
    """(code, verifier) from a successful sign-in."""
    verifier, challenge = pkce_pair()
    return code_from(sign_in(sim, client_id, challenge)), verifier


def token(sim: Simulator, data: dict[str, str], auth: tuple[str, str] | None = None) -> httpx.Response:
    return http.post(f"{sim.base_url}/restapi/oauth/token", data=data, auth=auth)


def api(sim: Simulator, method: str, path: str, access_token: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    return http.request(method, sim.base_url + path, headers=headers, **kwargs)


def error_code(response: httpx.Response) -> str:
    body = response.json()
    return str(body["errors"][0]["errorCode"])


def wait_for(probe: Callable[[], T | None], timeout: float = 5.0, interval: float = 0.01) -> T:
    """Poll `probe` until it returns something other than None/False; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last value {value!r})")
        time.sleep(interval)
