"""Logging to a rotating file, with every line passed through a filter that removes secrets.

The filter works on the final formatted text (message, arguments and traceback alike), so a
secret cannot slip through a `%s` argument, an exception message or a repr of a request.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from pathlib import Path

REDACTED = "[redacted]"

# Names under which the platform, OAuth and our own code carry secrets. Matched as keys in
# query strings, form bodies, JSON, Python reprs and "name: value" header lines.
SECRET_NAMES = (
    "access_token",
    "refresh_token",
    "id_token",
    "ws_access_token",
    "token",
    "code",
    "code_verifier",
    "code_challenge",
    "verifier",
    "assertion",
    "jwt",
    "password",
    "passwd",
    "client_secret",
    "secret",
    "api_key",
    "apikey",
    "hash",
    "wsc",
)

_NAMES = "|".join(sorted((re.escape(n) for n in SECRET_NAMES), key=len, reverse=True))

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization headers in any rendering: "Authorization: Bearer x", "'authorization': 'Basic x'".
    (
        re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(bearer|basic)\s+[^\s'\",;]+"),
        rf"\1\2 {REDACTED}",
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]{8,}=*"), rf"\1 {REDACTED}"),
    # JSON and dict reprs: "access_token": "x"  /  'password': 'x'
    (
        re.compile(rf"(?i)(['\"](?:{_NAMES})['\"]\s*:\s*)(['\"])(?:\\.|(?!\2).)*\2"),
        rf"\1\2{REDACTED}\2",
    ),
    # Query strings, form bodies and key=value text: access_token=x&...
    (re.compile(rf"(?i)(?<![A-Za-z0-9_])((?:{_NAMES})=)[^&\s'\",;)]+"), rf"\1{REDACTED}"),
    # JWTs wherever they stand (three base64url parts, the first one a JSON header).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
)


def redact(text: str) -> str:
    """Return `text` with every secret we know how to recognise replaced by a marker."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then redacts: covers arguments, exception text and stack info."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(log_file: Path | None, level: int = logging.INFO, *, console: bool = False) -> None:
    """Send log records to a rotating file (and optionally stderr), redacted.

    Handlers sit on the root logger so that the libraries' records (httpx, uvicorn, keyring)
    pass the same filter; ours are logged from `level`, theirs from WARNING. Safe to call more
    than once: our earlier handlers are replaced, not stacked.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_ringdesk", False):
            root.removeHandler(handler)
            handler.close()
    formatter = RedactingFormatter(LOG_FORMAT)
    handlers: list[logging.Handler] = []
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
            )
        )
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        handler._ringdesk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("ringdesk").setLevel(level)
