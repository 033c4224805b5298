"""Stand-ins shared by the view-model tests: a call and a RingOut service without a network,
and helpers for view models that own Qt timers.

    service = FakeService()                       # place() records what was asked and returns a FakeCall
    vm = DialerViewModel(service=service, parent=owner(), spawn=no_spawn)
    service.calls[0].publish(connected_state)     # as the core would, on the loop's thread
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from ringdesk.calls.state import CallState, placing_state
from ringdesk.numbers import DialTarget

__all__ = ["OWNERS", "FakeCall", "FakeService", "no_spawn", "owner", "until"]


class FakeCall:
    def __init__(self, state: CallState) -> None:
        self.state = state
        self.listeners: list[Callable[[CallState], None]] = []
        self.cancels = 0
        self.closed = False

    def subscribe(self, listener: Callable[[CallState], None]) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def publish(self, state: CallState) -> None:
        self.state = state
        for listener in list(self.listeners):
            listener(state)

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


def no_spawn(coro: Any, *, name: str) -> None:
    """A `spawn` for view models whose tasks must not run in a test: the coroutine is closed."""
    coro.close()


async def until(condition: Callable[[], object], within: float = 5.0) -> None:
    """Poll `condition` while the qasync loop runs the tasks (never qtbot.wait in async tests)."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {condition}"
        await asyncio.sleep(0.02)


#: Parents made by `owner()`; tests/ui/conftest.py deletes them after each test.
OWNERS: list[QWidget] = []


def owner() -> QWidget:
    """A parent for view models, deleted after the test on the GUI thread with their timers.

    Left to Python's garbage collector, a view model with a running timer may be destroyed on
    whichever thread happens to collect (the simulator's, for one), leaving Qt a dangling timer.
    """
    widget = QWidget()
    OWNERS.append(widget)
    return widget
