"""Check HTTP exchanges against RingCentral's published OpenAPI description (the committed subset).

Entry points:
- ``validate_exchange(request, response)`` raises an AssertionError listing everything that does not conform.
- ``ValidatingTransport(inner)`` / ``SyncValidatingTransport(inner)`` wrap an httpx transport, check every
  exchange that passes through and record what does not conform in ``violations``; ``checked_count`` proves
  that something was checked at all.
- ``ContractChecker.check(...)`` takes a raw (method, url, headers, body) request and (status, headers, body)
  response, for clients that do not use httpx (the official SDK uses requests).

openapi-core does most of the work. Where the description or openapi-core cannot be used as they are, this
module works around it narrowly; every such place says why:
- Error responses an operation does not declare (RingOut declares only 200, yet the platform answers it with
  400, 401, 403, 404, 429, 5xx) are checked against the description's own common error responses
  (``components/responses/*``), never skipped. Error statuses declared without a body shape get that shape.
- The description's global security is OAuth2, which openapi-core does not check at all (it only warns); the
  platform takes an OAuth2 access token as ``Authorization: Bearer``, so that is what is checked.
- ``/restapi/oauth/authorize`` inherits that OAuth2 requirement in the description, but a browser calls it
  before any token exists; it is treated as unauthenticated. Its answers are the description's: a redirect
  (302) to the sign-in page, or 400.
- Form-encoded request bodies are checked here rather than by openapi-core, whose form decoder drops every
  field of a nested ``allOf``/``anyOf`` branch without a ``type`` (the token request is built that way), so
  every valid token request would be reported as missing ``grant_type``.
- The legacy ``password`` grant was removed from the description but the platform still accepts it from old
  apps; it is checked against the request shape the platform documented for it, not reported as unknown.
- Requests under ``/_sim/`` are the simulator's control API, and ``/login/`` its sign-in page (the
  platform's is on a login host of its own, outside the description): not part of the contract, skipped
  and counted.
- Only the path of a URL is compared: the simulator's ``http://127.0.0.1:PORT`` stands for the description's
  ``https://platform.ringcentral.com``.
- The directory's error codes (``ADGError.errorCode``) are listed in the description as the text of a Java
  object, ``ErrorCode{code='ADG-122', httpStatus=404, ...}``; the platform sends the code, ``ADG-122``, and
  that is what is checked.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
import threading
from collections.abc import AsyncIterable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import yaml
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from jsonschema_path import SchemaPath
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.security.exceptions import SecurityProviderError
from openapi_core.security.factories import SecurityProviderFactory
from openapi_core.security.providers import BaseProvider
from openapi_core.validation.request.exceptions import ParameterValidationError, SecurityValidationError
from openapi_core.validation.request.validators import (
    V30RequestBodyValidator,
    V30RequestParametersValidator,
    V30RequestSecurityValidator,
)
from openapi_core.validation.response.validators import V30ResponseValidator
from openapi_schema_validator import OAS30WriteValidator
from werkzeug.datastructures import Headers, ImmutableMultiDict

__all__ = [
    "SPEC_PATH",
    "ContractChecker",
    "Exchange",
    "SyncValidatingTransport",
    "ValidatingTransport",
    "Violation",
    "validate_exchange",
]

SPEC_PATH = Path(__file__).with_name("rc-openapi-subset.yml")
# Requests are checked as if sent to the description's first server, whatever host they really went to.
SPEC_SERVER = "https://platform.ringcentral.com"
NOT_IN_CONTRACT_PREFIXES = ("/_sim/", "/login/")

AUTHORIZE_PATH = "/restapi/oauth/authorize"
TOKEN_PATH = "/restapi/oauth/token"
OAUTH_PREFIX = "/restapi/oauth/"
FORM = "application/x-www-form-urlencoded"

# The description's common error responses by status; OAuth endpoints answer 400/401 with OAuth bodies.
COMMON_ERROR_RESPONSES: dict[int, str] = {
    400: "InvalidRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
    500: "InternalError",
    502: "BadGateway",
    503: "ServiceNotAvailable",
}
OAUTH_ERROR_RESPONSE = "OauthInvalidRequest"
# Any other 4xx/5xx still has to carry the platform's standard error body.
GENERIC_ERROR_SCHEMA_REF = "#/components/schemas/ApiErrorResponseModel"
GENERIC_ERROR_STATUSES = (405, 406, 408, 413, 422, 504)

# The resource-owner password grant as the platform documented it before removing it from the description.
LEGACY_PASSWORD_GRANT_SCHEMA: dict[str, Any] = {
    "allOf": [
        {"$ref": "#/components/schemas/ClientIdModel"},
        {"$ref": "#/components/schemas/BaseTokenRequest"},
        {
            "type": "object",
            "required": ["grant_type", "username", "password"],
            "properties": {
                "grant_type": {"type": "string", "enum": ["password"]},
                "username": {"type": "string", "description": "phone number or email of the user"},
                "password": {"type": "string"},
                "extension": {
                    "type": "string",
                    "description": "extension number, for a phone-number username",
                },
            },
        },
    ]
}

_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Violation:
    """One exchange that does not conform, with every problem found in it."""

    method: str
    path: str
    status: int | None
    problems: tuple[str, ...]

    def __str__(self) -> str:
        status = f" -> {self.status}" if self.status is not None else ""
        lines = "\n".join(f"    - {problem}" for problem in self.problems)
        return f"{self.method} {self.path}{status}:\n{lines}"


@dataclass(frozen=True)
class Exchange:
    """What was checked for one exchange (kept so a test can see that errors met the common error shape)."""

    method: str
    path: str
    operation_id: str | None
    status: int
    response_rule: str
    conforms: bool


@dataclass
class ContractChecker:
    """Checks exchanges against the description and accumulates the results."""

    spec_path: Path = SPEC_PATH
    violations: list[Violation] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def checked_count(self) -> int:
        return len(self.exchanges)

    def check(
        self,
        method: str,
        url: str,
        request_headers: Mapping[str, str] | Iterable[tuple[str, str]],
        request_body: bytes | None,
        status: int,
        response_headers: Mapping[str, str] | Iterable[tuple[str, str]],
        response_body: bytes | None,
    ) -> Violation | None:
        """Check one exchange; record and return its violation, or None when it conforms or is skipped."""
        path = urlsplit(url).path
        if path.startswith(NOT_IN_CONTRACT_PREFIXES):
            with self._lock:
                self.skipped.append(f"{method.upper()} {path}")
            return None
        contract = _contract(self.spec_path)
        request = _OpenAPIRequest(method, url, request_headers, request_body)
        response = _OpenAPIResponse(status, response_headers, response_body)
        operation = contract.find_operation(request.method, path)
        if operation is None:
            problems = [f"{method.upper()} {path} is not an operation of the contract"]
            rule = "none"
        else:
            problems = [
                *contract.request_problems(request, operation),
                *contract.response_problems(request, response, operation),
            ]
            rule = contract.response_rule(operation, status)
        violation = Violation(method.upper(), path, status, tuple(problems)) if problems else None
        with self._lock:
            self.exchanges.append(
                Exchange(
                    method.upper(),
                    path,
                    operation.operation_id if operation else None,
                    status,
                    rule,
                    violation is None,
                )
            )
            if violation is not None:
                self.violations.append(violation)
        return violation

    def check_httpx(self, request: httpx.Request, response: httpx.Response, response_body: bytes) -> None:
        self.check(
            request.method,
            str(request.url),
            request.headers.multi_items(),
            request.content,
            response.status_code,
            response.headers.multi_items(),
            response_body,
        )

    def report(self) -> str:
        return "\n".join(str(v) for v in self.violations)


def validate_exchange(
    request: httpx.Request | tuple[str, str, Mapping[str, str], bytes | None],
    response: httpx.Response | tuple[int, Mapping[str, str], bytes | None],
) -> None:
    """Raise AssertionError listing every way this exchange does not conform to the description.

    ``request`` is an httpx.Request or a (method, url, headers, body) tuple; ``response`` is an httpx.Response
    (already read) or a (status, headers, body) tuple.
    """
    request_headers: list[tuple[str, str]]
    response_headers: list[tuple[str, str]]
    request_body: bytes | None
    response_body: bytes | None
    if isinstance(request, httpx.Request):
        method, url, request_body = request.method, str(request.url), request.content
        request_headers = request.headers.multi_items()
    else:
        method, url, request_body = request[0], request[1], request[3]
        request_headers = list(request[2].items())
    if isinstance(response, httpx.Response):
        status, response_body = response.status_code, response.content
        response_headers = response.headers.multi_items()
    else:
        status, response_body = response[0], response[2]
        response_headers = list(response[1].items())
    checker = ContractChecker()
    checker.check(method, url, request_headers, request_body, status, response_headers, response_body)
    if checker.violations:
        raise AssertionError(
            "exchange does not conform to the RingCentral API description:\n" + checker.report()
        )
    if not checker.exchanges:
        raise AssertionError(f"{method} {url} is outside the contract and was not checked")


class _CheckedTransport:
    """What a test reads off either validating transport: the checker's findings."""

    checker: ContractChecker

    @property
    def violations(self) -> list[Violation]:
        return self.checker.violations

    @property
    def checked_count(self) -> int:
        return self.checker.checked_count

    @property
    def exchanges(self) -> list[Exchange]:
        return self.checker.exchanges

    def report(self) -> str:
        return self.checker.report()


