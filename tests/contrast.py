"""WCAG contrast of what a window shows, measured in its rendered pixels.

For each enabled, visible control with text (labels, buttons, check boxes, fields, combo boxes), the
area its text is drawn in is measured (not its frame or box, which could pass faint text): the
background is the colour most of its pixels have and the text the colour farthest from it (among
colours drawn at least twice, so that a stray anti-aliased pixel does not count); their contrast
must reach 4.5:1, or 3:1 for large text (WCAG 2.1, 1.4.3). The indicator of a check box or radio
button must reach 3:1 against the background around it (1.4.11). Disabled controls are exempt, as
WCAG exempts inactive components.

    problems = contrast_problems(window, window.grab().toImage())
"""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass

from PySide6.QtCore import QRect
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QStyleOptionComboBox,
    QWidget,
)

__all__ = ["ContrastProblem", "contrast_problems", "contrast_ratio"]

TEXT = 4.5
LARGE_TEXT = 3.0
CONTROL = 3.0


@dataclass(frozen=True)
class ContrastProblem:
    what: str
    ratio: float
    needed: float

    def __str__(self) -> str:
        return f"{self.what}: {self.ratio:.2f}:1, needs {self.needed:g}:1"


def contrast_ratio(a: int, b: int) -> float:
    """WCAG's contrast ratio of two 0xRRGGBB colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def contrast_problems(window: QWidget, image: QImage) -> list[ContrastProblem]:
    """Every control of `window` (rendered as `image`) whose text or indicator is too faint."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    scale = image.devicePixelRatio()
    problems = []
    for widget in [window, *window.findChildren(QWidget)]:
        if not widget.isVisibleTo(window) and widget is not window:
            continue
        if not widget.isEnabled():
            continue
        text = _text_of(widget)
        if not text.strip():
            continue
        area = _area(window, widget, _text_area(widget), scale).intersected(image.rect())
        colours = _colours(image, area)
        if not colours:
            continue
        background = colours.most_common(1)[0][0]
        needed = LARGE_TEXT if _large(widget) else TEXT
        ratio = _farthest(background, colours)
        name = f"{type(widget).__name__} {text.strip()[:40]!r}"
        if ratio < needed:
            problems.append(ContrastProblem(name, ratio, needed))
        if isinstance(widget, QCheckBox | QRadioButton):
            indicator = _indicator_area(widget)
            box = _area(window, widget, indicator, scale).intersected(image.rect())
            ratio = _farthest(background, _colours(image, box))
            if ratio < CONTROL:
                problems.append(ContrastProblem(f"{name} (its box)", ratio, CONTROL))
    return problems


def _text_of(widget: QWidget) -> str:
    if isinstance(widget, QLabel):
        return "" if widget.pixmap() is not None and not widget.pixmap().isNull() else widget.text()
    if isinstance(widget, QAbstractButton):
        return widget.text()
    if isinstance(widget, QLineEdit):
        return widget.text() or widget.placeholderText()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    return ""


def _text_area(widget: QWidget) -> QRect:
    """Where the widget draws its text: inside its frame, beside a check box's box."""
    style = widget.style()
    if isinstance(widget, QCheckBox | QRadioButton | QPushButton):
        option = QStyleOptionButton()
        option.initFrom(widget)
        option.text = widget.text()
        element = {
            QCheckBox: QStyle.SubElement.SE_CheckBoxContents,
            QRadioButton: QStyle.SubElement.SE_RadioButtonContents,
        }.get(type(widget), QStyle.SubElement.SE_PushButtonContents)
        return style.subElementRect(element, option, widget)
    if isinstance(widget, QComboBox):
        combo = QStyleOptionComboBox()
        combo.initFrom(widget)
        field = QStyle.SubControl.SC_ComboBoxEditField
        return style.subControlRect(QStyle.ComplexControl.CC_ComboBox, combo, field, widget)
    if isinstance(widget, QLineEdit):
        # The text sits a few pixels inside the field's border.
        return widget.rect().adjusted(4, 4, -4, -4)
    return widget.contentsRect()


def _large(widget: QWidget) -> bool:
    # WCAG's large text: 18 pt, or 14 pt bold.
    font = widget.font()
    points = font.pointSizeF()
    return points >= 18 or (points >= 14 and font.bold())


def _indicator_area(widget: QCheckBox | QRadioButton) -> QRect:
    option = QStyleOptionButton()
    option.initFrom(widget)
    element = (
        QStyle.SubElement.SE_CheckBoxIndicator
        if isinstance(widget, QCheckBox)
        else QStyle.SubElement.SE_RadioButtonIndicator
    )
    return widget.style().subElementRect(element, option, widget)


def _area(window: QWidget, widget: QWidget, rect: QRect, scale: float) -> QRect:
    top_left = widget.mapTo(window, rect.topLeft()) if widget is not window else rect.topLeft()
    x, y = round(top_left.x() * scale), round(top_left.y() * scale)
    return QRect(x, y, round(rect.width() * scale), round(rect.height() * scale))


def _colours(image: QImage, area: QRect) -> Counter[int]:
    if area.isEmpty():
        return Counter()
    crop = image.copy(area)
    data = bytes(crop.constBits())
    stride, width = crop.bytesPerLine(), crop.width()
    counts: Counter[int] = Counter()
    for row in range(crop.height()):
        line = data[row * stride : row * stride + width * 4]
        counts.update(value & 0xFFFFFF for (value,) in struct.iter_unpack("<I", line))
    return counts


def _farthest(background: int, colours: Counter[int]) -> float:
    drawn = [colour for colour, count in colours.items() if count >= 2]
    return max((contrast_ratio(background, colour) for colour in drawn), default=1.0)


def _luminance(colour: int) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (colour >> 16) & 0xFF, (colour >> 8) & 0xFF, colour & 0xFF
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)
