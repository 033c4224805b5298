"""The call state machine, table by table: every status on every leg, order, and the words shown.

Most inputs are RingOut statuses turned into neutral legs by `progress_from_ringout`, so these
tables cover RingCentral's words end to end; the mapping itself and the legs no RingOut status
produces are tested on their own.
"""

from __future__ import annotations

import pytest

from ringdesk.calls.state import (
    CALL_CONTROL_MISSING,
    ENDED_BEFORE_CONNECT,
    UNRECOGNISED_FAILURE,
    CallState,
    Phase,
    failure_sentence,
    next_state,
    placing_state,
)
from ringdesk.platforms.base import CallProgress, Failure, Leg, LegStatus
from ringdesk.platforms.ringcentral.models import RingOutStatus
from ringdesk.platforms.ringcentral.progress import (
    KNOWN_RINGOUT_STATUSES,
    leg_from_ringout,
    progress_from_ringout,
)

DEST = "+1 650-555-1234"
T0 = 1_800_000_000.0

FAILURES = [
    "Busy",
    "NoAnswer",
    "Rejected",
    "InternationalDisabled",
    "DestinationBlocked",
    "GenericError",
    "NotEnoughFunds",
    "CannotReach",
    "NoSessionFound",
    "Invalid",
    "Error",
    "NoAnsweringMachine",
    "RingOutFromThisNumberIsNotSupported",
    "NosuchUser",
    "NoSuchUser",
    "Unknown",
]


def status(call: str, caller: str, callee: str) -> CallProgress:
    return progress_from_ringout(RingOutStatus("ro-1", call, caller, callee))


def ringout_sentence(leg: str, word: str, *, previous: Phase | None = None) -> str:
    """The failure sentence for a RingOut status word on `leg`."""
    failure = leg_from_ringout(word).failure
    assert failure is not None, word
    return failure_sentence(leg, failure, previous=previous)


def step(
    previous: CallState,
    triple: tuple[str, str, str] | CallProgress | None,
    *,
    play_prompt: bool = False,
    now: float = T0,
    gone: bool = False,
    call_control: bool = True,
    cancelled: bool = False,
) -> CallState:
    progress = status(*triple) if isinstance(triple, tuple) else triple
    return next_state(
        previous,
        progress,
        play_prompt=play_prompt,
        now=now,
        gone=gone,
        call_control=call_control,
        cancelled=cancelled,
    )


def run(*triples: tuple[str, str, str], play_prompt: bool = False) -> list[CallState]:
    states = [placing_state(DEST)]
    for i, triple in enumerate(triples):
        states.append(step(states[-1], triple, play_prompt=play_prompt, now=T0 + i))
    return states[1:]


# --------------------------------------------------------------------------- the happy paths


@pytest.mark.parametrize(
    ("triple", "play_prompt", "phase", "headline", "your_leg", "their_leg"),
    [
        (("InProgress",) * 3, False, Phase.CALLING_YOU, "Calling your phone…", "Ringing",
         "Rings after you answer"),
        (("InProgress", "Success", "InProgress"), False, Phase.CALLING_DESTINATION, "Calling them…",
         "Answered", "Ringing"),
        (("InProgress", "Success", "InProgress"), True, Phase.WAITING_FOR_PRESS_1,
         "Answered: press 1 on your phone", "Answered: press 1", "Rings after you press 1"),
        (("Success",) * 3, False, Phase.CONNECTED, "Connected", "Connected", "Connected"),
        (("Finished",) * 3, False, Phase.ENDED, "Ended", "Ended", "Ended"),
    ],
)  # fmt: skip
def test_progress_statuses(
    triple: tuple[str, str, str],
    play_prompt: bool,
    phase: Phase,
    headline: str,
    your_leg: str,
    their_leg: str,
) -> None:
    state = step(placing_state(DEST), triple, play_prompt=play_prompt)
    assert (state.phase, state.headline, state.your_leg, state.their_leg) == (
        phase,
        headline,
        your_leg,
        their_leg,
    )
    assert state.raw == triple
    assert state.outcome is None or phase is Phase.ENDED


@pytest.mark.parametrize("spelling", [str.lower, str.upper, lambda s: s])
def test_statuses_compare_without_case(spelling: object) -> None:
    assert callable(spelling)
    triples = [
        tuple(spelling(v) for v in t) for t in [("InProgress",) * 3, ("Success",) * 3, ("Finished",) * 3]
    ]
    phases = [s.phase for s in run(*triples)]
    assert phases == [Phase.CALLING_YOU, Phase.CONNECTED, Phase.ENDED]


