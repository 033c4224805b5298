"""Push notifications over WebSocket: ws tokens, the gateway at `/ws`, subscriptions and event delivery.

The platform's WebSocket Gateway (WSG), as its guide describes it:

1. `POST /restapi/oauth/wstoken` gives a short-lived, single-use token for one connection of that OAuth
   session: `ws://HOST/ws?access_token=TOKEN[&wsc=WSC]`.
2. Every message either way is a JSON array, `[meta]` or `[meta, body]`. The first message is
   `ConnectionDetails`, whose `wsc` (`token`, `sequence`) names the connection session: a dropped connection
   can be recovered within `recoveryTimeout` by reconnecting with `&wsc=TOKEN`, and then the subscription
   lives on and the missed notifications (up to `recoveryBufferSize`) are sent again, in order, with their
   first `wsc.sequence`. `sequence` there is that of the last notification of the connection session.
3. The client calls the subscription API over the socket (`ClientRequest`, answered with the same
   `messageId`); one subscription per connection. Notifications are `ServerNotification`s; heartbeats are
   echoed; a socket the client has not written to for `idleTimeout` seconds is closed.

`WSG-1003` (the wsc belongs to another OAuth session) and `WSG-1005` (nothing to recover) are the
platform's; `WSG-1001` (ws token unknown, used or expired), `WSG-1002` (a message that is not a JSON array
starting with an object) and the close codes (1008 token refused or session ended, 1000 idle, 1012 dropped
through the control API) are the simulator's choice, as are the `SUB-` error codes of the subscription API.

Telephony events come from a watcher task per call, on the server's event loop: it wakes when the clock
changes the call's phase (`Call.next_change`) or when the call is changed by a request (`CallBook.on_change`),
and sends one event per party whose status changed, with `body.sequence` counting per telephony session.
The control API can hold notifications back, send some twice or swap two of one session (see `PushHub`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from ringdesk.simulator.calls import Call

if TYPE_CHECKING:
    from ringdesk.simulator.state import SimState

log = logging.getLogger("ringdesk.simulator")

WS_PATH = "/ws"
SUBSCRIPTION_PATH = "/restapi/v1.0/subscription"
#: The `ConnectionDetails` body's limits that the simulator does not enforce, as the guide states them.
MAX_CONNECTIONS_PER_SESSION = 5
ABSOLUTE_TIMEOUT = 86400
MAX_ACTIVE_REQUESTS = 10
RECOVERY_BUFFER_SIZE = 100
#: Simulator's choice: an identifier of "the" telephony server, as events carry one.
SERVER_ID = "10.13.121.8.TAM"

CLOSE_REFUSED = 1008
CLOSE_IDLE = 1000
CLOSE_DROPPED = 1012

_FILTER = re.compile(
    r"/restapi/v1\.0/account/(?P<account>~|\d+)/extension/(?P<extension>~|\d+)"
    r"/(?P<kind>telephony/sessions|presence)(?:\?(?P<query>.*))?"
)
#: The app permission each kind of event filter needs.
_FILTER_PERMISSIONS = {"telephony/sessions": "CallControl", "presence": "ReadPresence"}
_ids = itertools.count(1)


@dataclass
class PushSettings:
    """Lifetimes in seconds; settable through `/_sim/push/settings` so tests can make them short."""

    ws_token_ttl: float = 600.0
    subscription_ttl: float = 900.0
    idle_timeout: float = 1800.0
    recovery_timeout: float = 180.0


@dataclass
class WsToken:
    oauth_session: str
    owner: int
    client_id: str
    expires_at: float


@dataclass
class Subscription:
    id: str
    #: Filters as the platform echoes them: `~` replaced by the account and extension ids.
    filters: list[str]
    created: datetime
    ttl: float
    expires_at: float
    expires_wall: datetime

    def renew(self, ttl: float, now: float) -> None:
        self.ttl = ttl
        self.expires_at = now + ttl
        self.expires_wall = datetime.now(UTC) + timedelta(seconds=ttl)

    def info(self, base_url: str, now: float) -> dict[str, Any]:
        """SubscriptionInfo, per the official description."""
        return {
            "id": self.id,
            "uri": f"{base_url}{SUBSCRIPTION_PATH}/{self.id}",
            "eventFilters": list(self.filters),
            "expirationTime": _iso(self.expires_wall),
            "expiresIn": max(1, round(self.expires_at - now)),
            "status": "Active",
            "creationTime": _iso(self.created),
            "deliveryMode": {"transportType": "WebSocket"},
        }

    def filter_for(self, kind: str) -> str | None:
        return next((f for f in self.filters if _filter_kind(f) == kind), None)


@dataclass
class Outgoing:
    """A notification of a connection session, kept for recovery until it has reached the client."""

    sequence: int
    text: str
    delivered: bool = False


@dataclass
class _Close:
    code: int
    reason: str


class Socket:
    """One live WebSocket: what is queued for it, in order, and when the client last wrote to it."""

    def __init__(self, channel: Channel, now: float) -> None:
        self.channel = channel
        self.last_heard = now
        self.outbox: asyncio.Queue[Outgoing | str | _Close] = asyncio.Queue()
        self.closing = False

    def send(self, item: Outgoing | str) -> None:
        if not self.closing:
            self.outbox.put_nowait(item)

    def close(self, code: int, reason: str) -> None:
        if not self.closing:
            self.closing = True
            self.outbox.put_nowait(_Close(code, reason))


@dataclass
class Channel:
    """A connection session, named by its wsc token: it outlives a dropped socket by `recovery_timeout`."""

    token: str
    oauth_session: str
    owner: int
    client_id: str
    sequence: int = 0
    subscription: Subscription | None = None
    buffer: deque[Outgoing] = field(default_factory=lambda: deque(maxlen=RECOVERY_BUFFER_SIZE))
    socket: Socket | None = None
    dropped_at: float | None = None


class PushHub:
    """Everything push: ws tokens, connection sessions, watchers of calls, and the delivery hooks.

    Hooks for tests (each set through `/_sim/push/...`): `hold(seconds)` keeps every notification produced
    in the next `seconds` back and then sends them in order; `duplicates` notifications from now on are
    each sent twice, the very same message; `swaps` times, a telephony event is kept back until the next
    event of its session, which is then sent first. `sent` lists every message sent, `connections` counts
    sockets opened (a recovery counts).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.settings = PushSettings()
        self.tokens: dict[str, WsToken] = {}
        self.channels: dict[str, Channel] = {}
        self.sent: deque[dict[str, Any]] = deque(maxlen=10_000)
        self.connections = 0
        self.duplicates = 0
        self.swaps = 0
        #: An extension's presence as detailed presence shows it, for presence events (set by `SimState`).
        self.presence_of: Callable[[int], dict[str, Any]] = lambda owner: {}
        self._session_sequences: dict[str, int] = {}
        self._presence_sequences: dict[int, int] = {}
        self._last_presence: dict[int, dict[str, Any]] = {}
        self._watchers: dict[str, tuple[asyncio.Task[None], asyncio.Event]] = {}
        self._followed: set[str] = set()
        self._parked: dict[str, Callable[[], None]] = {}
        self._held: list[Callable[[], None]] = []
        self._hold_until = 0.0
        self._release: asyncio.TimerHandle | None = None

    def now(self) -> float:
        return self._clock()

    def reset(self) -> None:
        """Close every socket and forget everything; the settings go back to their defaults."""
        for channel in self.channels.values():
            if channel.socket is not None:
                channel.socket.close(CLOSE_DROPPED, "Simulator reset")
        for task, _ in self._watchers.values():
            task.cancel()
        if self._release is not None:
            self._release.cancel()
        self.settings = PushSettings()
        self.tokens.clear()
        self.channels.clear()
        self.sent.clear()
        self.connections = self.duplicates = self.swaps = 0
        self._session_sequences.clear()
        self._presence_sequences.clear()
        self._last_presence.clear()
        self._watchers.clear()
        self._followed.clear()
        self._parked.clear()
        self._held.clear()
        self._hold_until = 0.0
        self._release = None

    # -- tokens and connection sessions ---------------------------------------------------------------

    def issue_token(self, oauth_session: str, owner: int, client_id: str) -> tuple[str, int]:
        value = secrets.token_urlsafe(32)
        ttl = self.settings.ws_token_ttl
        self.tokens[value] = WsToken(oauth_session, owner, client_id, self._clock() + ttl)
        return value, max(1, round(ttl))

    def take_token(self, value: str) -> WsToken | None:
        """The token, used up; None if it is unknown, used or expired."""
        token = self.tokens.pop(value, None)
        if token is None or self._clock() >= token.expires_at:
            return None
        return token

    def attach(self, token: WsToken, wsc: str) -> tuple[Socket, dict[str, Any]]:
        """A socket for a new connection, and its ConnectionDetails body (recovered from `wsc` if it can)."""
        now = self._clock()
        self._forget_dead_channels(now)
        self.connections += 1
        recovery: dict[str, Any] = {}
        channel = self.channels.get(wsc) if wsc else None
        if wsc:
            if channel is None or not _subscribed(channel, now):
                recovery = {"recoveryState": "Failed", "recoveryErrorCode": "WSG-1005"}
                channel = None
            elif channel.oauth_session != token.oauth_session:
                recovery = {"recoveryState": "Failed", "recoveryErrorCode": "WSG-1003"}
                channel = None
            else:
                recovery = {"recoveryState": "Successful"}
        if channel is None:
            channel = Channel(secrets.token_urlsafe(24), token.oauth_session, token.owner, token.client_id)
            self.channels[channel.token] = channel
        elif channel.socket is not None:
            channel.socket.close(CLOSE_DROPPED, "Connection taken over")
        socket = Socket(channel, now)
        channel.socket, channel.dropped_at = socket, None
        details = {
            "creationTime": _iso(datetime.now(UTC)),
            "maxConnectionsPerSession": MAX_CONNECTIONS_PER_SESSION,
            "recoveryBufferSize": RECOVERY_BUFFER_SIZE,
            "recoveryTimeout": round(self.settings.recovery_timeout),
            "idleTimeout": round(self.settings.idle_timeout),
            "absoluteTimeout": ABSOLUTE_TIMEOUT,
            "maxActiveRequests": MAX_ACTIVE_REQUESTS,
            **recovery,
        }
        meta = {"type": "ConnectionDetails", "messageId": _message_id(), "status": 200, "wsc": _wsc(channel)}
        socket.send(_dump([meta, details]))
        if recovery.get("recoveryState") == "Successful":
            for outgoing in sorted(channel.buffer, key=lambda o: o.sequence):
                if not outgoing.delivered:
                    socket.send(outgoing)
        return socket, details

    def detach(self, socket: Socket) -> None:
        channel = socket.channel
        if channel.socket is socket:
            channel.socket = None
            channel.dropped_at = self._clock()

    def end_oauth_session(self, oauth_session: str) -> None:
        """The OAuth session was revoked: its tokens die and its sockets close, with nothing to recover."""
        self.tokens = {k: t for k, t in self.tokens.items() if t.oauth_session != oauth_session}
        for channel in [c for c in self.channels.values() if c.oauth_session == oauth_session]:
            if channel.socket is not None:
                channel.socket.close(CLOSE_REFUSED, "OAuth session ended")
            del self.channels[channel.token]

    def drop_all(self, recoverable: bool = True) -> int:
        """Close every socket now; with `recoverable` False their connection sessions are forgotten too."""
        count = 0
        for channel in list(self.channels.values()):
            if channel.socket is not None:
                channel.socket.close(CLOSE_DROPPED, "Connection dropped")
                count += 1
            if not recoverable:
                del self.channels[channel.token]
        return count

    def _forget_dead_channels(self, now: float) -> None:
        timeout = self.settings.recovery_timeout
        for channel in list(self.channels.values()):
            if (
                channel.socket is None
                and channel.dropped_at is not None
                and now >= channel.dropped_at + timeout
            ):
                del self.channels[channel.token]

    # -- delivery hooks -----------------------------------------------------------------------------------

    def hold(self, seconds: float) -> None:
        """Keep every notification of the next `seconds` back, then send them in the order they happened."""
        self._hold_until = self._clock() + seconds
        if self._release is not None:
            self._release.cancel()
        self._release = asyncio.get_running_loop().call_later(seconds, self._release_held)

    def _release_held(self) -> None:
        held, self._held, self._release = self._held, [], None
        for deliver in held:
            deliver()

    def _route(self, deliver: Callable[[], None]) -> None:
        if self._clock() < self._hold_until:
            self._held.append(deliver)
        else:
            deliver()

    # -- telephony events ---------------------------------------------------------------------------------

    def call_changed(self, call: Call) -> None:
        """`CallBook.on_change`: follow a new call, or wake its watcher at once."""
        watcher = self._watchers.get(call.id)
        if watcher is not None:
            watcher[1].set()
            return
        if call.id in self._followed:
            return  # its events are over
        self._followed.add(call.id)
        wake = asyncio.Event()
        task = asyncio.get_running_loop().create_task(self._follow(call, wake), name=f"push-watch-{call.id}")
        self._watchers[call.id] = (task, wake)

    async def _follow(self, call: Call, wake: asyncio.Event) -> None:
        # The Initiator is set up when the call is created; the Target exists once it leaves `Setup`.
        initiator, target = call.parties(self._clock())
        self._telephony_event(call, {**initiator, "status": {"code": "Setup"}})
        last = {"Initiator": {"code": "Setup"}, "Target": target["status"]}
        try:
            while True:
                now = self._clock()
                for party in call.parties(now):
                    if party["status"] != last[party["ringOutRole"]]:
                        last[party["ringOutRole"]] = party["status"]
                        self._telephony_event(call, party)
                self._presence_changed(call.owner)
                moment = call.next_change(now)
                if moment is None and call.state(now).phase.ended:
                    return
                wake.clear()
                timeout = None if moment is None else max(0.0, moment - self._clock())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout)
        finally:
            self._watchers.pop(call.id, None)
            parked = self._parked.pop(call.session_id, None)
            if parked is not None:
                self._route(parked)

    def _telephony_event(self, call: Call, party: dict[str, Any]) -> None:
        sequence = self._session_sequences.get(call.session_id, 0) + 1
        self._session_sequences[call.session_id] = sequence
        body = {
            "sequence": sequence,
            "sessionId": call.legacy_session_id,
            "telephonySessionId": call.session_id,
            "serverId": SERVER_ID,
            "eventTime": _iso(datetime.now(UTC)),
            "origin": {"type": "RingOut"},
            "parties": [party],
        }

        def deliver() -> None:
            self._fan_out(call.owner, "telephony/sessions", body)

        parked = self._parked.pop(call.session_id, None)
        if parked is not None:
            self._route(deliver)
            self._route(parked)
        elif self.swaps > 0:
            self.swaps -= 1
            self._parked[call.session_id] = deliver
        else:
            self._route(deliver)

    def _presence_changed(self, owner: int) -> None:
        presence = self.presence_of(owner)
        if presence == self._last_presence.get(owner):
            return
        self._last_presence[owner] = presence
        sequence = self._presence_sequences.get(owner, 0) + 1
        self._presence_sequences[owner] = sequence
        body = {"extensionId": str(owner), **presence, "sequence": sequence}
        self._route(lambda: self._fan_out(owner, "presence", body))

    def _fan_out(self, owner: int, kind: str, body: dict[str, Any]) -> None:
        now = self._clock()
        for channel in self.channels.values():
            subscription = channel.subscription
            if channel.owner != owner or subscription is None or now >= subscription.expires_at:
                continue
            event_filter = subscription.filter_for(kind)
            if event_filter is None:
                continue
            event_body = body
            if kind == "presence" and "detailedTelephonyState=true" not in event_filter:
                event_body = {k: v for k, v in body.items() if k != "activeCalls"}
            channel.sequence += 1
            meta = {
                "type": "ServerNotification",
                "messageId": _message_id(),
                "status": 200,
                "wsc": _wsc(channel),
            }
            event = {
                "uuid": str(uuid.uuid4()),
                "event": event_filter,
                "timestamp": _iso(datetime.now(UTC)),
                "subscriptionId": subscription.id,
                "ownerId": str(owner),
                "body": event_body,
            }
            outgoing = Outgoing(channel.sequence, _dump([meta, event]))
            channel.buffer.append(outgoing)
            if channel.socket is not None:
                channel.socket.send(outgoing)
                if self.duplicates > 0:
                    self.duplicates -= 1
                    channel.socket.send(outgoing)

    # -- the subscription API over the socket -------------------------------------------------------------

    def subscribe(self, channel: Channel, filters: list[str], now: float) -> Subscription:
        ttl = self.settings.subscription_ttl
        wall = datetime.now(UTC)
        subscription = Subscription(
            id=str(uuid.uuid4()),
            filters=filters,
            created=wall,
            ttl=ttl,
            expires_at=now + ttl,
            expires_wall=wall + timedelta(seconds=ttl),
        )
        channel.subscription = subscription
        return subscription

    def record_sent(self, channel: Channel | None, text: str) -> None:
        owner = channel.owner if channel is not None else None
        self.sent.append({"time": time.time(), "owner": owner, "message": json.loads(text)})


