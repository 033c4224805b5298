"""The design check of the screenshot command finds off-grid spacing and text off the type scale."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from ringdesk.ui.widgets.style import GROUP, RELATED, TITLE, TYPE_SCALE, spaced, type_points
from tests.design import design_problems


def _window(qtbot: QtBot) -> tuple[QWidget, QVBoxLayout]:
    window = QWidget()
    qtbot.addWidget(window)
    layout = spaced(QVBoxLayout(window), margin=GROUP, gap=RELATED)
    return window, layout


def test_a_window_on_the_grid_and_the_scale_passes(qtbot: QtBot) -> None:
    window, layout = _window(qtbot)
    title = QLabel("Title")
    font = title.font()
    font.setPointSizeF(type_points(TITLE))
    title.setFont(font)
    row = spaced(QHBoxLayout(), margin=0, gap=RELATED)
    row.addWidget(QLabel("Body"))
    row.addWidget(QComboBox())
    layout.addWidget(title)
    layout.addLayout(row)
    layout.addSpacing(GROUP)
    layout.addStretch(1)
    window.show()
    assert design_problems(window) == []


def test_the_styles_default_spacing_is_off_the_grid_and_found(qtbot: QtBot) -> None:
    window, layout = _window(qtbot)
    # A widget's own layout takes the style's gap (Fusion's: 6 px) when it names none; a layout
    # inside another takes its parent's.
    inner = QWidget()
    row = QHBoxLayout(inner)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(QLabel("One"))
    row.addWidget(QLabel("Two"))
    layout.addWidget(inner)
    layout.addSpacing(10)
    window.show()
    assert [str(problem) for problem in design_problems(window)] == [
        "QVBoxLayout of QWidget: fixed spaces [10] are not multiples of 4 px",
        "QHBoxLayout of QWidget: gaps [6] are not multiples of 4 px",
    ]


def test_text_off_the_type_scale_is_found_and_hidden_widgets_are_not(qtbot: QtBot) -> None:
    window, layout = _window(qtbot)
    odd, hidden = QLabel("Thirteen points"), QLabel("Hidden")
    for label in (odd, hidden):
        label.setStyleSheet("font-size: 13pt;")
        layout.addWidget(label)
    hidden.hide()
    window.show()
    scale = [type_points(step) for step in range(len(TYPE_SCALE))]
    assert 13.0 not in scale
    assert [str(problem) for problem in design_problems(window)] == [
        f"QLabel 'Thirteen points': text 13 pt is not on the scale {scale}"
    ]


def test_qts_own_compound_widgets_are_left_out(qtbot: QtBot) -> None:
    # A combo box's popup has Qt's own layout and spacing; RingDesk does not arrange it.
    window, layout = _window(qtbot)
    combo = QComboBox()
    combo.addItems(["One", "Two"])
    layout.addWidget(combo)
    window.show()
    combo.showPopup()
    try:
        assert design_problems(window) == []
    finally:
        combo.hidePopup()
