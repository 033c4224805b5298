"""Every message the simulator's push gateway sends conforms: bodies to the published description, the
envelope to the push guide.

Event bodies (ExtensionTelephonySessionsEvent, DetailedExtensionPresenceEvent), SubscriptionInfo replies and
error bodies are checked against the committed subset of the official description (rc-openapi-subset.yml,
which already holds them through the wstoken and subscription operations); the wstoken exchange goes
through the same checker as every REST exchange. The WebSocket envelope has no official schema:
push-envelope.schema.json is written from the guide. Messages are read back from the simulator's own
record of what it sent, so nothing a test client might miss escapes the check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from websockets.asyncio.client import connect

from ringdesk.simulator import RateLimits, Scenario, Simulator, SimulatorControl
from tests.conftest import fast_scenario
from tests.contract.openapi_check import validate_exchange
from tests.core.simulator.push_client import PRESENCE, SUBSCRIPTION, TELEPHONY, ended, open_push, place

HERE = Path(__file__).parent
SPEC = "urn:rc-openapi-subset"
ENVELOPE = "urn:push-envelope"


@pytest.fixture
def sim_scenario() -> Scenario:
    return fast_scenario(
        rate_limits=RateLimits(limits={"Light": 1000, "Medium": 100, "Heavy": 100, "Auth": 100})
    )


@cache
def _registry() -> Registry:
    spec = yaml.safe_load((HERE / "rc-openapi-subset.yml").read_text(encoding="utf-8"))
    envelope = json.loads((HERE / "push-envelope.schema.json").read_text(encoding="utf-8"))
    return Registry().with_resources(
        [
            (SPEC, Resource.from_contents(spec, default_specification=DRAFT7)),
            (ENVELOPE, Resource.from_contents(envelope, default_specification=DRAFT7)),
        ]
    )


def violations(value: Any, ref: str) -> list[str]:
    validator = Draft7Validator(
        {"$ref": ref}, registry=_registry(), format_checker=Draft7Validator.FORMAT_CHECKER
    )
    return [
        f"{ref} at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)
    ]


def official(name: str) -> str:
    return f"{SPEC}#/components/schemas/{name}"


def check_message(message: list[Any]) -> list[str]:
    """Everything wrong with one message the gateway sent."""
    found = violations(message, ENVELOPE)
    meta, body = message[0], message[1] if len(message) > 1 else None
    kind, status = meta.get("type"), meta.get("status")
    if kind == "ConnectionDetails":
        found += violations(body, f"{ENVELOPE}#/definitions/connectionDetails")
    elif kind == "Error":
        found += violations(body, f"{ENVELOPE}#/definitions/gatewayError")
    elif kind == "ServerNotification":
        event = body["event"] if isinstance(body, dict) else ""
        schema = (
            "ExtensionTelephonySessionsEvent"
            if "/telephony/sessions" in event
            else "DetailedExtensionPresenceEvent"
        )
        found += violations(body, official(schema))
    elif kind == "ClientRequest" and status == 200:
        found += violations(body, official("SubscriptionInfo"))
    elif kind == "ClientRequest" and status >= 400:
        found += violations(body, official("ParameterizedErrorResponseModel"))
    return found


async def test_every_push_message_conforms(
    sim: Simulator, sim_control: SimulatorControl, sim_login: Callable[..., Any]
) -> None:
    access = sim_login()["access_token"]
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=10) as http:
        response = await http.post("/restapi/oauth/wstoken", headers={"Authorization": f"Bearer {access}"})
    validate_exchange(response.request, response)

    async with open_push(sim, access) as push:
        info = await push.subscribe(TELEPHONY, PRESENCE)
        await push.request("POST", f"{SUBSCRIPTION}/{info['id']}/renew")
        await push.request("PUT", f"{SUBSCRIPTION}/{info['id']}", {"eventFilters": [TELEPHONY, PRESENCE]})
        await push.request("GET", f"{SUBSCRIPTION}/nothing")
        await push.request("PUT", f"{SUBSCRIPTION}/{info['id']}", {"eventFilters": ["/nope"]})
        await push.heartbeat()
        place(sim, access)
        await push.notifications_until(ended)
        sim_control.set_next_outcome("callee", "Busy")
        push.notifications.clear()
        place(sim, access)
        await push.notifications_until(ended)
        wsc = push.details[0]["wsc"]["token"]
        sim_control.push_drop()
    async with open_push(sim, access, wsc=wsc) as push:
        assert push.details[1]["recoveryState"] == "Successful"
    async with open_push(sim, access, wsc="unknown") as push:
        assert push.details[1]["recoveryState"] == "Failed"
    async with connect(f"{sim.base_url.replace('http', 'ws')}/ws?access_token=bogus") as ws:
        await ws.recv()

    sent = sim_control.push_messages()
    problems = [f"{p}\n  in {json.dumps(m)[:300]}" for m in sent for p in check_message(m)]
    assert problems == [], "\n".join(problems)
    kinds = {(m[0]["type"], m[0]["status"]) for m in sent}
    assert {("ConnectionDetails", 200), ("ServerNotification", 200), ("Heartbeat", 200)} <= kinds
    assert {("ClientRequest", 200), ("ClientRequest", 404), ("ClientRequest", 400), ("Error", 401)} <= kinds
    events = [m[1]["event"] for m in sent if m[0]["type"] == "ServerNotification"]
    assert any(e.endswith("/telephony/sessions") for e in events) and any("/presence" in e for e in events)


def test_the_checks_catch_a_wrong_message() -> None:
    """The schemas really bite: a party status outside the description, a notification without wsc."""
    event = {"event": "/restapi/v1.0/account/1/extension/2/telephony/sessions", "body": {"parties": []}}
    event["body"]["parties"].append({"status": {"code": "Ringing"}})
    assert check_message([{"type": "ServerNotification", "messageId": "1", "status": 200}, event])
    assert check_message([{"type": "ClientRequest", "messageId": "1", "status": 200, "headers": {}}, {}])
