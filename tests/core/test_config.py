"""The settings model and its file: defaults, round trip, validation sentences, damage, overrides."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from ringdesk.config import (
    DEFAULT_REDIRECT_URI,
    ENV_CLIENT_ID,
    ENV_LOGIN_METHOD,
    ENV_SERVER_URL,
    SCHEMA_VERSION,
    ConnectionSettings,
    DialerSettings,
    GeneralSettings,
    LoginMethod,
    ServerKind,
    Settings,
    load_settings,
    save_settings,
    validate_connection,
)
from ringdesk.paths import app_paths

NO_ENV: dict[str, str] = {}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "settings.json"


def usable(**changes: object) -> ConnectionSettings:
    return dataclasses.replace(ConnectionSettings(client_id="abc123"), **changes)  # type: ignore[arg-type]


def test_defaults_without_a_file(path: Path) -> None:
    result = load_settings(path, environ=NO_ENV)
    assert result.problems == []
    assert result.broken_copy is None
    connection = result.settings.connection
    assert connection.server is ServerKind.RINGCENTRAL
    assert connection.server_url() == "https://platform.ringcentral.com"
    assert connection.redirect_uri == DEFAULT_REDIRECT_URI == "http://127.0.0.1:53682/oauth/callback"
    assert connection.login_method is LoginMethod.EMBEDDED
    assert connection.use_client_secret is False
    assert connection.allow_password_grant is False
    assert result.settings.schema_version == SCHEMA_VERSION
    assert not path.exists(), "loading must not create the file"


def test_server_urls() -> None:
    assert ConnectionSettings(server=ServerKind.PARTNER).server_url() == "https://platform.ringcentral.biz"
    custom = ConnectionSettings(server=ServerKind.CUSTOM, custom_server_url=" https://rc.example.com/ ")
    assert custom.server_url() == "https://rc.example.com"
    simulator = ConnectionSettings(server=ServerKind.SIMULATOR)
    assert simulator.server_url() is None
    assert simulator.server_url("http://127.0.0.1:5000/") == "http://127.0.0.1:5000"


def test_round_trip(path: Path) -> None:
    settings = Settings(
        connection=ConnectionSettings(
            server=ServerKind.CUSTOM,
            custom_server_url="https://rc.example.com",
            client_id="my-app",
            redirect_uri="com.example.ringdesk:/callback",
            login_method=LoginMethod.PASSWORD,
            use_client_secret=True,
            allow_password_grant=True,
        ),
        general=GeneralSettings(ask_to_sign_in_at_start=False),
    )
    save_settings(settings, path)
    result = load_settings(path, environ=NO_ENV)
    assert result.problems == []
    assert result.settings == settings
    if os.name == "posix":
        assert path.stat().st_mode & 0o077 == 0, "settings are private to the user"
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"], "no temporary file left"


def test_the_file_holds_no_secrets(path: Path) -> None:
    save_settings(Settings(connection=usable(use_client_secret=True)), path)
    data = json.loads(path.read_text())
    assert set(data) == {"schema_version", "connection", "general", "dialer"}
    assert set(data["connection"]) == {
        "platform",
        "server",
        "custom_server_url",
        "client_id",
        "redirect_uri",
        "login_method",
        "use_client_secret",
        "allow_password_grant",
    }
    secretish = ("token", "jwt", "password", "secret", "assertion", "code", "verifier")
    for section in ("connection", "general", "dialer"):
        for key in data[section]:
            # Only the switches that say a secret is used (kept in the keyring) may name one.
            if key in ("use_client_secret", "allow_password_grant"):
                assert isinstance(data[section][key], bool)
                continue
            assert not any(word in key for word in secretish), key
    fields = {f.name for f in dataclasses.fields(ConnectionSettings)}
    assert not fields & {"client_secret", "jwt", "password", "access_token", "refresh_token", "tokens"}


def test_default_path_follows_ringdesk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RINGDESK_HOME", str(tmp_path))
    save_settings(Settings(connection=usable()))
    assert app_paths().settings_file == tmp_path / "config" / "settings.json"
    assert load_settings(environ=NO_ENV).settings.connection.client_id == "abc123"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "it is not valid JSON"),
        ("[1, 2, 3]", "it does not hold a JSON object"),
        (b"\xff\xfe\x00garbage", "it could not be read"),
    ],
)
def test_a_broken_file_is_kept_aside_and_defaults_are_used(
    path: Path, content: str | bytes, reason: str
) -> None:
    path.parent.mkdir(parents=True)
    raw = content.encode() if isinstance(content, str) else content
    path.write_bytes(raw)
    result = load_settings(path, environ=NO_ENV)
    assert result.settings == Settings()
    assert len(result.problems) == 1
    sentence = result.problems[0]
    assert reason in sentence
    assert "RingDesk started with default settings" in sentence
    assert result.broken_copy is not None
    assert result.broken_copy.name.startswith("settings.json.broken-")
    assert result.broken_copy.name in sentence
    assert result.broken_copy.read_bytes() == raw
    assert path.read_bytes() == raw, "the original stays until the person saves new settings"


def test_bad_values_fall_back_one_by_one(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "connection": {"server": "moon", "client_id": "kept", "use_client_secret": "yes"},
            }
        )
    )
    result = load_settings(path, environ=NO_ENV)
    connection = result.settings.connection
    assert connection.server is ServerKind.RINGCENTRAL
    assert connection.client_id == "kept"
    assert connection.use_client_secret is False
    assert any("'moon'" in p and "ringcentral, partner, custom, simulator" in p for p in result.problems)
    assert any("must be true or false" in p for p in result.problems)
    assert result.broken_copy is not None and result.broken_copy.exists()


def test_keys_from_a_newer_version_survive_a_save(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps(
            {
                "schema_version": SCHEMA_VERSION + 1,
                "connection": {"client_id": "abc", "future_field": 7},
                "push": {"channel": "websocket"},
                "dialer": {"phone_label": "Desk", "future_choice": "headset"},
            }
        )
    )
    result = load_settings(path, environ=NO_ENV)
    assert result.problems == []
    save_settings(result.settings, path)
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION + 1
    assert data["push"] == {"channel": "websocket"}
    assert data["dialer"]["future_choice"] == "headset" and data["dialer"]["phone_label"] == "Desk"
    assert data["connection"]["future_field"] == 7
    assert data["connection"]["client_id"] == "abc"


def test_environment_overrides_apply_but_are_never_saved(path: Path) -> None:
    save_settings(Settings(connection=usable(client_id="from-file")), path)
    env = {
        ENV_SERVER_URL: "http://127.0.0.1:8123",
        ENV_CLIENT_ID: "from-env",
        ENV_LOGIN_METHOD: "jwt",
    }
    result = load_settings(path, environ=env)
    connection = result.settings.connection
    assert connection.server is ServerKind.CUSTOM
    assert connection.server_url() == "http://127.0.0.1:8123"
    assert connection.client_id == "from-env"
    assert connection.login_method is LoginMethod.JWT
    assert set(result.overrides) == {ENV_SERVER_URL, ENV_CLIENT_ID, ENV_LOGIN_METHOD}

    # The person changes the redirect URI in the dialog and saves: only that change reaches the file.
    edited = dataclasses.replace(
        result.settings, connection=dataclasses.replace(connection, redirect_uri="http://127.0.0.1:9/cb")
    )
    save_settings(result.without_overrides(edited), path)
    stored = load_settings(path, environ=NO_ENV).settings.connection
    assert stored.client_id == "from-file"
    assert stored.server is ServerKind.RINGCENTRAL
    assert stored.login_method is LoginMethod.EMBEDDED
    assert stored.redirect_uri == "http://127.0.0.1:9/cb"


def test_a_known_server_url_override_picks_its_kind(path: Path) -> None:
    result = load_settings(path, environ={ENV_SERVER_URL: "https://platform.ringcentral.biz/"})
    assert result.settings.connection.server is ServerKind.PARTNER


def test_an_unknown_login_method_override_is_a_sentence(path: Path) -> None:
    result = load_settings(path, environ={ENV_LOGIN_METHOD: "carrier-pigeon"})
    assert result.settings.connection.login_method is LoginMethod.EMBEDDED
    assert result.problems == [
        "RINGDESK_LOGIN_METHOD is 'carrier-pigeon', which is not a sign-in method; use one of "
        "embedded, system_browser, jwt, password."
    ]


# --- validation --------------------------------------------------------------------------------

HTTPS_RULE = "The server address must start with https:// (or http:// for 127.0.0.1)."


def test_a_complete_connection_has_no_problems() -> None:
    assert validate_connection(usable()) == []
    assert validate_connection(usable(server=ServerKind.SIMULATOR)) == []
    assert validate_connection(usable(redirect_uri="com.example.app:/callback")) == []


def test_client_id_must_not_be_empty() -> None:
    assert validate_connection(usable(client_id="  ")) == [
        "The client ID must not be empty; copy it from your app's page in the developer console."
    ]
    assert validate_connection(usable(client_id="a b")) == ["The client ID must not contain spaces."]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://rc.example.com", HTTPS_RULE),
        ("ftp://rc.example.com", HTTPS_RULE),
        ("rc.example.com", HTTPS_RULE),
        ("", "Enter the server address, for example https://platform.example.com."),
        ("https://", "The server address needs a host name after https://."),
        (
            "https://rc.example.com/?x=1",
            "The server address must not contain ? or #; enter only the scheme, host and port.",
        ),
        (
            "https://rc.example.com:99999",
            "The server address has a port that is not a number between 0 and 65535.",
        ),
    ],
)
def test_custom_server_address_rules(url: str, problem: str) -> None:
    assert validate_connection(usable(server=ServerKind.CUSTOM, custom_server_url=url)) == [problem]


@pytest.mark.parametrize(
    "url", ["https://rc.example.com", "http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2"]
)
def test_custom_server_addresses_that_work(url: str) -> None:
    assert validate_connection(usable(server=ServerKind.CUSTOM, custom_server_url=url)) == []


@pytest.mark.parametrize(
    "uri",
    ["", "no-scheme-at-all", "http:///path-without-host", "https://host/cb#fragment"],
)
def test_redirect_uri_rules(uri: str) -> None:
    problems = validate_connection(usable(redirect_uri=uri))
    assert len(problems) == 1
    assert "redirect URI" in problems[0]


def test_system_browser_needs_a_loopback_redirect_with_a_port() -> None:
    assert validate_connection(usable(login_method=LoginMethod.SYSTEM_BROWSER)) == []
    for uri in ("https://example.com/cb", "http://127.0.0.1/cb", "com.example.app:/cb"):
        problems = validate_connection(usable(login_method=LoginMethod.SYSTEM_BROWSER, redirect_uri=uri))
        assert problems and "system browser" in problems[0], uri


def test_unattended_methods_ignore_the_redirect_uri() -> None:
    assert validate_connection(usable(login_method=LoginMethod.JWT, redirect_uri="")) == []


def test_password_grant_needs_the_advanced_switch() -> None:
    assert validate_connection(usable(login_method=LoginMethod.PASSWORD)) == [
        'Password sign-in is switched off; turn on "Allow password sign-in" under Advanced '
        "to use it (the platform is retiring it)."
    ]
    assert validate_connection(usable(login_method=LoginMethod.PASSWORD, allow_password_grant=True)) == []


def test_the_phone_choice_round_trips_and_a_bad_value_falls_back_alone(path: Path) -> None:
    choice = DialerSettings(
        forwarding_number_id="733152008",
        phone_number="+16505550122",
        phone_label="Mobile",
        caller_id="+16505550101",
        play_prompt=True,
        default_country="GB",
    )
    save_settings(Settings(dialer=choice), path)
    assert load_settings(path, environ=NO_ENV).settings.dialer == choice
    assert choice.chosen and not DialerSettings().chosen

    data = json.loads(path.read_text())
    data["dialer"]["caller_id"] = 42
    data["dialer"]["default_country"] = None
    path.write_text(json.dumps(data))
    result = load_settings(path, environ=NO_ENV)
    assert result.settings.dialer == dataclasses.replace(choice, caller_id=None, default_country=None)
    assert result.problems[0] == "The caller ID in the settings file must be text or null, not 42."


def test_general_switches_default_to_a_tray_app_that_notifies(path: Path) -> None:
    general = load_settings(path, environ=NO_ENV).settings.general
    assert general.close_to_tray and not general.start_minimized
    assert general.notify_connected and general.notify_failed and general.notify_ended
