"""The RingOut call model: a timed, per-call state machine and the telephony session that mirrors it.

State is computed from timestamps rather than advanced by timers, so a call's status is exact whenever it is
read, no background task can leak, and "press 1", cancel and hang-up are just recorded instants.

Status triples (`callStatus`, `callerStatus`, `calleeStatus`), as the RingOut guide describes them:

=====================  ===========  ============  ============
phase                  callStatus   callerStatus  calleeStatus
=====================  ===========  ============  ============
your phone rings       InProgress   InProgress    InProgress
you answered / prompt  InProgress   Success       InProgress
destination rings      InProgress   Success       InProgress
connected              Success      Success       Success
ended                  Finished     Finished      Finished
=====================  ===========  ============  ============

Failures (the simulator's choice where the platform is silent): the failing leg shows the failure value
(`Busy`, `NoAnswer`, `Rejected`, `InternationalDisabled`, `DestinationBlocked`, `GenericError` or any unknown
string); `callStatus` becomes the outcome's `call_status`, `CannotReach` by default (the guide's "one or both
legs are in invalid state for call connection"); the other leg keeps the last value it had (`InProgress` for a
destination never dialled, `Success` for an operator who had answered), so clients must treat `callStatus` as
the authority. If nobody presses 1 within `prompt_timeout`, the operator's leg is dropped:
`CannotReach`/`NoAnswer`/`InProgress`.

The telephony session is shaped as the platform shows a RingOut: two inbound legs. The Initiator rings the
operator's own phone (it belongs to the operator's extension and shows the destination as its caller); the
Target rings the destination from the caller ID under the operator's name and belongs to no extension.
Whoever must hear of a change at the moment it happens (push notifications) sets `CallBook.on_change`: it is
told of every new call, "press 1", cancel and hang-up, and `Call.next_change` says when the clock alone will
change the call next.
"""

from __future__ import annotations

import enum
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ringdesk.simulator.scenario import CallOutcome, Timings


class Phase(enum.Enum):
    CALLER_RINGING = "CallerRinging"
    WAITING_FOR_PRESS = "WaitingForPress"
    CALLEE_RINGING = "CalleeRinging"
    CONNECTED = "Connected"
    FINISHED = "Finished"
    FAILED = "Failed"
    PROMPT_TIMEOUT = "PromptTimeout"
    CANCELLED = "Cancelled"

    @property
    def ended(self) -> bool:
        return self in _ENDED

    @property
    def before_connect(self) -> bool:
        return self in (Phase.CALLER_RINGING, Phase.WAITING_FOR_PRESS, Phase.CALLEE_RINGING)


_ENDED = frozenset({Phase.FINISHED, Phase.FAILED, Phase.PROMPT_TIMEOUT, Phase.CANCELLED})

# Telephony session `status.reason` for each RingOut failure value.
_FAILURE_REASONS = {
    "Busy": "TargetBusy",
    "NoAnswer": "NoAnswer",
    "Rejected": "Rejected",
    "InternationalDisabled": "InternationalDisabled",
    "DestinationBlocked": "DestinationBlocked",
    "GenericError": "InternalError",
    "NotEnoughFunds": "NotEnoughFunds",
}

# Call-log `result` for each RingOut failure value (the spec's CallResultEnum words).
_CALL_LOG_RESULTS = {
    "Busy": "Busy",
    "NoAnswer": "No Answer",
    "Rejected": "Rejected",
    "InternationalDisabled": "International Disabled",
    "DestinationBlocked": "Blocked",
    "GenericError": "Call Failed",
    "NotEnoughFunds": "No Calling Credit",
}

_ids = itertools.count(1)


@dataclass
class CallState:
    phase: Phase
    #: When the call ended (monotonic clock), None while it runs.
    ended_at: float | None


