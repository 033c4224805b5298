"""The look: Fusion with a calm stylesheet, light or dark from the palette.

Windows opt in by object name (`header`, `signedOutBanner`, `noticeBanner`, ...) for their own
parts. A few rules apply to every window, dialogs of others included, because the platform's
defaults fall short there: push buttons get one look (the palette's colours, rounded, the default
button in the accent colour with white text at 5:1) and no icons in button boxes; check boxes and
radio buttons get a border of at least 3:1 against the window (the platform's are about 1.2:1 in
a dark palette) and the accent when chosen. Icons are SVG, sharp at any scale factor, and come
from the package (`ringdesk.resources`), so an installed or frozen RingDesk finds them too.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QLayout, QWidget

from ringdesk.resources import icon_file

__all__ = [
    "ACTION_HEIGHT",
    "BODY",
    "DISPLAY",
    "GRID",
    "GROUP",
    "INSET",
    "LARGE",
    "RELATED",
    "SECONDARY_DARK",
    "SECONDARY_LIGHT",
    "TIGHT",
    "TITLE",
    "TYPE_SCALE",
    "WIDE",
    "apply_style",
    "heading_label",
    "icon",
    "is_dark",
    "problem_style",
    "repolish",
    "spaced",
    "stylesheet",
    "type_points",
]

#: The spacing grid: every margin and gap in RingDesk's layouts is one of these multiples of 4 px.
GRID = 4
#: Lines that belong together: a label and the line under it.
TIGHT = GRID
#: Controls of one group: keys of the pad, buttons in a row.
RELATED = 2 * GRID
#: Inside a tinted box (banners), and between an icon or picture and its words.
INSET = 3 * GRID
#: Between groups, and the margins of windows, dialogs and cards.
GROUP = 4 * GRID
#: The margins of a window with one message and room to breathe.
WIDE = 6 * GRID
#: The height of a call's main actions (Call, Hang up, Call again, Redial): a finger's width.
ACTION_HEIGHT = 11 * GRID

#: The type scale: the platform's own text size times 1.25 per step (a major third), so that
#: RingDesk follows the desktop's font setting. Steps by use:
TYPE_SCALE = (1.0, 1.25, 1.25**2, 1.25**3)
#: Text: labels, fields, lists, the letters under the dial keys.
BODY = 0
#: Section titles, banner titles, the call button's words.
LARGE = 1
#: A window's headline, the dial keys' digits, the call's state on its card.
TITLE = 2
#: The number being typed, and the number called on the call's card.
DISPLAY = 3

Layout = TypeVar("Layout", bound=QLayout)

#: Secondary text (details, hints, placeholders): 4.5:1 or more on the window and on fields.
SECONDARY_LIGHT = "#5f6b7a"
SECONDARY_DARK = "#a8afb8"


def icon(name: str) -> QIcon:
    """The SVG icon `name`, or an empty icon when the icons are not installed as files."""
    path = icon_file(name)
    return QIcon(str(path)) if path is not None else QIcon()


def type_points(step: int) -> float:
    """The text size of `step` on the type scale, in points, rounded to a tenth."""
    app = QApplication.instance()
    base = app.font().pointSizeF() if isinstance(app, QApplication) else -1.0
    # A font sized in pixels has no point size (-1); 10 pt is the common desktop default.
    return round((base if base > 0 else 10.0) * TYPE_SCALE[step], 1)


def spaced(layout: Layout, *, margin: int | tuple[int, int, int, int], gap: int) -> Layout:
    """`layout` with its margins (all sides, or left, top, right, bottom) and gap on the grid."""
    sides = (margin,) * 4 if isinstance(margin, int) else margin
    layout.setContentsMargins(*sides)
    layout.setSpacing(gap)
    return layout


def heading_label(text: str = "") -> QLabel:
    """A dialog's heading: one step up the type scale, bold, wrapped (`heading`)."""
    label = QLabel(text)
    label.setObjectName("heading")
    label.setWordWrap(True)
    font = label.font()
    font.setPointSizeF(type_points(LARGE))
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
        secondary = SECONDARY_DARK
        control, control_bg, accent, control_off = "#9aa3ad", "#1e2125", "#4d8fe0", "#5a6069"
    else:
        warn_bg, warn_border, warn_text = "#fff6e5", "#f0c36d", "#5c3b00"
        info_bg, info_border, info_text = "#eef4fd", "#b7cdf0", "#1d3a66"
        card_border, avatar_bg = "#dde1e6", "#2f6fc4"
        secondary = SECONDARY_LIGHT
        control, control_bg, accent, control_off = "#6b7480", "#ffffff", "#2f6fc4", "#b8bec6"
    return (
        _indicators(control, control_bg, accent, control_off)
        + _buttons(dark)
        + f"""
QFrame#header {{
    border-bottom: 1px solid {card_border};
}}
QLabel#headline {{ font-size: {type_points(TITLE)}pt; font-weight: 600; }}
QLabel#detail, QLabel#secondary, QLabel#fieldLabel {{ color: {secondary}; }}
QLabel#avatar {{
    background: {avatar_bg}; color: white; border-radius: 22px;
    font-weight: 600; font-size: {type_points(LARGE)}pt;
}}
QFrame#signedOutBanner, QFrame#historyBanner {{
    background: {warn_bg}; border: 1px solid {warn_border}; border-radius: 8px;
}}
QFrame#signedOutBanner QLabel, QFrame#historyBanner QLabel {{ color: {warn_text}; }}
QFrame#noticeBanner, QFrame#settingsBanner {{
    background: {info_bg}; border: 1px solid {info_border}; border-radius: 8px;
}}
QFrame#noticeBanner QLabel, QFrame#settingsBanner QLabel {{ color: {info_text}; }}
QFrame#messageCard {{
    background: palette(base); border: 1px solid {card_border}; border-radius: 10px;
}}
QLabel#bannerTitle {{ font-weight: 600; font-size: {type_points(LARGE)}pt; }}
QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
"""
    )


