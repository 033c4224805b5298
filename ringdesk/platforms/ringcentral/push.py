"""The push gateway: one WebSocket that brings the extension's telephony-session events, kept up.

    gateway = PushGateway(client, filters, on_event=sessions.apply, on_live=feed_changed)
    gateway.start()            # connects, subscribes, reconnects, until...
    await gateway.aclose()     # ...sign-out or quit

How it talks to RingCentral's WebSocket gateway (every message is a JSON array `[meta]` or
`[meta, body]`):

1. `POST /restapi/oauth/wstoken` (the Auth group: asked once per connection, never in a loop) gives
   the gateway's address and a short-lived token; the socket opens with `?access_token=...`.
2. The gateway's first message is `ConnectionDetails` (timeouts, and `wsc`: a token and sequence
   that let a dropped connection be recovered). Requests go as `ClientRequest`s matched to their
   answers by `messageId`: the subscription is created, renewed before it expires, and is the
   only one on the connection.
3. `ServerNotification`s carry the events, each with the connection's `wsc` sequence.
4. With nothing to send or receive for `heartbeat_after` seconds, a `Heartbeat` is sent; no answer
   within `heartbeat_timeout` means the connection is dead.

**Reconnecting.** A dropped connection is opened again after a back-off (1 s doubling to 30 s).
Within the gateway's recovery time (`recoveryTimeout`, 180 s) it reconnects with `&wsc=<token>`:
the subscription lives on and the events missed meanwhile are replayed. When recovery fails (or
was not possible), it subscribes again and says events may have been missed (`on_live(True,
missed=True)`), so every live call is asked about once. A gateway that refuses for good (the app
lacks the WebSocket or CallControl permission) ends the gateway: calls are polled, as without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect

from ringdesk.errors import MalformedResponse, PermissionDenied, RingDeskError
from ringdesk.platforms.ringcentral.client import PlatformClient
from ringdesk.platforms.ringcentral.models import TelephonyEvent

__all__ = ["TELEPHONY_FILTER", "GatewayRefused", "PushGateway"]

_log = logging.getLogger("ringdesk.platforms.ringcentral.push")

TELEPHONY_FILTER = "/restapi/v1.0/account/~/extension/~/telephony/sessions"
_SUBSCRIPTION = "/restapi/v1.0/subscription"
_MAX_MESSAGE = 1024 * 1024
_REQUEST_TIMEOUT = 15.0
_BACKOFF_INITIAL = 1.0
_BACKOFF_MAX = 30.0
_DEFAULT_RECOVERY_TIMEOUT = 180.0


class GatewayRefused(RingDeskError):
    """The gateway will not serve this sign-in (a missing app permission): polling it is."""


@dataclass
class _Wsc:
    token: str
    sequence: int


class _RequestFailed(RingDeskError):
    def __init__(self, status: int, body: object) -> None:
        super().__init__(detail=f"{status}: {str(body)[:200]}")
        self.status = status
        self.body = body


class PushGateway:
    """Keeps one subscribed WebSocket to the push gateway; see the module docstring.

    `on_event` gets each telephony event in arrival order (ordering by `sequence` is the
    listener's job); `on_live(live, missed)` hears when events start and stop flowing.
    """

    def __init__(
        self,
        client: PlatformClient,
        *,
        on_event: Callable[[TelephonyEvent], None],
        on_live: Callable[[bool, bool], None],
        event_filters: Sequence[str] = (TELEPHONY_FILTER,),
        heartbeat_after: float = 60.0,
        heartbeat_timeout: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._on_event = on_event
        self._on_live = on_live
        self._filters = list(event_filters)
        self._heartbeat_after = heartbeat_after
        self._heartbeat_timeout = heartbeat_timeout
        self._clock = clock
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._live = False
        self._wsc: _Wsc | None = None
        self._dropped_at: float | None = None
        self._recovery_timeout = _DEFAULT_RECOVERY_TIMEOUT
        self._subscription_id: str | None = None
        self._pending: dict[str, asyncio.Future[tuple[int, object]]] = {}
        self._ids = itertools.count(1)
        self._last_traffic = 0.0
        self._renew_in = 600.0
        """Seconds from (re)subscribing to renewing: most of the subscription's life."""
        self.connections = 0
        """Connections opened so far (for tests and the benchmark)."""
        self.refused: str | None = None
        """Why the gateway will not serve this sign-in, once it said so; then nothing is retried."""

    @property
    def live(self) -> bool:
        return self._live

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="ringdesk-push")

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set_live(False, missed=False)

    # ------------------------------------------------------------------ the connection's life

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self._connect_and_serve()
                failures = 0  # served, then dropped: reconnect promptly
            except GatewayRefused as refused:
                self.refused = refused.user_message
                _log.warning("push gateway refused (%s); following calls by polling", refused)
                self._set_live(False, missed=False)
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure means: try again later
                failures += 1
                _log.info("push gateway unavailable (%s: %s)", type(error).__name__, error)
            self._set_live(False, missed=False)
            if self._dropped_at is None:
                self._dropped_at = self._clock()
            await self._sleep(min(_BACKOFF_MAX, _BACKOFF_INITIAL * 2 ** max(0, failures - 1)))

    async def _connect_and_serve(self) -> None:
        try:
            token = await self._client.get_ws_token()
        except PermissionDenied as error:
            raise GatewayRefused(error.user_message) from error
        recover = self._wsc is not None and self._subscription_id is not None and self._within_recovery()
        url = f"{token.uri}?access_token={quote(token.token, safe='')}"
        if recover and self._wsc is not None:
            url += f"&wsc={quote(self._wsc.token, safe='')}"
        async with connect(url, max_size=_MAX_MESSAGE, ping_interval=None, open_timeout=15) as socket:
            self.connections += 1
            details = await self._connection_details(socket)
            reader = asyncio.create_task(self._read(socket), name="ringdesk-push-reader")
            try:
                recovered = recover and details.get("recoveryState") == "Successful"
                self._recovery_timeout = _number(details, "recoveryTimeout", _DEFAULT_RECOVERY_TIMEOUT)
                missed = self._dropped_at is not None and not recovered
                if not recovered:
                    await self._subscribe(socket)
                self._dropped_at = None
                self._set_live(True, missed=missed)
                await self._serve(socket, reader)
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reader
                for future in self._pending.values():
                    future.cancel()
                self._pending.clear()

    def _within_recovery(self) -> bool:
        return self._dropped_at is None or self._clock() - self._dropped_at < self._recovery_timeout

    async def _connection_details(self, socket: ClientConnection) -> dict[str, Any]:
        async with asyncio.timeout(_REQUEST_TIMEOUT):
            meta, body = _split(await socket.recv())
        if meta.get("type") != "ConnectionDetails":
            raise MalformedResponse(detail=f"the gateway opened with {meta.get('type')!r}: {body!r:.200}")
        self._note_wsc(meta)
        return body if isinstance(body, dict) else {}

    async def _subscribe(self, socket: ClientConnection) -> None:
        request = {"eventFilters": self._filters, "deliveryMode": {"transportType": "WebSocket"}}
        try:
            answer = await self._request(socket, "POST", _SUBSCRIPTION, request)
        except _RequestFailed as failed:
            if failed.status in (401, 403):
                raise GatewayRefused(
                    "The phone service does not send this app live call events (it lacks a permission)."
                ) from failed
            raise
        self._adopt_subscription(answer)

    def _adopt_subscription(self, answer: object) -> None:
        self._subscription_id = _subscription_id(answer)
        expires_in = _number(answer if isinstance(answer, dict) else {}, "expiresIn", 900.0)
        # Most of its life, with a floor so that a server stating no life at all is not asked
        # more than once a second.
        self._renew_in = max(1.0, expires_in * 0.8)

    async def _serve(self, socket: ClientConnection, reader: asyncio.Task[None]) -> None:
        """Until the connection ends: heartbeats when quiet, the subscription renewed in time."""
        renew_at = self._clock() + self._renew_in
        while not reader.done():
            quiet_since = self._last_traffic
            wait = min(self._heartbeat_after - (self._clock() - quiet_since), renew_at - self._clock())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, wait)):
                    await asyncio.shield(reader)
            if reader.done():
                break
            if self._clock() >= renew_at:
                await self._renew(socket)
                renew_at = self._clock() + self._renew_in
            elif self._clock() - self._last_traffic >= self._heartbeat_after:
                await self._heartbeat(socket)
        reader.result()  # raise what ended the connection

    async def _renew(self, socket: ClientConnection) -> None:
        request = {"eventFilters": self._filters, "deliveryMode": {"transportType": "WebSocket"}}
        try:
            answer = await self._request(socket, "PUT", f"{_SUBSCRIPTION}/{self._subscription_id}", request)
        except _RequestFailed as failed:
            if failed.status != 404:
                raise
            _log.info("push subscription had expired; subscribing again")
            answer = await self._request(socket, "POST", _SUBSCRIPTION, request)
        self._adopt_subscription(answer)

    async def _heartbeat(self, socket: ClientConnection) -> None:
        message_id = f"heartbeat-{next(self._ids)}"
        future = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await socket.send(json.dumps([{"type": "Heartbeat", "messageId": message_id}]))
        self._last_traffic = self._clock()
        try:
            async with asyncio.timeout(self._heartbeat_timeout):
                await future
        except TimeoutError:
            _log.info("push gateway did not answer a heartbeat; reconnecting")
            await socket.close()
        finally:
            self._pending.pop(message_id, None)

    async def _request(self, socket: ClientConnection, method: str, path: str, body: object) -> object:
        message_id = f"request-{next(self._ids)}"
        future: asyncio.Future[tuple[int, object]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        meta = {"type": "ClientRequest", "messageId": message_id, "method": method, "path": path}
        await socket.send(json.dumps([meta, body]))
        self._last_traffic = self._clock()
        try:
            async with asyncio.timeout(_REQUEST_TIMEOUT):
                status, answer = await future
        finally:
            self._pending.pop(message_id, None)
        if not 200 <= status < 300:
            raise _RequestFailed(status, answer)
        return answer

    # ------------------------------------------------------------------ reading

    async def _read(self, socket: ClientConnection) -> None:
        self._last_traffic = self._clock()
        async for raw in socket:
            self._last_traffic = self._clock()
            try:
                meta, body = _split(raw)
            except MalformedResponse as error:
                _log.warning("push gateway sent something unreadable (%s)", error)
                continue
            kind = meta.get("type")
            if kind == "ServerNotification":
                self._note_wsc(meta)
                self._notification(body)
            elif kind in ("ClientRequest", "Heartbeat"):
                future = self._pending.get(str(meta.get("messageId")))
                if future is not None and not future.done():
                    status = meta.get("status", 200)
                    future.set_result((status if isinstance(status, int) else 0, body))
            elif kind == "Error":
                _log.info("push gateway error: %.300s", body)
                future = self._pending.get(str(meta.get("messageId")))
                if future is not None and not future.done():
                    future.set_result((_status(meta), body))
            elif kind == "ConnectionDetails":
                self._note_wsc(meta)

    def _notification(self, body: object) -> None:
        if not isinstance(body, dict) or "/telephony/sessions" not in str(body.get("event", "")):
            return
        try:
            event = TelephonyEvent.from_json(body.get("body"))
        except MalformedResponse as error:
            _log.warning("a telephony event could not be read (%s)", error)
            return
        self._on_event(event)

    def _note_wsc(self, meta: dict[str, Any]) -> None:
        wsc = meta.get("wsc")
        if isinstance(wsc, dict) and isinstance(wsc.get("token"), str):
            sequence = wsc.get("sequence")
            self._wsc = _Wsc(wsc["token"], sequence if isinstance(sequence, int) else 0)

    def _set_live(self, live: bool, *, missed: bool) -> None:
        if live == self._live and not missed:
            return
        self._live = live
        _log.info("push %s%s", "live" if live else "down", " (events may have been missed)" if missed else "")
        self._on_live(live, missed)


def _split(raw: str | bytes) -> tuple[dict[str, Any], object]:
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise MalformedResponse(detail=f"not JSON: {error}") from error
    if not isinstance(message, list) or not message or not isinstance(message[0], dict):
        raise MalformedResponse(detail="not a [meta, body] array")
    return message[0], message[1] if len(message) > 1 else None


def _subscription_id(answer: object) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("id"), str) and answer["id"]:
        return str(answer["id"])
    raise MalformedResponse(detail="the subscription answer has no id")


def _status(meta: dict[str, Any]) -> int:
    status = meta.get("status")
    return status if isinstance(status, int) else 0


def _number(obj: dict[str, Any], key: str, default: float) -> float:
    value = obj.get(key)
    return (
        float(value)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        else default
    )
