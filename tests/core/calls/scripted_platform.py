"""`ScriptedPlatform`: a calling platform that lives in memory and follows a script, for the call service.

It stands for any platform behind `ringdesk.platforms.base.CallingPlatform`: it speaks only the
protocol's neutral words (`CallProgress`, `Leg`, `Failure`, `Budget`) and raises only
`ringdesk.errors` types, so a test that passes over it and over `RingCentralPlatform` shows that the
call service depends on the seam and on nothing RingCentral-shaped behind it.

Each placed call walks through a script of steps, one step per `call_progress` poll:

    RINGING_YOU -> YOU_ANSWERED -> RINGING_THEM -> CONNECTED -> FINISHED      (`CONNECTING_SCRIPT`)
    RINGING_YOU -> FAILED                                  (`fail_next("caller", ...)`)
    RINGING_YOU -> YOU_ANSWERED -> RINGING_THEM -> FAILED  (`fail_next("callee", ...)`)

and is gone (`NotFound`) `polls_until_gone` polls after it reached its last step. The levers a test
pulls are plain attributes and methods: `hold_at` (calls stop advancing at a stage until cancelled or
hung up), `fail_next`, `fail_next_place`, `place_next_send_in` (the placing budget is spent),
`hang_up_finds_nothing`, `vanishing_statuses` (that many next status polls answer `NotFound` while
the call goes on) and `records` (what `final_record` answers for a call: its last step, with
`connected_for` when it connected, unless a test set it). `requests` logs every request in order as
"place", "status", "cancel", "hang_up" or "record".

Its `kind` is `PlatformKind.RINGCENTRAL`: the protocol's kinds are a closed enum that names only the
platforms RingDesk ships, and the call history stores the kind as any text, so the fake reuses that
value rather than add a member for a test double.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ringdesk.errors import NetworkError, NotFound, RateLimited, RingDeskError
from ringdesk.platforms.base import (
    AccountPhones,
    Action,
    Budget,
    CallAlreadyConnected,
    CallHandle,
    CallNotFound,
    CallProgress,
    Failure,
    Identity,
    Leg,
    LegStatus,
    Phone,
    PlatformKind,
)

__all__ = [
    "CONNECTING_SCRIPT",
    "SCRIPTED_CALL_LENGTH",
    "PlaceFault",
    "ScriptedLeg",
    "ScriptedPlatform",
    "Stage",
    "Step",
    "failing_script",
]

ScriptedLeg = Literal["caller", "callee"]
"""The leg a scripted failure happens on: the operator's phone or the destination."""
PlaceFault = Literal["unreachable", "lost"]
"""How the next place request breaks: the platform cannot be reached, or its answer is lost."""


class Stage(enum.Enum):
    """Where a scripted call stands; every step of a script is at one stage."""

    RINGING_YOU = "ringing you"
    YOU_ANSWERED = "you answered"
    RINGING_THEM = "ringing them"
    CONNECTED = "connected"
    FINISHED = "finished"
    FAILED = "failed"


@dataclass(frozen=True)
class Step:
    """One step of a script: what the platform reports for the call while it is at `stage`."""

    stage: Stage
    call: Leg
    caller: Leg
    callee: Leg

    def progress(self, call_id: str) -> CallProgress:
        return CallProgress(call_id, call=self.call, caller=self.caller, callee=self.callee)


_WAITING = Leg(LegStatus.PENDING, word="Waiting")
_RINGING = Leg(LegStatus.PENDING, word="Ringing")
_ANSWERED = Leg(LegStatus.ANSWERED, word="Answered")
_FINISHED = Leg(LegStatus.FINISHED, word="Finished")
SCRIPTED_CALL_LENGTH = 8.0
"""Seconds a scripted call that connected lasted, as `final_record` reports it."""

_ENDED = Step(Stage.FINISHED, call=_FINISHED, caller=_FINISHED, callee=_FINISHED)