# --- the gateway --------------------------------------------------------------------------------------------


async def gateway(websocket: WebSocket) -> None:
    """`/ws`: check the ws token, then serve the connection until either side closes it."""
    from ringdesk.simulator.app import websocket_context

    ctx = websocket_context(websocket)
    hub = ctx.sim.push
    await websocket.accept()
    token = hub.take_token(websocket.query_params.get("access_token", ""))
    if token is None:
        log.info("push connection refused: ws token unknown, used or expired")
        meta = {"type": "Error", "messageId": _message_id(), "status": 401}
        text = _dump([meta, _error("WSG-1001", "Access token is invalid, used or expired")])
        await websocket.send_text(text)
        hub.record_sent(None, text)
        await websocket.close(CLOSE_REFUSED, "Unauthorized")
        return
    ctx.entry.owner, ctx.entry.client_id = token.owner, token.client_id
    socket, details = hub.attach(token, websocket.query_params.get("wsc", ""))
    log.info("push connection of extension id %s open (%s)", token.owner, details.get("recoveryState", "new"))
    sender = asyncio.create_task(_pump(websocket, socket, hub))
    try:
        await _listen(websocket, socket, ctx.sim, ctx.base_url, sender)
    finally:
        hub.detach(socket)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


async def _pump(websocket: WebSocket, socket: Socket, hub: PushHub) -> None:
    """Send what is queued for the socket, in order, until it is closed."""
    while True:
        item = await socket.outbox.get()
        if isinstance(item, _Close):
            with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
                await websocket.close(item.code, item.reason)
            return
        text = item.text if isinstance(item, Outgoing) else item
        await websocket.send_text(text)
        if isinstance(item, Outgoing):
            item.delivered = True
        hub.record_sent(socket.channel, text)


