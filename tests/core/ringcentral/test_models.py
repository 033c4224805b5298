"""Models parse real-world JSON tolerantly and refuse wrongly typed JSON with MalformedResponse."""

from __future__ import annotations

from typing import Any

import pytest

from ringdesk.errors import MalformedResponse
from ringdesk.platforms.oauth import TokenSet
from ringdesk.platforms.ringcentral.models import (
    CallSession,
    Device,
    Extension,
    ForwardingNumber,
    PhoneNumber,
    Presence,
    RingOutStatus,
)

TOKEN_JSON: dict[str, Any] = {
    "access_token": "AT-secret-value",
    "token_type": "bearer",
    "expires_in": 3600,
    "refresh_token": "RT-secret-value",
    "refresh_token_expires_in": 604800,
    "scope": "ReadAccounts RingOut CallControl",
    "owner_id": "400131",
    "endpoint_id": "ep-1",
    "session_id": "sess-1",
}


def test_token_set_parses_and_computes_expiry() -> None:
    tokens = TokenSet.from_json(TOKEN_JSON, issued_at=1000.0)
    assert tokens.access_token == "AT-secret-value"
    assert tokens.expires_at == 4600.0
    assert tokens.refresh_token_expires_at == 1000.0 + 604800
    assert tokens.has_scope("CallControl")
    assert not tokens.has_scope("Faxes")
    assert tokens.owner_id == "400131"
    assert tokens.access_token_valid(4599.0)
    assert not tokens.access_token_valid(4599.0, margin=60)
    assert tokens.refresh_token_valid(5000.0)


def test_token_set_repr_hides_tokens() -> None:
    tokens = TokenSet.from_json(TOKEN_JSON, issued_at=1000.0)
    text = repr(tokens) + str(tokens)
    assert "AT-secret-value" not in text
    assert "RT-secret-value" not in text
    assert "3600" in text


def test_token_set_minimal_and_numeric_owner() -> None:
    tokens = TokenSet.from_json({"access_token": "a", "expires_in": 60, "owner_id": 42}, issued_at=0.0)
    assert tokens.refresh_token is None
    assert tokens.refresh_token_expires_at is None
    assert not tokens.refresh_token_valid(0.0)
    assert tokens.owner_id == "42"
    assert tokens.scope == ""


def test_token_set_round_trips_through_storage() -> None:
    tokens = TokenSet.from_json(TOKEN_JSON, issued_at=1234.5)
    assert TokenSet.from_stored(tokens.to_stored()) == tokens
    with pytest.raises(MalformedResponse):
        TokenSet.from_stored({"access_token": "a", "expires_in": 1})


@pytest.mark.parametrize(
    "data",
    [
        {"expires_in": 3600},
        {"access_token": "", "expires_in": 3600},
        {"access_token": 5, "expires_in": 3600},
        {"access_token": "a"},
        {"access_token": "a", "expires_in": "3600"},
        {"access_token": "a", "expires_in": True},
        {"access_token": "a", "expires_in": 1, "refresh_token": ["x"]},
        [],
        "token",
        None,
    ],
)
def test_token_set_rejects_wrong_shapes(data: object) -> None:
    with pytest.raises(MalformedResponse):
        TokenSet.from_json(data, issued_at=0.0)


def test_extension_full() -> None:
    ext = Extension.from_json(
        {
            "id": 400131,
            "extensionNumber": "101",
            "name": "Ada Operator",
            "contact": {"email": "ada@example.test"},
            "status": "Enabled",
            "account": {"id": 400130, "uri": "https://platform.example.test/restapi/v1.0/account/400130"},
            "regionalSettings": {
                "homeCountry": {"id": "1", "isoCode": "US", "callingCode": "1", "name": "USA"}
            },
            "serviceFeatures": [
                {"featureName": "RingOut", "enabled": True},
                {"featureName": "SMS", "enabled": False, "reason": "AccountLimitation"},
            ],
        }
    )
    assert ext.id == "400131"
    assert ext.home_country is not None and ext.home_country.iso_code == "US"
    assert ext.ringout_enabled
    assert ext.feature_enabled("sms") is False
    assert ext.feature_reason("SMS") == "AccountLimitation"
    assert ext.feature_enabled("Fax") is None
    assert ext.email == "ada@example.test"
    assert ext.account_id == "400130"


