"""Shared fixtures: a real RingCentral simulator on 127.0.0.1 for any test that needs the platform.

    def test_something(sim, sim_control, sim_login):
        tokens = sim_login()                                  # JWT grant as the demo user, public app
        sim_control.set_next_outcome("callee", "Busy")
        httpx.post(f"{sim.base_url}/restapi/v1.0/account/~/extension/~/ring-out", ...)

Override `sim_scenario` in a test module (or use `make_sim`) to serve a different account or behaviour.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ringdesk.simulator import Scenario, Simulator, SimulatorControl, Timings

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def fast_scenario(**overrides: Any) -> Scenario:
    """The built-in demo account with `Timings.fast()`: call phases of tenths of a second.

    `overrides` replace top-level `Scenario` fields (timings=Timings(...), demo_mode=False, clients=[...]).
    "Press 1" is pressed automatically 0.1 s after the operator answers; pass
    `timings=Timings(..., auto_press_after=None)` to press it through the control API instead.
    """
    fast = Timings.fast()
    return dataclasses.replace(Scenario.default(), **{"timings": fast, **overrides})


@pytest.fixture
def sim_scenario() -> Scenario:
    """The scenario the `sim` fixture serves; override this fixture in a module to change it."""
    return fast_scenario()


@pytest.fixture
def sim(sim_scenario: Scenario) -> Iterator[Simulator]:
    """A started simulator (fast timings, default rate limits) on a free loopback port; stopped afterwards."""
    with Simulator(sim_scenario) as simulator:
        yield simulator


@pytest.fixture
def sim_control(sim: Simulator) -> Iterator[SimulatorControl]:
    """A `SimulatorControl` for `sim`'s `/_sim/` API (faults, tokens, outcomes, press 1, request log...)."""
    with SimulatorControl(sim.base_url) as control:
        yield control


@pytest.fixture
def make_sim() -> Iterator[Callable[..., Simulator]]:
    """Factory for extra or custom simulators: `make_sim(scenario)` or `make_sim(**fast_scenario overrides)`.

    Every simulator it starts is stopped at the end of the test.
    """
    started: list[Simulator] = []

    def factory(scenario: Scenario | None = None, **overrides: Any) -> Simulator:
        if scenario is not None and overrides:
            scenario = dataclasses.replace(scenario, **overrides)
        simulator = Simulator(scenario if scenario is not None else fast_scenario(**overrides)).start()
        started.append(simulator)
        return simulator

    yield factory
    for simulator in started:
        simulator.stop()


@pytest.fixture
def sim_login(sim: Simulator) -> Callable[..., dict[str, Any]]:
    """`sim_login(user_index=0, client_id="ringdesk-demo")` -> the token response of a JWT-grant sign-in.

    A confidential client authenticates with HTTP Basic and its secret from the scenario.
    """

    def login(user_index: int = 0, client_id: str = "ringdesk-demo") -> dict[str, Any]:
        scenario = sim.scenario
        user = scenario.account.users[user_index]
        client = scenario.client(client_id)
        assert client is not None, f"no client {client_id!r} in the scenario"
        data = {"grant_type": JWT_GRANT, "assertion": user.jwt_credential or ""}
        auth: tuple[str, str] | None = None
        if client.client_secret is None:
            data["client_id"] = client_id
        else:
            auth = (client_id, client.client_secret)
        response = httpx.post(f"{sim.base_url}/restapi/oauth/token", data=data, auth=auth, timeout=10)
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    return login
