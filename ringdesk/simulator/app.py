"""The ASGI application: routing, the request log, faults, authentication, rate limits and permissions.

Order of work for every platform request (control requests under `/_sim/` skip all of it but step 3):

1. the request is recorded in the request log as received;
2. latency is added, then a fault strikes, if one does; both act *before* authentication and rate limiting,
   like trouble in front of the platform (a load balancer or gateway), so a faulted request neither needs a
   valid token nor uses up rate-limit budget (a "delay" fault then lets the request through, and a "lost"
   one lets the platform process it and drops the answer);
3. the body is read within the limits of `ringdesk.simulator.limits` (413 for one too large, 400 for JSON
   nested too deep), before any route parses it; the platform's gateway refuses such bodies, so they
   neither need a valid token nor use up rate-limit budget either;
4. the bearer token is checked (401 `CMN-405` without one, `OAU-129` for one that cannot be a token,
   `OAU-149` for one unknown, revoked or replaced by a refresh, `OAU-128` expired);
5. the request is counted against its rate-limit group per (user, app) (429 `CMN-301`);
6. the app's permission for the route is checked (403 `CMN-401`);
7. the handler runs, and the `X-Rate-Limit-*` headers are added to its response.

A WebSocket handshake (the push gateway at `push.WS_PATH`) is recorded in the request log (status 101 once
accepted) and gets its latency like any request, but faults do not strike it: push has its own trouble
(`PushHub`: dropped sockets, held back, duplicated and reordered events). It needs no bearer token: the
gateway checks the ws token from `POST /restapi/oauth/wstoken` itself, and is in no rate-limit group.
The control gate refuses a WebSocket under `/_sim/` from a non-loopback address as it refuses a request.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from ringdesk.net import is_loopback_address
from ringdesk.simulator.limits import (
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    is_parsed_as_json,
    nests_deeper_than,
    read_body_within,
    replaying,
)
from ringdesk.simulator.ratelimit import RateDecision
from ringdesk.simulator.responses import api_error, oauth_error
from ringdesk.simulator.scenario import ClientApp, Scenario, User
from ringdesk.simulator.state import Fault, LogEntry, OAuthSession, SimState, looks_like_token

log = logging.getLogger("ringdesk.simulator")

CONTROL_PREFIX = "/_sim"
OAUTH_PREFIX = "/restapi/oauth/"
_CONTEXT_KEY = "ringdesk.simulator.context"


class ConnectionDropped(Exception):
    """Raised after the response has started, so the server closes the connection mid-response."""


@dataclass
class RequestContext:
    sim: SimState
    entry: LogEntry
    remote: str
    base_url: str
    rate: RateDecision | None = None
    session: OAuthSession | None = None
    _user: User | None = None
    client: ClientApp | None = None

    @property
    def user(self) -> User:
        assert self._user is not None, "only authenticated endpoints have a user"
        return self._user

    @property
    def client_id(self) -> str:
        return self.session.client_id if self.session else ""


def context(request: Request) -> RequestContext:
    ctx = request.scope.get(_CONTEXT_KEY)
    assert isinstance(ctx, RequestContext)
    return ctx


def websocket_context(websocket: WebSocket) -> RequestContext:
    ctx = websocket.scope.get(_CONTEXT_KEY)
    assert isinstance(ctx, RequestContext)
    return ctx


Handler = Callable[[Request, RequestContext], Awaitable[Response]]


def api_endpoint(
    group: str, permission: str | None
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a REST handler with authentication, its rate-limit group and its app permission (per the spec)."""

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            ctx = context(request)
            ctx.entry.group = group
            refused = _authenticate(request, ctx)
            if refused is not None:
                return refused
            assert ctx.session is not None
            decision = ctx.sim.limiter.check((ctx.session.owner, ctx.session.client_id), group)
            ctx.rate = decision
            if decision is not None and not decision.allowed:
                return api_error(429, "CMN-301", "Request rate exceeded", headers=decision.headers())
            response: Response
            if permission is not None and (ctx.client is None or permission not in ctx.client.permissions):
                response = api_error(
                    403,
                    "CMN-401",
                    f"In order to call this API endpoint, application needs to have [{permission}] "
                    "permission",
                )
            else:
                response = await handler(request, ctx)
            if decision is not None:
                response.headers.update(decision.headers())
            return response

        return endpoint

    return decorate


