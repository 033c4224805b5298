"""The look: Fusion with a calm stylesheet keyed on object names, light or dark from the palette.

Only widgets that opt in by object name (`header`, `signedOutBanner`, `noticeBanner`, ...) are styled,
so dialogs made by others keep the platform look. Icons are SVG, sharp at any scale factor, and
come from the package (`ringdesk.resources`), so an installed or frozen RingDesk finds them too.
"""

from __future__ import annotations

from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from ringdesk.resources import icon_file

__all__ = ["apply_style", "heading_label", "icon", "is_dark", "problem_style", "repolish", "stylesheet"]


def icon(name: str) -> QIcon:
    """The SVG icon `name`, or an empty icon when the icons are not installed as files."""
    path = icon_file(name)
    return QIcon(str(path)) if path is not None else QIcon()


def heading_label(text: str = "") -> QLabel:
    """A dialog's heading: a quarter larger than the text under it, bold, wrapped (`heading`)."""
    label = QLabel(text)
    label.setObjectName("heading")
    label.setWordWrap(True)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.25)
    font.setBold(True)
    label.setFont(font)
    return label


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def stylesheet(dark: bool) -> str:
    if dark:
        warn_bg, warn_border, warn_text = "#3a2c12", "#7a5a1c", "#f3d9a4"
        info_bg, info_border, info_text = "#16283f", "#2c4f7c", "#cfe0f7"
        card_border, avatar_bg = "#3a3f47", "#2f6fc4"
        secondary = "#a8afb8"
    else:
        warn_bg, warn_border, warn_text = "#fff6e5", "#f0c36d", "#5c3b00"
        info_bg, info_border, info_text = "#eef4fd", "#b7cdf0", "#1d3a66"
        card_border, avatar_bg = "#dde1e6", "#2f6fc4"
        secondary = "#5f6b7a"
    return f"""
QFrame#header {{
    border-bottom: 1px solid {card_border};
}}
QLabel#headline {{ font-size: 15pt; font-weight: 600; }}
QLabel#detail, QLabel#secondary, QLabel#fieldLabel {{ color: {secondary}; }}
QLabel#avatar {{
    background: {avatar_bg}; color: white; border-radius: 22px; font-weight: 600; font-size: 13pt;
}}
QFrame#signedOutBanner {{
    background: {warn_bg}; border: 1px solid {warn_border}; border-radius: 8px;
}}
QFrame#signedOutBanner QLabel {{ color: {warn_text}; }}
QFrame#noticeBanner, QFrame#settingsBanner {{
    background: {info_bg}; border: 1px solid {info_border}; border-radius: 8px;
}}
QFrame#noticeBanner QLabel, QFrame#settingsBanner QLabel {{ color: {info_text}; }}
QLabel#bannerTitle {{ font-weight: 600; font-size: 11.5pt; }}
QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
"""


def apply_style(app: QApplication) -> None:
    """Fusion everywhere (the same look on every desktop), the app icon, and the stylesheet."""
    app.setStyle("Fusion")
    app.setWindowIcon(icon("ringdesk"))
    app.setStyleSheet(stylesheet(is_dark(app.palette())))


def problem_style(palette: QPalette) -> str:
    """The stylesheet of a sentence about a problem: a red that stays readable on either palette."""
    return "color: #ff8a80;" if is_dark(palette) else "color: #b00020;"


def repolish(widget: QWidget) -> None:
    """Re-apply the stylesheet after a dynamic property the stylesheet keys on has changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