async def _listen(
    websocket: WebSocket, socket: Socket, sim: SimState, base_url: str, sender: asyncio.Task[None]
) -> None:
    hub = sim.push
    while not sender.done():
        idle_left = socket.last_heard + hub.settings.idle_timeout - hub.now()
        if idle_left <= 0:
            socket.close(CLOSE_IDLE, "Idle timeout")
            await asyncio.wait({sender})
            return
        receiving = asyncio.ensure_future(websocket.receive())
        done, _ = await asyncio.wait(
            {receiving, sender}, timeout=idle_left, return_when=asyncio.FIRST_COMPLETED
        )
        if receiving not in done:
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiving
            continue
        message = receiving.result()
        if message["type"] == "websocket.disconnect":
            return
        socket.last_heard = hub.now()
        raw = message.get("text")
        if raw is None:
            raw = (message.get("bytes") or b"").decode("utf-8", "replace")
        _handle(raw, socket, sim, base_url)


def _handle(raw: str, socket: Socket, sim: SimState, base_url: str) -> None:
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if not isinstance(parsed, list) or not parsed or not isinstance(parsed[0], dict):
        meta = {"type": "Error", "messageId": _message_id(), "status": 400}
        socket.send(_dump([meta, _error("WSG-1002", "Message must be a JSON array starting with an object")]))
        return
    meta, body = parsed[0], parsed[1] if len(parsed) > 1 else None
    message_id = meta.get("messageId")
    if meta.get("type") == "Heartbeat":
        socket.send(_dump([{"type": "Heartbeat", "messageId": message_id, "status": 200}]))
    elif meta.get("type") == "ClientRequest":
        status, headers, reply = _client_request(meta, body, socket.channel, sim, base_url)
        answer: dict[str, Any] = {"type": "ClientRequest", "messageId": message_id, "status": status}
        answer["headers"] = {"Content-Type": "application/json", "RCRequestId": str(uuid.uuid4()), **headers}
        socket.send(_dump([answer] if reply is None else [answer, reply]))
    else:
        error_meta = {"type": "Error", "messageId": message_id, "status": 400}
        socket.send(_dump([error_meta, _error("WSG-1002", f"Unknown message type {meta.get('type')!r}")]))


