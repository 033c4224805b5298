"""RingOut: the timed call, press 1, every failure on each leg, validation, and the cancel rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ringdesk.simulator import (
    CallOutcome,
    ClientApp,
    RateLimits,
    Scenario,
    Simulator,
    SimulatorControl,
    Timings,
)

from .helpers import EXT, api, error_code, token, wait_for

RING_OUT = EXT + "/ring-out"
TO = "+14155550123"
FROM = "+16505550111"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"

Triple = tuple[str, str, str]
IN_PROGRESS: Triple = ("InProgress", "InProgress", "InProgress")
CALLER_ANSWERED: Triple = ("InProgress", "Success", "InProgress")
CONNECTED: Triple = ("Success", "Success", "Success")
FINISHED: Triple = ("Finished", "Finished", "Finished")


def login(sim: Simulator, user_index: int = 0, client_id: str = "ringdesk-demo") -> str:
    user = sim.scenario.account.users[user_index]
    data = {"grant_type": JWT_GRANT, "assertion": user.jwt_credential or "", "client_id": client_id}
    response = token(sim, data)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def place(sim: Simulator, access: str, **body: Any) -> httpx.Response:
    payload: dict[str, Any] = {"from": {"phoneNumber": FROM}, "to": {"phoneNumber": TO}, "playPrompt": False}
    payload.update(body)
    return api(sim, "POST", RING_OUT, access, json=payload)


def triple(body: dict[str, Any]) -> Triple:
    status = body["status"]
    return (status["callStatus"], status["callerStatus"], status["calleeStatus"])


def status_of(sim: Simulator, access: str, ringout_id: str) -> Triple | None:
    response = api(sim, "GET", f"{RING_OUT}/{ringout_id}", access)
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    return triple(response.json())


def until(sim: Simulator, access: str, ringout_id: str, wanted: Callable[[Triple], bool]) -> Triple:
    return wait_for(
        lambda: (s := status_of(sim, access, ringout_id)) is not None and wanted(s) and s, interval=0.02
    )


NO_LIMITS = RateLimits(enabled=False)


def scenario(**overrides: Any) -> Scenario:
    # Status polling would soon meet the Light limit; rate limits have their own tests.
    return dataclasses.replace(Scenario(timings=Timings.fast(), rate_limits=NO_LIMITS), **overrides)


@pytest.fixture
def sim_scenario() -> Scenario:
    return scenario()


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[Simulator, SimulatorControl]]:
    """One simulator for the many outcome cases; reset before each of them."""
    quick = Timings(caller_ring=0.03, callee_ring=0.03, talk=0.3, gone_after=0.3, auto_press_after=0.03)
    with Simulator(scenario(timings=quick)) as simulator, SimulatorControl(simulator.base_url) as control:
        yield simulator, control


@pytest.fixture
def slow_sim(make_sim) -> Simulator:
    """Phases that last until an action moves them on: the operator's phone rings for 30 s."""
    return make_sim(scenario(timings=Timings(caller_ring=30, callee_ring=0.05, talk=30, gone_after=5)))


@pytest.fixture
def talking_sim(make_sim) -> Simulator:
    """Calls connect quickly and then stay connected for 30 s."""
    timings = Timings(caller_ring=0.05, callee_ring=0.05, talk=30, gone_after=5, auto_press_after=None)
    return make_sim(scenario(timings=timings))


def test_a_call_runs_its_course_and_then_404s(sim: Simulator) -> None:
    access = login(sim)
    created = place(sim, access)
    assert created.status_code == 200, created.text
    body = created.json()
    assert triple(body) == IN_PROGRESS
    assert body["uri"].endswith(f"/ring-out/{body['id']}")
    seen: list[Triple] = [IN_PROGRESS]

    def ended() -> bool:
        current = status_of(sim, access, body["id"])
        if current is None:
            return True
        if current != seen[-1]:
            seen.append(current)
        return False

    wait_for(ended, interval=0.02)
    expected = [IN_PROGRESS, CALLER_ANSWERED, CONNECTED, FINISHED]
    assert seen == [s for s in expected if s in seen], seen
    assert CONNECTED in seen and FINISHED in seen
    gone = api(sim, "GET", f"{RING_OUT}/{body['id']}", access)
    assert gone.status_code == 404
    assert error_code(gone) == "CMN-102"


