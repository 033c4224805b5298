"""RingCentral behind the platform seam: `RingCentralPlatform` is its `CallingPlatform` and `OAuthPlatform`.

Everything RingCentral-shaped stays here: RingOut records and status words, forwarding numbers,
the Heavy/Light/Auth rate groups, error codes, and how a connected RingOut is found again to hang
it up (by its telephony session in the operator's detailed presence).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from ringdesk.errors import ApiError, AuthenticationError, InvalidRequest, RingDeskError
from ringdesk.numbers import digits_of, same_number
from ringdesk.platforms.base import (
    AccountPhones,
    Action,
    AuthHook,
    Budget,
    CallAlreadyConnected,
    CallerId,
    CallFeed,
    CallHandle,
    CallNotFound,
    CallProgress,
    DefaultCallerId,
    Failure,
    Identity,
    Leg,
    LegStatus,
    Person,
    PersonNumber,
    Phone,
    PlatformKind,
)
from ringdesk.platforms.oauth import TokenSet
from ringdesk.platforms.ringcentral.client import PlatformClient
from ringdesk.platforms.ringcentral.codes import error_code_sentence, ringout_create_error_sentence
from ringdesk.platforms.ringcentral.live_calls import RingOutFeed
from ringdesk.platforms.ringcentral.models import (
    ActiveCall,
    CallLogRecord,
    DirectoryEntry,
    Extension,
    ForwardingNumber,
    PhoneNumber,
    epoch_of,
)
from ringdesk.platforms.ringcentral.progress import progress_from_ringout

__all__ = ["CALL_CONTROL_PERMISSION", "RingCentralPlatform", "person_of"]

_log = logging.getLogger("ringdesk.platforms.ringcentral")

CALL_CONTROL_PERMISSION = "CallControl"
"""The app permission (token scope) that hanging up through Call Control needs."""

# How far apart RingDesk's "placed at" and the platform's session start time may be for a
# presence entry to count as this call; clocks differ and the platform starts the session late.
_SESSION_MATCH_WINDOW = 120.0

# Call-log `result` words for a call that did not connect, as the neutral failure of the whole call.
# The log does not say which leg failed. Any other word but "Call connected" is UNRECOGNISED.
_CALL_LOG_FAILURES: Mapping[str, Failure] = {
    "busy": Failure.BUSY,
    "no answer": Failure.NO_ANSWER,
    "missed": Failure.NO_ANSWER,
    "rejected": Failure.DECLINED,
    "declined": Failure.DECLINED,
    "stopped": Failure.DECLINED,
    "international disabled": Failure.INTERNATIONAL_DISABLED,
    "international restricted": Failure.INTERNATIONAL_DISABLED,
    "blocked": Failure.BLOCKED,
    "restricted number": Failure.BLOCKED,
    "not allowed": Failure.BLOCKED,
    "no calling credit": Failure.NOT_ENOUGH_FUNDS,
    "wrong number": Failure.NO_SUCH_NUMBER,
    "internal error": Failure.SERVICE_ERROR,
    "call failed": Failure.UNSPECIFIED,
    "call failure": Failure.UNSPECIFIED,
    "unknown": Failure.UNSPECIFIED,
}
_CALL_LOG_CONNECTED = frozenset({"call connected", "accepted"})

_OPERATIONS = {Action.PLACE: "ringout_create", Action.STATUS: "ringout_status", Action.SIGN_IN: "token"}

_PHONE_KINDS = {
    "phoneline": "desk",
    "home": "home",
    "mobile": "mobile",
    "work": "work",
    "other": "other",
    "pager": "pager",
    "softphone": "softphone",
}
_NUMBER_USAGES = {
    "MainCompanyNumber": "main company number",
    "DirectNumber": "direct number",
    "CompanyNumber": "company number",
}


class RingCentralPlatform:
    """RingCentral through one `PlatformClient` (which it owns and closes)."""

    kind = PlatformKind.RINGCENTRAL
    hang_up_permission: str | None = CALL_CONTROL_PERMISSION

    def __init__(self, client: PlatformClient) -> None:
        self.client = client
        self.feed = RingOutFeed(client)
        """Telephony-session events over the push gateway; the connection starts it after sign-in."""

    # ------------------------------------------------------------------ sign-in (OAuthPlatform)

    @property
    def auth(self) -> AuthHook | None:
        return self.client.auth

    @auth.setter
    def auth(self, hook: AuthHook | None) -> None:
        self.client.auth = hook

    def authorize_url(self, redirect_uri: str, state: str, code_challenge: str, **extra: str | None) -> str:
        return self.client.authorize_url(redirect_uri, state, code_challenge, **extra)

    async def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        return await self.client.exchange_code(code, redirect_uri, code_verifier)

    async def refresh_tokens(self, refresh_token: str) -> TokenSet:
        return await self.client.refresh_tokens(refresh_token)

    async def login_jwt(self, assertion: str) -> TokenSet:
        return await self.client.login_jwt(assertion)

    async def login_password(self, username: str, extension: str | None, password: str) -> TokenSet:
        return await self.client.login_password(username, extension, password)

    async def revoke(self, token: str) -> None:
        await self.client.revoke(token)

    # ------------------------------------------------------------------ the operator

    async def identity(self) -> Identity:
        return _identity_of(await self.client.get_extension())

    async def company_directory(self) -> list[Person]:
        return [person for entry in await self.client.list_directory() if (person := person_of(entry))]

    async def account_phones(self) -> AccountPhones:
        extension, forwarding, numbers, default_caller_id = await asyncio.gather(
            self.client.get_extension(),
            self.client.list_forwarding_numbers(),
            self.client.list_phone_numbers(),
            self._ringout_caller_id(),
        )
        return AccountPhones(
            home_country=extension.home_country.iso_code if extension.home_country else None,
            phones=tuple(_phone(record) for record in forwarding),
            caller_ids=tuple(
                _caller_id(number) for number in numbers if number.can_be_caller_id and number.phone_number
            ),
            default_caller_id=default_caller_id,
        )

    async def _ringout_caller_id(self) -> DefaultCallerId | None:
        """What RingOut shows when RingDesk names no caller ID; None when the platform will not say.

        Reading it needs the user permission ReadCallerIDSettings, which some accounts withhold:
        then the picker says "Account default" without the number, and nothing else suffers.
        """
        try:
            settings = await self.client.get_caller_ids()
        except AuthenticationError:
            raise
        except ApiError as error:
            # A refusal, a server fault or an answer of the wrong shape: the picker can do
            # without it. Network trouble and a lost sign-in still fail the whole load.
            _log.info("the account's caller ID for RingOut is not readable: %s", error)
            return None
        ringout = next((s for s in settings if s.feature.casefold() == "ringout"), None)
        kind = (ringout.type or "PhoneNumber").casefold() if ringout is not None else ""
        if kind == "blocked":
            return DefaultCallerId(hidden=True)
        if kind == "currentlocation":
            return DefaultCallerId()  # the number of the phone that is rung first
        if kind == "phonenumber" and ringout is not None and ringout.phone_number:
            return DefaultCallerId(number=ringout.phone_number)
        return None

    # ------------------------------------------------------------------ calls

    async def place_call(
        self, from_: Phone | str, to: str, *, caller_id: str | None, play_prompt: bool
    ) -> CallProgress:
        # No `country` is sent: `to` is E.164 or an extension number, which the platform dials as it is.
        status = await self.client.create_ringout(
            _ringout_from(from_), to, caller_id=caller_id, play_prompt=play_prompt
        )
        return progress_from_ringout(status)

    async def call_progress(self, call_id: str) -> CallProgress:
        return progress_from_ringout(await self.client.get_ringout(call_id))

    async def final_record(self, call: CallHandle) -> CallProgress | None:
        """The call-log record of a RingOut whose status is gone, as a finished `CallProgress`.

        Nothing links a RingOut id to its call-log record, so the match is on numbers and time,
        as for hanging up: an outbound RingOut record whose far end is the destination, started
        closest to when RingDesk placed the call. None when no record matches (the log may not
        have it yet).
        """
        records = await self.client.list_call_log(
            date_from=_iso(call.placed_at - _SESSION_MATCH_WINDOW),
            date_to=_iso(call.placed_at + _SESSION_MATCH_WINDOW),
            direction="Outbound",
        )
        wanted = digits_of(call.destination)
        best: tuple[float, CallLogRecord] | None = None
        for record in records:
            if "ringout" not in (record.action or "").replace(" ", "").casefold():
                continue
            if not same_number(digits_of(record.to_number), wanted):
                continue
            offset = _offset_from(record.start_time, call.placed_at)
            if offset is None or offset > _SESSION_MATCH_WINDOW:
                continue
            if best is None or offset < best[0]:
                best = (offset, record)
        return _progress_from_call_log(call.call_id, best[1]) if best is not None else None

    async def cancel_call(self, call_id: str) -> None:
        try:
            await self.client.cancel_ringout(call_id)
        except InvalidRequest as exc:
            # The platform answers 409 to a cancel of a RingOut that has connected.
            if exc.status == 409:
                raise CallAlreadyConnected(detail=str(exc)) from exc
            raise

    async def hang_up(self, call: CallHandle) -> None:
        # The session the call's own events named, when push found them; otherwise a guess
        # from presence by numbers and time.
        session_id = self.feed.sessions.session_of(call.call_id) or await self._find_session(call)
        if session_id is None:
            raise CallNotFound()
        await self.client.hang_up(session_id)

    async def _find_session(self, call: CallHandle) -> str | None:
        """The telephony session of a RingOut, from detailed presence.

        Nothing links a RingOut id to a session id, so the match is on numbers and time: an
        active call whose far end is the destination (or the operator's phone, which is what
        some accounts list for the first leg), started closest to when RingDesk placed the call.
        """
        presence = await self.client.get_presence(detailed=True)
        wanted = digits_of(call.destination)
        own = digits_of(call.from_number)
        best: tuple[int, float, str] | None = None
        for active in presence.active_calls:
            if not active.telephony_session_id:
                continue
            rank = _number_rank(active, wanted, own)
            if rank is None:
                continue
            offset = _start_offset(active, call.placed_at)
            if offset is None or offset > _SESSION_MATCH_WINDOW:
                continue
            candidate = (rank, offset, active.telephony_session_id)
            if best is None or candidate[:2] < best[:2]:
                best = candidate
        return best[2] if best is not None else None

    # ------------------------------------------------------------------ budgets and errors

    @property
    def call_feed(self) -> CallFeed:
        return self.feed

    def budget(self, action: Action) -> Budget:
        group = self.client.group_of(_OPERATIONS[action])
        state = self.client.ledger.state(group)
        return Budget(limit=state.limit, window=state.window, next_send_in=state.next_send_in, name=group)

    def place_failure(self, error: RingDeskError) -> tuple[str, str | None] | None:
        if not isinstance(error, ApiError):
            return None
        sentence = ringout_create_error_sentence(error.error_code, error.parameter_name) or error.user_message
        return sentence, error.error_code or (f"HTTP {error.status}" if error.status else None)

    def error_sentence(self, error_code: str) -> str | None:
        return error_code_sentence(error_code)

    async def aclose(self) -> None:
        await self.feed.aclose()
        await self.client.aclose()


def _identity_of(extension: Extension) -> Identity:
    """Who is signed in, from the extension record."""
    return Identity(
        account_id=extension.account_id or "",
        extension_id=extension.id,
        extension_number=extension.extension_number or "",
        name=extension.name or "",
    )


def _phone(record: ForwardingNumber) -> Phone:
    kind = record.type and _PHONE_KINDS.get(record.type.casefold(), record.type)
    return Phone(id=record.id, number=record.phone_number, label=record.label, kind=kind or None)


def _caller_id(number: PhoneNumber) -> CallerId:
    assert number.phone_number is not None
    return CallerId(
        number=number.phone_number, label=number.label, usage=_NUMBER_USAGES.get(number.usage_type or "")
    )


def _ringout_from(from_: Phone | str) -> ForwardingNumber | str:
    if isinstance(from_, Phone):
        if from_.id:
            return ForwardingNumber(id=from_.id, phone_number=from_.number, label=from_.label)
        return from_.number or ""
    return from_


def _number_rank(active: ActiveCall, destination: str, own: str) -> int | None:
    ends = [digits_of(active.to_number), digits_of(active.from_number)]
    if any(same_number(end, destination) for end in ends):
        return 0
    if any(same_number(end, own) for end in ends):
        return 1
    return None


def _start_offset(active: ActiveCall, placed_at: float) -> float | None:
    return _offset_from(active.start_time, placed_at)


def _progress_from_call_log(call_id: str, record: CallLogRecord) -> CallProgress:
    """A call-log record as the final progress of the call: finished and connected, or failed."""
    word = record.result or ""
    folded = word.strip().casefold()
    if folded in _CALL_LOG_CONNECTED:
        finished = Leg(LegStatus.FINISHED, word=word)
        return CallProgress(call_id, finished, finished, finished, connected_for=float(record.duration or 0))
    failed = Leg(LegStatus.FAILED, _CALL_LOG_FAILURES.get(folded, Failure.UNRECOGNISED), word)
    return CallProgress(call_id, call=failed)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _offset_from(start_time: str | None, placed_at: float) -> float | None:
    """Seconds between an ISO 8601 start time and `placed_at`; None when the time is missing or bad."""
    started = epoch_of(start_time)
    return None if started is None else abs(started - placed_at)


#: A directory number's usage type, in the operator's words.
_NUMBER_LABELS = {"DirectNumber": "Direct", "MobileNumber": "Mobile", "BusinessMobileNumber": "Mobile"}


def person_of(entry: DirectoryEntry) -> Person | None:
    """A directory entry as someone to call; None for one with neither a name nor a way to call it."""
    name = " ".join(filter(None, (entry.first_name, entry.last_name))) or entry.name or ""
    numbers = tuple(
        PersonNumber(number, _NUMBER_LABELS.get(usage, "Phone")) for number, usage in entry.phone_numbers
    )
    if not name.strip() or not (numbers or entry.extension_number):
        return None
    details = tuple(filter(None, (entry.department, entry.job_title, entry.site)))
    group = entry.type not in (None, "User")
    return Person(entry.id, name.strip(), entry.extension_number or "", numbers, details, group)
