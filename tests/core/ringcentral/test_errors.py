"""Error responses of every shape become the right typed error with a sentence for a person."""

from __future__ import annotations

import json
import logging

import pytest

from ringdesk.errors import (
    ApiError,
    AuthenticationError,
    InvalidRequest,
    MalformedResponse,
    NetworkError,
    NotFound,
    OAuthError,
    PermissionDenied,
    RateLimited,
    RingDeskError,
    ServerError,
    report,
)
from ringdesk.platforms.ringcentral.codes import (
    RINGOUT_CREATE_ERROR_SENTENCES,
    error_code_sentence,
    ringout_create_error_sentence,
)
from ringdesk.platforms.ringcentral.errormap import error_from_response, parse_error_body


def body(data: object) -> bytes:
    return json.dumps(data).encode()


def test_errors_array_shape() -> None:
    error = error_from_response(
        400,
        body(
            {"errors": [{"errorCode": "TEL-109", "message": "Invalid to", "parameterName": "to.phoneNumber"}]}
        ),
    )
    assert isinstance(error, InvalidRequest)
    assert error.status == 400
    assert error.error_code == "TEL-109"
    assert error.message == "Invalid to"
    assert error.parameter_name == "to.phoneNumber"
    assert error.user_message == "The number you are calling is not valid."
    assert len(error.errors) == 1


def test_top_level_error_code_shape_wins_over_array() -> None:
    error = error_from_response(
        404,
        body({"errorCode": "CMN-102", "message": "Resource not found", "errors": [{"errorCode": "XYZ-1"}]}),
    )
    assert isinstance(error, NotFound)
    assert error.error_code == "CMN-102"
    assert error.message == "Resource not found"


def test_parameter_refines_the_sentence() -> None:
    error = error_from_response(
        404,
        body({"errors": [{"errorCode": "CMN-102", "message": "x", "parameterName": "forwardingNumberId"}]}),
    )
    assert "refresh your phone list" in error.user_message
    from_error = error_from_response(
        400, body({"errors": [{"errorCode": "TEL-109", "message": "x", "parameterName": "from.phoneNumber"}]})
    )
    assert from_error.user_message == "The phone number RingDesk should ring first is not valid."


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("TEL-108", "ring first is not valid"),
        ("TEL-109", "you are calling is not valid"),
        ("TEL-107", "caller ID"),
        ("RNG-102", "caller ID"),
        ("BIL-103", "RingOut calls are not available"),
        ("CMN-112", "RingOut calls are not available"),
        ("CMN-401", "permission"),
        ("TEL-101", "blocked"),
        ("OAU-128", "expired"),
    ],
)
def test_known_codes_have_sentences(code: str, words: str) -> None:
    error = error_from_response(400, body({"errors": [{"errorCode": code, "message": "raw"}]}))
    assert words in error.user_message
    assert code not in error.user_message  # a sentence, never a bare code


def test_codes_compare_case_insensitively() -> None:
    assert error_code_sentence("tel-109") == error_code_sentence("TEL-109")
    assert error_code_sentence(None) is None
    assert error_code_sentence("ZZZ-999") is None


def test_a_code_without_a_sentence_keeps_the_class_sentence() -> None:
    error = error_from_response(403, body({"errors": [{"errorCode": "ZZZ-999", "message": "raw"}]}))
    assert error.user_message == PermissionDenied.default_user_message


def test_errors_made_outside_the_platform_package_do_not_read_codes() -> None:
    # The shared taxonomy knows no platform's codes: the sentence is the one passed, or the class's.
    assert InvalidRequest(error_code="TEL-109").user_message == InvalidRequest.default_user_message


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_keeps_its_general_sentence_whatever_the_code(status: int) -> None:
    error = error_from_response(status, body({"errors": [{"errorCode": "CMN-301", "message": "raw"}]}))
    assert error.user_message == ServerError.default_user_message


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequest),
        (401, AuthenticationError),
        (403, PermissionDenied),
        (404, NotFound),
        (409, InvalidRequest),
        (415, InvalidRequest),
        (422, InvalidRequest),
        (418, ApiError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
    ],
)
def test_status_picks_the_class(status: int, cls: type[ApiError]) -> None:
    error = error_from_response(status, b"")
    assert type(error) is cls
    assert error.status == status
    assert error.error_code is None
    assert error.user_message  # a default sentence even without a body


def test_401_with_oauth_code() -> None:
    error = error_from_response(401, body({"errorCode": "OAU-128", "message": "Access token expired"}))
    assert isinstance(error, AuthenticationError)
    assert error.error_code == "OAU-128"
    assert error.user_message == "Your sign-in has expired. Please sign in again."


def test_429_becomes_rate_limited_sent() -> None:
    error = error_from_response(
        429,
        body({"errors": [{"errorCode": "CMN-301", "message": "Request rate exceeded"}]}),
        group="Heavy",
        retry_after=42,
    )
    assert isinstance(error, RateLimited)
    assert error.sent is True
    assert error.group == "Heavy"
    assert error.retry_after == 42
    assert error.error_code == "CMN-301"
    assert "42 seconds" in error.user_message


def test_oauth_shape_on_token_endpoint() -> None:
    error = error_from_response(
        400,
        body(
            {
                "error": "invalid_grant",
                "error_description": "Token not found",
                "errors": [{"errorCode": "OAU-213", "message": "Token not found"}],
            }
        ),
        oauth=True,
        grant_type="refresh_token",
    )
    assert isinstance(error, OAuthError)
    assert error.oauth_error == "invalid_grant"
    assert error.oauth_description == "Token not found"
    assert error.error_code == "OAU-213"
    assert error.refresh_token_dead is True
    assert error.user_message == "Your sign-in has ended. Please sign in again."


