"""The error taxonomy every layer of RingDesk raises, and the one sink that reports errors.

Every error carries `user_message`: one sentence a person can act on. View models show it as is;
logs get `str(error)`, which adds the technical detail (HTTP status, platform error code, the
server's own text) but never a token, because no layer puts one into an error.

Platform errors are built from responses by the platform packages (`ringdesk.platforms.*`);
nothing else parses error bodies, and only the platform package knows what its error codes mean,
so it picks the sentence for a code when it builds the error. Callers branch on the class and on
`error_code` (the platform's stable code such as `TEL-109`), never on message text, which the
platform may change at any time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict, Unpack

__all__ = [
    "ApiError",
    "ApiErrorFields",
    "AuthenticationError",
    "ErrorDetail",
    "InvalidRequest",
    "MalformedResponse",
    "NetworkError",
    "NotFound",
    "OAuthError",
    "PermissionDenied",
    "RateLimited",
    "RingDeskError",
    "ServerError",
    "api_error_for_status",
    "report",
]


class RingDeskError(Exception):
    """Base of every error RingDesk raises on purpose."""

    default_user_message = "Something went wrong."

    def __init__(self, user_message: str | None = None, *, detail: str | None = None) -> None:
        self.user_message = user_message or self.default_user_message
        # `detail` is for logs and bug reports: technical, never shown as the main sentence.
        self.detail = detail
        super().__init__(user_message or self.default_user_message)

    def __str__(self) -> str:
        if self.detail:
            return f"{self.user_message} ({self.detail})"
        return self.user_message


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One entry of the platform's `errors` array."""

    error_code: str | None
    message: str | None
    parameter_name: str | None = None


class ApiErrorFields(TypedDict, total=False):
    """The technical fields every `ApiError` takes, passed through by the subclasses."""

    status: int | None
    error_code: str | None
    message: str | None
    parameter_name: str | None
    errors: Sequence[ErrorDetail]
    request_id: str | None
    method: str | None
    path: str | None


class ApiError(RingDeskError):
    """The platform answered, and the answer was an error (or unusable).

    `status` is the HTTP status (None when no response was involved, for example a request
    that the client refused to send); `error_code` the platform's code (`CMN-102`, `OAU-128`);
    `message` the server's own text; `parameter_name` the request field it blamed, if any.
    Without a `user_message` (the platform package passes its sentence for the code) the
    class's default sentence is shown.
    """

    default_user_message = "The phone service could not complete the request."

    def __init__(
        self,
        user_message: str | None = None,
        *,
        status: int | None = None,
        error_code: str | None = None,
        message: str | None = None,
        parameter_name: str | None = None,
        errors: Sequence[ErrorDetail] = (),
        request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.message = message
        self.parameter_name = parameter_name
        self.errors = tuple(errors)
        # The platform's `RCRequestId`: what its support asks for when something is odd.
        self.request_id = request_id
        self.method = method
        self.path = path
        super().__init__(user_message)

    def __str__(self) -> str:
        parts: list[str] = []
        if self.method and self.path:
            parts.append(f"{self.method} {self.path}")
        if self.status is not None:
            parts.append(str(self.status))
        if self.error_code:
            parts.append(self.error_code)
        if self.parameter_name:
            parts.append(f"parameter {self.parameter_name}")
        if self.message:
            parts.append(repr(self.message))
        if self.request_id:
            parts.append(f"request {self.request_id}")
        if self.detail:
            parts.append(self.detail)
        technical = ", ".join(parts)
        return f"{self.user_message} ({technical})" if technical else self.user_message


class AuthenticationError(ApiError):
    """The platform does not accept our access token (401), or there is no token at all."""

    default_user_message = "Your sign-in is no longer valid. Please sign in again."


class OAuthError(ApiError):
    """The token endpoint (or revoke) refused a request.

    `oauth_error` is the RFC 6749 code (`invalid_grant`, `invalid_client`...), `grant_type`
    the grant we asked for. `refresh_token_dead` is the one question the session asks: true
    means retrying cannot help and the person has to sign in again.
    """

    default_user_message = "Signing in did not work."

    def __init__(
        self,
        user_message: str | None = None,
        *,
        oauth_error: str | None = None,
        oauth_description: str | None = None,
        grant_type: str | None = None,
        **kwargs: Unpack[ApiErrorFields],
    ) -> None:
        self.oauth_error = oauth_error
        self.oauth_description = oauth_description
        self.grant_type = grant_type
        if user_message is None:
            user_message = _oauth_user_message(oauth_error, grant_type, kwargs.get("status"))
        super().__init__(user_message, **kwargs)

    @property
    def refresh_token_dead(self) -> bool:
        # The platform answers a used, revoked or expired refresh token with 400/invalid_grant;
        # any 400 on a refresh means the same thing for us: do not retry, sign in again.
        if self.grant_type != "refresh_token":
            return False
        return self.status == 400 or self.oauth_error == "invalid_grant"

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} [oauth {self.oauth_error}]" if self.oauth_error else base


class PermissionDenied(ApiError):
    """403: the app or the user lacks a permission, or a feature is off."""

    default_user_message = "You do not have permission to do this."


class NotFound(ApiError):
    """404: the resource does not exist (any more)."""

    default_user_message = "The item was not found on the phone service."


