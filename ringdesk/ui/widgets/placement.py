"""Windows that fit the screen they open on: a laptop's 1366x768 leaves about 700 pixels of height
for a window, its title bar and the desktop's panels.

    window.resize(520, 720)
    fit_to_screen(window)      # smaller where the screen is, never below the window's minimum
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

__all__ = ["fit_to_screen"]

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
