"""Where tokens and sign-in secrets live: the operating system's keyring, or memory, never a file.

Entries (keyring service `RingDesk`; the user name says what the entry is):

- `<server>|<client id>|account:<owner id>|tokens`: JSON of `TokenSet.to_stored()` for one account;
- `<server>|<client id>|index`: JSON `{"last": owner id, "accounts": [...], "identity": {...}}`,
  no secrets; it lets a restart find the last account's tokens (keyrings cannot be listed
  portably) and lets `clear()` find every account it stored;
- `<server>|<client id>|jwt` and `<server>|<client id>|client_secret`.

Keying by server and client id keeps a simulator session and a production session (or two
apps) from ever reading each other's tokens.

Every keyring call runs in a worker thread (`asyncio.to_thread`): backends block on D-Bus, the
Windows credential API or the macOS keychain, sometimes for as long as an unlock prompt is open.
Calls are serialised so that writes land in the order they were made.

When no usable backend exists (keyring's `fail` backend, a chainer with nothing behind it, a
plaintext backend from `keyrings.alt`, or a backend that fails when first used), the store keeps
everything in memory, `persistent` turns False and `unavailable_reason` says why in one sentence.
It never falls back to a file: a token on disk in plain text is worse than signing in again.

`clear()` removes the tokens of every account of this server and client, the index and the JWT.
It keeps the client secret: that belongs to the app's configuration (a confidential app's
credentials set in the connection settings), not to the person signing out; `delete_secret`
removes it when the settings change.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlsplit

from ringdesk.errors import MalformedResponse
from ringdesk.platforms.oauth import TokenSet

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

__all__ = ["KEYRING_SERVICE", "SecretName", "TokenStore"]

_log = logging.getLogger("ringdesk.auth")

KEYRING_SERVICE = "RingDesk"
SecretName = Literal["jwt", "client_secret"]
_SECRET_NAMES: tuple[str, ...] = ("jwt", "client_secret")

MEMORY_ONLY = "memory only"
_NO_KEYRING = (
    "No keyring was found, so you will need to sign in each time. "
    "To stay signed in, install a keyring such as GNOME Keyring or KWallet."
)
_PLAINTEXT_REFUSED = (
    "The only keyring available keeps secrets in a plain file, which RingDesk does not use, so you will "
    "need to sign in each time. To stay signed in, install a keyring such as GNOME Keyring or KWallet."
)
_KEYRING_FAILED = (
    "The keyring ({name}) could not be used, so you will need to sign in each time. "
    "Check that it is running and unlocked."
)

# Friendly names for the backends people meet; anything else shows keyring's own name.
_BACKEND_NAMES = {
    "keyring.backends.SecretService.Keyring": "Secret Service",
    "keyring.backends.libsecret.Keyring": "Secret Service",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet",
}
# These store nothing (null) or refuse everything (fail): no place for a secret.
_USELESS_BACKENDS = ("keyring.backends.fail.", "keyring.backends.null.")
# keyrings.alt's backends write files (plain, "encrypted" with a terminal password prompt, or
# through a file system layer); none of them is a keyring in the sense the person expects.
_REFUSED_PREFIXES = ("keyrings.alt",)

T = TypeVar("T")


class TokenStore:
    """Tokens and sign-in secrets of one server and client id (app), per account."""

    def __init__(
        self,
        server_url: str,
        client_id: str,
        *,
        backend: KeyringBackend | None = None,
    ) -> None:
        if not client_id:
            raise ValueError("client id is empty")
        self._prefix = f"{_normalise_server(server_url)}|{client_id}"
        self._memory: dict[str, str] = {}
        self._lock = asyncio.Lock()
        # Imported here, in the worker that opens the store: the backends load D-Bus bindings
        # and more, which a start has no need to wait for (see `ringdesk.connection.Connector`).
        import keyring

        chosen, reason = _usable_backend(backend if backend is not None else keyring.get_keyring())
        self._backend = chosen
        self.persistent: bool = chosen is not None
        self.backend_name: str = _backend_name(chosen) if chosen is not None else MEMORY_ONLY
        self.unavailable_reason: str | None = reason
        if chosen is None:
            _log.warning("no usable keyring: tokens are kept in memory only")
        else:
            _log.info("token store uses the %s", self.backend_name)

    def __repr__(self) -> str:
        return f"TokenStore({self._prefix!r}, {self.backend_name})"

    # ------------------------------------------------------------------ tokens

    async def load_tokens(self) -> TokenSet | None:
        """The last signed-in account's tokens, or None (none stored, or unreadable)."""
        async with self._lock:
            index = await self._read_index()
            account = index.get("last")
            if not isinstance(account, str):
                return None
            raw = await self._get(self._tokens_key(account))
        if raw is None:
            return None
        try:
            return TokenSet.from_stored(json.loads(raw))
        except (ValueError, MalformedResponse) as exc:
            # A damaged entry is as good as none: the person signs in again and it is replaced.
            _log.warning("stored tokens are unreadable (%s); ignoring them", type(exc).__name__)
            return None

    async def save_tokens(self, tokens: TokenSet) -> None:
        """Store `tokens` under their account and remember that account as the last one."""
        account = _account_of(tokens)
        async with self._lock:
            await self._set(self._tokens_key(account), json.dumps(tokens.to_stored()))
            index = await self._read_index()
            accounts = [a for a in index.get("accounts", []) if isinstance(a, str)]
            if account not in accounts:
                accounts.append(account)
            identity = index.get("identity") if index.get("last") == account else None
            await self._write_index({"last": account, "accounts": accounts, "identity": identity})

    async def delete_tokens(self, account: str) -> None:
        """Forget one account's tokens (and its identity, if it was the last account)."""
        async with self._lock:
            await self._delete(self._tokens_key(account))
            index = await self._read_index()
            accounts = [a for a in index.get("accounts", []) if isinstance(a, str) and a != account]
            if index.get("last") == account:
                index = {"last": None, "accounts": accounts, "identity": None}
            else:
                index["accounts"] = accounts
            await self._write_index(index)

    # ------------------------------------------------------------------ identity (not secret)

    async def load_identity(self, account: str) -> dict[str, str] | None:
        """What `save_identity` stored for `account` if it is the last account, else None."""
        async with self._lock:
            index = await self._read_index()
        identity = index.get("identity")
        if index.get("last") != account or not isinstance(identity, dict):
            return None
        return {str(k): str(v) for k, v in identity.items()}

    async def save_identity(self, account: str, identity: dict[str, str]) -> None:
        """Remember who `account` is (name, extension number), so a start-up needs no request."""
        async with self._lock:
            index = await self._read_index()
            if index.get("last") != account:
                return
            index["identity"] = dict(identity)
            await self._write_index(index)

    # ------------------------------------------------------------------ other secrets

    async def load_secret(self, name: SecretName) -> str | None:
        _check_secret_name(name)
        async with self._lock:
            return await self._get(f"{self._prefix}|{name}")

    async def save_secret(self, name: SecretName, value: str) -> None:
        _check_secret_name(name)
        async with self._lock:
            await self._set(f"{self._prefix}|{name}", value)

    async def delete_secret(self, name: SecretName) -> None:
        _check_secret_name(name)
        async with self._lock:
            await self._delete(f"{self._prefix}|{name}")

    async def clear(self) -> None:
        """Remove every account's tokens of this server and client, the index and the JWT.

        The client secret stays (see the module docstring).
        """
        async with self._lock:
            index = await self._read_index()
            accounts = [a for a in index.get("accounts", []) if isinstance(a, str)]
            last = index.get("last")
            if isinstance(last, str) and last not in accounts:
                accounts.append(last)
            for account in accounts:
                await self._delete(self._tokens_key(account))
            await self._delete(f"{self._prefix}|jwt")
            await self._delete(f"{self._prefix}|index")
        _log.info("stored sign-in removed (%d account(s))", len(accounts))

    # ------------------------------------------------------------------ internals

    def _tokens_key(self, account: str) -> str:
        return f"{self._prefix}|account:{account}|tokens"

    async def _read_index(self) -> dict[str, Any]:
        raw = await self._get(f"{self._prefix}|index")
        if raw is None:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    async def _write_index(self, index: dict[str, Any]) -> None:
        await self._set(f"{self._prefix}|index", json.dumps(index))

    async def _get(self, key: str) -> str | None:
        backend = self._backend
        if backend is not None:
            value = await self._call(backend.get_password, KEYRING_SERVICE, key)
            if self._backend is not None:  # still persistent after the call
                return value
        return self._memory.get(key)

    async def _set(self, key: str, value: str) -> None:
        backend = self._backend
        if backend is not None:
            await self._call(backend.set_password, KEYRING_SERVICE, key, value)
            if self._backend is not None:
                return
        self._memory[key] = value

    async def _delete(self, key: str) -> None:
        self._memory.pop(key, None)
        backend = self._backend
        if backend is None:
            return
        from keyring.errors import PasswordDeleteError

        try:
            await asyncio.to_thread(backend.delete_password, KEYRING_SERVICE, key)
        except PasswordDeleteError:
            pass  # there was nothing to delete
        except Exception as exc:
            self._give_up_keyring(exc)

    async def _call(self, func: Callable[..., T], *args: str) -> T | None:
        try:
            return await asyncio.to_thread(func, *args)
        except Exception as exc:
            # KeyringError and its kind (InitError, KeyringLocked), but also whatever a backend's
            # transport raises (D-Bus errors): a keyring that fails once is not trusted again.
            self._give_up_keyring(exc)
            return None

    def _give_up_keyring(self, exc: BaseException) -> None:
        # From here on this run keeps secrets in memory: half of them in the keyring and half in
        # memory would be worse, and the person is told once through `unavailable_reason`.
        if self._backend is None:
            return
        _log.warning(
            "the %s failed (%s); keeping tokens in memory only", self.backend_name, type(exc).__name__
        )
        self.unavailable_reason = _KEYRING_FAILED.format(name=self.backend_name)
        self._backend = None
        self.persistent = False
        self.backend_name = MEMORY_ONLY


