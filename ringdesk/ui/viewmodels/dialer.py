"""The dialer as the widgets see it: number entry, the phone picker, and one live call.

Three view models, each a QObject that publishes one immutable view per change and offers sync
intent methods; the widgets in `ringdesk.ui.dialer` and `ringdesk.ui.phone_picker` render them.

    dialer = DialerViewModel(preferences=settings.dialer) # works signed out: history and redial
    dialer.set_history(history)
    dialer.set_service(service)                           # after sign-in; None after sign-out
    dialer.set_signed_in(True)
    dialer.set_text("(650) 555-1234")                     # -> changed(DialerView) with the preview
    dialer.call()                                         # -> dialer.call_vm follows the call

    picker = PhonePickerViewModel(load_account, dialer.preferences)
    picker.refresh()                                      # -> changed(PickerView) with the lists
    picker.save(choice)                                   # -> saved(DialerSettings)

`DialerSettings` (in `ringdesk.config`) holds the operator's phone, caller ID, "press 1" and
default country; the app stores it in the settings file when the picker saves a choice.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import phonenumbers
from PySide6.QtCore import QObject, QTimer, Signal

from ringdesk.calls.state import CallState, Phase, placing_state
from ringdesk.config import DialerSettings
from ringdesk.errors import RateLimited, report
from ringdesk.numbers import DialTarget, InvalidNumber, clean_input, format_for_display, parse_dial_input
from ringdesk.platforms.ringcentral.models import Extension, ForwardingNumber, PhoneNumber
from ringdesk.qtasync import spawn as qt_spawn
from ringdesk.regions import region_name
from ringdesk.storage.history import CallHistory, CallRecord

__all__ = [
    "OTHER_NUMBER",
    "AccountPhones",
    "CallAction",
    "CallView",
    "CallViewModel",
    "CallerIdOption",
    "DialerView",
    "DialerViewModel",
    "PhoneOption",
    "PhonePickerViewModel",
    "PickerChoice",
    "PickerView",
    "RecentNumber",
    "Tone",
    "country_choices",
    "format_duration",
    "ringout_from",
]

_log = logging.getLogger("ringdesk.ui.dialer")
_ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"

Spawn = Callable[..., "asyncio.Task[Any]"]

#: The picker's key for "Another number...".
OTHER_NUMBER = "other"
#: How long bursts of call states are gathered before the status view repaints once.
COALESCE_MS = 30
RECENT_LIMIT = 8


def ringout_from(choice: DialerSettings) -> ForwardingNumber | str:
    """What `RingOutService.place(from_=...)` wants: the record when it has an id, else the number."""
    if choice.forwarding_number_id:
        return ForwardingNumber(
            id=choice.forwarding_number_id, phone_number=choice.phone_number, label=choice.phone_label or None
        )
    return choice.phone_number or ""


# --------------------------------------------------------------------------- phone picker


@dataclass(frozen=True)
class AccountPhones:
    """What the picker lists, as loaded from the platform after sign-in."""

    extension: Extension | None
    forwarding_numbers: tuple[ForwardingNumber, ...]
    phone_numbers: tuple[PhoneNumber, ...]


@dataclass(frozen=True)
class PhoneOption:
    key: str
    #: "Mobile", or the type or "Phone" when the record has no label.
    label: str
    #: "+1 650-555-0122"
    number: str
    #: "Mobile phone", "" when the record has no type.
    kind: str
    forwarding_number_id: str | None
    phone_number: str

    @property
    def text(self) -> str:
        """One line for a list: "Mobile  ·  +1 650-555-0122  ·  Mobile phone"."""
        parts = [self.label, self.number]
        label, kind = self.label.casefold(), self.kind.casefold()
        # "Mobile" with type "Mobile phone" says the same twice; the type shows when it adds something.
        if kind and kind not in label and label not in kind:
            parts.append(self.kind)
        return "  \N{MIDDLE DOT}  ".join(parts)


@dataclass(frozen=True)
class CallerIdOption:
    #: None means the account's default.
    number: str | None
    text: str


@dataclass(frozen=True)
class PickerView:
    phones: tuple[PhoneOption, ...]
    caller_ids: tuple[CallerIdOption, ...]
    countries: tuple[tuple[str, str], ...]
    #: What is stored now (the dialog starts from it).
    preferences: DialerSettings
    #: The key of the stored phone among `phones`, OTHER_NUMBER, or None when nothing is chosen.
    selected_key: str | None
    #: The text for "Another number..." when that is the stored choice.
    other_number: str
    #: The country used when none is stored: the extension's home country.
    home_country: str
    loading: bool
    problem: str | None


@dataclass(frozen=True)
class PickerChoice:
    """What the dialog's controls say when the person presses Save."""

    phone_key: str | None
    other_number: str
    caller_id: str | None
    play_prompt: bool
    country: str


