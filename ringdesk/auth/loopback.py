"""The system-browser alternative (RFC 8252): a one-shot HTTP listener on the loopback interface.

The browser is sent to the authorize URL; the platform redirects it to
`http://127.0.0.1:PORT/PATH?code=...&state=...`, where this listener answers with a short page
("return to RingDesk") and hands the full URL to `read_redirect`. The port comes from the
redirect URI because the platform matches registered redirect URIs exactly, so an ephemeral port
(0) cannot work. The page never echoes the query: the code must not end up in the browser's
page content, and the `Referrer-Policy` keeps it from leaking onwards.

Any program on this computer can reach the port, and a browser may revisit the callback from its
history, so only a request carrying the attempt's own `state` is the answer. Anything else on the
callback path is told it is not the sign-in RingDesk is waiting for and changes nothing: were it
to end the wait, it would lose the genuine redirect that follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import logging
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit

from ringdesk.auth.errors import SignInFailed
from ringdesk.auth.pkce import matches_redirect
from ringdesk.net import is_loopback, listen_address

__all__ = ["LoopbackRedirectListener"]

_log = logging.getLogger("ringdesk.auth")

# A browser sends its request at once; anything slower is not a browser we are waiting for.
_REQUEST_HEAD_TIMEOUT = 10.0
_MAX_HEAD_BYTES = 16 * 1024

_DONE_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>RingDesk sign-in</title>
<style>body{font-family:system-ui,sans-serif;margin:15vh auto;max-width:28em;text-align:center}</style>
</head><body><h1>RingDesk</h1>
<p id="message">{message}</p>
</body></html>
"""
_DONE_MESSAGE = "The sign-in answer reached RingDesk. You can close this tab and return to RingDesk."
_NOT_FOUND = "Not found."
_NOT_THIS_SIGN_IN = (
    "This is not the sign-in RingDesk is waiting for, so RingDesk ignored it. "
    "To sign in, finish in the browser tab RingDesk opened."
)


class LoopbackRedirectListener:
    """`async with LoopbackRedirectListener(redirect_uri, state) as listener: url = await listener.wait()`.

    Only a GET of the redirect URI's exact path whose query carries exactly one `state`, equal to
    `state` (the attempt's), counts; error redirects too, since the platform returns the `state` on
    those as well (RFC 6749, 4.1.2.1). A request on that path without it (a bare GET, no `state`,
    another `state`) gets 400 and a page saying it is not the sign-in RingDesk is waiting for, and
    the wait goes on until the caller gives up or cancels. Other paths get 404, other methods 405.
    The first genuine request wins; later ones get the same page but change nothing.
    """

    def __init__(self, redirect_uri: str, state: str) -> None:
        parts = urlsplit(redirect_uri)
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"redirect URI has an invalid port: {redirect_uri!r}") from exc
        host = parts.hostname or ""
        if parts.scheme != "http" or not is_loopback(host):
            raise ValueError(
                f"a loopback redirect URI must be http://127.0.0.1:PORT/..., got {redirect_uri!r}"
            )
        if not port:
            # The platform compares redirect URIs exactly, so the port must be fixed and registered.
            raise ValueError(f"a loopback redirect URI needs a fixed, non-zero port: {redirect_uri!r}")
        self.redirect_uri = redirect_uri
        self._state = state
        self._host = host
        self._bind_host = listen_address(host)
        self._port = port
        self._server: asyncio.Server | None = None
        self._result: asyncio.Future[str] | None = None
        self._handlers: set[asyncio.Task[object]] = set()

    @property
    def port(self) -> int:
        return self._port

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        if self._server is not None:
            return
        self._result = asyncio.get_running_loop().create_future()
        try:
            self._server = await asyncio.start_server(self._handle, self._bind_host, self._port)
        except OSError as exc:
            _log.warning("loopback listener could not listen on port %d: %s", self._port, exc)
            raise SignInFailed(
                f"RingDesk could not receive the sign-in answer on port {self._port} of this computer "
                "(another program may be using it). Choose another redirect port, or close that program.",
                detail=str(exc),
            ) from exc
        _log.info("loopback listener waiting on %s port %d", self._bind_host, self._port)

    async def wait(self) -> str:
        """The full redirect URL the browser came back with (give it to `read_redirect`)."""
        if self._result is None:
            raise RuntimeError("the listener is not started; use `async with`")
        return await asyncio.shield(self._result)

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        # Connections a browser opened and never used (pre-connects) would otherwise outlive us.
        handlers = list(self._handlers)
        for task in handlers:
            task.cancel()
        for task in handlers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if server is not None:
            await server.wait_closed()
        if self._result is not None and not self._result.done():
            self._result.cancel()

    # ------------------------------------------------------------------ one connection

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            await self._answer(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError) as exc:
            _log.debug("loopback listener: connection ended early (%s)", type(exc).__name__)
        finally:
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()
            if task is not None:
                self._handlers.discard(task)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with asyncio.timeout(_REQUEST_HEAD_TIMEOUT):
            head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > _MAX_HEAD_BYTES:
            await _respond(writer, 431, "Request Header Fields Too Large", _NOT_FOUND)
            return
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[1].startswith("/"):
            await _respond(writer, 400, "Bad Request", "Bad request.")
            return
        method, target = parts[0], parts[1]
        url = f"http://{self._authority()}{target}"
        if not matches_redirect(url, self.redirect_uri):
            # Never log `target`: on the right path it would carry the code; on others it is noise.
            await _respond(writer, 404, "Not Found", _NOT_FOUND)
            return
        if method != "GET":
            await _respond(writer, 405, "Method Not Allowed", _NOT_FOUND, extra={"Allow": "GET"})
            return
        if not self._carries_this_state(target):
            _log.info("loopback listener ignored a request without this attempt's state")
            await _respond(writer, 400, "Bad Request", _NOT_THIS_SIGN_IN)
            return
        await _respond(writer, 200, "OK", _DONE_MESSAGE)
        if self._result is not None and not self._result.done():
            _log.info("loopback listener received the sign-in answer")
            self._result.set_result(url)

    def _carries_this_state(self, target: str) -> bool:
        """Whether the query of `target` has exactly one `state`, and it is this attempt's."""
        states = parse_qs(urlsplit(target).query, keep_blank_values=True).get("state", [])
        return len(states) == 1 and hmac.compare_digest(states[0].encode(), self._state.encode())

    def _authority(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{host}:{self._port}"


async def _respond(
    writer: asyncio.StreamWriter,
    status: int,
    reason: str,
    message: str,
    *,
    extra: dict[str, str] | None = None,
) -> None:
    body = _DONE_PAGE.replace("{message}", html.escape(message)).encode("utf-8")
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Length": str(len(body)),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        "Connection": "close",
        **(extra or {}),
    }
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    writer.write("\r\n".join(lines).encode("latin-1") + body)
    await writer.drain()
