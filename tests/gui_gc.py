"""A fixture for the test folders that run Qt: Python's cycle collector runs on the GUI thread only.

Those tests run simulators, the call history's worker and executors on other threads; an automatic
collection there can free Qt objects off the GUI thread and crash Qt later (see
`ringdesk.qtasync.GuiThreadGarbageCollector`, which the app itself uses).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from ringdesk.qtasync import GuiThreadGarbageCollector


@pytest.fixture(scope="session", autouse=True)
def gui_thread_garbage_collection(qapp: QApplication) -> Iterator[None]:
    collector = GuiThreadGarbageCollector(parent=qapp)
    collector.start()
    yield
    collector.stop()
