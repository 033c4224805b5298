"""The async client for the RingCentral platform: one method per endpoint RingDesk uses.

All requests go through one private core, `_send`, which owns what every request needs:
the bearer token (through the `AuthHook`), the rate-limit ledger, retries, typed errors and
logging. The endpoint methods only build requests and parse replies, so later features (push
notifications, fax) add methods that reuse the same core.

Retry rules, as implemented:

- Before sending, the ledger is asked whether the request's rate-limit group may send now.
  If not, a request that is safe to re-send (see `endpoints.py`) waits when the wait is short
  (`RetryPolicy.max_rate_limit_wait`); anything else raises `RateLimited(sent=False)` and
  nothing goes out. Nothing of a group is ever sent during its penalty.
- 429 and 503 put the group in a penalty of `Retry-After` seconds (30 when it is missing).
  A re-send-safe request sits the penalty out if it is short, then tries again; otherwise
  `RateLimited(sent=True)` (429) or `ServerError` (503) is raised with `retry_after`.
- Other 5xx and network failures: re-send-safe requests back off 2 s, 4 s, 8 s... (capped at
  60 s) up to `RetryPolicy.max_attempts` sends in all. Anything else is never re-sent:
  a RingOut POST or a token request that may have reached the server raises
  `NetworkError(may_have_reached_server=True)`.
- 401 on an authenticated request: `AuthHook.token_rejected` is asked once, and the request is
  sent once more with the new token. This is safe even for a RingOut POST, because a 401 means
  the platform refused it before doing anything. A second 401 raises `AuthenticationError`.
- Other 4xx are never retried.

What a server can cost the client, bounded per send:

- Time: `request_deadline` seconds (`DEFAULT_REQUEST_DEADLINE`) for the whole exchange, from
  sending to the last byte of the body. The httpx timeout bounds each read only, so a server that
  trickles a byte now and then would otherwise hold a request for ever. Passing the deadline counts
  as a network failure that may have reached the server, under the retry rules above.
- Memory: `max_response_bytes` (`DEFAULT_MAX_RESPONSE_BYTES`) for the body, both as it arrives and
  as it is decompressed, so neither a huge body nor a small gzip bomb is ever held whole. A body
  past the limit is a `MalformedResponse`.
- Belief: a `Retry-After` that is not a finite wait of at most `MAX_RETRY_AFTER` counts as missing,
  and ids the server hands out must be short tokens before they go into a path (see `models.py`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.utils
import importlib
import logging
import math
import time
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import httpx

from ringdesk import __version__
from ringdesk.errors import (
    AuthenticationError,
    MalformedResponse,
    NetworkError,
    RateLimited,
)
from ringdesk.platforms.base import AuthHook
from ringdesk.platforms.jsonread import read_object, read_opt_list
from ringdesk.platforms.oauth import TokenSet
from ringdesk.platforms.ringcentral.endpoints import ENDPOINTS, Endpoint
from ringdesk.platforms.ringcentral.errormap import error_from_response
from ringdesk.platforms.ringcentral.models import (
    CallLogRecord,
    CallSession,
    Device,
    DirectoryEntry,
    Extension,
    FeatureCallerId,
    ForwardingNumber,
    PhoneNumber,
    Presence,
    RingOutStatus,
    WsToken,
)
from ringdesk.platforms.ringcentral.ratelimit import RateLimitLedger

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_REQUEST_DEADLINE",
    "DEFAULT_TIMEOUT",
    "GRANT_AUTHORIZATION_CODE",
    "GRANT_JWT_BEARER",
    "GRANT_PASSWORD",
    "GRANT_REFRESH_TOKEN",
    "MAX_RETRY_AFTER",
    "PlatformClient",
    "RetryPolicy",
]

# httpx's first request loads anyio's asyncio backend, about 20 ms of imports. This module is
# imported by the worker that connects (`ringdesk.connection`), so the backend loads there too and
# the first request does not pause the window. (A private module: should anyio move it, the first
# request loads it as before.)
with contextlib.suppress(ImportError):
    importlib.import_module("anyio._backends._asyncio")

_log = logging.getLogger("ringdesk.platforms.ringcentral")

T = TypeVar("T")

GRANT_AUTHORIZATION_CODE = "authorization_code"
GRANT_REFRESH_TOKEN = "refresh_token"
GRANT_JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GRANT_PASSWORD = "password"

# Generous enough for a slow mobile link, short enough that a dead network is reported while the
# person is still looking at the screen.
DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
DEFAULT_USER_AGENT = f"RingDesk/{__version__}"
DEFAULT_REQUEST_DEADLINE = 60.0
"""Seconds one send may take in all, body included: a few slow reads, never an endless trickle."""
DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024
"""Largest body read, before and after decompression: the biggest page of records is far smaller."""
MAX_RETRY_AFTER = 3600.0
"""Longest `Retry-After` believed; the platform's penalties last seconds to minutes, never hours."""

