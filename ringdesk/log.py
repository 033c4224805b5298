"""Logging to a rotating file, with every line passed through a filter that removes secrets.

The filter works on the final formatted text (message, arguments and traceback alike), so a
secret cannot slip through a `%s` argument, an exception message or a repr of a request.

Log lines name the numbers a person called, so the log files are created 0600 in a 0700 folder.
A log folder that cannot be written (a read-only home, a full disk) never stops RingDesk: the
log goes to stderr only, and `setup_logging` returns a sentence the window can show.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import stat
import sys
from io import TextIOWrapper
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

# The same modes as `ringdesk.paths` (a module on this layer, which this one does not import).
_PRIVATE_FOLDER_MODE = 0o700
_PRIVATE_FILE_MODE = 0o600


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file, the first and each one after a rollover, is created 0600."""

    def _open(self) -> TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, _PRIVATE_FILE_MODE)
        if stat.S_IMODE(os.fstat(fd).st_mode) & ~_PRIVATE_FILE_MODE:
            # A log from an older RingDesk was readable by everyone.
            os.fchmod(fd, _PRIVATE_FILE_MODE)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def setup_logging(log_file: Path | None, level: int = logging.INFO, *, console: bool = False) -> str | None:
    """Send log records to a rotating file (and optionally stderr), redacted.

    Handlers sit on the root logger so that the libraries' records (httpx, uvicorn, keyring)
    pass the same filter; ours are logged from `level`, theirs from WARNING. Safe to call more
    than once: our earlier handlers are replaced, not stacked.

    When the log file cannot be opened, the log goes to stderr instead and the sentence saying
    so is returned (and logged); otherwise None.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_ringdesk", False):
            root.removeHandler(handler)
            handler.close()
    formatter = RedactingFormatter(LOG_FORMAT)
    handlers: list[logging.Handler] = []
    problem: str | None = None
    if log_file is not None:
        try:
            handlers.append(_open_log_file(log_file))
        except OSError as error:
            reason = error.strerror.lower() if error.strerror else str(error)
            problem = (
                f"RingDesk cannot write its log in {log_file.parent} ({reason}); "
                "it logs to the terminal only."
            )
            console = True
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        handler._ringdesk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("ringdesk").setLevel(level)
    if problem is not None:
        logging.getLogger("ringdesk.log").warning("%s", problem)
    return problem


def _open_log_file(log_file: Path) -> logging.Handler:
    folder = log_file.parent
    folder.mkdir(parents=True, exist_ok=True, mode=_PRIVATE_FOLDER_MODE)
    if stat.S_IMODE(folder.stat().st_mode) != _PRIVATE_FOLDER_MODE:
        folder.chmod(_PRIVATE_FOLDER_MODE)
    return PrivateRotatingFileHandler(log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
