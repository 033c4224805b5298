"""A push client for tests: a real WebSocket connection to the simulator's gateway, and RingOut helpers."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from ringdesk.simulator import Simulator

from .helpers import EXT, api

TELEPHONY = "/restapi/v1.0/account/~/extension/~/telephony/sessions"
PRESENCE = "/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true"
SUBSCRIPTION = "/restapi/v1.0/subscription"
DESTINATION = "+14155550123"
WAIT = 5.0
_ids = itertools.count(1)


class Push:
    """A push connection as a client sees it: requests answered by messageId, notifications in order."""

    def __init__(self, ws: ClientConnection, details: list[Any]) -> None:
        self.ws = ws
        self.details = details
        self.notifications: list[list[Any]] = []

    async def receive(self) -> list[Any]:
        message: list[Any] = json.loads(await asyncio.wait_for(self.ws.recv(), WAIT))
        return message

    async def request(self, method: str, path: str, body: Any = None) -> list[Any]:
        message_id = f"m-{next(_ids)}"
        meta = {"type": "ClientRequest", "messageId": message_id, "method": method, "path": path}
        await self.ws.send(json.dumps([meta] if body is None else [meta, body]))
        return await self.reply_to(message_id)

    async def reply_to(self, message_id: str) -> list[Any]:
        while True:
            message = await self.receive()
            if message[0]["type"] == "ServerNotification":
                self.notifications.append(message)
            elif message[0].get("messageId") == message_id:
                return message

    async def subscribe(self, *filters: str) -> dict[str, Any]:
        reply = await self.request(
            "POST",
            SUBSCRIPTION,
            {"eventFilters": list(filters), "deliveryMode": {"transportType": "WebSocket"}},
        )
        assert reply[0]["status"] == 200, reply
        info: dict[str, Any] = reply[1]
        return info

    async def heartbeat(self) -> list[Any]:
        """Everything that arrives before the heartbeat's answer, which must echo its id."""
        message_id = f"h-{next(_ids)}"
        await self.ws.send(json.dumps([{"type": "Heartbeat", "messageId": message_id}]))
        before = len(self.notifications)
        reply = await self.reply_to(message_id)
        assert reply == [{"type": "Heartbeat", "messageId": message_id, "status": 200}]
        return self.notifications[before:]

    async def notifications_until(self, done: Callable[[list[list[Any]]], bool]) -> list[list[Any]]:
        while not done(self.notifications):
            message = await self.receive()
            assert message[0]["type"] == "ServerNotification", message
            self.notifications.append(message)
        return self.notifications


def ws_token(sim: Simulator, access: str) -> dict[str, Any]:
    response = api(sim, "POST", "/restapi/oauth/wstoken", access)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@asynccontextmanager
async def open_push(sim: Simulator, access: str, wsc: str | None = None) -> AsyncIterator[Push]:
    token = ws_token(sim, access)
    uri = f"{token['uri']}?access_token={token['ws_access_token']}" + (f"&wsc={wsc}" if wsc else "")
    async with connect(uri) as ws:
        details = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert details[0]["type"] == "ConnectionDetails", details
        yield Push(ws, details)


def place(sim: Simulator, access: str, prompt: bool = False) -> str:
    body = {"from": {"phoneNumber": "+16505550111"}, "to": {"phoneNumber": DESTINATION}, "playPrompt": prompt}
    response = api(sim, "POST", EXT + "/ring-out", access, json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def steps(notifications: list[list[Any]]) -> list[tuple[str, str, str | None]]:
    """(role, status code, reason) of each telephony event, in the order of `body.sequence`."""
    bodies = sorted(
        (n[1]["body"] for n in notifications if n[1]["event"].endswith("/telephony/sessions")),
        key=lambda b: b["sequence"],
    )
    return [
        (p["ringOutRole"], p["status"]["code"], p["status"].get("reason"))
        for b in bodies
        for p in b["parties"]
    ]


def ended(notifications: list[list[Any]]) -> bool:
    codes = [(role, code) for role, code, _ in steps(notifications)]
    return ("Initiator", "Disconnected") in codes and ("Target", "Disconnected") in codes
