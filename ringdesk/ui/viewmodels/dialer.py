"""The dialer as the widgets see it: number entry with a live preview, recent numbers, redial, Call.

    dialer = DialerViewModel(preferences=settings.dialer) # works signed out: history and redial
    dialer.set_history(history)
    dialer.set_service(service)                           # after sign-in; None after sign-out
    dialer.set_signed_in(True)
    dialer.set_text("(650) 555-1234")                     # -> changed(DialerView) with the preview
    dialer.call()                                         # -> dialer.call_vm follows the call
    dialer.offer("+16505551234", call_after=3)            # a link: filled in, called after a countdown

The call itself is `CallViewModel` (`ringdesk.ui.viewmodels.call`), the phone to ring first is
chosen with `PhonePickerViewModel` (`ringdesk.ui.viewmodels.phone_picker`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from ringdesk.calls.state import CallState
from ringdesk.config import DialerSettings
from ringdesk.errors import RateLimited, report
from ringdesk.numbers import DialTarget, InvalidNumber, clean_input, format_for_display, parse_dial_input
from ringdesk.people.directory import CompanyDirectory
from ringdesk.platforms.base import Phone
from ringdesk.qtasync import spawn as qt_spawn
from ringdesk.storage.history import CallHistory, CallRecord
from ringdesk.ui.viewmodels.base import ViewModel
from ringdesk.ui.viewmodels.call import CallAction, CallView, CallViewModel
from ringdesk.ui.viewmodels.formatting import ELLIPSIS, call_outcome, time_ago, when_full, with_extension

__all__ = ["RECENT_LIMIT", "DialerView", "DialerViewModel", "RecentNumber", "phone_to_ring"]

_log = logging.getLogger("ringdesk.ui.dialer")

Spawn = Callable[..., "asyncio.Task[Any]"]

#: How many recent numbers the dialer lists.
RECENT_LIMIT = 8
#: How long an offered number whose countdown ended may still wait for the platform's budget
#: before it is left in the entry for the person to call.
AUTO_CALL_GRACE = 10.0


def phone_to_ring(choice: DialerSettings) -> Phone | str:
    """What `CallService.place(from_=...)` wants: the chosen phone when it has the platform's id,
    else the number."""
    if choice.forwarding_number_id:
        return Phone(
            id=choice.forwarding_number_id, number=choice.phone_number, label=choice.phone_label or None
        )
    return choice.phone_number or ""


@dataclass(frozen=True)
class RecentNumber:
    #: What the entry gets on redial (E.164).
    number: str
    #: "+1 650-555-1234"
    display: str
    #: "Ended · 00:19 · 2 min ago" (as the history says how it went), or "" when unknown.
    detail: str = ""
    #: The exact time and the whole outcome, under the tooltip's first line.
    about: str = ""

    @property
    def text(self) -> str:
        return f"{self.display}\n{self.detail}" if self.detail else self.display

    @property
    def tooltip(self) -> str:
        return "\n".join(line for line in (f"Call {self.display} again (Enter)", self.about) if line)


@dataclass(frozen=True)
class DialerView:
    text: str
    preview: str
    #: The preview is a number that can be called (else it is the sentence why not, or a hint).
    preview_valid: bool
    #: The preview is a problem with what was typed (shown as a warning, not a hint).
    preview_problem: bool
    call_label: str
    call_enabled: bool
    call_tooltip: str
    #: "Rings your Mobile, +1 650-555-0122 first" or the sentence asking to choose one.
    phone_line: str
    phone_chosen: bool
    recent: tuple[RecentNumber, ...]
    redial_enabled: bool
    signed_in: bool
    #: Seconds left on the Heavy budget (0 when a call may be placed now).
    cooldown: int
    #: Seconds until an offered number is called by itself (`offer(call_after=...)`); 0: none pending.
    auto_call_in: int = 0


class _ServiceLike(Protocol):
    def next_call_possible_in(self) -> float: ...

    async def place(
        self,
        target: DialTarget,
        *,
        from_: Phone | str,
        from_label: str | None,
        caller_id: str | None,
        play_prompt: bool,
    ) -> Any: ...


class DialerViewModel(ViewModel[DialerView]):
    """Signals: `changed(DialerView)`; `phone_picker_requested()` (the gear, or "Change phone"
    after a call failed on the operator's phone); `hang_up_confirmation_requested()` (Esc during
    a connected call: the widget asks, then calls `call_vm.stop()`).

    The current call lives in `call_vm`; while it is shown the dial pad is hidden by the widget.
    """

    phone_picker_requested = Signal()
    hang_up_confirmation_requested = Signal()

    def __init__(
        self,
        *,
        preferences: DialerSettings | None = None,
        history: CallHistory | None = None,
        service: _ServiceLike | None = None,
        signed_in: bool = False,
        default_region: str = "US",
        spawn: Spawn | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._spawn = spawn or qt_spawn
        self._clock = clock
        self._wall_clock = wall_clock
        self._prefs = preferences or DialerSettings()
        self._history = history
        self._service = service
        self._signed_in = signed_in
        self._home_region = default_region
        # How many digits the company's extension numbers have: such digits alone are an internal call.
        #: The operator's own extension's length, and the company directory when it is loaded.
        self._own_extension_lengths: frozenset[int] = frozenset()
        self._directory: CompanyDirectory | None = None
        self._text = ""
        self._target: DialTarget | None = None
        self._preview = ""
        self._preview_problem = False
        self._recent: tuple[RecentNumber, ...] = ()
        # The history's records behind Recent: their "2 min ago" is written again every minute.
        self._recent_records: tuple[CallRecord, ...] = ()
        self._placing = False
        self._cooldown_until = 0.0
        self._place_task: asyncio.Task[Any] | None = None
        # When an offered number is called by itself (the clock's time); None: nothing pending.
        self._auto_call_at: float | None = None
        self._recent_task: asyncio.Task[Any] | None = None
        self._closed = False
        # What "Call again" puts back in the entry: the last number called, with its extension.
        self._last_called: str | None = None

        self.call_vm = CallViewModel(spawn=self._spawn, parent=self)
        # Bound methods, not lambdas: a lambda holding `self` inside its own child's connection is
        # a cycle the garbage collector cannot see, and the timers would outlive their owner.
        self.call_vm.finished.connect(self._call_finished)
        self.call_vm.changed.connect(self._call_changed)
        self.call_vm.call_again_requested.connect(self.call_again)
        self.call_vm.change_phone_requested.connect(self.open_phone_picker)

        # One timer for both countdowns (the Heavy budget's and an offered number's): once a second.
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)
        self._recent_ages = QTimer(self)
        self._recent_ages.setInterval(60_000)
        self._recent_ages.timeout.connect(self._show_recent_records)

        self._reparse()
        self._view = self._make_view()
        self._tick()

    # ------------------------------------------------------------------ state

    @property
    def preferences(self) -> DialerSettings:
        return self._prefs

    @property
    def target(self) -> DialTarget | None:
        return self._target

    @property
    def ready_to_call(self) -> bool:
        """Signed in, connected and a phone chosen: a number in the entry can be called now
        (unless a call is under way or the platform's budget says wait)."""
        return self._signed_in and self._service is not None and self._prefs.chosen

    @property
    def region(self) -> str:
        return (self._prefs.default_country or self._home_region or "US").upper()

    def target_of(self, text: str) -> DialTarget:
        """What `text` dials for this operator (their country, their company's extensions);
        raises `InvalidNumber` with the sentence why not."""
        return parse_dial_input(text, self.region, extension_lengths=self._extension_lengths())

    def set_service(self, service: _ServiceLike | None) -> None:
        self._service = service
        self._tick()

    def set_history(self, history: CallHistory | None) -> None:
        self._history = history
        self.refresh_recent()

    def set_signed_in(self, signed_in: bool) -> None:
        self._signed_in = signed_in
        self._publish()

    def set_home_region(self, region: str | None) -> None:
        """The extension's home country (ISO code): the default for numbers without a country code."""
        self._home_region = (region or "US").upper()
        self._reparse()
        self._publish()

    def set_company_extensions(self, numbers: Iterable[str]) -> None:
        """Extension numbers of the operator's company known without the directory (their own):
        typed digits of the same length are an internal call to that extension."""
        lengths = frozenset(len(number) for number in numbers if number.isdigit())
        if lengths != self._own_extension_lengths:
            self._own_extension_lengths = lengths
            self._reparse()
            self._publish()

    def set_directory(self, directory: CompanyDirectory | None) -> None:
        """The company directory (None until it is loaded, and after sign-out): its extension
        numbers dial internally, and the preview names whose extension or number it is."""
        self._directory = directory
        self._reparse()
        self._publish()

    def _extension_lengths(self) -> frozenset[int]:
        directory = self._directory
        return self._own_extension_lengths | (directory.extension_lengths if directory else frozenset())

    def set_preferences(self, preferences: DialerSettings) -> None:
        """Use new choices (from the phone picker; the app stores them in the settings file)."""
        self._prefs = preferences
        self._reparse()
        self._publish()

    def refresh_recent(self) -> None:
        """Reload the recent numbers from the history (after a call, at start)."""
        history = self._history
        if history is None or self._closed:
            return
        if self._recent_task is not None and not self._recent_task.done():
            self._recent_task.cancel()
        self._recent_task = self._spawn(self._load_recent(history), name="read recent numbers")

    def show_recent(self, entries: Sequence[RecentNumber]) -> None:
        """Show these recent numbers (newest first); `refresh_recent` reads them from the history."""
        self._recent = tuple(entries[:RECENT_LIMIT])
        self._publish()

    def close(self) -> None:
        """Stop timers and the call (shutdown)."""
        self._closed = True
        self._countdown.stop()
        self._recent_ages.stop()
        self.call_vm.close()
        if self._recent_task is not None and not self._recent_task.done():
            self._recent_task.cancel()

    # ------------------------------------------------------------------ intents

    def set_text(self, text: str) -> None:
        """What the entry holds now (typed); parsed for the preview on every change.

        A person changing the number stops a pending `offer` countdown: they took over.
        """
        if text == self._text:
            return
        self._auto_call_at = None
        self._text = text
        self._reparse()
        self._publish()

    def offer(self, text: str, *, call_after: float = 0) -> None:
        """Put a number from elsewhere (a link, the highlighted text) in the entry; with
        `call_after` > 0 it is called by itself after that many seconds, unless the person
        cancels (`cancel_auto_call`, Esc), changes the number or calls it first."""
        self._auto_call_at = None
        if text != self._text:
            self._text = text
            self._reparse()
        if call_after > 0:
            self._auto_call_at = self._clock() + call_after
            # Started afresh so that its ticks fall on the countdown's whole seconds.
            self._countdown.start()
        self._publish()

    def cancel_auto_call(self) -> None:
        if self._auto_call_at is not None:
            self._auto_call_at = None
            self._tick()

    def backspace(self) -> None:
        self.set_text(self._text[:-1])

    def paste(self, text: str, *, replace: bool = False) -> None:
        """Pasted text is cleaned (see `dialable`) first, then added to the entry or replaces it."""
        cleaned = self.dialable(text)
        self.set_text(cleaned if replace else self._text + cleaned)

    @staticmethod
    def dialable(text: str) -> str:
        """What a paste puts into the entry: only the dialable part (`tel:` links, every kind of
        space, newlines, dots, brackets and letters are dealt with), so the entry shows what is dialled."""
        return clean_input(text)

    def clear(self) -> None:
        self.set_text("")

    def call(self) -> bool:
        """Place the call shown in the preview; False when the button is disabled."""
        if not self._view.call_enabled or self._target is None or self._service is None:
            return False
        target, service, prefs = self._target, self._service, self._prefs
        self._auto_call_at = None
        self._placing = True
        _shown, self._last_called = with_extension(target.display, target.e164, target.extension)
        self.call_vm.begin(target.called, your_phone=self._phone_text(), extension=target.extension)
        self._publish()
        self._place_task = self._spawn(self._run_place(service, target, prefs), name="place a call")
        return True

    def escape(self) -> None:
        """Esc: stop a countdown to call an offered number; cancel a ringing call; hang up a
        connected one once the person confirms (`hang_up_confirmation_requested`); after a call,
        back to the pad; else clear the entry."""
        if self._auto_call_at is not None:
            self.cancel_auto_call()
            return
        view = self.call_vm.view
        if view.shown:
            if view.final:
                self.call_vm.new_call()
            elif view.action is CallAction.HANG_UP:
                if view.action_enabled:
                    self.hang_up_confirmation_requested.emit()
            else:
                self.call_vm.stop()
            return
        self.clear()

    def call_again(self) -> bool:
        """After a call: the same number back in the entry, and called when calling is possible
        (otherwise the pad shows it, and the Call button says why not)."""
        number = self._last_called
        if number is None or self.call_vm.busy or self._placing:
            return False
        self.call_vm.new_call()
        return self.redial(number)

    def start_over(self, text: str) -> None:
        """Typing on a finished call's card: back to the pad, with `text` starting the next number."""
        if self.call_vm.busy or self._placing:
            return
        self.call_vm.new_call()
        self.set_text(text)

    def redial(self, number: str | None = None) -> bool:
        """Put `number` (default: the most recent) in the entry and call it when calling is possible."""
        if self.call_vm.busy:
            return False
        if number is None:
            if not self._recent:
                return False
            number = self._recent[0].number
        self.set_text(number)
        return self.call()

    def open_phone_picker(self) -> None:
        self.phone_picker_requested.emit()

    # ------------------------------------------------------------------ internals

    def _call_finished(self, _state: CallState) -> None:
        self.refresh_recent()
        self._tick()

    def _call_changed(self, _view: CallView) -> None:
        self._publish()

    async def _run_place(self, service: _ServiceLike, target: DialTarget, prefs: DialerSettings) -> None:
        try:
            call = await service.place(
                target,
                from_=phone_to_ring(prefs),
                from_label=prefs.phone_label or None,
                caller_id=prefs.caller_id,
                play_prompt=prefs.play_prompt,
            )
        except asyncio.CancelledError:
            raise
        except RateLimited as error:
            report(error, context="placing a call", logger=_log)
            self._start_cooldown(error.retry_after)
            if error.sent:
                self.call_vm.show_failure(error.user_message, "RateLimited")
            else:
                # Nothing went out: back to the pad, whose Call button counts down.
                self.call_vm.reset()
            self.refresh_recent()
        except Exception as error:
            sentence = report(error, context="placing a call", logger=_log)
            # The platform names the request field it blames: `from` is the operator's own phone.
            blamed = getattr(error, "parameter_name", None) or ""
            self.call_vm.show_failure(
                sentence, getattr(error, "error_code", None), your_phone=blamed.startswith("from")
            )
            self.refresh_recent()
        else:
            if self._closed:
                with contextlib.suppress(Exception):
                    await call.aclose()
                return
            self.call_vm.bind(call)
        finally:
            self._placing = False
            self._place_task = None
            self._tick()

    async def _load_recent(self, history: CallHistory) -> None:
        try:
            records = await history.recent_calls(RECENT_LIMIT)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            report(error, context="reading recent numbers", logger=_log)
            return
        self._recent_records = tuple(records)
        self._show_recent_records()

    def _show_recent_records(self) -> None:
        now = self._wall_clock()
        self.show_recent([_recent_entry(record, now) for record in self._recent_records])
        if self._recent_records and not self._closed:
            if not self._recent_ages.isActive():
                self._recent_ages.start()
        else:
            self._recent_ages.stop()

    def _start_cooldown(self, seconds: float) -> None:
        self._cooldown_until = max(self._cooldown_until, self._clock() + seconds)
        self._tick()

    def _cooldown_left(self) -> float:
        own = max(0.0, self._cooldown_until - self._clock())
        service = 0.0
        if self._service is not None:
            try:
                service = self._service.next_call_possible_in()
            except Exception as error:  # a closed client must not break the button
                _log.debug("next_call_possible_in failed: %s", error)
        return max(own, service)

    def _tick(self) -> None:
        if self._closed:
            return
        due = self._auto_call_at is not None and self._clock() >= self._auto_call_at
        # Past the countdown: call now, or as soon as the platform's budget allows, but not long
        # after: a call the person no longer expects is worse than pressing Call.
        if due and (self._cooldown_left() <= 0 or self._target is None):
            self._auto_call_at = None
            self.call()
        elif due and self._clock() - (self._auto_call_at or 0.0) > AUTO_CALL_GRACE:
            self._auto_call_at = None
        if self._cooldown_left() > 0 or self._auto_call_at is not None:
            if not self._countdown.isActive():
                self._countdown.start()
        else:
            self._countdown.stop()
        self._publish()

    def _reparse(self) -> None:
        text = self._text
        if not text.strip():
            self._target = None
            self._preview = "Type or paste a number, or pick one from Recent."
            self._preview_problem = False
            return
        try:
            self._target = self.target_of(text)
        except InvalidNumber as error:
            self._target = None
            self._preview = error.user_message
            self._preview_problem = True
            return
        self._preview = self._target.preview
        owner = self._directory.owner_of(self._target.e164) if self._directory else None
        if owner is not None:
            self._preview += f", {owner.name}"
        self._preview_problem = False

    def _phone_text(self) -> str:
        prefs = self._prefs
        number = format_for_display(prefs.phone_number) if prefs.phone_number else ""
        if prefs.phone_label and number:
            return f"{prefs.phone_label}, {number}"
        return prefs.phone_label or number

    def _make_view(self) -> DialerView:
        cooldown = self._cooldown_left()
        seconds = int(cooldown) + (1 if cooldown % 1 else 0)
        busy = self._placing or self.call_vm.busy
        label, tooltip, enabled = "Call", "Call the number in the preview (Enter)", True
        if not self._signed_in:
            label, tooltip, enabled = (
                "Sign in to call",
                "Sign in from the Account menu to place calls.",
                False,
            )
        elif self._service is None:
            label, tooltip, enabled = "Getting ready" + ELLIPSIS, "Loading your phones and numbers.", False
        elif not self._prefs.chosen:
            label, tooltip, enabled = "Choose a phone", "Choose the phone to ring first (Ctrl+P).", False
        elif seconds > 0:
            label = f"Next call in {seconds} s"
            tooltip = "RingCentral allows only a few calls a minute; the button counts down."
            enabled = False
        elif busy:
            label, tooltip, enabled = "Call", "A call is under way.", False
        elif self._target is None:
            enabled = False
            tooltip = self._preview
        auto_call_in = 0
        if self._auto_call_at is not None:
            auto_call_in = max(1, math.ceil(self._auto_call_at - self._clock()))
            if enabled:
                label = f"Calling in {auto_call_in} s" + ELLIPSIS
                tooltip = "Press to call now; Esc or Cancel stops the countdown."
        if self._prefs.chosen:
            play = "; you press 1 to connect" if self._prefs.play_prompt else ""
            phone_line = f"Rings your {self._phone_text()} first{play}"
        else:
            phone_line = "Choose the phone RingDesk rings first."
        return DialerView(
            text=self._text,
            preview=self._preview,
            preview_valid=self._target is not None,
            preview_problem=self._preview_problem,
            call_label=label,
            call_enabled=enabled,
            call_tooltip=tooltip,
            phone_line=phone_line,
            phone_chosen=self._prefs.chosen,
            recent=self._recent,
            redial_enabled=bool(self._recent) and not busy,
            signed_in=self._signed_in,
            cooldown=seconds,
            auto_call_in=auto_call_in,
        )


def _recent_entry(record: CallRecord, now: float) -> RecentNumber:
    """A history record as a recent number, in the history's words: redial gets the extension
    back (`x12`); the line under the number says how the call went and how long ago."""
    display, number = with_extension(
        record.destination_display or format_for_display(record.destination),
        record.destination,
        record.extension,
    )
    outcome, sentence = call_outcome(record)
    # The list is narrow: "Failed" there, the whole sentence in the tooltip.
    short, _colon, reason = outcome.partition(": ")
    about = [when_full(record.started_at), sentence or reason]
    return RecentNumber(
        number,
        display,
        f"{short} \N{MIDDLE DOT} {time_ago(record.started_at, now)}",
        "\n".join(line for line in about if line),
    )
