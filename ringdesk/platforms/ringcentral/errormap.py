"""Turn an error response into the right `ringdesk.errors` exception.

The platform sends errors in three shapes, sometimes mixed:

    {"errors": [{"errorCode": "TEL-109", "message": "...", "parameterName": "to.phoneNumber"}]}
    {"errorCode": "CMN-102", "message": "...", "errors": [...]}              (older endpoints)
    {"error": "invalid_grant", "error_description": "...", "errors": [...]}  (OAuth)

and proxies in front of it send HTML pages or nothing at all. Whatever arrives, the result is
an `ApiError` subclass with the status, the first error code found and a sentence for a person:
the code's sentence from `codes` where it has one, else the class's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ringdesk.errors import (
    ApiError,
    ApiErrorFields,
    ErrorDetail,
    OAuthError,
    RateLimited,
    ServerError,
    api_error_for_status,
)
from ringdesk.platforms.ringcentral.codes import error_code_sentence

__all__ = ["ParsedErrorBody", "error_from_response", "parse_error_body"]


class ParsedErrorBody:
    __slots__ = ("details", "error_code", "message", "oauth_description", "oauth_error", "parameter_name")

    def __init__(self) -> None:
        self.error_code: str | None = None
        self.message: str | None = None
        self.parameter_name: str | None = None
        self.oauth_error: str | None = None
        self.oauth_description: str | None = None
        self.details: list[ErrorDetail] = []


def parse_error_body(body: bytes) -> ParsedErrorBody:
    """Read whatever of the known shapes is there; never raises."""
    parsed = ParsedErrorBody()
    if not body.strip():
        return parsed
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return parsed
    if not isinstance(data, Mapping):
        return parsed

    errors = data.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, Mapping):
                parsed.details.append(
                    ErrorDetail(
                        error_code=_text(item.get("errorCode")),
                        message=_text(item.get("message")),
                        parameter_name=_text(item.get("parameterName")),
                    )
                )
    first = parsed.details[0] if parsed.details else None
    parsed.error_code = _text(data.get("errorCode")) or (first.error_code if first else None)
    parsed.message = _text(data.get("message")) or (first.message if first else None)
    parsed.parameter_name = _text(data.get("parameterName")) or (first.parameter_name if first else None)
    parsed.oauth_error = _text(data.get("error"))
    parsed.oauth_description = _text(data.get("error_description"))
    if parsed.message is None:
        parsed.message = parsed.oauth_description
    return parsed


def error_from_response(
    status: int,
    body: bytes,
    *,
    oauth: bool = False,
    grant_type: str | None = None,
    group: str | None = None,
    retry_after: float | None = None,
    request_id: str | None = None,
    method: str | None = None,
    path: str | None = None,
) -> ApiError:
    """The exception for a non-2xx response.

    `oauth` marks the token and revoke endpoints, whose 4xx become `OAuthError`. A 429 becomes
    `RateLimited(sent=True)` with `retry_after` (the caller passes the penalty it recorded).
    Only the other classes get the code's sentence: rate limits and OAuth refusals word their own
    (from the wait, from the OAuth error and grant type), and a 5xx keeps its general sentence
    because its codes (`CMN-201`) would say nothing more useful.
    """
    parsed = parse_error_body(body)
    common: ApiErrorFields = {
        "status": status,
        "error_code": parsed.error_code,
        "message": parsed.message,
        "parameter_name": parsed.parameter_name,
        "errors": tuple(parsed.details),
        "request_id": request_id,
        "method": method,
        "path": path,
    }
    if status == 429:
        return RateLimited(retry_after=retry_after or 0.0, group=group, sent=True, **common)
    if status >= 500:
        return ServerError(retry_after=retry_after, **common)
    if oauth and 400 <= status < 500:
        return OAuthError(
            oauth_error=parsed.oauth_error,
            oauth_description=parsed.oauth_description,
            grant_type=grant_type,
            **common,
        )
    error_class = api_error_for_status(status)
    return error_class(error_code_sentence(parsed.error_code, parsed.parameter_name), **common)


def _text(value: object) -> str | None:
    # Codes and messages are strings; a number where a code should be is still worth keeping.
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None
