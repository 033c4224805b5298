"""The `/_sim/` control API: faults, latency, tokens, call outcomes, "press 1", push, the request log, reset.

Only loopback clients get here (`app.SimulatorMiddleware` refuses the rest with 403). Bodies are JSON with
camelCase or snake_case keys; answers are JSON. `SimulatorControl` in `client.py` is the Python client.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ringdesk.simulator.push import PushHub
from ringdesk.simulator.scenario import KNOWN_FAILURES, CallOutcome
from ringdesk.simulator.state import FAULT_KINDS, Fault, Latency, SimState

log = logging.getLogger("ringdesk.simulator")


class _BadRequest(Exception):
    pass


def routes() -> list[Route]:
    return [
        Route("/_sim", info, methods=["GET"]),
        Route("/_sim/", info, methods=["GET"]),
        Route("/_sim/reset", reset, methods=["POST"]),
        Route("/_sim/latency", set_latency, methods=["POST"]),
        Route("/_sim/latency", clear_latency, methods=["DELETE"]),
        Route("/_sim/faults", add_fault, methods=["POST"]),
        Route("/_sim/faults", list_faults, methods=["GET"]),
        Route("/_sim/faults", clear_faults, methods=["DELETE"]),
        Route("/_sim/tokens/expire", expire_tokens, methods=["POST"]),
        Route("/_sim/tokens/revoke", revoke_tokens, methods=["POST"]),
        Route("/_sim/lifetimes", set_lifetimes, methods=["POST"]),
        Route("/_sim/timings", set_timings, methods=["POST"]),
        Route("/_sim/calls", list_calls, methods=["GET"]),
        Route("/_sim/calls/next-outcome", set_next_outcome, methods=["POST"]),
        Route("/_sim/calls/next-outcome", clear_next_outcomes, methods=["DELETE"]),
        Route("/_sim/calls/press1", press_one, methods=["POST"]),
        Route("/_sim/requests", list_requests, methods=["GET"]),
        Route("/_sim/requests", clear_requests, methods=["DELETE"]),
        Route("/_sim/rate-limits", set_rate_limits, methods=["POST"]),
        Route("/_sim/password-grant", set_password_grant, methods=["POST"]),
        Route("/_sim/service-features", set_service_features, methods=["POST"]),
        Route("/_sim/app-permissions", set_app_permissions, methods=["POST"]),
        Route("/_sim/push", push_info, methods=["GET"]),
        Route("/_sim/push/sent", clear_push_sent, methods=["DELETE"]),
        Route("/_sim/push/settings", set_push_settings, methods=["POST"]),
        Route("/_sim/push/drop", push_drop, methods=["POST"]),
        Route("/_sim/push/hold", push_hold, methods=["POST"]),
        Route("/_sim/push/duplicate", push_duplicate, methods=["POST"]),
        Route("/_sim/push/reorder", push_reorder, methods=["POST"]),
    ]


def _sim(request: Request) -> SimState:
    sim = request.app.state.sim
    assert isinstance(sim, SimState)
    return sim


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise _BadRequest(f"body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _BadRequest("body must be a JSON object")
    # Accept camelCase and snake_case alike.
    return {_snake(k): v for k, v in data.items()}


def _snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key)


def _bad(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=400)


def _number(
    data: dict[str, Any], key: str, default: float | None = None, minimum: float = 0.0
) -> float | None:
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise _BadRequest(f"'{key}' must be a number >= {minimum}")
    return float(value)


def _handles_bad_requests(func: Any) -> Any:
    async def wrapper(request: Request) -> Response:
        try:
            response: Response = await func(request)
        except _BadRequest as exc:
            return _bad(str(exc))
        return response

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


async def info(request: Request) -> Response:
    """What the simulator serves: base URL, demo credentials, the scenario's timings and limits."""
    sim = _sim(request)
    base = str(request.base_url).rstrip("/")
    scenario = sim.scenario
    return JSONResponse(
        {
            "baseUrl": base,
            "controlUrl": f"{base}/_sim/",
            "demoMode": scenario.demo_mode,
            "passwordGrantEnabled": scenario.password_grant_enabled,
            "clients": [
                {
                    "clientId": c.client_id,
                    "public": c.is_public,
                    "clientSecret": c.client_secret,
                    "redirectUris": c.redirect_uris,
                    "permissions": c.permissions,
                }
                for c in scenario.clients
            ],
            "users": [
                {
                    "extensionId": u.extension_id,
                    "extensionNumber": u.extension_number,
                    "login": u.login,
                    "password": u.password,
                    "jwtCredential": u.jwt_credential,
                }
                for u in scenario.account.users
            ],
            "timings": asdict(scenario.timings),
            "lifetimes": asdict(scenario.lifetimes),
            "rateLimits": asdict(scenario.rate_limits),
        }
    )