def _usable_backend(
    backend: KeyringBackend,
) -> tuple[KeyringBackend | None, str | None]:
    """The backend to use and, when there is none, the sentence that says why."""
    from keyring.backends import chainer, fail

    candidates = list(backend.backends) if isinstance(backend, chainer.ChainerBackend) else [backend]
    refused_plaintext = False
    for candidate in candidates:
        qualified = _qualified_name(candidate)
        if isinstance(candidate, fail.Keyring) or qualified.startswith(_USELESS_BACKENDS):
            continue
        if qualified.startswith(_REFUSED_PREFIXES):
            refused_plaintext = True
            continue
        # A chainer would write to whichever backend comes first, possibly a refused one: so the
        # first acceptable backend is used directly instead.
        return candidate, None
    if refused_plaintext:
        _log.warning("refusing the plaintext keyring backend(s) configured")
        return None, _PLAINTEXT_REFUSED
    return None, _NO_KEYRING


def _qualified_name(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _backend_name(backend: KeyringBackend) -> str:
    known = _BACKEND_NAMES.get(_qualified_name(backend))
    if known is not None:
        return known
    name = getattr(backend, "name", None)
    return name if isinstance(name, str) and name else type(backend).__name__


def _normalise_server(server_url: str) -> str:
    parts = urlsplit(server_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"server URL must be an http(s) URL, got {server_url!r}")
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


def _account_of(tokens: TokenSet) -> str:
    # The platform always names the owner; a token set without one is kept under a fixed name so
    # that it is still found (and cleared) rather than lost.
    return tokens.owner_id or "unknown"


def _check_secret_name(name: str) -> None:
    if name not in _SECRET_NAMES:
        raise ValueError(f"unknown secret {name!r}; expected one of {', '.join(_SECRET_NAMES)}")
