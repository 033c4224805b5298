"""The contrast check of the screenshot command finds faint text and faint check boxes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QCheckBox, QLabel, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from ringdesk.ui.widgets.style import apply_style
from tests.contrast import contrast_problems, contrast_ratio


def test_the_ratio_is_wcags() -> None:
    assert round(contrast_ratio(0x000000, 0xFFFFFF), 1) == 21.0
    assert contrast_ratio(0x777777, 0xFFFFFF) < 4.5 < contrast_ratio(0x767676, 0xFFFFFF) + 0.01
    assert contrast_ratio(0x123456, 0x123456) == 1.0


def _window(qtbot: QtBot, style: str, *widgets: QWidget) -> QWidget:
    window = QWidget()
    window.setStyleSheet(style)
    layout = QVBoxLayout(window)
    for widget in widgets:
        layout.addWidget(widget)
    qtbot.addWidget(window)
    window.resize(300, 120)
    window.show()
    return window


def test_faint_text_is_found_and_clear_or_disabled_text_is_not(qtbot: QtBot) -> None:
    faint, clear, disabled = QLabel("Faint words here"), QLabel("Clear words here"), QLabel("Greyed out")
    faint.setStyleSheet("color: #aaaaaa;")
    clear.setStyleSheet("color: #202020;")
    disabled.setStyleSheet("color: #cccccc;")
    disabled.setEnabled(False)
    window = _window(qtbot, "QWidget { background: #ffffff; }", faint, clear, disabled)
    problems = contrast_problems(window, window.grab().toImage())
    assert [p.what for p in problems] == ["QLabel 'Faint words here'"]
    assert problems[0].ratio < 3 and problems[0].needed == 4.5


def test_a_check_box_whose_box_melts_into_the_window_is_found(qtbot: QtBot) -> None:
    box = QCheckBox("Keep running in the tray")
    window = _window(
        qtbot,
        "QWidget { background: #2b2d31; color: #e6e6e6; }"
        "QCheckBox::indicator { width: 14px; height: 14px; border: 2px solid #34373c; background: #2b2d31; }",
        box,
    )
    problems = contrast_problems(window, window.grab().toImage())
    assert [p.what for p in problems] == ["QCheckBox 'Keep running in the tray' (its box)"]
    window.setStyleSheet(window.styleSheet().replace("#34373c", "#9aa3ad"))
    assert contrast_problems(window, window.grab().toImage()) == []
    # Its words are measured apart from its box: a clear box does not excuse faint words.
    window.setStyleSheet(window.styleSheet().replace("color: #e6e6e6", "color: #4a4d53"))
    problems = contrast_problems(window, window.grab().toImage())
    assert [p.what for p in problems] == ["QCheckBox 'Keep running in the tray'"]


@pytest.mark.parametrize("palette_name", ["light", "dark"])
def test_the_dialer_its_calls_the_history_and_the_dialogs_reach_wcag_aa_on_the_grid(
    qtbot: QtBot, tmp_path: Path, palette_name: str
) -> None:
    # The same screens `scripts/screenshots` renders and checks, so that CI catches a faint colour
    # or a gap off the spacing grid.
    from tests import screenshots

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    saved = (app.style().name(), app.palette(), app.styleSheet())
    try:
        dark = palette_name == "dark"
        app.setPalette(screenshots.dark_palette() if dark else app.style().standardPalette())
        apply_style(app)
        shots = screenshots.ShotTaker(tmp_path)
        screens = (
            screenshots.dialer_states,
            screenshots.connection_settings,
            screenshots.history_window,
            screenshots.tray_and_preferences,
        )
        for render in screens:
            render(shots)
        assert len(shots.taken) > 20
        assert [f"{screen}: {problem}" for screen, problem in shots.contrast] == []
        assert [f"{screen}: {problem}" for screen, problem in shots.design] == []
    finally:
        app.setStyle(saved[0])
        app.setPalette(saved[1])
        app.setStyleSheet(saved[2])
