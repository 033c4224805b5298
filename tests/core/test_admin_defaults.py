"""An administrator's defaults for every desk: a real system-wide file found through XDG_CONFIG_DIRS,
presets under the person's file, locks over it, and nothing of either ever written to it."""

from __future__ import annotations

import json
import plistlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ringdesk.admin_defaults import (
    RawAdminDefaults,
    find_xdg_defaults,
    read_admin_defaults,
    read_plist_defaults,
    registry_to_dict,
    xdg_config_dirs,
)
from ringdesk.config import (
    ENV_CLIENT_ID,
    ENV_SERVER_URL,
    ConnectionSettings,
    GeneralSettings,
    LoginMethod,
    ServerKind,
    Settings,
    admin_defaults_from_raw,
    load_settings,
    save_settings,
)
from ringdesk.paths import app_paths
from ringdesk.settings_keeper import SettingsKeeper

CORP = {
    "schema_version": 1,
    "connection": {"server": "partner", "client_id": "corp-app", "login_method": "system_browser"},
    "general": {"close_to_tray": False, "notify_ended": False},
    "dialer": {"default_country": "GB"},
}


@pytest.fixture
def system(tmp_path: Path) -> Path:
    """The most important system config folder (what /etc/xdg is on a real machine)."""
    folder = tmp_path / "etc-xdg"
    folder.mkdir()
    return folder


@pytest.fixture
def env(system: Path, tmp_path: Path) -> dict[str, str]:
    return {"XDG_CONFIG_DIRS": f"{system}:{tmp_path / 'less-important'}"}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "home" / "config" / "settings.json"


def preset(folder: Path, data: dict[str, Any] | str | bytes) -> Path:
    """Write the administrator's file under `folder`, as an administrator (or the .deb) would."""
    target = folder / "RingDesk" / "defaults.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        target.write_bytes(data)
    else:
        target.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return target