class ValidatingTransport(_CheckedTransport, httpx.AsyncBaseTransport):
    """An httpx transport that passes everything to ``inner`` and checks each exchange on the way back."""

    def __init__(self, inner: httpx.AsyncBaseTransport, checker: ContractChecker | None = None) -> None:
        self.inner = inner
        self.checker = checker or ContractChecker()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = await self.inner.handle_async_request(request)
        try:
            # Iterate the stream itself: a transport may hand back a response it already read (MockTransport
            # does), whose raw stream is still there although aiter_raw() would refuse it.
            raw = b"".join([chunk async for chunk in _async_stream(response)])
        finally:
            await response.aclose()
        self.checker.check_httpx(request, response, _decoded(response, raw))
        # The body was consumed to check it; hand the caller an equivalent response with the same raw bytes.
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class SyncValidatingTransport(_CheckedTransport, httpx.BaseTransport):
    """The synchronous twin of ValidatingTransport."""

    def __init__(self, inner: httpx.BaseTransport, checker: ContractChecker | None = None) -> None:
        self.inner = inner
        self.checker = checker or ContractChecker()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        response = self.inner.handle_request(request)
        try:
            raw = b"".join(_sync_stream(response))
        finally:
            response.close()
        self.checker.check_httpx(request, response, _decoded(response, raw))
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            extensions=response.extensions,
            request=request,
        )

    def close(self) -> None:
        self.inner.close()