async def reset(request: Request) -> Response:
    _sim(request).reset()
    log.info("simulator reset")
    return JSONResponse({"reset": True})


@_handles_bad_requests
async def set_latency(request: Request) -> Response:
    """`{"seconds": 0.5, "method": "GET", "path": "/restapi/v1.0/*"}`; method and path default to all."""
    data = await _body(request)
    seconds = _number(data, "seconds")
    if seconds is None:
        raise _BadRequest("'seconds' is required")
    latency = Latency(seconds=seconds, path=str(data.get("path", "*")), method=str(data.get("method", "*")))
    _sim(request).faults.latencies.append(latency)
    return JSONResponse(asdict(latency))


async def clear_latency(request: Request) -> Response:
    _sim(request).faults.latencies.clear()
    return JSONResponse({"latencies": []})


@_handles_bad_requests
async def add_fault(request: Request) -> Response:
    """`{"kind": "status"|"drop"|"lost"|"malformed"|"delay", "path": glob, "method": "*", "count": 1,
    "status": 500, "retryAfter": seconds, "seconds": delay, "chance": 0.05, "seed": 7}`: the next `count`
    matching requests fail that way or, with a `chance`, each matching request fails that often until the
    faults are cleared (`seed` makes the dice repeatable)."""
    data = await _body(request)
    kind = data.get("kind", "status")
    if kind not in FAULT_KINDS:
        raise _BadRequest(f"'kind' must be one of {', '.join(repr(k) for k in FAULT_KINDS)}")
    status = data.get("status", 500)
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise _BadRequest("'status' must be an HTTP error status (400-599)")
    count = data.get("count", 1)
    if not isinstance(count, int) or count < 1:
        raise _BadRequest("'count' must be a positive integer")
    chance = _number(data, "chance")
    if chance is not None and not 0 < chance <= 1:
        raise _BadRequest("'chance' must be more than 0 and at most 1")
    seconds = _number(data, "seconds", 0.0) or 0.0
    if kind == "delay" and seconds <= 0:
        raise _BadRequest("a 'delay' fault needs 'seconds' > 0")
    seed = data.get("seed")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise _BadRequest("'seed' must be an integer")
        _sim(request).faults.seed(seed)
    fault = Fault(
        kind=kind,
        path=str(data.get("path", "*")),
        method=str(data.get("method", "*")),
        remaining=count,
        status=status,
        retry_after=_number(data, "retry_after"),
        chance=chance,
        seconds=seconds,
    )
    _sim(request).faults.faults.append(fault)
    return JSONResponse(fault.describe())


async def list_faults(request: Request) -> Response:
    """The faults in force, and how many struck since the last reset, by kind."""
    book = _sim(request).faults
    return JSONResponse({"faults": [f.describe() for f in book.faults], "struck": dict(book.struck)})


async def clear_faults(request: Request) -> Response:
    _sim(request).faults.faults.clear()
    return JSONResponse({"faults": []})


def _owner(data: dict[str, Any]) -> int | None:
    owner = data.get("owner")
    if owner is None:
        return None
    try:
        return int(owner)
    except (TypeError, ValueError):
        raise _BadRequest("'owner' must be an extension id") from None


@_handles_bad_requests
async def expire_tokens(request: Request) -> Response:
    """`{"kind": "access"|"refresh"|"all", "owner": extensionId?}`."""
    data = await _body(request)
    kind = data.get("kind", "access")
    if kind not in ("access", "refresh", "all"):
        raise _BadRequest("'kind' must be 'access', 'refresh' or 'all'")
    count = _sim(request).oauth.expire(kind, _owner(data))
    return JSONResponse({"sessions": count})


@_handles_bad_requests
async def revoke_tokens(request: Request) -> Response:
    """`{"owner": extensionId?}`: end every session (of that user)."""
    data = await _body(request)
    count = _sim(request).oauth.revoke_all(_owner(data))
    return JSONResponse({"sessions": count})


@_handles_bad_requests
async def set_lifetimes(request: Request) -> Response:
    """`{"accessToken": s, "refreshToken": s, "authCode": s, "refreshGraceUnused": s,
    "refreshGraceAfterUse": s}`; for tokens and codes issued (and refreshes made) from now on."""
    data = await _body(request)
    lifetimes = _sim(request).scenario.lifetimes
    for key in (
        "access_token",
        "refresh_token",
        "auth_code",
        "refresh_grace_unused",
        "refresh_grace_after_use",
    ):
        value = _number(data, key)
        if value is not None:
            setattr(lifetimes, key, value)
    return JSONResponse(asdict(lifetimes))