def _client_request(
    meta: dict[str, Any], body: Any, channel: Channel, sim: SimState, base_url: str
) -> tuple[int, dict[str, str], dict[str, Any] | None]:
    """A subscription API call made over the socket: (status, extra headers, body or None)."""
    method = str(meta.get("method", "")).upper()
    path = str(meta.get("path", "")).split("?")[0].rstrip("/")
    entry = sim.log.start(method, path, {})
    entry.owner, entry.client_id = channel.owner, channel.client_id
    group = "Light" if method == "GET" else "Medium"
    entry.group = group
    decision = sim.limiter.check((channel.owner, channel.client_id), group)
    headers = dict(decision.headers()) if decision is not None else {}
    reply: dict[str, Any] | None
    if decision is not None and not decision.allowed:
        status, reply = 429, _error("CMN-301", "Request rate exceeded")
    else:
        status, reply = _subscription_api(method, path, body, channel, sim, base_url)
    entry.status = status
    return status, headers, reply


def _subscription_api(
    method: str, path: str, body: Any, channel: Channel, sim: SimState, base_url: str
) -> tuple[int, dict[str, Any] | None]:
    hub, now = sim.push, sim.push.now()
    if path == SUBSCRIPTION_PATH:
        if method != "POST":
            return 405, _error("SIM-405", f"Method {method} is not allowed for {path}")
        if _subscribed(channel, now):
            return 409, _error("SUB-409", "This connection already has a subscription (one per connection)")
        filters = _check_request(body, channel, sim, require_delivery=True)
        if isinstance(filters, tuple):
            return filters
        created = hub.subscribe(channel, filters, now)
        log.info("push subscription %s of extension id %s: %s", created.id, channel.owner, filters)
        return 200, created.info(base_url, now)
    prefix, _, rest = path.partition(SUBSCRIPTION_PATH + "/")
    subscription_id, _, action = rest.partition("/")
    subscription = channel.subscription
    if prefix or not subscription_id or action not in ("", "renew"):
        return 404, _error("CMN-102", f"Resource for parameter [path] is not found: {path}")
    if subscription is None or subscription.id != subscription_id or now >= subscription.expires_at:
        return 404, _error(
            "CMN-102", "Resource for parameter [subscriptionId] is not found", "subscriptionId"
        )
    if action == "renew":
        if method != "POST":
            return 405, _error("SIM-405", f"Method {method} is not allowed for {path}")
        subscription.renew(hub.settings.subscription_ttl, now)
        return 200, subscription.info(base_url, now)
    if method == "GET":
        return 200, subscription.info(base_url, now)
    if method == "DELETE":
        channel.subscription = None
        return 204, None
    if method == "PUT":
        filters = _check_request(body, channel, sim, require_delivery=False)
        if isinstance(filters, tuple):
            return filters
        subscription.filters = filters
        subscription.renew(hub.settings.subscription_ttl, now)
        return 200, subscription.info(base_url, now)
    return 405, _error("SIM-405", f"Method {method} is not allowed for {path}")