def test_a_whole_call_with_press_1() -> None:
    states = run(
        ("InProgress", "InProgress", "InProgress"),
        ("InProgress", "Success", "InProgress"),
        ("InProgress", "Success", "InProgress"),
        ("Success", "Success", "Success"),
        ("Success", "Success", "Success"),
        ("Finished", "Finished", "Finished"),
        play_prompt=True,
    )
    assert [s.phase for s in states] == [
        Phase.CALLING_YOU,
        Phase.WAITING_FOR_PRESS_1,
        Phase.WAITING_FOR_PRESS_1,
        Phase.CONNECTED,
        Phase.CONNECTED,
        Phase.ENDED,
    ]
    # connected_at is set once, when the call first showed as connected, and kept to the end.
    assert states[3].connected_at == T0 + 3
    assert states[4].connected_at == T0 + 3
    assert states[5].connected_at == T0 + 3 and states[5].ended_at == T0 + 5
    assert states[5].duration() == 2


def test_actions_follow_the_phase() -> None:
    calling, connected, ended = run(("InProgress",) * 3, ("Success",) * 3, ("Finished",) * 3)
    assert calling.can_cancel and not calling.can_hang_up
    assert not connected.can_cancel and connected.can_hang_up
    assert connected.hang_up_unavailable_reason is None
    assert not ended.can_cancel and not ended.can_hang_up


def test_without_call_control_hang_up_is_disabled_with_the_reason() -> None:
    state = step(placing_state(DEST), ("Success",) * 3, call_control=False)
    assert state.phase is Phase.CONNECTED
    assert not state.can_hang_up
    assert state.hang_up_unavailable_reason == CALL_CONTROL_MISSING
    # Permission granted later (a new sign-in): the next state says so, even without news.
    assert step(state, None, call_control=True).can_hang_up


def test_finished_without_seeing_connected_is_ended_without_a_duration() -> None:
    (state,) = run(("Finished", "Finished", "Finished"))
    assert state.phase is Phase.ENDED
    assert state.connected_at is None and state.duration() is None


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize("value", FAILURES)
@pytest.mark.parametrize("leg", ["caller", "callee"])
def test_every_failure_on_every_leg(leg: str, value: str) -> None:
    previous = step(placing_state(DEST), ("InProgress", "Success", "InProgress"))
    triple = ("CannotReach", value, "InProgress") if leg == "caller" else ("CannotReach", "Success", value)
    state = step(previous, triple, now=T0 + 5)
    assert state.phase is Phase.FAILED
    assert state.outcome == ringout_sentence(leg, value)
    assert state.headline == state.outcome
    assert state.error_code == value
    assert state.ended_at == T0 + 5
    assert not state.can_cancel and not state.can_hang_up
    # One plain sentence, naming whose phone it was, with no platform jargon.
    assert state.outcome.endswith(".") and value not in state.outcome.replace(" ", "")
    if leg == "caller":
        assert state.your_leg != "Answered" and state.their_leg == "Not connected"
    else:
        assert state.your_leg == "Answered"


@pytest.mark.parametrize(
    ("leg", "value", "sentence"),
    [
        ("caller", "Busy", "Your phone was busy."),
        ("callee", "Busy", "The number you called was busy."),
        ("caller", "NoAnswer", "You did not answer your phone."),
        ("callee", "NoAnswer", "The number you called did not answer."),
        ("callee", "InternationalDisabled", "International calling is disabled on your extension."),
        ("callee", "NosuchUser", "The number you called does not exist."),
        ("callee", "NoSuchUser", "The number you called does not exist."),
    ],
)
def test_failure_sentences_name_whose_phone(leg: str, value: str, sentence: str) -> None:
    assert ringout_sentence(leg, value) == sentence


@pytest.mark.parametrize(
    "failure",
    [Failure.BUSY, Failure.NO_ANSWER, Failure.DECLINED, Failure.UNREACHABLE, Failure.NETWORK_ERROR],
)
def test_sentences_differ_by_leg_where_the_leg_matters(failure: Failure) -> None:
    yours, theirs = failure_sentence("caller", failure), failure_sentence("callee", failure)
    assert yours != theirs
    assert "your phone" in yours.lower()
    assert "number you called" in theirs or "the number" in theirs


