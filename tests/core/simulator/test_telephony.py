"""Telephony sessions and detailed presence that mirror each RingOut; hang-up through Call Control."""

from __future__ import annotations

from typing import Any

import pytest

from ringdesk.simulator import ClientApp, RateLimits, Scenario, Simulator, SimulatorControl, Timings

from .helpers import EXT, api, error_code, token, wait_for

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SESSIONS = "/restapi/v1.0/account/~/telephony/sessions/"
TIMINGS = Timings(caller_ring=0.05, callee_ring=0.05, talk=30, gone_after=0.3, auto_press_after=None)


@pytest.fixture
def sim_scenario() -> Scenario:
    no_call_control = ClientApp(
        client_id="no-call-control",
        name="No Call Control",
        permissions=["ReadAccounts", "RingOut", "ReadPresence"],
    )
    default = Scenario.default()
    return Scenario(
        timings=TIMINGS, rate_limits=RateLimits(enabled=False), clients=[*default.clients, no_call_control]
    )


def login(sim: Simulator, client_id: str = "ringdesk-demo") -> str:
    user = sim.scenario.account.users[0]
    data = {"grant_type": JWT_GRANT, "assertion": user.jwt_credential or "", "client_id": client_id}
    return str(token(sim, data).json()["access_token"])


def place(sim: Simulator, access: str, prompt: bool = True) -> str:
    body = {
        "from": {"phoneNumber": "+16505550111"},
        "to": {"phoneNumber": "+14155550123"},
        "playPrompt": prompt,
    }
    response = api(sim, "POST", EXT + "/ring-out", access, json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def session(sim: Simulator, access: str, session_id: str) -> dict[str, Any]:
    response = api(sim, "GET", SESSIONS + session_id, access)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> dict[str, str]:
    return {p["ringOutRole"]: p["status"]["code"] for p in body["parties"]}


def test_session_follows_the_call(sim: Simulator, sim_control: SimulatorControl) -> None:
    access = login(sim)
    ringout_id = place(sim, access)
    call = sim_control.calls()[0]
    session_id = call["telephonySessionId"]
    body = session(sim, access, session_id)
    assert body["id"] == session_id
    assert body["origin"] == {"type": "RingOut"}
    assert {p["ringOutRole"] for p in body["parties"]} == {"Initiator", "Target"}
    # A RingOut is two inbound legs: the operator's own phone rings first, showing the destination, then
    # the destination rings from the caller ID under the operator's name; only the first is the operator's.
    initiator = next(p for p in body["parties"] if p["ringOutRole"] == "Initiator")
    target = next(p for p in body["parties"] if p["ringOutRole"] == "Target")
    user = sim.scenario.account.users[0]
    assert initiator["direction"] == target["direction"] == "Inbound"
    assert initiator["extensionId"] == str(user.extension_id)
    assert initiator["owner"] == {
        "accountId": str(sim.scenario.account.id),
        "extensionId": str(user.extension_id),
    }
    assert initiator["to"] == {"phoneNumber": "+16505550111"}
    assert initiator["from"] == {"phoneNumber": "+14155550123"}
    assert target["to"]["phoneNumber"] == "+14155550123"
    assert target["from"]["name"] == user.name
    assert not {"extensionId", "accountId", "owner"} & set(target)
    assert codes(body) in (
        {"Initiator": "Proceeding", "Target": "Setup"},
        {"Initiator": "Answered", "Target": "Setup"},
    )
    wait_for(lambda: codes(session(sim, access, session_id)) == {"Initiator": "Answered", "Target": "Setup"})
    sim_control.press_one(ringout_id)
    wait_for(
        lambda: codes(session(sim, access, session_id)) == {"Initiator": "Answered", "Target": "Answered"}
    )


def test_hang_up_ends_the_ringout_as_finished(sim: Simulator, sim_control: SimulatorControl) -> None:
    access = login(sim)
    ringout_id = place(sim, access, prompt=False)
    session_id = sim_control.calls()[0]["telephonySessionId"]
    wait_for(
        lambda: codes(session(sim, access, session_id)) == {"Initiator": "Answered", "Target": "Answered"}
    )
    assert api(sim, "DELETE", SESSIONS + session_id, access).status_code == 204
    status = api(sim, "GET", f"{EXT}/ring-out/{ringout_id}", access).json()["status"]
    assert status == {"callStatus": "Finished", "callerStatus": "Finished", "calleeStatus": "Finished"}
    assert codes(session(sim, access, session_id)) == {"Initiator": "Disconnected", "Target": "Disconnected"}
    assert api(sim, "DELETE", SESSIONS + session_id, access).status_code == 404
    # Both resources go away some time after the end.
    wait_for(lambda: api(sim, "GET", SESSIONS + session_id, access).status_code == 404)
    wait_for(lambda: api(sim, "GET", f"{EXT}/ring-out/{ringout_id}", access).status_code == 404)


def test_hang_up_needs_call_control(sim: Simulator, sim_control: SimulatorControl) -> None:
    access = login(sim, "no-call-control")
    place(sim, access)
    session_id = sim_control.calls()[0]["telephonySessionId"]
    for method in ("GET", "DELETE"):
        response = api(sim, method, SESSIONS + session_id, access)
        assert response.status_code == 403
        assert error_code(response) == "CMN-401"
        assert "CallControl" in response.json()["message"]
    assert sim_control.calls()[0]["phase"] != "Finished"


def test_unknown_session(sim: Simulator) -> None:
    response = api(sim, "GET", SESSIONS + "s-nothing", login(sim))
    assert response.status_code == 404
    assert error_code(response) == "CMN-102"


def test_detailed_presence_lists_the_call(sim: Simulator, sim_control: SimulatorControl) -> None:
    access = login(sim)
    idle = api(sim, "GET", EXT + "/presence", access, params={"detailedTelephonyState": "true"}).json()
    assert idle["telephonyStatus"] == "NoCall"
    assert idle["activeCalls"] == []
    place(sim, access, prompt=False)
    session_id = sim_control.calls()[0]["telephonySessionId"]

    def connected() -> dict[str, Any] | None:
        body: dict[str, Any] = api(
            sim, "GET", EXT + "/presence", access, params={"detailedTelephonyState": "true"}
        ).json()
        return body if body["telephonyStatus"] == "CallConnected" else None

    body = wait_for(connected)
    assert [c["telephonySessionId"] for c in body["activeCalls"]] == [session_id]
    assert body["activeCalls"][0]["to"] == "+14155550123"
    plain = api(sim, "GET", EXT + "/presence", access).json()
    assert "activeCalls" not in plain
    api(sim, "DELETE", SESSIONS + session_id, access)
    after = api(sim, "GET", EXT + "/presence", access, params={"detailedTelephonyState": "true"}).json()
    assert after["activeCalls"] == []
    assert after["telephonyStatus"] == "NoCall"
