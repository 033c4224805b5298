"""The call service's contract, run over two platforms: RingCentral (against the simulator) and a script.

Every test takes a `rig`: the call service over one platform, with the few levers the tests pull
(make the next call fail, keep it ringing, spend the placing budget...). `RingCentralRig` pulls them
on the simulator and the RingCentral client, `ScriptedRig` on `ScriptedPlatform`; the tests themselves
know neither. A test that passes for both shows the service relies on the seam
(`ringdesk.platforms.base`) and not on RingCentral behind it.
"""

from __future__ import annotations

import asyncio
import re
import socket
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ringdesk.calls import CallActionUnavailable, CallService, Phase, failure_sentence
from ringdesk.calls.service import LOST_WHILE_PLACING, UNREACHABLE_WHILE_PLACING
from ringdesk.calls.state import CALL_CONTROL_MISSING, OUTCOME_UNKNOWN, UNRECOGNISED_FAILURE
from ringdesk.errors import NetworkError, NotFound, RateLimited
from ringdesk.platforms.base import (
    CallAlreadyConnected,
    CallHandle,
    CallingPlatform,
    CallNotFound,
    Failure,
    LegStatus,
    PlatformKind,
)
from ringdesk.platforms.ringcentral import PlatformClient
from ringdesk.platforms.ringcentral.platform import RingCentralPlatform
from ringdesk.simulator import SimulatorControl
from ringdesk.storage.history import INTERRUPTED_OUTCOME

from .conftest import FAST_POLL, ROOMY_LIMITS, TO_E164, Events, OrderedHistory, Watcher, place
from .scripted_platform import SCRIPTED_CALL_LENGTH, ScriptedLeg, ScriptedPlatform, Stage

QUIET_SPELL = 0.3
"""Long enough for several polls at `FAST_POLL`: a request that should not come would have come."""


# --------------------------------------------------------------------------- the rigs


class Rig(ABC):
    """The call service over one platform, and the levers the contract tests pull on that platform.

    Set the platform up first, then build the service: `service()` takes what was set up.
    """

    kind: PlatformKind
    """What the platform calls itself, which the history stores with each call."""

    def __init__(self, history: OrderedHistory, events: Events) -> None:
        self.history = history
        self._events = events

    @abstractmethod
    def service(self, *, call_control: bool = True) -> CallService:
        """A call service over the platform; `call_control`: the sign-in may hang up."""

    @abstractmethod
    def fail_next(self, leg: ScriptedLeg, word: str, failure: Failure) -> None:
        """The next call fails on `leg` with the platform's `word`, which RingDesk reads as `failure`."""

    @abstractmethod
    def keep_ringing(self) -> None:
        """Calls ring the operator's phone until cancelled."""

    @abstractmethod
    def keep_connected(self) -> None:
        """Calls stay connected once they connect, until hung up."""

    @abstractmethod
    def spend_place_budget(self) -> None:
        """The budget for placing calls is used up: the next call must wait."""

    @abstractmethod
    def make_unreachable(self) -> None:
        """The platform cannot be reached at all."""

    @abstractmethod
    def lose_next_place(self) -> None:
        """The next place request reaches the platform but its answer never arrives."""

    @abstractmethod
    def platform_of(self, service: CallService) -> CallingPlatform:
        """The platform `service` places its calls through, to ask it directly."""

    @abstractmethod
    def _request_word(self, request: str) -> str | None:
        """A noted request as "place", "status", "cancel" or "hang_up" (None: part of another)."""

    def timeline(self) -> list[str]:
        """The history's "record_attempt" and every request's word, in the order they happened."""
        words: list[str] = []
        for kind, text in self._events:
            if kind == "history":
                if text == "record_attempt":
                    words.append(text)
            elif (word := self._request_word(text)) is not None:
                words.append(word)
        return words

    def requests(self) -> list[str]:
        """Every request to the platform so far, as "place", "status", "cancel" or "hang_up"."""
        return [word for word in self.timeline() if word != "record_attempt"]


