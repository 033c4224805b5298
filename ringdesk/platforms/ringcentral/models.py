"""Typed, immutable views of the platform's JSON, parsed tolerantly.

Real accounts return records with fields missing (a forwarding number without `id` or `type`,
an extension without `serviceFeatures`), so every optional field may be absent. A field that is
present with the wrong type is another matter: that is a reply we cannot trust, and it raises
`MalformedResponse`, never a `KeyError` or `TypeError`.

Identifiers are strings throughout, although the platform sends some as integers (extension
and phone number ids), so callers never have to care which. The ids the client later puts into a
URL path (a RingOut's, a telephony session's) must also be short tokens of safe characters
(`PATH_ID`): an id of ten thousand characters, or one that is a path of its own (`/../`), is a
reply we cannot trust, and it is refused when read rather than on every later request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Self

from ringdesk.errors import MalformedResponse
from ringdesk.platforms.jsonread import (
    read_object,
    read_opt_bool,
    read_opt_id,
    read_opt_int,
    read_opt_list,
    read_opt_object,
    read_opt_str,
    read_required_id,
    read_required_str,
    read_str_tuple,
)

__all__ = [
    "PATH_ID",
    "ActiveCall",
    "CallLogRecord",
    "CallParty",
    "CallSession",
    "Country",
    "Device",
    "DirectoryEntry",
    "Extension",
    "FeatureCallerId",
    "ForwardingNumber",
    "PhoneNumber",
    "Presence",
    "RingOutStatus",
    "ServiceFeature",
    "TelephonyEvent",
    "WsToken",
    "epoch_of",
]


PATH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}")
"""An id that may go into a URL path: up to 128 ASCII letters, digits and `-._~`, starting with a
letter or digit (so never `.` or `..`). The platform's ids are far shorter numbers and tokens."""


def epoch_of(iso: str | None) -> float | None:
    """An ISO 8601 time with its zone ("2026-12-07T10:00:00.123Z") in seconds since the epoch;
    None when it is missing, unreadable or without a zone (which would make it ambiguous)."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


def _read_path_id(obj: Mapping[str, object], key: str, what: str) -> str | None:
    value = read_opt_id(obj, key, what)
    return _checked_path_id(value, key, what) if value else value


def _read_required_path_id(obj: Mapping[str, object], key: str, what: str) -> str:
    return _checked_path_id(read_required_id(obj, key, what), key, what)


def _checked_path_id(value: str, key: str, what: str) -> str:
    if not PATH_ID.fullmatch(value):
        raise MalformedResponse(
            f"{what}.{key}: not a short token of letters, digits and -._~ ({len(value)} characters)"
        )
    return value


# --------------------------------------------------------------------------- the operator's account


@dataclass(frozen=True, slots=True)
class Country:
    id: str | None
    iso_code: str | None = None
    calling_code: str | None = None
    name: str | None = None

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = read_object(data, "country")
        return cls(
            id=read_opt_id(obj, "id", "country"),
            iso_code=read_opt_str(obj, "isoCode", "country"),
            calling_code=read_opt_str(obj, "callingCode", "country"),
            name=read_opt_str(obj, "name", "country"),
        )


@dataclass(frozen=True, slots=True)
class ServiceFeature:
    name: str
    enabled: bool
    reason: str | None = None

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = read_object(data, "service feature")
        return cls(
            name=read_required_str(obj, "featureName", "service feature"),
            enabled=read_opt_bool(obj, "enabled", "service feature") or False,
            reason=read_opt_str(obj, "reason", "service feature"),
        )


@dataclass(frozen=True, slots=True)
class Extension:
    """The signed-in extension (`GET .../extension/~`)."""

    id: str
    extension_number: str | None = None
    name: str | None = None
    email: str | None = None
    status: str | None = None
    home_country: Country | None = None
    service_features: tuple[ServiceFeature, ...] = ()
    account_id: str | None = None

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = read_object(data, "extension")
        regional = read_opt_object(obj, "regionalSettings", "extension")
        home = read_opt_object(regional, "homeCountry", "extension regionalSettings") if regional else None
        contact = read_opt_object(obj, "contact", "extension")
        account = read_opt_object(obj, "account", "extension")
        return cls(
            id=read_required_id(obj, "id", "extension"),
            extension_number=read_opt_str(obj, "extensionNumber", "extension"),
            name=read_opt_str(obj, "name", "extension"),
            email=read_opt_str(contact, "email", "extension contact") if contact else None,
            status=read_opt_str(obj, "status", "extension"),
            home_country=Country.from_json(home) if home is not None else None,
            service_features=tuple(
                ServiceFeature.from_json(item) for item in read_opt_list(obj, "serviceFeatures", "extension")
            ),
            account_id=read_opt_id(account, "id", "extension account") if account else None,
        )

    def feature_enabled(self, name: str) -> bool | None:
        """True/False as the platform reported it; None when it did not report the feature."""
        feature = self._feature(name)
        return feature.enabled if feature else None

    def feature_reason(self, name: str) -> str | None:
        feature = self._feature(name)
        return feature.reason if feature else None

    def _feature(self, name: str) -> ServiceFeature | None:
        """The reported feature of that name, which the platform spells in varying case."""
        return next((f for f in self.service_features if f.name.lower() == name.lower()), None)

    @property
    def ringout_enabled(self) -> bool:
        # Only an explicit "disabled" blocks calling: the feature list is sometimes absent, and
        # then the server, not a guess, should decide (it answers with a clear error code).
        return self.feature_enabled("RingOut") is not False


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One entry of the company directory (`GET .../account/~/directory/entries`): a person, or
    a call queue, shared line or room (`name` then, not first and last name)."""

    id: str
    type: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    extension_number: str | None = None
    department: str | None = None
    job_title: str | None = None
    site: str | None = None
    #: (E.164 number, usage type: "DirectNumber", "MobileNumber", ...), numbers without one left out.
    phone_numbers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_json(cls, data: object) -> Self:
        what = "directory entry"
        obj = read_object(data, what)
        site = read_opt_object(obj, "site", what)
        numbers = []
        for item in read_opt_list(obj, "phoneNumbers", what):
            number = read_object(item, f"{what} phone number")
            phone = read_opt_str(number, "phoneNumber", what)
            if phone:
                numbers.append((phone, read_opt_str(number, "usageType", what) or ""))
        return cls(
            id=read_required_id(obj, "id", what),
            type=read_opt_str(obj, "type", what),
            first_name=read_opt_str(obj, "firstName", what),
            last_name=read_opt_str(obj, "lastName", what),
            name=read_opt_str(obj, "name", what),
            extension_number=read_opt_str(obj, "extensionNumber", what),
            department=read_opt_str(obj, "department", what),
            job_title=read_opt_str(obj, "jobTitle", what),
            site=read_opt_str(site, "name", what) if site else None,
            phone_numbers=tuple(numbers),
        )


