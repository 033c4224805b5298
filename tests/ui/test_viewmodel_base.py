"""`ViewModel`, the base of the view models: one view per change, and no signal for no change."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6.QtCore import QObject, Signal

from ringdesk.ui.viewmodels.base import ViewModel

pytestmark = pytest.mark.viewmodels


@dataclass(frozen=True)
class CountView:
    count: int


class Counter(ViewModel[CountView]):
    """A view model as small as they come, with a signal of its own beside `changed`."""

    reset_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.count = 0
        self._view = self._make_view()

    def add(self, amount: int) -> None:
        self.count += amount
        self._publish()

    def _make_view(self) -> CountView:
        return CountView(self.count)


def test_changed_carries_each_new_view_and_nothing_when_the_view_is_the_same(qapp) -> None:
    counter = Counter()
    seen: list[CountView] = []
    counter.changed.connect(seen.append)
    assert counter.view == CountView(0)

    counter.add(1)
    counter.add(0)  # the same view again: nothing to repaint
    counter.add(2)

    assert seen == [CountView(1), CountView(3)]
    assert counter.view == CountView(3)


def test_a_subclass_keeps_signals_of_its_own(qapp) -> None:
    counter = Counter()
    asked: list[bool] = []
    counter.reset_requested.connect(lambda: asked.append(True))
    counter.reset_requested.emit()
    assert asked == [True]


class WithoutMakeView(ViewModel[CountView]):
    """A view model that forgot `_make_view`; a QObject cannot be abstract, so it still instantiates."""

    def __init__(self) -> None:
        super().__init__()
        self._view = CountView(0)


def test_a_subclass_without_make_view_fails_loudly_when_it_publishes(qapp) -> None:
    view_model = WithoutMakeView()
    seen: list[CountView] = []
    view_model.changed.connect(seen.append)

    with pytest.raises(NotImplementedError, match="WithoutMakeView must define _make_view"):
        view_model._publish()

    assert seen == []
