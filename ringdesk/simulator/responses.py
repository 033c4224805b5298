"""Error bodies shaped the way the platform shapes them.

API errors carry the older top-level `errorCode`/`message` as well as the `errors` list the spec requires
(`ApiErrorResponseModel`, `ParameterizedErrorResponseModel`), so clients written for either shape work.
OAuth errors add the RFC 6749 `error`/`error_description` pair.

Codes seen on the real platform are used where they are known (see the platform reference); the few the
platform does not document are marked as the simulator's choice where they are raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse


def api_error(
    status: int,
    code: str,
    message: str,
    parameter: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"errorCode": code, "message": message, "errors": [_error_item(code, message, parameter)]}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def oauth_error(
    error: str,
    code: str,
    description: str,
    status: int = 400,
    parameter: str | None = None,
) -> JSONResponse:
    body = {
        "error": error,
        "error_description": description,
        "errors": [_error_item(code, description, parameter)],
    }
    return JSONResponse(body, status_code=status)


def _error_item(code: str, message: str, parameter: str | None) -> dict[str, Any]:
    """One entry of the `errors` list, which API and OAuth errors share."""
    item: dict[str, Any] = {"errorCode": code, "message": message}
    if parameter is not None:
        item["parameterName"] = parameter
    return item
