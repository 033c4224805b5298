"""A connection per account and server, built by the connector: against the simulator, with no screen."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from keyring.backends import fail

from ringdesk.calls import Phase
from ringdesk.config import ConnectionSettings, LoginMethod, ServerKind
from ringdesk.connection import AccountLoader, Connection, Connector, NotSetUp, NotSignedIn, StartUpSignIn
from ringdesk.numbers import DialTarget
from ringdesk.platforms.base import Identity, PlatformKind
from ringdesk.simulator import SimulatorControl
from ringdesk.storage.history import CallHistory
from tests.conftest import fast_scenario
from tests.fakes import MemoryKeyring, until

SIMULATOR = ConnectionSettings(server=ServerKind.SIMULATOR, client_id="ringdesk-demo")


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
    ("ask", "demo", "expected"),
    [
        (True, False, StartUpSignIn.ASK),
        (False, False, StartUpSignIn.STAY_SIGNED_OUT),
        (False, True, StartUpSignIn.OPEN_SIGN_IN),
    ],
)
async def test_start_up_without_a_stored_sign_in(
    connector: Connector, ask: bool, demo: bool, expected: StartUpSignIn
) -> None:
    connection = await connect(connector)
    assert await connection.sign_in_at_start(ask_at_start=ask, demo=demo) is expected
    assert connection.identity is None
    with pytest.raises(NotSignedIn):
        await connection.account_phones()
    await connection.aclose()


async def test_start_up_with_a_stored_jwt_signs_in_without_a_question(connector: Connector) -> None:
    connection = await connect(connector, replace(SIMULATOR, login_method=LoginMethod.JWT))
    assert connector.simulator is not None
    jwt = connector.simulator.scenario.account.users[0].jwt_credential or ""
    await connection.store.save_secret("jwt", jwt)
    assert await connection.sign_in_at_start(ask_at_start=True, demo=False) is StartUpSignIn.SIGNED_IN
    assert connection.identity is not None and connection.identity.extension_number == "101"
    assert connection.can_hang_up(), "the demo app holds the Call Control permission"
    phones = await connection.account_phones()
    assert phones.home_country == "US" and len(phones.phones) == 5
    await connection.aclose()


async def test_push_runs_while_signed_in_through_a_token_refresh_and_stops_at_sign_out(
    connector: Connector,
) -> None:
    connection = await connect(connector, replace(SIMULATOR, login_method=LoginMethod.JWT))
    assert connector.simulator is not None
    feed = connection.platform.call_feed
    assert feed is not None and not feed.live, "no push before sign-in"
    jwt = connector.simulator.scenario.account.users[0].jwt_credential or ""
    await connection.session.sign_in_with_jwt(jwt, remember=False)
    await until(lambda: feed.live, 10, "push to be live")

    with SimulatorControl(connector.simulator.base_url) as control:
        control.set_timings(caller_ring=0.1, callee_ring=0.1, talk=30.0)
        control.expire_tokens("access")  # the socket lives on; the next REST request renews the token
        assert connection.calls is not None
        phone = (await connection.account_phones()).phones[0]
        target = DialTarget(
            e164="+14155550199", display="+1 415-555-0199", region_code="US", region_name="US"
        )
        call = await connection.calls.place(
            target, from_=phone, from_label=None, caller_id=None, play_prompt=False
        )
        await until(lambda: call.state.phase is Phase.CONNECTED, 10, "the call to connect by push")
        await call.cancel()  # hang up: the session the events named
        assert (await call.wait_finished()).phase is Phase.ENDED
        assert connection.session.refresh_count == 1
        assert not [r for r in control.requests() if r["method"] == "GET" and "/ring-out/" in r["path"]]

        await connection.session.sign_out()
        await until(lambda: control.push_info()["open"] == 0 and not feed.live, 10, "push to stop")
        connects = control.push_info()["connections"]
        await asyncio.sleep(1.5)  # longer than the first back-off: nothing tries to connect again
        assert control.push_info()["connections"] == connects
    await connection.aclose()


async def test_a_refused_stored_jwt_is_the_prompts_problem(connector: Connector) -> None:
    connection = await connect(connector, replace(SIMULATOR, login_method=LoginMethod.JWT))
    await connection.store.save_secret("jwt", "not-a-jwt")
    assert await connection.sign_in_at_start(ask_at_start=True, demo=False) is StartUpSignIn.ASK
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


async def test_stored_tokens_sign_in_again_without_a_question(connector: Connector, tmp_path: Path) -> None:

    keyring = MemoryKeyring()
    remembering = Connector(history=None, scenario=fast_scenario(), keyring_backend=keyring)
    try:
        first = await connect(remembering, replace(SIMULATOR, login_method=LoginMethod.JWT))
        assert remembering.simulator is not None
        jwt = remembering.simulator.scenario.account.users[0].jwt_credential or ""
        await first.session.sign_in_with_jwt(jwt, remember=False)
        await first.aclose()
        # Same server and app, JWT not kept: only the stored tokens can sign in now.
        again = await connect(remembering, replace(SIMULATOR, login_method=LoginMethod.JWT))
        assert await again.sign_in_at_start(ask_at_start=True, demo=False) is StartUpSignIn.SIGNED_IN
        await again.aclose()
    finally:
        await remembering.aclose()


async def test_the_demo_forgets_only_the_simulators_sign_in(connector: Connector) -> None:

    keyring = MemoryKeyring()
    demo = Connector(history=None, demo=True, scenario=fast_scenario(), keyring_backend=keyring)
    try:
        simulated = await connect(demo)
        await simulated.store.save_secret("jwt", "demo-jwt")
        assert demo.simulator is not None
        real = replace(SIMULATOR, server=ServerKind.CUSTOM, custom_server_url=demo.simulator.base_url)
        await simulated.aclose()
        assert await demo.store_for(SIMULATOR, simulated.server_url).load_secret("jwt") is None

        elsewhere = await connect(demo, real)
        await elsewhere.store.save_secret("jwt", "my-jwt")
        await elsewhere.aclose()
        assert await demo.store_for(real, elsewhere.server_url).load_secret("jwt") == "my-jwt"
    finally:
        await demo.aclose()


async def test_the_settings_dialog_keeps_a_secret_in_the_live_connections_store(connector: Connector) -> None:
    connection = await connect(connector)
    assert connector.secret_store(SIMULATOR, live=connection) is connection.store
    other = replace(SIMULATOR, client_id="ringdesk-confidential")
    store = connector.secret_store(other, live=connection)
    assert store is not None and store is not connection.store
    assert connector.secret_store(replace(SIMULATOR, client_id=" "), live=connection) is None
    custom = replace(SIMULATOR, server=ServerKind.CUSTOM, custom_server_url="")
    assert connector.secret_store(custom, live=connection) is None
    await connection.aclose()


async def test_closing_never_raises(connector: Connector) -> None:
    connection = await connect(connector)

    async def broken() -> None:
        raise RuntimeError("a bug while closing")

    connection.platform.aclose = broken  # type: ignore[method-assign]
    await connection.aclose()


DANA = Identity("", "400131005009", "101", "Dana Operator")
ALEX = Identity("", "400131005010", "102", "Alex Second")


def test_phones_load_once_per_person() -> None:
    loader = AccountLoader()
    assert not loader.should_load(None)
    assert loader.should_load(DANA)
    assert not loader.should_load(DANA), "the session publishes often; one load is enough"
    assert loader.should_load(ALEX)
    loader.forget()
    assert loader.should_load(ALEX)


async def test_a_failed_load_is_tried_again_at_the_next_change() -> None:
    loader = AccountLoader()
    assert loader.should_load(DANA)
    with pytest.raises(NotSignedIn):
        await loader.load(None)
    assert loader.should_load(DANA)


def test_the_picker_is_offered_once_and_only_without_a_phone() -> None:
    loader = AccountLoader()
    assert not loader.offer_picker(phone_chosen=True)
    assert loader.offer_picker(phone_chosen=False)
    assert not loader.offer_picker(phone_chosen=False)