def _async_stream(response: httpx.Response) -> AsyncIterable[bytes]:
    stream = response.stream
    assert isinstance(stream, httpx.AsyncByteStream), f"not an async response stream: {stream!r}"
    return stream


def _sync_stream(response: httpx.Response) -> Iterable[bytes]:
    stream = response.stream
    assert isinstance(stream, httpx.SyncByteStream), f"not a sync response stream: {stream!r}"
    return stream


def _decoded(response: httpx.Response, raw: bytes) -> bytes:
    # Undo any Content-Encoding the way a client would, so the body is checked as the client sees it.
    return httpx.Response(response.status_code, headers=response.headers, content=raw).read()


# --- openapi-core adapters ----------------------------------------------------------------------


class _OpenAPIRequest:
    """openapi-core's Request protocol over a raw request."""

    def __init__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes | None,
    ) -> None:
        parts = urlsplit(url)
        self.method = method.lower()
        self.host_url = SPEC_SERVER
        self.path = parts.path
        self.full_url_pattern = SPEC_SERVER + parts.path
        self.headers = Headers(list(headers.items()) if isinstance(headers, Mapping) else list(headers))
        cookies: list[tuple[str, str]] = []
        for pair in self.headers.get("Cookie", "").split(";"):
            name, sep, value = pair.strip().partition("=")
            if sep:
                cookies.append((name, value))
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(parts.query, keep_blank_values=True)),
            header=self.headers,
            cookie=ImmutableMultiDict(cookies),
        )
        self.body = body or None
        self.content_type = self.headers.get("Content-Type", "").lower()


