"""Limits on request bodies, checked before any route reads one, as the platform's gateway does.

A body larger than `MAX_BODY_BYTES` is refused with 413 as soon as that is known (from
`Content-Length`, or while it arrives), so the simulator never holds more than the limit; the
server discards the rest of it. A body nested deeper than `MAX_JSON_DEPTH` is refused with 400
before any parser sees it, so deep nesting cannot exhaust a recursive parser's stack.

The limits:

- 1 MiB for a body: the smallest limit the platform's API description states for an operation
  (`x-request-max-body-size: 1m`, on SCIM operations). The operations with larger limits are
  mostly uploads (faxes, greetings, files), which the simulator does not serve; every body it
  takes is a few hundred bytes of JSON or form fields.
- 64 levels of JSON nesting: the platform documents none. The bodies it describes nest a few
  levels (a RingOut request, two), and Python's `json` gives up at about a thousand.
"""

from __future__ import annotations

import re
from typing import Final

from starlette.types import Message, Receive, Scope

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "is_parsed_as_json",
    "nests_deeper_than",
    "read_body_within",
    "replaying",
]

MAX_BODY_BYTES: Final = 1024 * 1024
MAX_JSON_DEPTH: Final = 64

# Form bodies are read as fields, never as JSON; every other body is JSON to the route that reads
# it, whatever its Content-Type says, so its nesting is checked.
_FORM_MEDIA_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")
# A JSON string (whose brackets do not nest anything) or one bracket.
_STRING_OR_BRACKET: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


async def read_body_within(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it is known to be larger than `limit` bytes.

    A `Content-Length` above the limit is refused without reading anything. A client that goes
    away mid-body leaves what arrived; the route then finds the disconnect.
    """
    declared = _content_length(scope)
    if declared is not None and declared > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the route `body` (already read) first, then what the client sends."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay


def is_parsed_as_json(scope: Scope) -> bool:
    """Whether the route reads this request's body as JSON: every body that is not a form."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-type":
            media_type = value.decode("latin-1").split(";", 1)[0].strip().lower()
            return media_type not in _FORM_MEDIA_TYPES
    return True


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether arrays and objects in JSON `body` nest more than `limit` levels deep.

    Brackets inside strings do not count. The body need not be valid JSON: whatever it is, the
    route's parser will say so, once it is known to be shallow enough to be parsed safely.
    """
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth = max(depth - 1, 0)
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