@dataclass(frozen=True)
class ForwardingNumber:
    """One "ring me on this phone" choice (`GET .../extension/~/forwarding-number`)."""

    id: str | None
    phone_number: str | None
    label: str | None = None
    type: str | None = None
    features: tuple[str, ...] = ()
    device_id: str | None = None

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = read_object(data, "forwarding number")
        device = read_opt_object(obj, "device", "forwarding number")
        return cls(
            id=read_opt_id(obj, "id", "forwarding number"),
            phone_number=read_opt_str(obj, "phoneNumber", "forwarding number"),
            label=read_opt_str(obj, "label", "forwarding number"),
            type=read_opt_str(obj, "type", "forwarding number"),
            features=read_str_tuple(obj, "features", "forwarding number"),
            device_id=read_opt_id(device, "id", "forwarding number device") if device else None,
        )

    def ringout_from(self) -> dict[str, str]:
        """The RingOut `from` object: the record's id when it has one, else its number."""
        if self.id is not None:
            return {"forwardingNumberId": self.id}
        if self.phone_number:
            return {"phoneNumber": self.phone_number}
        raise ValueError("forwarding number has neither an id nor a phone number")


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """One of the extension's numbers (`GET .../extension/~/phone-number`)."""

    id: str | None
    phone_number: str | None
    label: str | None = None
    type: str | None = None
    usage_type: str | None = None
    status: str | None = None
    primary: bool = False
    features: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = read_object(data, "phone number")
        return cls(
            id=read_opt_id(obj, "id", "phone number"),
            phone_number=read_opt_str(obj, "phoneNumber", "phone number"),
            label=read_opt_str(obj, "label", "phone number"),
            type=read_opt_str(obj, "type", "phone number"),
            usage_type=read_opt_str(obj, "usageType", "phone number"),
            status=read_opt_str(obj, "status", "phone number"),
            primary=read_opt_bool(obj, "primary", "phone number") or False,
            features=read_str_tuple(obj, "features", "phone number"),
        )

    @property
    def can_be_caller_id(self) -> bool:
        return self.phone_number is not None and any(f.lower() == "callerid" for f in self.features)


