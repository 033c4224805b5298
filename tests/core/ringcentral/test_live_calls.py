"""RingOut sessions from telephony events: matching, order, repeats, and parties as legs.

The events are built the way the platform shapes them (one party per event, `sequence` per
session); the push gateway and the simulator's events are tested in their own modules.
"""

from __future__ import annotations

from typing import Any

import pytest

from ringdesk.platforms.base import CallHandle, CallProgress, Failure, LegStatus
from ringdesk.platforms.ringcentral.live_calls import MATCH_WINDOW, RingOutSessions, leg_from_party
from ringdesk.platforms.ringcentral.models import CallParty, TelephonyEvent

OPERATOR_PHONE = "+16505550122"
DESTINATION = "+14155550199"
CALLER_ID = "+16505550100"
PLACED_AT = 1_800_000_000.0
T0 = "2027-01-15T08:00:00.000Z"  # = PLACED_AT


class Heard:
    """A `CallFeedListener` that remembers what it was told."""

    def __init__(self) -> None:
        self.progress_seen: list[CallProgress] = []

    def progress(self, progress: CallProgress) -> None:
        self.progress_seen.append(progress)

    def live_changed(self, live: bool) -> None:
        pass

    def missed_events(self) -> None:
        pass

    @property
    def legs(self) -> list[tuple[LegStatus, LegStatus, LegStatus]]:
        return [(p.call.status, p.caller.status, p.callee.status) for p in self.progress_seen]


def event(
    sequence: int, role: str, code: str, reason: str | None = None, *, session: str = "s-1"
) -> TelephonyEvent:
    initiator = role == "Initiator"
    party: dict[str, Any] = {
        "id": f"p-{session}-{1 if initiator else 2}",
        "direction": "Inbound",
        "ringOutRole": role,
        "status": {"code": code, **({"reason": reason} if reason else {})},
        "to": {"phoneNumber": OPERATOR_PHONE if initiator else DESTINATION},
        "from": {"phoneNumber": DESTINATION if initiator else CALLER_ID},
    }
    if initiator:
        party["extensionId"] = "400131006"
    return TelephonyEvent.from_json(
        {
            "sequence": sequence,
            "telephonySessionId": session,
            "eventTime": T0,
            "origin": {"type": "RingOut"},
            "parties": [party],
        }
    )


def handle(
    call_id: str = "8001", *, destination: str = DESTINATION, placed_at: float = PLACED_AT
) -> CallHandle:
    return CallHandle(call_id, destination, OPERATOR_PHONE, placed_at)


@pytest.fixture
def sessions() -> RingOutSessions:
    return RingOutSessions(wall_clock=lambda: PLACED_AT)


def test_a_connected_call_from_first_ring_to_the_end(sessions: RingOutSessions) -> None:
    heard = Heard()
    sessions.follow(handle(), heard)
    for e in (
        event(1, "Initiator", "Setup"),
        event(2, "Initiator", "Proceeding"),
        event(3, "Initiator", "Answered"),
        event(4, "Target", "Proceeding"),
        event(5, "Target", "Answered"),
        event(6, "Target", "Disconnected"),
        event(7, "Initiator", "Disconnected"),
    ):
        sessions.apply(e)

    P, A, F = LegStatus.PENDING, LegStatus.ANSWERED, LegStatus.FINISHED
    assert heard.legs == [(P, P, P), (P, P, P), (P, A, P), (P, A, P), (A, A, A), (F, A, F), (F, F, F)]
    assert {p.call_id for p in heard.progress_seen} == {"8001"}
    assert sessions.session_of("8001") == "s-1"


def test_events_before_the_call_is_followed_are_delivered_when_it_is(sessions: RingOutSessions) -> None:
    sessions.apply(event(1, "Initiator", "Proceeding"))
    sessions.apply(event(2, "Initiator", "Answered"))
    heard = Heard()
    sessions.follow(handle(), heard)
    assert sessions.matched("8001")
    assert heard.legs == [(LegStatus.PENDING, LegStatus.ANSWERED, LegStatus.PENDING)]


