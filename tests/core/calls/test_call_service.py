"""The RingOut service against the real simulator over sockets: placing, following, cancelling, limits.

Call phases last tenths of a second (`Timings.fast()`), polling every 0.05 s; nothing here measures
wall-clock speed, only order, counts and spacing the service itself controls.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import Callable
from typing import Any

import pytest

from ringdesk.calls import CallActionUnavailable, CallService, Phase, failure_sentence
from ringdesk.calls.service import LOST_WHILE_PLACING, UNREACHABLE_WHILE_PLACING
from ringdesk.calls.state import CALL_CONTROL_MISSING, CONNECTION_TROUBLE, UNRECOGNISED_FAILURE
from ringdesk.errors import InvalidRequest, NetworkError, NotFound, RateLimited
from ringdesk.platforms.base import Phone
from ringdesk.platforms.ringcentral import PlatformClient
from ringdesk.platforms.ringcentral.progress import leg_from_ringout
from ringdesk.simulator import SimulatorControl
from ringdesk.storage.history import INTERRUPTED_OUTCOME

from .conftest import TO_E164, Events, OrderedHistory, Watcher, place, requests_to

RING_OUT_GET = "/ring-out/"

Factory = Callable[..., CallService]


async def test_click_to_connected_to_ended(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory, watch: Callable[..., Watcher]
) -> None:
    service = make_service()
    call = await place(service)
    watcher = watch(call)
    assert call.call_id
    final = await call.wait_finished()

    assert final.phase is Phase.ENDED
    assert Phase.CONNECTED in watcher.phases
    phases = [s.phase for s in watcher.states]
    assert phases.index(Phase.CONNECTED) < phases.index(Phase.ENDED)
    assert final.connected_at is not None and final.ended_at is not None
    assert final.ended_at > final.connected_at

    row = await history.row(call.record_id)
    assert row["state"] == "ended"
    assert row["call_id"] == call.call_id
    assert row["destination"] == TO_E164 and row["from_number"] == "+16505550122"
    assert row["connected_at"] == final.connected_at and row["ended_at"] == final.ended_at
    assert row["duration"] == final.ended_at - final.connected_at > 0
    assert row["outcome"] == "The call ended."
    assert (row["caller_status"], row["callee_status"]) == ("Finished", "Finished")
    # Polling stopped at the final state: no request after the one that saw "Finished".
    count = len(requests_to(roomy, "GET", RING_OUT_GET))
    await asyncio.sleep(0.3)
    assert len(requests_to(roomy, "GET", RING_OUT_GET)) == count
    assert not service.active_calls


async def test_press_1_flow(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(auto_press_after=None)
    call = await place(make_service(), play_prompt=True)
    watcher = watch(call)
    waiting = await watcher.phase(Phase.WAITING_FOR_PRESS_1)
    assert waiting.headline == "Answered: press 1 on your phone"
    assert waiting.can_cancel

    await asyncio.sleep(0.3)  # nobody pressed: still waiting, not connected
    assert call.state.phase is Phase.WAITING_FOR_PRESS_1
    roomy.press_one(call.call_id)

    final = await call.wait_finished()
    assert final.phase is Phase.ENDED
    assert watcher.phases[-3:] == [Phase.WAITING_FOR_PRESS_1, Phase.CONNECTED, Phase.ENDED]
    assert (await history.row(call.record_id))["play_prompt"] is True


FAILURES = [
    "Busy",
    "NoAnswer",
    "Rejected",
    "InternationalDisabled",
    "DestinationBlocked",
    "GenericError",
    "NotEnoughFunds",
]


@pytest.mark.parametrize("status", FAILURES)
@pytest.mark.parametrize("leg", ["caller", "callee"])
async def test_each_failure_on_each_leg(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory, leg: str, status: str
) -> None:
    roomy.set_next_outcome(leg, status)
    call = await place(make_service())
    final = await call.wait_finished()

    assert final.phase is Phase.FAILED
    failure = leg_from_ringout(status).failure
    assert failure is not None
    assert final.outcome == failure_sentence(leg, failure)
    assert final.headline == final.outcome
    row = await history.row(call.record_id)
    assert row["state"] == "failed"
    assert row["outcome"] == final.outcome
    assert row["error_code"] == status
    assert row[f"{leg}_status"] == status


async def test_an_unknown_status_fails_in_plain_words_keeping_its_raw_text(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory
) -> None:
    roomy.set_next_outcome("callee", "SomeNewStatus")
    call = await place(make_service())
    final = await call.wait_finished()
    assert final.phase is Phase.FAILED
    assert final.headline == UNRECOGNISED_FAILURE
    assert final.error_code == "SomeNewStatus"
    assert (await history.row(call.record_id))["error_code"] == "SomeNewStatus"


async def test_nobody_pressing_1_in_time(
    roomy: SimulatorControl, make_service: Factory, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(auto_press_after=None, prompt_timeout=0.3)
    call = await place(make_service(), play_prompt=True)
    final = await call.wait_finished()
    assert final.phase is Phase.FAILED
    assert "pressed 1" in final.headline


async def test_cancel_while_ringing(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(caller_ring=30.0)
    call = await place(make_service())
    watcher = watch(call)
    ringing = await watcher.phase(Phase.CALLING_YOU)
    assert ringing.can_cancel and not ringing.can_hang_up

    await asyncio.gather(call.cancel(), call.cancel())  # a double click sends one DELETE
    assert call.state.phase is Phase.CANCELLED
    final = await call.wait_finished()
    assert final.phase is Phase.CANCELLED and final.headline == "Cancelled"
    assert len(requests_to(roomy, "DELETE", "/ring-out/")) == 1
    assert roomy.calls()[0]["phase"] == "Cancelled"
    row = await history.row(call.record_id)
    assert row["state"] == "cancelled" and row["connected_at"] is None
    await call.cancel()  # a second press does nothing
    assert len(requests_to(roomy, "DELETE", "/ring-out/")) == 1


async def test_hang_up_after_connect_through_call_control(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(talk=30.0)
    # A second call to another number, placed just before ours, must not be the one hung up.
    service = make_service(call_control=True)
    other = await place(service, target=_target("+14155550188"))
    call = await place(service)
    watcher = watch(call)
    connected = await watcher.phase(Phase.CONNECTED)
    assert connected.can_hang_up and connected.hang_up_unavailable_reason is None

    await call.cancel()
    final = await call.wait_finished()
    assert final.phase is Phase.ENDED
    assert final.outcome == "You hung up."
    assert final.connected_at is not None
    hang_ups = requests_to(roomy, "DELETE", "/telephony/sessions/")
    assert len(hang_ups) == 1
    ours = next(c for c in roomy.calls() if c["ringoutId"] == call.call_id)
    assert hang_ups[0]["path"].endswith(ours["telephonySessionId"])
    assert ours["phase"] == "Finished"
    assert not requests_to(roomy, "DELETE", "/ring-out/")
    row = await history.row(call.record_id)
    assert row["state"] == "ended" and row["outcome"] == "You hung up."
    assert other.state.phase is not Phase.ENDED
    await other.aclose()


async def test_without_call_control_hang_up_is_disabled_with_the_reason(
    roomy: SimulatorControl, make_service: Factory, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(talk=30.0)
    call = await place(make_service(call_control=False))
    connected = await watch(call).phase(Phase.CONNECTED)
    assert not connected.can_hang_up
    assert connected.hang_up_unavailable_reason == CALL_CONTROL_MISSING
    with pytest.raises(CallActionUnavailable) as raised:
        await call.cancel()
    assert raised.value.user_message == CALL_CONTROL_MISSING
    assert not requests_to(roomy, "DELETE", "")
    assert call.state.phase is Phase.CONNECTED
    await call.aclose()


async def test_heavy_budget_spent_nothing_is_sent(
    sim_control: SimulatorControl,
    make_client: Callable[..., PlatformClient],
    make_service: Factory,
    history: OrderedHistory,
) -> None:
    sim_control.set_rate_limits({"Heavy": 2, "Light": 10_000}, reset_counters=True)
    # The client starts from the documented defaults and learns the stated limit from the replies.
    service = make_service(make_client(limits={"Light": 10_000, "Heavy": 10}))
    assert service.next_call_possible_in() == 0
    first = await place(service)
    second = await place(service)
    with pytest.raises(RateLimited) as raised:
        await place(service)

    error = raised.value
    assert error.sent is False and error.group == "Heavy" and error.retry_after > 0
    assert "next call is possible in" in error.user_message
    assert len(requests_to(sim_control, "POST", "/ring-out")) == 2
    assert not [r for r in sim_control.requests() if r["status"] == 429]
    wait = service.next_call_possible_in()
    assert 0 < wait <= 60
    rows = await history.rows()
    assert len(rows) == 3
    third = rows[2]
    assert third["state"] == "failed" and third["error_code"] == "RateLimited"
    assert third["outcome"].startswith("Not sent: wait ") and third["outcome"].endswith(" s")
    assert third["call_id"] is None
    await first.wait_finished()
    await second.wait_finished()


async def test_server_unreachable_the_attempt_is_in_the_history(
    make_client: Callable[..., PlatformClient], make_service: Factory, history: OrderedHistory
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    service = make_service(make_client(base_url=f"http://127.0.0.1:{port}"))
    with pytest.raises(NetworkError) as raised:
        await place(service)
    assert raised.value.may_have_reached_server is False
    assert raised.value.user_message == UNREACHABLE_WHILE_PLACING
    (row,) = await history.rows()
    assert row["state"] == "failed"
    assert row["outcome"] == UNREACHABLE_WHILE_PLACING
    assert row["error_code"] == "NetworkError"
    assert row["destination"] == TO_E164


async def test_connection_lost_while_placing_is_never_resent(
    roomy: SimulatorControl, make_client: Callable[..., PlatformClient], make_service: Factory,
    history: OrderedHistory,
) -> None:  # fmt: skip
    from ringdesk.platforms.ringcentral import RetryPolicy

    roomy.drop_next("*/ring-out", method="POST")
    # Even with a client that retries what is safe to retry, a RingOut POST is sent once.
    service = make_service(make_client(retry=RetryPolicy(max_attempts=4, backoff_initial=0.01)))
    with pytest.raises(NetworkError) as raised:
        await place(service)
    assert raised.value.may_have_reached_server is True
    assert raised.value.user_message == LOST_WHILE_PLACING
    assert "check your phone before trying again" in LOST_WHILE_PLACING
    assert len(requests_to(roomy, "POST", "/ring-out")) == 1
    (row,) = await history.rows()
    assert row["state"] == "failed" and row["outcome"] == LOST_WHILE_PLACING


@pytest.mark.parametrize(
    ("kwargs", "error", "code", "text"),
    [
        ({"caller_id": "+19995550000"}, InvalidRequest, "TEL-107", "caller ID you chose is not allowed"),
        (
            {"from_": Phone(id="404", number="+16505550999")},
            NotFound,
            "CMN-102",
            "no longer exists",
        ),
    ],
)
async def test_refused_create_is_a_sentence_in_the_history(
    roomy: SimulatorControl,
    make_service: Factory,
    history: OrderedHistory,
    kwargs: dict[str, Any],
    error: type[Exception],
    code: str,
    text: str,
) -> None:
    with pytest.raises(error) as raised:
        await place(make_service(), **kwargs)
    assert text in getattr(raised.value, "user_message", "")
    (row,) = await history.rows()
    assert row["state"] == "failed" and row["error_code"] == code and text in row["outcome"]


async def test_the_attempt_is_recorded_before_the_first_request(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory, events: Events
) -> None:
    service = make_service()
    roomy.set_latency(0.5, method="POST", path="*/ring-out")
    placing = asyncio.create_task(place(service))
    await asyncio.sleep(0.2)
    # The POST is in flight (the simulator holds it): the record is already there.
    assert not placing.done()
    assert [row["state"] for row in await history.rows()] == ["placing"]
    roomy.clear_latency()
    call = await placing
    await call.wait_finished()
    assert events.index_of("history", "record_attempt") < events.index_of("http", "POST ")
    assert events.index_of("http", "POST ") == min(i for i, (kind, _) in enumerate(events) if kind == "http")


async def test_network_trouble_while_polling_does_not_fail_the_call(
    roomy: SimulatorControl, make_service: Factory, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(caller_ring=0.5, talk=0.6)
    call = await place(make_service())
    watcher = watch(call)
    roomy.drop_next("*/ring-out/*", method="GET", count=3)
    troubled = await watcher.until(lambda s: s.notice == CONNECTION_TROUBLE)
    assert not troubled.final
    final = await call.wait_finished()
    assert final.phase is Phase.ENDED and final.notice is None
    assert Phase.CONNECTED in watcher.phases
    # Back-off: the three failed polls and the next one are spaced further and further apart.
    gets = [r["time"] for r in requests_to(roomy, "GET", RING_OUT_GET)]
    faulted = [r["time"] for r in requests_to(roomy, "GET", RING_OUT_GET) if r.get("fault")]
    assert len(faulted) == 3
    after = gets[gets.index(faulted[0]) : gets.index(faulted[0]) + 4]
    gaps = [b - a for a, b in itertools.pairwise(after)]
    assert gaps == sorted(gaps) and gaps[-1] > 0.3


async def test_polling_backs_off_on_429(
    roomy: SimulatorControl, make_service: Factory, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(talk=2.0)
    call = await place(make_service())
    await watch(call).phase(Phase.CONNECTED)
    roomy.fail_next("*/ring-out/*", method="GET", status=429, retry_after=1)
    final = await call.wait_finished()
    assert final.phase is Phase.ENDED
    log = requests_to(roomy, "GET", RING_OUT_GET)
    limited = next(i for i, r in enumerate(log) if r["status"] == 429)
    assert log[limited + 1]["time"] - log[limited]["time"] >= 0.95
    assert sum(1 for r in log if r["status"] == 429) == 1


async def test_polling_stays_within_the_light_budget(
    sim_control: SimulatorControl, make_client: Callable[..., PlatformClient], make_service: Factory
) -> None:
    # 10 Light requests per 2 s: polling may use half, so one poll per 0.4 s at most, although the
    # service was told to poll every 0.05 s.
    sim_control.set_rate_limits({"Light": 10, "Heavy": 10_000}, window=2.0, reset_counters=True)
    client = make_client(limits={"Light": 10, "Heavy": 10_000}, window=2.0)
    sim_control.set_timings(talk=3.0)
    call = await place(make_service(client))
    final = await call.wait_finished()
    assert final.phase is Phase.ENDED

    log = requests_to(sim_control, "GET", RING_OUT_GET)
    assert not [r for r in sim_control.requests() if r["status"] == 429]
    times = [r["time"] for r in log]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.38
    for start in times:
        assert sum(1 for t in times if start <= t < start + 2.0) <= 5 + 1


async def test_next_call_possible_in_counts_down_from_the_ledger(
    make_client: Callable[..., PlatformClient], make_service: Factory
) -> None:
    client = make_client()
    service = make_service(client)
    assert service.next_call_possible_in() == 0
    client.ledger.penalize("Heavy", 12.0)
    assert 11 < service.next_call_possible_in() <= 12


async def test_closing_mid_call_stops_polling_and_notes_it(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(talk=30.0)
    service = make_service()
    call = await place(service)
    await watch(call).phase(Phase.CONNECTED)
    await service.aclose()
    count = len(requests_to(roomy, "GET", RING_OUT_GET))
    await asyncio.sleep(0.2)
    assert len(requests_to(roomy, "GET", RING_OUT_GET)) == count
    row = await history.row(call.record_id)
    assert row["state"] == "interrupted"
    assert row["outcome"] == INTERRUPTED_OUTCOME
    assert row["connected_at"] is not None


def _target(e164: str) -> Any:
    from ringdesk.numbers import DialTarget

    return DialTarget(e164=e164, display=e164, region_code="US", region_name="United States")