def apply_style(app: QApplication) -> None:
    """Fusion everywhere (the same look on every desktop), the app icon, and the stylesheet.

    Placeholders and the notes under settings use the palette's placeholder colour, which many
    palettes make too faint to read (about 4:1 in Fusion's); it is set to RingDesk's secondary
    text colour, which reaches 4.5:1 on the window and on fields in either palette.
    """
    app.setStyle("Fusion")
    app.setWindowIcon(icon("ringdesk"))
    dark = is_dark(app.palette())
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor(SECONDARY_DARK if dark else SECONDARY_LIGHT))
    app.setPalette(palette)
    app.setStyleSheet(stylesheet(dark))


def problem_style(palette: QPalette) -> str:
    """The stylesheet of a sentence about a problem: a red that stays readable on either palette."""
    return "color: #ff8a80;" if is_dark(palette) else "color: #b00020;"


def _buttons(dark: bool) -> str:
    """One look for every push button: the palette's own colours with rounded corners, and the
    default button (Enter presses it) in the accent colour, its white text at 5:1. A disabled
    button's words are faint (WCAG exempts inactive controls), so it does not pass for enabled."""
    accent, accent_hover = "#2f6fc4", "#2a63ae"
    disabled = "#7a8089" if dark else "#9aa1a9"
    return f"""
QPushButton {{
    background: palette(button); color: palette(button-text); border: 1px solid palette(mid);
    border-radius: 6px; padding: 5px 14px; min-height: 20px;
}}
QPushButton:hover {{ background: palette(midlight); }}
QPushButton:pressed {{ background: palette(mid); }}
QPushButton:focus {{ border: 2px solid {accent}; padding: 4px 13px; }}
QPushButton:default {{ background: {accent}; border-color: {accent}; color: white; }}
QPushButton:default:hover {{ background: {accent_hover}; }}
QPushButton:default:disabled {{ background: palette(button); border-color: palette(mid); }}
QPushButton:disabled {{ color: {disabled}; }}
"""


def _indicators(border: str, background: str, accent: str, disabled: str) -> str:
    """Check box and radio button indicators: a clear border, the accent when chosen."""
    check, dot = icon_file("check"), icon_file("dot")
    marks = ""
    if check is not None and dot is not None:
        marks = (
            f'QCheckBox::indicator:checked {{ image: url("{check.as_posix()}"); }}\n'
            f'QRadioButton::indicator:checked {{ image: url("{dot.as_posix()}"); }}\n'
        )
    return (
        f"""
QCheckBox::indicator, QRadioButton::indicator {{
    width: 14px; height: 14px; border: 2px solid {border}; background: {background};
}}
QCheckBox::indicator {{ border-radius: 4px; }}
QRadioButton::indicator {{ border-radius: 9px; }}
QCheckBox::indicator:checked, QRadioButton::indicator:checked {{
    background: {accent}; border-color: {accent};
}}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{ border-color: {disabled}; }}
"""
        + marks
    )


def repolish(widget: QWidget) -> None:
    """Re-apply the stylesheet after a dynamic property the stylesheet keys on has changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
