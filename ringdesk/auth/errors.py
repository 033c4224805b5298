"""The sign-in errors the auth layer adds to `ringdesk.errors`.

Each carries a `user_message` the sign-in window can show as is, and offers "Try again": none of
them leaves anything half signed in, because tokens are only kept once a sign-in has fully worked.
"""

from __future__ import annotations

from ringdesk.errors import RingDeskError

__all__ = ["SignInDenied", "SignInFailed", "StateMismatch"]


class SignInFailed(RingDeskError):
    """The sign-in page came back without a usable authorization code."""

    default_user_message = "Signing in did not work. Please try again."


class SignInDenied(SignInFailed):
    """The person chose "Deny" (or the account refused the app): `error=access_denied`.

    `error_description` is the server's own text, for the log and a "details" line; the main
    sentence stays ours because the server's wording is not written for this window.
    """

    default_user_message = "Access was denied, so RingDesk is not signed in. You can try again."

    def __init__(self, user_message: str | None = None, *, error_description: str | None = None) -> None:
        self.error_description = error_description
        super().__init__(user_message, detail=error_description)


class StateMismatch(SignInFailed):
    """The redirect's `state` is missing or is not the one this attempt sent.

    Either the answer belongs to another (older) attempt or someone tried to slip a code of their
    own into RingDesk (login CSRF); in both cases the code must not be used.
    """

    default_user_message = (
        "The sign-in answer did not belong to this sign-in attempt, so it was ignored. Please try again."
    )
