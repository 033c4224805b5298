"""The call log: a record for each RingOut that has ended, kept after the RingOut itself is gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ringdesk.simulator import Simulator, SimulatorControl

from .helpers import EXT, api, wait_for
from .test_ringout import TO, login, place, status_of

CALL_LOG = EXT + "/call-log"
ROOMY = {"Light": 10_000, "Medium": 10_000, "Heavy": 10_000, "Auth": 10_000}


def _ended_call(sim: Simulator, sim_control: SimulatorControl) -> str:
    """Sign in, place a call and wait until its RingOut is gone; the access token."""
    sim_control.set_rate_limits(ROOMY, reset_counters=True)
    access = login(sim)
    ringout_id = place(sim, access).json()["id"]
    wait_for(lambda: True if status_of(sim, access, ringout_id) is None else None)
    return access


def _log(sim: Simulator, access: str, **params: str) -> list[dict[str, object]]:
    response = api(sim, "GET", CALL_LOG, access, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"uri", "records", "paging", "navigation"} <= body.keys()
    records: list[dict[str, object]] = body["records"]
    return records


def test_a_connected_call_is_logged_after_its_ringout_is_gone(
    sim: Simulator, sim_control: SimulatorControl
) -> None:
    sim_control.set_rate_limits(ROOMY, reset_counters=True)
    sim_control.set_timings(talk=1.0)
    access = login(sim)
    ringout_id = place(sim, access).json()["id"]
    assert _log(sim, access) == []  # not in the log while it runs

    wait_for(lambda: True if status_of(sim, access, ringout_id) is None else None)
    (record,) = _log(sim, access)
    assert record["type"] == "Voice" and record["direction"] == "Outbound"
    assert record["action"] == "RingOut Web" and record["result"] == "Call connected"
    assert record["duration"] == 1
    assert record["to"] == {"phoneNumber": TO}
    assert {"id", "uri", "sessionId", "telephonySessionId", "startTime"} <= record.keys()


def test_a_failed_call_is_logged_with_the_call_log_word(
    sim: Simulator, sim_control: SimulatorControl
) -> None:
    sim_control.set_next_outcome("callee", "NoAnswer")
    access = _ended_call(sim, sim_control)
    (record,) = _log(sim, access)
    assert (record["result"], record["duration"]) == ("No Answer", 0)


def test_the_log_is_filtered_by_start_time_and_direction(
    sim: Simulator, sim_control: SimulatorControl
) -> None:
    access = _ended_call(sim, sim_control)
    now = datetime.now(UTC)
    around = {"dateFrom": (now - timedelta(minutes=1)).isoformat(), "dateTo": now.isoformat()}
    assert len(_log(sim, access, **around)) == 1
    later = {"dateFrom": (now + timedelta(minutes=1)).isoformat()}
    assert _log(sim, access, **later) == []
    assert _log(sim, access, direction="Inbound") == []
    response = api(sim, "GET", CALL_LOG, access, params={"dateFrom": "yesterday"})
    assert response.status_code == 400
