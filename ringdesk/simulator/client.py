"""`SimulatorControl`: a small synchronous client for the simulator's `/_sim/` control API."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx


class SimulatorControl:
    """Drive a running simulator from tests and benchmarks: faults, latency, tokens, calls, log, limits.

    Usable as a context manager; `close()` releases the connection pool.
    """

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url + "/_sim", timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SimulatorControl:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- general ----------------------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """Base URL, demo credentials, timings, lifetimes and rate limits."""
        return self._call("GET", "/")

    def reset(self) -> None:
        """Forget sessions, calls, faults, counters and the log; restore the scenario as loaded."""
        self._call("POST", "/reset")

    # -- latency and faults -----------------------------------------------------------------------------

    def set_latency(self, seconds: float, *, method: str = "*", path: str = "*") -> None:
        """Delay matching requests (glob `path`, e.g. "/restapi/v1.0/*/ring-out*"); the last match wins."""
        self._call("POST", "/latency", {"seconds": seconds, "method": method, "path": path})

    def clear_latency(self) -> None:
        self._call("DELETE", "/latency")

    def add_fault(
        self,
        kind: str = "status",
        *,
        path: str = "*",
        method: str = "*",
        count: int = 1,
        status: int = 500,
        retry_after: float | None = None,
        chance: float | None = None,
        seconds: float | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """Fail the next `count` matching requests, or with a `chance` each matching request until
        `clear_faults()` (`seed` makes the dice repeatable). Kinds: "status" (HTTP `status`, optional
        Retry-After), "drop" (connection closed after the request was received), "lost" (the request is
        processed, then the connection closes before the answer), "malformed" (broken JSON body),
        "delay" (`seconds` more latency, then the normal answer)."""
        body: dict[str, Any] = {
            "kind": kind,
            "path": path,
            "method": method,
            "count": count,
            "status": status,
        }
        optional = {"retryAfter": retry_after, "chance": chance, "seconds": seconds, "seed": seed}
        body.update({key: value for key, value in optional.items() if value is not None})
        return self._call("POST", "/faults", body)

    def fail_next(
        self,
        path: str,
        *,
        status: int = 500,
        method: str = "*",
        count: int = 1,
        retry_after: float | None = None,
    ) -> None:
        self.add_fault(
            "status", path=path, method=method, count=count, status=status, retry_after=retry_after
        )

    def drop_next(self, path: str, *, method: str = "*", count: int = 1) -> None:
        self.add_fault("drop", path=path, method=method, count=count)

    def malform_next(self, path: str, *, method: str = "*", count: int = 1) -> None:
        self.add_fault("malformed", path=path, method=method, count=count)

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/faults")["faults"])

    def faults_struck(self) -> dict[str, int]:
        """How many faults struck since the last reset, by kind (clearing faults keeps the count)."""
        return dict(self._call("GET", "/faults")["struck"])

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    # -- OAuth ------------------------------------------------------------------------------------------

    def expire_tokens(self, kind: str = "access", owner: int | None = None) -> int:
        """Make live tokens expired: "access", "refresh" or "all"; returns the number of sessions touched."""
        return int(self._call("POST", "/tokens/expire", {"kind": kind, "owner": owner})["sessions"])

    def revoke_tokens(self, owner: int | None = None) -> int:
        """End every session (of one extension id); returns how many ended."""
        return int(self._call("POST", "/tokens/revoke", {"owner": owner})["sessions"])

    def set_lifetimes(
        self,
        *,
        access_token: float | None = None,
        refresh_token: float | None = None,
        auth_code: float | None = None,
        refresh_grace_unused: float | None = None,
        refresh_grace_after_use: float | None = None,
    ) -> dict[str, Any]:
        body = {
            "accessToken": access_token,
            "refreshToken": refresh_token,
            "authCode": auth_code,
            "refreshGraceUnused": refresh_grace_unused,
            "refreshGraceAfterUse": refresh_grace_after_use,
        }
        return self._call("POST", "/lifetimes", {k: v for k, v in body.items() if v is not None})

    def set_password_grant(self, enabled: bool) -> None:
        self._call("POST", "/password-grant", {"enabled": enabled})

    # -- calls ------------------------------------------------------------------------------------------

    def set_timings(self, **timings: float | None) -> dict[str, Any]:
        """Any `Timings` field by its snake_case name (caller_ring=0.1, auto_press_after=None, ...)."""
        return self._call("POST", "/timings", timings)

    def set_next_outcome(self, leg: str, status: str, call_status: str = "CannotReach") -> None:
        """Queue how the next RingOut fails: `status` on `leg` ("caller" or "callee")."""
        self._call("POST", "/calls/next-outcome", {"leg": leg, "status": status, "callStatus": call_status})

    def clear_next_outcomes(self) -> None:
        self._call("DELETE", "/calls/next-outcome")

    def press_one(self, ringout_id: str | None = None) -> dict[str, Any]:
        """Press 1 on a call waiting at the prompt (default: the oldest one); raises if none is waiting."""
        return self._call("POST", "/calls/press1", {"ringoutId": ringout_id} if ringout_id else {})

    def calls(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/calls")["calls"])

    def set_app_permissions(self, client_id: str, permissions: list[str]) -> None:
        """What the app may do from now on (`reset()` restores the scenario's permissions)."""
        self._call("POST", "/app-permissions", {"clientId": client_id, "permissions": permissions})

    def set_service_features(self, features: dict[str, bool], extension_id: int | None = None) -> None:
        body: dict[str, Any] = {"features": features}
        if extension_id is not None:
            body["extensionId"] = extension_id
        self._call("POST", "/service-features", body)

    # -- push -------------------------------------------------------------------------------------------

    def set_push_settings(
        self,
        *,
        ws_token_ttl: float | None = None,
        subscription_ttl: float | None = None,
        idle_timeout: float | None = None,
        recovery_timeout: float | None = None,
    ) -> dict[str, Any]:
        """Seconds: ws tokens and subscriptions issued from now on, idle and recovery time-outs of all."""
        body = {
            "wsTokenTtl": ws_token_ttl,
            "subscriptionTtl": subscription_ttl,
            "idleTimeout": idle_timeout,
            "recoveryTimeout": recovery_timeout,
        }
        return self._call("POST", "/push/settings", {k: v for k, v in body.items() if v is not None})

    def push_drop(self, *, recoverable: bool = True) -> int:
        """Close every push socket now (`recoverable` False: a reconnect with wsc fails); returns how many."""
        return int(self._call("POST", "/push/drop", {"recoverable": recoverable})["dropped"])

    def push_hold(self, seconds: float) -> None:
        """Hold back the notifications of the next `seconds`, then send them in order."""
        self._call("POST", "/push/hold", {"seconds": seconds})

    def push_duplicate(self, count: int = 1) -> None:
        """Send each of the next `count` notifications twice (the very same message)."""
        self._call("POST", "/push/duplicate", {"count": count})

    def push_reorder(self, count: int = 1) -> None:
        """`count` times, swap a telephony event with the next event of its session."""
        self._call("POST", "/push/reorder", {"count": count})

    def push_info(self) -> dict[str, Any]:
        """`connections` opened so far (recoveries count), `open` now, `settings`, and `sent`."""
        return self._call("GET", "/push")

    def push_messages(self) -> list[dict[str, Any]]:
        """Every message the push gateway sent, oldest first, as the client received it."""
        return [entry["message"] for entry in self._call("GET", "/push")["sent"]]

    def clear_push_messages(self) -> None:
        self._call("DELETE", "/push/sent")

    # -- log and rate limits ----------------------------------------------------------------------------

    def requests(self) -> list[dict[str, Any]]:
        """Received platform requests, oldest first: time, method, path, query (secrets masked), status,
        group, clientId, owner, fault."""
        return list(self._call("GET", "/requests")["requests"])

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def set_rate_limits(
        self,
        limits: dict[str, int] | None = None,
        *,
        window: float | None = None,
        penalty: float | None = None,
        enabled: bool | None = None,
        reset_counters: bool = False,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"resetCounters": reset_counters}
        if limits is not None:
            body["limits"] = limits
        if window is not None:
            body["window"] = window
        if penalty is not None:
            body["penalty"] = penalty
        if enabled is not None:
            body["enabled"] = enabled
        return self._call("POST", "/rate-limits", body)

    # -- plumbing ---------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self._http.request(method, path, json=body if method != "GET" else None)
        if response.status_code >= 400:
            raise RuntimeError(
                f"simulator control {method} {path} failed: {response.status_code} {response.text}"
            )
        data = response.json()
        if not isinstance(data, dict):
            raise RuntimeError(f"simulator control {method} {path} answered {data!r}")
        return data
