"""The rate-limit ledger: sliding window, server headers, penalties, next_send_in."""

from __future__ import annotations

import pytest

from ringdesk.platforms.ringcentral.ratelimit import DEFAULT_LIMITS, RateLimitLedger
from tests.fakes import FakeClock


@pytest.fixture
def ledger(clock: FakeClock) -> RateLimitLedger:
    return RateLimitLedger(clock)


def test_defaults_match_the_platform() -> None:
    assert DEFAULT_LIMITS == {"Light": 50, "Medium": 40, "Heavy": 10, "Auth": 5}


def test_fresh_group_sends_now(ledger: RateLimitLedger) -> None:
    assert ledger.next_send_in("Heavy") == 0.0
    assert ledger.state("Heavy").remaining == 10


def test_sliding_window_blocks_at_the_limit(ledger: RateLimitLedger, clock: FakeClock) -> None:
    for _ in range(10):
        assert ledger.next_send_in("Heavy") == 0.0
        ledger.record_sent("Heavy")
        clock.jump(1.0)
    # Ten sent at t=0..9; now t=10: the first leaves the window at t=60.
    assert ledger.next_send_in("Heavy") == pytest.approx(50.0)
    clock.jump(49.9)
    assert ledger.next_send_in("Heavy") == pytest.approx(0.1)
    clock.jump(0.1)
    assert ledger.next_send_in("Heavy") == 0.0
    ledger.record_sent("Heavy")
    # The next slot frees when the second send (t=1) leaves the window at t=61.
    assert ledger.next_send_in("Heavy") == pytest.approx(1.0)


def test_groups_are_independent(ledger: RateLimitLedger) -> None:
    for _ in range(5):
        ledger.record_sent("Auth")
    assert ledger.next_send_in("Auth") > 0
    assert ledger.next_send_in("Light") == 0.0
    assert ledger.state("Auth").remaining == 0


def test_unknown_group_is_unlimited_until_the_server_says(ledger: RateLimitLedger) -> None:
    for _ in range(500):
        ledger.record_sent("Brand-New")
    assert ledger.next_send_in("Brand-New") == 0.0
    ledger.observe("op", "Brand-New", {"X-Rate-Limit-Limit": "100", "X-Rate-Limit-Window": "60"})
    assert ledger.next_send_in("Brand-New") > 0


def test_header_limit_and_window_replace_defaults(ledger: RateLimitLedger, clock: FakeClock) -> None:
    ledger.record_sent("Heavy")
    ledger.observe(
        "ringout_create",
        "Heavy",
        {
            "X-Rate-Limit-Group": "Heavy",
            "X-Rate-Limit-Limit": "2",
            "X-Rate-Limit-Remaining": "1",
            "X-Rate-Limit-Window": "30",
        },
    )
    state = ledger.state("Heavy")
    assert (state.limit, state.window, state.used) == (2, 30.0, 1)
    ledger.record_sent("Heavy")
    assert ledger.next_send_in("Heavy") == pytest.approx(30.0)


def test_remaining_from_server_counts_sends_we_did_not_see(ledger: RateLimitLedger) -> None:
    ledger.record_sent("Heavy")
    # Someone else (same user, same app) used 8 more: the server says 1 left of 10.
    ledger.observe("ringout_create", "Heavy", {"X-Rate-Limit-Limit": "10", "X-Rate-Limit-Remaining": "1"})
    assert ledger.state("Heavy").used == 9
    assert ledger.next_send_in("Heavy") == 0.0
    ledger.record_sent("Heavy")
    assert ledger.next_send_in("Heavy") > 0


def test_garbage_headers_are_ignored(ledger: RateLimitLedger) -> None:
    ledger.observe(
        "x",
        "Light",
        {"X-Rate-Limit-Limit": "lots", "X-Rate-Limit-Remaining": "-3", "X-Rate-Limit-Window": "nan"},
    )
    state = ledger.state("Light")
    assert (state.limit, state.window) == (50, 60.0)


def test_server_regroups_an_operation(ledger: RateLimitLedger) -> None:
    assert ledger.group_of("ringout_status", "Light") == "Light"
    ledger.record_sent("Light")
    group = ledger.observe("ringout_status", "Light", {"X-Rate-Limit-Group": "Medium"})
    assert group == "Medium"
    assert ledger.group_of("ringout_status", "Light") == "Medium"
    assert ledger.state("Light").used == 0
    assert ledger.state("Medium").used == 1


def test_the_platforms_lower_case_group_names_are_the_same_groups(ledger: RateLimitLedger) -> None:
    ledger.record_sent("Light")
    group = ledger.observe(
        "ringout_status", "Light", {"X-Rate-Limit-Group": "light", "X-Rate-Limit-Limit": "40"}
    )
    assert group == "Light"
    assert ledger.group_of("ringout_status", "Light") == "Light"
    assert (ledger.state("Light").used, ledger.state("Light").limit) == (1, 40)


def test_penalty_with_retry_after(ledger: RateLimitLedger, clock: FakeClock) -> None:
    assert ledger.penalize("Heavy", 12.0) == 12.0
    assert ledger.next_send_in("Heavy") == pytest.approx(12.0)
    assert ledger.next_send_in("Light") == 0.0
    clock.jump(12.0)
    assert ledger.next_send_in("Heavy") == 0.0


def test_penalty_without_retry_after_is_30_seconds(ledger: RateLimitLedger) -> None:
    assert ledger.penalize("Light", None) == 30.0
    assert ledger.next_send_in("Light") == pytest.approx(30.0)


def test_shorter_penalty_does_not_shorten_a_longer_one(ledger: RateLimitLedger) -> None:
    ledger.penalize("Heavy", 60.0)
    ledger.penalize("Heavy", 5.0)
    assert ledger.next_send_in("Heavy") == pytest.approx(60.0)


def test_penalty_and_budget_take_the_longer_wait(ledger: RateLimitLedger, clock: FakeClock) -> None:
    for _ in range(5):
        ledger.record_sent("Auth")
    ledger.penalize("Auth", 10.0)
    assert ledger.next_send_in("Auth") == pytest.approx(60.0)
    clock.jump(60.0)
    assert ledger.next_send_in("Auth") == 0.0


def test_reset(ledger: RateLimitLedger) -> None:
    ledger.penalize("Heavy", 60)
    ledger.reset()
    assert ledger.next_send_in("Heavy") == 0.0