CONNECTING_SCRIPT: tuple[Step, ...] = (
    Step(Stage.RINGING_YOU, call=_RINGING, caller=_RINGING, callee=_WAITING),
    Step(Stage.YOU_ANSWERED, call=_RINGING, caller=_ANSWERED, callee=_WAITING),
    Step(Stage.RINGING_THEM, call=_RINGING, caller=_ANSWERED, callee=_RINGING),
    Step(Stage.CONNECTED, call=Leg(LegStatus.ANSWERED, word="Connected"), caller=_ANSWERED, callee=_ANSWERED),
    _ENDED,
)
"""A call that rings the operator, then the destination, connects and ends."""


def failing_script(leg: ScriptedLeg, failure: Failure, word: str) -> tuple[Step, ...]:
    """The connecting script until `leg` rings, then `leg` and the whole call failing with `failure`.

    `word` is what the platform calls the failure; with `Failure.UNRECOGNISED` it is a word RingDesk
    does not know.
    """
    failed = Leg(LegStatus.FAILED, failure, word)
    if leg == "caller":
        return (CONNECTING_SCRIPT[0], Step(Stage.FAILED, call=failed, caller=failed, callee=_WAITING))
    return (*CONNECTING_SCRIPT[:3], Step(Stage.FAILED, call=failed, caller=_ANSWERED, callee=failed))


class _ScriptedCall:
    """A placed call: the steps still ahead of it, the first being where it stands now."""

    def __init__(self, script: tuple[Step, ...]) -> None:
        self.steps = deque(script)
        self.polls_at_end = 0

    @property
    def now(self) -> Step:
        return self.steps[0]

    @property
    def at_end(self) -> bool:
        return len(self.steps) == 1

    def advance(self) -> None:
        if not self.at_end:
            self.steps.popleft()

    def end(self) -> None:
        self.steps = deque([_ENDED])


