"""One live call as the status view sees it: the phase in words, both legs, the time, the one action.

call_vm = CallViewModel()                       # the dialer owns one: `dialer_vm.call_vm`
call_vm.begin("+1 650-555-1234, United States", your_phone="Mobile, +1 650-555-0122")
call_vm.bind(call)                              # follows the call's states until it ends
call_vm.act()                                   # Cancel, Hang up or Call again, whichever shows
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from ringdesk.calls.state import OUTCOME_UNKNOWN, UNRECOGNISED_FAILURE, CallState, Phase, placing_state
from ringdesk.errors import report
from ringdesk.qtasync import spawn as qt_spawn
from ringdesk.ui.viewmodels.base import ViewModel
from ringdesk.ui.viewmodels.formatting import ELLIPSIS, format_duration

__all__ = ["COALESCE_MS", "CallAction", "CallView", "CallViewModel", "Tone"]

_log = logging.getLogger("ringdesk.ui.dialer")

Spawn = Callable[..., "asyncio.Task[Any]"]

#: How long bursts of call states are gathered before the status view repaints once.
COALESCE_MS = 30


class CallAction(enum.Enum):
    """The call's main action: the button Enter presses (Esc cancels and hangs up too)."""

    NONE = "none"
    CANCEL = "cancel"
    HANG_UP = "hang_up"
    CALL_AGAIN = "call_again"


class Tone(enum.Enum):
    PROGRESS = "progress"
    CONNECTED = "connected"
    ENDED = "ended"
    FAILED = "failed"


UNKNOWN_OUTCOME_DETAIL = (
    "RingDesk lost track of this call; your call log on the phone service says how it went."
)


@dataclass(frozen=True)
class CallView:
    """Everything the status view shows about the current call, as text and switches."""

    #: False when there is no call to show (the dial pad is shown instead).
    shown: bool
    phase: Phase
    headline: str
    #: "+1 650-555-1234, United States"
    destination: str
    #: "Mobile, +1 650-555-0122"
    your_phone: str
    your_leg: str
    their_leg: str
    #: "01:23" while connected and after a connected call ended; "" otherwise.
    elapsed: str
    #: A sentence under the headline: how it ended, or the extension reminder, or a notice.
    detail: str
    action: CallAction
    action_label: str
    action_enabled: bool
    #: Why the action is disabled (Hang up without Call Control), else what it does.
    action_tooltip: str
    tone: Tone
    #: It failed on the operator's own phone: "Change phone" opens the phone picker.
    can_change_phone: bool = False

    @property
    def final(self) -> bool:
        return self.phase.final


_HIDDEN = CallView(
    shown=False,
    phase=Phase.IDLE,
    headline="Ready",
    destination="",
    your_phone="",
    your_leg="",
    their_leg="",
    elapsed="",
    detail="",
    action=CallAction.NONE,
    action_label="",
    action_enabled=False,
    action_tooltip="",
    tone=Tone.PROGRESS,
)


class _CallLike(Protocol):
    @property
    def state(self) -> CallState: ...

    def subscribe(self, listener: Callable[[CallState], None]) -> Callable[[], None]: ...

    async def cancel(self) -> None: ...

    async def aclose(self) -> None: ...


