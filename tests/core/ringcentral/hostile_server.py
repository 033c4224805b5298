"""A small HTTP/1.1 server on 127.0.0.1 that answers as a hostile or broken platform would.

Each test hands it one `Answer`: a coroutine that gets the request line and a writer, and writes
whatever bytes it likes (a trickle, a huge body, a gzip bomb, a nonsense `Retry-After`). The
client under test talks to it over a real socket through its real transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

Answer = Callable[[str, str, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class HostileServer:
    answer: Answer
    requests: list[str] = field(default_factory=list)
    base_url: str = ""
    connections: dict[asyncio.StreamWriter, asyncio.Task[None]] = field(default_factory=dict)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections[writer] = task
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                length = next(
                    (
                        int(line.split(":", 1)[1])
                        for line in lines
                        if line.lower().startswith("content-length:")
                    ),
                    0,
                )
                await reader.readexactly(length)
                self.requests.append(f"{method} {path}")
                await self.answer(method, path, writer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.connections.pop(writer, None)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def hang_up_all(self) -> None:
        """Close every connection the client kept open, and wait until their handlers are done."""
        tasks = list(self.connections.values())
        for writer in list(self.connections):
            writer.close()
        # Not cancelled: a closed connection ends each handler, and Python 3.11's stream server
        # logs a cancelled handler as an error.
        if tasks:
            await asyncio.wait(tasks, timeout=2)


@contextlib.asynccontextmanager
async def hostile_server(answer: Answer) -> AsyncIterator[HostileServer]:
    """Serve `answer` on a free port of 127.0.0.1 for the duration of the block."""
    state = HostileServer(answer)
    server = await asyncio.start_server(state._serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    state.base_url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        server.close()
        await state.hang_up_all()
        with contextlib.suppress(asyncio.TimeoutError):
            async with asyncio.timeout(2):
                await server.wait_closed()


def head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Whatever"] + [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def json_answer(status: int, body: object, headers: dict[str, str] | None = None) -> Answer:
    """Answer every request with this JSON body."""
    content = json.dumps(body).encode()

    async def answer(method: str, path: str, writer: asyncio.StreamWriter) -> None:
        all_headers = {"Content-Type": "application/json", "Content-Length": str(len(content))}
        writer.write(head(status, {**all_headers, **(headers or {})}) + content)

    return answer


def gzip_of_zeros(size: int) -> bytes:
    """`size` zero bytes, gzip-compressed: about a thousandth of `size` on the wire."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(size >> 20)]
    parts.append(compressor.flush())
    return b"".join(parts)