def _authenticate(request: Request, ctx: RequestContext) -> Response | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else ""
    if not token:
        # The platform also accepts the token as a query parameter (the SDKs use it for media links).
        token = request.query_params.get("access_token", "")
    if not token:
        return api_error(401, "CMN-405", "Login required: the request carries no access token")
    if not looks_like_token(token):
        return api_error(401, "OAU-129", "Access token corrupted")
    session = ctx.sim.oauth.by_access(token)
    if session is None:
        return api_error(401, "OAU-149", "Invalid token")
    ctx.entry.client_id = session.client_id
    ctx.entry.owner = session.owner
    if ctx.sim.oauth.access_expired(session):
        return api_error(401, "OAU-128", "Access token expired")
    ctx.session = session
    ctx.sim.oauth.note_access_used(session)
    ctx._user = ctx.sim.user(session.owner)
    ctx.client = ctx.sim.scenario.client(session.client_id)
    if ctx._user is None:
        return api_error(401, "OAU-149", "Invalid token")
    return None


class SimulatorMiddleware:
    """Outermost ASGI layer: control gate, request log, latency and faults (see the module docstring)."""

    def __init__(self, app: ASGIApp, sim: SimState) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        remote = client[0] if client else ""
        path: str = scope["path"]
        method: str = scope["method"]
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            if not is_loopback_address(remote):
                log.warning("control request from non-loopback address %s refused", remote)
                await _send_json(
                    # CMN-419 is the simulator's code, for its own control API.
                    send,
                    403,
                    _error_body("CMN-419", "The simulator's control API is loopback-only"),
                )
                return
            checked_receive = await _within_body_limits(scope, receive, send)
            if checked_receive is not None:
                await self.app(scope, checked_receive, send)
            return

        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        entry = self.sim.log.start(method, path, query)
        delay = self.sim.faults.latency(method, path)
        if delay > 0:
            await asyncio.sleep(delay)
        fault = self.sim.faults.take(method, path)
        if fault is not None:
            entry.fault = fault.kind
            log.info("fault %s injected into %s %s", fault.kind, method, path)
            if fault.kind == "delay":
                await asyncio.sleep(fault.seconds)
            elif fault.kind != "lost":
                await self._inject(fault, entry, receive, send)
                return

        scope[_CONTEXT_KEY] = RequestContext(
            sim=self.sim, entry=entry, remote=remote, base_url=_base_url(scope)
        )

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            if fault is None or fault.kind != "lost":
                await send(message)

        checked_receive = await _within_body_limits(scope, receive, recording_send)
        if checked_receive is not None:
            await self.app(scope, checked_receive, recording_send)
        log.debug("%s %s -> %s", method, path, entry.status)
        if fault is not None and fault.kind == "lost":
            await _drop_connection(send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        remote = client[0] if client else ""
        path: str = scope["path"]
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            if not is_loopback_address(remote):
                log.warning("control WebSocket from non-loopback address %s refused", remote)
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        entry = self.sim.log.start("GET", path, query)
        delay = self.sim.faults.latency("GET", path)
        if delay > 0:
            await asyncio.sleep(delay)
        scope[_CONTEXT_KEY] = RequestContext(
            sim=self.sim, entry=entry, remote=remote, base_url=_base_url(scope)
        )

        async def recording_send(message: Message) -> None:
            if message["type"] == "websocket.accept":
                entry.status = 101
            elif message["type"] == "websocket.close" and entry.status is None:
                entry.status = 403  # closed before the handshake completed: the server answers 403
            elif message["type"] == "websocket.http.response.start":
                entry.status = message["status"]
            await send(message)

        await self.app(scope, receive, recording_send)

    async def _inject(self, fault: Fault, entry: LogEntry, receive: Receive, send: Send) -> None:
        # Read the whole request first, so the fault strikes after the server has really received it.
        while True:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        if fault.kind == "drop":
            await _drop_connection(send)
        if fault.kind == "malformed":
            entry.status = 200
            body = b'{"id": "1", "status": {"callStatus": "InProg'
            await _send_raw(send, 200, body, [(b"content-type", b"application/json")])
            return
        entry.status = fault.status
        headers = []
        if fault.retry_after is not None:
            headers.append((b"retry-after", str(max(0, round(fault.retry_after))).encode()))
        code, message_text = _FAULT_ERRORS.get(fault.status, ("CMN-201", "Internal server error"))
        await _send_json(send, fault.status, _error_body(code, message_text), headers)


#: The platform's own error code and words for the statuses faults answer with most.
_FAULT_ERRORS = {
    404: ("CMN-102", "Resource for parameter [path] is not found"),
    429: ("CMN-301", "Request rate exceeded"),
    503: ("CMN-211", "Service temporarily unavailable"),
}


async def _drop_connection(send: Send) -> None:
    """Close the connection without an answer: a response is started, then the server aborts it."""
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    raise ConnectionDropped("connection dropped by an injected fault")


async def _within_body_limits(scope: Scope, receive: Receive, send: Send) -> Receive | None:
    """A `receive` giving the route the body already read, or None after refusing the request.

    A body over `MAX_BODY_BYTES` gets 413 and one nested deeper than `MAX_JSON_DEPTH` gets 400,
    shaped like the platform's other errors on that path (OAuth errors on the OAuth endpoints).
    The platform documents no error code for a body too large; `CMN-413` is the simulator's
    choice. `CMN-103` is the platform's code for a JSON body it cannot parse.
    """
    body = await read_body_within(scope, receive, MAX_BODY_BYTES)
    if body is None:
        refusal = _refusal(scope, 413, "CMN-413", f"Request body exceeds the limit of {MAX_BODY_BYTES} bytes")
    elif body and is_parsed_as_json(scope) and nests_deeper_than(body, MAX_JSON_DEPTH):
        refusal = _refusal(
            scope, 400, "CMN-103", f"JSON can't be parsed: nested deeper than {MAX_JSON_DEPTH}"
        )
    else:
        return replaying(body, receive)
    log.info("request body refused with %d: %s %s", refusal.status_code, scope["method"], scope["path"])
    await refusal(scope, receive, send)
    return None


def _refusal(scope: Scope, status: int, code: str, message: str) -> Response:
    path: str = scope["path"]
    if path.startswith(OAUTH_PREFIX):
        return oauth_error("invalid_request", code, message, status=status)
    return api_error(status, code, message)


def _base_url(scope: Scope) -> str:
    headers = dict(scope.get("headers", []))
    host = headers.get(b"host", b"").decode("latin-1")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"


def _error_body(code: str, message: str) -> dict[str, Any]:
    return {"errorCode": code, "message": message, "errors": [{"errorCode": code, "message": message}]}


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    response = JSONResponse(body, status_code=status)
    raw_headers = [*response.raw_headers, *(headers or [])]
    await _send_raw(send, status, bytes(response.body), raw_headers)


async def _send_raw(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [h for h in headers if h[0].lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _not_found(request: Request, exc: Exception) -> Response:
    return api_error(404, "CMN-102", f"Resource for parameter [path] is not found: {request.url.path}")


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    # SIM-405 is the simulator's code, named so: the platform documents none for a wrong method.
    return api_error(405, "SIM-405", f"Method {request.method} is not allowed for {request.url.path}")


def build_app(scenario: Scenario) -> tuple[ASGIApp, SimState]:
    """The simulator's ASGI app for a scenario, and the state it serves (for in-process inspection)."""
    from ringdesk.simulator import api, control, oauth, push

    sim = SimState(scenario)
    account = "/restapi/v1.0/account/{accountId}"
    extension = account + "/extension/{extensionId}"
    routes = [
        Route("/restapi/oauth/authorize", oauth.authorize, methods=["GET", "POST"]),
        Route(oauth.LOGIN_PATH, oauth.login_page, methods=["GET", "POST"]),
        Route("/restapi/oauth/token", oauth.token, methods=["POST"]),
        Route("/restapi/oauth/revoke", oauth.revoke, methods=["POST"]),
        Route("/restapi/oauth/wstoken", oauth.wstoken, methods=["POST"]),
        WebSocketRoute(push.WS_PATH, push.gateway),
        Route(extension, api.read_extension, methods=["GET"]),
        Route(extension + "/forwarding-number", api.list_forwarding_numbers, methods=["GET"]),
        Route(extension + "/phone-number", api.list_phone_numbers, methods=["GET"]),
        Route(extension + "/caller-id", api.read_caller_id, methods=["GET"]),
        Route(extension + "/device", api.list_devices, methods=["GET"]),
        Route(extension + "/presence", api.read_presence, methods=["GET"]),
        Route(extension + "/call-log", api.read_call_log, methods=["GET"]),
        Route(account + "/directory/entries", api.list_directory, methods=["GET"]),
        Route(account + "/directory/entries/{entryId}", api.read_directory_entry, methods=["GET"]),
        Route(extension + "/ring-out", api.create_ringout, methods=["POST"]),
        Route(extension + "/ring-out/{ringoutId}", api.read_ringout, methods=["GET"]),
        Route(extension + "/ring-out/{ringoutId}", api.cancel_ringout, methods=["DELETE"]),
        Route(account + "/telephony/sessions/{telephonySessionId}", api.read_session, methods=["GET"]),
        Route(account + "/telephony/sessions/{telephonySessionId}", api.delete_session, methods=["DELETE"]),
        *control.routes(),
    ]
    inner = Starlette(
        routes=routes,
        exception_handlers={404: _not_found, 405: _method_not_allowed},
    )
    inner.state.sim = sim
    return SimulatorMiddleware(inner, sim), sim
