"""Scenarios: the built-in demo account, JSON and TOML files, and clear errors for bad ones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from ringdesk.simulator import CallOutcome, Scenario, ScenarioError, load_scenario, make_jwt_credential


def test_default_demo_account() -> None:
    scenario = Scenario.default()
    public = scenario.client("ringdesk-demo")
    confidential = scenario.client("ringdesk-confidential")
    assert public is not None and public.is_public
    assert "http://127.0.0.1:53682/oauth/callback" in public.redirect_uris
    assert confidential is not None and confidential.client_secret
    user = scenario.account.users[0]
    assert user.extension_number == "101"
    assert user.feature_enabled("RingOut")
    assert any(f.id is None for f in user.forwarding_numbers)
    assert any(f.type is None and f.id is not None for f in user.forwarding_numbers)
    assert scenario.demo_mode and scenario.password_grant_enabled


def test_jwt_credential_is_a_real_hs256_jwt() -> None:
    scenario = Scenario.default()
    credential = scenario.account.users[0].jwt_credential
    assert credential is not None
    header, payload, signature = credential.split(".")

    def decode(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    assert json.loads(decode(header)) == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(decode(payload))["sub"] == str(scenario.account.users[0].extension_id)
    expected = hmac.new(scenario.jwt_secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert decode(signature) == expected
    assert credential == make_jwt_credential(
        scenario.jwt_secret, scenario.account.id, scenario.account.users[0].extension_id
    )
    assert Scenario.default().account.users[0].jwt_credential == credential  # stable from run to run


def test_load_json(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(
        json.dumps(
            {
                "demo_mode": False,
                "timings": {"caller_ring": 0.2, "auto_press_after": None},
                "outcomes": {"+14155550199": {"leg": "callee", "status": "Busy"}},
                "rate_limits": {"limits": {"Heavy": 3}},
            }
        )
    )
    scenario = load_scenario(path)
    assert scenario.demo_mode is False
    assert scenario.timings.caller_ring == 0.2
    assert scenario.timings.auto_press_after is None
    assert scenario.timings.talk == Scenario.default().timings.talk
    assert scenario.outcomes["+14155550199"] == CallOutcome(leg="callee", status="Busy")
    assert scenario.rate_limits.limits == {"Heavy": 3}
    assert scenario.account.users[0].extension_number == "101"


def test_load_toml_with_a_custom_account(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        """
password_grant_enabled = false

[lifetimes]
access_token = 2

[account]
id = 1234

[[account.users]]
extension_id = 11
extension_number = "7"
first_name = "Tom"
last_name = "Lee"
email = "tom@example.com"
login = "+442079460000"
password = "pw"
service_features = { RingOut = true }

[account.users.home_country]
id = "224"
iso_code = "GB"
calling_code = "44"
name = "United Kingdom"

[[account.users.forwarding_numbers]]
phone_number = "+447700900123"
label = "Mobile"
"""
    )
    scenario = load_scenario(path)
    assert scenario.password_grant_enabled is False
    assert scenario.lifetimes.access_token == 2.0
    user = scenario.account.users[0]
    assert user.home_country.iso_code == "GB"
    assert user.forwarding_numbers[0].id is None
    assert user.jwt_credential and user.jwt_credential.count(".") == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.json", '{"timings": {"caller_ring": "slow"}}', "timings.caller_ring': must be a number"),
        ("bad.json", '{"timings": {"caller_ring": -1}}', "timings.caller_ring': must not be negative"),
        ("bad.json", '{"timings": {"ring": 1}}', "timings.ring': unknown field"),
        ("bad.json", '{"demo_mode": "yes"}', "demo_mode': must be true or false"),
        (
            "bad.json",
            '{"outcomes": {"+1": {"leg": "middle", "status": "Busy"}}}',
            "outcomes.+1.leg': must be one of",
        ),
        (
            "bad.json",
            '{"account": {"users": [{"extension_id": 1}]}}',
            "account.users[0].extension_number': is required",
        ),
        ("bad.json", '{"account": {"users": []}}', "account.users': at least one user"),
        ("bad.json", '{"rate_limits": {"limits": {"Heavy": 0}}}', "rate_limits.limits.Heavy'"),
        (
            "bad.json",
            '{"clients": [{"client_id": "x", "name": "x", "redirect_uris": ["nope"]}]}',
            "redirect_uris[0]",
        ),
        ("bad.json", "[1, 2]", "top level must be a table/object"),
        ("bad.json", "{not json", "not valid JSON"),
        ("bad.toml", "timings = [", "not valid TOML"),
        ("bad.yaml", "a: 1", "must end in .json or .toml"),
    ],
)
def test_bad_scenarios_name_the_file_and_field(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "nowhere.json")