def on_disk(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- where the file is ---------------------------------------------------------------------------


def test_the_default_place_is_etc_xdg_and_relative_folders_are_ignored(tmp_path: Path) -> None:
    assert xdg_config_dirs({}) == [Path("/etc/xdg")]
    assert xdg_config_dirs({"XDG_CONFIG_DIRS": ""}) == [Path("/etc/xdg")]
    assert xdg_config_dirs({"XDG_CONFIG_DIRS": f"relative/xdg::{tmp_path}"}) == [tmp_path]


def test_the_first_folder_that_has_the_file_wins_whole(system: Path, tmp_path: Path) -> None:
    second = tmp_path / "second"
    preset(second, {"connection": {"client_id": "second"}, "general": {"start_minimized": True}})
    env = {"XDG_CONFIG_DIRS": f"{tmp_path / 'empty'}:{system}:{second}"}
    assert find_xdg_defaults(env) == second / "RingDesk" / "defaults.json"
    preset(system, {"connection": {"client_id": "first"}})
    assert find_xdg_defaults(env) == system / "RingDesk" / "defaults.json"
    settings = load_settings(tmp_path / "settings.json", environ=env).settings
    assert settings.connection.client_id == "first"
    assert settings.general.start_minimized is False, "files further down are not merged in"


def test_the_persons_own_config_folder_is_not_searched(tmp_path: Path, path: Path) -> None:
    home_config = tmp_path / "home-config"
    preset(home_config, {"connection": {"client_id": "not-an-admin"}})
    env = {"XDG_CONFIG_HOME": str(home_config), "XDG_CONFIG_DIRS": str(tmp_path / "nothing")}
    assert read_admin_defaults(env, platform="linux") is None
    assert load_settings(path, environ=env).settings.connection.client_id == ""


# --- what applies --------------------------------------------------------------------------------


def test_the_administrators_defaults_apply_to_a_new_person(
    system: Path, env: dict[str, str], path: Path
) -> None:
    source = preset(system, CORP)
    result = load_settings(path, environ=env)
    assert result.problems == []
    settings = result.settings
    assert settings.connection.server is ServerKind.PARTNER
    assert settings.connection.client_id == "corp-app"
    assert settings.connection.login_method is LoginMethod.SYSTEM_BROWSER
    assert settings.general.close_to_tray is False and settings.general.notify_ended is False
    assert settings.general.notify_failed is True, "what the administrator left out is RingDesk's default"
    assert settings.dialer.default_country == "GB"
    assert result.admin.source == str(source)
    assert result.locked == frozenset()
    assert not path.exists(), "loading writes nothing"


def test_the_persons_file_beats_defaults_that_are_not_locked(
    system: Path, env: dict[str, str], path: Path
) -> None:
    preset(system, CORP)
    save_settings(Settings(connection=ConnectionSettings(client_id="my-app")), path)
    settings = load_settings(path, environ=env).settings
    assert settings.connection.client_id == "my-app"
    # The file written by save_settings holds every field, so the person's own choice wins everywhere.
    assert settings.connection.server is ServerKind.RINGCENTRAL
    assert settings.general.close_to_tray is True


def test_a_lock_beats_the_persons_file_and_the_environment(
    system: Path, env: dict[str, str], path: Path
) -> None:
    preset(system, {**CORP, "locked": ["connection.client_id", "general.close_to_tray"]})
    save_settings(
        Settings(
            connection=ConnectionSettings(client_id="my-app"), general=GeneralSettings(close_to_tray=True)
        ),
        path,
    )
    result = load_settings(
        path, environ={**env, ENV_CLIENT_ID: "from-env", ENV_SERVER_URL: "http://127.0.0.1:9"}
    )
    assert result.settings.connection.client_id == "corp-app"
    assert result.settings.general.close_to_tray is False
    assert result.locked == {"connection.client_id", "general.close_to_tray"}
    assert result.locked_fields("connection") == {"client_id"}
    # What is not locked still follows the environment, for this run.
    assert result.settings.connection.server_url() == "http://127.0.0.1:9"
    assert result.overrides == (ENV_SERVER_URL,)
    assert result.problems == ["RINGDESK_CLIENT_ID is ignored: your administrator set the client ID."]
    assert result.stored is not None and result.stored.connection.client_id == "my-app"


def test_a_lock_without_a_value_holds_ringdesks_default_and_the_server_locks_its_address(
    system: Path, env: dict[str, str], path: Path
) -> None:
    preset(system, {"locked": ["general.start_minimized", "connection.server"]})
    save_settings(
        Settings(
            connection=ConnectionSettings(
                server=ServerKind.CUSTOM, custom_server_url="https://rc.example.com"
            ),
            general=GeneralSettings(start_minimized=True),
        ),
        path,
    )
    result = load_settings(path, environ=env)
    assert result.settings.general.start_minimized is False
    assert result.settings.connection.server is ServerKind.RINGCENTRAL
    assert result.settings.connection.custom_server_url == ""
    assert result.locked_fields("connection") == {"server", "custom_server_url"}


# --- what is saved -------------------------------------------------------------------------------


def test_locked_values_and_untouched_presets_never_reach_the_persons_file(
    system: Path, env: dict[str, str], path: Path
) -> None:
    preset(system, {**CORP, "locked": ["connection.server", "general.notify_ended"]})
    path.parent.mkdir(parents=True)
    # A person who set their own client ID and notifications before the administrator locked them.
    path.write_text(json.dumps({"schema_version": 1, "general": {"notify_ended": True}}))
    keeper = SettingsKeeper.load(path, environ=env)
    system_before = tree(system)

    keeper.save_general(GeneralSettings(close_to_tray=False, notify_ended=False, start_minimized=True))
    connection = keeper.settings.connection
    keeper.save_connection(replace(connection, client_id="my-own-app"))
    # A caller that tries to change a locked setting changes nothing, in use or on disk.
    keeper.save_connection(replace(keeper.settings.connection, server=ServerKind.CUSTOM))

    assert keeper.settings.connection.server is ServerKind.PARTNER
    assert keeper.settings.connection.client_id == "my-own-app"
    assert keeper.settings.general.start_minimized is True
    data = on_disk(path)
    assert data["general"]["notify_ended"] is True, "the person's own value stays, untouched"
    assert data["general"]["start_minimized"] is True
    assert data["connection"]["client_id"] == "my-own-app"
    assert "server" not in data["connection"] and "custom_server_url" not in data["connection"]
    assert "close_to_tray" not in data["general"], "a preset the person kept stays the administrator's"
    assert "login_method" not in data["connection"]
    assert "default_country" not in data["dialer"]
    assert tree(system) == system_before, "nothing is ever written next to the administrator's file"


def test_unlocking_restores_the_persons_value_and_a_new_preset_reaches_them(
    system: Path, env: dict[str, str], path: Path
) -> None:
    preset(system, {**CORP, "locked": ["general.notify_ended"]})
    save_settings(Settings(general=GeneralSettings(notify_ended=True)), path)
    keeper = SettingsKeeper.load(path, environ=env)
    assert keeper.settings.general.notify_ended is False
    keeper.save_dialer(keeper.settings.dialer)  # any save

    preset(system, {**CORP, "connection": {**CORP["connection"], "client_id": "corp-app-2"}})
    settings = load_settings(path, environ=env).settings
    assert settings.general.notify_ended is True, "the person's own value is back"

    # A person whose file does not hold the client ID follows the administrator's new preset.
    fresh = path.with_name("fresh.json")
    SettingsKeeper.load(fresh, environ=env).save_general(GeneralSettings(start_minimized=True))
    preset(system, {"connection": {"client_id": "corp-app-3"}})
    assert load_settings(fresh, environ=env).settings.connection.client_id == "corp-app-3"


def test_the_demo_keeps_its_own_connection_but_locked_preferences_hold(
    system: Path, env: dict[str, str], path: Path
) -> None:
    preset(system, {**CORP, "locked": ["connection.server", "connection.client_id", "general.close_to_tray"]})
    demo = ConnectionSettings(server=ServerKind.SIMULATOR, client_id="ringdesk-demo")
    keeper = SettingsKeeper.load(path, environ=env, demo_connection=demo)
    assert keeper.settings.connection == demo
    assert keeper.locked_fields("connection") == frozenset()
    assert keeper.locked_fields("general") == {"close_to_tray"}
    keeper.save_general(GeneralSettings(close_to_tray=True, start_minimized=True))
    assert keeper.settings.general.close_to_tray is False
    assert keeper.settings.connection == demo
    data = on_disk(path)
    assert "close_to_tray" not in data["general"] and data["general"]["start_minimized"] is True
    assert "client_id" not in data["connection"], "neither the demo's nor the administrator's"


# --- a file that cannot be used ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "it is not valid JSON"),
        ('["connection"]', "it does not hold a JSON object"),
        (b'{"connection": {"client_id": "\xff"}}', "it is not UTF-8 text"),
        (None, "it could not be read (is a directory)"),
    ],
)
def test_a_broken_administrator_file_is_reported_and_ignored(
    system: Path, env: dict[str, str], path: Path, content: str | bytes | None, reason: str
) -> None:
    if content is None:
        # Unreadable even for root: a folder where the file should be.
        (system / "RingDesk" / "defaults.json").mkdir(parents=True)
        source = system / "RingDesk" / "defaults.json"
    else:
        source = preset(system, content)
    # A valid file further down is not used instead: it was not meant to apply.
    preset(Path(env["XDG_CONFIG_DIRS"].split(":")[1]), CORP)
    save_settings(Settings(connection=ConnectionSettings(client_id="my-app")), path)
    system_before = tree(system)

    keeper = SettingsKeeper.load(path, environ=env)
    assert keeper.settings.connection.client_id == "my-app"
    assert keeper.settings.connection.server is ServerKind.RINGCENTRAL
    (sentence,) = keeper.problems
    assert sentence.startswith(
        f"The defaults your administrator set in {source} could not be used because {reason}"
    )
    assert sentence.endswith("; RingDesk ignored them.")
    keeper.save_general(GeneralSettings(start_minimized=True))
    assert tree(system) == system_before, "no copy set aside, nothing written there"
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]


