"""Signing in to the platform, Qt-free: PKCE and the redirect, the loopback listener, the token
store on the OS keyring, and the session that owns and renews the tokens.

The GUI is one client of this package: it shows the sign-in page and passes the redirect URL to
`read_redirect`, then calls `Session.sign_in_with_code`; it renders `Session.status`.
"""

from ringdesk.auth.errors import SignInDenied, SignInFailed, StateMismatch
from ringdesk.auth.loopback import LoopbackRedirectListener
from ringdesk.auth.pkce import (
    AuthorizationAttempt,
    code_challenge_for,
    matches_redirect,
    new_attempt,
    read_redirect,
)
from ringdesk.auth.session import (
    EXPIRED_PROBLEM,
    Session,
    SessionState,
    SessionStatus,
    refresh_delay,
)
from ringdesk.auth.token_store import TokenStore
from ringdesk.platforms.base import Identity

__all__ = [
    "EXPIRED_PROBLEM",
    "AuthorizationAttempt",
    "Identity",
    "LoopbackRedirectListener",
    "Session",
    "SessionState",
    "SessionStatus",
    "SignInDenied",
    "SignInFailed",
    "StateMismatch",
    "TokenStore",
    "code_challenge_for",
    "matches_redirect",
    "new_attempt",
    "read_redirect",
    "refresh_delay",
]
