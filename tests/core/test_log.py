"""The redaction filter: every secret shape we know of is removed from every log line."""

from __future__ import annotations

import logging

import pytest

from ringdesk.log import REDACTED, redact, setup_logging

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (
            "POST /restapi/oauth/token body=grant_type=refresh_token&refresh_token=U0pDMTFQ01&x=1",
            "U0pDMTFQ01",
        ),
        ("redirect to http://127.0.0.1:5/cb?code=AbC123xyz&state=s1", "AbC123xyz"),
        ("code_verifier=k3yV3rif13r-long_value", "k3yV3rif13r-long_value"),
        ('{"access_token": "U1BCMDFUMDRKV1MwMXxz", "expires_in": 3600}', "U1BCMDFUMDRKV1MwMXxz"),
        ("{'refresh_token': 'r3fr3sh', 'scope': 'RingOut'}", "r3fr3sh"),
        ("headers={'Authorization': 'Bearer U0pDMTFQ.abc/def+=='}", "U0pDMTFQ.abc/def+=="),
        ("Authorization: Basic cmluZ2Rlc2s6c2VjcmV0", "cmluZ2Rlc2s6c2VjcmV0"),
        (f"jwt login with {JWT} failed", JWT),
        (f"assertion={JWT}", JWT),
        ("login=+16505550100&password=hunter2&extension=101", "hunter2"),
        ('{"client_secret":"s3cr3t"}', "s3cr3t"),
        (
            "GET /v1/calls?api_key=KEY123&hash=5f4dcc3b5aa765d61d8327deb882cf99",
            "5f4dcc3b5aa765d61d8327deb882cf99",
        ),
        ("GET /v1/calls?api_key=KEY123&hash=abc", "KEY123"),
        ('{"ws_access_token": "wsT0k3n", "uri": "wss://x"}', "wsT0k3n"),
    ],
)
def test_secret_is_removed(line: str, secret: str) -> None:
    cleaned = redact(line)
    assert secret not in cleaned
    assert REDACTED in cleaned


@pytest.mark.parametrize(
    "line",
    [
        "RingOut 42 status InProgress/Success/InProgress",
        "GET /restapi/v1.0/account/~/extension/~ -> 200 (Light, 12 ms)",
        "errorCode=TEL-109 parameterName=to.phoneNumber",
        "dialling +1 650-555-1234",
    ],
)
def test_ordinary_lines_are_untouched(line: str) -> None:
    assert redact(line) == line


def test_file_handler_redacts_arguments_and_tracebacks(tmp_path) -> None:
    log_file = tmp_path / "logs" / "ringdesk.log"
    setup_logging(log_file, logging.DEBUG)
    try:
        logger = logging.getLogger("ringdesk.test")
        logger.info("token reply %s", {"access_token": "AT-s3cret-1", "refresh_token": "RT-s3cret-2"})
        try:
            raise ValueError("bad grant: refresh_token=RT-s3cret-3")
        except ValueError:
            logger.exception("refresh failed")
        logging.getLogger("httpx").warning("HTTP Request: POST http://x/token?code=C0DE-s3cret-4")
    finally:
        setup_logging(None)
    text = log_file.read_text(encoding="utf-8")
    for secret in ("AT-s3cret-1", "RT-s3cret-2", "RT-s3cret-3", "C0DE-s3cret-4"):
        assert secret not in text
    assert "refresh failed" in text and "ValueError" in text and "HTTP Request" in text


def test_setup_twice_does_not_duplicate_lines(tmp_path) -> None:
    log_file = tmp_path / "ringdesk.log"
    setup_logging(log_file)
    setup_logging(log_file)
    try:
        logging.getLogger("ringdesk.test").warning("once")
    finally:
        setup_logging(None)
    assert log_file.read_text(encoding="utf-8").count("once") == 1


def test_a_log_folder_that_cannot_be_made_falls_back_to_stderr(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "logs"
    blocker.write_text("a file where the log folder should be")
    try:
        problem = setup_logging(blocker / "ringdesk.log")
        logging.getLogger("ringdesk.test").warning("still logged")
    finally:
        setup_logging(None)
    assert (
        problem == f"RingDesk cannot write its log in {blocker} (file exists); it logs to the terminal only."
    )
    err = capsys.readouterr().err
    assert problem in err
    assert "still logged" in err
    assert blocker.read_text() == "a file where the log folder should be"
