"""Request body limits over real HTTP: 413 for a body too large, 400 for JSON nested too deep, everywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from ringdesk.simulator import Simulator, SimulatorControl
from ringdesk.simulator.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH

from .helpers import EXT, api, error_code, token

RING_OUT = EXT + "/ring-out"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CALL = {"from": {"phoneNumber": "+16505550111"}, "to": {"phoneNumber": "+14155550123"}, "playPrompt": False}
FIFTY_MB = 50 * 1024 * 1024


def login(sim: Simulator) -> str:
    user = sim.scenario.account.users[0]
    data = {"grant_type": JWT_GRANT, "assertion": user.jwt_credential or "", "client_id": "ringdesk-demo"}
    response = token(sim, data)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def call_nesting(depth: int) -> bytes:
    """A valid RingOut request with an extra field whose arrays nest so that the body is `depth` deep."""
    nested = "[" * (depth - 1) + "]" * (depth - 1)
    return json.dumps(CALL)[:-1].encode() + b', "extra": ' + nested.encode() + b"}"


def post_ringout(sim: Simulator, access: str, body: bytes | Iterator[bytes]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access}", "Content-Type": "application/json"}
    return httpx.post(sim.base_url + RING_OUT, content=body, headers=headers, timeout=30)


def assert_platform_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["errorCode"] == code and body["message"]
    assert error_code(response) == code


def test_a_50_mb_ringout_body_gets_413_and_places_no_call(
    sim: Simulator, sim_control: SimulatorControl
) -> None:
    access = login(sim)
    padded = json.dumps({**CALL, "padding": "x" * FIFTY_MB}).encode()
    with httpx.Client(timeout=30) as client:
        refused = client.post(
            sim.base_url + RING_OUT,
            content=padded,
            headers={"Authorization": f"Bearer {access}", "Content-Type": "application/json"},
        )
        assert_platform_error(refused, 413, "CMN-413")
        assert sim_control.calls() == []
        # The refusal leaves the connection usable: the same client places a normal call next.
        placed = client.post(
            sim.base_url + RING_OUT, json=CALL, headers={"Authorization": f"Bearer {access}"}
        )
    assert placed.status_code == 200, placed.text
    assert len(sim_control.calls()) == 1


def test_a_body_streamed_without_a_length_is_cut_off_at_the_limit(
    sim: Simulator, sim_control: SimulatorControl
) -> None:
    access = login(sim)

    def chunks() -> Iterator[bytes]:
        yield json.dumps(CALL)[:-1].encode() + b', "padding": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    refused = post_ringout(sim, access, chunks())
    assert_platform_error(refused, 413, "CMN-413")
    assert sim_control.calls() == []


def test_json_nested_10000_deep_gets_400_and_places_no_call(
    sim: Simulator, sim_control: SimulatorControl
) -> None:
    access = login(sim)
    deep = "[" * 10_000 + "]" * 10_000
    for body in (deep.encode(), call_nesting(10_000)):
        refused = post_ringout(sim, access, body)
        assert_platform_error(refused, 400, "CMN-103")
    assert sim_control.calls() == []


def test_nesting_up_to_the_limit_is_parsed_as_usual(sim: Simulator, sim_control: SimulatorControl) -> None:
    access = login(sim)
    at_limit = api(sim, "POST", RING_OUT, access, content=call_nesting(MAX_JSON_DEPTH))
    assert at_limit.status_code == 200, at_limit.text
    # Brackets inside strings nest nothing.
    in_a_string = api(sim, "POST", RING_OUT, access, json={**CALL, "note": "[" * 10_000})
    assert in_a_string.status_code == 200, in_a_string.text
    over = api(sim, "POST", RING_OUT, access, content=call_nesting(MAX_JSON_DEPTH + 1))
    assert_platform_error(over, 400, "CMN-103")
    assert len(sim_control.calls()) == 2


def test_the_oauth_endpoints_refuse_with_oauth_errors(sim: Simulator) -> None:
    too_large = httpx.post(
        f"{sim.base_url}/restapi/oauth/token",
        content=b"grant_type=password&padding=" + b"x" * (MAX_BODY_BYTES + 1),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert too_large.status_code == 413
    assert too_large.json()["error"] == "invalid_request"
    assert error_code(too_large) == "CMN-413"
    deep = httpx.post(
        f"{sim.base_url}/restapi/oauth/token",
        content=b"[" * 10_000,
        headers={"Content-Type": "application/json"},
    )
    assert deep.status_code == 400
    assert deep.json()["error"] == "invalid_request"
    assert error_code(deep) == "CMN-103"


def test_the_control_api_has_the_same_limits(sim: Simulator, sim_control: SimulatorControl) -> None:
    deep = httpx.post(f"{sim.control_url}calls/next-outcome", content=b"{" + b'"a":[' * 10_000)
    assert_platform_error(deep, 400, "CMN-103")
    too_large = httpx.post(f"{sim.control_url}faults", content=b" " * (MAX_BODY_BYTES + 1), timeout=30)
    assert_platform_error(too_large, 413, "CMN-413")
    assert sim_control.faults() == []


def test_refusals_are_in_the_request_log(sim: Simulator, sim_control: SimulatorControl) -> None:
    access = login(sim)
    sim_control.clear_requests()
    api(sim, "POST", RING_OUT, access, content=b"[" * 10_000)
    (entry,) = sim_control.requests()
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", RING_OUT, 400)