def test_unusable_values_are_sentences_and_the_rest_applies(
    system: Path, env: dict[str, str], path: Path
) -> None:
    source = preset(
        system,
        {
            "schema_version": 1,
            "connection": {
                "server": "moon",
                "client_id": "corp-app",
                "client_secret": "s3cr3t",
                "colour": "red",
            },
            "general": {"close_to_tray": "no"},
            "dialer": {"phone_number": "+16505550122"},
            "api_token": "abc",
            "locked": ["connection.server", "connection.client_id", "dialer.caller_id", "general.nope"],
        },
    )
    result = load_settings(path, environ=env)
    where = f"your administrator's defaults ({source})"
    assert result.problems == [
        f'Your administrator\'s defaults ({source}) hold "connection.client_secret", which looks like a '
        "secret: RingDesk never takes one from a file (each person's are kept in their keyring), so it "
        "was ignored.",
        f'RingDesk has no setting "connection.colour"; {where} cannot preset it.',
        f"The server 'moon' in {where} is not one of: ringcentral, partner, custom, simulator.",
        f"The \"close to the tray\" switch in {where} must be true or false, not 'no'.",
        f"The number to ring first is each person's own; {where} cannot preset it.",
        f'Your administrator\'s defaults ({source}) hold "api_token", which looks like a secret: '
        "RingDesk never takes one from a file (each person's are kept in their keyring), so it was ignored.",
        f"The caller ID is each person's own; {where} cannot lock it.",
        f'RingDesk has no setting "general.nope"; {where} cannot lock it.',
        f"RingDesk left out each of these and used the rest of {where}.",
    ]
    assert result.settings.connection.client_id == "corp-app"
    assert result.locked == {"connection.client_id"}, "a lock on an unusable value is dropped"
    assert "s3cr3t" not in repr(result)


