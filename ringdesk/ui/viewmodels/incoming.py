"""Requests from outside the window: phone links, `ringdesk dial`, the highlighted text, `show`, `quit`.

    incoming = IncomingRequestsViewModel(dialer_vm, read_selection=..., window_shown=...)
    reply = await incoming.handle(Request.dial("tel:+1-650-555-1234"))   # the instance socket's handler
    incoming.open_link("tel:+16505551234")                               # macOS open events, drops

Signals: `show_requested(str)` (bring the window forward and put the keyboard on Call; the
argument is the desktop's activation token the request came with, or ""),
`quit_requested()`, `message(str)` (a sentence for the status line), `notify(Notification)`
(for when the window is hidden).

The rules:

- A number is filled in at once, even signed out, so the person sees what was asked; it stays
  *pending* until calling is possible (signed in, connected, a phone chosen, no call under way)
  and is then handled exactly once: the window comes forward with the keyboard on Call, or, with
  "call phone links at once", a short countdown the person can cancel starts, then the call.
- A newer request replaces a pending one (the person clicked again); a person typing in the entry
  takes over from a pending one. Neither is dialled later.
- During a call nothing is touched: the number waits and fills the pad when the call ends.
- A link that holds no phone number (or nothing highlighted) is refused with a sentence, in the
  window or as a notification, and in the reply to the sender: nothing is dialled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QObject, Signal

from ringdesk.desktop.instance import Reply, Request
from ringdesk.numbers import InvalidNumber, parse_dial_input, parse_link
from ringdesk.ui.viewmodels.dialer import DialerView, DialerViewModel
from ringdesk.ui.viewmodels.tray import Notification, NotificationKind

__all__ = ["AUTO_CALL_SECONDS", "IncomingRequestsViewModel"]

_log = logging.getLogger("ringdesk.ui.incoming")

#: The countdown before a link is called by itself ("call phone links at once").
AUTO_CALL_SECONDS: Final = 3
NOTHING_HIGHLIGHTED: Final = "Nothing is highlighted; highlight a phone number, then try again."


@dataclass
class _Pending:
    #: What goes in the entry (`parse_link`'s dialable text).
    text: str
    #: How the number is said in sentences ("+1 650-555-1234").
    display: str
    call_at_once: bool
    #: In the entry already (not while a call is under way): from then on, a different entry
    #: means the person typed over it.
    filled: bool = False


class IncomingRequestsViewModel(QObject):
    show_requested = Signal(str)
    quit_requested = Signal()
    message = Signal(str)
    notify = Signal(object)

    def __init__(
        self,
        dialer: DialerViewModel,
        *,
        read_selection: Callable[[], str],
        window_shown: Callable[[], bool],
        call_at_once: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._dialer = dialer
        self._read_selection = read_selection
        self._window_shown = window_shown
        self._call_at_once = call_at_once
        self._pending: _Pending | None = None
        # The latest request's permission from the desktop to come forward.
        self._activation_token = ""
        # Offering a number changes the dialer, whose change calls back in here: one at a time.
        self._handling = False
        dialer.changed.connect(self._dialer_changed)
        dialer.call_vm.finished.connect(self._call_finished)

    @property
    def pending(self) -> str | None:
        """The number waiting until calling is possible, or None."""
        return self._pending.text if self._pending is not None else None

    def set_call_at_once(self, on: bool) -> None:
        self._call_at_once = on

    async def handle(self, request: Request) -> Reply:
        """Take `request`; the reply says what became of it, in a sentence for the sender's terminal."""
        self._activation_token = request.activation_token
        _log.info("request from outside: %s", request.action)
        if request.action == "show":
            self.show_requested.emit(self._activation_token)
            return Reply(True, "RingDesk's window is shown.")
        if request.action == "quit":
            self.quit_requested.emit()
            return Reply(True, "RingDesk is quitting.")
        text = request.text
        if request.action == "dial-selection":
            text = self._read_selection()
            if not text.strip():
                return self._refuse(NOTHING_HIGHLIGHTED)
        return self._take_number(text)

    def open_link(self, text: str) -> None:
        """A link from the desktop that arrived without the socket (macOS's open event, a drop)."""
        self._take_number(text)

    # ------------------------------------------------------------------ internals

    def _take_number(self, text: str) -> Reply:
        try:
            dialable = parse_link(text)
        except InvalidNumber as error:
            return self._refuse(error.user_message)
        display = dialable
        try:
            display = parse_dial_input(dialable, self._dialer.region).display
        except InvalidNumber as error:
            if self._dialer.ready_to_call:
                # The account's country is known: this will not become callable by waiting.
                if not self._dialer.call_vm.busy:
                    self._dialer.offer(dialable)
                    self.show_requested.emit(self._activation_token)
                return self._refuse(error.user_message)
        if self._pending is not None:
            _log.info("a newer request replaces the one waiting")
        self._pending = _Pending(dialable, display, self._call_at_once)
        reply = Reply(True, self._sentence(self._pending))
        self._handle_pending()
        return reply

    def _sentence(self, pending: _Pending) -> str:
        number = pending.display
        if self._dialer.call_vm.busy:
            return f"RingDesk fills in {number} when the current call ends."
        if not self._dialer.view.signed_in:
            return f"RingDesk shows {number} and can call it once you are signed in."
        if not self._dialer.ready_to_call and not self._dialer.view.phone_chosen:
            return f"RingDesk shows {number} and can call it once you have chosen the phone that rings first."
        if not self._dialer.ready_to_call:
            return f"RingDesk shows {number} and can call it once it is connected."
        if pending.call_at_once:
            return f"RingDesk calls {number} in {AUTO_CALL_SECONDS} seconds unless you cancel."
        return f"RingDesk has {number} ready to call."

    def _refuse(self, sentence: str) -> Reply:
        _log.info("request from outside refused: %s", sentence)
        self.message.emit(sentence)
        if not self._window_shown():
            self.notify.emit(Notification("RingDesk cannot call that", sentence, NotificationKind.LINK))
        return Reply(False, sentence)

    def _handle_pending(self) -> None:
        if self._handling:
            return
        self._handling = True
        try:
            self._handle_pending_now()
        finally:
            self._handling = False

    def _handle_pending_now(self) -> None:
        pending = self._pending
        dialer = self._dialer
        if pending is None or dialer.call_vm.busy:
            return
        if dialer.call_vm.view.shown:
            # The card of the call that just ended gives way to the pad with the new number.
            dialer.call_vm.new_call()
        if dialer.view.text != pending.text:
            dialer.offer(pending.text)
            # Without the number (personal data); the benchmark times links by this line.
            _log.info("a number from outside is in the entry")
        pending.filled = True
        if not dialer.ready_to_call:
            # Shown now, called (or focused) once calling is possible.
            self.show_requested.emit(self._activation_token)
            return
        self._pending = None
        if pending.call_at_once:
            dialer.offer(pending.text, call_after=AUTO_CALL_SECONDS)
            if self._window_shown():
                self.show_requested.emit(self._activation_token)
            else:
                self.notify.emit(
                    Notification(
                        f"Calling {pending.display} in {AUTO_CALL_SECONDS} s",
                        "Open RingDesk to cancel.",
                        NotificationKind.LINK,
                    )
                )
            return
        self.show_requested.emit(self._activation_token)

    def _dialer_changed(self, view: DialerView) -> None:
        pending = self._pending
        if pending is None or self._handling:
            return
        if pending.filled and view.text != pending.text:
            # The person typed over it: theirs now, not to be dialled later.
            _log.info("the entry changed; the waiting request is dropped")
            self._pending = None
            return
        if self._dialer.ready_to_call and not self._dialer.call_vm.busy:
            self._handle_pending()

    def _call_finished(self, _state: object) -> None:
        self._handle_pending()
