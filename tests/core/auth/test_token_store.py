"""The token store with an in-memory keyring backend, and with no usable backend at all."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.backend
import keyring.errors
import pytest
from keyring.backends import chainer, fail

from ringdesk.auth import TokenStore
from ringdesk.auth.token_store import KEYRING_SERVICE
from ringdesk.platforms.ringcentral import TokenSet
from tests.fakes import MemoryKeyring

SERVER = "https://platform.example.test"
CLIENT = "client-1"


def tokens(owner: str = "101", access: str = "access-1", refresh: str = "refresh-1") -> TokenSet:
    return TokenSet(
        access_token=access,
        expires_in=3600,
        issued_at=1_800_000_000.0,
        refresh_token=refresh,
        refresh_token_expires_in=604800,
        scope="ReadAccounts RingOut",
        owner_id=owner,
        endpoint_id="ep",
        session_id="s-1",
    )


class BrokenKeyring(MemoryKeyring):
    """A backend that looks usable until first used: a locked or vanished Secret Service."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt's file backend (only its module name matters to the store)."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and the XDG folders in an empty tmp folder, to prove nothing is written anywhere."""
    home = tmp_path / "home"
    for name, sub in (
        ("HOME", ""),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        folder = home / sub
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(folder))
    return home


def files_under(folder: Path) -> list[Path]:
    return [Path(root) / f for root, _, names in os.walk(folder) for f in names]


async def test_round_trip(memory_keyring: MemoryKeyring) -> None:
    store = TokenStore(SERVER, CLIENT, backend=memory_keyring)
    assert store.persistent
    assert store.unavailable_reason is None
    assert await store.load_tokens() is None
    await store.save_tokens(tokens())
    loaded = await store.load_tokens()
    assert loaded == tokens()
    # A fresh store (a restart) over the same keyring finds them too.
    assert await TokenStore(SERVER + "/", CLIENT, backend=memory_keyring).load_tokens() == tokens()


async def test_entries_are_keyed_by_server_client_and_account(memory_keyring: MemoryKeyring) -> None:
    store = TokenStore(SERVER, CLIENT, backend=memory_keyring)
    await store.save_tokens(tokens(owner="101"))
    keys = {user for service, user in memory_keyring.entries if service == KEYRING_SERVICE}
    assert f"{SERVER}|{CLIENT}|account:101|tokens" in keys
    assert f"{SERVER}|{CLIENT}|index" in keys
    stored = json.loads(memory_keyring.entries[(KEYRING_SERVICE, f"{SERVER}|{CLIENT}|account:101|tokens")])
    assert stored == tokens(owner="101").to_stored()
    index = memory_keyring.entries[(KEYRING_SERVICE, f"{SERVER}|{CLIENT}|index")]
    assert "access-1" not in index and "refresh-1" not in index

    other_server = TokenStore("https://platform.other.test", CLIENT, backend=memory_keyring)
    other_client = TokenStore(SERVER, "client-2", backend=memory_keyring)
    assert await other_server.load_tokens() is None
    assert await other_client.load_tokens() is None
    await other_server.save_tokens(tokens(access="other"))
    assert (await store.load_tokens()) == tokens()
    assert (await other_server.load_tokens()) == tokens(access="other")


async def test_the_last_account_is_restored_and_clear_removes_all(memory_keyring: MemoryKeyring) -> None:
    store = TokenStore(SERVER, CLIENT, backend=memory_keyring)
    await store.save_tokens(tokens(owner="101", access="a-101"))
    await store.save_tokens(tokens(owner="102", access="a-102"))
    loaded = await store.load_tokens()
    assert loaded is not None and loaded.access_token == "a-102"
    await store.save_secret("jwt", "the-jwt")
    await store.save_secret("client_secret", "the-secret")
    other = TokenStore("https://platform.other.test", CLIENT, backend=memory_keyring)
    await other.save_tokens(tokens())

    await store.clear()

    assert await store.load_tokens() is None
    assert await store.load_secret("jwt") is None
    # The client secret is the app's configuration, not the person's sign-in: it stays.
    assert await store.load_secret("client_secret") == "the-secret"
    left = {user for _, user in memory_keyring.entries}
    assert left == {
        f"{SERVER}|{CLIENT}|client_secret",
        f"https://platform.other.test|{CLIENT}|account:101|tokens",
        f"https://platform.other.test|{CLIENT}|index",
    }
    await store.delete_secret("client_secret")
    assert await store.load_secret("client_secret") is None


async def test_delete_tokens_of_one_account(memory_keyring: MemoryKeyring) -> None:
    store = TokenStore(SERVER, CLIENT, backend=memory_keyring)
    await store.save_tokens(tokens(owner="101"))
    await store.save_identity("101", {"extension_id": "101", "name": "Dana"})
    assert await store.load_identity("101") == {"extension_id": "101", "name": "Dana"}
    await store.delete_tokens("101")
    assert await store.load_tokens() is None
    assert await store.load_identity("101") is None


async def test_unknown_secret_names_are_refused(memory_keyring: MemoryKeyring) -> None:
    store = TokenStore(SERVER, CLIENT, backend=memory_keyring)
    with pytest.raises(ValueError):
        await store.save_secret("password", "x")  # type: ignore[arg-type]


async def test_damaged_entry_reads_as_none(memory_keyring: MemoryKeyring) -> None:
    store = TokenStore(SERVER, CLIENT, backend=memory_keyring)
    await store.save_tokens(tokens())
    memory_keyring.entries[(KEYRING_SERVICE, f"{SERVER}|{CLIENT}|account:101|tokens")] = "{not json"
    assert await store.load_tokens() is None


async def test_no_backend_keeps_tokens_in_memory_only(isolated_home: Path) -> None:
    store = TokenStore(SERVER, CLIENT, backend=fail.Keyring())
    assert store.persistent is False
    assert store.backend_name == "memory only"
    assert store.unavailable_reason is not None
    assert "sign in each time" in store.unavailable_reason
    assert "install a keyring such as GNOME Keyring" in store.unavailable_reason  # what to do, no jargon
    assert await store.load_tokens() is None

    await store.save_tokens(tokens())
    await store.save_secret("jwt", "the-jwt")
    assert await store.load_tokens() == tokens()  # this run still has them
    assert await TokenStore(SERVER, CLIENT, backend=fail.Keyring()).load_tokens() is None  # a restart not
    await store.clear()
    assert await store.load_tokens() is None
    assert files_under(isolated_home) == []


async def test_chainer_with_nothing_behind_it_is_no_backend(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    store = TokenStore(SERVER, CLIENT, backend=chainer.ChainerBackend())
    assert store.persistent is False
    assert store.unavailable_reason is not None
    await store.save_tokens(tokens())
    assert files_under(isolated_home) == []


async def test_plaintext_backends_are_refused(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plaintext = PlaintextKeyring()
    store = TokenStore(SERVER, CLIENT, backend=plaintext)
    assert store.persistent is False
    assert store.unavailable_reason is not None and "plain file" in store.unavailable_reason
    await store.save_tokens(tokens())
    assert plaintext.entries == {}

    # Behind a chainer, the plaintext backend is skipped for a real one.
    memory = MemoryKeyring()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [plaintext, memory])
    chained = TokenStore(SERVER, CLIENT, backend=chainer.ChainerBackend())
    assert chained.persistent is True
    await chained.save_tokens(tokens())
    assert plaintext.entries == {} and memory.entries
    assert files_under(isolated_home) == []


@pytest.mark.parametrize(
    "error", [keyring.errors.KeyringLocked("locked"), keyring.errors.InitError("no D-Bus"), OSError("gone")]
)
async def test_backend_failing_at_first_use_switches_to_memory(error: Exception, isolated_home: Path) -> None:
    broken = BrokenKeyring(error)
    store = TokenStore(SERVER, CLIENT, backend=broken)
    assert store.persistent is True  # nothing is known until it is used
    assert await store.load_tokens() is None
    assert store.persistent is False
    assert store.backend_name == "memory only"
    assert store.unavailable_reason is not None and "sign in each time" in store.unavailable_reason
    await store.save_tokens(tokens())
    assert await store.load_tokens() == tokens()
    assert files_under(isolated_home) == []


async def test_backend_names() -> None:
    assert "MemoryKeyring" in TokenStore(SERVER, CLIENT, backend=MemoryKeyring()).backend_name
    try:
        from keyring.backends.SecretService import Keyring as SecretServiceKeyring
    except ImportError:  # pragma: no cover - the backend module ships with keyring
        return
    # Naming only: the class is not asked for anything, so no D-Bus is needed.
    backend = SecretServiceKeyring.__new__(SecretServiceKeyring)
    assert TokenStore(SERVER, CLIENT, backend=backend).backend_name == "Secret Service"


def test_bad_server_or_client_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenStore("platform.example.test", CLIENT, backend=MemoryKeyring())
    with pytest.raises(ValueError):
        TokenStore(SERVER, "", backend=MemoryKeyring())


async def test_keyring_calls_leave_the_event_loop_thread() -> None:
    import threading

    seen: list[bool] = []

    class ThreadCheckingKeyring(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            seen.append(threading.current_thread() is threading.main_thread())
            return super().get_password(service, username)

        def set_password(self, service: str, username: str, password: str) -> None:
            seen.append(threading.current_thread() is threading.main_thread())
            super().set_password(service, username, password)

    store = TokenStore(SERVER, CLIENT, backend=ThreadCheckingKeyring())
    await store.save_tokens(tokens())
    await store.load_tokens()
    assert seen and not any(seen)


def test_memory_keyring_is_a_backend() -> None:
    assert isinstance(MemoryKeyring(), keyring.backend.KeyringBackend)
