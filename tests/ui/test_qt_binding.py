"""Guards against a Qt binding that corrupts reference counts.

PySide6 6.12.0 returns `True` from `SignalInstance.emit()` without taking a reference. On Python
3.11, where `True` is not immortal, every emit lowers its count until the interpreter aborts
("deallocating True or False"), in the middle of a long day at the desk. This test fails on such
a binding, so an upgrade cannot bring it back unnoticed.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal

pytestmark = pytest.mark.viewmodels


class _Emitter(QObject):
    plain = Signal()
    flag = Signal(bool)
    text = Signal(str)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="True and False are immortal from Python 3.12 on")
def test_emitting_signals_keeps_reference_counts() -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.flag.connect(received.append)
    emitter.text.connect(received.append)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(50):
        emitter.plain.emit()
        emitter.flag.emit(True)
        emitter.flag.emit(False)
        emitter.text.emit("x")
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert len(received) == 150
    # `received` holds 50 extra references to each of True and False.
    assert after[0] - before[0] >= 50 - 5
    assert after[1] - before[1] >= 50 - 5
