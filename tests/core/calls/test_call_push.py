"""Calls followed by push: the simulator's telephony-session events over a real WebSocket.

While push is live a call costs its RingOut POST and nothing else; polling only covers what push
cannot (before the call's events are found, while the socket is down), and whatever arrives twice
or out of order is applied once, in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ringdesk.calls import CallService, FeedStatusSource, Phase, PollingStatusSource
from ringdesk.calls.state import CallState
from ringdesk.platforms.ringcentral import PlatformClient
from ringdesk.platforms.ringcentral.platform import RingCentralPlatform
from ringdesk.simulator import SimulatorControl
from tests.fakes import until

from .conftest import FAST_POLL, OrderedHistory, Watcher, place, requests_to

SLOW_POLL = 30.0
"""A poll interval no test waits out: whatever moves the call along is push."""
RING_OUT_GETS = "/ring-out/"

Rig = Callable[..., "PushRig"]


class PushRig:
    def __init__(self, platform: RingCentralPlatform, service: CallService) -> None:
        self.platform = platform
        self.service = service

    async def live(self) -> None:
        await until(lambda: self.platform.feed.live, 10.0, "push to be live")


@pytest.fixture
async def push_rig(
    make_client: Callable[..., PlatformClient], history: OrderedHistory, roomy: SimulatorControl
) -> AsyncIterator[Callable[..., PushRig]]:
    made: list[PushRig] = []

    def make(*, poll_interval: float = SLOW_POLL) -> PushRig:
        platform = RingCentralPlatform(make_client())
        service = CallService(platform, history, call_control=lambda: True, poll_interval=poll_interval)
        platform.feed.start()
        rig = PushRig(platform, service)
        made.append(rig)
        return rig

    yield make
    for rig in made:
        await rig.service.aclose()
        await rig.platform.feed.aclose()


def in_order_once(states: list[CallState]) -> list[Phase]:
    """The phases a call showed, each once; fails if one came back after another."""
    phases: list[Phase] = []
    for state in states:
        if phases and phases[-1] is state.phase:
            continue
        assert state.phase not in phases, f"{state.phase} shown again after {phases}"
        phases.append(state.phase)
    return phases


async def test_a_call_by_push_costs_its_ringout_post_and_nothing_else(
    push_rig: Rig, roomy: SimulatorControl, watch: Callable[..., Watcher]
) -> None:
    rig = push_rig()
    await rig.live()
    roomy.clear_requests()
    call = await place(rig.service)
    watcher = watch(call)
    final = await call.wait_finished()

    assert final.phase is Phase.ENDED and final.connected_at is not None
    assert in_order_once(watcher.states) == [
        Phase.CALLING_YOU,
        Phase.CALLING_DESTINATION,
        Phase.CONNECTED,
        Phase.ENDED,
    ]
    assert [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in roomy.requests()] == [("POST", "ring-out")]


@pytest.mark.parametrize(
    ("leg", "status"),
    [("callee", "Busy"), ("callee", "NoAnswer"), ("caller", "NoAnswer"), ("callee", "Rejected")],
)
async def test_every_failure_by_push_reads_as_it_does_by_polling(
    push_rig: Rig, make_service: Callable[..., CallService], roomy: SimulatorControl, leg: str, status: str
) -> None:
    roomy.set_next_outcome(leg, status)
    polled = await (await place(make_service())).wait_finished()

    rig = push_rig()
    await rig.live()
    roomy.clear_requests()
    roomy.set_next_outcome(leg, status)
    pushed = await (await place(rig.service)).wait_finished()

    assert pushed.phase is polled.phase is Phase.FAILED
    assert pushed.outcome == polled.outcome
    assert not requests_to(roomy, "GET", RING_OUT_GETS)


async def test_cancel_while_ringing_by_push(
    push_rig: Rig, roomy: SimulatorControl, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(caller_ring=5.0)
    rig = push_rig()
    await rig.live()
    call = await place(rig.service)
    await watch(call).phase(Phase.CALLING_YOU)
    roomy.clear_requests()
    await call.cancel()
    final = await call.wait_finished()
    assert final.phase is Phase.CANCELLED
    assert [(r["method"], "ring-out" in r["path"]) for r in roomy.requests()] == [("DELETE", True)]


async def test_hang_up_ends_exactly_the_session_the_events_named(
    push_rig: Rig, roomy: SimulatorControl, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(talk=30.0)
    rig = push_rig()
    await rig.live()
    call = await place(rig.service)
    await watch(call).phase(Phase.CONNECTED)
    [session] = [c["telephonySessionId"] for c in roomy.calls() if c["ringoutId"] == call.call_id]
    roomy.clear_requests()
    await call.cancel()
    final = await call.wait_finished()

    assert final.phase is Phase.ENDED and final.outcome == "You hung up."
    assert [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in roomy.requests()] == [("DELETE", session)]


async def test_a_socket_dropped_mid_call_is_covered_by_polling_and_recovered(
    push_rig: Rig, roomy: SimulatorControl, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(caller_ring=0.3, callee_ring=1.0, talk=1.0)
    rig = push_rig(poll_interval=FAST_POLL)
    await rig.live()
    call = await place(rig.service)
    watcher = watch(call)
    await watcher.phase(Phase.CALLING_DESTINATION)
    roomy.clear_requests()
    assert roomy.push_drop(recoverable=True) == 1
    final = await call.wait_finished()

    assert final.phase is Phase.ENDED and final.connected_at is not None
    in_order_once(watcher.states)
    assert requests_to(roomy, "POST", "/oauth/wstoken")  # it came back
    assert roomy.push_info()["connections"] >= 2


async def test_after_a_failed_recovery_each_live_call_is_asked_about_once(
    push_rig: Rig, roomy: SimulatorControl, watch: Callable[..., Watcher]
) -> None:
    roomy.set_timings(talk=30.0)
    rig = push_rig()
    await rig.live()
    call = await place(rig.service)
    watcher = watch(call)
    await watcher.phase(Phase.CONNECTED)
    roomy.clear_requests()
    roomy.push_drop(recoverable=False)
    await asyncio.sleep(0.2)
    await until(lambda: rig.platform.feed.live and requests_to(roomy, "GET", RING_OUT_GETS), 10.0)

    assert (
        len(requests_to(roomy, "POST", "/restapi/v1.0/subscription")) <= 1
    )  # subscriptions go over the socket
    assert len(requests_to(roomy, "GET", RING_OUT_GETS)) == 1
    await call.cancel()
    assert (await call.wait_finished()).phase is Phase.ENDED
    in_order_once(watcher.states)


async def test_repeated_and_reordered_events_are_applied_once_in_order(
    push_rig: Rig, roomy: SimulatorControl, watch: Callable[..., Watcher]
) -> None:
    rig = push_rig()
    await rig.live()
    roomy.push_duplicate(20)
    roomy.push_reorder(3)
    call = await place(rig.service)
    watcher = watch(call)
    final = await call.wait_finished()

    assert final.phase is Phase.ENDED and final.connected_at is not None
    assert in_order_once(watcher.states)[-1] is Phase.ENDED


async def test_an_app_without_the_websocket_permission_polls(
    make_sim: Callable[..., Any], sim_login: Callable[..., dict[str, Any]], history: OrderedHistory
) -> None:
    from ringdesk.platforms.ringcentral import StaticTokenAuth
    from ringdesk.simulator import Scenario

    scenario = Scenario.default()
    for app in scenario.clients:
        app.permissions = [p for p in app.permissions if p != "WebSocket"]
    sim = make_sim(scenario)
    with SimulatorControl(sim.base_url) as control:
        control.set_timings(caller_ring=0.1, callee_ring=0.1, talk=0.2, gone_after=2.0)
        jwt = sim.scenario.account.users[0].jwt_credential
        client = PlatformClient(sim.base_url, "ringdesk-demo")
        tokens = await client.login_jwt(jwt or "")
        client.auth = StaticTokenAuth(tokens.access_token)
        platform = RingCentralPlatform(client)
        platform.feed.start()
        await until(lambda: platform.feed.gateway.refused is not None, 10.0, "push to be refused")
        service = CallService(platform, history, call_control=lambda: True, poll_interval=FAST_POLL)
        final = await (await place(service)).wait_finished()
        await service.aclose()
        await platform.aclose()
        assert final.phase is Phase.ENDED
        assert not platform.feed.live
        assert requests_to(control, "GET", RING_OUT_GETS)
        assert len(requests_to(control, "POST", "/oauth/wstoken")) == 1  # refused once, never again


async def test_without_events_of_the_destinations_leg_the_call_is_polled_to_its_end(
    push_rig: Rig, roomy: SimulatorControl, history: OrderedHistory, watch: Callable[..., Watcher]
) -> None:
    """The platform may not send events of a party outside the account (the destination)."""
    rig = push_rig()
    feed = rig.platform.feed
    feed.gateway._on_event = lambda event: (
        None if any(p.ringout_role == "Target" for p in event.parties) else feed.sessions.apply(event)
    )
    service = CallService(
        rig.platform,
        history,
        call_control=lambda: True,
        source_factory=lambda: FeedStatusSource(
            feed, PollingStatusSource(rig.platform, interval=FAST_POLL), destination_grace=0.5
        ),
    )
    await rig.live()
    roomy.set_timings(callee_ring=0.5, talk=1.0)
    call = await place(service)
    watcher = watch(call)
    final = await call.wait_finished()
    await service.aclose()

    assert final.phase is Phase.ENDED and final.connected_at is not None
    assert Phase.CONNECTED in in_order_once(watcher.states)
    assert requests_to(roomy, "GET", RING_OUT_GETS)
