"""Push notifications over WebSocket, through a real WebSocket client: ws token, gateway, subscriptions,
the events of a RingOut's life, heartbeats, time-outs, recovery and the control API's delivery trouble."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from ringdesk.simulator import ClientApp, RateLimits, Scenario, Simulator, SimulatorControl
from tests.conftest import fast_scenario

from .helpers import EXT, api, error_code, wait_for
from .push_client import (
    DESTINATION,
    PRESENCE,
    SUBSCRIPTION,
    TELEPHONY,
    WAIT,
    ended,
    open_push,
    place,
    steps,
    ws_token,
)

SESSIONS = "/restapi/v1.0/account/~/telephony/sessions/"


@pytest.fixture
def sim_scenario() -> Scenario:
    default = Scenario.default()
    no_websocket = ClientApp(
        client_id="no-websocket", name="No WebSocket", permissions=["ReadAccounts", "RingOut", "CallControl"]
    )
    no_call_control = ClientApp(
        client_id="no-call-control", name="No Call Control", permissions=["ReadAccounts", "WebSocket"]
    )
    return fast_scenario(
        clients=[*default.clients, no_websocket, no_call_control],
        rate_limits=RateLimits(limits={"Light": 1000, "Medium": 100, "Heavy": 100, "Auth": 100}),
    )


def phase(sim_control: SimulatorControl) -> str:
    return str(sim_control.calls()[-1]["phase"])


# --- the ws token ------------------------------------------------------------------------------------


def test_wstoken(sim: Simulator, sim_control: SimulatorControl, sim_login: Callable[..., Any]) -> None:
    token = ws_token(sim, sim_login()["access_token"])
    assert token["uri"] == sim.base_url.replace("http://", "ws://") + "/ws"
    assert token["expires_in"] == 600 and token["ws_access_token"]
    entry = next(e for e in sim_control.requests() if e["path"] == "/restapi/oauth/wstoken")
    assert entry["group"] == "Auth" and entry["status"] == 200


def test_wstoken_needs_the_websocket_permission(sim: Simulator, sim_login: Callable[..., Any]) -> None:
    response = api(sim, "POST", "/restapi/oauth/wstoken", sim_login(client_id="no-websocket")["access_token"])
    assert response.status_code == 403
    assert error_code(response) == "CMN-401"
    assert api(sim, "POST", "/restapi/oauth/wstoken", "nonsense").status_code == 401


# --- connecting and subscribing ------------------------------------------------------------------------


async def test_connect_and_subscribe(
    sim: Simulator, sim_control: SimulatorControl, sim_login: Callable[..., Any]
) -> None:
    async with open_push(sim, sim_login()["access_token"]) as push:
        meta, details = push.details
        assert meta["status"] == 200 and meta["wsc"]["token"] and meta["wsc"]["sequence"] == 0
        assert details["recoveryTimeout"] == 180 and details["idleTimeout"] == 1800
        assert details["recoveryBufferSize"] == 100 and "recoveryState" not in details
        info = await push.subscribe(TELEPHONY, PRESENCE)
        account, user = sim.scenario.account.id, sim.scenario.account.users[0].extension_id
        assert info["eventFilters"] == [
            f"/restapi/v1.0/account/{account}/extension/{user}/telephony/sessions",
            f"/restapi/v1.0/account/{account}/extension/{user}/presence?detailedTelephonyState=true",
        ]
        assert info["status"] == "Active" and info["deliveryMode"] == {"transportType": "WebSocket"}
        assert info["expiresIn"] == 900
        got = await push.request("GET", f"{SUBSCRIPTION}/{info['id']}")
        assert got[1]["id"] == info["id"]
        second = await push.request(
            "POST",
            SUBSCRIPTION,
            {"eventFilters": [TELEPHONY], "deliveryMode": {"transportType": "WebSocket"}},
        )
        assert second[0]["status"] == 409
    handshake = next(e for e in sim_control.requests() if e["path"] == "/ws")
    assert handshake["status"] == 101 and handshake["query"]["access_token"] == ["***"]


async def test_bad_filters_and_permissions(sim: Simulator, sim_login: Callable[..., Any]) -> None:
    async with open_push(sim, sim_login()["access_token"]) as push:
        for filters in (["/restapi/v1.0/account/~/extension/~/message-store"], [], "nope"):
            body = {"eventFilters": filters, "deliveryMode": {"transportType": "WebSocket"}}
            reply = await push.request("POST", SUBSCRIPTION, body)
            assert reply[0]["status"] == 400, reply
            assert reply[1]["errors"][0]["errorCode"]
        unknown = await push.request("GET", f"{SUBSCRIPTION}/nothing")
        assert unknown[0]["status"] == 404 and unknown[1]["errorCode"] == "CMN-102"
    async with open_push(sim, sim_login(client_id="no-call-control")["access_token"]) as push:
        body = {"eventFilters": [TELEPHONY], "deliveryMode": {"transportType": "WebSocket"}}
        reply = await push.request("POST", SUBSCRIPTION, body)
        assert reply[0]["status"] == 403 and reply[1]["errorCode"] == "CMN-401"


async def test_bad_and_used_tokens_are_refused(sim: Simulator, sim_login: Callable[..., Any]) -> None:
    token = ws_token(sim, sim_login()["access_token"])
    async with connect(f"{token['uri']}?access_token={token['ws_access_token']}") as ws:
        assert json.loads(await ws.recv())[0]["type"] == "ConnectionDetails"
    for value in (token["ws_access_token"], "bogus"):
        async with connect(f"{token['uri']}?access_token={value}") as ws:
            meta, body = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
            assert meta["type"] == "Error" and meta["status"] == 401
            assert body["errorCode"] == "WSG-1001"
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), WAIT)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_heartbeat_and_idle_timeout(
    sim: Simulator, sim_control: SimulatorControl, sim_login: Callable[..., Any]
) -> None:
    async with open_push(sim, sim_login()["access_token"]) as push:
        assert await push.heartbeat() == []
    sim_control.set_push_settings(idle_timeout=0.2)
    async with open_push(sim, sim_login()["access_token"]) as push:
        with pytest.raises(ConnectionClosed) as closed:
            await push.receive()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000


async def test_revoking_the_session_closes_its_sockets(sim: Simulator, sim_login: Callable[..., Any]) -> None:
    access = sim_login()["access_token"]
    async with open_push(sim, access) as push:
        sim_control = SimulatorControl(sim.base_url)
        sim_control.revoke_tokens()
        sim_control.close()
        with pytest.raises(ConnectionClosed):
            await push.receive()


# --- the events of a RingOut ---------------------------------------------------------------------------


async def test_connected_call(
    sim: Simulator, sim_control: SimulatorControl, sim_login: Callable[..., Any]
) -> None:
    access = sim_login()["access_token"]
    async with open_push(sim, access) as push:
        info = await push.subscribe(TELEPHONY)
        place(sim, access)
        notifications = await push.notifications_until(ended)
    assert steps(notifications) == [
        ("Initiator", "Setup", None),
        ("Initiator", "Proceeding", None),
        ("Initiator", "Answered", None),
        ("Target", "Proceeding", None),
        ("Target", "Answered", None),
        ("Initiator", "Disconnected", None),
        ("Target", "Disconnected", None),
    ]
    call = sim_control.calls()[0]
    user = sim.scenario.account.users[0]
    for meta, event in notifications:
        assert meta["status"] == 200 and meta["wsc"]["token"] == push.details[0]["wsc"]["token"]
        assert event["subscriptionId"] == info["id"] and event["ownerId"] == str(user.extension_id)
        body = event["body"]
        assert body["telephonySessionId"] == call["telephonySessionId"]
        assert body["origin"] == {"type": "RingOut"} and len(body["parties"]) == 1
    assert [m["wsc"]["sequence"] for m, _ in notifications] == list(range(1, 8))
    assert [e["body"]["sequence"] for _, e in notifications] == list(range(1, 8))
    initiator = notifications[0][1]["body"]["parties"][0]
    assert initiator["direction"] == "Inbound" and initiator["extensionId"] == str(user.extension_id)
    assert initiator["to"] == {"phoneNumber": "+16505550111"} and initiator["from"] == {
        "phoneNumber": DESTINATION
    }
    target = notifications[3][1]["body"]["parties"][0]
    assert target["direction"] == "Inbound" and "extensionId" not in target and "owner" not in target
    assert target["to"] == {"phoneNumber": DESTINATION} and target["from"]["name"] == user.name


async def test_busy_call(
    sim: Simulator, sim_control: SimulatorControl, sim_login: Callable[..., Any]
) -> None:
    access = sim_login()["access_token"]
    sim_control.set_next_outcome("callee", "Busy")
    async with open_push(sim, access) as push:
        await push.subscribe(TELEPHONY)
        place(sim, access)
        notifications = await push.notifications_until(ended)
    assert steps(notifications)[3:] == [
        ("Target", "Proceeding", None),
        ("Initiator", "Disconnected", None),
        ("Target", "Disconnected", "TargetBusy"),
    ]


async def test_cancelled_call(
    sim: Simulator, sim_control: SimulatorControl, sim_login: Callable[..., Any]
) -> None:
    access = sim_login()["access_token"]
    sim_control.set_timings(caller_ring=30)
    async with open_push(sim, access) as push:
        await push.subscribe(TELEPHONY)
        ringout_id = place(sim, access)
        await push.notifications_until(lambda n: len(n) == 2)
        assert api(sim, "DELETE", f"{EXT}/ring-out/{ringout_id}", access).status_code == 204
        notifications = await push.notifications_until(ended)
    assert steps(notifications) == [
        ("Initiator", "Setup", None),
        ("Initiator", "Proceeding", None),
        ("Initiator", "Disconnected", "Cancelled"),
        ("Target", "Disconnected", "Cancelled"),
    ]


async def test_hung_up_call(
    sim: Simulator, sim_control: SimulatorControl, sim_login: Callable[..., Any]
) -> None:
    access = sim_login()["access_token"]
    sim_control.set_timings(talk=30)
    async with open_push(sim, access) as push:
        await push.subscribe(TELEPHONY)
        place(sim, access)
        notifications = await push.notifications_until(lambda n: ("Target", "Answered", None) in steps(n))
        session_id = notifications[0][1]["body"]["telephonySessionId"]
        assert api(sim, "DELETE", SESSIONS + session_id, access).status_code == 204
        notifications = await push.notifications_until(ended)
    assert steps(notifications)[-2:] == [
        ("Initiator", "Disconnected", None),
        ("Target", "Disconnected", None),
    ]


async def test_prompt_holds_the_target_until_1_is_pressed(
    sim: Simulator, sim_control: SimulatorControl, sim_login: Callable[..., Any]
) -> None:
    access = sim_login()["access_token"]
    sim_control.set_timings(auto_press_after=None)
    async with open_push(sim, access) as push:
        await push.subscribe(TELEPHONY)
        ringout_id = place(sim, access, prompt=True)
        await push.notifications_until(lambda n: len(n) == 3)
        wait_for(lambda: phase(sim_control) == "WaitingForPress")
        assert await push.heartbeat() == []  # nothing about the Target while the prompt waits
        sim_control.press_one(ringout_id)
        notifications = await push.notifications_until(ended)
    assert [s[:2] for s in steps(notifications)] == [
        ("Initiator", "Setup"),
        ("Initiator", "Proceeding"),
        ("Initiator", "Answered"),
        ("Target", "Proceeding"),
        ("Target", "Answered"),
        ("Initiator", "Disconnected"),
        ("Target", "Disconnected"),
    ]


async def test_presence_events(sim: Simulator, sim_login: Callable[..., Any]) -> None:
    access = sim_login()["access_token"]
    async with open_push(sim, access) as push:
        await push.subscribe(PRESENCE)
        place(sim, access)
        notifications = await push.notifications_until(
            lambda n: len(n) > 1 and n[-1][1]["body"]["telephonyStatus"] == "NoCall"
        )
    statuses = [n[1]["body"]["telephonyStatus"] for n in notifications]
    assert statuses == ["Ringing", "CallConnected", "NoCall"]
    assert notifications[1][1]["body"]["activeCalls"][0]["to"] == DESTINATION


# --- subscriptions over time ---------------------------------------------------------------------------


async def test_renew_and_expiry(
    sim: Simulator, sim_control: SimulatorControl, sim_login: Callable[..., Any]
) -> None:
    access = sim_login()["access_token"]
    async with open_push(sim, access) as push:
        info = await push.subscribe(TELEPHONY)
        path = f"{SUBSCRIPTION}/{info['id']}"
        renewed = await push.request("POST", path + "/renew")
        assert renewed[0]["status"] == 200 and renewed[1]["id"] == info["id"]
        updated = await push.request("PUT", path, {"eventFilters": [TELEPHONY, PRESENCE]})
        assert updated[0]["status"] == 200 and len(updated[1]["eventFilters"]) == 2
        sim_control.set_push_settings(subscription_ttl=0.1)
        await push.request("POST", path + "/renew")

        async def expired() -> bool:
            return bool((await push.request("GET", path))[0]["status"] == 404)

        for _ in range(250):  # bounded: the subscription lives a tenth of a second
            if await expired():
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the subscription did not expire")
        assert (await push.request("POST", path + "/renew"))[0]["status"] == 404
        place(sim, access)
        wait_for(lambda: phase(sim_control) == "Finished")
        assert await push.heartbeat() == []
        deleted_again = await push.request("DELETE", path)
        assert deleted_again[0]["status"] == 404


async def test_delete_subscription(sim: Simulator, sim_login: Callable[..., Any]) -> None:
    async with open_push(sim, sim_login()["access_token"]) as push:
        info = await push.subscribe(TELEPHONY)
        deleted = await push.request("DELETE", f"{SUBSCRIPTION}/{info['id']}")
        assert deleted == [{**deleted[0], "status": 204}] and len(deleted) == 1
        await push.subscribe(TELEPHONY)


# --- recovery ------------------------------------------------------------------------------------------


async def test_recovery_replays_missed_events_once_in_order(
    sim: Simulator, sim_control: SimulatorControl, sim_login: Callable[..., Any]
) -> None:
    access = sim_login()["access_token"]
    async with open_push(sim, access) as push:
        info = await push.subscribe(TELEPHONY)
        wsc = push.details[0]["wsc"]["token"]
        assert sim_control.push_drop() == 1
        with pytest.raises(ConnectionClosed):
            await push.receive()
    place(sim, access)
    wait_for(lambda: phase(sim_control) == "Finished")
    async with open_push(sim, access, wsc=wsc) as push:
        meta, details = push.details
        assert details["recoveryState"] == "Successful"
        assert meta["wsc"] == {"token": wsc, "sequence": 7}
        notifications = await push.notifications_until(ended)
        assert await push.heartbeat() == []
    assert [m["wsc"]["sequence"] for m, _ in notifications] == list(range(1, 8))
    assert [e["body"]["sequence"] for _, e in notifications] == list(range(1, 8))
    assert {e["subscriptionId"] for _, e in notifications} == {info["id"]}
    assert sim_control.push_info()["connections"] == 2


async def test_failed_recovery(
    sim: Simulator, sim_control: SimulatorControl, sim_login: Callable[..., Any]
) -> None:
    access = sim_login()["access_token"]
    async with open_push(sim, access) as push:
        await push.subscribe(TELEPHONY)
        wsc = push.details[0]["wsc"]["token"]
        sim_control.push_drop()
    async with open_push(sim, sim_login()["access_token"], wsc=wsc) as push:  # another OAuth session
        assert push.details[1]["recoveryState"] == "Failed"
        assert push.details[1]["recoveryErrorCode"] == "WSG-1003"
        assert push.details[0]["wsc"]["token"] != wsc
    async with open_push(sim, access) as push:
        await push.subscribe(TELEPHONY)
        wsc = push.details[0]["wsc"]["token"]
        sim_control.push_drop(recoverable=False)
    async with open_push(sim, access, wsc=wsc) as push:
        assert push.details[1]["recoveryErrorCode"] == "WSG-1005"
        await push.subscribe(TELEPHONY)


# --- delivery trouble ----------------------------------------------------------------------------------


async def test_duplicates_and_swaps(
    sim: Simulator, sim_control: SimulatorControl, sim_login: Callable[..., Any]
) -> None:
    access = sim_login()["access_token"]
    async with open_push(sim, access) as push:
        await push.subscribe(TELEPHONY)
        sim_control.push_duplicate(1)
        sim_control.push_reorder(1)
        place(sim, access)
        notifications = await push.notifications_until(lambda n: len(n) == 8 and ended(n))
    # The first event (Setup) is held until the second (Proceeding), which is sent first, and twice.
    assert [e["body"]["sequence"] for _, e in notifications] == [2, 2, 1, 3, 4, 5, 6, 7]
    assert notifications[0] == notifications[1]
    assert [m["wsc"]["sequence"] for m, _ in notifications] == [1, 1, 2, 3, 4, 5, 6, 7]


async def test_hold(sim: Simulator, sim_control: SimulatorControl, sim_login: Callable[..., Any]) -> None:
    access = sim_login()["access_token"]
    async with open_push(sim, access) as push:
        await push.subscribe(TELEPHONY)
        sim_control.push_hold(60)
        place(sim, access)
        wait_for(lambda: phase(sim_control) == "Finished")
        assert await push.heartbeat() == []
        sim_control.push_hold(0)
        notifications = await push.notifications_until(ended)
    assert [e["body"]["sequence"] for _, e in notifications] == list(range(1, 8))
