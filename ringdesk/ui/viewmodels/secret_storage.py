"""Where a secret is kept, in one sentence for the windows: the keyring's name, or memory only."""

from __future__ import annotations

from typing import Protocol

__all__ = ["SecretStorage", "describe_secret_storage"]


class SecretStorage(Protocol):
    """What a secret store (`TokenStore`) tells about itself."""

    @property
    def backend_name(self) -> str | None: ...

    @property
    def persistent(self) -> bool:
        """False when secrets are kept in memory only, for want of a keyring."""

    @property
    def unavailable_reason(self) -> str | None:
        """Why there is no keyring, when there is none."""


def describe_secret_storage(store: SecretStorage | None, what: str) -> str:
    """One sentence saying where `what` (a secret) is kept: the keyring's name, or memory only."""
    backend = store.backend_name if store is not None else None
    if store is not None and store.persistent and backend and backend != "memory only":
        return f"{what} is kept in your keyring ({backend}), never in a file."
    reason = (store.unavailable_reason if store is not None else None) or (
        "No keyring was found, so you will need to sign in each time. "
        "To stay signed in, install a keyring such as GNOME Keyring or KWallet."
    )
    return f"{what} is kept in memory only. {reason}"
