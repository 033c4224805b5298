"""The running instance's side of `ringdesk.desktop.instance`: serves the requests of later starts
on the socket the command line claimed, on the app's event loop.

Apart from the rest of the protocol so that a later start, which only hands over its request and
exits, does not load asyncio.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Final

from ringdesk.desktop.instance import MAX_REQUEST_BYTES, PrimaryInstance, Reply, Request, Transport
from ringdesk.errors import report

__all__ = ["Handler", "InstanceServer"]

_log = logging.getLogger("ringdesk.desktop.instance")

#: How long a sender may take to send its request, and answers being written may take at quit.
_READ_TIMEOUT: Final = 5.0

Handler = Callable[[Request], Awaitable[Reply]]


class InstanceServer:
    """Serves the requests of later starts on the primary instance's socket, on the running loop."""

    def __init__(self, primary: PrimaryInstance, handle: Handler) -> None:
        self._primary = primary
        self._handle = handle
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        if self._primary.address.transport is Transport.UNIX:
            self._server = await asyncio.start_unix_server(
                self._serve, sock=self._primary.socket, limit=MAX_REQUEST_BYTES
            )
        else:
            self._server = await asyncio.start_server(
                self._serve, sock=self._primary.socket, limit=MAX_REQUEST_BYTES
            )

    async def aclose(self) -> None:
        """Stop serving, let the requests being answered get their answer, release socket and lock.

        An answer is not cut off: a sender whose request was read and taken must hear so, or it
        would report a failure for something that happens. Connections not yet read are closed
        unread; their senders see that and look for the next instance (`InstanceGone`).
        """
        server, self._server = self._server, None
        if server is not None:
            server.close()
        if self._clients:
            _done, late = await asyncio.wait(list(self._clients), timeout=_READ_TIMEOUT)
            for task in late:
                task.cancel()
        self._primary.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        try:
            await self._answer(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError) as error:
            _log.info("a request from another RingDesk start was cut off: %s", error)
        finally:
            self._clients.discard(task)
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None and not _same_user(sock):
            _log.warning("refused a connection to the instance socket from another account")
            return
        try:
            line = await asyncio.wait_for(reader.readuntil(b"\n"), _READ_TIMEOUT)
        except asyncio.LimitOverrunError:
            line = b""  # longer than any request: not one
        try:
            request = Request.decode(line, self._primary.token)
        except (ValueError, RecursionError) as error:
            _log.warning("refused a request on the instance socket: %s", error)
            reply = Reply(False, "RingDesk did not understand the request.")
        else:
            try:
                reply = await self._handle(request)
            except Exception as error:
                report(error, context="handling a request from another start", logger=_log)
                reply = Reply(False, "RingDesk could not handle that request; its log says why.")
        writer.write(reply.encode())
        await writer.drain()


def _same_user(sock: socket.socket) -> bool:
    """Whether the peer of a Unix socket is this user; True where the kernel cannot say (TCP: the
    token decides, and macOS: the folder's permissions do)."""
    peercred = getattr(socket, "SO_PEERCRED", None)
    if peercred is None or sock.family != getattr(socket, "AF_UNIX", None):
        return True
    credentials = sock.getsockopt(socket.SOL_SOCKET, peercred, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return bool(uid == os.getuid())