_TYPE_WORDS = {
    "phoneline": "Desk phone",
    "home": "Home phone",
    "mobile": "Mobile phone",
    "work": "Work phone",
    "other": "Other phone",
    "pager": "Pager",
    "softphone": "Softphone",
}


class PhonePickerViewModel(QObject):
    """Signals: `changed(PickerView)`; `saved(DialerSettings)` after `save` accepted a choice."""

    changed = Signal(object)
    saved = Signal(object)

    def __init__(
        self,
        load: Callable[[], Awaitable[AccountPhones]] | None,
        preferences: DialerSettings,
        *,
        phones: AccountPhones | None = None,
        spawn: Spawn | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._load = load
        self._spawn = spawn or qt_spawn
        self._preferences = preferences
        self._phones = phones or AccountPhones(None, (), ())
        self._loading = False
        self._problem: str | None = None
        self._task: asyncio.Task[Any] | None = None
        self._view = self._make_view()

    @property
    def view(self) -> PickerView:
        return self._view

    def set_phones(self, phones: AccountPhones) -> None:
        self._phones = phones
        self._problem = None
        self._publish()

    def refresh(self) -> None:
        """Reload the lists from the platform (the dialog's refresh button)."""
        if self._load is None or self._loading:
            return
        self._loading = True
        self._problem = None
        self._publish()
        self._task = self._spawn(self._run_load(self._load), name="load phone lists")

    def check_other_number(self, text: str) -> tuple[str | None, str | None]:
        """(preview, None) for a usable "Another number...", else (None, the sentence why not)."""
        try:
            target = parse_dial_input(text, self._region())
        except InvalidNumber as error:
            return None, error.user_message
        if target.extension:
            return None, "RingOut cannot key an extension on your own phone; enter its direct number."
        return target.preview, None

    def save(self, choice: PickerChoice) -> str | None:
        """Store `choice` and emit `saved`; returns the sentence why not instead when it is incomplete."""
        option = next((p for p in self._view.phones if p.key == choice.phone_key), None)
        forwarding_id: str | None
        label: str | None
        if choice.phone_key == OTHER_NUMBER:
            country = choice.country or self._region()
            try:
                target = parse_dial_input(choice.other_number, country)
            except InvalidNumber as error:
                return error.user_message
            if target.extension:
                return "RingOut cannot key an extension on your own phone; enter its direct number."
            forwarding_id, number, label = None, target.e164, "Another number"
        elif option is not None:
            forwarding_id, number, label = option.forwarding_number_id, option.phone_number, option.label
        else:
            return "Choose the phone RingDesk should ring first."
        default_country = (
            choice.country if choice.country and choice.country != self._home_country() else None
        )
        self._preferences = DialerSettings(
            forwarding_number_id=forwarding_id,
            phone_number=number or None,
            phone_label=label,
            caller_id=choice.caller_id,
            play_prompt=choice.play_prompt,
            default_country=default_country,
        )
        self._publish()
        self.saved.emit(self._preferences)
        return None

    def close(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()

    # ------------------------------------------------------------------ internals

    async def _run_load(self, load: Callable[[], Awaitable[AccountPhones]]) -> None:
        try:
            phones = await load()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._problem = report(error, context="loading the phone lists", logger=_log)
        else:
            self._phones = phones
        finally:
            self._loading = False
            self._task = None
        self._publish()

    def _home_country(self) -> str:
        ext = self._phones.extension
        code = ext.home_country.iso_code if ext and ext.home_country else None
        return (code or "US").upper()

    def _region(self) -> str:
        return self._preferences.default_country or self._home_country()

    def _publish(self) -> None:
        view = self._make_view()
        if view != self._view:
            self._view = view
            self.changed.emit(view)

    def _make_view(self) -> PickerView:
        phones = tuple(_phone_option(i, record) for i, record in enumerate(self._phones.forwarding_numbers))
        phones = tuple(p for p in phones if p is not None)
        prefs = self._preferences
        selected: str | None = None
        other = ""
        if prefs.chosen:
            for option in phones:
                assert option is not None
                if prefs.forwarding_number_id and option.forwarding_number_id == prefs.forwarding_number_id:
                    selected = option.key
                    break
                if not prefs.forwarding_number_id and option.phone_number == prefs.phone_number:
                    selected = option.key
                    break
            else:
                if not prefs.forwarding_number_id and prefs.phone_number:
                    selected = OTHER_NUMBER
                    other = format_for_display(prefs.phone_number)
                elif phones:
                    selected = None
        caller_ids = [CallerIdOption(None, "Account default")]
        for number in self._phones.phone_numbers:
            if number.can_be_caller_id and number.phone_number:
                caller_ids.append(CallerIdOption(number.phone_number, _caller_id_text(number)))
        if prefs.caller_id and all(c.number != prefs.caller_id for c in caller_ids):
            # Keep a stored choice visible even when the account no longer lists it.
            caller_ids.append(CallerIdOption(prefs.caller_id, format_for_display(prefs.caller_id)))
        return PickerView(
            phones=tuple(p for p in phones if p is not None),
            caller_ids=tuple(caller_ids),
            countries=country_choices(),
            preferences=prefs,
            selected_key=selected,
            other_number=other,
            home_country=self._home_country(),
            loading=self._loading,
            problem=self._problem,
        )


def _phone_option(index: int, record: ForwardingNumber) -> PhoneOption | None:
    if not record.phone_number:
        return None  # nothing to ring
    kind = _TYPE_WORDS.get((record.type or "").casefold(), record.type or "")
    label = (record.label or "").strip() or kind or "Phone"
    key = f"id:{record.id}" if record.id else f"number:{index}:{record.phone_number}"
    return PhoneOption(
        key=key,
        label=label,
        number=format_for_display(record.phone_number),
        kind=kind,
        forwarding_number_id=record.id,
        phone_number=record.phone_number,
    )


def _caller_id_text(number: PhoneNumber) -> str:
    shown = format_for_display(number.phone_number or "")
    words = {
        "MainCompanyNumber": "main company number",
        "DirectNumber": "direct number",
        "CompanyNumber": "company number",
    }
    what = number.label or words.get(number.usage_type or "", "")
    return f"{shown} ({what})" if what else shown


@functools.cache
def country_choices() -> tuple[tuple[str, str], ...]:
    """(ISO code, English name) for every region libphonenumber knows, sorted by name."""
    choices: list[tuple[str, str]] = []
    for code in phonenumbers.SUPPORTED_REGIONS:
        choices.append((code, region_name(code)))
    return tuple(sorted(choices, key=lambda c: c[1].casefold()))


# --------------------------------------------------------------------------- one live call


class CallAction(enum.Enum):
    NONE = "none"
    CANCEL = "cancel"
    HANG_UP = "hang_up"
    NEW_CALL = "new_call"


class Tone(enum.Enum):
    PROGRESS = "progress"
    CONNECTED = "connected"
    ENDED = "ended"
    FAILED = "failed"


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


class CallViewModel(QObject):
    """One call as the status view sees it. Signals: `changed(CallView)`; `dismissed()` when the
    person chose "New call" (the dialer shows the pad again); `finished(CallState)` once per call.

    States from the call arrive in bursts (a poll can move two phases); they are gathered for
    `COALESCE_MS` and painted once. While connected a 1 s timer updates the elapsed time.
    """

    changed = Signal(object)
    dismissed = Signal()
    finished = Signal(object)
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
    def view(self) -> CallView:
        return self._view

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

    def show_failure(self, sentence: str, error_code: str | None = None) -> None:
        """Placing failed before there was a call: the sentence, and "New call"."""
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
        """The one button: Cancel, Hang up or New call, whichever is showing."""
        action = self._view.action
        if action is CallAction.NEW_CALL:
            self.new_call()
        elif action in (CallAction.CANCEL, CallAction.HANG_UP) and self._view.action_enabled:
            self.stop()

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
        self._flush_timer.stop()
        view = self._make_view()
        if view != self._view:
            self._view = view
            self.changed.emit(view)

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
        elif phase in (Phase.CANCELLED, Phase.FAILED) and state.outcome and state.outcome != state.headline:
            details.append(state.outcome)
        if phase is Phase.CONNECTED and not state.can_hang_up and state.hang_up_unavailable_reason:
            # Said in words, not only in the disabled button's tooltip, which many never hover.
            details.append(state.hang_up_unavailable_reason)
        if self._extension and not phase.final:
            details.append(f"After the call connects, key {self._extension} on your phone.")
        if state.notice:
            details.append(state.notice + _ELLIPSIS if not state.notice.endswith(_ELLIPSIS) else state.notice)
        if self._action_problem:
            details.append(self._action_problem)

        if phase.final:
            action, label, enabled = CallAction.NEW_CALL, "&New call", True
            tooltip = "Back to the dial pad (Esc)"
        elif phase is Phase.CONNECTED:
            action, label = CallAction.HANG_UP, "&Hang up"
            enabled = state.can_hang_up and not self._acting
            tooltip = state.hang_up_unavailable_reason or "End the call (Esc)"
        elif phase is Phase.PLACING:
            action, label, enabled = CallAction.CANCEL, "&Cancel", False
            tooltip = "The call can be cancelled once your phone rings."
        else:
            action, label = CallAction.CANCEL, "&Cancel"
            enabled = state.can_cancel and not self._acting
            tooltip = "Stop ringing and cancel the call (Esc)"
        if self._acting:
            label = "Cancelling" + _ELLIPSIS if action is CallAction.CANCEL else "Hanging up" + _ELLIPSIS

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
        )


def format_duration(seconds: float) -> str:
    """A call's length as the windows show it: "02:13", or "1:02:13" past an hour."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


# --------------------------------------------------------------------------- the dialer


@dataclass(frozen=True)
class RecentNumber:
    #: What the entry gets on redial (E.164).
    number: str
    #: "+1 650-555-1234"
    display: str
    #: "Ended · 14:02" or "" when the history does not say.
    detail: str = ""

    @property
    def text(self) -> str:
        return f"{self.display}\n{self.detail}" if self.detail else self.display


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


class _ServiceLike(Protocol):
    def next_call_possible_in(self) -> float: ...

    async def place(
        self,
        target: DialTarget,
        *,
        from_: ForwardingNumber | str,
        from_label: str | None,
        caller_id: str | None,
        play_prompt: bool,
    ) -> Any: ...


class DialerViewModel(QObject):
    """Signals: `changed(DialerView)`; `phone_picker_requested()` (the gear).

    The current call lives in `call_vm`; while it is shown the dial pad is hidden by the widget.
    """

    changed = Signal(object)
    phone_picker_requested = Signal()

    KEYS = "123456789*0#"

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
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._spawn = spawn or qt_spawn
        self._clock = clock
        self._prefs = preferences or DialerSettings()
        self._history = history
        self._service = service
        self._signed_in = signed_in
        self._home_region = default_region
        self._text = ""
        self._target: DialTarget | None = None
        self._preview = ""
        self._preview_problem = False
        self._recent: tuple[RecentNumber, ...] = ()
        self._placing = False
        self._cooldown_until = 0.0
        self._place_task: asyncio.Task[Any] | None = None
        self._recent_task: asyncio.Task[Any] | None = None
        self._closed = False

        self.call_vm = CallViewModel(spawn=self._spawn, parent=self)
        # Bound methods, not lambdas: a lambda holding `self` inside its own child's connection is
        # a cycle the garbage collector cannot see, and the timers would outlive their owner.
        self.call_vm.finished.connect(self._call_finished)
        self.call_vm.changed.connect(self._call_changed)

        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._check_cooldown)

        self._reparse()
        self._view = self._make_view()
        self._check_cooldown()

    # ------------------------------------------------------------------ state

    @property
    def view(self) -> DialerView:
        return self._view

    @property
    def preferences(self) -> DialerSettings:
        return self._prefs

    @property
    def target(self) -> DialTarget | None:
        return self._target

    @property
    def region(self) -> str:
        return (self._prefs.default_country or self._home_region or "US").upper()

    def set_service(self, service: _ServiceLike | None) -> None:
        self._service = service
        self._check_cooldown()

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
        self.call_vm.close()
        for task in (self._recent_task,):
            if task is not None and not task.done():
                task.cancel()

    # ------------------------------------------------------------------ intents

    def set_text(self, text: str) -> None:
        """What the entry holds now (typed); parsed for the preview on every change."""
        if text == self._text:
            return
        self._text = text
        self._reparse()
        self._publish()

    def press_key(self, key: str) -> None:
        """A dial pad key: 0-9, * or #."""
        if key in self.KEYS and len(key) == 1:
            self.set_text(self._text + key)

    def backspace(self) -> None:
        self.set_text(self._text[:-1])

    def paste(self, text: str, *, replace: bool = False) -> None:
        """Pasted text is cleaned (spaces of every kind, newlines, dots, letters, `tel:`) first."""
        cleaned = _clean_paste(text)
        self.set_text(cleaned if replace else self._text + cleaned)

    def clear(self) -> None:
        self.set_text("")

    def call(self) -> bool:
        """Place the call shown in the preview; False when the button is disabled."""
        if not self._view.call_enabled or self._target is None or self._service is None:
            return False
        target, service, prefs = self._target, self._service, self._prefs
        self._placing = True
        self.call_vm.begin(target.preview, your_phone=self._phone_text(), extension=target.extension)
        self._publish()
        self._place_task = self._spawn(self._run_place(service, target, prefs), name="place a call")
        return True

    def escape(self) -> None:
        """Esc: cancel or hang up a live call; after a call, back to the pad; else clear the entry."""
        view = self.call_vm.view
        if view.shown:
            if view.final:
                self.call_vm.new_call()
            else:
                self.call_vm.stop()
            return
        self.clear()

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
        self._check_cooldown()

    def _call_changed(self, _view: CallView) -> None:
        self._publish()

    async def _run_place(self, service: _ServiceLike, target: DialTarget, prefs: DialerSettings) -> None:
        try:
            call = await service.place(
                target,
                from_=ringout_from(prefs),
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
            self.call_vm.show_failure(sentence, getattr(error, "error_code", None))
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
            self._check_cooldown()

    async def _load_recent(self, history: CallHistory) -> None:
        try:
            # Several rows per number: the same numbers are called again and again.
            records = await history.search("", RECENT_LIMIT * 6)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            report(error, context="reading recent numbers", logger=_log)
            return
        entries: dict[str, RecentNumber] = {}
        for record in records:
            entry = _recent_entry(record)
            entries.setdefault(entry.number, entry)
        self.show_recent(list(entries.values()))

    def _start_cooldown(self, seconds: float) -> None:
        self._cooldown_until = max(self._cooldown_until, self._clock() + seconds)
        self._check_cooldown()

    def _cooldown_left(self) -> float:
        own = max(0.0, self._cooldown_until - self._clock())
        service = 0.0
        if self._service is not None:
            try:
                service = self._service.next_call_possible_in()
            except Exception as error:  # a closed client must not break the button
                _log.debug("next_call_possible_in failed: %s", error)
        return max(own, service)

    def _check_cooldown(self) -> None:
        if self._closed:
            return
        if self._cooldown_left() > 0:
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
            self._target = parse_dial_input(text, self.region)
        except InvalidNumber as error:
            self._target = None
            self._preview = error.user_message
            self._preview_problem = True
            return
        self._preview = self._target.preview
        self._preview_problem = False

    def _phone_text(self) -> str:
        prefs = self._prefs
        number = format_for_display(prefs.phone_number) if prefs.phone_number else ""
        if prefs.phone_label and number:
            return f"{prefs.phone_label}, {number}"
        return prefs.phone_label or number

    def _publish(self) -> None:
        view = self._make_view()
        if view != self._view:
            self._view = view
            self.changed.emit(view)

    def _make_view(self) -> DialerView:
        cooldown = self._cooldown_left()
        seconds = int(cooldown) + (1 if cooldown % 1 else 0)
        busy = self._placing or self.call_vm.busy
        label, tooltip, enabled = "&Call", "Call the number in the preview (Enter)", True
        if not self._signed_in:
            label, tooltip, enabled = (
                "Sign in to call",
                "Sign in from the Account menu to place calls.",
                False,
            )
        elif self._service is None:
            label, tooltip, enabled = "Getting ready" + _ELLIPSIS, "Loading your phones and numbers.", False
        elif not self._prefs.chosen:
            label, tooltip, enabled = "Choose your phone first", "Open the phone picker (Ctrl+P).", False
        elif seconds > 0:
            label = f"Next call possible in {seconds} s"
            tooltip = "RingCentral allows only a few calls a minute; the button counts down."
            enabled = False
        elif busy:
            label, tooltip, enabled = "&Call", "A call is under way.", False
        elif self._target is None:
            enabled = False
            tooltip = self._preview
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
        )


def _clean_paste(text: str) -> str:
    """What a paste puts into the entry: only the dialable part (`tel:` links, NBSP, newlines,
    dots, brackets and letters are all handled by `clean_input`), so the entry shows what is dialled."""
    return clean_input(text)


def _recent_entry(record: CallRecord) -> RecentNumber:
    """A history record as a recent number: redial gets the extension back (`x12`)."""
    number, display = record.destination, record.destination_display or format_for_display(record.destination)
    if record.extension:
        number = f"{number}x{record.extension}"
        display = f"{display} ext. {record.extension}"
    state = _STATE_WORDS.get(record.state, record.state.capitalize())
    when = time.strftime("%H:%M", time.localtime(record.started_at))
    return RecentNumber(number, display, f"{state} \N{MIDDLE DOT} {when}")


_STATE_WORDS = {
    "placing": "Placing",
    "ringing": "Ringing",
    "connected": "Connected",
    "ended": "Ended",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "interrupted": "Interrupted",
}
