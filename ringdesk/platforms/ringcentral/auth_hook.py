"""A fixed bearer token for the client, for scripts, tests and the official-SDK check.

The client gets its tokens through `ringdesk.platforms.base.AuthHook`; the sign-in session is the
real one. This module keeps the one that never refreshes.
"""

from __future__ import annotations

from ringdesk.errors import AuthenticationError

__all__ = ["StaticTokenAuth"]


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