@dataclass
class Call:
    owner: int
    account_id: int
    client_id: str
    from_number: str
    to_number: str
    caller_id: str
    play_prompt: bool
    timings: Timings
    outcome: CallOutcome | None
    created: float
    #: The operator's name, shown to the destination with the caller ID.
    caller_name: str = ""
    created_wall: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: str = field(default_factory=lambda: str(8_000_000_000 + next(_ids) * 1_000 + secrets.randbelow(1000)))
    session_id: str = field(default_factory=lambda: "s-" + secrets.token_hex(16))
    initiator_party_id: str = field(default_factory=lambda: "p-" + secrets.token_hex(12) + "-1")
    target_party_id: str = field(default_factory=lambda: "p-" + secrets.token_hex(12) + "-2")
    pressed_at: float | None = None
    #: DELETE on an ended RingOut removes the resource early; its telephony session lives on until gone.
    deleted: bool = False
    #: Set when a client cancels or hangs up: the instant and the phase it ended in.
    manual_end: tuple[float, Phase] | None = None
    #: Told of every change that is not due to the clock ("press 1", cancel, hang-up); see `CallBook`.
    on_change: Callable[[Call], None] | None = field(default=None, repr=False, compare=False)

    # -- state --------------------------------------------------------------------------------------------

    def state(self, now: float) -> CallState:
        if self.manual_end is not None and now >= self.manual_end[0]:
            return CallState(self.manual_end[1], self.manual_end[0])
        return self._natural_state(now)

    def _natural_state(self, now: float) -> CallState:
        timeline = self._timeline()
        started, phase = next((step for step in reversed(timeline) if step[0] <= now), timeline[0])
        return CallState(phase, started if phase.ended else None)

    def next_change(self, now: float) -> float | None:
        """When the clock alone changes this call's phase next (monotonic clock); None once nothing will."""
        if self.manual_end is not None:
            return self.manual_end[0] if now < self.manual_end[0] else None
        return next((started for started, _ in self._timeline() if started > now), None)

    def _timeline(self) -> list[tuple[float, Phase]]:
        """The call's natural course, manual ends aside: (from when, phase), in order; the first step
        starts at creation, and an ended phase starts when the call ended."""
        t = self.timings
        answered = self.created + t.caller_ring
        steps = [(self.created, Phase.CALLER_RINGING)]
        if self.outcome is not None and self.outcome.leg == "caller":
            return [*steps, (answered, Phase.FAILED)]
        dialled = answered
        if self.play_prompt:
            press = self.pressed_at
            if press is None and t.auto_press_after is not None:
                press = answered + t.auto_press_after
            timeout = answered + t.prompt_timeout
            steps.append((answered, Phase.WAITING_FOR_PRESS))
            if press is None or press >= timeout:
                return [*steps, (timeout, Phase.PROMPT_TIMEOUT)]
            dialled = press
        connected = dialled + t.callee_ring
        steps.append((dialled, Phase.CALLEE_RINGING))
        if self.outcome is not None and self.outcome.leg == "callee":
            return [*steps, (connected, Phase.FAILED)]
        return [*steps, (connected, Phase.CONNECTED), (connected + t.talk, Phase.FINISHED)]

    def gone(self, now: float) -> bool:
        state = self.state(now)
        if self.deleted or state.phase is Phase.CANCELLED:
            return True
        return state.ended_at is not None and now >= state.ended_at + self.timings.gone_after

    def session_gone(self, now: float) -> bool:
        state = self.state(now)
        return state.ended_at is not None and now >= state.ended_at + self.timings.gone_after

    # -- actions ------------------------------------------------------------------------------------------

    def press_one(self, now: float) -> bool:
        if self.state(now).phase is not Phase.WAITING_FOR_PRESS:
            return False
        self.pressed_at = now
        self._changed()
        return True

    def end(self, now: float, phase: Phase) -> None:
        self.manual_end = (now, phase)
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    # -- representations ------------------------------------------------------------------------------------

    def status_triple(self, now: float) -> tuple[str, str, str]:
        phase = self.state(now).phase
        if phase is Phase.CALLER_RINGING:
            return ("InProgress", "InProgress", "InProgress")
        if phase in (Phase.WAITING_FOR_PRESS, Phase.CALLEE_RINGING):
            return ("InProgress", "Success", "InProgress")
        if phase is Phase.CONNECTED:
            return ("Success", "Success", "Success")
        if phase is Phase.PROMPT_TIMEOUT:
            return ("CannotReach", "NoAnswer", "InProgress")
        if phase is Phase.FAILED:
            assert self.outcome is not None
            if self.outcome.leg == "caller":
                return (self.outcome.call_status, self.outcome.status, "InProgress")
            return (self.outcome.call_status, "Success", self.outcome.status)
        return ("Finished", "Finished", "Finished")

    def ringout_body(self, base_url: str, now: float) -> dict[str, Any]:
        call_status, caller_status, callee_status = self.status_triple(now)
        return {
            "id": self.id,
            "uri": f"{base_url}/restapi/v1.0/account/{self.account_id}/extension/{self.owner}"
            f"/ring-out/{self.id}",
            "status": {
                "callStatus": call_status,
                "callerStatus": caller_status,
                "calleeStatus": callee_status,
            },
        }

    def party_statuses(self, now: float) -> tuple[dict[str, str], dict[str, str]]:
        """(initiator, target) `status` objects of the telephony session."""
        phase = self.state(now).phase
        setup, proceeding, answered = {"code": "Setup"}, {"code": "Proceeding"}, {"code": "Answered"}

        def gone(reason: str | None = None) -> dict[str, str]:
            return {"code": "Disconnected", "reason": reason} if reason else {"code": "Disconnected"}

        if phase is Phase.CALLER_RINGING:
            return proceeding, setup
        if phase is Phase.WAITING_FOR_PRESS:
            return answered, setup
        if phase is Phase.CALLEE_RINGING:
            return answered, proceeding
        if phase is Phase.CONNECTED:
            return answered, answered
        if phase is Phase.CANCELLED:
            return gone("Cancelled"), gone("Cancelled")
        if phase is Phase.PROMPT_TIMEOUT:
            return gone("Timeout"), gone()
        if phase is Phase.FAILED:
            assert self.outcome is not None
            reason = _FAILURE_REASONS.get(self.outcome.status)
            if self.outcome.leg == "caller":
                return gone(reason), gone()
            return gone(), gone(reason)
        return gone(), gone()

    @property
    def legacy_session_id(self) -> str:
        """The call's `sessionId`, the identifier the platform had before telephony sessions."""
        return str(int(self.id) * 10 + 7)

    def parties(self, now: float) -> tuple[dict[str, Any], dict[str, Any]]:
        """(initiator, target) party objects, as the telephony session and its events both show them."""
        initiator_status, target_status = self.party_statuses(now)
        account, owner = str(self.account_id), str(self.owner)
        initiator = {
            "id": self.initiator_party_id,
            "accountId": account,
            "extensionId": owner,
            # The platform calls the operator's own phone, so both legs are inbound calls to their phones.
            "direction": "Inbound",
            "ringOutRole": "Initiator",
            "status": initiator_status,
            "muted": False,
            "standAlone": False,
            "from": {"phoneNumber": self.to_number},
            "to": {"phoneNumber": self.from_number},
            "owner": {"accountId": account, "extensionId": owner},
        }
        target_from = {"phoneNumber": self.caller_id}
        if self.caller_name:
            target_from["name"] = self.caller_name
        target = {
            "id": self.target_party_id,
            "direction": "Inbound",
            "ringOutRole": "Target",
            "status": target_status,
            "muted": False,
            "standAlone": False,
            "from": target_from,
            "to": {"phoneNumber": self.to_number},
        }
        return initiator, target

    def session_body(self, now: float) -> dict[str, Any]:
        return {
            "id": self.session_id,
            "origin": {"type": "RingOut"},
            "creationTime": _iso(self.created_wall),
            "parties": list(self.parties(now)),
        }

    def connected_since(self) -> float | None:
        """When the destination answered (monotonic clock), None if it never does; manual ends aside."""
        return next((started for started, phase in self._timeline() if phase is Phase.CONNECTED), None)

    def call_log_record(self, base_url: str, now: float) -> dict[str, Any] | None:
        """The call-log record of this RingOut, or None while it has not ended.

        The call log keeps a call after its RingOut resource is gone. `duration` is the whole seconds
        the call was connected (the simulator's choice), `result` the spec's words: "Call connected",
        "Busy", "No Answer", "Stopped" for a cancel.
        """
        state = self.state(now)
        if state.ended_at is None:
            return None
        connected = self.connected_since()
        duration = 0
        if state.phase is Phase.FINISHED:
            result = "Call connected"
            if connected is not None:
                duration = round(max(0.0, state.ended_at - connected))
        elif state.phase is Phase.CANCELLED:
            result = "Stopped"
        elif state.phase is Phase.PROMPT_TIMEOUT:
            result = "No Answer"
        else:
            assert self.outcome is not None
            result = _CALL_LOG_RESULTS.get(self.outcome.status, "Call Failed")
        record_id = "cl-" + self.id
        return {
            "id": record_id,
            "uri": f"{base_url}/restapi/v1.0/account/{self.account_id}/extension/{self.owner}"
            f"/call-log/{record_id}",
            "sessionId": self.legacy_session_id,
            "telephonySessionId": self.session_id,
            "startTime": _iso(self.created_wall),
            "duration": duration,
            "type": "Voice",
            "direction": "Outbound",
            "action": "RingOut Web",
            "result": result,
            "from": {"phoneNumber": self.caller_id},
            # The log names an extension of the account by its number, not as a phone number.
            "to": {"phoneNumber": self.to_number}
            if self.to_number.startswith("+")
            else {"extensionNumber": self.to_number},
        }

    def presence_entry(self, now: float) -> dict[str, Any] | None:
        """The `activeCalls` entry of detailed presence, or None once the call has ended."""
        phase = self.state(now).phase
        if phase.ended:
            return None
        return {
            "id": self.session_id.removeprefix("s-"),
            "direction": "Outbound",
            "from": self.caller_id,
            "to": self.to_number,
            "startTime": _iso(self.created_wall),
            "telephonyStatus": "Ringing" if phase is Phase.CALLER_RINGING else "CallConnected",
            "sessionId": self.legacy_session_id,
            "telephonySessionId": self.session_id,
            "partyId": self.initiator_party_id,
        }

    def control_view(self, now: float) -> dict[str, Any]:
        state = self.state(now)
        call_status, caller_status, callee_status = self.status_triple(now)
        # The truth a client's record is checked against: did the destination answer, and for how long.
        answered = self.connected_since()
        until = state.ended_at if state.ended_at is not None else now
        connected = answered is not None and answered <= until and state.phase is not Phase.FAILED
        return {
            "ringoutId": self.id,
            "telephonySessionId": self.session_id,
            "owner": self.owner,
            "clientId": self.client_id,
            "from": self.from_number,
            "to": self.to_number,
            "callerId": self.caller_id,
            "playPrompt": self.play_prompt,
            "phase": state.phase.value,
            "status": {
                "callStatus": call_status,
                "callerStatus": caller_status,
                "calleeStatus": callee_status,
            },
            "gone": self.gone(now),
            "connected": connected,
            "connectedFor": round(until - answered, 3) if connected and answered is not None else None,
        }