@pytest.mark.parametrize("failure", [f for f in Failure if f is not Failure.UNRECOGNISED])
@pytest.mark.parametrize("leg", ["caller", "callee", "call"])
def test_every_failure_has_a_sentence_on_every_leg(leg: str, failure: Failure) -> None:
    sentence = failure_sentence(leg, failure)
    assert sentence.endswith(".") and sentence != UNRECOGNISED_FAILURE


def test_an_unrecognised_failure_is_said_in_plain_words_on_every_leg() -> None:
    for leg in ("caller", "callee", "call"):
        assert failure_sentence(leg, Failure.UNRECOGNISED) == UNRECOGNISED_FAILURE


@pytest.mark.parametrize("value", ["CannotReach", "NoAnsweringMachine", "Invalid", "Error", "NoSessionFound"])
def test_call_status_failure_without_a_failed_leg(value: str) -> None:
    state = step(placing_state(DEST), (value, "InProgress", "InProgress"))
    assert state.phase is Phase.FAILED
    assert state.outcome == ringout_sentence("call", value)


def test_the_failed_leg_wins_over_the_call_status() -> None:
    state = step(placing_state(DEST), ("CannotReach", "Success", "Busy"))
    assert state.outcome == "The number you called was busy."
    assert state.error_code == "Busy"


def test_nobody_pressing_1_has_its_own_sentence() -> None:
    waiting = step(placing_state(DEST), ("InProgress", "Success", "InProgress"), play_prompt=True)
    state = step(waiting, ("CannotReach", "NoAnswer", "InProgress"), play_prompt=True)
    assert state.phase is Phase.FAILED
    assert "pressed 1" in (state.outcome or "")
    assert state.outcome == ringout_sentence("caller", "NoAnswer", previous=Phase.WAITING_FOR_PRESS_1)


@pytest.mark.parametrize("leg", [0, 1, 2])
def test_an_unknown_status_fails_in_plain_words_keeping_its_raw_text(leg: int) -> None:
    triple = ["InProgress", "InProgress", "InProgress"]
    triple[leg] = "SomeNewStatus"
    state = step(placing_state(DEST), (triple[0], triple[1], triple[2]))
    assert state.phase is Phase.FAILED
    assert state.outcome == state.headline == UNRECOGNISED_FAILURE
    assert state.error_code == "SomeNewStatus"
    if leg > 0:
        assert (state.your_leg, state.their_leg)[leg - 1] == "Failed"
    assert state.raw == tuple(triple)


# --------------------------------------------------------------------------- the RingOut disappearing


def test_gone_after_connect_is_ended() -> None:
    connected = step(placing_state(DEST), ("Success",) * 3, now=T0)
    state = step(connected, None, gone=True, now=T0 + 42)
    assert state.phase is Phase.ENDED
    assert state.connected_at == T0 and state.ended_at == T0 + 42
    assert state.duration() == 42


def test_gone_before_connect_is_a_failure() -> None:
    ringing = step(placing_state(DEST), ("InProgress",) * 3)
    state = step(ringing, None, gone=True)
    assert state.phase is Phase.FAILED
    assert state.outcome == ENDED_BEFORE_CONNECT


def test_gone_after_we_cancelled_is_cancelled() -> None:
    ringing = step(placing_state(DEST), ("InProgress",) * 3)
    state = step(ringing, None, gone=True, cancelled=True)
    assert state.phase is Phase.CANCELLED
    assert state.headline == "Cancelled"
    assert not state.can_cancel


def test_rejected_after_we_cancelled_is_cancelled() -> None:
    ringing = step(placing_state(DEST), ("InProgress",) * 3)
    state = step(ringing, ("CannotReach", "Rejected", "InProgress"), cancelled=True)
    assert state.phase is Phase.CANCELLED


def test_no_news_changes_nothing() -> None:
    ringing = step(placing_state(DEST), ("InProgress",) * 3)
    assert step(ringing, None) == ringing


# --------------------------------------------------------------------------- never backwards

ORDERED = [
    ("InProgress", "InProgress", "InProgress"),
    ("InProgress", "Success", "InProgress"),
    ("Success", "Success", "Success"),
    ("Finished", "Finished", "Finished"),
]


