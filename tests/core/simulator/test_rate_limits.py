"""Rate limits per (user, app) and group: headers, 429 with Retry-After, and the restarting penalty."""

from __future__ import annotations

import time

from ringdesk.simulator import RateLimits, Simulator, SimulatorControl
from ringdesk.simulator.ratelimit import RateLimiter
from tests.fakes import FakeClock

from .helpers import EXT, api, error_code, token, wait_for

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def test_headers_on_every_limited_response(sim: Simulator, sim_login) -> None:
    access = sim_login()["access_token"]
    first = api(sim, "GET", EXT, access)
    second = api(sim, "GET", EXT, access)
    assert first.headers["X-Rate-Limit-Group"] == "light"
    assert first.headers["X-Rate-Limit-Limit"] == "50"
    assert first.headers["X-Rate-Limit-Window"] == "60"
    assert int(second.headers["X-Rate-Limit-Remaining"]) == int(first.headers["X-Rate-Limit-Remaining"]) - 1
    heavy = api(sim, "POST", EXT + "/ring-out", access, json={"to": {"phoneNumber": "+14155550123"}})
    assert heavy.headers["X-Rate-Limit-Group"] == "heavy"
    assert heavy.headers["X-Rate-Limit-Limit"] == "10"


def test_exceeding_gives_429_with_retry_after(
    sim: Simulator, sim_control: SimulatorControl, sim_login
) -> None:
    sim_control.set_rate_limits({"Light": 2}, penalty=42)
    access = sim_login()["access_token"]
    assert api(sim, "GET", EXT, access).status_code == 200
    assert api(sim, "GET", EXT, access).headers["X-Rate-Limit-Remaining"] == "0"
    refused = api(sim, "GET", EXT, access)
    assert refused.status_code == 429
    assert error_code(refused) == "CMN-301"
    assert refused.headers["Retry-After"] == "42"
    assert refused.headers["X-Rate-Limit-Group"] == "light"
    # Other groups and other apps of the same user have their own budgets.
    heavy = api(sim, "POST", EXT + "/ring-out", access, json={"to": {"phoneNumber": "+14155550123"}})
    assert heavy.status_code == 200
    other_app = token(
        sim,
        {"grant_type": JWT_GRANT, "assertion": sim.scenario.account.users[0].jwt_credential or ""},
        auth=("ringdesk-confidential", "ringdesk-confidential-secret"),
    ).json()["access_token"]
    assert api(sim, "GET", EXT, other_app).status_code == 200


def test_requests_during_the_penalty_restart_it(
    sim: Simulator, sim_control: SimulatorControl, sim_login
) -> None:
    sim_control.set_rate_limits({"Light": 1}, penalty=1.0)
    access = sim_login()["access_token"]
    assert api(sim, "GET", EXT, access).status_code == 200
    assert api(sim, "GET", EXT, access).status_code == 429
    # Keep knocking, well within each restarted penalty, for longer than one penalty lasts.
    started = time.monotonic()
    while time.monotonic() - started < 1.6:
        assert api(sim, "GET", EXT, access).status_code == 429
        time.sleep(0.2)
    # Once we stop knocking, the penalty runs out (the window has not: raise the limit to see it).
    sim_control.set_rate_limits({"Light": 50})
    wait_for(lambda: api(sim, "GET", EXT, access).status_code == 200, timeout=5, interval=1.1)


def test_auth_group_keys_on_client_and_credential(sim: Simulator, sim_control: SimulatorControl) -> None:
    sim_control.set_rate_limits({"Auth": 2})
    users = sim.scenario.account.users
    first = {
        "grant_type": JWT_GRANT,
        "assertion": users[0].jwt_credential or "",
        "client_id": "ringdesk-demo",
    }
    assert token(sim, first).status_code == 200
    assert token(sim, first).headers["X-Rate-Limit-Group"] == "auth"
    limited = token(sim, first)
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    second_user = {**first, "assertion": users[1].jwt_credential or ""}
    assert token(sim, second_user).status_code == 200


def test_limits_can_be_turned_off(make_sim, sim_login) -> None:
    sim = make_sim(rate_limits=RateLimits(enabled=False))
    data = {"grant_type": JWT_GRANT, "assertion": sim.scenario.account.users[0].jwt_credential or ""}
    access = token(sim, {**data, "client_id": "ringdesk-demo"}).json()["access_token"]
    response = api(sim, "GET", EXT, access)
    assert response.status_code == 200
    assert "X-Rate-Limit-Group" not in response.headers


def test_limiter_window_and_penalty_with_a_fake_clock() -> None:
    clock = FakeClock(now=0.0)
    limiter = RateLimiter(RateLimits(limits={"Heavy": 2}, window=60, penalty=60), clock=clock)
    assert limiter.check("u", "Heavy").allowed
    clock.now = 30
    assert limiter.check("u", "Heavy").allowed
    clock.now = 40
    refused = limiter.check("u", "Heavy")
    assert not refused.allowed and refused.headers()["Retry-After"] == "60"
    clock.now = 90  # the window has room again, but the penalty (40 + 60) still runs...
    assert not limiter.check("u", "Heavy").allowed
    clock.now = 149  # ...and that request restarted it (90 + 60)
    assert not limiter.check("u", "Heavy").allowed
    clock.now = 209.5
    assert limiter.check("u", "Heavy").allowed
    assert limiter.check("other user", "Heavy").allowed
    assert limiter.check("u", "NoSuchGroup") is None
