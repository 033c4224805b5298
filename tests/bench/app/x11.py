"""X11 bindings: an X client of the benchmark's own, seeing the app's windows mapped, drawn, destroyed."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["TopLevel", "XScreen"]


class _XAnyEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
    ]


class _XCreateWindowEvent(ctypes.Structure):
    _fields_ = [*_XAnyEvent._fields_[:4], ("parent", ctypes.c_ulong), ("window", ctypes.c_ulong)]


class _XWindowEvent(ctypes.Structure):
    """The head of XMapEvent and XDestroyWindowEvent: the window is the second Window field."""

    _fields_ = [*_XAnyEvent._fields_[:4], ("event", ctypes.c_ulong), ("window", ctypes.c_ulong)]


class _XDamageNotifyEvent(ctypes.Structure):
    _fields_ = [*_XAnyEvent._fields_[:4], ("drawable", ctypes.c_ulong), ("damage", ctypes.c_ulong)]


_CREATE_NOTIFY, _DESTROY_NOTIFY, _MAP_NOTIFY = 16, 17, 19
_SUBSTRUCTURE_NOTIFY_MASK = 1 << 19
_XA_WM_NAME = 39
_DAMAGE_REPORT_NON_EMPTY = 3
_X_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


@dataclass
class TopLevel:
    """One top-level X window of the app; times in seconds from the spawn."""

    name: str = ""
    mapped: float | None = None
    drawn: float | None = None
    destroyed: float | None = None


class XScreen:
    """A plain X client following top-level windows: created, mapped, first drawn, destroyed.

    Uses libX11 and libXdamage (both among the libraries `scripts/setup` installs for Qt) through
    ctypes, so no extra tool is needed. Errors (a window gone before it was asked about) are
    ignored by an error handler instead of ending the process, as Xlib's default one would.
    """

    def __init__(self) -> None:
        x = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        x.XOpenDisplay.restype = ctypes.c_void_p
        x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x.XDefaultRootWindow.restype = ctypes.c_ulong
        x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x.XSelectInput.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_long]
        x.XPending.argtypes = [ctypes.c_void_p]
        x.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        x.XConnectionNumber.argtypes = [ctypes.c_void_p]
        x.XFlush.argtypes = [ctypes.c_void_p]
        x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        x.XFree.argtypes = [ctypes.c_void_p]
        x.XInternAtom.restype = ctypes.c_ulong
        x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        x.XGetWindowProperty.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.c_ulong,
            ctypes.c_long,
            ctypes.c_long,
            ctypes.c_int,
            ctypes.c_ulong,
            ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_void_p),
        ]
        self._x = x
        self._display = x.XOpenDisplay(None)
        if not self._display:
            raise RuntimeError(f"cannot open the X display {os.environ.get('DISPLAY')!r}")
        self._error_handler = _X_ERROR_HANDLER(lambda _display, _event: 0)
        x.XSetErrorHandler(self._error_handler)
        self._root = x.XDefaultRootWindow(self._display)
        self._net_wm_name = x.XInternAtom(self._display, b"_NET_WM_NAME", 0)
        self._damage: Any = None
        self._damage_event = -1
        try:
            damage = ctypes.CDLL(ctypes.util.find_library("Xdamage") or "libXdamage.so.1")
            damage.XDamageQueryExtension.argtypes = [
                ctypes.c_void_p,
                ctypes.POINTER(ctypes.c_int),
                ctypes.POINTER(ctypes.c_int),
            ]
            damage.XDamageCreate.restype = ctypes.c_ulong
            damage.XDamageCreate.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int]
            damage.XDamageSubtract.argtypes = [
                ctypes.c_void_p,
                ctypes.c_ulong,
                ctypes.c_ulong,
                ctypes.c_ulong,
            ]
            event_base, error_base = ctypes.c_int(), ctypes.c_int()
            if damage.XDamageQueryExtension(
                self._display, ctypes.byref(event_base), ctypes.byref(error_base)
            ):
                self._damage = damage
                self._damage_event = event_base.value  # XDamageNotify is event 0 of the extension
        except OSError:
            pass
        x.XSelectInput(self._display, self._root, _SUBSTRUCTURE_NOTIFY_MASK)
        x.XFlush(self._display)
        self._event = (ctypes.c_long * 24)()  # sizeof(XEvent)
        self.windows: dict[int, TopLevel] = {}
        self._started = time.monotonic()

    @property
    def sees_drawing(self) -> bool:
        return self._damage is not None

    def close(self) -> None:
        if self._display:
            self._x.XCloseDisplay(self._display)
            self._display = None

    def begin(self, started: float) -> None:
        """Forget what came before; times from now on are seconds from `started` (monotonic)."""
        while self._x.XPending(self._display):
            self._x.XNextEvent(self._display, self._event)
        self.windows = {}
        self._started = started

    def window_name(self, window: int) -> str:
        for atom in (self._net_wm_name, _XA_WM_NAME):
            kind, fmt, items, after = ctypes.c_ulong(), ctypes.c_int(), ctypes.c_ulong(), ctypes.c_ulong()
            data = ctypes.c_void_p()
            status = self._x.XGetWindowProperty(
                self._display, window, atom, 0, 1024, 0, 0,  # AnyPropertyType
                ctypes.byref(kind), ctypes.byref(fmt), ctypes.byref(items), ctypes.byref(after),
                ctypes.byref(data),
            )  # fmt: skip
            if status == 0 and data.value:
                text = ctypes.string_at(data.value, items.value).decode("utf-8", "replace")
                self._x.XFree(data)
                if text:
                    return text
        return ""

    def pump(self, seconds: float) -> None:
        """Take in the X events of the next `seconds`."""
        x, display = self._x, self._display
        fd = x.XConnectionNumber(display)
        deadline = time.monotonic() + seconds
        while True:
            while x.XPending(display):
                x.XNextEvent(display, self._event)
                self._take(time.monotonic() - self._started)
            left = deadline - time.monotonic()
            if left <= 0:
                return
            select.select([fd], [], [], left)

    def _take(self, now: float) -> None:
        kind = _XAnyEvent.from_buffer(self._event).type
        if kind == _CREATE_NOTIFY:
            created = _XCreateWindowEvent.from_buffer(self._event)
            self.windows[created.window] = TopLevel()
            if self._damage is not None:
                # Asked for at creation, before Qt maps the window, so its first drawing is seen.
                self._damage.XDamageCreate(self._display, created.window, _DAMAGE_REPORT_NON_EMPTY)
                self._x.XFlush(self._display)
        elif kind in (_MAP_NOTIFY, _DESTROY_NOTIFY):
            window = self.windows.get(_XWindowEvent.from_buffer(self._event).window)
            if window is None:
                return
            if kind == _DESTROY_NOTIFY:
                window.destroyed = now
            elif window.mapped is None:
                window.mapped = now
                window.name = self.window_name(_XWindowEvent.from_buffer(self._event).window)
        elif kind == self._damage_event:
            damaged = _XDamageNotifyEvent.from_buffer(self._event)
            window = self.windows.get(damaged.drawable)
            if window is not None and window.mapped is not None and window.drawn is None:
                window.drawn = now
            elif window is not None and window.drawn is None:
                # Report again next time (non-empty reports come once until subtracted).
                self._damage.XDamageSubtract(self._display, damaged.damage, 0, 0)
                self._x.XFlush(self._display)

    def main_window(self, title: str) -> TopLevel | None:
        """The first-mapped window named `title` that is still there (others came and went)."""
        alive = [
            w
            for w in self.windows.values()
            if w.name == title and w.mapped is not None and w.destroyed is None
        ]
        return min(alive, key=lambda w: w.mapped or 0.0, default=None)

    def flashes(self, title: str) -> int:
        """Windows named `title` that were mapped and destroyed again (a window flashing up)."""
        return sum(
            1 for w in self.windows.values() if w.name == title and w.mapped is not None and w.destroyed
        )
