"""The tray icon as the widgets see it: one `TrayView` per change, intents, and call notifications.

Everything is derived from the session and dialer view models; the tray adds no state of its own
except whether the main window is shown and what the clipboard holds.

    tray_vm = TrayViewModel(session_vm, dialer_vm, settings.general, window_active=window.isActiveWindow)
    tray_vm.show_hide_requested.connect(...)          # True: show and raise the main window; False: hide it
    tray_vm.set_window_visible(True)                  # after every show and hide of the main window
    TrayIcon(tray_vm).show()                          # where there is a tray; it shows the notifications
    tray_vm.notify.connect(DesktopNotifier().notify)  # where there is none

Notifications: when the current call connects, fails or ends, `notify(Notification)` is emitted once
per call and kind, if that kind is switched on in `GeneralSettings` and the main window is not the
active window (the person sees the status view there already). A cancelled call notifies nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

from ringdesk.auth.session import SessionState
from ringdesk.calls.state import CallState, Phase
from ringdesk.config import GeneralSettings
from ringdesk.numbers import InvalidNumber
from ringdesk.ui.viewmodels.base import ViewModel
from ringdesk.ui.viewmodels.call import CallView
from ringdesk.ui.viewmodels.dialer import DialerView, DialerViewModel, RecentNumber
from ringdesk.ui.viewmodels.formatting import ELLIPSIS, format_duration, with_extension
from ringdesk.ui.viewmodels.session import SessionView, SessionViewModel

__all__ = [
    "RECENT_IN_MENU",
    "Notification",
    "NotificationKind",
    "TrayState",
    "TrayView",
    "TrayViewModel",
]

#: How many recent numbers the tray menu lists.
RECENT_IN_MENU = 8
NO_CLIPBOARD_NUMBER = "No number on the clipboard"


class TrayState(enum.Enum):
    SIGNED_OUT = "signed_out"
    READY = "ready"
    IN_CALL = "in_call"


class NotificationKind(enum.Enum):
    CONNECTED = "connected"
    FAILED = "failed"
    ENDED = "ended"
    #: About a phone link or `ringdesk dial` request (a countdown to its call, or why it cannot be called).
    LINK = "link"


@dataclass(frozen=True)
class Notification:
    title: str
    body: str
    kind: NotificationKind


@dataclass(frozen=True)
class TrayView:
    """Everything the tray icon and its menu show."""

    state: TrayState
    #: "RingDesk: ready", "RingDesk: in a call with +1 650-555-1234", "RingDesk: signed out".
    tooltip: str
    #: "Show RingDesk" or "Hide RingDesk".
    show_hide_label: str
    #: "Call +1 650-555-1234 from the clipboard", or NO_CLIPBOARD_NUMBER.
    clipboard_label: str
    #: The clipboard holds a number and a call can be placed now.
    clipboard_enabled: bool
    #: The most recent numbers first, at most RECENT_IN_MENU.
    recent: tuple[RecentNumber, ...]
    signed_in: bool
    can_sign_in: bool
    can_sign_out: bool
    #: Signed in, a phone chosen, no call under way and no rate-limit countdown.
    can_call: bool


class TrayViewModel(ViewModel[TrayView]):
    """Signals: `changed(TrayView)`; `show_hide_requested(bool)` (True: show and raise the main
    window, False: hide it); `quit_requested()`; `notify(Notification)`."""

    show_hide_requested = Signal(bool)
    quit_requested = Signal()
    notify = Signal(object)

    def __init__(
        self,
        session_vm: SessionViewModel,
        dialer_vm: DialerViewModel,
        general: GeneralSettings,
        *,
        window_active: Callable[[], bool] | None = None,
        clipboard_text: Callable[[], str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session_vm
        self._dialer = dialer_vm
        self._general = general
        self._window_active = window_active or (lambda: False)
        self._clipboard_text = clipboard_text or _system_clipboard_text
        self._window_visible = False
        self._clipboard_display: str | None = None
        # The number of the call under way as the person reads it, and what was said about it.
        self._call_display = ""
        self._notified: set[NotificationKind] = set()
        self._in_call = False
        session_vm.changed.connect(self._view_changed)
        dialer_vm.changed.connect(self._view_changed)
        dialer_vm.call_vm.changed.connect(self._call_changed)
        dialer_vm.call_vm.finished.connect(self._call_finished)
        self._read_clipboard()
        self._view = self._make_view()

    # ------------------------------------------------------------------ state

    def set_general(self, general: GeneralSettings) -> None:
        """The switches for notifications (after the Preferences dialog saved them)."""
        self._general = general

    def set_window_visible(self, visible: bool) -> None:
        """Whether the main window is on screen (shown and not minimized): decides Show or Hide."""
        self._window_visible = visible
        self._publish()

    def refresh_clipboard(self) -> None:
        """Read the clipboard again (the menu does this each time before it opens)."""
        self._read_clipboard()
        self._publish()

    # ------------------------------------------------------------------ intents

    def toggle_window(self) -> None:
        """A click on the icon, or Show/Hide RingDesk in the menu."""
        self.show_hide_requested.emit(not self._window_visible)

    def show_window(self) -> None:
        """A click on one of RingDesk's notifications."""
        self.show_hide_requested.emit(True)

    def call_clipboard(self) -> bool:
        """Call the number on the clipboard; the window is shown so the person sees the call."""
        text = self._clipboard_text()
        self._read_clipboard(text)
        self._publish()
        if self._clipboard_display is None:
            return False
        self._dialer.paste(text, replace=True)
        self.show_hide_requested.emit(True)
        return self._dialer.call()

    def redial(self, number: str) -> bool:
        """Call a recent number; the window is shown so the person sees the call."""
        self.show_hide_requested.emit(True)
        return self._dialer.redial(number)

    def sign_in(self) -> None:
        self._session.sign_in()

    def sign_out(self) -> None:
        self._session.sign_out()

    def quit(self) -> None:
        self.quit_requested.emit()

    # ------------------------------------------------------------------ internals

    def _read_clipboard(self, text: str | None = None) -> None:
        text = self._clipboard_text() if text is None else text
        self._clipboard_display = None
        if not text.strip():
            return
        try:
            target = self._dialer.target_of(text)
        except InvalidNumber:
            return
        self._clipboard_display, _redial = with_extension(target.display, target.e164, target.extension)

    def _view_changed(self, _view: SessionView | DialerView) -> None:
        self._publish()

    def _call_changed(self, view: CallView) -> None:
        in_call = view.shown and not view.final
        if in_call and not self._in_call:
            # A new call: `call()` has just shown "Placing the call", so the dialer's target is its number.
            target = self._dialer.target
            self._call_display = target.display if target is not None else view.destination
            self._notified = set()
        self._in_call = in_call
        if view.phase is Phase.CONNECTED:
            self._send(NotificationKind.CONNECTED, "Connected", self._call_display)
        self._publish()

    def _call_finished(self, state: CallState) -> None:
        # The final view is painted a moment later; a call placed before that is still a new call.
        self._in_call = False
        number = self._call_display or state.destination
        if state.phase is Phase.FAILED:
            self._send(NotificationKind.FAILED, "Call failed", state.outcome or state.headline)
        elif state.phase is Phase.ENDED:
            duration = state.duration()
            body = f"{number} \N{MIDDLE DOT} {format_duration(duration)}" if duration is not None else number
            self._send(NotificationKind.ENDED, "Call ended", body)

    def _send(self, kind: NotificationKind, title: str, body: str) -> None:
        if kind in self._notified:
            return
        self._notified.add(kind)
        switched_on = {
            NotificationKind.CONNECTED: self._general.notify_connected,
            NotificationKind.FAILED: self._general.notify_failed,
            NotificationKind.ENDED: self._general.notify_ended,
        }[kind]
        if switched_on and not self._window_active():
            self.notify.emit(Notification(title, body, kind))

    def _make_view(self) -> TrayView:
        session = self._session.view
        dialer = self._dialer.view
        call = self._dialer.call_vm.view
        in_call = call.shown and not call.final
        if in_call:
            state = TrayState.IN_CALL
            number = self._call_display or call.destination
            if call.phase is Phase.CONNECTED:
                tooltip = f"RingDesk: in a call with {number}"
            else:
                tooltip = f"RingDesk: calling {number}{ELLIPSIS}"
        elif session.signed_in:
            state, tooltip = TrayState.READY, "RingDesk: ready"
        else:
            state = TrayState.SIGNED_OUT
            if session.starting:
                tooltip = f"RingDesk: starting{ELLIPSIS}"
            elif session.state is SessionState.SIGNING_IN:
                tooltip = f"RingDesk: signing in{ELLIPSIS}"
            else:
                tooltip = "RingDesk: signed out"
        can_call = (
            session.signed_in
            and dialer.signed_in
            and dialer.phone_chosen
            and dialer.cooldown == 0
            and not self._dialer.call_vm.busy
        )
        if self._clipboard_display is not None:
            clipboard_label = f"Call {self._clipboard_display} from the clipboard"
        else:
            clipboard_label = NO_CLIPBOARD_NUMBER
        return TrayView(
            state=state,
            tooltip=tooltip,
            show_hide_label="Hide RingDesk" if self._window_visible else "Show RingDesk",
            clipboard_label=clipboard_label,
            clipboard_enabled=self._clipboard_display is not None and can_call,
            recent=dialer.recent[:RECENT_IN_MENU],
            signed_in=session.signed_in,
            can_sign_in=session.can_sign_in,
            can_sign_out=session.can_sign_out,
            can_call=can_call,
        )


def _system_clipboard_text() -> str:
    clipboard = QGuiApplication.clipboard()
    return clipboard.text() if clipboard is not None else ""
