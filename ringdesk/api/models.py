"""Typed, immutable views of the platform's JSON, parsed tolerantly.

Real accounts return records with fields missing (a forwarding number without `id` or `type`,
an extension without `serviceFeatures`), so every optional field may be absent. A field that is
present with the wrong type is another matter: that is a reply we cannot trust, and it raises
`MalformedResponse`, never a `KeyError` or `TypeError`.

Identifiers are strings throughout, although the platform sends some as integers (extension
and phone number ids), so callers never have to care which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from ringdesk.errors import MalformedResponse

__all__ = [
    "ActiveCall",
    "CallParty",
    "CallSession",
    "Country",
    "Device",
    "Extension",
    "ForwardingNumber",
    "PhoneNumber",
    "Presence",
    "RingOutStatus",
    "ServiceFeature",
    "TokenSet",
]


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class TokenSet:
    """What the token endpoint returned, plus when (on the client's wall clock) it was issued.

    `issued_at` is seconds since the epoch so that a token set read back from the keyring after
    a restart still knows when it expires. The token values are left out of `repr`, so a token
    set in a log line or a traceback shows no secret.
    """

    access_token: str = field(repr=False)
    expires_in: int
    issued_at: float
    refresh_token: str | None = field(default=None, repr=False)
    refresh_token_expires_in: int | None = None
    token_type: str = "bearer"
    scope: str = ""
    owner_id: str | None = None
    endpoint_id: str | None = None
    session_id: str | None = None

    @classmethod
    def from_json(cls, data: object, *, issued_at: float) -> Self:
        obj = _object(data, "token response")
        return cls(
            access_token=_required_str(obj, "access_token", "token response"),
            expires_in=_required_int(obj, "expires_in", "token response"),
            issued_at=issued_at,
            refresh_token=_opt_str(obj, "refresh_token", "token response"),
            refresh_token_expires_in=_opt_int(obj, "refresh_token_expires_in", "token response"),
            token_type=_opt_str(obj, "token_type", "token response") or "bearer",
            scope=_opt_str(obj, "scope", "token response") or "",
            owner_id=_opt_id(obj, "owner_id", "token response"),
            endpoint_id=_opt_str(obj, "endpoint_id", "token response"),
            session_id=_opt_id(obj, "session_id", "token response"),
        )

    @classmethod
    def from_stored(cls, data: object) -> Self:
        """Read back what `to_stored()` wrote (the token response plus `issued_at`)."""
        obj = _object(data, "stored token set")
        issued_at = obj.get("issued_at")
        if not isinstance(issued_at, int | float) or isinstance(issued_at, bool):
            raise MalformedResponse("stored token set: issued_at is missing or not a number")
        return cls.from_json(obj, issued_at=float(issued_at))

    def to_stored(self) -> dict[str, Any]:
        """A JSON-ready dict for the token store (it holds secrets: keyring only, never a file)."""
        stored: dict[str, Any] = {
            "access_token": self.access_token,
            "expires_in": self.expires_in,
            "issued_at": self.issued_at,
            "token_type": self.token_type,
            "scope": self.scope,
        }
        optional = {
            "refresh_token": self.refresh_token,
            "refresh_token_expires_in": self.refresh_token_expires_in,
            "owner_id": self.owner_id,
            "endpoint_id": self.endpoint_id,
            "session_id": self.session_id,
        }
        stored.update({key: value for key, value in optional.items() if value is not None})
        return stored

    @property
    def expires_at(self) -> float:
        return self.issued_at + self.expires_in

    @property
    def refresh_token_expires_at(self) -> float | None:
        if self.refresh_token is None or self.refresh_token_expires_in is None:
            return None
        return self.issued_at + self.refresh_token_expires_in

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def has_scope(self, name: str) -> bool:
        """Whether the app was granted permission `name` (`RingOut`, `CallControl`...)."""
        return name in self.scopes

    def access_token_valid(self, now: float, *, margin: float = 0.0) -> bool:
        return now + margin < self.expires_at

    def refresh_token_valid(self, now: float, *, margin: float = 0.0) -> bool:
        expires_at = self.refresh_token_expires_at
        if self.refresh_token is None:
            return False
        # Without a stated lifetime we cannot tell; let the server decide.
        return expires_at is None or now + margin < expires_at


# --------------------------------------------------------------------------- the operator's account


@dataclass(frozen=True, slots=True)
class Country:
    id: str | None
    iso_code: str | None = None
    calling_code: str | None = None
    name: str | None = None

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = _object(data, "country")
        return cls(
            id=_opt_id(obj, "id", "country"),
            iso_code=_opt_str(obj, "isoCode", "country"),
            calling_code=_opt_str(obj, "callingCode", "country"),
            name=_opt_str(obj, "name", "country"),
        )


@dataclass(frozen=True, slots=True)
class ServiceFeature:
    name: str
    enabled: bool
    reason: str | None = None

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = _object(data, "service feature")
        return cls(
            name=_required_str(obj, "featureName", "service feature"),
            enabled=_opt_bool(obj, "enabled", "service feature") or False,
            reason=_opt_str(obj, "reason", "service feature"),
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

    @classmethod
    def from_json(cls, data: object) -> Self:
        obj = _object(data, "extension")
        regional = _opt_object(obj, "regionalSettings", "extension")
        home = _opt_object(regional, "homeCountry", "extension regionalSettings") if regional else None
        contact = _opt_object(obj, "contact", "extension")
        return cls(
            id=_required_id(obj, "id", "extension"),
            extension_number=_opt_str(obj, "extensionNumber", "extension"),
            name=_opt_str(obj, "name", "extension"),
            email=_opt_str(contact, "email", "extension contact") if contact else None,
            status=_opt_str(obj, "status", "extension"),
            home_country=Country.from_json(home) if home is not None else None,
            service_features=tuple(
                ServiceFeature.from_json(item) for item in _opt_list(obj, "serviceFeatures", "extension")
            ),
        )

    def feature_enabled(self, name: str) -> bool | None:
        """True/False as the platform reported it; None when it did not report the feature."""
        for feature in self.service_features:
            if feature.name.lower() == name.lower():
                return feature.enabled
        return None

    def feature_reason(self, name: str) -> str | None:
        for feature in self.service_features:
            if feature.name.lower() == name.lower():
                return feature.reason
        return None

    @property
    def ringout_enabled(self) -> bool:
        # Only an explicit "disabled" blocks calling: the feature list is sometimes absent, and
        # then the server, not a guess, should decide (it answers with a clear error code).
        return self.feature_enabled("RingOut") is not False


@dataclass(frozen=True, slots=True)
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
        obj = _object(data, "forwarding number")
        device = _opt_object(obj, "device", "forwarding number")
        return cls(
            id=_opt_id(obj, "id", "forwarding number"),
            phone_number=_opt_str(obj, "phoneNumber", "forwarding number"),
            label=_opt_str(obj, "label", "forwarding number"),
            type=_opt_str(obj, "type", "forwarding number"),
            features=_str_tuple(obj, "features", "forwarding number"),
            device_id=_opt_id(device, "id", "forwarding number device") if device else None,
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
        obj = _object(data, "phone number")
        return cls(
            id=_opt_id(obj, "id", "phone number"),
            phone_number=_opt_str(obj, "phoneNumber", "phone number"),
            label=_opt_str(obj, "label", "phone number"),
            type=_opt_str(obj, "type", "phone number"),
            usage_type=_opt_str(obj, "usageType", "phone number"),
            status=_opt_str(obj, "status", "phone number"),
            primary=_opt_bool(obj, "primary", "phone number") or False,
            features=_str_tuple(obj, "features", "phone number"),
        )

    @property
    def can_be_caller_id(self) -> bool:
        return self.phone_number is not None and any(f.lower() == "callerid" for f in self.features)


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
        obj = _object(data, "device")
        return cls(
            id=_opt_id(obj, "id", "device"),
            name=_opt_str(obj, "name", "device"),
            type=_opt_str(obj, "type", "device"),
            status=_opt_str(obj, "status", "device"),
            serial=_opt_str(obj, "serial", "device"),
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
        obj = _object(data, "ring-out")
        status = _opt_object(obj, "status", "ring-out")
        return cls(
            id=_required_id(obj, "id", "ring-out"),
            call_status=_opt_str(status, "callStatus", "ring-out status") if status else None,
            caller_status=_opt_str(status, "callerStatus", "ring-out status") if status else None,
            callee_status=_opt_str(status, "calleeStatus", "ring-out status") if status else None,
            uri=_opt_str(obj, "uri", "ring-out"),
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
        obj = _object(data, "call party")
        status = _opt_object(obj, "status", "call party")
        from_ = _opt_object(obj, "from", "call party")
        to = _opt_object(obj, "to", "call party")
        return cls(
            id=_opt_id(obj, "id", "call party"),
            status_code=_opt_str(status, "code", "call party status") if status else None,
            status_reason=_opt_str(status, "reason", "call party status") if status else None,
            direction=_opt_str(obj, "direction", "call party"),
            ringout_role=_opt_str(obj, "ringOutRole", "call party"),
            from_number=_opt_str(from_, "phoneNumber", "call party from") if from_ else None,
            to_number=_opt_str(to, "phoneNumber", "call party to") if to else None,
            extension_id=_opt_id(obj, "extensionId", "call party"),
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
        obj = _object(data, "call session")
        origin = _opt_object(obj, "origin", "call session")
        return cls(
            id=_required_id(obj, "id", "call session"),
            origin_type=_opt_str(origin, "type", "call session origin") if origin else None,
            creation_time=_opt_str(obj, "creationTime", "call session"),
            parties=tuple(CallParty.from_json(p) for p in _opt_list(obj, "parties", "call session")),
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
        obj = _object(data, "active call")
        return cls(
            id=_opt_id(obj, "id", "active call"),
            telephony_session_id=_opt_id(obj, "telephonySessionId", "active call"),
            session_id=_opt_id(obj, "sessionId", "active call"),
            party_id=_opt_id(obj, "partyId", "active call"),
            direction=_opt_str(obj, "direction", "active call"),
            from_number=_opt_str(obj, "from", "active call"),
            to_number=_opt_str(obj, "to", "active call"),
            telephony_status=_opt_str(obj, "telephonyStatus", "active call"),
            start_time=_opt_str(obj, "startTime", "active call"),
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
        obj = _object(data, "presence")
        return cls(
            presence_status=_opt_str(obj, "presenceStatus", "presence"),
            telephony_status=_opt_str(obj, "telephonyStatus", "presence"),
            user_status=_opt_str(obj, "userStatus", "presence"),
            active_calls=tuple(ActiveCall.from_json(c) for c in _opt_list(obj, "activeCalls", "presence")),
        )


# --------------------------------------------------------------------------- tolerant readers
# Each reader names what it was reading, so a MalformedResponse says which field was wrong.


def _object(data: object, what: str) -> Mapping[str, object]:
    if not isinstance(data, Mapping):
        raise MalformedResponse(f"{what}: expected an object, got {type(data).__name__}")
    return data


def _opt_object(obj: Mapping[str, object], key: str, what: str) -> Mapping[str, object] | None:
    value = obj.get(key)
    if value is None:
        return None
    return _object(value, f"{what}.{key}")


def _opt_list(obj: Mapping[str, object], key: str, what: str) -> list[object]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedResponse(f"{what}.{key}: expected a list, got {type(value).__name__}")
    return value


def _opt_str(obj: Mapping[str, object], key: str, what: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedResponse(f"{what}.{key}: expected a string, got {type(value).__name__}")
    return value


def _required_str(obj: Mapping[str, object], key: str, what: str) -> str:
    value = _opt_str(obj, key, what)
    if not value:
        raise MalformedResponse(f"{what}.{key}: missing")
    return value


def _opt_id(obj: Mapping[str, object], key: str, what: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    # bool is an int in Python; an id of `true` is a broken reply, not the id "True".
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MalformedResponse(f"{what}.{key}: expected a string or integer id, got {type(value).__name__}")
    return str(value)


def _required_id(obj: Mapping[str, object], key: str, what: str) -> str:
    value = _opt_id(obj, key, what)
    if not value:
        raise MalformedResponse(f"{what}.{key}: missing")
    return value


def _opt_int(obj: Mapping[str, object], key: str, what: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedResponse(f"{what}.{key}: expected a number, got {type(value).__name__}")
    return int(value)


def _required_int(obj: Mapping[str, object], key: str, what: str) -> int:
    value = _opt_int(obj, key, what)
    if value is None:
        raise MalformedResponse(f"{what}.{key}: missing")
    return value


def _opt_bool(obj: Mapping[str, object], key: str, what: str) -> bool | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise MalformedResponse(f"{what}.{key}: expected true or false, got {type(value).__name__}")
    return value


def _str_tuple(obj: Mapping[str, object], key: str, what: str) -> tuple[str, ...]:
    items = _opt_list(obj, key, what)
    for item in items:
        if not isinstance(item, str):
            raise MalformedResponse(f"{what}.{key}: expected strings, got {type(item).__name__}")
    return tuple(str(item) for item in items)


def _status_in(status: str | None, values: tuple[str, ...]) -> bool:
    if status is None:
        return False
    folded = status.casefold()
    return any(folded == value.casefold() for value in values)
