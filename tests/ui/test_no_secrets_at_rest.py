"""Acceptance: after a sign-in, refreshes, a JWT sign-in and a sign-out, no secret is left on disk.

The whole app runs on the qasync loop against a real simulator whose access tokens live 3 s, with
file logging on at DEBUG in `RINGDESK_HOME`'s log folder (as `ringdesk --debug` sets it up). The
person signs in through the real sign-in window by filling the simulator's page, the session renews
its token on its own, the person signs in once more with a JWT credential (the "Sign in without a
browser" dialog) and then signs out from the menu and quits.

Every secret the run produced is collected from where it was made: the access and refresh tokens
and authorization codes from the simulator's OAuth store (its issue and rotate steps are recorded,
and its live state is read afterwards), the PKCE verifier, challenge and state from
`ringdesk.auth.pkce.new_attempt`, the demo password and the user's JWT credential from the
scenario. Then every file under `RINGDESK_HOME` (logs with rotated ones, settings, window state,
any database or anything else) is read as bytes and searched for each secret, its first 16 and its
last 16 characters (a truncated leak), and for any JWT at all. The log must exist and show the
sign-in, the refresh, the JWT sign-in and the sign-out, so the scan cannot pass on an empty folder.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from secrets import token_urlsafe
from typing import Any

import pytest

from ringdesk import qtasync
from ringdesk.app import AppOptions
from ringdesk.auth import pkce
from ringdesk.auth.pkce import AuthorizationAttempt
from ringdesk.auth.session import SessionState
from ringdesk.auth.token_store import TokenStore
from ringdesk.config import ConnectionSettings, LoginMethod, ServerKind, Settings, save_settings
from ringdesk.log import setup_logging
from ringdesk.paths import app_paths
from ringdesk.qtasync import running_tasks
from ringdesk.simulator import (
    Lifetimes,
    RateLimits,
    Scenario,
    Simulator,
    SimulatorControl,
    make_jwt_credential,
)
from ringdesk.simulator.state import OAuthSession, OAuthStore
from ringdesk.ui.widgets.sign_in_window import SignInWindow
from ringdesk.ui.widgets.unattended_sign_in import UnattendedSignInDialog
from tests.conftest import fast_scenario
from tests.ui.app_harness import quit_like_a_person, running, until, visible

CLIENT_ID = "ringdesk-demo"
TOKEN_PATH = "/restapi/oauth/token"
ACCESS_TOKEN_LIFETIME = 3.0
# Renewals every 2.4 s must not run into the Auth budget (5 a minute): that is not what is tested.
GENEROUS_LIMITS = {"Light": 100_000, "Medium": 100_000, "Heavy": 100_000, "Auth": 10_000}
REFRESHES_WANTED = 2
# A JWT anywhere: three base64url parts, the first one a JSON header.
ANY_JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


@pytest.fixture
def sim_scenario() -> Scenario:
    return fast_scenario(
        lifetimes=Lifetimes(access_token=ACCESS_TOKEN_LIFETIME),
        rate_limits=RateLimits(limits=dict(GENEROUS_LIMITS)),
    )


@pytest.fixture
def log_file(ringdesk_home: Path) -> Iterator[Path]:
    """File logging at DEBUG into RINGDESK_HOME's log folder, as `ringdesk --debug` sets it up."""
    root, ours = logging.getLogger(), logging.getLogger("ringdesk")
    levels = root.level, ours.level
    path = app_paths().log_file
    assert ringdesk_home in path.parents
    setup_logging(path, logging.DEBUG)
    try:
        yield path
    finally:
        setup_logging(None)  # removes (and closes) the file handler again
        root.setLevel(levels[0])
        ours.setLevel(levels[1])


class Issued:
    """Every secret the run produced, gathered where it was made."""

    def __init__(self) -> None:
        self.access_tokens: list[str] = []
        self.refresh_tokens: list[str] = []
        self.attempts: list[AuthorizationAttempt] = []

    def record(self, session: OAuthSession) -> None:
        # Called on the simulator's thread; list appends are atomic.
        self.access_tokens.append(session.access_token)
        self.refresh_tokens.append(session.refresh_token)


@pytest.fixture
def issued(monkeypatch: pytest.MonkeyPatch) -> Issued:
    found = Issued()
    real_issue, real_rotate, real_new_attempt = OAuthStore.issue, OAuthStore.rotate, pkce.new_attempt

    def issue(self: OAuthStore, *args: Any, **kwargs: Any) -> OAuthSession:
        session = real_issue(self, *args, **kwargs)
        found.record(session)
        return session

    def rotate(self: OAuthStore, *args: Any, **kwargs: Any) -> OAuthSession:
        session = real_rotate(self, *args, **kwargs)
        found.record(session)
        return session

    def new_attempt(redirect_uri: str) -> AuthorizationAttempt:
        attempt = real_new_attempt(redirect_uri)
        found.attempts.append(attempt)
        return attempt

    monkeypatch.setattr(OAuthStore, "issue", issue)
    monkeypatch.setattr(OAuthStore, "rotate", rotate)
    monkeypatch.setattr(pkce, "new_attempt", new_attempt)
    return found


