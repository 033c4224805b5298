"""A call's recorded outcome is the truth: gaps in status, expired RingOuts and clock jumps, on the simulator.

A status that cannot be read, or is gone, says nothing about how the call went; the platform's call
log does. These tests break status requests with the simulator's faults while the call runs its
course, and check what the call history keeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from ringdesk.calls import CallService, Phase
from ringdesk.calls.service import DEFAULT_TROUBLE_BACKOFF_MAX, PollingStatusSource
from ringdesk.calls.state import OUTCOME_UNKNOWN
from ringdesk.errors import MalformedResponse, NetworkError
from ringdesk.platforms.ringcentral import PlatformClient
from ringdesk.platforms.ringcentral.platform import RingCentralPlatform
from ringdesk.simulator import SimulatorControl

from .conftest import FAST_POLL, OrderedHistory, Watcher, place, requests_to

RING_OUT_GETS = "*/ring-out/*"
CALL_LOG = "/call-log"
RETENTION = 0.3
"""How long the simulator keeps a finished RingOut in these tests (`Timings.fast().gone_after`)."""

Factory = Callable[..., CallService]


async def _until_gone(control: SimulatorControl, ringout_id: str | None, *, within: float = 10.0) -> None:
    """Wait until the simulator no longer answers for the RingOut."""
    async with asyncio.timeout(within):
        while True:
            if next(c for c in control.calls() if c["ringoutId"] == ringout_id)["gone"]:
                return
            await asyncio.sleep(0.05)


async def test_a_call_that_connected_while_status_failed_is_recorded_as_ended(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory
) -> None:
    roomy.set_timings(talk=2.0, gone_after=RETENTION)
    roomy.fail_next(RING_OUT_GETS, method="GET", status=500, count=1_000)
    call = await place(make_service())
    # The call connects, lasts 2 s and its RingOut expires, all while every status request fails.
    await _until_gone(roomy, call.call_id)
    roomy.clear_faults()
    final = await call.wait_finished()

    assert final.phase is Phase.ENDED
    assert final.outcome == "The call ended."
    row = await history.row(call.record_id)
    assert row["state"] == "ended"
    assert row["duration"] == 2.0
    assert requests_to(roomy, "GET", CALL_LOG)


async def test_a_404_right_after_placing_does_not_fail_a_call_that_connects(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(talk=0.5)
    roomy.fail_next(RING_OUT_GETS, method="GET", status=404)
    call = await place(make_service())
    watcher = watch(call)
    final = await call.wait_finished()

    assert final.phase is Phase.ENDED
    assert Phase.CONNECTED in watcher.phases
    assert (await history.row(call.record_id))["state"] == "ended"


async def test_a_call_nobody_has_a_record_of_ends_with_outcome_unknown(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory
) -> None:
    roomy.set_timings(talk=5.0)
    roomy.fail_next(RING_OUT_GETS, method="GET", status=404, count=1_000)
    call = await place(make_service())
    # Every status request 404s, and the call log has no record: the call is still running.
    final = await call.wait_finished()

    assert final.phase is Phase.ENDED
    assert final.outcome == OUTCOME_UNKNOWN == "Outcome unknown: see your call log"
    assert final.connected_at is None
    row = await history.row(call.record_id)
    assert (row["state"], row["outcome"]) == ("ended", OUTCOME_UNKNOWN)
    assert requests_to(roomy, "GET", CALL_LOG)


async def test_a_failed_call_log_request_also_ends_with_outcome_unknown(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory
) -> None:
    roomy.fail_next(RING_OUT_GETS, method="GET", status=404, count=1_000)
    roomy.fail_next("*/call-log", method="GET", status=500, count=1_000)
    call = await place(make_service())
    final = await call.wait_finished()
    assert (final.phase, final.outcome) == (Phase.ENDED, OUTCOME_UNKNOWN)
    assert (await history.row(call.record_id))["state"] == "ended"


async def test_a_call_that_failed_while_status_failed_takes_the_call_logs_reason(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory
) -> None:
    roomy.set_next_outcome("callee", "Busy")
    roomy.fail_next(RING_OUT_GETS, method="GET", status=500, count=1_000)
    call = await place(make_service())
    await _until_gone(roomy, call.call_id)
    roomy.clear_faults()
    final = await call.wait_finished()
    assert final.phase is Phase.FAILED
    assert final.outcome == "The line was busy."
    assert (await history.row(call.record_id))["error_code"] == "Busy"


async def test_a_call_that_connected_between_two_polls_is_recorded_with_its_talk_time(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory, watch: Callable[..., Watcher]
) -> None:
    """RingOut's "Finished" also ends calls that never connected: the call log tells them apart."""
    roomy.set_timings(caller_ring=0.1, callee_ring=0.1, talk=1.0, gone_after=5.0)
    call = await place(make_service(poll_interval=2.0))
    watcher = watch(call)
    final = await call.wait_finished()

    assert Phase.CONNECTED not in watcher.phases  # the first poll after placing saw "Finished"
    assert (final.phase, final.outcome) == (Phase.ENDED, "The call ended.")
    assert final.duration() == 1.0  # the call log's whole seconds
    row = await history.row(call.record_id)
    assert (row["state"], row["duration"]) == ("ended", 1.0)
    assert requests_to(roomy, "GET", CALL_LOG)


