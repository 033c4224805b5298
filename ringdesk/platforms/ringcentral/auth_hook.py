"""How the client gets a bearer token, without knowing where tokens come from.

The sign-in session (single-flight refresh, refresh ahead of expiry, keyring) implements
`AuthHook`; the client only asks for a token before each authenticated request and reports a
401 once. Keeping refresh out of the client is deliberate: refresh tokens rotate, so exactly
one place may refresh, and a reflex refresh on every 401 from several requests at once is the
race that logs people out.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ringdesk.errors import AuthenticationError

__all__ = ["AuthHook", "StaticTokenAuth"]


@runtime_checkable
class AuthHook(Protocol):
    async def access_token(self) -> str:
        """A token to send now. Raise `AuthenticationError` when signed out."""
        ...

    async def token_rejected(self, rejected: str) -> str | None:
        """The server answered 401 to `rejected`. Return a token to retry with once, or None.

        Called at most once per request. When several requests fail with the same token, the
        implementation should refresh once and hand every caller the same new token.
        """
        ...


class StaticTokenAuth:
    """A fixed token with no way to refresh: for scripts, tests and the official-SDK check."""

    def __init__(self, token: str | None) -> None:
        self._token = token

    def set_token(self, token: str | None) -> None:
        self._token = token

    async def access_token(self) -> str:
        if not self._token:
            raise AuthenticationError("You are not signed in. Please sign in.")
        return self._token

    async def token_rejected(self, rejected: str) -> str | None:
        # A token changed by set_token() since the request started is worth one retry.
        if self._token and self._token != rejected:
            return self._token
        return None

    def __repr__(self) -> str:
        return f"StaticTokenAuth(token={'set' if self._token else 'none'})"
