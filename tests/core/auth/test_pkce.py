"""PKCE pairs and reading the redirect: RFC 7636 rules, exact redirect matching, every failure."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from ringdesk.auth import (
    AuthorizationAttempt,
    SignInDenied,
    SignInFailed,
    StateMismatch,
    code_challenge_for,
    matches_redirect,
    new_attempt,
    read_redirect,
)

REDIRECT = "http://127.0.0.1:53682/oauth/callback"
UNRESERVED = re.compile(r"^[A-Za-z0-9\-._~]+$")


def redirect(attempt: AuthorizationAttempt, **params: str) -> str:
    return f"{attempt.redirect_uri}?{urlencode(params)}"


def test_verifier_has_rfc_7636_length_and_alphabet() -> None:
    for _ in range(50):
        attempt = new_attempt(REDIRECT)
        assert 43 <= len(attempt.code_verifier) <= 128
        assert UNRESERVED.match(attempt.code_verifier)
        assert UNRESERVED.match(attempt.state)
        assert len(attempt.state) >= 32
        assert attempt.code_challenge == code_challenge_for(attempt.code_verifier)
        assert attempt.redirect_uri == REDIRECT


def test_every_attempt_is_fresh() -> None:
    attempts = [new_attempt(REDIRECT) for _ in range(20)]
    assert len({a.state for a in attempts}) == 20
    assert len({a.code_verifier for a in attempts}) == 20


def test_s256_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge_for(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_attempt_repr_shows_no_secret() -> None:
    attempt = new_attempt(REDIRECT)
    text = repr(attempt)
    assert attempt.state not in text
    assert attempt.code_verifier not in text
    assert attempt.code_challenge not in text


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:53682/oauth/callback",
        "http://127.0.0.1:53682/oauth/callback?code=x&state=y",
        "HTTP://127.0.0.1:53682/oauth/callback?code=x",
        "http://127.0.0.1:53682/oauth/callback#fragment",
    ],
)
def test_redirect_matches(url: str) -> None:
    assert matches_redirect(url, REDIRECT)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:53682/oauth/callback?code=x",  # scheme
        "http://localhost:53682/oauth/callback?code=x",  # host
        "http://127.0.0.2:53682/oauth/callback?code=x",  # host
        "http://127.0.0.1:53683/oauth/callback?code=x",  # port
        "http://127.0.0.1/oauth/callback?code=x",  # port missing
        "http://127.0.0.1:53682/oauth/callback/?code=x",  # path, trailing slash
        "http://127.0.0.1:53682/oauth/Callback?code=x",  # path, case
        "http://127.0.0.1:53682/oauth/callback/extra?code=x",  # path, longer
        "http://127.0.0.1:53682/oauth?code=x",  # path, shorter
        "http://user@127.0.0.1:53682/oauth/callback?code=x",  # credentials in the authority
        "http://127.0.0.1:99999/oauth/callback?code=x",  # invalid port
        "not a url",
    ],
)
def test_redirect_does_not_match(url: str) -> None:
    assert not matches_redirect(url, REDIRECT)


def test_default_ports_and_empty_paths_are_the_same_place() -> None:
    assert matches_redirect("https://example.test:443/?code=x", "https://example.test")
    assert matches_redirect("https://example.test/cb", "https://example.test:443/cb")
    assert not matches_redirect("https://example.test:8443/cb", "https://example.test/cb")
    assert matches_redirect("ringdesk://oauth/callback?code=x", "ringdesk://oauth/callback")
    assert not matches_redirect("ringdesk://oauth/other?code=x", "ringdesk://oauth/callback")


def test_read_redirect_returns_the_code() -> None:
    attempt = new_attempt(REDIRECT)
    assert read_redirect(redirect(attempt, code="the-code", state=attempt.state), attempt) == "the-code"


def test_wrong_state_is_refused() -> None:
    attempt = new_attempt(REDIRECT)
    other = new_attempt(REDIRECT)
    with pytest.raises(StateMismatch):
        read_redirect(redirect(attempt, code="c", state=other.state), attempt)


def test_missing_state_is_refused() -> None:
    attempt = new_attempt(REDIRECT)
    with pytest.raises(StateMismatch):
        read_redirect(redirect(attempt, code="c"), attempt)


def test_repeated_state_or_code_is_refused() -> None:
    attempt = new_attempt(REDIRECT)
    doubled_state = f"{REDIRECT}?code=c&state={attempt.state}&state={attempt.state}"
    with pytest.raises(StateMismatch):
        read_redirect(doubled_state, attempt)
    doubled_code = f"{REDIRECT}?code=a&code=b&state={attempt.state}"
    with pytest.raises(SignInFailed):
        read_redirect(doubled_code, attempt)


def test_access_denied_carries_the_description() -> None:
    attempt = new_attempt(REDIRECT)
    url = redirect(
        attempt, error="access_denied", error_description="The user denied access", state=attempt.state
    )
    with pytest.raises(SignInDenied) as caught:
        read_redirect(url, attempt)
    assert caught.value.error_description == "The user denied access"
    assert "denied" in caught.value.user_message.lower()


def test_access_denied_without_state_is_still_a_denial() -> None:
    attempt = new_attempt(REDIRECT)
    with pytest.raises(SignInDenied):
        read_redirect(redirect(attempt, error="access_denied"), attempt)


def test_error_with_a_foreign_state_is_a_mismatch() -> None:
    attempt = new_attempt(REDIRECT)
    with pytest.raises(StateMismatch):
        read_redirect(redirect(attempt, error="access_denied", state="someone-else"), attempt)


def test_other_errors_fail_the_sign_in() -> None:
    attempt = new_attempt(REDIRECT)
    url = redirect(attempt, error="invalid_request", error_description="bad", state=attempt.state)
    with pytest.raises(SignInFailed) as caught:
        read_redirect(url, attempt)
    assert not isinstance(caught.value, SignInDenied | StateMismatch)
    assert "invalid_request" in str(caught.value)


def test_missing_or_empty_code_fails() -> None:
    attempt = new_attempt(REDIRECT)
    with pytest.raises(SignInFailed):
        read_redirect(redirect(attempt, state=attempt.state), attempt)
    with pytest.raises(SignInFailed):
        read_redirect(redirect(attempt, code="", state=attempt.state), attempt)


def test_answer_at_another_address_is_not_read() -> None:
    attempt = new_attempt(REDIRECT)
    url = f"http://127.0.0.1:53682/elsewhere?code=c&state={attempt.state}"
    with pytest.raises(SignInFailed):
        read_redirect(url, attempt)