class RingCentralRig(Rig):
    """RingCentral through the real client against the simulator; requests are noted as they leave."""

    kind = RingCentralPlatform.kind

    # A request the table does not know is kept as it is ("GET /restapi/..."), so it shows in a failure.
    _WORDS = (
        ("POST", re.compile(r"/ring-out$"), "place"),
        ("GET", re.compile(r"/ring-out/[^/]+$"), "status"),
        ("DELETE", re.compile(r"/ring-out/[^/]+$"), "cancel"),
        ("DELETE", re.compile(r"/telephony/sessions/[^/]+$"), "hang_up"),
    )

    def __init__(
        self,
        control: SimulatorControl,
        make_client: Callable[..., PlatformClient],
        make_service: Callable[..., CallService],
        history: OrderedHistory,
        events: Events,
    ) -> None:
        super().__init__(history, events)
        self._control = control
        self._make_client = make_client
        self._make_service = make_service
        self._client_options: dict[str, Any] = {}
        self._place_budget_spent = False

    def service(self, *, call_control: bool = True) -> CallService:
        client = self._make_client(**self._client_options)
        if self._place_budget_spent:
            # RingOut create is in the Heavy group; its one allowed request in the window is taken.
            client.ledger.record_sent("Heavy")
        return self._make_service(client, call_control=call_control)

    def fail_next(self, leg: ScriptedLeg, word: str, failure: Failure) -> None:
        # The simulator knows only words; `progress_from_ringout` must read `word` as `failure`.
        self._control.set_next_outcome(leg, word)

    def keep_ringing(self) -> None:
        self._control.set_timings(caller_ring=30.0)

    def keep_connected(self) -> None:
        self._control.set_timings(talk=30.0)

    def spend_place_budget(self) -> None:
        self._client_options["limits"] = {**ROOMY_LIMITS, "Heavy": 1}
        self._place_budget_spent = True

    def make_unreachable(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self._client_options["base_url"] = f"http://127.0.0.1:{port}"

    def lose_next_place(self) -> None:
        self._control.drop_next("*/ring-out", method="POST")

    def platform_of(self, service: CallService) -> CallingPlatform:
        return service._platform

    def _request_word(self, request: str) -> str | None:
        method, path = request.split(" ", 1)
        if method == "GET" and path.endswith("/presence"):
            return None  # how RingCentral finds a connected call to hang it up: part of "hang_up"
        if method == "GET" and path.endswith("/call-log"):
            return "record"
        for wanted_method, pattern, word in self._WORDS:
            if method == wanted_method and pattern.search(path):
                return word
        return request


class ScriptedRig(Rig):
    """`ScriptedPlatform` in memory; it tells the shared event list of each request as it is made."""

    kind = ScriptedPlatform.kind

    def __init__(self, history: OrderedHistory, events: Events) -> None:
        super().__init__(history, events)
        self.platform = ScriptedPlatform(on_request=lambda word: events.append(("scripted", word)))
        self._services: list[CallService] = []

    def service(self, *, call_control: bool = True) -> CallService:
        service = CallService(
            self.platform, self.history, call_control=lambda: call_control, poll_interval=FAST_POLL
        )
        self._services.append(service)
        return service

    def fail_next(self, leg: ScriptedLeg, word: str, failure: Failure) -> None:
        self.platform.fail_next(leg, failure, word)

    def keep_ringing(self) -> None:
        self.platform.hold_at = Stage.RINGING_YOU

    def keep_connected(self) -> None:
        self.platform.hold_at = Stage.CONNECTED

    def spend_place_budget(self) -> None:
        self.platform.place_next_send_in = 42.0

    def make_unreachable(self) -> None:
        self.platform.fail_next_place("unreachable")

    def lose_next_place(self) -> None:
        self.platform.fail_next_place("lost")

    def platform_of(self, service: CallService) -> CallingPlatform:
        return self.platform

    def _request_word(self, request: str) -> str | None:
        return request

    async def aclose(self) -> None:
        for service in self._services:
            await service.aclose()


@pytest.fixture
def ringcentral_rig(
    roomy: SimulatorControl,
    make_client: Callable[..., PlatformClient],
    make_service: Callable[..., CallService],
    history: OrderedHistory,
    events: Events,
) -> RingCentralRig:
    return RingCentralRig(roomy, make_client, make_service, history, events)


@pytest.fixture
async def scripted_rig(history: OrderedHistory, events: Events) -> AsyncIterator[ScriptedRig]:
    rig = ScriptedRig(history, events)
    yield rig
    await rig.aclose()


@pytest.fixture(params=["ringcentral", "scripted"])
def rig(request: pytest.FixtureRequest) -> Rig:
    chosen: Rig = request.getfixturevalue(f"{request.param}_rig")
    return chosen


# --------------------------------------------------------------------------- the contract


async def test_a_call_connects_and_ends(rig: Rig) -> None:
    service = rig.service()
    call = await place(service)
    watcher = Watcher(call)
    final = await call.wait_finished()

    assert final.phase is Phase.ENDED and final.outcome == "The call ended."
    assert watcher.phases[-2:] == [Phase.CONNECTED, Phase.ENDED]
    assert final.connected_at is not None and final.ended_at is not None
    assert final.ended_at > final.connected_at
    row = await rig.history.row(call.record_id)
    assert row["state"] == "ended" and row["outcome"] == "The call ended."
    assert row["call_id"] == call.call_id and call.call_id
    assert row["platform"] == rig.kind and row["destination"] == TO_E164
    assert (row["connected_at"], row["ended_at"]) == (final.connected_at, final.ended_at)
    assert final.raw is not None and (row["caller_status"], row["callee_status"]) == final.raw[1:]
    # The status request that saw the end was the last one.
    statuses = rig.requests().count("status")
    await asyncio.sleep(QUIET_SPELL)
    assert rig.requests().count("status") == statuses
    assert rig.requests()[-1] == "status"
    assert not service.active_calls


@pytest.mark.parametrize(("word", "failure"), [("Busy", Failure.BUSY), ("NoAnswer", Failure.NO_ANSWER)])
@pytest.mark.parametrize("leg", ["caller", "callee"])
async def test_a_failure_on_a_leg_fails_the_call(
    rig: Rig, leg: ScriptedLeg, word: str, failure: Failure
) -> None:
    rig.fail_next(leg, word, failure)
    call = await place(rig.service())
    final = await call.wait_finished()

    assert final.phase is Phase.FAILED
    assert final.outcome == final.headline == failure_sentence(leg, failure)
    row = await rig.history.row(call.record_id)
    assert (row["state"], row["outcome"], row["error_code"]) == ("failed", final.outcome, word)
    assert row[f"{leg}_status"] == word


async def test_an_unknown_status_word_fails_in_plain_words_and_keeps_the_word(rig: Rig) -> None:
    rig.fail_next("callee", "SomeNewStatus", Failure.UNRECOGNISED)
    call = await place(rig.service())
    final = await call.wait_finished()

    assert final.phase is Phase.FAILED
    assert final.outcome == final.headline == UNRECOGNISED_FAILURE
    assert "SomeNewStatus" not in final.headline
    assert final.error_code == "SomeNewStatus"
    assert (await rig.history.row(call.record_id))["error_code"] == "SomeNewStatus"


async def test_cancel_while_ringing(rig: Rig) -> None:
    rig.keep_ringing()
    call = await place(rig.service())
    ringing = await Watcher(call).phase(Phase.CALLING_YOU)
    assert ringing.can_cancel and not ringing.can_hang_up

    await call.cancel()
    final = await call.wait_finished()
    assert final.phase is Phase.CANCELLED and final.outcome == "You cancelled the call."
    assert rig.requests().count("cancel") == 1 and "hang_up" not in rig.requests()
    row = await rig.history.row(call.record_id)
    assert row["state"] == "cancelled" and row["connected_at"] is None


async def test_hang_up_after_connect(rig: Rig) -> None:
    rig.keep_connected()
    call = await place(rig.service(call_control=True))
    connected = await Watcher(call).phase(Phase.CONNECTED)
    assert connected.can_hang_up and connected.hang_up_unavailable_reason is None

    await call.cancel()
    final = await call.wait_finished()
    assert final.phase is Phase.ENDED and final.outcome == "You hung up."
    assert rig.requests().count("hang_up") == 1 and "cancel" not in rig.requests()
    row = await rig.history.row(call.record_id)
    assert row["state"] == "ended" and row["outcome"] == "You hung up."
    assert row["connected_at"] == final.connected_at is not None


async def test_without_the_permission_hang_up_is_disabled_with_the_reason(rig: Rig) -> None:
    rig.keep_connected()
    call = await place(rig.service(call_control=False))
    connected = await Watcher(call).phase(Phase.CONNECTED)
    assert not connected.can_hang_up
    assert connected.hang_up_unavailable_reason == CALL_CONTROL_MISSING

    with pytest.raises(CallActionUnavailable) as raised:
        await call.cancel()
    assert raised.value.user_message == CALL_CONTROL_MISSING
    assert call.state.phase is Phase.CONNECTED
    assert not {"cancel", "hang_up"} & set(rig.requests())
    await call.aclose()


async def test_a_spent_place_budget_sends_nothing(rig: Rig) -> None:
    rig.spend_place_budget()
    service = rig.service()
    assert service.next_call_possible_in() > 0

    with pytest.raises(RateLimited) as raised:
        await place(service)
    assert raised.value.sent is False and raised.value.retry_after > 0
    assert "place" not in rig.requests()
    (row,) = await rig.history.rows()
    assert row["state"] == "failed" and row["error_code"] == "RateLimited"
    assert row["outcome"].startswith("Not sent: wait ") and row["call_id"] is None


async def test_an_unreachable_platform_leaves_a_failed_row_after_one_attempt(rig: Rig) -> None:
    rig.make_unreachable()
    with pytest.raises(NetworkError) as raised:
        await place(rig.service())

    assert raised.value.may_have_reached_server is False
    assert raised.value.user_message == UNREACHABLE_WHILE_PLACING
    assert rig.timeline() == ["record_attempt", "place"]
    (row,) = await rig.history.rows()
    assert (row["state"], row["outcome"], row["error_code"]) == (
        "failed",
        UNREACHABLE_WHILE_PLACING,
        "NetworkError",
    )


async def test_a_lost_answer_is_not_placed_again(rig: Rig) -> None:
    rig.lose_next_place()
    with pytest.raises(NetworkError) as raised:
        await place(rig.service())

    assert raised.value.may_have_reached_server is True
    assert raised.value.user_message == LOST_WHILE_PLACING
    assert rig.requests() == ["place"]
    (row,) = await rig.history.rows()
    assert row["state"] == "failed" and row["outcome"] == LOST_WHILE_PLACING


async def test_the_attempt_is_recorded_before_the_first_request(rig: Rig) -> None:
    call = await place(rig.service())
    await call.wait_finished()

    timeline = rig.timeline()
    assert timeline[:2] == ["record_attempt", "place"]
    assert timeline.count("record_attempt") == 1 and "status" in timeline


async def test_closing_mid_call_marks_the_row_interrupted_and_stops_polling(rig: Rig) -> None:
    rig.keep_connected()
    service = rig.service()
    call = await place(service)
    await Watcher(call).phase(Phase.CONNECTED)

    await service.aclose()
    statuses = rig.requests().count("status")
    await asyncio.sleep(QUIET_SPELL)
    assert rig.requests().count("status") == statuses
    row = await rig.history.row(call.record_id)
    assert row["state"] == "interrupted" and row["outcome"] == INTERRUPTED_OUTCOME
    assert row["connected_at"] is not None


async def test_the_platforms_record_tells_how_a_finished_call_ended(rig: Rig) -> None:
    rig.fail_next("callee", "Busy", Failure.BUSY)
    service = rig.service()
    failed = await place(service)
    await failed.wait_finished()
    connected = await place(service)
    await connected.wait_finished()
    platform = rig.platform_of(service)

    def handle(call: Any) -> CallHandle:
        return CallHandle(call.call_id, TO_E164, call.from_number, call.placed_at)

    record = await platform.final_record(handle(connected))
    assert record is not None and record.call_id == connected.call_id
    assert record.call.status is LegStatus.FINISHED and record.connected_for is not None
    record = await platform.final_record(handle(failed))
    assert record is not None and record.connected_for is None
    assert Failure.BUSY in (record.call.failure, record.callee.failure)
    assert rig.requests()[-2:] == ["record", "record"]


# --------------------------------------------------------------------------- the double's own promises
# What `CallingPlatform` promises and the contract above does not reach: a connected call refuses a
# cancel, a finished one disappears, and hanging up may not find the call.


async def test_the_script_refuses_a_cancel_once_connected_and_forgets_a_finished_call() -> None:
    platform = ScriptedPlatform(polls_until_gone=1)
    call_id = (await platform.place_call("+16505550122", TO_E164, caller_id=None, play_prompt=False)).call_id
    statuses = [(await platform.call_progress(call_id)).call.status for _ in range(3)]
    assert statuses == [LegStatus.PENDING, LegStatus.PENDING, LegStatus.ANSWERED]

    with pytest.raises(CallAlreadyConnected):
        await platform.cancel_call(call_id)
    assert [(await platform.call_progress(call_id)).call.status for _ in range(2)] == [LegStatus.FINISHED] * 2
    with pytest.raises(NotFound):
        await platform.call_progress(call_id)
    assert platform.requests == ["place", *["status"] * 3, "cancel", *["status"] * 3]


async def test_the_script_can_fail_to_find_a_call_to_hang_up() -> None:
    platform = ScriptedPlatform()
    progress = await platform.place_call("+16505550122", TO_E164, caller_id=None, play_prompt=False)
    platform.hang_up_finds_nothing = True
    with pytest.raises(CallNotFound):
        await platform.hang_up(CallHandle(progress.call_id, TO_E164, "+16505550122", placed_at=0.0))
    assert (await platform.call_progress(progress.call_id)).call.status is LegStatus.PENDING


async def test_a_single_vanished_status_is_asked_again_and_the_call_goes_on(
    scripted_rig: ScriptedRig,
) -> None:
    scripted_rig.platform.vanishing_statuses = 1
    call = await place(scripted_rig.service())
    final = await call.wait_finished()
    assert (final.phase, final.outcome) == (Phase.ENDED, "The call ended.")
    assert "record" not in scripted_rig.platform.requests


async def test_a_call_gone_before_it_was_seen_connected_ends_as_its_record_says(
    scripted_rig: ScriptedRig,
) -> None:
    scripted_rig.platform.vanishing_statuses = 2
    call = await place(scripted_rig.service())
    final = await call.wait_finished()
    assert (final.phase, final.outcome) == (Phase.ENDED, "The call ended.")
    assert final.duration() == SCRIPTED_CALL_LENGTH
    row = await scripted_rig.history.row(call.record_id)
    assert (row["state"], row["duration"]) == ("ended", SCRIPTED_CALL_LENGTH)
    assert scripted_rig.platform.requests == ["place", "status", "status", "record"]


async def test_a_call_gone_without_a_record_ends_with_outcome_unknown(scripted_rig: ScriptedRig) -> None:
    scripted_rig.platform.vanishing_statuses = 2
    call = await place(scripted_rig.service())
    assert call.call_id is not None
    scripted_rig.platform.records[call.call_id] = None
    final = await call.wait_finished()
    assert (final.phase, final.outcome, final.headline) == (Phase.ENDED, OUTCOME_UNKNOWN, "Outcome unknown")
    assert (await scripted_rig.history.row(call.record_id))["state"] == "ended"
