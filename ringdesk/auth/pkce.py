"""Authorization code with PKCE (RFC 7636, S256): one fresh attempt per sign-in, and reading its answer.

The redirect URI check is exact (scheme, host, port and path) because the platform matches the
registered URI exactly, and because taking a code from a look-alike URL would hand the sign-in to
whatever page happens to be loading.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from ringdesk.auth.errors import SignInDenied, SignInFailed, StateMismatch

__all__ = [
    "AuthorizationAttempt",
    "SignInDenied",
    "SignInFailed",
    "StateMismatch",
    "code_challenge_for",
    "matches_redirect",
    "new_attempt",
    "read_redirect",
]

# 64 random bytes give an 86-character verifier: well inside RFC 7636's 43..128, all of it from the
# URL-safe alphabet (a subset of the RFC's unreserved characters), with 512 bits of entropy.
_VERIFIER_BYTES = 64
_STATE_BYTES = 32
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class AuthorizationAttempt:
    """One sign-in attempt: its `state`, its PKCE pair and the redirect URI it was started with.

    The secrets stay out of `repr` so an attempt in a log line or a traceback shows none of them.
    """

    state: str = field(repr=False)
    code_verifier: str = field(repr=False)
    code_challenge: str = field(repr=False)
    redirect_uri: str


def new_attempt(redirect_uri: str) -> AuthorizationAttempt:
    """A fresh random `state` and code verifier, with the verifier's S256 challenge."""
    verifier = secrets.token_urlsafe(_VERIFIER_BYTES)
    return AuthorizationAttempt(
        state=secrets.token_urlsafe(_STATE_BYTES),
        code_verifier=verifier,
        code_challenge=code_challenge_for(verifier),
        redirect_uri=redirect_uri,
    )


def code_challenge_for(verifier: str) -> str:
    """BASE64URL(SHA256(ASCII(verifier))) without padding: the S256 method of RFC 7636."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def matches_redirect(url: str, redirect_uri: str) -> bool:
    """Whether `url` is `redirect_uri` answering: same scheme, host, port and path; query ignored."""
    try:
        got, want = urlsplit(url), urlsplit(redirect_uri)
        got_port, want_port = got.port, want.port
    except ValueError:
        return False
    if got.scheme.lower() != want.scheme.lower():
        return False
    # Credentials in the authority would be a different URL to the platform too.
    if got.username is not None or got.password is not None:
        return False
    if (got.hostname or "") != (want.hostname or ""):  # urlsplit already lower-cases hostnames
        return False
    default = _DEFAULT_PORTS.get(want.scheme.lower())
    if (got_port or default) != (want_port or default):
        return False
    # Browsers show an empty http(s) path as "/", so those two are the same place.
    return (got.path or "/") == (want.path or "/")


def read_redirect(url: str, attempt: AuthorizationAttempt) -> str:
    """The authorization code in the redirect `url` of `attempt`.

    Raises `SignInDenied` for `error=access_denied`, `StateMismatch` for a missing or wrong
    `state`, and `SignInFailed` for any other error or a redirect without a code.
    """
    if not matches_redirect(url, attempt.redirect_uri):
        raise SignInFailed(detail="the answer did not come to the configured redirect URI")
    params = parse_qs(urlsplit(url).query, keep_blank_values=True)
    states = params.get("state", [])
    state_ok = len(states) == 1 and hmac.compare_digest(states[0].encode(), attempt.state.encode())

    errors = params.get("error", [])
    if errors:
        # An error redirect cannot sign anyone in, so a server that leaves `state` out of it is still
        # believed; a `state` that is present and wrong, though, means the answer is not ours.
        if states and not state_ok:
            raise StateMismatch(detail="error redirect with a state from another attempt")
        descriptions = params.get("error_description", [])
        description = descriptions[0] if descriptions else None
        if errors[0] == "access_denied":
            raise SignInDenied(error_description=description)
        raise SignInFailed(detail=f"{errors[0]}: {description}" if description else errors[0])

    if not state_ok:
        raise StateMismatch(detail="state missing" if not states else "state does not match")
    codes = params.get("code", [])
    if len(codes) != 1 or not codes[0]:
        raise SignInFailed(detail="the redirect carries no authorization code")
    return codes[0]