class InvalidRequest(ApiError):
    """400, 409, 415, 422 outside OAuth: the platform refused what we sent."""

    default_user_message = "The phone service did not accept the request."


class RateLimited(ApiError):
    """Too many requests: a 429 from the platform, or our own ledger refusing to send.

    `retry_after` is in seconds from when the error was raised; `group` is the platform's
    rate-limit group (`Heavy`, `Light`...); `sent` tells whether a request went out (False
    when the client kept it back because the group's budget or penalty forbade sending).
    """

    def __init__(
        self,
        user_message: str | None = None,
        *,
        retry_after: float,
        group: str | None,
        sent: bool,
        **kwargs: Unpack[ApiErrorFields],
    ) -> None:
        self.retry_after = max(0.0, retry_after)
        self.group = group
        self.sent = sent
        if user_message is None:
            user_message = (
                f"Too many requests in a short time; RingDesk can try again in {_seconds(self.retry_after)}."
            )
        super().__init__(user_message, **kwargs)

    def __str__(self) -> str:
        state = "sent" if self.sent else "not sent"
        return f"{super().__str__()} [group {self.group}, retry after {self.retry_after:.1f} s, {state}]"


class ServerError(ApiError):
    """5xx: the platform failed. `retry_after` is set when it said how long to wait."""

    default_user_message = "The phone service is having trouble right now. Please try again in a moment."

    def __init__(
        self,
        user_message: str | None = None,
        *,
        retry_after: float | None = None,
        **kwargs: Unpack[ApiErrorFields],
    ) -> None:
        self.retry_after = retry_after
        super().__init__(user_message, **kwargs)


class MalformedResponse(ApiError):
    """The platform answered something we cannot read: not JSON, or JSON of the wrong shape."""

    default_user_message = "The phone service sent a reply RingDesk could not understand."

    def __init__(self, detail: str, **kwargs: Unpack[ApiErrorFields]) -> None:
        super().__init__(self.default_user_message, **kwargs)
        self.detail = detail


class NetworkError(RingDeskError):
    """No usable answer: could not connect, timed out, or the connection broke.

    `may_have_reached_server` is the question that matters for anything that changes state:
    when true, the request may have been carried out (a call may be ringing), so it must not be
    sent again blindly.
    """

    def __init__(
        self,
        user_message: str | None = None,
        *,
        may_have_reached_server: bool,
        detail: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.may_have_reached_server = may_have_reached_server
        self.method = method
        self.path = path
        if user_message is None:
            user_message = (
                "The connection broke before the phone service answered; the request may or may "
                "not have gone through."
                if may_have_reached_server
                else "Cannot reach the phone service. Check your internet connection."
            )
        where = f"{method} {path}" if method and path else None
        parts = [part for part in (where, detail) if part]
        super().__init__(user_message, detail=": ".join(parts) or None)


_OAUTH_MESSAGES: dict[str, str] = {
    "invalid_grant": "Your sign-in is no longer valid. Please sign in again.",
    "invalid_client": (
        "The phone service did not accept RingDesk's app credentials; check the connection settings."
    ),
    "unauthorized_client": "This app is not allowed to sign in this way; check the connection settings.",
    "unsupported_grant_type": "The phone service does not allow this way of signing in for this app.",
    "invalid_scope": "The app asked for permissions the phone service did not grant.",
    "access_denied": "Sign-in was denied.",
    "invalid_request": "The phone service did not accept the sign-in request.",
}


def _oauth_user_message(oauth_error: str | None, grant_type: str | None, status: object) -> str:
    if grant_type == "refresh_token" and (status == 400 or oauth_error == "invalid_grant"):
        return "Your sign-in has ended. Please sign in again."
    if grant_type == "password" and oauth_error == "invalid_grant":
        return "The user name, extension or password is not correct."
    if grant_type == "urn:ietf:params:oauth:grant-type:jwt-bearer" and oauth_error == "invalid_grant":
        return "The JWT credential was not accepted; it may have expired or been revoked."
    if grant_type == "authorization_code" and oauth_error == "invalid_grant":
        return "The sign-in took too long or was already used. Please try again."
    return _OAUTH_MESSAGES.get(oauth_error or "", OAuthError.default_user_message)


_STATUS_CLASSES: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: InvalidRequest,
    415: InvalidRequest,
    422: InvalidRequest,
}


def api_error_for_status(status: int) -> type[ApiError]:
    """The class for a non-2xx status outside OAuth and rate limiting."""
    if status >= 500:
        return ServerError
    return _STATUS_CLASSES.get(status, ApiError)


def _seconds(value: float) -> str:
    whole = max(1, round(value))
    return "1 second" if whole == 1 else f"{whole} seconds"


_report_logger = logging.getLogger("ringdesk.errors")


def report(error: BaseException, *, context: str | None = None, logger: logging.Logger | None = None) -> str:
    """Log `error` once, with its traceback when it is not one of ours, and return the sentence to show.

    The one sink for errors that end a user action: view models call it and show what it returns.
    Expected failures (a rate limit, a dropped connection) are logged as warnings without a
    traceback; anything else is a bug and gets one.
    """
    log = logger or _report_logger
    where = f"{context}: " if context else ""
    if isinstance(error, RingDeskError):
        log.warning("%s%s: %s", where, type(error).__name__, error)
        return error.user_message
    log.error("%sunexpected %s", where, type(error).__name__, exc_info=error)
    return RingDeskError.default_user_message