def _check_request(
    body: Any, channel: Channel, sim: SimState, require_delivery: bool
) -> list[str] | tuple[int, dict[str, Any]]:
    """The request's filters resolved to ids, or the error to answer with."""
    if not isinstance(body, dict):
        return 400, _error("CMN-101", "Request body must be a JSON object")
    delivery = body.get("deliveryMode")
    wrong = not isinstance(delivery, dict) or delivery.get("transportType") != "WebSocket"
    if (require_delivery or delivery is not None) and wrong:
        return 400, _error(
            "CMN-101",
            "Parameter [deliveryMode.transportType] value is invalid",
            "deliveryMode.transportType",
        )
    filters = body.get("eventFilters")
    if not isinstance(filters, list) or not filters or not all(isinstance(f, str) for f in filters):
        return 400, _error("CMN-101", "Parameter [eventFilters] value is invalid", "eventFilters")
    account = sim.scenario.account.id
    client = sim.scenario.client(channel.client_id)
    permissions = client.permissions if client is not None else []
    resolved: list[str] = []
    for event_filter in filters:
        match = _FILTER.fullmatch(event_filter)
        ok = match is not None and match["account"] in ("~", str(account))
        ok = ok and match is not None and match["extension"] in ("~", str(channel.owner))
        query = (match["query"] or "") if match is not None else ""
        if ok and match is not None and match["kind"] == "telephony/sessions":
            ok = not query
        elif ok:
            ok = query in ("", "detailedTelephonyState=true", "detailedTelephonyState=false")
        if not ok or match is None:
            return 400, _error("SUB-406", f"Event filter is not supported: {event_filter}", "eventFilters")
        permission = _FILTER_PERMISSIONS[match["kind"]]
        if permission not in permissions:
            return 403, _error(
                "CMN-401",
                f"In order to call this API endpoint, application needs to have [{permission}] permission",
            )
        suffix = f"?{query}" if query else ""
        resolved.append(f"/restapi/v1.0/account/{account}/extension/{channel.owner}/{match['kind']}{suffix}")
    return resolved


# --- helpers ------------------------------------------------------------------------------------------------


def _subscribed(channel: Channel, now: float) -> bool:
    return channel.subscription is not None and now < channel.subscription.expires_at


def _filter_kind(event_filter: str) -> str | None:
    match = _FILTER.fullmatch(event_filter)
    return match["kind"] if match else None


def _wsc(channel: Channel) -> dict[str, Any]:
    return {"token": channel.token, "sequence": channel.sequence}


def _message_id() -> str:
    return f"{next(_ids):x}-{secrets.token_hex(6)}"


def _error(code: str, message: str, parameter: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"errorCode": code, "message": message}
    if parameter is not None:
        error["parameterName"] = parameter
    return {**error, "errors": [error]}


def _dump(message: list[dict[str, Any]]) -> str:
    return json.dumps(message, separators=(",", ":"))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
