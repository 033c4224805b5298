"""The settings keeper: what is in use, what reaches the file, and what never does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringdesk.config import (
    ConnectionSettings,
    DialerSettings,
    GeneralSettings,
    ServerKind,
    Settings,
    save_settings,
)
from ringdesk.settings_keeper import SettingsKeeper

DEMO = ConnectionSettings(server=ServerKind.SIMULATOR, client_id="ringdesk-demo")
MINE = ConnectionSettings(client_id="my-app")
MY_PHONE = DialerSettings(forwarding_number_id="1", phone_number="+16505550122", phone_label="Mobile")


def stored(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    file = tmp_path / "settings.json"
    save_settings(Settings(connection=MINE, dialer=MY_PHONE), file)
    return file


def test_each_section_is_in_use_at_once_and_saved(path: Path) -> None:
    keeper = SettingsKeeper.load(path, environ={})
    general = GeneralSettings(start_minimized=True)
    keeper.save_general(general)
    keeper.save_dialer(DialerSettings(phone_number="+16505550177"))
    keeper.save_connection(ConnectionSettings(client_id="other-app"))
    assert keeper.settings.general == general
    on_disk = stored(path)
    assert on_disk["general"]["start_minimized"] is True
    assert on_disk["dialer"]["phone_number"] == "+16505550177"
    assert on_disk["connection"]["client_id"] == "other-app"
    assert keeper.problems == []


def test_the_demo_keeps_its_connection_and_phone_in_memory(path: Path) -> None:
    keeper = SettingsKeeper.load(path, environ={}, demo_connection=DEMO)
    assert keeper.settings.connection == DEMO
    assert keeper.settings.dialer == DialerSettings(), "the demo account's phones are not the person's"
    keeper.save_dialer(DialerSettings(phone_number="+16505550122"))
    keeper.save_general(GeneralSettings(close_to_tray=False))
    assert keeper.settings.dialer.phone_number == "+16505550122"
    on_disk = stored(path)
    assert on_disk["connection"]["client_id"] == "my-app"
    assert on_disk["dialer"]["forwarding_number_id"] == "1"
    assert on_disk["general"]["close_to_tray"] is False, "preferences are the person's, also in the demo"


def test_environment_overrides_are_for_this_run_only(path: Path) -> None:
    keeper = SettingsKeeper.load(path, environ={"RINGDESK_CLIENT_ID": "from-the-environment"})
    assert keeper.settings.connection.client_id == "from-the-environment"
    assert keeper.problems == ["Set by the environment for this run: RINGDESK_CLIENT_ID."]
    keeper.save_connection(keeper.settings.connection)
    keeper.save_general(GeneralSettings(start_minimized=True))
    assert stored(path)["connection"]["client_id"] == "my-app"


def test_a_file_that_cannot_be_written_raises_and_the_change_is_still_in_use(path: Path) -> None:
    keeper = SettingsKeeper.load(path, environ={})
    # A folder where the file should be: writing fails even for root, as a full disk would.
    path.unlink()
    path.mkdir()
    with pytest.raises(OSError):
        keeper.save_general(GeneralSettings(start_minimized=True))
    assert keeper.settings.general.start_minimized is True