def test_press_one_flow(talking_sim: Simulator) -> None:
    sim = talking_sim
    access = login(sim)
    ringout_id = place(sim, access, playPrompt=True).json()["id"]
    assert until(sim, access, ringout_id, lambda s: s != IN_PROGRESS) == CALLER_ANSWERED
    with SimulatorControl(sim.base_url) as control:
        assert control.calls()[0]["phase"] == "WaitingForPress"
        assert status_of(sim, access, ringout_id) == CALLER_ANSWERED
        pressed = control.press_one()
        assert pressed["ringoutId"] == ringout_id
        assert until(sim, access, ringout_id, lambda s: s == CONNECTED) == CONNECTED
        with pytest.raises(RuntimeError, match="not waiting"):
            control.press_one(ringout_id)


def test_scenario_presses_one_by_itself(sim: Simulator) -> None:
    access = login(sim)
    ringout_id = place(sim, access, playPrompt=True).json()["id"]
    until(sim, access, ringout_id, lambda s: s == CONNECTED)


def test_nobody_presses_one(make_sim) -> None:
    timings = Timings(caller_ring=0.05, auto_press_after=None, prompt_timeout=0.2, gone_after=5)
    sim = make_sim(scenario(timings=timings))
    access = login(sim)
    ringout_id = place(sim, access, playPrompt=True).json()["id"]
    final = until(sim, access, ringout_id, lambda s: s[0] != "InProgress")
    assert final == ("CannotReach", "NoAnswer", "InProgress")


FAILURES = [
    "Busy",
    "NoAnswer",
    "Rejected",
    "InternationalDisabled",
    "DestinationBlocked",
    "GenericError",
    "SomeNewStatus",
]


@pytest.mark.parametrize("status", FAILURES)
@pytest.mark.parametrize("leg", ["caller", "callee"])
def test_failure_on_either_leg(shared: tuple[Simulator, SimulatorControl], leg: str, status: str) -> None:
    sim, sim_control = shared
    sim_control.reset()
    access = login(sim)
    sim_control.set_next_outcome(leg, status)
    ringout_id = place(sim, access).json()["id"]
    final = until(sim, access, ringout_id, lambda s: s[0] != "InProgress")
    if leg == "caller":
        assert final == ("CannotReach", status, "InProgress")
    else:
        assert final == ("CannotReach", "Success", status)


def test_an_outcome_is_for_one_call_only(shared: tuple[Simulator, SimulatorControl]) -> None:
    sim, sim_control = shared
    sim_control.reset()
    access = login(sim)
    sim_control.set_next_outcome("caller", "Busy")
    first = place(sim, access).json()["id"]
    second = place(sim, access).json()["id"]
    assert until(sim, access, first, lambda s: s[0] != "InProgress")[0] == "CannotReach"
    assert until(sim, access, second, lambda s: s[0] != "InProgress") == CONNECTED


def test_unknown_overall_status(shared: tuple[Simulator, SimulatorControl]) -> None:
    sim, sim_control = shared
    sim_control.reset()
    access = login(sim)
    sim_control.set_next_outcome("callee", "SomeNewStatus", call_status="SomeNewStatus")
    ringout_id = place(sim, access).json()["id"]
    final = until(sim, access, ringout_id, lambda s: s[0] != "InProgress")
    assert final == ("SomeNewStatus", "Success", "SomeNewStatus")