class _OpenAPIResponse:
    """openapi-core's Response protocol over a raw response."""

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes | None,
    ) -> None:
        self.status_code = status
        self.headers = Headers(list(headers.items()) if isinstance(headers, Mapping) else list(headers))
        self.data = body or b""
        self.content_type = self.headers.get("Content-Type", "").lower()


# --- the contract ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    operation_id: str | None
    spec: dict[str, Any]


class _BearerTokenProvider(BaseProvider):
    """OAuth2 as the platform takes it: an access token in ``Authorization: Bearer``."""

    def __call__(self, parameters: RequestParameters) -> Any:
        value = parameters.header.get("Authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise SecurityProviderError(
                f"an OAuth2 access token is required as 'Authorization: Bearer', got {value!r}"
            )
        return token


class _PlatformSecurityProviders(SecurityProviderFactory):
    def __init__(self) -> None:
        self.PROVIDERS = {**SecurityProviderFactory.PROVIDERS, "oauth2": _BearerTokenProvider}


class _Contract:
    def __init__(self, spec_path: Path) -> None:
        with spec_path.open(encoding="utf-8") as fh:
            source = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        self.spec = _augment(source)
        self.added_responses: dict[tuple[str, str], dict[str, str]] = self.spec.pop("x-added-responses")
        # Building OpenAPI validates the description itself, so a broken subset fails loudly here.
        self.openapi = OpenAPI.from_dict(self.spec)
        schema_path: SchemaPath = self.openapi.spec
        security_providers = _PlatformSecurityProviders()
        self.security = V30RequestSecurityValidator(schema_path, security_provider_factory=security_providers)
        self.parameters = V30RequestParametersValidator(schema_path)
        self.body = V30RequestBodyValidator(schema_path)
        self.responses = V30ResponseValidator(schema_path)
        self.operations = [
            _Operation(
                method,
                template,
                re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"),
                op.get("operationId"),
                op,
            )
            for template, item in self.spec["paths"].items()
            for method, op in item.items()
            if method in _HTTP_METHODS
        ]

    def find_operation(self, method: str, path: str) -> _Operation | None:
        for operation in self.operations:
            if operation.method == method and operation.pattern.match(path):
                return operation
        return None

    def response_rule(self, operation: _Operation, status: int) -> str:
        added = self.added_responses.get((operation.method, operation.template), {})
        if str(status) in added:
            return added[str(status)]
        if str(status) in operation.spec["responses"]:
            return "declared"
        return "undeclared"

    def request_problems(self, request: _OpenAPIRequest, operation: _Operation) -> list[str]:
        problems = [_describe(e) for e in self.security.iter_errors(request)]
        problems += [_describe(e) for e in self.parameters.iter_errors(request)]
        problems += self._basic_auth_problems(request, operation)
        request_body = operation.spec.get("requestBody")
        if request_body is None:
            return problems
        if not request.body:
            if request_body.get("required", False):
                problems.append("the request body is required but empty")
            return problems
        media_type = request.content_type.split(";")[0].strip()
        if media_type not in request_body.get("content", {}):
            declared = ", ".join(request_body.get("content", {}))
            problems.append(f"request Content-Type {media_type or '(none)'!r} is not one of: {declared}")
        elif media_type == FORM:
            problems += self._form_problems(request.body, request_body["content"][FORM]["schema"], operation)
        else:
            problems += [_describe(e) for e in self.body.iter_errors(request)]
        return problems

    def response_problems(
        self, request: _OpenAPIRequest, response: _OpenAPIResponse, operation: _Operation
    ) -> list[str]:
        problems = [_describe(e) for e in self.responses.iter_errors(request, response)]
        rule = self.response_rule(operation, response.status_code)
        if rule.startswith("common error") and problems:
            problems = [
                f"{p} [the operation does not declare {response.status_code}; checked as {rule}]"
                for p in problems
            ]
        if response.status_code == 204 and response.data:
            problems.append(f"a 204 response must have no body, got {response.data[:200]!r}")
        return problems

    def _basic_auth_problems(self, request: _OpenAPIRequest, operation: _Operation) -> list[str]:
        # The token and revoke operations name an "OauthBasicScheme" the description never defines; its name
        # and the platform's documentation say HTTP Basic with client_id:client_secret, so check that shape.
        schemes = {name for requirement in operation.spec.get("security", []) for name in requirement}
        value = request.headers.get("Authorization")
        if "OauthBasicScheme" not in schemes or value is None:
            return []
        scheme, _, encoded = value.partition(" ")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        if scheme.lower() != "basic" or ":" not in decoded:
            return [
                f"client authentication must be 'Authorization: Basic base64(client_id:client_secret)', "
                f"got {value[:40]!r}"
            ]
        return []

    def _form_problems(self, body: bytes, schema: dict[str, Any], operation: _Operation) -> list[str]:
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError) as exc:
            return [f"the form body is not valid UTF-8 application/x-www-form-urlencoded: {exc}"]
        fields: dict[str, Any] = {}
        for name, value in pairs:
            if name in fields:
                previous = fields[name]
                fields[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                fields[name] = value
        if operation.template == TOKEN_PATH and fields.get("grant_type") == "password":
            schema = LEGACY_PASSWORD_GRANT_SCHEMA
        types = _property_types(schema, self.spec["components"])
        for name, value in fields.items():
            if isinstance(value, str):
                fields[name] = _cast_form_value(value, types.get(name))
        root = {"allOf": [schema], "components": self.spec["components"]}
        validator = OAS30WriteValidator(root, format_checker=OAS30WriteValidator.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(fields), key=lambda e: list(e.path))
        return [f"request body: {_describe_schema_error(e)}" for e in errors]


@cache
def _contract(spec_path: Path) -> _Contract:
    # Loading and checking the description takes about a second; do it once per process.
    return _Contract(spec_path)


def _augment(source: dict[str, Any]) -> dict[str, Any]:
    """Copy the description, making the platform's undeclared behaviour explicit (see the module doc)."""
    spec = copy.deepcopy(source)
    responses = spec["components"]["responses"]
    added: dict[tuple[str, str], dict[str, str]] = {}
    for template, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in _HTTP_METHODS:
                continue
            notes = added.setdefault((method, template), {})
            declared = operation.setdefault("responses", {})
            oauth = template.startswith(OAUTH_PREFIX)
            for status, name in COMMON_ERROR_RESPONSES.items():
                if oauth and status in (400, 401):
                    name = OAUTH_ERROR_RESPONSE
                if name not in responses:
                    raise RuntimeError(f"the subset lacks components/responses/{name}; regenerate it")
                _add_error_response(
                    declared,
                    status,
                    {"$ref": f"#/components/responses/{name}"},
                    f"common error components/responses/{name}",
                    notes,
                )
            for status in GENERIC_ERROR_STATUSES:
                generic = {
                    "description": "The platform's standard error body",
                    "content": {"application/json": {"schema": {"$ref": GENERIC_ERROR_SCHEMA_REF}}},
                }
                _add_error_response(
                    declared, status, generic, "common error schemas/ApiErrorResponseModel", notes
                )
            if template == AUTHORIZE_PATH:
                operation["security"] = [{}]
    adg_code = spec["components"]["schemas"].get("ADGError", {}).get("properties", {}).get("errorCode")
    if adg_code is not None:
        adg_code["enum"] = [
            re.sub(r"^ErrorCode\{code='([^']+)'.*$", r"\1", text) for text in adg_code["enum"]
        ]
    # Referenced by the token and revoke operations but missing from the description's securitySchemes.
    spec["components"].setdefault("securitySchemes", {}).setdefault(
        "OauthBasicScheme", {"type": "http", "scheme": "basic"}
    )
    spec["x-added-responses"] = added
    return spec


def _add_error_response(
    declared: dict[str, Any], status: int, response: dict[str, Any], rule: str, notes: dict[str, str]
) -> None:
    key = str(status)
    existing = declared.get(key)
    if existing is None:
        declared[key] = response
        notes[key] = rule
    elif "$ref" not in existing and "content" not in existing:
        # Declared with a description only (the token endpoint's 415 and 429): the body still has a shape.
        declared[key] = {**response, "description": existing.get("description", "")}
        notes[key] = rule


def _property_types(
    schema: Any, components: dict[str, Any], seen: frozenset[str] = frozenset()
) -> dict[str, str]:
    """Map each property name anywhere in a composed schema to its declared primitive type."""
    if not isinstance(schema, dict):
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in seen:
            return {}
        _, _, section, name = ref.split("/")
        return _property_types(components[section][name], components, seen | {ref})
    types: dict[str, str] = {}
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword, []):
            types.update(_property_types(sub, components, seen))
    for name, prop in schema.get("properties", {}).items():
        while isinstance(prop, dict) and "$ref" in prop:
            _, _, section, ref_name = prop["$ref"].split("/")
            prop = components[section][ref_name]
        if isinstance(prop, dict) and isinstance(prop.get("type"), str):
            types[name] = prop["type"]
    return types


