"""The contract checker itself: it must catch what does not conform, or every conformance test is vacuous."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import yaml

from tests.contract import extract_subset
from tests.contract.openapi_check import (
    SPEC_PATH,
    ContractChecker,
    SyncValidatingTransport,
    ValidatingTransport,
    validate_exchange,
)

BASE = "http://127.0.0.1:18080"
EXT = "/restapi/v1.0/account/~/extension/~"
RING_OUT = EXT + "/ring-out"
BEARER = {"Authorization": "Bearer U1BCMDFUMDRKV1MwMXxzLFSvXdw5PHMsVLEn"}
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JWT_GRANT = b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJhbGciOi.x.y"

TOKEN_INFO: dict[str, Any] = {
    "access_token": "U1BCMDFUMDRKV1MwMXxzLFSvXdw5PHMsVLEn",
    "token_type": "bearer",
    "expires_in": 3600,
    "refresh_token": "U1BCMDFUMDRKV1MwMXxzLFL4ec6A0XMsUv9w",
    "refresh_token_expires_in": 604800,
    "scope": "ReadAccounts RingOut",
    "owner_id": "101",
    "endpoint_id": "8zXq6oaLT7WvwWITlGiA1A",
    "session_id": "2510413196",
}
RING_OUT_STATUS: dict[str, Any] = {
    "id": "234343434",
    "uri": BASE + RING_OUT + "/234343434",
    "status": {"callStatus": "InProgress", "callerStatus": "InProgress", "calleeStatus": "InProgress"},
}
RING_OUT_REQUEST: dict[str, Any] = {
    "from": {"phoneNumber": "+16505550100"},
    "to": {"phoneNumber": "+16505550199"},
    "playPrompt": False,
}
TEL_109 = {"errors": [{"errorCode": "TEL-109", "message": "To number is invalid", "parameterName": "to"}]}


def _dump(body: Any) -> bytes:
    return json.dumps(body).encode()


def _problems(
    method: str,
    path: str,
    request_headers: dict[str, str],
    request_body: bytes | None,
    status: int,
    response_body: bytes | None,
    response_headers: dict[str, str] | None = None,
) -> str:
    checker = ContractChecker()
    checker.check(
        method,
        BASE + path,
        request_headers,
        request_body,
        status,
        JSON if response_headers is None else response_headers,
        response_body,
    )
    assert checker.checked_count == 1
    return checker.report()


# --- what conforms passes --------------------------------------------------------------------------


def test_conforming_token_exchange_passes() -> None:
    assert _problems("POST", "/restapi/oauth/token", FORM, JWT_GRANT, 200, _dump(TOKEN_INFO)) == ""


def test_conforming_ring_out_exchange_passes() -> None:
    assert (
        _problems("POST", RING_OUT, {**JSON, **BEARER}, _dump(RING_OUT_REQUEST), 200, _dump(RING_OUT_STATUS))
        == ""
    )


# --- responses -------------------------------------------------------------------------------------


def test_response_with_wrong_type_is_caught() -> None:
    report = _problems("GET", RING_OUT + "/1", BEARER, None, 200, _dump({**RING_OUT_STATUS, "id": 234343434}))
    assert ".id: 234343434 is not of type 'string'" in report


def test_response_missing_required_field_is_caught() -> None:
    token = {k: v for k, v in TOKEN_INFO.items() if k != "access_token"}
    report = _problems("POST", "/restapi/oauth/token", FORM, JWT_GRANT, 200, _dump(token))
    assert "'access_token' is a required property" in report


def test_response_with_bad_enum_is_caught() -> None:
    status = {**RING_OUT_STATUS, "status": {**RING_OUT_STATUS["status"], "callerStatus": "Answered"}}
    report = _problems("GET", RING_OUT + "/1", BEARER, None, 200, _dump(status))
    assert ".status.callerStatus: 'Answered' is not one of" in report


def test_wrong_token_type_value_is_caught() -> None:
    report = _problems(
        "POST", "/restapi/oauth/token", FORM, JWT_GRANT, 200, _dump({**TOKEN_INFO, "token_type": "mac"})
    )
    assert "'mac' is not one of ['bearer']" in report


def test_response_that_is_not_json_is_caught() -> None:
    report = _problems("GET", EXT, BEARER, None, 200, b"<html>oops</html>", {"Content-Type": "text/html"})
    assert report


def test_body_on_204_is_caught() -> None:
    report = _problems("DELETE", RING_OUT + "/1", BEARER, None, 204, b"{}", {})
    assert "a 204 response must have no body" in report


def test_undeclared_2xx_status_is_caught() -> None:
    report = _problems(
        "POST", RING_OUT, {**JSON, **BEARER}, _dump(RING_OUT_REQUEST), 201, _dump(RING_OUT_STATUS)
    )
    assert report


# --- error responses the operation does not declare ------------------------------------------------


def test_undeclared_error_is_checked_against_the_common_error_shape() -> None:
    checker = ContractChecker()
    checker.check(
        "POST", BASE + RING_OUT, {**JSON, **BEARER}, _dump(RING_OUT_REQUEST), 400, JSON, _dump(TEL_109)
    )
    assert checker.violations == []
    assert checker.exchanges[0].response_rule == "common error components/responses/InvalidRequest"


def test_undeclared_error_with_wrong_shape_is_caught() -> None:
    # The older flat shape without the "errors" array is not what the description promises.
    flat = {"errorCode": "TEL-109", "message": "To number is invalid"}
    report = _problems("POST", RING_OUT, {**JSON, **BEARER}, _dump(RING_OUT_REQUEST), 400, _dump(flat))
    assert "'errors' is a required property" in report
    assert "does not declare 400" in report


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500, 503])
def test_undeclared_error_missing_error_code_is_caught(status: int) -> None:
    body = {"errors": [{"message": "something"}]}
    report = _problems("GET", RING_OUT + "/1", BEARER, None, status, _dump(body))
    assert "'errorCode' is a required property" in report


def test_error_declared_without_a_body_shape_still_gets_one() -> None:
    # The token endpoint declares 429 with a description only.
    report = _problems("POST", "/restapi/oauth/token", FORM, JWT_GRANT, 429, _dump({"errors": []}))
    assert "should be non-empty" in report


def test_oauth_error_body_is_checked_as_an_oauth_error() -> None:
    good = {
        "error": "invalid_grant",
        "error_description": "Token not found",
        "errors": [{"errorCode": "OAU-213", "message": "Token not found"}],
    }
    assert _problems("POST", "/restapi/oauth/token", FORM, JWT_GRANT, 400, _dump(good)) == ""
    report = _problems(
        "POST", "/restapi/oauth/token", FORM, JWT_GRANT, 400, _dump({**good, "error": "bad_grant"})
    )
    assert "'bad_grant' is not one of" in report


# --- requests --------------------------------------------------------------------------------------


def test_request_missing_required_body_field_is_caught() -> None:
    body = {k: v for k, v in RING_OUT_REQUEST.items() if k != "to"}
    report = _problems("POST", RING_OUT, {**JSON, **BEARER}, _dump(body), 200, _dump(RING_OUT_STATUS))
    assert "'to' is a required property" in report


def test_request_with_wrong_body_type_is_caught() -> None:
    body = {**RING_OUT_REQUEST, "playPrompt": "yes"}
    report = _problems("POST", RING_OUT, {**JSON, **BEARER}, _dump(body), 200, _dump(RING_OUT_STATUS))
    assert "'yes' is not of type 'boolean'" in report


def test_request_with_wrong_content_type_is_caught() -> None:
    report = _problems(
        "POST", "/restapi/oauth/token", JSON, b'{"grant_type": "refresh_token"}', 200, _dump(TOKEN_INFO)
    )
    assert "is not one of: application/x-www-form-urlencoded" in report


def test_form_request_missing_grant_field_is_caught() -> None:
    report = _problems(
        "POST", "/restapi/oauth/token", FORM, b"grant_type=refresh_token", 200, _dump(TOKEN_INFO)
    )
    assert "'refresh_token' is a required property" in report


def test_form_request_with_unknown_grant_is_caught() -> None:
    report = _problems("POST", "/restapi/oauth/token", FORM, b"grant_type=implicit", 200, _dump(TOKEN_INFO))
    assert "is not valid under any of the given schemas" in report


def test_form_request_values_are_typed_before_checking() -> None:
    body = JWT_GRANT + b"&access_token_ttl=600"
    assert _problems("POST", "/restapi/oauth/token", FORM, body, 200, _dump(TOKEN_INFO)) == ""
    body = JWT_GRANT + b"&access_token_ttl=soon"
    assert "'soon' is not of type 'integer'" in _problems(
        "POST", "/restapi/oauth/token", FORM, body, 200, _dump(TOKEN_INFO)
    )


def test_legacy_password_grant_is_checked_against_its_documented_shape() -> None:
    body = b"grant_type=password&username=%2B16505550100&password=secret&extension=101"
    assert _problems("POST", "/restapi/oauth/token", FORM, body, 200, _dump(TOKEN_INFO)) == ""
    body = b"grant_type=password&username=%2B16505550100"
    assert "'password' is a required property" in _problems(
        "POST", "/restapi/oauth/token", FORM, body, 200, _dump(TOKEN_INFO)
    )


def test_missing_bearer_token_is_caught() -> None:
    report = _problems(
        "GET", EXT, {}, None, 401, _dump({"errors": [{"errorCode": "CMN-405", "message": "x"}]})
    )
    assert "requires an OAuth2 access token" in report


def test_malformed_client_credentials_are_caught() -> None:
    headers = {**FORM, "Authorization": "Basic not-base64!"}
    report = _problems("POST", "/restapi/oauth/token", headers, JWT_GRANT, 200, _dump(TOKEN_INFO))
    assert "Basic base64(client_id:client_secret)" in report
    headers = {**FORM, "Authorization": "Basic Y2xpZW50OnNlY3JldA=="}
    assert _problems("POST", "/restapi/oauth/token", headers, JWT_GRANT, 200, _dump(TOKEN_INFO)) == ""


def test_bad_query_parameter_is_caught() -> None:
    report = _problems(
        "GET", EXT + "/device?linePooling=Sometimes", BEARER, None, 200, _dump({"records": []})
    )
    assert "query parameter 'linePooling'" in report


def test_unknown_operation_is_caught() -> None:
    report = _problems("GET", "/restapi/v1.0/account/~/extension/~/message-store", BEARER, None, 200, b"{}")
    assert "is not an operation of the contract" in report


# --- the authorize endpoint, the base URL, the simulator's control paths ---------------------------


def test_authorize_must_redirect_and_is_checked() -> None:
    query = "?response_type=code&client_id=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcb&state=s"
    redirect = {"Location": "http://127.0.0.1:5000/login/?client_id=abc"}
    assert _problems("GET", "/restapi/oauth/authorize" + query, {}, None, 302, b"", redirect) == ""
    # A sign-in page served in place of the redirect is not what the description allows.
    html = {"Content-Type": "text/html; charset=utf-8"}
    assert _problems("GET", "/restapi/oauth/authorize" + query, {}, None, 200, b"<html></html>", html) != ""
    bad = query.replace("response_type=code", "response_type=token")
    report = _problems("GET", "/restapi/oauth/authorize" + bad, {}, None, 302, b"", redirect)
    assert "query parameter 'response_type'" in report


def test_base_url_does_not_matter() -> None:
    for base in ("https://platform.ringcentral.com", "http://localhost:1", "http://127.0.0.1:9"):
        checker = ContractChecker()
        checker.check("GET", base + RING_OUT + "/1", BEARER, None, 200, JSON, _dump(RING_OUT_STATUS))
        assert checker.violations == [], checker.report()


def test_simulator_control_paths_are_skipped_and_counted() -> None:
    checker = ContractChecker()
    checker.check("POST", BASE + "/_sim/reset", {}, None, 200, JSON, b"not json at all")
    assert checker.violations == []
    assert checker.checked_count == 0
    assert checker.skipped == ["POST /_sim/reset"]


# --- validate_exchange and the transports ----------------------------------------------------------


def test_validate_exchange_raises_a_readable_assertion() -> None:
    request = httpx.Request("GET", BASE + RING_OUT + "/1", headers=BEARER)
    response = httpx.Response(
        200, json={**RING_OUT_STATUS, "status": {"callStatus": "Ringing"}}, request=request
    )
    with pytest.raises(AssertionError) as raised:
        validate_exchange(request, response)
    message = str(raised.value)
    assert f"GET {RING_OUT}/1 -> 200" in message
    assert "'Ringing' is not one of" in message


def test_validate_exchange_takes_raw_tuples() -> None:
    validate_exchange(
        ("POST", BASE + "/restapi/oauth/token", FORM, JWT_GRANT),
        (200, JSON, _dump(TOKEN_INFO)),
    )
    with pytest.raises(AssertionError, match="'expires_in' is a required property"):
        token = {k: v for k, v in TOKEN_INFO.items() if k != "expires_in"}
        validate_exchange(("POST", BASE + "/restapi/oauth/token", FORM, JWT_GRANT), (200, JSON, _dump(token)))


def test_validate_exchange_refuses_to_pass_an_unchecked_exchange() -> None:
    with pytest.raises(AssertionError, match="outside the contract"):
        validate_exchange(("GET", BASE + "/_sim/log", {}, None), (200, JSON, b"[]"))


def _fake_platform(request: httpx.Request) -> httpx.Response:
    if request.url.path == RING_OUT:
        return httpx.Response(200, json=RING_OUT_STATUS)
    if request.url.path == RING_OUT + "/bad":
        return httpx.Response(200, json={"id": 1, "status": {"callStatus": "Ringing"}})
    return httpx.Response(404, json={"errorCode": "CMN-102", "message": "Resource not found"})


async def test_validating_transport_records_violations_and_passes_bodies_through() -> None:
    transport = ValidatingTransport(httpx.MockTransport(_fake_platform))
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=BEARER) as client:
        created = await client.post(RING_OUT, json=RING_OUT_REQUEST)
        bad = await client.get(RING_OUT + "/bad")
        missing = await client.get(RING_OUT + "/gone")
    assert created.json() == RING_OUT_STATUS
    assert bad.json()["status"] == {"callStatus": "Ringing"}
    assert missing.status_code == 404
    assert transport.checked_count == 3
    assert [(v.path, v.status) for v in transport.violations] == [
        (RING_OUT + "/bad", 200),
        (RING_OUT + "/gone", 404),
    ]
    assert "'errors' is a required property" in transport.report()


def test_sync_validating_transport_records_violations() -> None:
    transport = SyncValidatingTransport(httpx.MockTransport(_fake_platform))
    with httpx.Client(transport=transport, base_url=BASE, headers=BEARER) as client:
        assert client.post(RING_OUT, json=RING_OUT_REQUEST).json()["id"] == "234343434"
        client.post(RING_OUT, json={"from": {"phoneNumber": "+16505550100"}})
    assert transport.checked_count == 2
    assert len(transport.violations) == 1
    assert "'to' is a required property" in str(transport.violations[0])


def test_gzip_response_is_checked_decoded_and_returned_intact() -> None:
    import gzip

    def gzipped(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={**JSON, "Content-Encoding": "gzip"}, content=gzip.compress(_dump(RING_OUT_STATUS))
        )

    transport = SyncValidatingTransport(httpx.MockTransport(gzipped))
    with httpx.Client(transport=transport, base_url=BASE, headers=BEARER) as client:
        assert client.get(RING_OUT + "/1").json() == RING_OUT_STATUS
    assert transport.violations == []
    assert transport.checked_count == 1


# --- the committed subset --------------------------------------------------------------------------


def test_subset_names_its_source_and_how_to_regenerate_it() -> None:
    head = SPEC_PATH.read_text(encoding="utf-8")[:2000]
    assert "RingCentral's public OpenAPI description" in head
    assert "published 2026-08-13" in head
    assert "MIT license" in head
    assert "python tests/contract/extract_subset.py /path/to/rc-public-openapi.yml" in head


def test_subset_is_closed_and_holds_exactly_the_operations_used() -> None:
    subset = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    operations = {
        (method, path)
        for path, item in subset["paths"].items()
        for method in item
        if method in ("get", "post", "delete")
    }
    assert operations == set(extract_subset.OPERATIONS)
    # Cutting the subset out of itself changes nothing: every $ref resolves inside it and nothing is extra.
    assert extract_subset.extract(subset) == subset
    assert SPEC_PATH.stat().st_size < 400_000


def test_the_directorys_error_codes_are_checked_by_their_code() -> None:
    # The description lists them as "ErrorCode{code='ADG-122', ...}"; the platform sends "ADG-122".
    entry = "/restapi/v1.0/account/~/directory/entries/42"
    found = _dump({"errors": [{"errorCode": "ADG-122", "message": "Contact not found."}]})
    assert _problems("GET", entry, BEARER, None, 404, found, JSON) == ""
    invented = _dump({"errors": [{"errorCode": "ADG-999", "message": "Nope."}]})
    assert "'ADG-999' is not one of" in _problems("GET", entry, BEARER, None, 404, invented, JSON)