class CallBook:
    """All calls of a simulator run, with the queue of outcomes set for the next calls.

    `on_change` hears of every new call and of every change to one that is not due to the clock;
    `name_of` gives an operator's name by extension id (the Target leg shows it to the destination).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.calls: dict[str, Call] = {}
        self.next_outcomes: list[CallOutcome] = []
        self.on_change: Callable[[Call], None] | None = None
        self.name_of: Callable[[int], str] = lambda owner: ""

    def reset(self) -> None:
        self.calls.clear()
        self.next_outcomes.clear()

    def now(self) -> float:
        return self._clock()

    def create(self, scenario_outcomes: dict[str, CallOutcome], **kwargs: Any) -> Call:
        outcome = (
            self.next_outcomes.pop(0) if self.next_outcomes else scenario_outcomes.get(kwargs["to_number"])
        )
        call = Call(
            outcome=replace(outcome) if outcome else None,
            created=self._clock(),
            caller_name=self.name_of(kwargs["owner"]),
            on_change=self.on_change,
            **kwargs,
        )
        self.calls[call.id] = call
        if self.on_change is not None:
            self.on_change(call)
        return call

    def ringout(self, ringout_id: str) -> Call | None:
        call = self.calls.get(ringout_id)
        if call is None or call.gone(self._clock()):
            return None
        return call

    def session(self, session_id: str) -> Call | None:
        now = self._clock()
        return next(
            (c for c in self.calls.values() if c.session_id == session_id and not c.session_gone(now)), None
        )

    def ended_for(self, owner: int) -> list[Call]:
        """The owner's ended calls, newest first: what its call log lists (gone RingOuts included)."""
        now = self._clock()
        ended = [c for c in self.calls.values() if c.owner == owner and c.state(now).ended_at is not None]
        return sorted(ended, key=lambda c: c.created, reverse=True)

    def active_for(self, owner: int) -> list[Call]:
        now = self._clock()
        return [c for c in self.calls.values() if c.owner == owner and not c.state(now).phase.ended]

    def waiting_for_press(self) -> list[Call]:
        now = self._clock()
        return [c for c in self.calls.values() if c.state(now).phase is Phase.WAITING_FOR_PRESS]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
