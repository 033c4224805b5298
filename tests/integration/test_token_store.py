"""The token store against the real Secret Service (GNOME Keyring in the desktop session)."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator

import keyring
import pytest

from ringdesk.auth import TokenStore
from ringdesk.auth.token_store import KEYRING_SERVICE
from ringdesk.platforms.ringcentral import TokenSet

CLIENT = "ringdesk-demo"


def tokens(owner: str, access: str | None = None) -> TokenSet:
    return TokenSet(
        access_token=access or secrets.token_urlsafe(48),
        expires_in=3600,
        issued_at=1_800_000_000.0,
        refresh_token=secrets.token_urlsafe(48),
        refresh_token_expires_in=604800,
        scope="ReadAccounts RingOut",
        owner_id=owner,
        session_id=secrets.token_hex(8),
    )


@pytest.fixture
async def servers() -> AsyncIterator[list[str]]:
    """Two made-up server URLs of this run (so no run reads another's entries), cleaned up after."""
    run = secrets.token_hex(4)
    urls = [f"https://platform-{run}.example.test", f"https://other-{run}.example.test"]
    yield urls
    for url in urls:
        for client in (CLIENT, "another-app"):
            store = TokenStore(url, client)
            await store.clear()
            await store.delete_secret("client_secret")


async def test_the_store_uses_the_secret_service(servers: list[str]) -> None:
    store = TokenStore(servers[0], CLIENT)
    assert store.persistent is True
    assert store.backend_name == "Secret Service"
    assert store.unavailable_reason is None


async def test_round_trip_and_clear(servers: list[str]) -> None:
    saved = tokens("101")
    store = TokenStore(servers[0], CLIENT)
    await store.save_tokens(saved)
    await store.save_secret("jwt", "a-jwt")
    await store.save_secret("client_secret", "an-app-secret")

    # A new store, as after a restart, reads it back from the keyring itself.
    again = TokenStore(servers[0], CLIENT)
    assert await again.load_tokens() == saved
    raw = keyring.get_password(KEYRING_SERVICE, f"{servers[0]}|{CLIENT}|account:101|tokens")
    assert raw is not None and json.loads(raw) == saved.to_stored()
    assert await again.load_secret("jwt") == "a-jwt"

    await again.clear()
    assert await store.load_tokens() is None
    assert await store.load_secret("jwt") is None
    assert await store.load_secret("client_secret") == "an-app-secret"  # app configuration stays
    assert keyring.get_password(KEYRING_SERVICE, f"{servers[0]}|{CLIENT}|account:101|tokens") is None
    assert keyring.get_password(KEYRING_SERVICE, f"{servers[0]}|{CLIENT}|index") is None
    assert store.persistent is True


async def test_servers_clients_and_accounts_do_not_collide(servers: list[str]) -> None:
    first, second = servers
    a = TokenStore(first, CLIENT)
    b = TokenStore(second, CLIENT)
    c = TokenStore(first, "another-app")
    await a.save_tokens(tokens("101", "token-a"))
    await b.save_tokens(tokens("101", "token-b"))
    await c.save_tokens(tokens("101", "token-c"))
    loaded = [await s.load_tokens() for s in (a, b, c)]
    assert [t.access_token if t else None for t in loaded] == ["token-a", "token-b", "token-c"]

    # Two accounts on one server and app: the last one is restored, clear() removes both.
    await a.save_tokens(tokens("102", "token-a2"))
    latest = await a.load_tokens()
    assert latest is not None and latest.access_token == "token-a2"
    await a.clear()
    for account in ("101", "102"):
        assert keyring.get_password(KEYRING_SERVICE, f"{first}|{CLIENT}|account:{account}|tokens") is None
    remaining_b, remaining_c = await b.load_tokens(), await c.load_tokens()
    assert remaining_b is not None and remaining_b.access_token == "token-b"
    assert remaining_c is not None and remaining_c.access_token == "token-c"
