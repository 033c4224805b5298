"""Python's cycle collector runs from the GUI thread's timer, never automatically elsewhere."""

from __future__ import annotations

import gc

import pytest

from ringdesk.qtasync import GuiThreadGarbageCollector

pytestmark = pytest.mark.viewmodels


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_collects_from_the_timer_only(qapp) -> None:
    was_enabled = gc.isenabled()
    collector = GuiThreadGarbageCollector(parent=qapp)
    collector.start()
    try:
        assert not gc.isenabled()
        for _ in range(gc.get_threshold()[0] + 10):
            _Cycle()
        assert gc.get_count()[0] > gc.get_threshold()[0]  # nothing collected behind our back
        collector.collect_if_due()
        assert gc.get_count()[0] < gc.get_threshold()[0]
    finally:
        collector.stop()
        stopped_enables = gc.isenabled()
        if not was_enabled:
            gc.disable()  # the test session's own collector is still in charge
    assert stopped_enables
