"""The push gateway client against the simulator's real WebSocket gateway: staying up, and refusals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ringdesk.platforms.ringcentral import PlatformClient, StaticTokenAuth
from ringdesk.platforms.ringcentral.models import TelephonyEvent
from ringdesk.platforms.ringcentral.push import PushGateway
from ringdesk.simulator import Simulator, SimulatorControl
from tests.fakes import until

RING_OUT = "/restapi/v1.0/account/~/extension/~/ring-out"


class Gateway:
    def __init__(self, gateway: PushGateway) -> None:
        self.gateway = gateway
        self.events: list[TelephonyEvent] = []
        self.changes: list[tuple[bool, bool]] = []


@pytest.fixture
async def make_gateway(
    sim: Simulator, sim_login: Callable[..., dict[str, Any]]
) -> AsyncIterator[Callable[..., Gateway]]:
    made: list[tuple[PushGateway, PlatformClient]] = []

    def make(**options: Any) -> Gateway:
        client = PlatformClient(
            sim.base_url, "ringdesk-demo", auth=StaticTokenAuth(sim_login()["access_token"])
        )
        holder: list[Gateway] = []
        gateway = PushGateway(
            client,
            on_event=lambda event: holder[0].events.append(event),
            on_live=lambda live, missed: holder[0].changes.append((live, missed)),
            **options,
        )
        holder.append(Gateway(gateway))
        made.append((gateway, client))
        gateway.start()
        return holder[0]

    yield make
    for gateway, client in made:
        await gateway.aclose()
        await client.aclose()


async def ring_out(client: PlatformClient) -> None:
    await client.create_ringout({"phoneNumber": "+16505550122"}, "+14155550199")


async def test_events_keep_coming_across_subscription_renewals(
    make_gateway: Callable[..., Gateway], sim_control: SimulatorControl
) -> None:
    sim_control.set_push_settings(subscription_ttl=2.0)
    rig = make_gateway()
    await until(lambda: rig.gateway.live, 10)
    await asyncio.sleep(4.5)  # past two lifetimes of the subscription
    sim_control.set_timings(caller_ring=0.1, callee_ring=0.1, talk=0.1)
    await ring_out(rig.gateway._client)
    await until(lambda: len(rig.events) >= 6, 10, "the call's events")
    assert rig.changes == [(True, False)], "renewing never took push down"
    renewals = [m for m in sim_control.push_messages() if m[0].get("type") == "ClientRequest"]
    assert len(renewals) >= 3  # the subscription and at least two renewals


async def test_heartbeats_keep_a_quiet_connection_past_the_idle_time_out(
    make_gateway: Callable[..., Gateway], sim_control: SimulatorControl
) -> None:
    sim_control.set_push_settings(idle_timeout=1.0)
    rig = make_gateway(heartbeat_after=0.3)
    await until(lambda: rig.gateway.live, 10)
    await asyncio.sleep(2.5)
    assert rig.gateway.connections == 1 and rig.gateway.live
    assert any(m[0].get("type") == "Heartbeat" for m in sim_control.push_messages())


async def test_a_gateway_that_stops_answering_heartbeats_is_left_and_reconnected(
    make_gateway: Callable[..., Gateway], sim_control: SimulatorControl
) -> None:
    # No echo can come back within no time at all: each heartbeat counts as unanswered.
    rig = make_gateway(heartbeat_after=0.3, heartbeat_timeout=0.0)
    await until(lambda: rig.gateway.connections >= 2, 10, "a new connection")
    await until(lambda: rig.gateway.live, 10)
    assert (False, False) in rig.changes


async def test_without_the_websocket_permission_it_asks_once_and_stays_down(
    make_gateway: Callable[..., Gateway], sim_control: SimulatorControl
) -> None:
    sim_control.set_app_permissions("ringdesk-demo", ["ReadAccounts", "RingOut", "CallControl"])
    rig = make_gateway()
    await until(lambda: rig.gateway.refused is not None, 10)
    await asyncio.sleep(1.5)
    wstokens = [r for r in sim_control.requests() if r["path"] == "/restapi/oauth/wstoken"]
    assert len(wstokens) == 1 and not rig.gateway.live and rig.changes == []


async def test_without_call_control_the_subscription_is_refused_for_good(
    make_gateway: Callable[..., Gateway], sim_control: SimulatorControl
) -> None:
    sim_control.set_app_permissions("ringdesk-demo", ["ReadAccounts", "RingOut", "WebSocket"])
    rig = make_gateway()
    await until(lambda: rig.gateway.refused is not None, 10)
    await asyncio.sleep(1.5)
    assert rig.gateway.connections == 1 and not rig.gateway.live