async def fill_the_sign_in_page(window: SignInWindow, base_url: str, user: Any) -> None:
    """Type the demo user's credentials into the simulator's page in the real web view and submit."""
    await until(lambda: window.view.url().toString().startswith(base_url), what="the sign-in page")
    values = json.dumps({"login": user.login, "password": user.password, "extension": user.extension_number})
    script = f"""(() => {{ const v = {values};
        const form = document.forms[0]; if (!form || !document.getElementById("signin")) return false;
        for (const name of Object.keys(v)) document.querySelector(`[name=${{name}}]`).value = v[name];
        document.getElementById("signin").click(); return true; }})()"""
    clicked: list[object] = []

    async def click_when_ready() -> None:
        while not clicked or clicked[-1] is not True:
            window.view.page().runJavaScript(script, 0, clicked.append)
            await asyncio.sleep(0.2)

    await asyncio.wait_for(click_when_ready(), 30)


def token_answers(sim: Simulator) -> list[int | None]:
    """The statuses of the token endpoint's answers, from the simulator's request log, in order."""
    with SimulatorControl(sim.base_url) as control:
        return [entry["status"] for entry in control.requests() if entry["path"] == TOKEN_PATH]


def secrets_of_the_run(sim: Simulator, issued: Issued, user: Any) -> dict[str, str]:
    """name -> secret: what the simulator issued (recorded and from its live state), PKCE, credentials."""
    oauth = sim.state.oauth
    found: dict[str, str] = {}
    for i, token in enumerate(issued.access_tokens):
        found[f"access token #{i}"] = token
    for i, token in enumerate(issued.refresh_tokens):
        found[f"refresh token #{i}"] = token
    for i, code in enumerate(oauth.codes):
        found[f"authorization code #{i}"] = code
    for i, attempt in enumerate(issued.attempts):
        found[f"PKCE verifier #{i}"] = attempt.code_verifier
        found[f"PKCE challenge #{i}"] = attempt.code_challenge
        found[f"OAuth state #{i}"] = attempt.state
    # Whatever the live state still holds must be among what was recorded (nothing slipped past).
    known = set(issued.access_tokens) | set(issued.refresh_tokens)
    live = {t for s in oauth.sessions.values() for t in (s.access_token, s.refresh_token)}
    dead_refresh = set(oauth._dead_refresh)
    assert live | dead_refresh <= known, "the simulator holds tokens the recording missed"
    found["demo password"] = user.password
    found["JWT credential"] = user.jwt_credential or ""
    return found


def leaks_in(home: Path, secrets: dict[str, str]) -> tuple[list[Path], list[str]]:
    """Every file under `home`, and one line per secret (or part of one, or JWT) found in a file."""
    needles: dict[bytes, str] = {}
    for name, secret in secrets.items():
        assert len(secret) >= 8, f"{name} is too short to search for"
        needles[secret.encode()] = name
        needles.setdefault(secret[:16].encode(), f"the first 16 characters of {name}")
        needles.setdefault(secret[-16:].encode(), f"the last 16 characters of {name}")
    files = sorted(p for p in home.rglob("*") if p.is_file())
    found: list[str] = []
    for path in files:
        data = path.read_bytes()
        shown = path.relative_to(home)
        found += [f"{shown}: {name}" for needle, name in needles.items() if needle in data]
        found += [f"{shown}: a JWT ({m.group()[:12]!r}...)" for m in ANY_JWT.finditer(data)]
    return files, found


def check_nothing_is_at_rest(
    home: Path, log_file: Path, settings_path: Path, secrets: dict[str, str], user: Any
) -> None:
    # The scan must not pass on an empty folder: the log is there and tells the whole story.
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert log_file.is_file() and log_file.stat().st_size > 0
    log = log_file.read_text(encoding="utf-8")
    for evidence in (
        f"signed in (authorization code) as extension {user.extension_number}",
        "tokens issued (refresh_token grant)",
        "access token renewed; it lives",
        f"signed in (JWT) as extension {user.extension_number}",
        "session revoked at the server",
        "shut down",
        f"POST {TOKEN_PATH} -> 200",  # a DEBUG line: the file logs at DEBUG
    ):
        assert evidence in log, f"the log does not show {evidence!r}"
    assert re.search(r"ringdesk\.auth: signed out$", log, re.MULTILINE), "the log does not show the sign-out"
    assert settings_path.is_file()

    files, leaks = leaks_in(home, secrets)
    assert log_file in files and settings_path in files
    print(f"\nscanned {len(files)} files under RINGDESK_HOME for {len(secrets)} secrets:")
    for path in files:
        print(f"  {path.relative_to(home)} ({path.stat().st_size} bytes)")
    assert leaks == [], "secrets at rest:\n" + "\n".join(leaks)


