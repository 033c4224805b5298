"""A connection per account and server, built by the connector: against the simulator, with no screen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from keyring.backends import fail

from ringdesk.config import ConnectionSettings, GeneralSettings, LoginMethod, ServerKind, Settings
from ringdesk.connection import Connection, Connector, NotSetUp, NotSignedIn, StartUpSignIn
from ringdesk.platforms.base import PlatformKind
from ringdesk.storage.history import CallHistory
from tests.conftest import fast_scenario

SIMULATOR = ConnectionSettings(server=ServerKind.SIMULATOR, client_id="ringdesk-demo")
ASK = Settings(general=GeneralSettings(ask_to_sign_in_at_start=True))
DO_NOT_ASK = Settings(general=GeneralSettings(ask_to_sign_in_at_start=False))


@pytest.fixture
async def history(tmp_path: Path) -> AsyncIterator[CallHistory]:
    async with await CallHistory.open(tmp_path / "history.sqlite3") as opened:
        yield opened


@pytest.fixture
async def connector(history: CallHistory) -> AsyncIterator[Connector]:
    made = Connector(history=history, scenario=fast_scenario(), keyring_backend=fail.Keyring())
    yield made
    await made.aclose()
    assert made.simulator is None


async def connect(connector: Connector, settings: ConnectionSettings = SIMULATOR) -> Connection:
    built = await connector.connect(settings)
    assert isinstance(built, Connection), built
    return built


async def test_the_simulator_runs_while_a_connection_names_it(connector: Connector) -> None:
    connection = await connect(connector)
    assert connector.simulator is not None and connector.simulator.running
    assert connection.server_url == connector.simulator.base_url
    assert connection.platform.kind is PlatformKind.RINGCENTRAL
    assert connection.calls is not None
    assert connection.description.server_label == "Built-in simulator"
    assert connection.description.secret_storage is None, "keyring's fail backend keeps nothing"
    await connection.aclose()
    assert connection.platform.client.closed

    custom = replace(SIMULATOR, server=ServerKind.CUSTOM, custom_server_url=connection.server_url)
    other = await connect(connector, custom)
    assert connector.simulator is None, "a connection elsewhere stops the built-in simulator"
    await other.aclose()


async def test_settings_that_cannot_work_say_why(connector: Connector) -> None:
    built = await connector.connect(replace(SIMULATOR, server=ServerKind.CUSTOM, custom_server_url=""))
    assert isinstance(built, NotSetUp)
    assert built.problems and all(problem.endswith(".") for problem in built.problems)
    assert built.description.server_label == "Custom server"


async def test_without_a_history_no_call_can_be_placed() -> None:
    connector = Connector(history=None, scenario=fast_scenario(), keyring_backend=fail.Keyring())
    try:
        connection = await connect(connector)
        assert connection.calls is None
        await connection.aclose()
    finally:
        await connector.aclose()


@pytest.mark.parametrize(
    ("settings", "demo", "expected"),
    [
        (ASK, False, StartUpSignIn.ASK),
        (DO_NOT_ASK, False, StartUpSignIn.STAY_SIGNED_OUT),
        (DO_NOT_ASK, True, StartUpSignIn.OPEN_SIGN_IN),
    ],
)
async def test_start_up_without_a_stored_sign_in(
    connector: Connector, settings: Settings, demo: bool, expected: StartUpSignIn
) -> None:
    connection = await connect(connector)
    assert await connection.sign_in_at_start(settings, demo=demo) is expected
    assert connection.identity is None
    with pytest.raises(NotSignedIn):
        await connection.account_phones()
    await connection.aclose()


async def test_start_up_with_a_stored_jwt_signs_in_without_a_question(connector: Connector) -> None:
    connection = await connect(connector, replace(SIMULATOR, login_method=LoginMethod.JWT))
    assert connector.simulator is not None
    jwt = connector.simulator.scenario.account.users[0].jwt_credential or ""
    await connection.store.save_secret("jwt", jwt)
    assert await connection.sign_in_at_start(ASK, demo=False) is StartUpSignIn.SIGNED_IN
    assert connection.identity is not None and connection.identity.extension_number == "101"
    assert connection.can_hang_up(), "the demo app holds the Call Control permission"
    phones = await connection.account_phones()
    assert phones.home_country == "US" and len(phones.phones) == 5
    await connection.aclose()


async def test_a_refused_stored_jwt_is_the_prompts_problem(connector: Connector) -> None:
    connection = await connect(connector, replace(SIMULATOR, login_method=LoginMethod.JWT))
    await connection.store.save_secret("jwt", "not-a-jwt")
    assert await connection.sign_in_at_start(ASK, demo=False) is StartUpSignIn.ASK
    assert (
        connection.start_up_problem
        == "The JWT credential was not accepted; it may have expired or been revoked."
    )
    await connection.aclose()


async def test_a_missing_client_secret_is_a_notice(connector: Connector) -> None:
    confidential = replace(SIMULATOR, client_id="ringdesk-confidential", use_client_secret=True)
    connection = await connect(connector, confidential)
    assert connection.notice == (
        "The client secret is missing from the keyring; enter it in Connection settings."
    )
    await connection.aclose()