_PER_PAGE = 100
# A guard against a server whose paging never ends: 100 pages of 100 is far beyond any extension.
_MAX_PAGES = 100
# A guard against waiting on the budget forever while other requests keep taking the slots.
_MAX_BUDGET_WAITS = 8


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 4
    """Sends of one re-send-safe request in all, the first included."""
    backoff_initial: float = 2.0
    backoff_max: float = 60.0
    max_rate_limit_wait: float = 60.0
    """Longest budget or penalty wait a re-send-safe request sits out before raising instead."""

    def backoff(self, failures: int) -> float:
        return float(min(self.backoff_max, self.backoff_initial * 2 ** max(0, failures - 1)))


FromSpec = Mapping[str, str] | ForwardingNumber | str


@dataclass(slots=True)
class _LogicalRequest:
    """One request as the caller asked for it, and what its sends so far have used up.

    It lives for one call of `PlatformClient._send`, however many times that sends, so the retry
    rules can count across sends: failures toward `RetryPolicy.max_attempts`, waits for the budget
    toward `_MAX_BUDGET_WAITS`, and the one token renewal a 401 may earn.
    """

    endpoint: Endpoint
    path: str
    auth: AuthHook | None
    params: Mapping[str, str] | None
    json_body: object
    form: Mapping[str, str] | None
    grant_type: str | None
    failures: int = 0
    budget_waits: int = 0
    token_renewed: bool = False
    replacement_token: str | None = None
    """The token the auth hook handed over after a 401, for the next send only."""

    @property
    def method(self) -> str:
        return self.endpoint.method


