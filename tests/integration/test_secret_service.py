"""The keyring the token store will use is a real Secret Service, not a file or a stub."""

from __future__ import annotations

import secrets

import keyring
from keyring.backends.SecretService import Keyring as SecretServiceKeyring


def test_backend_is_the_secret_service() -> None:
    assert isinstance(keyring.get_keyring(), SecretServiceKeyring)


def test_secret_round_trip_and_delete() -> None:
    service, user, secret = "ringdesk-test", f"user-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    keyring.set_password(service, user, secret)
    try:
        assert keyring.get_password(service, user) == secret
    finally:
        keyring.delete_password(service, user)
    assert keyring.get_password(service, user) is None