@pytest.mark.parametrize(("earlier", "later"), [(e, lt) for lt in range(1, len(ORDERED)) for e in range(lt)])
def test_states_never_go_backwards(earlier: int, later: int) -> None:
    ahead = run(*ORDERED[: later + 1])[-1]
    stale = step(ahead, ORDERED[earlier], now=T0 + 100)
    assert stale.phase is ahead.phase
    assert stale.connected_at == ahead.connected_at


@pytest.mark.parametrize("final", ["failed", "ended", "cancelled"])
def test_final_states_are_final(final: str) -> None:
    ringing = step(placing_state(DEST), ("InProgress",) * 3)
    if final == "failed":
        done = step(ringing, ("CannotReach", "Busy", "InProgress"))
    elif final == "ended":
        done = step(ringing, ("Finished",) * 3)
    else:
        done = step(ringing, None, gone=True, cancelled=True)
    for triple in [*ORDERED, ("CannotReach", "Success", "NoAnswer")]:
        assert step(done, triple, now=T0 + 9) is done
    assert step(done, None, gone=True, now=T0 + 9) is done


def test_failure_after_connect_keeps_connected_at() -> None:
    connected = step(placing_state(DEST), ("Success",) * 3, now=T0)
    state = step(connected, ("GenericError", "Success", "GenericError"), now=T0 + 3)
    assert state.phase is Phase.FAILED and state.connected_at == T0


# --------------------------------------------------------------------------- legs no RingOut status gives

PENDING, ANSWERED, FINISHED = Leg(LegStatus.PENDING), Leg(LegStatus.ANSWERED), Leg(LegStatus.FINISHED)


def failed(failure: Failure | None, word: str = "") -> Leg:
    return Leg(LegStatus.FAILED, failure, word)


def progress(call: Leg, caller: Leg, callee: Leg) -> CallProgress:
    return CallProgress("call-1", call=call, caller=caller, callee=callee)


def test_an_unrecognised_word_is_checked_before_any_known_failure() -> None:
    state = step(
        placing_state(DEST),
        progress(failed(Failure.UNRECOGNISED, "Meltdown"), failed(Failure.BUSY, "engaged"), PENDING),
    )
    assert state.outcome == UNRECOGNISED_FAILURE
    assert state.error_code == "Meltdown"
    assert (state.your_leg, state.their_leg) == ("Busy", "Not connected")


def test_a_failed_leg_without_a_reason_is_unspecified() -> None:
    state = step(placing_state(DEST), progress(PENDING, ANSWERED, failed(None)))
    assert state.phase is Phase.FAILED
    assert state.outcome == failure_sentence("callee", Failure.UNSPECIFIED)
    assert state.their_leg == "Failed"
    # No word from the platform: no error code rather than an empty one.
    assert state.error_code is None


def test_the_error_code_and_raw_are_the_platform_words() -> None:
    state = step(placing_state(DEST), progress(PENDING, ANSWERED, failed(Failure.BUSY, "user-busy")))
    assert state.outcome == "The number you called was busy."
    assert state.error_code == "user-busy"
    assert state.raw == ("", "", "user-busy")


def test_a_leg_that_has_not_failed_ignores_a_stray_failure() -> None:
    stray = Leg(LegStatus.ANSWERED, Failure.BUSY, "answered")
    state = step(placing_state(DEST), progress(PENDING, stray, PENDING))
    assert state.phase is Phase.CALLING_DESTINATION


def test_a_finished_leg_ends_the_call_only_beside_an_answered_or_finished_one() -> None:
    assert step(placing_state(DEST), progress(PENDING, FINISHED, ANSWERED)).phase is Phase.ENDED
    assert step(placing_state(DEST), progress(PENDING, PENDING, FINISHED)).phase is Phase.CALLING_YOU


def test_declined_after_we_cancelled_is_cancelled_whatever_the_word() -> None:
    ringing = step(placing_state(DEST), progress(PENDING, PENDING, PENDING))
    state = step(ringing, progress(PENDING, PENDING, failed(Failure.DECLINED, "cancelled")), cancelled=True)
    assert state.phase is Phase.CANCELLED


