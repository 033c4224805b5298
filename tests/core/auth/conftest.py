"""Fakes for the auth unit tests: time that moves only when a test says so, and a keyring in memory.

The platform itself is never faked here: session tests talk to the real simulator over sockets
(fixtures `sim`, `sim_control` from tests/conftest.py). Only the session's clocks and sleep are
fakes, so "an hour later" costs nothing, while the simulator's tokens stay valid in real time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ringdesk.auth import Session, TokenStore
from ringdesk.platforms.ringcentral import PlatformClient
from ringdesk.platforms.ringcentral.platform import RingCentralPlatform
from ringdesk.simulator import Simulator
from tests.fakes import FakeClock, MemoryKeyring

CLIENT_ID = "ringdesk-demo"


@pytest.fixture
def fake_time() -> FakeClock:
    return FakeClock()


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

    def __init__(self, sim: Simulator, fake_time: FakeClock, keyring_backend: MemoryKeyring) -> None:
        self.sim = sim
        self.time = fake_time
        self.keyring = keyring_backend
        self.clients: list[PlatformClient] = []
        self.sessions: list[Session] = []
        self.session, self.client, self.store = self.new_session()

    def new_session(self, keyring: MemoryKeyring | None = None) -> tuple[Session, PlatformClient, TokenStore]:
        """Another session on this keyring (a restart), or on a keyring of its own (another install)."""
        client = PlatformClient(self.sim.base_url, CLIENT_ID, clock=self.time, wall_clock=self.time.wall)
        store = TokenStore(self.sim.base_url, CLIENT_ID, backend=keyring or self.keyring)
        session = Session(
            RingCentralPlatform(client),
            store,
            clock=self.time,
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
async def rig(sim: Simulator, fake_time: FakeClock, memory_keyring: MemoryKeyring) -> AsyncIterator[Rig]:
    made = Rig(sim, fake_time, memory_keyring)
    yield made
    await made.aclose()
    # No timer, refresh or clean-up task may outlive the sessions.
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not [t for t in leftovers if (t.get_name() or "").startswith("ringdesk-")], leftovers
