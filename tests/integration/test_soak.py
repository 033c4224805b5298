"""The soak benchmark, small: calls under every fault the simulator offers, checked row by row.

The full soak (1,000 calls at 5 % faults, by push and by polling) is part of `scripts/bench`; this
runs the same code on 60 calls at 15 % faults, so a change that loses a row, records a wrong
outcome, sends a RingOut twice or lets an exception escape fails the suite.
"""

from __future__ import annotations

import pytest

from tests.bench import soak

KINDS = {"status", "drop", "lost", "malformed", "delay"}


@pytest.mark.parametrize("push", [False, True], ids=["polling", "push"])
def test_calls_under_faults_are_recorded_truly_and_never_placed_twice(push: bool) -> None:
    result = soak.run(calls=60, lanes=8, fault_rate=0.15, expiry_rate=0.1, seed=3, push=push)

    if push:
        # Status needs no requests while push is up: the faults strike placing, hang-ups and the rest.
        assert result["requests_faulted"] >= 5, result["faults_by_kind"]
    else:
        assert set(result["faults_by_kind"]) >= KINDS, result["faults_by_kind"]
    assert result["access_tokens_expired"] > 0
    assert result["crashes"] == 0, result["crash_examples"]
    assert result["rows_wrong_or_missing"] == 0, result["wrong_examples"]
    assert result["duplicate_posts"] == 0
    assert result["sign_ins_needed_again"] == 0
    assert result["tasks_left_running"] == 0, result["tasks_left_names"]
    # Most calls still connect: the faults are trouble to survive, not a dead platform.
    assert result["rows_by_claim"].get("connected", 0) >= 20
