"""The call history: what operators see in the history view, and what the dialer writes while calling."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from ringdesk.storage import CallHistory, CallRecord, HistoryUnavailable
from tests.core.storage.conftest import AddAttempt


async def test_round_trip(history: CallHistory) -> None:
    record_id = await history.record_attempt(
        platform="ringcentral",
        destination="+442079460958",
        destination_display="+44 20 7946 0958",
        extension="12",
        from_number="+14155550100",
        from_label="Mobile",
        caller_id="+14155550199",
        play_prompt=True,
        started_at=1_700_000_000.5,
    )
    assert await history.get(record_id) == CallRecord(
        id=record_id,
        started_at=1_700_000_000.5,
        destination="+442079460958",
        destination_display="+44 20 7946 0958",
        extension="12",
        from_number="+14155550100",
        from_label="Mobile",
        caller_id="+14155550199",
        play_prompt=True,
        state="placing",
        outcome=None,
        error_code=None,
        caller_status=None,
        callee_status=None,
        call_id=None,
        connected_at=None,
        ended_at=None,
        platform="ringcentral",
    )


async def test_started_at_defaults_to_now(history: CallHistory, add_attempt: AddAttempt) -> None:
    import time

    before = time.time()
    record = await history.get(await add_attempt())
    assert record is not None
    assert before <= record.started_at <= time.time()


async def test_get_unknown_id(history: CallHistory) -> None:
    assert await history.get(12345) is None


async def test_update_through_a_call(history: CallHistory, add_attempt: AddAttempt) -> None:
    record_id = await add_attempt(started_at=100.0)
    await history.update(record_id, state="ringing", call_id="RO-1", caller_status="InProgress")
    await history.update(record_id, state="connected", connected_at=110.0, callee_status="Success")
    await history.update(record_id, state="ended", ended_at=175.5, outcome="Ended")
    record = await history.get(record_id)
    assert record is not None
    assert (record.state, record.call_id, record.outcome) == ("ended", "RO-1", "Ended")
    assert (record.caller_status, record.callee_status) == ("InProgress", "Success")
    assert record.duration == 65.5


async def test_failed_call_keeps_its_reason(history: CallHistory, add_attempt: AddAttempt) -> None:
    record_id = await add_attempt()
    await history.update(
        record_id,
        state="failed",
        outcome="International calling is disabled on your extension",
        error_code="InternationalDisabled",
    )
    record = await history.get(record_id)
    assert record is not None
    assert record.outcome == "International calling is disabled on your extension"
    assert record.duration is None


async def test_update_refuses_unknown_fields_and_states(
    history: CallHistory, add_attempt: AddAttempt
) -> None:
    record_id = await add_attempt()
    with pytest.raises(ValueError, match="destination"):
        await history.update(record_id, destination="+15555555555")
    with pytest.raises(ValueError, match="nonsense"):
        await history.update(record_id, nonsense=1)
    with pytest.raises(ValueError, match="state"):
        await history.update(record_id, state="flying")
    record = await history.get(record_id)
    assert record is not None and record.state == "placing"


async def test_update_of_a_deleted_record_does_nothing(history: CallHistory, add_attempt: AddAttempt) -> None:
    record_id = await add_attempt()
    await history.delete([record_id])
    await history.update(record_id, state="ended")
    await history.update(record_id)  # no fields: nothing to do
    assert await history.get(record_id) is None


async def test_duration_never_negative(history: CallHistory, add_attempt: AddAttempt) -> None:
    # Wall-clock times: a clock set back during a call must not give a negative duration.
    record_id = await add_attempt()
    await history.update(record_id, state="ended", connected_at=10.0, ended_at=9.0)
    record = await history.get(record_id)
    assert record is not None and record.duration == 0.0


# --- Search, recent numbers, delete ----------------------------------------------------------


@pytest.fixture
async def sample(history: CallHistory, add_attempt: AddAttempt) -> dict[str, int]:
    ids = {
        "us": await add_attempt(started_at=1000.0),
        "uk": await add_attempt(
            destination="+442079460958",
            destination_display="+44 20 7946 0958",
            from_label="Zürich office",
            started_at=2000.0,
        ),
        "busy": await add_attempt(
            destination="+12125550123", destination_display="+1 212-555-0123", started_at=3000.0
        ),
        "us_again": await add_attempt(started_at=4000.0),
    }
    await history.update(ids["busy"], state="failed", outcome="Busy", callee_status="Busy")
    await history.update(ids["uk"], state="ended", outcome="Ended")
    return ids


async def test_search_everything_newest_first(history: CallHistory, sample: dict[str, int]) -> None:
    found = await history.search()
    assert [r.id for r in found] == [sample["us_again"], sample["busy"], sample["uk"], sample["us"]]
    assert [r.id for r in await history.search("", limit=2)] == [sample["us_again"], sample["busy"]]


@pytest.mark.parametrize(
    "query", ["6505551234", "(650) 555-1234", "650 555", "+1 650-555", "555-12", "  650.555 "]
)
async def test_search_number_digits_ignoring_formatting(
    history: CallHistory, sample: dict[str, int], query: str
) -> None:
    found = await history.search(query)
    assert {r.id for r in found} >= {sample["us"], sample["us_again"]}
    assert sample["uk"] not in {r.id for r in found}


async def test_search_uk_number_as_typed_nationally(history: CallHistory, sample: dict[str, int]) -> None:
    assert [r.id for r in await history.search("20 7946 0958")] == [sample["uk"]]
    assert [r.id for r in await history.search("+44 20 7946")] == [sample["uk"]]


async def test_search_text(history: CallHistory, sample: dict[str, int]) -> None:
    assert [r.id for r in await history.search("busy")] == [sample["busy"]]
    assert [r.id for r in await history.search("BUSY")] == [sample["busy"]]
    assert [r.id for r in await history.search("ZÜRICH")] == [sample["uk"]]  # beyond-ASCII case folding
    assert [r.id for r in await history.search("office ended")] == [sample["uk"]]  # every word must match
    assert await history.search("office busy") == []
    assert await history.search("nothing like this") == []


async def test_search_treats_sql_wildcards_as_text(history: CallHistory, add_attempt: AddAttempt) -> None:
    plain = await add_attempt(from_label="Desk")
    odd = await add_attempt(from_label="100% _real_ desk")
    assert [r.id for r in await history.search("%")] == [odd]
    assert [r.id for r in await history.search("_")] == [odd]
    assert {r.id for r in await history.search("desk")} == {plain, odd}


async def test_recent_calls_are_the_last_call_to_each_number_newest_first(
    history: CallHistory, sample: dict[str, int]
) -> None:
    recent = await history.recent_calls()
    assert [r.id for r in recent] == [sample["us_again"], sample["busy"], sample["uk"]]
    assert recent[1].state == "failed" and recent[1].outcome == "Busy"
    assert [r.id for r in await history.recent_calls(limit=1)] == [sample["us_again"]]


async def test_recent_calls_tell_extensions_apart_and_are_not_crowded_out(
    history: CallHistory, add_attempt: AddAttempt
) -> None:
    # Many calls to one number must not push the others out of the list.
    for started in range(50):
        await add_attempt(destination="+14155550188", extension="12", started_at=10_000.0 + started)
    plain = await add_attempt(destination="+14155550188", started_at=500.0)
    other = await add_attempt(destination="+16505551234", started_at=100.0)
    recent = await history.recent_calls(limit=8)
    assert [(r.destination, r.extension) for r in recent] == [
        ("+14155550188", "12"),
        ("+14155550188", None),
        ("+16505551234", None),
    ]
    assert recent[0].started_at == 10_049.0
    assert [r.id for r in recent[1:]] == [plain, other]


async def test_recent_calls_empty(history: CallHistory) -> None:
    assert await history.recent_calls() == []


async def test_delete(history: CallHistory, sample: dict[str, int], add_attempt: AddAttempt) -> None:
    assert await history.delete([sample["us"], sample["busy"], 99999]) == 2
    assert await history.get(sample["us"]) is None
    assert [r.id for r in await history.search()] == [sample["us_again"], sample["uk"]]
    assert await history.delete([]) == 0
    # Ids are never reused, so a live call holding a deleted id cannot touch a newer record.
    new_id = await add_attempt()
    assert new_id > max(sample.values())


async def test_delete_many(history: CallHistory, add_attempt: AddAttempt) -> None:
    ids = [await add_attempt(started_at=float(i)) for i in range(1200)]
    assert await history.delete(iter(ids)) == 1200
    assert await history.search() == []


# --- CSV export ------------------------------------------------------------------------------


def names_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


async def test_export_csv_everything(history: CallHistory, sample: dict[str, int], tmp_path: Path) -> None:
    await history.update(sample["uk"], connected_at=2010.0, ended_at=2072.4)
    target = tmp_path / "exports" / "calls.csv"
    assert await history.export_csv(target) == 4
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    rows = read_csv(target)
    assert rows[0][:4] == ["id", "started_at", "destination", "destination_display"]
    assert rows[0][-1] == "duration_seconds"
    assert [int(row[0]) for row in rows[1:]] == [
        sample["us_again"],
        sample["busy"],
        sample["uk"],
        sample["us"],
    ]
    uk = dict(zip(rows[0], rows[3], strict=True))
    # Numbers start with "+", which a spreadsheet would evaluate: they get the guard.
    assert uk["destination"] == "'+442079460958"
    assert uk["destination_display"] == "'+44 20 7946 0958"
    assert uk["from_label"] == "Zürich office"
    assert uk["state"] == "ended"
    assert uk["duration_seconds"] == "62"
    assert uk["started_at"].startswith("1970-01-01T") or uk["started_at"].startswith("1969-12-31T")
    assert uk["play_prompt"] == "no"


async def test_export_csv_escaping_and_formula_guard(
    history: CallHistory, add_attempt: AddAttempt, tmp_path: Path
) -> None:
    labels = [
        'Front desk, "main" line',
        "two\nlines",
        '=HYPERLINK("http://example.com","x")',
        "@SUM(A1:A2)",
        "-2+3",
        "+cmd|' /C calc'!A0",
        "\t=1+1",
        "plain",
    ]
    ids = [await add_attempt(from_label=label, started_at=float(i + 1)) for i, label in enumerate(labels)]
    records = [await history.get(record_id) for record_id in ids]
    target = tmp_path / "subset.csv"
    assert await history.export_csv(target, [r for r in records if r is not None]) == len(labels)
    rows = read_csv(target)
    label_column = rows[0].index("from_label")
    exported = [row[label_column] for row in rows[1:]]
    assert exported == [
        'Front desk, "main" line',
        "two\nlines",
        '\'=HYPERLINK("http://example.com","x")',
        "'@SUM(A1:A2)",
        "'-2+3",
        "'+cmd|' /C calc'!A0",
        "'\t=1+1",
        "plain",
    ]
    # Every cell of every row is guarded, not just the label.
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


async def test_export_csv_guards_formulas_behind_spaces_and_invisible_characters(
    history: CallHistory, add_attempt: AddAttempt, tmp_path: Path
) -> None:
    hidden_formulas = [
        "  =1+1",
        "\u00a0+cmd|' /C calc'!A0",
        '\u200b=HYPERLINK("http://example.com")',
        "\u200c-2+3",
        "\u200d@SUM(A1:A2)",
        "\u2060=1",
        "\ufeff=1",
        "\n=1+1",
        " \u00a0\u200b\n\t=1",
        " \r=1",
    ]
    harmless = ["  plain", "\u200bplain", "two\n=lines"]
    labels = hidden_formulas + harmless
    ids = [await add_attempt(from_label=label, started_at=float(i + 1)) for i, label in enumerate(labels)]
    records = [await history.get(record_id) for record_id in ids]
    target = tmp_path / "hidden.csv"
    assert await history.export_csv(target, [r for r in records if r is not None]) == len(labels)
    rows = read_csv(target)
    label_column = rows[0].index("from_label")
    exported = [row[label_column] for row in rows[1:]]
    assert exported == ["'" + label for label in hidden_formulas] + harmless


async def test_export_csv_of_no_records(history: CallHistory, tmp_path: Path) -> None:
    target = tmp_path / "empty.csv"
    assert await history.export_csv(target, []) == 0
    assert len(read_csv(target)) == 1


async def test_export_csv_failure_is_a_history_error(history: CallHistory, tmp_path: Path) -> None:
    from ringdesk.storage import HistoryError

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(HistoryError) as caught:
        await history.export_csv(blocker / "calls.csv")
    assert "could not export" in caught.value.user_message
    # No temporary file is left behind, here or in a folder that does work.
    assert names_in(tmp_path) == ["a-file", "data"]
    await history.export_csv(tmp_path / "out" / "calls.csv")
    assert names_in(tmp_path / "out") == ["calls.csv"]


# --- Life cycle ------------------------------------------------------------------------------


async def test_close_twice_and_use_after_close(db_path: Path) -> None:
    history = await CallHistory.open(db_path)
    await history.close()
    await history.close()
    with pytest.raises(HistoryUnavailable):
        await history.search()


async def test_async_context_manager(db_path: Path) -> None:
    async with await CallHistory.open(db_path) as history:
        await history.record_attempt(
            platform="ringcentral",
            destination="+16505551234",
            destination_display="+1 650-555-1234",
            extension=None,
            from_number="+14155550100",
            from_label=None,
            caller_id=None,
            play_prompt=False,
        )
    async with await CallHistory.open(db_path) as history:
        assert len(await history.search()) == 1
        assert history.problems == []


async def test_records_are_frozen(history: CallHistory, add_attempt: AddAttempt) -> None:
    record = await history.get(await add_attempt())
    assert record is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.state = "ended"  # type: ignore[misc]