def test_stale_and_repeated_events_change_nothing(sessions: RingOutSessions) -> None:
    heard = Heard()
    sessions.follow(handle(), heard)
    sessions.apply(event(3, "Initiator", "Answered"))
    sessions.apply(event(2, "Initiator", "Proceeding"))  # older, arrives late
    sessions.apply(event(3, "Initiator", "Answered"))  # the same one again (a replay)
    assert heard.legs == [(LegStatus.PENDING, LegStatus.ANSWERED, LegStatus.PENDING)]


def test_out_of_order_parties_each_keep_their_newest_status(sessions: RingOutSessions) -> None:
    heard = Heard()
    sessions.follow(handle(), heard)
    sessions.apply(event(5, "Target", "Answered"))
    sessions.apply(event(3, "Initiator", "Answered"))  # older sequence, but the other party
    assert heard.legs[-1] == (LegStatus.ANSWERED, LegStatus.ANSWERED, LegStatus.ANSWERED)


@pytest.mark.parametrize(
    ("reason", "failure"),
    [
        ("TargetBusy", Failure.BUSY),
        ("NoAnswer", Failure.NO_ANSWER),
        ("Rejected", Failure.DECLINED),
        ("InternationalDisabled", Failure.INTERNATIONAL_DISABLED),
        ("DestinationBlocked", Failure.BLOCKED),
        ("NotEnoughFunds", Failure.NOT_ENOUGH_FUNDS),
        ("InvalidNumber", Failure.NO_SUCH_NUMBER),
    ],
)
def test_a_destination_that_never_answered_fails_with_its_reason(
    sessions: RingOutSessions, reason: str | None, failure: Failure
) -> None:
    heard = Heard()
    sessions.follow(handle(), heard)
    sessions.apply(event(1, "Initiator", "Answered"))
    sessions.apply(event(2, "Target", "Proceeding"))
    sessions.apply(event(3, "Target", "Disconnected", reason))
    last = heard.progress_seen[-1]
    assert (last.call.status, last.callee.status, last.callee.failure) == (
        LegStatus.FAILED,
        LegStatus.FAILED,
        failure,
    )
    assert last.call.word == reason


@pytest.mark.parametrize("reason", [None, "CallDropped", "SomethingNew"])
def test_an_end_without_a_failure_reason_is_left_to_the_platforms_record(
    sessions: RingOutSessions, reason: str | None
) -> None:
    """The operator hung up while the destination rang, say: nothing says it failed, nor how."""
    heard = Heard()
    sessions.follow(handle(), heard)
    sessions.apply(event(1, "Initiator", "Answered"))
    sessions.apply(event(2, "Target", "Proceeding"))
    sessions.apply(event(3, "Target", "Disconnected", reason))
    assert heard.legs[-1] == (LegStatus.PENDING, LegStatus.ANSWERED, LegStatus.PENDING)
    sessions.apply(event(4, "Initiator", "Disconnected"))
    assert heard.legs[-1] == (LegStatus.FINISHED, LegStatus.FINISHED, LegStatus.PENDING)


def test_nobody_pressing_1_fails_the_operators_leg_although_it_was_answered(
    sessions: RingOutSessions,
) -> None:
    heard = Heard()
    sessions.follow(handle(), heard)
    sessions.apply(event(1, "Initiator", "Answered"))
    sessions.apply(event(2, "Initiator", "Disconnected", "Timeout"))
    last = heard.progress_seen[-1]
    assert (last.call.status, last.caller.failure) == (LegStatus.FAILED, Failure.NO_ANSWER)


def test_the_operator_hanging_up_first_waits_for_the_destinations_end(sessions: RingOutSessions) -> None:
    """The Initiator's end arrives first; the call is not over while the destination still rings."""
    heard = Heard()
    sessions.follow(handle(), heard)
    sessions.apply(event(1, "Initiator", "Answered"))
    sessions.apply(event(2, "Target", "Proceeding"))
    sessions.apply(event(3, "Initiator", "Disconnected"))
    assert heard.legs[-1] == (LegStatus.PENDING, LegStatus.FINISHED, LegStatus.PENDING)
    sessions.apply(event(4, "Target", "Disconnected", "TargetBusy"))
    assert heard.progress_seen[-1].callee.failure is Failure.BUSY