def _cast_form_value(value: str, declared_type: str | None) -> Any:
    # Form fields are all strings on the wire; cast those the schema types otherwise, and leave a value that
    # does not parse as it is so the schema reports it.
    if declared_type == "integer" and re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    if declared_type == "number":
        try:
            return float(value)
        except ValueError:
            return value
    if declared_type == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def _describe(error: Exception) -> str:
    """One readable line for an openapi-core error, with the schema errors under it."""
    cause = error.__cause__
    if isinstance(error, ParameterValidationError):
        subject = f"{error.location} parameter {error.name!r}"
    elif isinstance(error, SecurityValidationError):
        return "no credentials: the operation requires an OAuth2 access token as 'Authorization: Bearer'"
    else:
        subject = type(error).__name__
    schema_errors = getattr(cause, "schema_errors", None)
    if schema_errors:
        details = "; ".join(_describe_schema_error(e) for e in schema_errors if isinstance(e, SchemaError))
        return f"{subject}: {details}"
    if isinstance(error, ParameterValidationError):
        return f"{subject}: {cause or error}"
    if cause is not None and not isinstance(cause, type(error)):
        return f"{type(error).__name__}: {cause}"
    return f"{type(error).__name__}: {error}"


def _describe_schema_error(error: SchemaError) -> str:
    where = (
        "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path) or "(top level)"
    )
    message = error.message
    if error.context:
        # anyOf/allOf failures say only "not valid under any of the given schemas"; name the closest reason.
        closest = best_match(error.context)
        if closest is not None:
            message += f" (closest: {_describe_schema_error(closest)})"
    return f"at {where}: {_shorten(message)}"


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