class CallViewModel(ViewModel[CallView]):
    """One call as the status view sees it. Signals: `changed(CallView)`; `dismissed()` when the
    person chose "New call" (the dialer shows the pad again); `finished(CallState)` once per call;
    `call_again_requested()` and `change_phone_requested()` for the dialer, which owns the number
    and the phone.

    States from the call arrive in bursts (a poll can move two phases); they are gathered for
    `COALESCE_MS` and painted once. While connected a 1 s timer updates the elapsed time.
    """

    dismissed = Signal()
    finished = Signal(object)
    call_again_requested = Signal()
    change_phone_requested = Signal()
    # The core calls listeners on the loop's thread, but a signal keeps that an implementation detail.
    _state_arrived = Signal(object)

    def __init__(
        self,
        *,
        spawn: Spawn | None = None,
        wall_clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._spawn = spawn or qt_spawn
        self._wall_clock = wall_clock
        self._call: _CallLike | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._state: CallState | None = None
        self._destination = ""
        self._your_phone = ""
        self._extension: str | None = None
        self._action_problem: str | None = None
        self._acting = False
        self._finished_sent = False
        self._view = _HIDDEN
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(COALESCE_MS)
        self._flush_timer.timeout.connect(self._publish)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._publish)
        self._state_arrived.connect(self._take_state)

    # ------------------------------------------------------------------ state

    @property
    def call(self) -> _CallLike | None:
        return self._call

    @property
    def busy(self) -> bool:
        """A call is being placed or is live: no other call may start."""
        return self._state is not None and not self._state.final

    def begin(self, destination: str, *, your_phone: str, extension: str | None = None) -> None:
        """Show "Placing the call..." while the RingOut request is on its way."""
        self._detach()
        self._destination = destination
        self._your_phone = your_phone
        self._extension = extension
        self._action_problem = None
        self._finished_sent = False
        self._take_state(placing_state(destination))
        self._publish()

    def bind(self, call: _CallLike) -> None:
        """Follow `call` until it ends (its states arrive through `subscribe`)."""
        self._detach()
        self._call = call
        self._unsubscribe = call.subscribe(self._state_arrived.emit)
        self._take_state(call.state)

    def show_state(
        self, state: CallState, *, destination: str = "", your_phone: str = "", extension: str | None = None
    ) -> None:
        """Render `state` without a call behind it (tests and screenshots)."""
        self._detach()
        self._destination = destination or state.destination
        self._your_phone = your_phone
        self._extension = extension
        self._take_state(state)
        self._publish()

    def show_failure(self, sentence: str, error_code: str | None = None, *, your_phone: bool = False) -> None:
        """Placing failed before there was a call: the sentence, "Call again" and "New call";
        `your_phone` when the platform blamed the operator's phone ("Change phone" too)."""
        self._detach()
        state = CallState(
            Phase.FAILED,
            sentence,
            "",
            "",
            outcome=sentence,
            error_code=error_code,
            ended_at=self._wall_clock(),
            destination=self._destination,
            your_phone_failed=your_phone,
        )
        self._take_state(state)
        self._publish()

    def reset(self) -> None:
        """Back to no call (the pad is shown)."""
        self._detach()
        self._state = None
        self._action_problem = None
        self._ticker.stop()
        self._publish()

    def close(self) -> None:
        """Stop listening and painting (shutdown); the service that made the call closes it."""
        self._detach()
        self._flush_timer.stop()
        self._ticker.stop()

    # ------------------------------------------------------------------ intents

    def act(self) -> None:
        """The main button: Cancel, Hang up or Call again, whichever is showing."""
        action = self._view.action
        if action is CallAction.CALL_AGAIN:
            self.call_again_requested.emit()
        elif action in (CallAction.CANCEL, CallAction.HANG_UP) and self._view.action_enabled:
            self.stop()

    def change_phone(self) -> None:
        if self._view.can_change_phone:
            self.change_phone_requested.emit()

    def stop(self) -> bool:
        """Cancel while ringing, hang up when connected and allowed (Esc); False when nothing to do."""
        state = self._state
        call = self._call
        if state is None or call is None or state.final or self._acting:
            return False
        if not (state.can_cancel or state.can_hang_up):
            return False
        self._acting = True
        self._action_problem = None
        self._publish()
        self._spawn(self._run_stop(call), name="cancel the call")
        return True

    def new_call(self) -> None:
        if self._state is not None and not self._state.final:
            return
        self.reset()
        self.dismissed.emit()

    # ------------------------------------------------------------------ internals

    async def _run_stop(self, call: _CallLike) -> None:
        try:
            await call.cancel()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._action_problem = report(error, context="cancelling the call", logger=_log)
        finally:
            self._acting = False
        self._schedule()

    def _detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._call = None
        self._acting = False

    def _take_state(self, state: CallState) -> None:
        self._state = state
        if state.phase is Phase.CONNECTED:
            if not self._ticker.isActive():
                self._ticker.start()
        else:
            self._ticker.stop()
        if state.final and not self._finished_sent:
            self._finished_sent = True
            self.finished.emit(state)
        self._schedule()

    def _schedule(self) -> None:
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _publish(self) -> None:
        # Painting now makes a gathered burst's pending repaint unnecessary.
        self._flush_timer.stop()
        super()._publish()

    def _make_view(self) -> CallView:
        state = self._state
        if state is None:
            return _HIDDEN
        phase = state.phase
        duration = state.duration(self._wall_clock())
        elapsed = format_duration(duration) if duration is not None else ""
        details: list[str] = []
        if phase is Phase.ENDED and elapsed:
            details.append(f"The call lasted {elapsed}.")
        if phase is Phase.ENDED and state.outcome == OUTCOME_UNKNOWN:
            # The headline says it is unknown; this says where the answer is.
            details.append(UNKNOWN_OUTCOME_DETAIL)
        elif phase in (Phase.CANCELLED, Phase.FAILED) and state.outcome and state.outcome != state.headline:
            details.append(state.outcome)
        if phase is Phase.FAILED and state.outcome == UNRECOGNISED_FAILURE and state.error_code:
            # The platform's own word, for whoever looks into it; not the headline.
            word = f"\N{LEFT DOUBLE QUOTATION MARK}{state.error_code}\N{RIGHT DOUBLE QUOTATION MARK}"
            details.append(f"The phone system said {word}.")
        if phase is Phase.CONNECTED and not state.can_hang_up and state.hang_up_unavailable_reason:
            # Said in words, not only in the disabled button's tooltip, which many never hover.
            details.append(state.hang_up_unavailable_reason)
        if self._extension and not phase.final:
            details.append(f"Once connected, key in extension {self._extension} on your phone.")
        if state.notice:
            details.append(state.notice + ELLIPSIS if not state.notice.endswith(ELLIPSIS) else state.notice)
        if self._action_problem:
            details.append(self._action_problem)

        # No mnemonics on these: Enter and Esc work wherever the focus is in the dialer, and Alt+C
        # and Alt+H belong to the Calls and Help menus.
        if phase.final:
            action, label, enabled = CallAction.CALL_AGAIN, "Call again", True
            tooltip = "Call the same number again (Enter)"
        elif phase is Phase.CONNECTED:
            action, label = CallAction.HANG_UP, "Hang up"
            enabled = state.can_hang_up and not self._acting
            tooltip = state.hang_up_unavailable_reason or "End the call (Esc)"
        elif phase is Phase.PLACING:
            action, label, enabled = CallAction.CANCEL, "Cancel", False
            tooltip = "The call can be cancelled once your phone rings."
        else:
            action, label = CallAction.CANCEL, "Cancel"
            enabled = state.can_cancel and not self._acting
            tooltip = "Stop ringing and cancel the call (Esc)"
        if self._acting:
            label = "Cancelling" + ELLIPSIS if action is CallAction.CANCEL else "Hanging up" + ELLIPSIS

        tone = {
            Phase.CONNECTED: Tone.CONNECTED,
            Phase.ENDED: Tone.ENDED,
            Phase.CANCELLED: Tone.ENDED,
            Phase.FAILED: Tone.FAILED,
        }.get(phase, Tone.PROGRESS)
        headline = state.headline
        if phase is Phase.CONNECTED and elapsed:
            headline = f"Connected {elapsed}"
        return CallView(
            shown=True,
            phase=phase,
            headline=headline,
            destination=self._destination or state.destination,
            your_phone=self._your_phone,
            your_leg=state.your_leg or "\N{EM DASH}",
            their_leg=state.their_leg or "\N{EM DASH}",
            elapsed=elapsed,
            detail=" ".join(details),
            action=action,
            action_label=label,
            action_enabled=enabled,
            action_tooltip=tooltip,
            tone=tone,
            can_change_phone=phase is Phase.FAILED and state.your_phone_failed,
        )