@_handles_bad_requests
async def set_timings(request: Request) -> Response:
    """Any `Timings` field; applies to calls placed from now on. `autoPressAfter: null` disables it."""
    data = await _body(request)
    timings = _sim(request).scenario.timings
    for key in ("caller_ring", "callee_ring", "talk", "gone_after", "prompt_timeout"):
        value = _number(data, key)
        if value is not None:
            setattr(timings, key, value)
    if "auto_press_after" in data:
        timings.auto_press_after = _number(data, "auto_press_after")
    return JSONResponse(asdict(timings))


async def list_calls(request: Request) -> Response:
    sim = _sim(request)
    now = sim.calls.now()
    return JSONResponse({"calls": [c.control_view(now) for c in sim.calls.calls.values()]})


@_handles_bad_requests
async def set_next_outcome(request: Request) -> Response:
    """`{"leg": "caller"|"callee", "status": "Busy", "callStatus": "CannotReach"}`; queued, one per call."""
    data = await _body(request)
    leg, status = data.get("leg"), data.get("status")
    if leg not in ("caller", "callee"):
        raise _BadRequest("'leg' must be 'caller' or 'callee'")
    if not isinstance(status, str) or not status:
        raise _BadRequest(f"'status' must be a status string, e.g. one of {', '.join(KNOWN_FAILURES)}")
    call_status = data.get("call_status", "CannotReach")
    if not isinstance(call_status, str) or not call_status:
        raise _BadRequest("'callStatus' must be a string")
    outcome = CallOutcome(leg=leg, status=status, call_status=call_status)
    sim = _sim(request)
    sim.calls.next_outcomes.append(outcome)
    return JSONResponse({"queued": [asdict(o) for o in sim.calls.next_outcomes]})


async def clear_next_outcomes(request: Request) -> Response:
    _sim(request).calls.next_outcomes.clear()
    return JSONResponse({"queued": []})


@_handles_bad_requests
async def press_one(request: Request) -> Response:
    """`{"ringoutId": id?}`: the operator presses 1 on that call (default: the oldest call waiting for it)."""
    data = await _body(request)
    sim = _sim(request)
    now = sim.calls.now()
    wanted = data.get("ringout_id")
    if wanted is not None:
        call = sim.calls.calls.get(str(wanted))
        if call is None:
            return JSONResponse({"error": f"no RingOut {wanted}"}, status_code=404)
    else:
        waiting = sim.calls.waiting_for_press()
        if not waiting:
            return JSONResponse({"error": "no call is waiting for 1 to be pressed"}, status_code=409)
        call = waiting[0]
    if not call.press_one(now):
        return JSONResponse(
            {"error": f"RingOut {call.id} is not waiting for 1 (phase {call.state(now).phase.value})"},
            status_code=409,
        )
    log.info("1 pressed on RingOut %s", call.id)
    return JSONResponse(call.control_view(now))


async def list_requests(request: Request) -> Response:
    return JSONResponse({"requests": [e.as_dict() for e in _sim(request).log.entries]})


async def clear_requests(request: Request) -> Response:
    _sim(request).log.entries.clear()
    return JSONResponse({"requests": []})


@_handles_bad_requests
async def set_rate_limits(request: Request) -> Response:
    """`{"limits": {"Heavy": 3}, "window": 60, "penalty": 5, "enabled": true, "resetCounters": false}`."""
    data = await _body(request)
    sim = _sim(request)
    config = sim.limiter.config
    limits = data.get("limits")
    if limits is not None:
        if not isinstance(limits, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in limits.values()
        ):
            raise _BadRequest("'limits' must map group names to positive integers")
        config.limits.update({str(k): v for k, v in limits.items()})
    for key in ("window", "penalty"):
        value = _number(data, key)
        if value is not None:
            setattr(config, key, value)
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            raise _BadRequest("'enabled' must be true or false")
        config.enabled = data["enabled"]
    if data.get("reset_counters"):
        sim.limiter.reset()
    return JSONResponse(asdict(config))


@_handles_bad_requests
async def set_password_grant(request: Request) -> Response:
    """`{"enabled": false}` turns the legacy password grant off (as most apps have it today)."""
    data = await _body(request)
    if not isinstance(data.get("enabled"), bool):
        raise _BadRequest("'enabled' must be true or false")
    sim = _sim(request)
    sim.scenario.password_grant_enabled = data["enabled"]
    return JSONResponse({"enabled": sim.scenario.password_grant_enabled})


