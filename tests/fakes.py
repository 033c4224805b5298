"""Clocks and doubles for tests of every tier: nothing here imports Qt.

    clock = FakeClock()                           # time stands still until a test moves it
    client = PlatformClient(..., clock=clock, wall_clock=clock.wall, sleep=clock.sleep)
    await clock.advance(30)                       # sleepers due within 30 s wake, each in turn

    service = FakeService()                       # place() records what was asked, returns a FakeCall
    service.calls[0].publish(connected_state)     # as the core would, on the loop's thread
    await until(lambda: vm.view.phase is Phase.CONNECTED)

A double that only one folder's tests use stays in that folder's conftest.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import keyring
import keyring.backend
import keyring.errors

from ringdesk.auth.session import SessionState, SessionStatus
from ringdesk.calls.state import CallState, placing_state
from ringdesk.numbers import DialTarget

__all__ = [
    "WALL_EPOCH",
    "FakeCall",
    "FakeClock",
    "FakeService",
    "FakeSession",
    "loop_spawn",
    "no_spawn",
    "settle",
    "until",
]

#: What `FakeClock.wall()` reads while its monotonic clock reads 0 (mid-January 2027).
WALL_EPOCH = 1_800_000_000.0

Published = TypeVar("Published")


class FakeClock:
    """A monotonic clock (call it), a wall clock (`wall`) and a `sleep`; time moves only when told.

    - `await advance(s)`: both clocks move by `s`, waking the sleepers due by then in deadline
      order and letting each one run, as the event loop's timers would.
    - `jump(s)`: both clocks move by `s` and no sleeper wakes, for checks that must not involve
      a timer (a sleeper due by then wakes at the next `advance`).
    - `jump_wall(s)`: the wall clock alone moves: a suspend (monotonic stood still) or a clock change.
    - `autojump=True`: a `sleep` moves the clock to its end at once instead of waiting for
      `advance`, so code that only waits (retries, back-off) runs straight through, exactly.

    `sleeps` lists every sleep asked for; `sleeping` counts the sleepers still waiting.
    """

    def __init__(self, now: float = 1000.0, *, autojump: bool = False) -> None:
        self.now = now
        self.autojump = autojump
        self.sleeps: list[float] = []
        self._wall_offset = WALL_EPOCH
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + self._wall_offset

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.autojump:
            self.now += seconds
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, future))
        try:
            await future
        finally:
            self._sleepers = [(t, f) for t, f in self._sleepers if f is not future]

    def jump(self, seconds: float) -> None:
        self.now += seconds

    def jump_wall(self, seconds: float) -> None:
        self._wall_offset += seconds

    async def advance(self, seconds: float) -> None:
        target = self.now + seconds
        while True:
            due = sorted((t, f) for t, f in self._sleepers if t <= target and not f.done())
            if not due:
                break
            deadline, future = due[0]
            self.now = max(self.now, deadline)
            future.set_result(None)
            await settle()
        self.now = target
        await settle()

    @property
    def sleeping(self) -> int:
        return sum(1 for _, f in self._sleepers if not f.done())


async def settle(rounds: int = 20) -> None:
    """Let ready callbacks and tasks run (no real time passes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


async def until(condition: Callable[[], object], within: float = 5.0, what: str = "") -> None:
    """Poll `condition` in real time while the loop runs the tasks (work over sockets, on threads).

    In tests on the qasync loop this is the way to wait: qtbot.wait would spin a nested loop.
    """
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:g} s waiting for {what or condition}")
        await asyncio.sleep(0.01)


def no_spawn(coro: Any, *, name: str) -> None:
    """A `spawn` for view models whose tasks must not run in a test: the coroutine is closed."""
    coro.close()


def loop_spawn(coro: Any, *, name: str) -> asyncio.Task[Any]:
    """A `spawn` that runs each coroutine as a plain task on the running loop."""
    return asyncio.get_running_loop().create_task(coro, name=name)


class _Publisher(Generic[Published]):
    """`subscribe` as the core's calls and sessions offer it; `listeners` shows who still listens."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[Published], None]] = []

    def subscribe(self, listener: Callable[[Published], None]) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def _tell(self, value: Published) -> None:
        for listener in list(self.listeners):
            listener(value)


class FakeCall(_Publisher[CallState]):
    """A placed call as the dialer sees it: its state, `publish` for the next one, cancel, close."""

    def __init__(self, state: CallState) -> None:
        super().__init__()
        self.state = state
        self.cancels = 0
        self.closed = False

    def publish(self, state: CallState) -> None:
        self.state = state
        self._tell(state)

    async def cancel(self) -> None:
        self.cancels += 1

    async def aclose(self) -> None:
        self.closed = True


class FakeService:
    """`CallService` as the dialer sees it: a Heavy budget and `place`."""

    def __init__(self, wait: float = 0.0, error: Exception | None = None) -> None:
        self.wait = wait
        self.error = error
        #: (target, the keyword arguments of `place`) for every call asked for.
        self.placed: list[tuple[DialTarget, dict[str, Any]]] = []
        self.calls: list[FakeCall] = []

    def next_call_possible_in(self) -> float:
        return self.wait

    async def place(self, target: DialTarget, **kwargs: Any) -> FakeCall:
        self.placed.append((target, kwargs))
        if self.error is not None:
            raise self.error
        call = FakeCall(placing_state(target.display))
        self.calls.append(call)
        return call


class FakeSession(_Publisher[SessionStatus]):
    """Just enough of `Session` for the session and tray view models: status, subscribe, sign_out."""

    SIGNED_OUT = SessionStatus(SessionState.SIGNED_OUT, None, None, True)

    def __init__(self, status: SessionStatus) -> None:
        super().__init__()
        self.status = status
        self.sign_outs = 0

    def publish(self, status: SessionStatus) -> None:
        self.status = status
        self._tell(status)

    async def sign_out(self) -> None:
        self.sign_outs += 1
        self.publish(self.SIGNED_OUT)


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
