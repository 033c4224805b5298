"""Windows fit the free area of the screen they open on."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from ringdesk.ui.widgets.placement import DECORATION_HEIGHT, fit_to_screen


def test_a_window_taller_or_wider_than_the_screen_is_shrunk_to_it(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    free = window.screen().availableGeometry()
    window.resize(free.width() + 500, free.height() + 500)
    fit_to_screen(window)
    assert window.width() == free.width()
    assert window.height() == free.height() - DECORATION_HEIGHT


def test_a_window_that_fits_keeps_its_size_and_none_goes_below_its_minimum(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(400, 300)
    fit_to_screen(window)
    assert (window.width(), window.height()) == (400, 300)
    free = window.screen().availableGeometry()
    window.setMinimumSize(200, free.height() + 100)
    fit_to_screen(window)
    assert window.height() == free.height() + 100
