"""Windows that fit the screen they open on: a laptop's 1366x768 leaves about 700 pixels of height
for a window, its title bar and the desktop's panels.

    window.resize(520, 720)
    fit_to_screen(window)      # smaller where the screen is, never below the window's minimum
    HeightFloor(window, content)   # tall enough for wrapped text at the window's real width
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

__all__ = ["HeightFloor", "fit_to_screen"]

#: What the window manager adds around a window (title bar, borders), which Qt only learns once
#: the window is on screen; an estimate that errs on the side of fitting.
DECORATION_HEIGHT = 40


def fit_to_screen(window: QWidget) -> None:
    """Shrink `window` to the free area of its screen (panels excluded), keeping its minimum."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    free = screen.availableGeometry()
    width = max(window.minimumWidth(), min(window.width(), free.width()))
    height = max(window.minimumHeight(), min(window.height(), free.height() - DECORATION_HEIGHT))
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)


class HeightFloor(QObject):
    """Keeps `window`'s minimum height at what `content` (its central widget) needs at its width.

    Qt takes a window's minimum from its layout, which counts wrapped text (a banner's sentence) at
    the width where it is shortest; at the window's real width the sentence takes more lines, and
    what is under it is squeezed below its own minimum or cut off (the dial pad's last row). The
    floor follows every change of the content's layout and width, up to the screen's free height;
    a window below it grows.
    """

    def __init__(self, window: QWidget, content: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._content = content
        content.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Resize):
            self._raise_floor()
        return False

    def _raise_floor(self) -> None:
        window, content = self._window, self._content
        if not content.isVisible():
            return  # not laid out yet: its height says nothing about what it needs
        content_layout, window_layout = content.layout(), window.layout()
        if content_layout is None or window_layout is None:
            return
        around = window.height() - content.height()
        needed = content_layout.totalMinimumHeightForWidth(content.width()) + around
        floor = max(window_layout.totalMinimumSize().height(), needed)
        screen = window.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            floor = min(floor, screen.availableGeometry().height() - DECORATION_HEIGHT)
        width = window_layout.totalMinimumSize().width()
        if (width, floor) != (window.minimumWidth(), window.minimumHeight()):
            window.setMinimumSize(width, floor)
