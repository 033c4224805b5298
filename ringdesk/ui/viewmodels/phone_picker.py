"""The phone picker (the "gear") as its dialog sees it: which phone rings first, caller ID, press 1, country.

    picker = PhonePickerViewModel(load_account, dialer.preferences)
    picker.refresh()                                      # -> changed(PickerView) with the lists
    picker.save(choice)                                   # -> saved(DialerSettings)

`DialerSettings` (in `ringdesk.config`) holds the operator's phone, caller ID, "press 1" and
default country; the app stores it in the settings file when the picker saves a choice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import phonenumbers
from PySide6.QtCore import QObject, Signal

from ringdesk.config import DialerSettings
from ringdesk.errors import report
from ringdesk.numbers import DialTarget, InvalidNumber, format_for_display, parse_dial_input
from ringdesk.platforms.base import AccountPhones, CallerId, DefaultCallerId, Phone
from ringdesk.qtasync import spawn as qt_spawn
from ringdesk.regions import region_name
from ringdesk.ui.viewmodels.base import ViewModel

__all__ = [
    "OTHER_NUMBER",
    "CallerIdOption",
    "PhoneOption",
    "PhonePickerViewModel",
    "PickerChoice",
    "PickerView",
    "country_choices",
]

_log = logging.getLogger("ringdesk.ui.dialer")

Spawn = Callable[..., "asyncio.Task[Any]"]

#: The picker's key for "Another number...".
OTHER_NUMBER = "other"


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
    #: The `DialerSettings` fields the administrator locked ("play_prompt", "default_country").
    locked: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PickerChoice:
    """What the dialog's controls say when the person presses Save."""

    phone_key: str | None
    other_number: str
    caller_id: str | None
    play_prompt: bool
    country: str


class PhonePickerViewModel(ViewModel[PickerView]):
    """Signals: `changed(PickerView)`; `saved(DialerSettings)` after `save` accepted a choice."""

    saved = Signal(object)

    def __init__(
        self,
        load: Callable[[], Awaitable[AccountPhones]] | None,
        preferences: DialerSettings,
        *,
        phones: AccountPhones | None = None,
        locked: frozenset[str] = frozenset(),
        spawn: Spawn | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._load = load
        self._locked = locked
        self._spawn = spawn or qt_spawn
        self._preferences = preferences
        self._phones = phones or AccountPhones(None, (), ())
        self._loading = False
        self._problem: str | None = None
        self._task: asyncio.Task[Any] | None = None
        self._view = self._make_view()

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
            target = _own_phone(text, self._region())
        except InvalidNumber as error:
            return None, error.user_message
        return target.preview, None

    def save(self, choice: PickerChoice) -> str | None:
        """Store `choice` and emit `saved`; returns the sentence why not instead when it is incomplete."""
        option = next((p for p in self._view.phones if p.key == choice.phone_key), None)
        forwarding_id: str | None
        label: str | None
        if choice.phone_key == OTHER_NUMBER:
            country = choice.country or self._region()
            try:
                target = _own_phone(choice.other_number, country)
            except InvalidNumber as error:
                return error.user_message
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
        return (_home_country_code(self._phones) or "US").upper()

    def _region(self) -> str:
        return self._preferences.default_country or self._home_country()

    def _make_view(self) -> PickerView:
        phones = _phone_options(self._phones)
        prefs = self._preferences
        selected: str | None = None
        other = ""
        if prefs.chosen:
            for option in phones:
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
        caller_ids = [
            CallerIdOption(None, _account_default_text(self._phones.default_caller_id)),
            *_caller_id_options(self._phones),
        ]
        if prefs.caller_id and all(c.number != prefs.caller_id for c in caller_ids):
            # Keep a stored choice visible even when the account no longer lists it.
            caller_ids.append(CallerIdOption(prefs.caller_id, format_for_display(prefs.caller_id)))
        return PickerView(
            phones=phones,
            caller_ids=tuple(caller_ids),
            countries=country_choices(),
            preferences=prefs,
            selected_key=selected,
            other_number=other,
            home_country=self._home_country(),
            loading=self._loading,
            problem=self._problem,
            locked=self._locked,
        )


@functools.cache
def country_choices() -> tuple[tuple[str, str], ...]:
    """(ISO code, English name) for every region libphonenumber knows, sorted by name."""
    choices: list[tuple[str, str]] = []
    for code in phonenumbers.SUPPORTED_REGIONS:
        choices.append((code, region_name(code)))
    return tuple(sorted(choices, key=lambda c: c[1].casefold()))


def _own_phone(text: str, region: str) -> DialTarget:
    """`text` as the operator's own phone to ring first; raises `InvalidNumber` with the sentence why not."""
    target = parse_dial_input(text, region)
    if target.extension:
        raise InvalidNumber("RingOut cannot key an extension on your own phone; enter its direct number.")
    return target


# --------------------------------------------------------------------------- the account's records
# The only functions here that read the platform's record shapes; the rest works on the options.


# The platform's neutral kinds (`ringdesk.platforms.base.Phone.kind`) in words; any other kind
# is the platform's own word and shows as it is.
_KIND_WORDS = {
    "desk": "Desk phone",
    "home": "Home phone",
    "mobile": "Mobile phone",
    "work": "Work phone",
    "other": "Other phone",
    "pager": "Pager",
    "softphone": "Softphone",
}


def _home_country_code(phones: AccountPhones) -> str | None:
    return phones.home_country


def _phone_options(phones: AccountPhones) -> tuple[PhoneOption, ...]:
    """The phones that can be rung first, in the account's order."""
    options = (_phone_option(i, phone) for i, phone in enumerate(phones.phones))
    return tuple(option for option in options if option is not None)


def _phone_option(index: int, phone: Phone) -> PhoneOption | None:
    if not phone.number:
        return None  # nothing to ring
    kind = _KIND_WORDS.get(phone.kind or "", phone.kind or "")
    label = (phone.label or "").strip() or kind or "Phone"
    key = f"id:{phone.id}" if phone.id else f"number:{index}:{phone.number}"
    return PhoneOption(
        key=key,
        label=label,
        number=format_for_display(phone.number),
        kind=kind,
        forwarding_number_id=phone.id,
        phone_number=phone.number,
    )


def _account_default_text(default: DefaultCallerId | None) -> str:
    """ "Account default: +1 650-555-0101", so the person knows what the called party sees."""
    if default is None:
        return "Account default"
    if default.hidden:
        return "Account default: hidden"
    if default.number:
        return f"Account default: {format_for_display(default.number)}"
    return "Account default: the number of the phone rung first"


def _caller_id_options(phones: AccountPhones) -> list[CallerIdOption]:
    """The numbers the operator may show to the person called."""
    return [CallerIdOption(caller_id.number, _caller_id_text(caller_id)) for caller_id in phones.caller_ids]


def _caller_id_text(caller_id: CallerId) -> str:
    shown = format_for_display(caller_id.number)
    what = caller_id.label or caller_id.usage
    return f"{shown} ({what})" if what else shown