@dataclass(frozen=True, slots=True)
class FeatureCallerId:
    """What one feature shows as caller ID (`GET .../extension/~/caller-id`, its `byFeature`).

    `type` is `PhoneNumber` (then `phone_number` is the number), `Blocked` (hidden), or, for
    RingOut only, `CurrentLocation` (the number of the phone that is rung first).
    """

    feature: str
    type: str | None = None
    phone_number: str | None = None

    @classmethod
    def list_from_json(cls, data: object) -> list[Self]:
        what = "caller ID settings"
        obj = read_object(data, what)
        found = []
        for entry in read_opt_list(obj, "byFeature", what):
            item = read_object(entry, what)
            caller_id = read_opt_object(item, "callerId", what) or {}
            phone = read_opt_object(caller_id, "phoneInfo", what) or {}
            found.append(
                cls(
                    feature=read_opt_str(item, "feature", what) or "",
                    type=read_opt_str(caller_id, "type", what),
                    phone_number=read_opt_str(phone, "phoneNumber", what),
                )
            )
        return found


@dataclass(frozen=True, slots=True)
class Device:
    """One of the extension's phones (`GET .../extension/~/device`)."""

    id: str | None
    name: str | None = None
    type: str | None = None
    status: str | None = None
    serial: str | None = None

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = read_object(data, "device")
        return cls(
            id=read_opt_id(obj, "id", "device"),
            name=read_opt_str(obj, "name", "device"),
            type=read_opt_str(obj, "type", "device"),
            status=read_opt_str(obj, "status", "device"),
            serial=read_opt_str(obj, "serial", "device"),
        )

    @property
    def online(self) -> bool:
        return (self.status or "").lower() == "online"


# --------------------------------------------------------------------------- calls


@dataclass(frozen=True, slots=True)
class RingOutStatus:
    """A RingOut and its three statuses, as raw strings.

    The platform's spelling varies (`NoSuchUser`/`NosuchUser`) and new values appear, so the
    statuses stay raw; compare them with the `*_is` helpers, which ignore case.
    """

    id: str
    call_status: str | None = None
    caller_status: str | None = None
    callee_status: str | None = None
    uri: str | None = None

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = read_object(data, "ring-out")
        status = read_opt_object(obj, "status", "ring-out")
        return cls(
            id=_read_required_path_id(obj, "id", "ring-out"),
            call_status=read_opt_str(status, "callStatus", "ring-out status") if status else None,
            caller_status=read_opt_str(status, "callerStatus", "ring-out status") if status else None,
            callee_status=read_opt_str(status, "calleeStatus", "ring-out status") if status else None,
            uri=read_opt_str(obj, "uri", "ring-out"),
        )

    def call_status_is(self, *values: str) -> bool:
        return _status_in(self.call_status, values)

    def caller_status_is(self, *values: str) -> bool:
        return _status_in(self.caller_status, values)

    def callee_status_is(self, *values: str) -> bool:
        return _status_in(self.callee_status, values)


@dataclass(frozen=True, slots=True)
class CallParty:
    id: str | None
    status_code: str | None = None
    status_reason: str | None = None
    direction: str | None = None
    ringout_role: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    extension_id: str | None = None

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = read_object(data, "call party")
        status = read_opt_object(obj, "status", "call party")
        from_ = read_opt_object(obj, "from", "call party")
        to = read_opt_object(obj, "to", "call party")
        return cls(
            id=read_opt_id(obj, "id", "call party"),
            status_code=read_opt_str(status, "code", "call party status") if status else None,
            status_reason=read_opt_str(status, "reason", "call party status") if status else None,
            direction=read_opt_str(obj, "direction", "call party"),
            ringout_role=read_opt_str(obj, "ringOutRole", "call party"),
            from_number=read_opt_str(from_, "phoneNumber", "call party from") if from_ else None,
            to_number=read_opt_str(to, "phoneNumber", "call party to") if to else None,
            extension_id=read_opt_id(obj, "extensionId", "call party"),
        )


@dataclass(frozen=True, slots=True)
class CallSession:
    """A telephony session (`GET .../telephony/sessions/{id}`), reduced to what RingDesk uses."""

    id: str
    origin_type: str | None = None
    creation_time: str | None = None
    parties: tuple[CallParty, ...] = ()

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = read_object(data, "call session")
        origin = read_opt_object(obj, "origin", "call session")
        return cls(
            id=_read_required_path_id(obj, "id", "call session"),
            origin_type=read_opt_str(origin, "type", "call session origin") if origin else None,
            creation_time=read_opt_str(obj, "creationTime", "call session"),
            parties=tuple(CallParty.from_json(p) for p in read_opt_list(obj, "parties", "call session")),
        )

    @property
    def is_ringout(self) -> bool:
        return (self.origin_type or "").lower() == "ringout"