def test_extension_minimal_and_ringout_off() -> None:
    minimal = Extension.from_json({"id": "1"})
    assert minimal.home_country is None
    assert minimal.service_features == ()
    assert minimal.account_id is None
    assert minimal.ringout_enabled  # not reported: the server decides
    off = Extension.from_json({"id": "1", "serviceFeatures": [{"featureName": "RingOut", "enabled": False}]})
    assert not off.ringout_enabled


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"id": True},
        {"id": "1", "serviceFeatures": {"RingOut": True}},
        {"id": "1", "serviceFeatures": [{"featureName": "RingOut", "enabled": "yes"}]},
        {"id": "1", "regionalSettings": "US"},
        {"id": "1", "account": {"id": [400130]}},
        {"id": "1", "regionalSettings": {"homeCountry": {"id": []}}},
    ],
)
def test_extension_rejects_wrong_types(data: object) -> None:
    with pytest.raises(MalformedResponse):
        Extension.from_json(data)


def test_forwarding_number_with_and_without_id() -> None:
    with_id = ForwardingNumber.from_json(
        {
            "id": "fw-1",
            "phoneNumber": "+16505550100",
            "label": "My Cell",
            "type": "Mobile",
            "features": ["CallFlip", "CallForwarding"],
            "device": {"id": "dev-1"},
        }
    )
    assert with_id.ringout_from() == {"forwardingNumberId": "fw-1"}
    assert with_id.device_id == "dev-1"
    without = ForwardingNumber.from_json({"phoneNumber": "+16505550111", "label": "Home"})
    assert without.id is None
    assert without.type is None
    assert without.features == ()
    assert without.ringout_from() == {"phoneNumber": "+16505550111"}
    with pytest.raises(ValueError):
        ForwardingNumber.from_json({"label": "nothing"}).ringout_from()


def test_forwarding_number_wrong_types() -> None:
    with pytest.raises(MalformedResponse):
        ForwardingNumber.from_json({"phoneNumber": 16505550100})
    with pytest.raises(MalformedResponse):
        ForwardingNumber.from_json({"phoneNumber": "+1", "features": [1]})


def test_phone_number_caller_id() -> None:
    number = PhoneNumber.from_json(
        {"id": 123, "phoneNumber": "+16505550000", "features": ["SmsSender", "CallerId"], "primary": True}
    )
    assert number.id == "123"
    assert number.can_be_caller_id
    assert number.primary
    assert not PhoneNumber.from_json({"phoneNumber": "+16505550001"}).can_be_caller_id


def test_device() -> None:
    device = Device.from_json({"id": "d1", "name": "Desk", "type": "HardPhone", "status": "Online"})
    assert device.online
    assert not Device.from_json({}).online


def test_ringout_status_compares_case_insensitively() -> None:
    status = RingOutStatus.from_json(
        {
            "id": 9,
            "status": {"callStatus": "InProgress", "callerStatus": "Success", "calleeStatus": "NosuchUser"},
        }
    )
    assert status.id == "9"
    assert status.call_status_is("inprogress")
    assert status.caller_status_is("SUCCESS", "Finished")
    assert status.callee_status_is("NoSuchUser")
    assert not status.call_status_is("Finished")
    bare = RingOutStatus.from_json({"id": "x"})
    assert bare.call_status is None
    assert not bare.call_status_is("InProgress")


def test_ringout_status_requires_id() -> None:
    with pytest.raises(MalformedResponse):
        RingOutStatus.from_json({"status": {}})
    with pytest.raises(MalformedResponse):
        RingOutStatus.from_json({"id": "x", "status": "Finished"})


def test_call_session_and_presence() -> None:
    session = CallSession.from_json(
        {
            "id": "s-1",
            "origin": {"type": "RingOut"},
            "parties": [
                {
                    "id": "p-1",
                    "ringOutRole": "Initiator",
                    "status": {"code": "Answered"},
                    "from": {"phoneNumber": "+1"},
                    "to": {"phoneNumber": "+2"},
                },
                {"id": "p-2"},
            ],
        }
    )
    assert session.is_ringout
    assert session.parties[0].status_code == "Answered"
    assert session.parties[0].to_number == "+2"
    assert session.parties[1].status_code is None
    presence = Presence.from_json(
        {"telephonyStatus": "CallConnected", "activeCalls": [{"id": "c", "telephonySessionId": "s-1"}]}
    )
    assert presence.active_calls[0].telephony_session_id == "s-1"
    assert Presence.from_json({}).active_calls == ()
    with pytest.raises(MalformedResponse):
        Presence.from_json({"activeCalls": [None]})
