"""Parents for view models in the Qt tests: deleted on the GUI thread after each test, timers and all.

    vm = DialerViewModel(service=FakeService(), parent=owner(), spawn=no_spawn)

The Qt-free doubles (`FakeService`, `FakeCall`, `no_spawn`, `until`...) are in tests/fakes.py.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

__all__ = ["OWNERS", "owner"]

#: Parents made by `owner()`; tests/ui/conftest.py deletes them after each test.
OWNERS: list[QWidget] = []


def owner() -> QWidget:
    """A parent for view models, deleted after the test on the GUI thread with their timers.

    Left to Python's garbage collector, a view model with a running timer may be destroyed on
    whichever thread happens to collect (the simulator's, for one), leaving Qt a dangling timer.
    """
    widget = QWidget()
    OWNERS.append(widget)
    return widget