async def test_no_secret_is_left_at_rest_after_sign_in_refresh_and_sign_out(
    sim: Simulator, ringdesk_home: Path, log_file: Path, issued: Issued
) -> None:
    user = sim.scenario.account.users[0]
    settings_path = app_paths().settings_file
    save_settings(
        Settings(
            connection=ConnectionSettings(
                server=ServerKind.CUSTOM,
                custom_server_url=sim.base_url,
                client_id=CLIENT_ID,
                login_method=LoginMethod.EMBEDDED,
            )
        ),
        settings_path,
    )
    store = TokenStore(sim.base_url, CLIENT_ID)
    assert store.persistent, "this test needs the Secret Service of scripts/desktop-session"
    try:
        # Window state is kept where the app keeps it (next to the settings), so it is scanned too.
        async with running(AppOptions(settings_path=settings_path)) as (app, task):
            # 1. Nothing stored: "Sign in now" opens the real sign-in window on the simulator's page.
            await until(
                lambda: app.signed_out_prompt is not None and app.signed_out_prompt.isVisible(),
                what="the signed-out prompt",
            )
            assert app.signed_out_prompt is not None
            app.signed_out_prompt.sign_in_button.click()
            await until(lambda: visible(SignInWindow), what="the sign-in window")
            await fill_the_sign_in_page(visible(SignInWindow)[0], sim.base_url, user)
            await until(lambda: app.session_vm.view.signed_in, what="signed in through the page")
            await until(lambda: not visible(SignInWindow), what="the sign-in window to close")
            assert len(issued.attempts) == 1
            assert app.connection is not None
            session = app.connection.session

            # 2. The 3 s access token is renewed by the session on its own, twice.
            await until(lambda: session.refresh_count >= REFRESHES_WANTED, within=20, what="two refreshes")
            # The request log proves it: one code was issued and exchanged, and no other grant has
            # been used yet, so every further token request answered 200 was a refresh_token grant.
            assert len(sim.state.oauth.codes) == 1
            assert all(code.used for code in sim.state.oauth.codes.values())
            # (A renewal still in flight has no status yet and is left out.)
            answers = [status for status in token_answers(sim) if status is not None]
            assert answers == [200] * len(answers), answers
            assert len(answers) >= 1 + REFRESHES_WANTED, answers

            # 3. Once more with the JWT credential, through the "Sign in without a browser" dialog.
            vm = app.sign_in_vm
            assert vm is not None
            dialog = UnattendedSignInDialog(vm, parent=app.main_window)
            dialog.open()
            succeeded = qtasync.wait_signal(vm.succeeded)
            dialog.jwt.setText(user.jwt_credential or "")
            dialog.sign_in_jwt.click()
            async with asyncio.timeout(30):
                (identity,) = await succeeded
            assert identity.extension_number == user.extension_number
            assert await store.load_secret("jwt") == user.jwt_credential
            await until(lambda: not dialog.isVisible(), what="the JWT dialog to close")

            # 4. Sign out from the menu, then quit as a person does.
            window = app.main_window
            await until(lambda: window.sign_out_action.isEnabled(), what="Sign out to be enabled")
            window.sign_out_action.trigger()
            await until(
                lambda: app.session_vm.view.signed_out and not app.session_vm.view.signing_out,
                what="signed out",
            )
            assert session.status.state is SessionState.SIGNED_OUT
            assert await store.load_tokens() is None
            assert await store.load_secret("jwt") is None
            assert await quit_like_a_person(app, task) == 0
            assert running_tasks() == frozenset()
    finally:
        await store.clear()

    # Signing out revoked the last session at the server: nothing the run was given is still live.
    assert not sim.state.oauth.sessions
    secrets = secrets_of_the_run(sim, issued, user)
    assert len(issued.access_tokens) >= 2 + REFRESHES_WANTED  # code, refreshes, JWT
    assert len(issued.refresh_tokens) == len(issued.access_tokens)
    assert len(set(secrets.values())) == len(secrets), "every secret is distinct"
    (attempt,) = issued.attempts
    (kept,) = sim.state.oauth.codes.values()
    assert kept.challenge == attempt.code_challenge, "the recorded attempt is the one that signed in"

    check_nothing_is_at_rest(ringdesk_home, log_file, settings_path, secrets, user)


def test_the_scan_finds_whole_truncated_and_unknown_secrets(tmp_path: Path) -> None:
    """The scanner itself, so that a pass above cannot come from a scan that sees nothing."""
    token, state = token_urlsafe(48), token_urlsafe(32)
    jwt = make_jwt_credential("some other secret", 1, 2)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "ringdesk.log.3").write_bytes(b"refresh with " + token[:16].encode() + b"...\n")
    (tmp_path / "history.sqlite3").write_bytes(b"SQLite format 3\x00" + jwt.encode())
    (tmp_path / "window-state.ini").write_bytes(b"[x]\nlast=..." + state[-16:].encode() + b"\n")
    (tmp_path / "clean.json").write_bytes(b"{}")
    files, leaks = leaks_in(tmp_path, {"token": token, "state": state})
    assert len(files) == 4
    assert sorted(leaks) == [
        "history.sqlite3: a JWT (b'eyJhbGciOiJI'...)",
        "logs/ringdesk.log.3: the first 16 characters of token",
        "window-state.ini: the last 16 characters of state",
    ]