class ScriptedPlatform:
    """A `CallingPlatform` in memory whose calls follow scripts (see the module docstring).

    `place_limit`/`status_limit` per `window` are the budgets it states (`status_limit=None`: it
    states none, so polling goes at the service's own interval). A call that has reached its last
    step answers `polls_until_gone` more polls with it, then is gone. `on_request(word)` is told of
    every request as it is made, so a test can put the requests in order with other events.
    """

    kind = PlatformKind.RINGCENTRAL
    hang_up_permission: str | None = "HangUp"

    def __init__(
        self,
        *,
        place_limit: int = 10,
        status_limit: int | None = None,
        window: float = 60.0,
        polls_until_gone: int = 2,
        on_request: Callable[[str], None] | None = None,
    ) -> None:
        self.place_limit = place_limit
        self.status_limit = status_limit
        self.window = window
        self.polls_until_gone = polls_until_gone
        self.place_next_send_in = 0.0
        """Seconds until the placing budget allows the next call (above 0: it is spent)."""
        self.hold_at: Stage | None = None
        """A stage at which calls stop advancing (they still end when cancelled or hung up)."""
        self.hang_up_finds_nothing = False
        """Whether `hang_up` fails to find the call, as a platform may for a call it cannot match."""
        self.vanishing_statuses = 0
        """How many of the next status polls answer `NotFound` although the call goes on."""
        self.records: dict[str, CallProgress | None] = {}
        """What `final_record` answers per call id, when a test decides it (None: no record)."""
        self.requests: list[str] = []
        self._on_request = on_request
        self._next_script: tuple[Step, ...] | None = None
        self._next_place_fault: PlaceFault | None = None
        self._calls: dict[str, _ScriptedCall] = {}
        self._gone: dict[str, _ScriptedCall] = {}
        self._call_ids = itertools.count(1)

    # ------------------------------------------------------------------ what a test sets up

    def fail_next(self, leg: ScriptedLeg, failure: Failure, word: str) -> None:
        """The next call placed fails on `leg` with `failure`, which the platform calls `word`."""
        self._next_script = failing_script(leg, failure, word)

    def fail_next_place(self, fault: PlaceFault) -> None:
        """The next place request raises `NetworkError`: not sent ("unreachable"), or answer lost ("lost")."""
        self._next_place_fault = fault

    # ------------------------------------------------------------------ the operator

    async def identity(self) -> Identity:
        return Identity(account_id="1", extension_id="101", extension_number="101", name="Scripted Operator")

    async def account_phones(self) -> AccountPhones:
        mobile = Phone(id="1", number="+16505550122", label="Mobile", kind="mobile")
        return AccountPhones(home_country="US", phones=(mobile,), caller_ids=())

    # ------------------------------------------------------------------ calls

    async def place_call(
        self, from_: Phone | str, to: str, *, caller_id: str | None, play_prompt: bool
    ) -> CallProgress:
        self._note("place")
        fault, self._next_place_fault = self._next_place_fault, None
        if fault is not None:
            raise NetworkError(may_have_reached_server=fault == "lost", detail=f"scripted: {fault}")
        if self.place_next_send_in > 0:
            # What a platform answers a request past its budget; a caller that honours the budget
            # never sees it.
            raise RateLimited(retry_after=self.place_next_send_in, group="place", sent=True, status=429)
        call_id = f"scripted-{next(self._call_ids)}"
        script, self._next_script = self._next_script or CONNECTING_SCRIPT, None
        self._calls[call_id] = _ScriptedCall(script)
        return script[0].progress(call_id)

    async def call_progress(self, call_id: str) -> CallProgress:
        self._note("status")
        if self.vanishing_statuses > 0:
            self.vanishing_statuses -= 1
            raise NotFound(status=404, message=f"status of {call_id} unavailable for now")
        call = self._call(call_id)
        if call.at_end:
            call.polls_at_end += 1
            if call.polls_at_end > self.polls_until_gone:
                self._gone[call_id] = self._calls.pop(call_id)
                raise NotFound(status=404, message=f"no call {call_id}")
        elif call.now.stage is not self.hold_at:
            call.advance()
        return call.now.progress(call_id)

    async def final_record(self, call: CallHandle) -> CallProgress | None:
        """The test's record for the call if it set one, else the call's last step played out."""
        self._note("record")
        if call.call_id in self.records:
            return self.records[call.call_id]
        scripted = self._calls.get(call.call_id) or self._gone.get(call.call_id)
        if scripted is None:
            return None
        last = scripted.steps[-1]
        connected_for = SCRIPTED_CALL_LENGTH if last.stage is Stage.FINISHED else None
        return dataclasses.replace(last.progress(call.call_id), connected_for=connected_for)

    async def cancel_call(self, call_id: str) -> None:
        self._note("cancel")
        call = self._call(call_id)
        if call.now.call.status is not LegStatus.PENDING:
            raise CallAlreadyConnected(detail=f"call {call_id} is no longer ringing")
        del self._calls[call_id]

    async def hang_up(self, call: CallHandle) -> None:
        self._note("hang_up")
        scripted = self._calls.get(call.call_id)
        if scripted is None or self.hang_up_finds_nothing:
            raise CallNotFound()
        scripted.end()

    @property
    def call_feed(self) -> None:
        """A platform without push: calls are polled."""
        return None

    # ------------------------------------------------------------------ budgets and errors

    def budget(self, action: Action) -> Budget:
        if action is Action.PLACE:
            return Budget(self.place_limit, self.window, self.place_next_send_in, name="place")
        if action is Action.STATUS:
            return Budget(self.status_limit, self.window, 0.0, name="status")
        return Budget(None, self.window, 0.0, name=action.value)

    def place_failure(self, error: RingDeskError) -> tuple[str, str | None] | None:
        """None: no refusal of this platform has a sentence of its own."""
        return None

    async def aclose(self) -> None:
        """Nothing to release: the platform is memory only."""

    # ------------------------------------------------------------------ internals

    def _note(self, request: str) -> None:
        self.requests.append(request)
        if self._on_request is not None:
            self._on_request(request)

    def _call(self, call_id: str) -> _ScriptedCall:
        call = self._calls.get(call_id)
        if call is None:
            raise NotFound(status=404, message=f"no call {call_id}")
        return call