def test_gone_before_connect_names_the_legs_as_last_seen() -> None:
    calling = step(placing_state(DEST), progress(PENDING, ANSWERED, PENDING))
    assert calling.progress == progress(PENDING, ANSWERED, PENDING)
    state = step(calling, None, gone=True)
    assert state.phase is Phase.FAILED and state.error_code == "NotFound"
    assert (state.your_leg, state.their_leg) == ("Answered", "Not connected")
    assert state.progress == calling.progress and state.raw == calling.raw


def test_gone_before_any_progress_names_no_leg_as_connected() -> None:
    state = step(placing_state(DEST), None, gone=True)
    assert (state.your_leg, state.their_leg) == ("Not connected", "Not connected")
    assert state.raw is None and state.progress is None


# --------------------------------------------------------------------------- RingOut's words as legs

RINGOUT_FAILURES = {
    "Busy": Failure.BUSY,
    "NoAnswer": Failure.NO_ANSWER,
    "Rejected": Failure.DECLINED,
    "InternationalDisabled": Failure.INTERNATIONAL_DISABLED,
    "DestinationBlocked": Failure.BLOCKED,
    "GenericError": Failure.NETWORK_ERROR,
    "NotEnoughFunds": Failure.NOT_ENOUGH_FUNDS,
    "CannotReach": Failure.UNREACHABLE,
    "NoSessionFound": Failure.LOST,
    "Invalid": Failure.UNCLEAR,
    "Error": Failure.SERVICE_ERROR,
    "NoAnsweringMachine": Failure.SERVICE_FAILED,
    "RingOutFromThisNumberIsNotSupported": Failure.NOT_SUPPORTED,
    "NoSuchUser": Failure.NO_SUCH_NUMBER,
    "Unknown": Failure.UNSPECIFIED,
}


@pytest.mark.parametrize(("word", "failure"), RINGOUT_FAILURES.items())
def test_every_ringout_failure_word_has_its_failure(word: str, failure: Failure) -> None:
    assert leg_from_ringout(word) == Leg(LegStatus.FAILED, failure, word)


@pytest.mark.parametrize(
    ("word", "leg_status"),
    [("InProgress", LegStatus.PENDING), ("Success", LegStatus.ANSWERED), ("Finished", LegStatus.FINISHED)],
)
def test_ringout_progress_words(word: str, leg_status: LegStatus) -> None:
    assert leg_from_ringout(word) == Leg(leg_status, None, word)


def test_every_known_ringout_word_is_mapped_and_no_other() -> None:
    assert {*RINGOUT_FAILURES, "InProgress", "Success", "Finished"} == KNOWN_RINGOUT_STATUSES
    every_failure_but_unrecognised = {f for f in Failure if f is not Failure.UNRECOGNISED}
    assert set(RINGOUT_FAILURES.values()) == every_failure_but_unrecognised


@pytest.mark.parametrize("word", ["NosuchUser", "NoSuchUser", "nosuchuser", "NOSUCHUSER", " NoSuchUser "])
def test_ringout_words_compare_without_case_and_keep_their_spelling(word: str) -> None:
    assert leg_from_ringout(word) == Leg(LegStatus.FAILED, Failure.NO_SUCH_NUMBER, word)


@pytest.mark.parametrize(
    ("word", "leg_status"),
    [("inprogress", LegStatus.PENDING), ("SUCCESS", LegStatus.ANSWERED), ("finished", LegStatus.FINISHED)],
)
def test_ringout_progress_words_compare_without_case(word: str, leg_status: LegStatus) -> None:
    assert leg_from_ringout(word) == Leg(leg_status, None, word)


def test_an_unknown_ringout_word_is_unrecognised_and_kept() -> None:
    assert leg_from_ringout("CarrierStrike") == Leg(LegStatus.FAILED, Failure.UNRECOGNISED, "CarrierStrike")


@pytest.mark.parametrize("word", [None, "", "   "])
def test_no_ringout_word_is_pending(word: str | None) -> None:
    assert leg_from_ringout(word) == Leg(LegStatus.PENDING, None, word or "")


def test_progress_from_ringout_reads_all_three_statuses() -> None:
    progress = progress_from_ringout(RingOutStatus("ro-9", "InProgress", "Success", None))
    assert progress.call_id == "ro-9"
    assert (progress.call.status, progress.caller.status, progress.callee.status) == (
        LegStatus.PENDING,
        LegStatus.ANSWERED,
        LegStatus.PENDING,
    )
    assert progress.words == ("InProgress", "Success", "")
