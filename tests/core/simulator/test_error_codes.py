"""The simulator answers with the platform's error codes: the official description's where it has
one, and a code marked as the simulator's own where the platform documents none."""

from __future__ import annotations

from ringdesk.simulator import Simulator

from .helpers import api, error_code

RINGOUT = "/restapi/v1.0/account/~/extension/~/ring-out"
EXT = "/restapi/v1.0/account/~/extension/~"


def test_json_the_platform_cannot_parse_is_cmn_103(sim: Simulator, sim_login) -> None:
    access = sim_login()["access_token"]
    response = api(sim, "POST", RINGOUT, access, content=b'{"to": {"phoneNumber": "+16505551234"')
    assert response.status_code == 400
    assert error_code(response) == "CMN-103"
    assert response.json()["errors"][0]["message"] == "JSON can't be parsed."


def test_a_method_a_route_does_not_take_is_405_with_the_simulators_own_code(
    sim: Simulator, sim_login
) -> None:
    access = sim_login()["access_token"]
    response = api(sim, "PUT", EXT, access, json={})
    assert response.status_code == 405
    assert error_code(response) == "SIM-405"