def test_any_400_on_refresh_means_sign_in_again() -> None:
    error = error_from_response(400, b"<html>bad</html>", oauth=True, grant_type="refresh_token")
    assert isinstance(error, OAuthError)
    assert error.refresh_token_dead is True


def test_oauth_error_without_errors_array() -> None:
    error = error_from_response(
        401,
        body({"error": "invalid_client", "error_description": "Bad client"}),
        oauth=True,
        grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
    )
    assert isinstance(error, OAuthError)
    assert error.error_code is None
    assert error.message == "Bad client"
    assert error.refresh_token_dead is False
    assert "app credentials" in error.user_message


def test_wrong_password_and_bad_jwt_sentences() -> None:
    password = error_from_response(400, body({"error": "invalid_grant"}), oauth=True, grant_type="password")
    assert "password" in password.user_message
    jwt = error_from_response(
        400,
        body({"error": "invalid_grant"}),
        oauth=True,
        grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
    )
    assert "JWT" in jwt.user_message


def test_5xx_on_token_endpoint_is_a_server_error_not_a_sign_out() -> None:
    error = error_from_response(503, b"", oauth=True, grant_type="refresh_token", retry_after=5)
    assert isinstance(error, ServerError)
    assert not isinstance(error, OAuthError)
    assert error.retry_after == 5


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \n",
        b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
        b"not json at all",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'"just a string"',
        b"null",
        b'{"errors": "not a list"}',
        b'{"errors": [1, "x", null]}',
        b'{"errorCode": 123, "message": ["no"]}',
        b'{"error": {"nested": true}}',
    ],
)
def test_unreadable_bodies_still_give_a_typed_error(raw: bytes) -> None:
    error = error_from_response(400, raw)
    assert isinstance(error, InvalidRequest)
    assert error.status == 400
    assert error.user_message
    parsed = parse_error_body(raw)
    assert parsed.error_code is None or isinstance(parsed.error_code, str)


def test_numeric_error_code_is_kept_as_text() -> None:
    assert parse_error_body(b'{"errorCode": 123}').error_code == "123"


def test_str_carries_technical_detail_for_logs() -> None:
    error = error_from_response(
        400,
        body(
            {"errors": [{"errorCode": "TEL-109", "message": "Invalid to", "parameterName": "to.phoneNumber"}]}
        ),
        method="POST",
        path="/restapi/v1.0/account/~/extension/~/ring-out",
        request_id="req-7",
    )
    text = str(error)
    for part in ("POST", "ring-out", "400", "TEL-109", "to.phoneNumber", "Invalid to", "req-7"):
        assert part in text


def test_network_error_sentences() -> None:
    reached = NetworkError(may_have_reached_server=True, detail="ReadError", method="POST", path="/x")
    assert "may or may not have gone through" in reached.user_message
    assert "POST /x" in str(reached)
    not_reached = NetworkError(may_have_reached_server=False)
    assert "Cannot reach" in not_reached.user_message
    assert isinstance(not_reached, RingDeskError)


def test_malformed_response_is_an_api_error() -> None:
    error = MalformedResponse("records is not a list", status=200)
    assert isinstance(error, ApiError)
    assert "could not understand" in error.user_message
    assert "records is not a list" in str(error)


def test_rate_limited_local_and_rounding() -> None:
    error = RateLimited(retry_after=0.4, group="Heavy", sent=False)
    assert error.status is None
    assert "1 second" in error.user_message
    assert "not sent" in str(error)


def test_report_logs_and_returns_the_sentence(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ringdesk")
    error = error_from_response(403, body({"errors": [{"errorCode": "CMN-401", "message": "need RingOut"}]}))
    assert report(error, context="placing a call") == error.user_message
    assert "CMN-401" in caplog.text
    assert "Traceback" not in caplog.text
    assert report(KeyError("x")) == RingDeskError.default_user_message
    assert "Traceback" in caplog.text or "KeyError" in caplog.text


# --------------------------------------------------------------------------- placing a RingOut


@pytest.mark.parametrize(
    "code",
    [
        "TEL-108",
        "TEL-109",
        "TEL-107",
        "RNG-102",
        "CMN-102",
        "CMN-401",
        "CMN-112",
        "BIL-103",
        "TEL-101",
        "TEL-102",
    ],
)
def test_every_ringout_create_error_code_has_a_sentence(code: str) -> None:
    sentence = ringout_create_error_sentence(code)
    assert sentence and sentence.endswith(".")
    assert RINGOUT_CREATE_ERROR_SENTENCES[code] == sentence


def test_ringout_create_sentences_reuse_the_code_sentences() -> None:
    # Only CMN-401 gets a RingOut-specific sentence; the rest are the general code sentences.
    for code, sentence in RINGOUT_CREATE_ERROR_SENTENCES.items():
        if code == "CMN-401":
            assert "RingOut" in sentence
            continue
        implied = "from.forwardingNumberId" if code == "CMN-102" else None
        assert sentence == error_code_sentence(code, implied)
    assert "no longer exists" in RINGOUT_CREATE_ERROR_SENTENCES["CMN-102"]
    assert ringout_create_error_sentence("TEL-109", "from.phoneNumber") == error_code_sentence(
        "TEL-109", "from.phoneNumber"
    )
    assert ringout_create_error_sentence("tel-109") == RINGOUT_CREATE_ERROR_SENTENCES["TEL-109"]
    assert ringout_create_error_sentence("XYZ-1") is None and ringout_create_error_sentence(None) is None