@dataclass(frozen=True, slots=True)
class ActiveCall:
    id: str | None
    telephony_session_id: str | None = None
    session_id: str | None = None
    party_id: str | None = None
    direction: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    telephony_status: str | None = None
    start_time: str | None = None

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = read_object(data, "active call")
        return cls(
            id=read_opt_id(obj, "id", "active call"),
            telephony_session_id=_read_path_id(obj, "telephonySessionId", "active call"),
            session_id=read_opt_id(obj, "sessionId", "active call"),
            party_id=read_opt_id(obj, "partyId", "active call"),
            direction=read_opt_str(obj, "direction", "active call"),
            from_number=read_opt_str(obj, "from", "active call"),
            to_number=read_opt_str(obj, "to", "active call"),
            telephony_status=read_opt_str(obj, "telephonyStatus", "active call"),
            start_time=read_opt_str(obj, "startTime", "active call"),
        )


@dataclass(frozen=True, slots=True)
class Presence:
    """The extension's presence; with `detailedTelephonyState`, its active calls."""

    presence_status: str | None = None
    telephony_status: str | None = None
    user_status: str | None = None
    active_calls: tuple[ActiveCall, ...] = ()

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = read_object(data, "presence")
        return cls(
            presence_status=read_opt_str(obj, "presenceStatus", "presence"),
            telephony_status=read_opt_str(obj, "telephonyStatus", "presence"),
            user_status=read_opt_str(obj, "userStatus", "presence"),
            active_calls=tuple(
                ActiveCall.from_json(c) for c in read_opt_list(obj, "activeCalls", "presence")
            ),
        )


@dataclass(frozen=True, slots=True)
class CallLogRecord:
    """One call in the extension's call log: how a finished call ended and how long it lasted.

    `result` is the platform's word for the outcome ("Call connected", "Busy", "No Answer"...),
    `duration` whole seconds, `from_number`/`to_number` the two ends as the log spells them.
    """

    id: str
    session_id: str | None = None
    telephony_session_id: str | None = None
    start_time: str | None = None
    duration: int | None = None
    type: str | None = None
    direction: str | None = None
    action: str | None = None
    result: str | None = None
    from_number: str | None = None
    to_number: str | None = None

    @classmethod
    def from_json(cls, data: object) -> Self:
        what = "call log record"
        obj = read_object(data, what)
        origin = read_opt_object(obj, "from", what) or {}
        target = read_opt_object(obj, "to", what) or {}
        return cls(
            id=read_required_id(obj, "id", what),
            session_id=read_opt_id(obj, "sessionId", what),
            telephony_session_id=read_opt_id(obj, "telephonySessionId", what),
            start_time=read_opt_str(obj, "startTime", what),
            duration=read_opt_int(obj, "duration", what),
            type=read_opt_str(obj, "type", what),
            direction=read_opt_str(obj, "direction", what),
            action=read_opt_str(obj, "action", what),
            result=read_opt_str(obj, "result", what),
            from_number=read_opt_str(origin, "phoneNumber", what),
            # A call to an extension of the account is logged with its number, not a phone number.
            to_number=(
                read_opt_str(target, "phoneNumber", what) or read_opt_str(target, "extensionNumber", what)
            ),
        )


def _status_in(status: str | None, values: tuple[str, ...]) -> bool:
    if status is None:
        return False
    folded = status.casefold()
    return any(folded == value.casefold() for value in values)


@dataclass(frozen=True, slots=True)
class WsToken:
    """`POST /restapi/oauth/wstoken`: where the push gateway is, and the short-lived token to enter."""

    token: str
    uri: str
    expires_in: int

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = read_object(data, "WebSocket token")
        # The description makes `uri` optional; the gateway's address differs per platform, so a
        # token without one is of no use.
        uri = read_required_str(obj, "uri", "WebSocket token")
        if not uri.startswith(("wss://", "ws://")):
            raise MalformedResponse(
                detail=f"the push gateway address is not a WebSocket address: {uri[:80]!r}"
            )
        return cls(
            token=read_required_str(obj, "ws_access_token", "WebSocket token"),
            uri=uri,
            expires_in=read_opt_int(obj, "expires_in", "WebSocket token") or 0,
        )


@dataclass(frozen=True, slots=True)
class TelephonyEvent:
    """The body of a telephony-session notification: the parties that changed, in one session.

    `sequence` orders the notifications of one session (they may arrive out of order or twice).
    """

    session_id: str
    sequence: int
    origin_type: str | None = None
    event_time: str | None = None
    parties: tuple[CallParty, ...] = ()

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = read_object(data, "telephony event")
        origin = read_opt_object(obj, "origin", "telephony event")
        return cls(
            session_id=_read_required_path_id(obj, "telephonySessionId", "telephony event"),
            sequence=read_opt_int(obj, "sequence", "telephony event") or 0,
            origin_type=read_opt_str(origin, "type", "telephony event origin") if origin else None,
            event_time=read_opt_str(obj, "eventTime", "telephony event"),
            parties=tuple(CallParty.from_json(p) for p in read_opt_list(obj, "parties", "telephony event")),
        )

    @property
    def is_ringout(self) -> bool:
        return (self.origin_type or "").lower() == "ringout"
