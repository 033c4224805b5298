"""Faults, latency, the request log, and the loopback-only control API."""

from __future__ import annotations

import json

import httpx
import pytest

from ringdesk.simulator import Scenario, Simulator, SimulatorControl, is_loopback
from ringdesk.simulator.app import build_app

from .helpers import EXT, api, error_code, http

RING_OUT = "/restapi/v1.0/account/*/extension/*/ring-out*"


def test_fail_next_n_requests_with_500(sim: Simulator, sim_control: SimulatorControl, sim_login) -> None:
    access = sim_login()["access_token"]
    sim_control.fail_next(EXT, status=500, method="GET", count=2)
    assert api(sim, "GET", EXT, access).status_code == 500
    second = api(sim, "GET", EXT, access)
    assert second.status_code == 500
    assert second.json()["errors"][0]["errorCode"]
    assert api(sim, "GET", EXT, access).status_code == 200
    assert sim_control.faults() == []


def test_503_with_retry_after(sim: Simulator, sim_control: SimulatorControl, sim_login) -> None:
    access = sim_login()["access_token"]
    sim_control.fail_next("/restapi/v1.0/*", status=503, retry_after=7)
    response = api(sim, "GET", EXT + "/phone-number", access)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"


def test_faults_match_method_and_path(sim: Simulator, sim_control: SimulatorControl, sim_login) -> None:
    access = sim_login()["access_token"]
    sim_control.fail_next(RING_OUT, method="POST")
    assert api(sim, "GET", EXT, access).status_code == 200
    body = {"from": {"phoneNumber": "+16505550111"}, "to": {"phoneNumber": "+14155550123"}}
    assert api(sim, "POST", EXT + "/ring-out", access, json=body).status_code == 500
    assert api(sim, "POST", EXT + "/ring-out", access, json=body).status_code == 200


def test_faults_strike_before_authentication(sim: Simulator, sim_control: SimulatorControl) -> None:
    sim_control.fail_next(EXT, status=503)
    assert http.get(sim.base_url + EXT).status_code == 503
    assert http.get(sim.base_url + EXT).status_code == 401


def test_connection_drop_after_the_request_was_received(
    sim: Simulator, sim_control: SimulatorControl, sim_login
) -> None:
    access = sim_login()["access_token"]
    sim_control.drop_next(RING_OUT, method="POST")
    body = {"from": {"phoneNumber": "+16505550111"}, "to": {"phoneNumber": "+14155550123"}}
    with pytest.raises(httpx.TransportError):
        api(sim, "POST", EXT + "/ring-out", access, json=body)
    logged = [r for r in sim_control.requests() if r["method"] == "POST" and r["path"].endswith("/ring-out")]
    assert len(logged) == 1
    assert logged[0]["fault"] == "drop"
    # The server is fine afterwards.
    assert api(sim, "POST", EXT + "/ring-out", access, json=body).status_code == 200


def test_malformed_json(sim: Simulator, sim_control: SimulatorControl, sim_login) -> None:
    access = sim_login()["access_token"]
    sim_control.malform_next(EXT)
    response = api(sim, "GET", EXT, access)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


@pytest.mark.parametrize(
    ("status", "code"), [(404, "CMN-102"), (429, "CMN-301"), (500, "CMN-201"), (503, "CMN-211")]
)
def test_status_faults_answer_with_the_platforms_code_for_the_status(
    sim: Simulator, sim_control: SimulatorControl, status: int, code: str
) -> None:
    sim_control.fail_next(EXT, status=status)
    response = http.get(sim.base_url + EXT)
    assert response.status_code == status
    assert error_code(response) == code


def test_a_lost_answer_was_processed(sim: Simulator, sim_control: SimulatorControl, sim_login) -> None:
    """Unlike "drop", the platform did the work: the call rings although the client saw no answer."""
    access = sim_login()["access_token"]
    sim_control.add_fault("lost", path=RING_OUT, method="POST")
    body = {"from": {"phoneNumber": "+16505550111"}, "to": {"phoneNumber": "+14155550123"}}
    with pytest.raises(httpx.TransportError):
        api(sim, "POST", EXT + "/ring-out", access, json=body)
    assert [call["to"] for call in sim_control.calls()] == ["+14155550123"]
    logged = [r for r in sim_control.requests() if r["method"] == "POST" and r["path"].endswith("/ring-out")]
    assert [(r["status"], r["fault"]) for r in logged] == [(200, "lost")]
    assert api(sim, "POST", EXT + "/ring-out", access, json=body).status_code == 200


def test_a_delay_fault_answers_late_but_normally(
    sim: Simulator, sim_control: SimulatorControl, sim_login
) -> None:
    access = sim_login()["access_token"]
    sim_control.add_fault("delay", path=EXT, seconds=1.0)
    with pytest.raises(httpx.ReadTimeout):
        api(sim, "GET", EXT, access, timeout=0.2)
    assert api(sim, "GET", EXT, access, timeout=0.2).status_code == 200