def test_names_from_a_newer_schema_are_left_alone(system: Path, env: dict[str, str], path: Path) -> None:
    preset(
        system,
        {
            "schema_version": 2,
            "connection": {"client_id": "corp-app", "future": 1},
            "push": {},
            "locked": ["connection.client_id", "push.channel"],
        },
    )
    result = load_settings(path, environ=env)
    assert result.problems == []
    assert result.locked == {"connection.client_id"}


# --- RINGDESK_HOME -------------------------------------------------------------------------------


def test_a_separate_profile_still_gets_the_machines_defaults_and_locks(
    system: Path, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RINGDESK_HOME moves the person's own files only: presets and locks are the machine's, so a
    profile of its own (tests, a portable copy) gets them like any other. A test that must not see
    the machine's real file points XDG_CONFIG_DIRS at a folder of its own, as this one does."""
    preset(system, {**CORP, "locked": ["connection.client_id"]})
    home = tmp_path / "profile"
    monkeypatch.setenv("RINGDESK_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_DIRS", env["XDG_CONFIG_DIRS"])
    monkeypatch.delenv(ENV_CLIENT_ID, raising=False)
    settings_file = app_paths().settings_file
    assert settings_file == home / "config" / "settings.json"

    keeper = SettingsKeeper.load(settings_file)
    assert keeper.settings.connection.client_id == "corp-app"
    assert keeper.locked_fields("connection") == {"client_id"}
    keeper.save_general(GeneralSettings(start_minimized=True))
    assert on_disk(settings_file)["general"]["start_minimized"] is True
    assert "client_id" not in on_disk(settings_file)["connection"]
    assert not (system / "RingDesk" / "settings.json").exists()


# --- Windows and macOS, as far as they run here --------------------------------------------------


def test_registry_values_become_the_files_structure() -> None:
    reg_sz, reg_dword, reg_multi_sz = 1, 4, 7
    data = registry_to_dict(
        [
            ("Connection.Client_ID", "corp-app", reg_sz),
            ("general.close_to_tray", 0, reg_dword),
            ("general.notify_ended", 2, reg_dword),
            ("schema_version", 1, reg_dword),
            ("Locked", ["connection.client_id", "general.close_to_tray"], reg_multi_sz),
        ]
    )
    assert data == {
        "connection": {"client_id": "corp-app"},
        "general": {"close_to_tray": False, "notify_ended": 2},
        "schema_version": 1,
        "locked": ["connection.client_id", "general.close_to_tray"],
    }
    admin, problems = admin_defaults_from_raw(RawAdminDefaults(r"HKLM\Software\Policies\RingDesk", data))
    assert admin.values["general.close_to_tray"] is False
    assert admin.locked == {"connection.client_id", "general.close_to_tray"}
    assert problems[0] == (
        'The "notify when a call ends" switch in your administrator\'s defaults '
        r"(HKLM\Software\Policies\RingDesk) must be true or false, not 2."
    )


def test_managed_preferences_are_read_from_a_real_property_list(tmp_path: Path) -> None:
    plist = tmp_path / "com.ringdesk.RingDesk.plist"
    assert read_plist_defaults(plist) is None
    plist.write_bytes(plistlib.dumps({**CORP, "locked": ["connection.client_id"]}, fmt=plistlib.FMT_BINARY))
    raw = read_plist_defaults(plist)
    assert raw is not None and raw.problem is None
    admin, problems = admin_defaults_from_raw(raw)
    assert problems == []
    assert admin.values["connection.client_id"] == "corp-app" and admin.locked == {"connection.client_id"}
    plist.write_bytes(b"bplist00 damaged")
    damaged = read_plist_defaults(plist)
    assert damaged is not None and damaged.data is None
    assert damaged.problem is not None and damaged.problem.startswith("it is not a valid property list")