@_handles_bad_requests
@_handles_bad_requests
async def set_app_permissions(request: Request) -> Response:
    """`{"clientId": "ringdesk-demo", "permissions": ["RingOut", ...]}`: what the app may do from now
    on, as if its owner changed it in the developer console (reset restores the scenario's)."""
    data = await _body(request)
    app = _sim(request).scenario.client(str(data.get("client_id", "")))
    if app is None:
        raise _BadRequest("'clientId' must name an app of the scenario")
    permissions = data.get("permissions")
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        raise _BadRequest("'permissions' must be a list of permission names")
    app.permissions = list(permissions)
    return JSONResponse({"clientId": app.client_id, "permissions": app.permissions})


async def set_service_features(request: Request) -> Response:
    """`{"extensionId": id?, "features": {"RingOut": false}}` (default: the first user)."""
    raw = await request.body()
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise _BadRequest(f"body is not JSON: {exc}") from exc
    sim = _sim(request)
    extension_id = data.get("extensionId", data.get("extension_id"))
    users = sim.scenario.account.users
    user = users[0] if extension_id is None else sim.user(int(extension_id))
    if user is None:
        return JSONResponse({"error": f"no extension {extension_id}"}, status_code=404)
    features = data.get("features")
    if not isinstance(features, dict) or not all(isinstance(v, bool) for v in features.values()):
        raise _BadRequest("'features' must map feature names to true/false")
    user.service_features.update(features)
    return JSONResponse({"extensionId": user.extension_id, "features": user.service_features})


# --- push --------------------------------------------------------------------------------------------


def _push(request: Request) -> PushHub:
    return _sim(request).push


def _count(data: dict[str, Any]) -> int:
    count = data.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise _BadRequest("'count' must be an integer >= 0")
    return count


async def push_info(request: Request) -> Response:
    """Push connections opened so far (recoveries count), those open now, the settings, and every message
    the gateway sent (oldest first, each `{"time", "owner", "message"}`)."""
    hub = _push(request)
    return JSONResponse(
        {
            "connections": hub.connections,
            "open": sum(1 for c in hub.channels.values() if c.socket is not None),
            "settings": asdict(hub.settings),
            "sent": list(hub.sent),
        }
    )


async def clear_push_sent(request: Request) -> Response:
    _push(request).sent.clear()
    return JSONResponse({"sent": []})


@_handles_bad_requests
async def set_push_settings(request: Request) -> Response:
    """`{"wsTokenTtl": s, "subscriptionTtl": s, "idleTimeout": s, "recoveryTimeout": s}`: ws tokens and
    subscriptions issued from now on, and idle and recovery time-outs of every connection."""
    data = await _body(request)
    settings = _push(request).settings
    for key in ("ws_token_ttl", "subscription_ttl", "idle_timeout", "recovery_timeout"):
        value = _number(data, key)
        if value is not None:
            setattr(settings, key, value)
    return JSONResponse(asdict(settings))


@_handles_bad_requests
async def push_drop(request: Request) -> Response:
    """`{"recoverable": true}`: close every push socket now; with `false` no reconnect can recover."""
    data = await _body(request)
    recoverable = data.get("recoverable", True)
    if not isinstance(recoverable, bool):
        raise _BadRequest("'recoverable' must be true or false")
    dropped = _push(request).drop_all(recoverable)
    log.info("%d push connection(s) dropped (recoverable: %s)", dropped, recoverable)
    return JSONResponse({"dropped": dropped})


@_handles_bad_requests
async def push_hold(request: Request) -> Response:
    """`{"seconds": 2}`: notifications of the next `seconds` are held back, then sent in order."""
    seconds = _number(await _body(request), "seconds")
    if seconds is None:
        raise _BadRequest("'seconds' is required")
    _push(request).hold(seconds)
    return JSONResponse({"seconds": seconds})


@_handles_bad_requests
async def push_duplicate(request: Request) -> Response:
    """`{"count": 1}`: each of the next `count` notifications is sent twice, the very same message."""
    hub = _push(request)
    hub.duplicates = _count(await _body(request))
    return JSONResponse({"count": hub.duplicates})


@_handles_bad_requests
async def push_reorder(request: Request) -> Response:
    """`{"count": 1}`: `count` times, a telephony event is kept back until the next event of its session,
    which is sent first (the two arrive swapped; one with no later event comes when its call's events end)."""
    hub = _push(request)
    hub.swaps = _count(await _body(request))
    return JSONResponse({"count": hub.swaps})