def test_scenario_outcome_by_destination(make_sim) -> None:
    sim = make_sim(scenario(outcomes={"+14155550199": CallOutcome(leg="callee", status="Busy")}))
    access = login(sim)
    busy = place(sim, access, to={"phoneNumber": "+1 (415) 555-0199"}).json()["id"]
    assert until(sim, access, busy, lambda s: s[0] != "InProgress") == ("CannotReach", "Success", "Busy")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"to": None}, 400, "CMN-100"),
        ({"to": {"phoneNumber": "12"}}, 400, "TEL-109"),
        ({"to": {"phoneNumber": "call me"}}, 400, "TEL-109"),
        ({"from": {"phoneNumber": "0123"}}, 400, "TEL-108"),
        ({"from": {"forwardingNumberId": "999"}}, 404, "CMN-102"),
        ({"callerId": {"phoneNumber": "+16505550109"}}, 400, "TEL-107"),
        ({"callerId": {"phoneNumber": "+19995550000"}}, 400, "TEL-107"),
    ],
)
def test_validation(sim: Simulator, body: dict[str, Any], status: int, code: str) -> None:
    access = login(sim)
    response = place(sim, access, **body)
    assert response.status_code == status, response.text
    assert error_code(response) == code
    assert response.json()["errorCode"] == code


def test_from_defaults_and_alternatives(sim: Simulator, sim_control: SimulatorControl) -> None:
    access = login(sim)
    payload = {"to": {"phoneNumber": TO}}
    assert api(sim, "POST", RING_OUT, access, json=payload).status_code == 200
    by_id = place(sim, access, **{"from": {"forwardingNumberId": "733152008"}})
    assert by_id.status_code == 200
    with_caller_id = place(sim, access, callerId={"phoneNumber": "+16505550100"})
    assert with_caller_id.status_code == 200
    calls = sim_control.calls()
    assert [c["from"] for c in calls] == ["+16505550111", "+16505550122", "+16505550111"]
    assert [c["callerId"] for c in calls] == ["+16505550101", "+16505550101", "+16505550100"]


def test_app_without_ringout_permission(make_sim) -> None:
    sim = make_sim(
        scenario(clients=[ClientApp(client_id="reader", name="Reader", permissions=["ReadAccounts"])])
    )
    response = place(sim, login(sim, client_id="reader"))
    assert response.status_code == 403
    assert error_code(response) == "CMN-401"


def test_extension_without_ringout_feature(sim: Simulator) -> None:
    response = place(sim, login(sim, user_index=1), **{"from": {"phoneNumber": "+16505550211"}})
    assert response.status_code == 403
    assert error_code(response) == "CMN-112"


def test_cancel_before_connect(slow_sim: Simulator) -> None:
    sim = slow_sim
    access = login(sim)
    ringout_id = place(sim, access).json()["id"]
    assert status_of(sim, access, ringout_id) == IN_PROGRESS
    assert api(sim, "DELETE", f"{RING_OUT}/{ringout_id}", access).status_code == 204
    assert status_of(sim, access, ringout_id) is None
    assert api(sim, "DELETE", f"{RING_OUT}/{ringout_id}", access).status_code == 404


def test_cancel_after_connect_is_refused_and_the_call_goes_on(talking_sim: Simulator) -> None:
    sim = talking_sim
    access = login(sim)
    ringout_id = place(sim, access).json()["id"]
    until(sim, access, ringout_id, lambda s: s == CONNECTED)
    refused = api(sim, "DELETE", f"{RING_OUT}/{ringout_id}", access)
    assert refused.status_code == 409
    assert error_code(refused) == "RNG-109"
    assert "Call Control" in refused.json()["message"]
    assert status_of(sim, access, ringout_id) == CONNECTED


def test_delete_after_the_end_removes_the_resource(make_sim) -> None:
    sim = make_sim(scenario(timings=Timings(caller_ring=0.05, callee_ring=0.05, talk=0.05, gone_after=30)))
    access = login(sim)
    ringout_id = place(sim, access).json()["id"]
    until(sim, access, ringout_id, lambda s: s == FINISHED)
    assert api(sim, "DELETE", f"{RING_OUT}/{ringout_id}", access).status_code == 204
    assert status_of(sim, access, ringout_id) is None


def test_another_users_call_is_not_visible(sim: Simulator) -> None:
    ringout_id = place(sim, login(sim)).json()["id"]
    second = login(sim, user_index=1)
    path = f"/restapi/v1.0/account/~/extension/~/ring-out/{ringout_id}"
    assert api(sim, "GET", path, second).status_code == 404
