"""The spacing grid and the type scale of a window, read from its widgets and layouts.

Every margin, gap and fixed space of the layouts RingDesk arranges (box, grid and form layouts of
its own widgets and of plain containers) is a multiple of `GRID` pixels: the style's defaults, 9
and 6 px in Fusion, are off the grid, so each layout says its own. Every visible widget's text size
is a step of the type scale (`ringdesk.ui.widgets.style.TYPE_SCALE` times the platform's text
size). No text is cut off: a button, check box or one-line label is at least as wide as its
words need, and no widget is squeezed below its own minimum height (a key whose letters lose their
feet). What Qt arranges inside its compound widgets (a combo box's popup, a button box, the status
bar, a stacked widget's pages) is left out.

    problems = design_problems(window)
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QBoxLayout,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLayout,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QWidget,
)

from ringdesk.ui.widgets.style import GRID, TYPE_SCALE, type_points

__all__ = ["DesignProblem", "design_problems"]

#: Qt's classes whose layouts RingDesk fills (and push buttons: the dial keys carry labels).
CONTAINERS = (QWidget, QFrame, QGroupBox, QDialog, QMainWindow, QStackedWidget, QScrollArea)


@dataclass(frozen=True)
class DesignProblem:
    what: str
    detail: str

    def __str__(self) -> str:
        return f"{self.what}: {self.detail}"


def design_problems(window: QWidget) -> list[DesignProblem]:
    """Every off-grid margin or gap, text size off the type scale, text cut off and widget
    squeezed below its minimum, in `window`."""
    problems: list[DesignProblem] = []
    for layout in window.findChildren(QLayout):
        if isinstance(layout, QBoxLayout | QGridLayout | QFormLayout) and _arranged_by_ringdesk(
            layout.parentWidget(), window
        ):
            problems += _layout_problems(layout)
    sizes = [type_points(step) for step in range(len(TYPE_SCALE))]
    for widget in [window, *window.findChildren(QWidget)]:
        if not widget.isVisibleTo(window) and widget is not window:
            continue
        if not _arranged_by_ringdesk(widget.parentWidget(), window):
            continue
        points = round(widget.font().pointSizeF(), 1)
        if points not in sizes:
            problems.append(DesignProblem(_name(widget), f"text {points:g} pt is not on the scale {sizes}"))
        problems += _cut_off(widget)
    return problems


def _cut_off(widget: QWidget) -> list[DesignProblem]:
    """A control narrower than its words, or any widget lower than its own minimum height."""
    problems = []
    words = isinstance(widget, QAbstractButton) or (isinstance(widget, QLabel) and not widget.wordWrap())
    need = widget.minimumSizeHint()
    if words and need.width() > widget.width():
        problems.append(
            DesignProblem(_name(widget), f"cut off: {widget.width()} px wide, needs {need.width()}")
        )
    floor = max(widget.minimumHeight(), need.height() if words else 0)
    if widget.height() < floor:
        problems.append(DesignProblem(_name(widget), f"squeezed: {widget.height()} px high, needs {floor}"))
    return problems


def _layout_problems(layout: QLayout) -> list[DesignProblem]:
    owner = _name(layout.parentWidget()) if layout.parentWidget() is not None else "a layout"
    where = f"{type(layout).__name__} of {owner}"
    margins = layout.contentsMargins()
    values = {
        "margins": (margins.left(), margins.top(), margins.right(), margins.bottom()),
    }
    if isinstance(layout, QGridLayout | QFormLayout):
        values["gaps"] = (layout.horizontalSpacing(), layout.verticalSpacing())
    elif isinstance(layout, QBoxLayout):
        values["gaps"] = (layout.spacing(),)
        values["fixed spaces"] = tuple(
            _fixed_space(layout, index)
            for index in range(layout.count())
            if layout.itemAt(index).spacerItem() is not None and _fixed_space(layout, index) >= 0
        )
    return [
        DesignProblem(where, f"{kind} {list(numbers)} are not multiples of {GRID} px")
        for kind, numbers in values.items()
        if any(number % GRID for number in numbers if number > 0)
    ]


def _fixed_space(layout: QBoxLayout, index: int) -> int:
    """The length of a fixed spacer (`addSpacing`) along the layout, or -1 for a stretch."""
    spacer = layout.itemAt(index).spacerItem()
    assert spacer is not None
    horizontal = layout.direction() in (QBoxLayout.Direction.LeftToRight, QBoxLayout.Direction.RightToLeft)
    hint = spacer.sizeHint()
    stretches = spacer.expandingDirections()
    if stretches & (Qt.Orientation.Horizontal if horizontal else Qt.Orientation.Vertical):
        return -1
    return hint.width() if horizontal else hint.height()


def _arranged_by_ringdesk(widget: QWidget | None, window: QWidget) -> bool:
    """Whether `widget` and its parents up to `window` are plain containers (RingDesk's own
    classes count by the Qt class they are made from: its number field is a line edit)."""
    while widget is not None:
        qt_class = next(kind for kind in type(widget).__mro__ if kind.__module__.startswith("PySide6"))
        if qt_class not in CONTAINERS and not isinstance(widget, QPushButton):
            return False
        if widget is window:
            return True
        widget = widget.parentWidget()
    return True


def _name(widget: QWidget) -> str:
    label = widget.objectName() or ""
    text = getattr(widget, "text", None)
    if not label and callable(text):
        try:
            label = repr(str(text())[:30])
        except TypeError:
            label = ""
    return f"{type(widget).__name__} {label}".strip()