async def test_a_call_that_ended_unseen_without_a_record_has_an_unknown_outcome(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory
) -> None:
    roomy.set_timings(caller_ring=0.1, callee_ring=0.1, talk=0.2, gone_after=5.0)
    roomy.fail_next("*/call-log", method="GET", status=500, count=1_000)
    call = await place(make_service(poll_interval=1.0))
    final = await call.wait_finished()
    assert (final.phase, final.outcome, final.connected_at) == (Phase.ENDED, OUTCOME_UNKNOWN, None)
    assert (await history.row(call.record_id))["outcome"] == OUTCOME_UNKNOWN


async def test_an_end_seen_after_a_gap_takes_its_length_from_the_record(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(talk=1.0, gone_after=30.0)
    call = await place(make_service(record_gap=1.0))
    watcher = watch(call)
    await watcher.phase(Phase.CONNECTED)
    # Status fails from now until well after the call ended: RingDesk sees the end 3 s late.
    roomy.fail_next(RING_OUT_GETS, method="GET", status=500, count=1_000)
    await asyncio.sleep(4.0)
    roomy.clear_faults()
    final = await call.wait_finished()

    assert final.phase is Phase.ENDED
    assert final.duration() == 1.0  # without the record: about 4 s
    assert (await history.row(call.record_id))["duration"] == 1.0
    assert requests_to(roomy, "GET", CALL_LOG)


async def test_an_end_seen_in_time_costs_no_call_log_request(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory
) -> None:
    roomy.set_timings(talk=0.5)
    call = await place(make_service())
    final = await call.wait_finished()
    assert final.phase is Phase.ENDED and final.connected_at is not None
    assert not requests_to(roomy, "GET", CALL_LOG)


async def test_a_cancel_answered_404_while_the_call_goes_on_is_not_recorded_as_cancelled(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(caller_ring=1.0, talk=0.5)
    call = await place(make_service())
    await watch(call).phase(Phase.CALLING_YOU)
    roomy.fail_next("*/ring-out/*", method="DELETE", status=404)
    await call.cancel()
    final = await call.wait_finished()

    assert final.phase is Phase.ENDED and final.connected_at is not None
    assert (await history.row(call.record_id))["state"] == "ended"
    assert [c["phase"] for c in roomy.calls()] == ["Finished"]


async def test_a_cancel_whose_answer_was_lost_after_the_call_connected_takes_the_record(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory
) -> None:
    """The cancel reached the platform too late (409) and its answer was lost: not a cancelled call."""
    roomy.set_timings(talk=1.0, gone_after=RETENTION)
    roomy.fail_next(RING_OUT_GETS, method="GET", status=500, count=1_000)
    call = await place(make_service())
    await asyncio.sleep(0.5)  # connected on the platform; RingDesk still thinks it rings
    roomy.add_fault("lost", path="*/ring-out/*", method="DELETE")
    with pytest.raises(NetworkError):
        await call.cancel()
    await _until_gone(roomy, call.call_id)
    roomy.clear_faults()
    final = await call.wait_finished()

    assert (final.phase, final.outcome) == (Phase.ENDED, "The call ended.")
    assert (await history.row(call.record_id))["duration"] == 1.0
    assert [c["phase"] for c in roomy.calls()] == ["Finished"]


async def test_a_slow_cancel_that_met_a_finished_call_is_not_a_cancel(
    roomy: SimulatorControl, make_service: Factory, history: OrderedHistory
) -> None:
    """The platform answers a cancel of an ended RingOut with the same 204 as a real cancel."""
    roomy.set_timings(talk=1.0, gone_after=30.0)
    roomy.fail_next(RING_OUT_GETS, method="GET", status=500, count=1_000)
    call = await place(make_service())
    roomy.add_fault("delay", path="*/ring-out/*", method="DELETE", seconds=2.5)
    await call.cancel()  # reaches the platform after the call connected and ended
    final = await call.wait_finished()

    assert (final.phase, final.outcome) == (Phase.ENDED, "The call ended.")
    assert (await history.row(call.record_id))["duration"] == 1.0
    assert [c["phase"] for c in roomy.calls()] == ["Finished"]


async def test_a_slow_cancel_without_a_record_does_not_claim_a_cancel(
    roomy: SimulatorControl, make_service: Factory
) -> None:
    roomy.set_timings(talk=1.0, gone_after=30.0)
    roomy.fail_next(RING_OUT_GETS, method="GET", status=500, count=1_000)
    roomy.fail_next("*/call-log", method="GET", status=500, count=1_000)
    call = await place(make_service())
    roomy.add_fault("delay", path="*/ring-out/*", method="DELETE", seconds=2.5)
    await call.cancel()
    final = await call.wait_finished()
    assert (final.phase, final.outcome) == (Phase.ENDED, OUTCOME_UNKNOWN)


async def test_a_malformed_answer_to_a_cancel_is_not_a_cancel(
    roomy: SimulatorControl, make_service: Factory, watch: Callable[..., Watcher]
) -> None:
    """A gateway's broken 200 is not the platform's 204: the call goes on, and is recorded as it went."""
    roomy.set_timings(caller_ring=1.0, talk=0.5)
    call = await place(make_service())
    await watch(call).phase(Phase.CALLING_YOU)
    roomy.malform_next("*/ring-out/*", method="DELETE")
    with pytest.raises(MalformedResponse):
        await call.cancel()
    final = await call.wait_finished()
    assert final.phase is Phase.ENDED and final.connected_at is not None
    assert [c["phase"] for c in roomy.calls()] == ["Finished"]


async def test_a_call_that_finished_after_an_unclear_cancel_takes_the_record(
    roomy: SimulatorControl, make_service: Factory
) -> None:
    roomy.set_timings(talk=1.0, gone_after=30.0)
    roomy.fail_next(RING_OUT_GETS, method="GET", status=500, count=1_000)
    call = await place(make_service())
    roomy.malform_next("*/ring-out/*", method="DELETE")
    with pytest.raises(MalformedResponse):
        await call.cancel()
    await asyncio.sleep(1.5)  # connected and finished, unseen
    roomy.clear_faults()
    final = await call.wait_finished()
    assert final.phase is Phase.ENDED and final.duration() == 1.0


async def test_a_quick_cancel_costs_no_call_log_request(
    roomy: SimulatorControl, make_service: Factory, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(caller_ring=5.0)
    call = await place(make_service())
    await watch(call).phase(Phase.CALLING_YOU)
    await call.cancel()
    assert (await call.wait_finished()).phase is Phase.CANCELLED
    assert not requests_to(roomy, "GET", CALL_LOG)


def test_trouble_back_off_stays_below_the_retention_of_a_finished_call(
    make_client: Callable[..., PlatformClient],
) -> None:
    source = PollingStatusSource(RingCentralPlatform(make_client()))
    assert DEFAULT_TROUBLE_BACKOFF_MAX <= 10.0
    assert max(source.pause(failures) for failures in range(1, 30)) <= 10.0


async def test_a_long_rate_limit_wait_is_shown(
    roomy: SimulatorControl, make_service: Factory, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(talk=30.0)
    service = make_service()
    call = await place(service)
    watcher = watch(call)
    await watcher.phase(Phase.CONNECTED)
    roomy.fail_next(RING_OUT_GETS, method="GET", status=429, retry_after=12)
    delayed = await watcher.until(lambda s: s.notice is not None)
    assert delayed.notice == "Status delayed by the rate limit, next check in 12 s"
    assert not delayed.final
    await service.aclose()


class _ShiftableClock:
    """Wall-clock time that a test can set forward or back, as an operator or NTP would."""

    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift


@pytest.fixture
async def clock_service(
    make_client: Callable[..., PlatformClient], history: OrderedHistory
) -> AsyncIterator[tuple[CallService, _ShiftableClock]]:
    wall_clock = _ShiftableClock()
    service = CallService(
        RingCentralPlatform(make_client()),
        history,
        wall_clock=wall_clock,
        call_control=lambda: True,
        poll_interval=FAST_POLL,
    )
    yield service, wall_clock
    await service.aclose()


@pytest.mark.parametrize("jump", [3600.0, -3600.0])
async def test_a_wall_clock_jump_mid_call_does_not_change_its_duration(
    roomy: SimulatorControl,
    clock_service: tuple[CallService, _ShiftableClock],
    history: OrderedHistory,
    watch: Callable[..., Watcher],
    jump: float,
) -> None:
    service, wall_clock = clock_service
    roomy.set_timings(talk=1.0)
    call = await place(service)
    connected_at = time.monotonic()
    await watch(call).phase(Phase.CONNECTED)
    wall_clock.shift = jump
    final = await call.wait_finished()
    lasted = time.monotonic() - connected_at

    assert final.phase is Phase.ENDED
    duration = final.duration()
    assert duration is not None and 0.5 < duration < lasted
    row = await history.row(call.record_id)
    assert row["duration"] == pytest.approx(duration)