class PlatformClient:
    """One connection pool to one platform server, for one app (client id).

    Use as `async with PlatformClient(...) as client:` or call `aclose()` when done.
    `transport` is for tests and request validation; `clock` (monotonic) drives the rate-limit
    ledger, `wall_clock` (epoch seconds) stamps token sets so they can be stored and reloaded,
    and `sleep` is what waits; tests inject fakes for all three.
    """

    def __init__(
        self,
        server_url: str,
        client_id: str,
        *,
        client_secret: str | None = None,
        auth: AuthHook | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        user_agent: str = DEFAULT_USER_AGENT,
        retry: RetryPolicy | None = None,
        ledger: RateLimitLedger | None = None,
        request_deadline: float = DEFAULT_REQUEST_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        parts = urlsplit(server_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"server URL must be an http(s) URL, got {server_url!r}")
        if not client_id:
            raise ValueError("client id is empty")
        if not request_deadline > 0 or max_response_bytes <= 0:
            raise ValueError("the request deadline and the response size limit must be positive")
        self._server_url = server_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret or None
        self.auth = auth
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._retry = retry or RetryPolicy()
        self._ledger = ledger or RateLimitLedger(clock)
        self._request_deadline = request_deadline
        self._max_response_bytes = max_response_bytes
        self._http = httpx.AsyncClient(
            base_url=self._server_url,
            transport=transport,
            timeout=timeout,
            # Only the encodings `_read_body` can inflate within the size limit.
            headers={"User-Agent": user_agent, "Accept": "application/json", "Accept-Encoding": "gzip"},
            # The platform never redirects API calls; following one could carry the bearer token
            # to another host.
            follow_redirects=False,
        )

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def closed(self) -> bool:
        return self._http.is_closed

    # ------------------------------------------------------------------ facts

    @property
    def server_url(self) -> str:
        return self._server_url

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def confidential(self) -> bool:
        return self._client_secret is not None

    @property
    def ledger(self) -> RateLimitLedger:
        return self._ledger

    def group_of(self, operation: str) -> str:
        """The rate-limit group of an operation by name (`"ringout_create"` -> `"Heavy"`)."""
        endpoint = ENDPOINTS[operation]
        return self._ledger.group_of(endpoint.name, endpoint.group)

    def next_send_in(self, group: str) -> float:
        """Seconds until a request of `group` may be sent (0.0 = now), e.g. for a countdown."""
        return self._ledger.next_send_in(group)

    def __repr__(self) -> str:
        kind = "confidential" if self.confidential else "public"
        return f"PlatformClient({self._server_url!r}, {kind})"

    # ------------------------------------------------------------------ OAuth

    def authorize_url(self, redirect_uri: str, state: str, code_challenge: str, **extra: str | None) -> str:
        """The sign-in page URL (authorization code with PKCE S256).

        `extra` adds optional parameters such as `prompt`, `ui_locales`, `login_hint`,
        `brand_id`, `scope`; None values are left out.
        """
        params: dict[str, str] = {
            "response_type": "code",
            "client_id": self._client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        params.update({key: value for key, value in extra.items() if value is not None})
        return f"{self._server_url}/restapi/oauth/authorize?{urlencode(params)}"

    async def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        return await self._token_request(
            GRANT_AUTHORIZATION_CODE,
            {"code": code, "redirect_uri": redirect_uri, "code_verifier": code_verifier},
        )

    async def refresh_tokens(self, refresh_token: str) -> TokenSet:
        """Trade a refresh token for new tokens. The old ones stop working (rotation).

        Never re-sent automatically: if the answer is lost, the refresh token may be used up.
        `OAuthError.refresh_token_dead` tells that signing in again is the only way on.
        """
        return await self._token_request(GRANT_REFRESH_TOKEN, {"refresh_token": refresh_token})

    async def login_jwt(self, assertion: str) -> TokenSet:
        return await self._token_request(GRANT_JWT_BEARER, {"assertion": assertion})

    async def login_password(self, username: str, extension: str | None, password: str) -> TokenSet:
        """The legacy password grant, which the platform is retiring."""
        form = {"username": username, "password": password}
        if extension:
            form["extension"] = extension
        return await self._token_request(GRANT_PASSWORD, form)

    async def revoke(self, token: str) -> None:
        """End the whole session the token belongs to (access or refresh token)."""
        await self._send(ENDPOINTS["revoke"], form=self._client_form({"token": token}))

    # ------------------------------------------------------------------ the operator's account

    async def get_extension(self) -> Extension:
        response = await self._send(ENDPOINTS["extension"])
        return self._parse(response, Extension.from_json)

    async def list_forwarding_numbers(self) -> list[ForwardingNumber]:
        return await self._list_all(ENDPOINTS["forwarding_numbers"], ForwardingNumber.from_json)

    async def list_phone_numbers(self) -> list[PhoneNumber]:
        return await self._list_all(ENDPOINTS["phone_numbers"], PhoneNumber.from_json)

    async def get_caller_ids(self) -> list[FeatureCallerId]:
        """What each feature (RingOut among them) shows as caller ID when none is named."""
        response = await self._send(ENDPOINTS["caller_id"])
        return self._parse(response, FeatureCallerId.list_from_json)

    async def list_directory(self) -> list[DirectoryEntry]:
        """The whole company directory, a thousand entries a request (the Medium group allows 40
        a minute, so even a large company's directory takes a few of them)."""
        return await self._list_all(ENDPOINTS["directory"], DirectoryEntry.from_json, per_page=1000)

    async def list_devices(self) -> list[Device]:
        return await self._list_all(ENDPOINTS["devices"], Device.from_json)

    async def get_ws_token(self) -> WsToken:
        """A token to open the push gateway's WebSocket with, and the gateway's address."""
        response = await self._send(ENDPOINTS["ws_token"])
        return self._parse(response, WsToken.from_json)

    async def get_presence(self, detailed: bool = True) -> Presence:
        params = {"detailedTelephonyState": "true"} if detailed else None
        response = await self._send(ENDPOINTS["presence"], params=params)
        return self._parse(response, Presence.from_json)

    async def list_call_log(
        self, *, date_from: str, date_to: str, direction: str | None = None, per_page: int = 100
    ) -> list[CallLogRecord]:
        """The extension's call log between two ISO 8601 instants, newest first: one page only.

        The call log is in the Heavy group, which placing calls shares, so it is read once per
        question rather than paged through; a narrow time window keeps what is asked for small.
        """
        params = {"dateFrom": date_from, "dateTo": date_to, "view": "Simple", "perPage": str(per_page)}
        if direction is not None:
            params["direction"] = direction

        def read_records(data: object) -> list[CallLogRecord]:
            records, _more = _page_of(data, "call log", 1)
            return [CallLogRecord.from_json(record) for record in records]

        response = await self._send(ENDPOINTS["call_log"], params=params)
        return self._parse(response, read_records)

    # ------------------------------------------------------------------ RingOut and call control

    async def create_ringout(
        self,
        from_: FromSpec,
        to: str,
        caller_id: str | None = None,
        play_prompt: bool = False,
        country_id: str | None = None,
    ) -> RingOutStatus:
        """Place a RingOut: the platform rings `from_` (the operator), then `to`.

        `from_` is a `ForwardingNumber`, a `{"forwardingNumberId": ...}` or
        `{"phoneNumber": ...}` mapping, or a phone number string. Never re-sent automatically.
        """
        body: dict[str, Any] = {
            "from": _from_object(from_),
            "to": {"phoneNumber": to},
            "playPrompt": play_prompt,
        }
        if caller_id:
            body["callerId"] = {"phoneNumber": caller_id}
        if country_id:
            body["country"] = {"id": country_id}
        response = await self._send(ENDPOINTS["ringout_create"], json_body=body)
        return self._parse(response, RingOutStatus.from_json)

    async def get_ringout(self, ringout_id: str) -> RingOutStatus:
        response = await self._send(ENDPOINTS["ringout_status"], path_id=ringout_id)
        return self._parse(response, RingOutStatus.from_json)

    async def cancel_ringout(self, ringout_id: str) -> None:
        """Cancel a RingOut that has not connected yet (after that, use `hang_up`)."""
        self._expect_no_content(await self._send(ENDPOINTS["ringout_cancel"], path_id=ringout_id))

    async def get_telephony_session(self, telephony_session_id: str) -> CallSession:
        response = await self._send(ENDPOINTS["session_get"], path_id=telephony_session_id)
        return self._parse(response, CallSession.from_json)

    async def hang_up(self, telephony_session_id: str) -> None:
        """End a connected call through Call Control (needs the `CallControl` app permission)."""
        self._expect_no_content(await self._send(ENDPOINTS["session_delete"], path_id=telephony_session_id))

    # ------------------------------------------------------------------ request building

    async def _token_request(self, grant_type: str, fields: Mapping[str, str]) -> TokenSet:
        # Stamped before sending: the server starts the token's clock when it answers, so the
        # lifetime we compute is never longer than the real one.
        issued_at = self._wall_clock()
        form = self._client_form({"grant_type": grant_type, **fields})
        response = await self._send(ENDPOINTS["token"], form=form, grant_type=grant_type)
        return self._parse(response, lambda data: TokenSet.from_json(data, issued_at=issued_at))

    def _client_form(self, fields: Mapping[str, str]) -> dict[str, str]:
        form = dict(fields)
        if self._client_secret is None:
            # Public clients identify themselves in the body and send no Authorization header.
            form["client_id"] = self._client_id
        return form

    def _client_auth_header(self) -> dict[str, str]:
        if self._client_secret is None:
            return {}
        pair = f"{self._client_id}:{self._client_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    async def _list_all(
        self, endpoint: Endpoint, parse: Callable[[object], T], *, per_page: int = _PER_PAGE
    ) -> list[T]:
        items: list[T] = []
        for page in range(1, _MAX_PAGES + 1):
            response = await self._send(endpoint, params={"page": str(page), "perPage": str(per_page)})

            def read_page(data: object, page: int = page) -> tuple[list[T], bool]:
                records, more = _page_of(data, endpoint.name, page)
                return [parse(record) for record in records], more

            page_items, more = self._parse(response, read_page)
            items.extend(page_items)
            if not page_items or not more:
                break
        else:
            _log.warning("%s: stopped after %d pages", endpoint.name, _MAX_PAGES)
        return items

    def _expect_no_content(self, response: httpx.Response) -> None:
        """The platform answers these with 204 and no body; anything else it says must at least be
        JSON. A body that is not is an answer nobody can trust, not a "done" (a gateway in front of
        the platform may have sent it without the platform doing anything)."""
        if response.status_code != 204 and response.content.strip():
            self._parse(response, lambda data: data)

    def _parse(self, response: httpx.Response, parse: Callable[[object], T]) -> T:
        """Decode JSON and parse it; every failure becomes `MalformedResponse` with context."""
        request = response.request
        try:
            data = response.json()
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            content_type = response.headers.get("Content-Type", "unknown")
            raise MalformedResponse(
                f"body is not JSON (Content-Type {content_type}, {len(response.content)} bytes)",
                status=response.status_code,
                method=request.method,
                path=request.url.path,
            ) from exc
        try:
            return parse(data)
        except MalformedResponse as exc:
            exc.status = response.status_code
            exc.method = request.method
            exc.path = request.url.path
            raise
        except (ArithmeticError, ValueError, TypeError) as exc:
            # A value the readers let through that its field cannot hold (an `expires_in` of 1e999).
            raise MalformedResponse(
                f"unusable value: {type(exc).__name__}: {exc}",
                status=response.status_code,
                method=request.method,
                path=request.url.path,
            ) from exc

    # ------------------------------------------------------------------ the core

    async def _send(
        self,
        endpoint: Endpoint,
        *,
        path_id: str | None = None,
        params: Mapping[str, str] | None = None,
        json_body: object = None,
        form: Mapping[str, str] | None = None,
        grant_type: str | None = None,
    ) -> httpx.Response:
        """Send one logical request, as often as the retry rules allow (see the module doc); 2xx or raise.

        Each turn of the loop is one send: wait for the rate-limit budget, build the request with the
        current token, send it, then return the 2xx response, raise a typed error, or go round again.
        """
        request = self._start_request(endpoint, path_id, params, json_body, form, grant_type)
        while True:
            group = await self._wait_for_budget(request)
            outgoing, token = await self._build_request(request)
            # Counted before sending: a request that fails on the way may still have arrived.
            self._ledger.record_sent(group)
            started = self._clock()
            try:
                response = await self._exchange(outgoing, request)
            except httpx.TransportError as exc:
                await self._retry_or_raise_transport_error(request, exc, group, started)
                continue
            group = self._learn_from_response(request, response, group, started)
            if response.is_success:
                return response
            await self._retry_or_raise_status(request, response, token, group)

    async def _exchange(self, outgoing: httpx.Request, request: _LogicalRequest) -> httpx.Response:
        """Send one request and read its whole body, within the request deadline and the size limit.

        The deadline covers sending and every read together, because httpx bounds each read alone
        and a server may trickle a byte per read for ever. Passing it raises `_DeadlinePassed`, which
        the retry rules treat as a read timeout: the request may have reached the server.
        """
        try:
            async with asyncio.timeout(self._request_deadline):
                response = await self._http.send(outgoing, stream=True)
                try:
                    body = await _read_body(response, self._max_response_bytes)
                except MalformedResponse as exc:
                    exc.status = response.status_code
                    exc.method = request.method
                    exc.path = request.path
                    raise
                finally:
                    await response.aclose()
        except TimeoutError as exc:
            raise _DeadlinePassed(
                f"no complete answer within {self._request_deadline:g} s", request=outgoing
            ) from exc
        if body is None:
            return response
        # The body is decoded now, so the headers that described its encoding no longer apply.
        headers = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(response.status_code, headers=headers, content=body, request=outgoing)

    def _start_request(
        self,
        endpoint: Endpoint,
        path_id: str | None,
        params: Mapping[str, str] | None,
        json_body: object,
        form: Mapping[str, str] | None,
        grant_type: str | None,
    ) -> _LogicalRequest:
        """The request `_send` works on: its path with the id filled in, and the auth hook to use.

        An authenticated request without a hook fails here, before anything is counted or sent:
        with no one signed in there is no token to send.
        """
        path = endpoint.path
        if "{id}" in path:
            if not path_id:
                raise ValueError(f"{endpoint.name} needs an id")
            path = path.replace("{id}", quote(path_id, safe=""))
        # Taken once, so that a sign-out swapping the hook mid-request cannot mix two sessions.
        auth = self.auth if endpoint.authenticated else None
        if endpoint.authenticated and auth is None:
            raise AuthenticationError(
                "You are not signed in. Please sign in.", method=endpoint.method, path=path
            )
        return _LogicalRequest(endpoint, path, auth, params, json_body, form, grant_type)

    async def _wait_for_budget(self, request: _LogicalRequest) -> str:
        """The rate-limit group to send in, once the ledger says it may send now.

        Only a re-send-safe request waits, and only for a short wait (`max_rate_limit_wait`) and a
        bounded number of times (`_MAX_BUDGET_WAITS`, as other requests may keep taking the freed
        slots). Anything else raises `RateLimited(sent=False)`: nothing of a group is ever sent
        during its penalty or past its limit, because that would restart or earn a penalty.
        """
        policy = self._retry
        while True:
            group = self._ledger.group_of(request.endpoint.name, request.endpoint.group)
            wait = self._ledger.next_send_in(group)
            if wait <= 0:
                return group
            if (
                not request.endpoint.resend_safe
                or wait > policy.max_rate_limit_wait
                or request.budget_waits >= _MAX_BUDGET_WAITS
            ):
                _log.info(
                    "%s %s held back: %s budget, next send in %.1f s",
                    request.method,
                    request.path,
                    group,
                    wait,
                )
                raise RateLimited(
                    retry_after=wait, group=group, sent=False, method=request.method, path=request.path
                )
            request.budget_waits += 1
            _log.info("%s %s waits %.1f s for the %s budget", request.method, request.path, wait, group)
            await self._sleep(wait)

    async def _build_request(self, request: _LogicalRequest) -> tuple[httpx.Request, str | None]:
        """The HTTP request for one send, and the bearer token it carries (None when it carries none).

        The token is asked for on every send rather than once, so a re-send after a long wait goes
        with whatever token is current; only a replacement handed over after a 401 is used as is.
        The OAuth endpoints carry the app's own credentials instead, when it has a secret.
        """
        headers: dict[str, str] = {}
        token: str | None = None
        if request.auth is not None:
            token = request.replacement_token or await request.auth.access_token()
            request.replacement_token = None
            headers["Authorization"] = f"Bearer {token}"
        elif request.endpoint.oauth:
            headers.update(self._client_auth_header())
        outgoing = self._http.build_request(
            request.method,
            request.path,
            params=request.params,
            json=request.json_body,
            data=request.form,
            headers=headers,
        )
        return outgoing, token

    def _learn_from_response(
        self, request: _LogicalRequest, response: httpx.Response, group: str, started: float
    ) -> str:
        """Feed the response's rate-limit headers to the ledger and log the exchange; returns the group.

        The group is the one the server names, which may differ from the static table's: the next
        send of this request, and any penalty this response brings, belong to the server's group.
        """
        group = self._ledger.observe(request.endpoint.name, group, response.headers)
        status = response.status_code
        _log.log(
            logging.DEBUG if status < 400 else logging.INFO,
            "%s %s -> %d [%s] %.0f ms",
            request.method,
            request.path,
            status,
            group,
            self._elapsed_ms(started),
        )
        return group

    async def _retry_or_raise_transport_error(
        self, request: _LogicalRequest, exc: httpx.TransportError, group: str, started: float
    ) -> None:
        """Return, after the backoff, when the request may be sent again; raise `NetworkError` if not.

        The error says whether the request may have reached the server: only a failure before the
        connection existed proves it did not, and a request that may have arrived may have done its
        work (placed a call), so whoever handles the error must not take it as unsent.
        """
        elapsed_ms = self._elapsed_ms(started)
        if self._may_resend(request):
            delay = self._retry.backoff(request.failures)
            _log.info(
                "%s %s failed (%s) after %.0f ms [%s]; retry %d in %.0f s",
                request.method,
                request.path,
                type(exc).__name__,
                elapsed_ms,
                group,
                request.failures,
                delay,
            )
            await self._sleep(delay)
            return
        reached = _may_have_reached_server(exc)
        _log.warning(
            "%s %s failed (%s) after %.0f ms [%s]; %s",
            request.method,
            request.path,
            type(exc).__name__,
            elapsed_ms,
            group,
            "may have reached the server" if reached else "did not reach the server",
        )
        raise NetworkError(
            _deadline_sentence(self._request_deadline) if isinstance(exc, _DeadlinePassed) else None,
            may_have_reached_server=reached,
            detail=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
            method=request.method,
            path=request.path,
        ) from exc

    async def _retry_or_raise_status(
        self, request: _LogicalRequest, response: httpx.Response, token: str | None, group: str
    ) -> None:
        """Return when a non-2xx response is worth sending the request again; raise its typed error if not.

        - 401: once per request, with the token the auth hook hands back (see `_renew_token`).
        - 429 and 503: the group is penalised for `Retry-After` (honoured as seconds or an HTTP date);
          a re-send-safe request goes again when the penalty is short, and the budget check before
          the next send sits it out. Otherwise the error carries `retry_after`.
        - Other 5xx: a re-send-safe request goes again after the backoff.
        - Other statuses (4xx) are final: the same request would get the same answer.
        """
        status = response.status_code
        if status == 401 and await self._renew_token(request, token):
            return
        retry_after: float | None = None
        if status in (429, 503):
            retry_after = self._ledger.penalize(group, _retry_after(response.headers, self._wall_clock))
            if self._may_resend(request) and retry_after <= self._retry.max_rate_limit_wait:
                _log.info(
                    "%s %s: %d, %s penalty %.0f s, then retry",
                    request.method,
                    request.path,
                    status,
                    group,
                    retry_after,
                )
                return
        elif status >= 500 and self._may_resend(request):
            delay = self._retry.backoff(request.failures)
            _log.info(
                "%s %s: %d; retry %d in %.0f s", request.method, request.path, status, request.failures, delay
            )
            await self._sleep(delay)
            return
        raise error_from_response(
            status,
            response.content,
            oauth=request.endpoint.oauth,
            grant_type=request.grant_type,
            group=group,
            retry_after=retry_after,
            request_id=response.headers.get("RCRequestId"),
            method=request.method,
            path=request.path,
        )

    async def _renew_token(self, request: _LogicalRequest, rejected: str | None) -> bool:
        """Whether a 401 earns one more send, with a new token from the auth hook.

        Asked at most once per request: a second 401 means the new token is refused too, and the
        hook, not the client, decides how to get another. Safe even for a RingOut POST, because a
        401 means the platform refused the request before doing anything. A hook that hands back
        the rejected token, or none, has nothing better, so the 401 stands.
        """
        if request.auth is None or rejected is None or request.token_renewed:
            return False
        request.token_renewed = True
        replacement = await request.auth.token_rejected(rejected)
        if not replacement or replacement == rejected:
            return False
        request.replacement_token = replacement
        return True

    def _may_resend(self, request: _LogicalRequest) -> bool:
        """Count one failed send (5xx, 429, or a transport error) and say whether another may follow.

        Only a re-send-safe request is ever sent again (see `endpoints.py`: never a RingOut POST or
        a token request, which could do their work twice), and in at most `RetryPolicy.max_attempts`
        sends in all, so a server that keeps failing is reported while the person still waits.
        """
        request.failures += 1
        return request.endpoint.resend_safe and request.failures < self._retry.max_attempts

    def _elapsed_ms(self, started: float) -> float:
        return (self._clock() - started) * 1000


# ---------------------------------------------------------------------- helpers


def _from_object(from_: FromSpec) -> dict[str, str]:
    if isinstance(from_, ForwardingNumber):
        return from_.ringout_from()
    if isinstance(from_, str):
        if not from_:
            raise ValueError("the phone to ring first is empty")
        return {"phoneNumber": from_}
    chosen = {
        key: value for key, value in from_.items() if key in ("phoneNumber", "forwardingNumberId") and value
    }
    if len(chosen) != 1:
        raise ValueError("RingOut 'from' needs exactly one of phoneNumber or forwardingNumberId")
    return chosen


def _may_have_reached_server(exc: httpx.TransportError) -> bool:
    # Only failures before a connection exists prove the request never left; a broken read or
    # a read timeout may come after the server acted on it.
    return not isinstance(
        exc,
        httpx.ConnectError
        | httpx.ConnectTimeout
        | httpx.PoolTimeout
        | httpx.ProxyError
        | httpx.UnsupportedProtocol,
    )


class _DeadlinePassed(httpx.ReadTimeout):
    """The whole exchange took longer than the request deadline, however quick each read was."""


def _deadline_sentence(deadline: float) -> str:
    return (
        f"The phone service did not finish answering within {deadline:g} seconds; the request may or "
        "may not have gone through."
    )


async def _read_body(response: httpx.Response, limit: int) -> bytes | None:
    """The body, decompressed, read as it streams in and abandoned as soon as it passes `limit` bytes.

    Both what arrives and what it inflates to count against the limit, and each piece is inflated
    only as far as the limit allows, so a small gzip bomb costs at most `limit` bytes of memory.
    None when a transport that builds responses in memory (a test double) has already read it,
    after checking its size.
    """
    if response.is_stream_consumed:
        if len(response.content) > limit:
            raise MalformedResponse(f"body larger than {limit} bytes")
        return None
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    inflater = None
    if encoding in ("gzip", "x-gzip", "deflate"):
        # 32 added to the window bits: zlib reads the gzip or the zlib header, whichever is there.
        inflater = zlib.decompressobj(32 + zlib.MAX_WBITS)
    elif encoding not in ("", "identity"):
        raise MalformedResponse(f"body in an encoding that was not asked for ({encoding!r})")
    received = 0
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_raw():
            received += len(chunk)
            piece = chunk if inflater is None else inflater.decompress(chunk, limit - size + 1)
            size += len(piece)
            if received > limit or size > limit:
                raise MalformedResponse(f"body larger than {limit} bytes")
            parts.append(piece)
        if inflater is not None:
            tail = inflater.flush()
            size += len(tail)
            if size > limit:
                raise MalformedResponse(f"body larger than {limit} bytes")
            parts.append(tail)
    except zlib.error as exc:
        raise MalformedResponse(f"body could not be decompressed: {exc}") from exc
    return b"".join(parts)


def _retry_after(headers: httpx.Headers, wall_clock: Callable[[], float]) -> float | None:
    """The wait `Retry-After` asks for (seconds or an HTTP date), or None when it is missing or nonsense.

    Nonsense is anything that is not a finite wait of at most `MAX_RETRY_AFTER`: a negative or
    infinite number, a date hours away. Believed, it would hold every request of the group for
    ever and show the person a countdown of billions of seconds; as missing, it earns the
    platform's documented default instead.
    """
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            return None
        # A date already past asks for no wait at all.
        seconds = max(0.0, when.timestamp() - wall_clock())
    if not math.isfinite(seconds) or not 0.0 <= seconds <= MAX_RETRY_AFTER:
        return None
    return seconds


def _page_of(data: object, what: str, page: int) -> tuple[list[object], bool]:
    """The records of one page, and whether the platform says another page follows."""
    where = f"{what} page {page}"
    obj = read_object(data, where)
    records = read_opt_list(obj, "records", where)
    navigation = obj.get("navigation")
    if isinstance(navigation, Mapping) and isinstance(navigation.get("nextPage"), Mapping):
        return records, True
    paging = obj.get("paging")
    if isinstance(paging, Mapping):
        total_pages = paging.get("totalPages")
        if isinstance(total_pages, int) and not isinstance(total_pages, bool):
            return records, page < total_pages
    return records, False