def test_chance_faults_strike_that_often_and_repeatably(
    sim: Simulator, sim_control: SimulatorControl
) -> None:
    def strikes(seed: int) -> list[bool]:
        sim_control.clear_faults()
        sim_control.add_fault(path="/restapi/v1.0", status=503, chance=0.25, seed=seed)
        return [http.get(sim.base_url + "/restapi/v1.0").status_code == 503 for _ in range(200)]

    first = strikes(7)
    assert 25 <= sum(first) <= 75  # 50 expected; the bounds are 5 standard deviations wide
    assert strikes(7) == first
    strikes_8 = strikes(8)
    assert strikes_8 != first
    # A chance fault is never used up: it stays until cleared.
    assert sim_control.faults()[0]["chance"] == 0.25
    sim_control.clear_faults()
    assert sim_control.faults_struck() == {"status": 2 * sum(first) + sum(strikes_8)}
    assert all(http.get(sim.base_url + "/restapi/v1.0").status_code != 503 for _ in range(20))


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"kind": "status", "chance": 0}, "chance"),
        ({"kind": "status", "chance": 1.5}, "chance"),
        ({"kind": "delay"}, "seconds"),
        ({"kind": "status", "seed": "x"}, "seed"),
    ],
)
def test_bad_fault_settings_are_refused(sim: Simulator, body: dict[str, object], word: str) -> None:
    response = http.post(sim.base_url + "/_sim/faults", json=body)
    assert response.status_code == 400
    assert word in response.json()["error"]


def test_latency_per_route_and_global(sim: Simulator, sim_control: SimulatorControl, sim_login) -> None:
    access = sim_login()["access_token"]
    sim_control.set_latency(1.0, path=EXT + "/device")
    with pytest.raises(httpx.ReadTimeout):
        api(sim, "GET", EXT + "/device", access, timeout=0.2)
    assert api(sim, "GET", EXT, access, timeout=5).status_code == 200
    sim_control.clear_latency()
    assert api(sim, "GET", EXT + "/device", access, timeout=5).status_code == 200
    sim_control.set_latency(1.0)
    with pytest.raises(httpx.ReadTimeout):
        api(sim, "GET", EXT, access, timeout=0.2)
    sim_control.clear_latency()


def test_request_log_records_without_secrets(
    sim: Simulator, sim_control: SimulatorControl, sim_login
) -> None:
    tokens = sim_login()
    api(sim, "GET", EXT, tokens["access_token"], params={"page": "1"})
    http.post(
        sim.base_url + "/restapi/oauth/revoke",
        params={"token": tokens["access_token"]},
        data={"client_id": "ringdesk-demo"},
    )
    log = sim_control.requests()
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("POST", "/restapi/oauth/token", 200),
        ("GET", EXT, 200),
        ("POST", "/restapi/oauth/revoke", 200),
    ]
    assert log[1]["query"] == {"page": ["1"]}
    assert log[1]["group"] == "Light"
    assert log[1]["clientId"] == "ringdesk-demo"
    assert log[1]["owner"] == sim.scenario.account.users[0].extension_id
    assert log[2]["query"] == {"token": ["***"]}
    assert all(isinstance(r["time"], float) for r in log)
    dump = json.dumps(log)
    assert tokens["access_token"] not in dump and tokens["refresh_token"] not in dump
    sim_control.clear_requests()
    assert sim_control.requests() == []


def test_reset_forgets_everything(sim: Simulator, sim_control: SimulatorControl, sim_login) -> None:
    access = sim_login()["access_token"]
    sim_control.fail_next("*", count=5)
    sim_control.set_password_grant(False)
    sim_control.reset()
    assert sim_control.faults() == []
    assert sim_control.requests() == []
    assert sim_control.info()["passwordGrantEnabled"] is True
    assert error_code(api(sim, "GET", EXT, access)) == "OAU-149"


def test_bad_control_requests_are_400(sim: Simulator) -> None:
    response = http.post(sim.base_url + "/_sim/faults", json={"kind": "explode"})
    assert response.status_code == 400
    assert "kind" in response.json()["error"]


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.5", False),
        ("192.168.1.2", False),
        ("::ffff:10.0.0.5", False),
        ("fe80::1", False),
        ("localhost", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback(host: str | None, allowed: bool) -> None:
    assert is_loopback(host) is allowed


@pytest.mark.parametrize(("client", "status"), [(("10.1.2.3", 5555), 403), (("127.0.0.1", 5555), 200)])
async def test_control_api_refuses_non_loopback_clients(client: tuple[str, int], status: int) -> None:
    app, _ = build_app(Scenario.default())
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        assert (await http.get("/_sim/")).status_code == status
        assert (await http.post("/_sim/reset")).status_code == status


def test_app_permissions_change_at_once_and_reset_restores_them(
    sim: Simulator, sim_control: SimulatorControl, sim_login
) -> None:
    access = sim_login()["access_token"]
    wstoken = sim.base_url + "/restapi/oauth/wstoken"
    headers = {"Authorization": f"Bearer {access}"}
    assert http.post(wstoken, headers=headers).status_code == 200
    sim_control.set_app_permissions("ringdesk-demo", ["ReadAccounts", "RingOut"])
    refused = http.post(wstoken, headers=headers)
    assert (refused.status_code, error_code(refused)) == (403, "CMN-401")
    sim_control.reset()
    access = sim_login()["access_token"]
    assert http.post(wstoken, headers={"Authorization": f"Bearer {access}"}).status_code == 200
    bad = http.post(sim.base_url + "/_sim/app-permissions", json={"clientId": "nobody", "permissions": []})
    assert bad.status_code == 400
