"""OAuth 2.0 tokens as a platform's token endpoint returns them (RFC 6749, plus RingCentral's owner id)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

from ringdesk.errors import MalformedResponse
from ringdesk.platforms.jsonread import (
    read_object,
    read_opt_id,
    read_opt_int,
    read_opt_str,
    read_required_int,
    read_required_str,
)

__all__ = ["TokenSet"]


@dataclass(frozen=True, slots=True)
class TokenSet:
    """What the token endpoint returned, plus when (on the client's wall clock) it was issued.

    `issued_at` is seconds since the epoch so that a token set read back from the keyring after
    a restart still knows when it expires. The token values are left out of `repr`, so a token
    set in a log line or a traceback shows no secret.
    """

    access_token: str = field(repr=False)
    expires_in: int
    issued_at: float
    refresh_token: str | None = field(default=None, repr=False)
    refresh_token_expires_in: int | None = None
    token_type: str = "bearer"
    scope: str = ""
    owner_id: str | None = None
    endpoint_id: str | None = None
    session_id: str | None = None

    @classmethod
    def from_json(cls, data: object, *, issued_at: float) -> Self:
        obj = read_object(data, "token response")
        return cls(
            access_token=read_required_str(obj, "access_token", "token response"),
            expires_in=read_required_int(obj, "expires_in", "token response"),
            issued_at=issued_at,
            refresh_token=read_opt_str(obj, "refresh_token", "token response"),
            refresh_token_expires_in=read_opt_int(obj, "refresh_token_expires_in", "token response"),
            token_type=read_opt_str(obj, "token_type", "token response") or "bearer",
            scope=read_opt_str(obj, "scope", "token response") or "",
            owner_id=read_opt_id(obj, "owner_id", "token response"),
            endpoint_id=read_opt_str(obj, "endpoint_id", "token response"),
            session_id=read_opt_id(obj, "session_id", "token response"),
        )

    @classmethod
    def from_stored(cls, data: object) -> Self:
        """Read back what `to_stored()` wrote (the token response plus `issued_at`)."""
        obj = read_object(data, "stored token set")
        issued_at = obj.get("issued_at")
        if not isinstance(issued_at, int | float) or isinstance(issued_at, bool):
            raise MalformedResponse("stored token set: issued_at is missing or not a number")
        return cls.from_json(obj, issued_at=float(issued_at))

    def to_stored(self) -> dict[str, Any]:
        """A JSON-ready dict for the token store (it holds secrets: keyring only, never a file)."""
        stored: dict[str, Any] = {
            "access_token": self.access_token,
            "expires_in": self.expires_in,
            "issued_at": self.issued_at,
            "token_type": self.token_type,
            "scope": self.scope,
        }
        optional = {
            "refresh_token": self.refresh_token,
            "refresh_token_expires_in": self.refresh_token_expires_in,
            "owner_id": self.owner_id,
            "endpoint_id": self.endpoint_id,
            "session_id": self.session_id,
        }
        stored.update({key: value for key, value in optional.items() if value is not None})
        return stored

    @property
    def expires_at(self) -> float:
        return self.issued_at + self.expires_in

    @property
    def refresh_token_expires_at(self) -> float | None:
        if self.refresh_token is None or self.refresh_token_expires_in is None:
            return None
        return self.issued_at + self.refresh_token_expires_in

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def has_scope(self, name: str) -> bool:
        """Whether the app was granted permission `name` (`RingOut`, `CallControl`...)."""
        return name in self.scopes

    def access_token_valid(self, now: float, *, margin: float = 0.0) -> bool:
        return now + margin < self.expires_at

    def refresh_token_valid(self, now: float, *, margin: float = 0.0) -> bool:
        expires_at = self.refresh_token_expires_at
        if self.refresh_token is None:
            return False
        # Without a stated lifetime we cannot tell; let the server decide.
        return expires_at is None or now + margin < expires_at
