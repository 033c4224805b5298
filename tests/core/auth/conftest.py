"""Fakes for the auth unit tests: time that moves only when a test says so, and a keyring in memory.

The platform itself is never faked here: session tests talk to the real simulator over sockets
(fixtures `sim`, `sim_control` from tests/conftest.py). Only the session's clocks and sleep are
fakes, so "an hour later" costs nothing, while the simulator's tokens stay valid in real time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import keyring.backend
import keyring.errors
import pytest

from ringdesk.auth import Session, TokenStore
from ringdesk.platforms.ringcentral import PlatformClient
from ringdesk.platforms.ringcentral.platform import RingCentralPlatform
from ringdesk.simulator import Simulator

CLIENT_ID = "ringdesk-demo"


class FakeTime:
    """Monotonic and wall clocks plus a sleep; nothing moves until `advance`, `set_mono` or `jump_wall`.

    A sleeper wakes when `advance` passes its deadline, as the event loop's timer would. `set_mono`
    moves time without waking anybody, for checks that must not involve the session's timer.
    """

    def __init__(self) -> None:
        self.mono = 1000.0
        self._wall_offset = time.time() - self.mono
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.mono

    def wall(self) -> float:
        return self.mono + self._wall_offset

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.mono + seconds, future))
        try:
            await future
        finally:
            self._sleepers = [(t, f) for t, f in self._sleepers if f is not future]

    def set_mono(self, value: float) -> None:
        self.mono = value

    def jump_wall(self, seconds: float) -> None:
        """The wall clock alone moves: a suspend (monotonic stood still) or a clock change."""
        self._wall_offset += seconds

    async def advance(self, seconds: float) -> None:
        """Move both clocks forward, waking sleepers in deadline order and letting each one run."""
        target = self.mono + seconds
        while True:
            due = sorted((t, f) for t, f in self._sleepers if t <= target and not f.done())
            if not due:
                break
            deadline, future = due[0]
            self.mono = max(self.mono, deadline)
            future.set_result(None)
            await settle()
        self.mono = target
        await settle()

    @property
    def sleeping(self) -> int:
        return sum(1 for _, f in self._sleepers if not f.done())


async def settle(rounds: int = 20) -> None:
    """Let ready callbacks and tasks run (no real time passes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


async def eventually(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Wait in real time for `condition` (work that goes over a socket to the simulator)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend in memory, standing in for the OS keyring in the store's unit tests.

    Priority -1 keeps it out of keyring's own backend choice (it registers itself on definition).
    """

    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls += 1
        if (service, username) not in self.entries:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.entries[(service, username)]


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def jwt(sim: Simulator) -> str:
    credential = sim.scenario.account.users[0].jwt_credential
    assert credential
    return credential


@pytest.fixture
def token_requests(sim_control: Any) -> Callable[[], list[dict[str, Any]]]:
    """The token endpoint requests the simulator received (logged since the last `clear_requests`)."""

    def requests() -> list[dict[str, Any]]:
        return [r for r in sim_control.requests() if r["path"] == "/restapi/oauth/token"]

    return requests


class Rig:
    """A real client and store around one session, all on `fake_time`; `new_session()` makes more."""

    def __init__(self, sim: Simulator, fake_time: FakeTime, keyring_backend: MemoryKeyring) -> None:
        self.sim = sim
        self.time = fake_time
        self.keyring = keyring_backend
        self.clients: list[PlatformClient] = []
        self.sessions: list[Session] = []
        self.session, self.client, self.store = self.new_session()

    def new_session(self) -> tuple[Session, PlatformClient, TokenStore]:
        client = PlatformClient(
            self.sim.base_url, CLIENT_ID, clock=self.time.clock, wall_clock=self.time.wall
        )
        store = TokenStore(self.sim.base_url, CLIENT_ID, backend=self.keyring)
        session = Session(
            RingCentralPlatform(client),
            store,
            clock=self.time.clock,
            wall_clock=self.time.wall,
            sleep=self.time.sleep,
        )
        self.clients.append(client)
        self.sessions.append(session)
        return session, client, store

    async def aclose(self) -> None:
        for session in self.sessions:
            await session.aclose()
        for client in self.clients:
            await client.aclose()


@pytest.fixture
async def rig(sim: Simulator, fake_time: FakeTime, memory_keyring: MemoryKeyring) -> AsyncIterator[Rig]:
    made = Rig(sim, fake_time, memory_keyring)
    yield made
    await made.aclose()
    # No timer, refresh or clean-up task may outlive the sessions.
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not [t for t in leftovers if (t.get_name() or "").startswith("ringdesk-")], leftovers