def test_the_operators_phone_failing_is_the_story_not_the_dropped_destination(
    sessions: RingOutSessions,
) -> None:
    heard = Heard()
    sessions.follow(handle(), heard)
    sessions.apply(event(1, "Initiator", "Proceeding"))
    sessions.apply(event(2, "Initiator", "Disconnected", "NoAnswer"))
    sessions.apply(event(3, "Target", "Disconnected"))
    last = heard.progress_seen[-1]
    assert (last.call.failure, last.caller.failure) == (Failure.NO_ANSWER, Failure.NO_ANSWER)
    assert last.callee.status is LegStatus.PENDING


def test_a_session_to_another_number_or_long_before_is_not_this_call(sessions: RingOutSessions) -> None:
    heard = Heard()
    sessions.follow(handle(destination="+442079460000"), heard)
    sessions.apply(event(1, "Target", "Proceeding"))
    assert not sessions.matched("8001") and heard.progress_seen == []

    late = RingOutSessions(wall_clock=lambda: PLACED_AT)
    late.follow(handle(placed_at=PLACED_AT + MATCH_WINDOW + 60), heard)
    late.apply(event(1, "Target", "Proceeding"))
    assert not late.matched("8001")


def test_two_calls_to_one_number_take_the_sessions_closest_in_time() -> None:
    sessions = RingOutSessions(wall_clock=lambda: PLACED_AT)
    first, second = Heard(), Heard()
    sessions.follow(handle("8001", placed_at=PLACED_AT - 30), first)
    sessions.follow(handle("8002", placed_at=PLACED_AT), second)
    sessions.apply(event(1, "Target", "Proceeding", session="s-2"))  # started at PLACED_AT
    assert sessions.session_of("8002") == "s-2" and not sessions.matched("8001")


def test_events_of_other_origins_are_ignored(sessions: RingOutSessions) -> None:
    heard = Heard()
    sessions.follow(handle(), heard)
    body = {
        "sequence": 1,
        "telephonySessionId": "s-9",
        "origin": {"type": "Call"},
        "parties": [{"id": "p", "status": {"code": "Proceeding"}, "to": {"phoneNumber": DESTINATION}}],
    }
    sessions.apply(TelephonyEvent.from_json(body))
    assert not sessions.matched("8001")


@pytest.mark.parametrize("code", ["Answered", "Hold", "Parked", "VoiceMail"])
def test_codes_after_answering_are_answered(code: str) -> None:
    party = CallParty(id="p", status_code=code)
    assert leg_from_party(party, answered_before=False).status is LegStatus.ANSWERED


def test_an_answered_party_that_disconnects_has_finished() -> None:
    party = CallParty(id="p", status_code="Disconnected", status_reason="CallFinished")
    assert leg_from_party(party, answered_before=True).status is LegStatus.FINISHED


def test_the_operators_own_phone_does_not_match_a_session_to_a_call(sessions: RingOutSessions) -> None:
    """Every RingOut rings the operator's phone first: calls to different numbers must not swap."""
    busy, connected = Heard(), Heard()
    sessions.follow(handle("8001", destination="+14155550001"), busy)
    sessions.follow(handle("8002", destination="+14155550002"), connected)
    first_leg = event(1, "Initiator", "Proceeding", session="s-2")  # from: DESTINATION, to: own phone
    sessions.apply(first_leg)
    assert not sessions.matched("8001") and not sessions.matched("8002")


def test_a_late_event_of_a_settled_call_is_not_taken_for_the_next_call_to_that_number(
    sessions: RingOutSessions,
) -> None:
    """Redialling a number: the first call's session may send one more event after RingDesk settled
    that call (a party's last change). It belongs to the first call, not to the one just placed."""
    first = Heard()
    stop_first = sessions.follow(handle("8001"), first)
    for e in (
        event(1, "Initiator", "Answered"),
        event(2, "Target", "Answered"),
        event(3, "Target", "Disconnected"),
    ):
        sessions.apply(e)
    stop_first()  # settled: the call service stops following it
    second = Heard()
    sessions.follow(handle("8002", placed_at=PLACED_AT + 3), second)
    sessions.apply(event(4, "Initiator", "Disconnected"))  # the first session's late last event
    assert not sessions.matched("8002")
    assert second.progress_seen == []
    sessions.apply(event(1, "Initiator", "Proceeding", session="s-2"))
    assert sessions.session_of("8002") == "s-2"
    assert second.legs == [(LegStatus.PENDING, LegStatus.PENDING, LegStatus.PENDING)]
