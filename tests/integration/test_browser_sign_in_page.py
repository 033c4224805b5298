"""A real browser engine (QtWebEngine, on the X screen) drives the simulator's real sign-in page.

This is the path the sign-in window takes: load the authorize URL, let a person fill the form,
catch the navigation to the redirect URI without loading it, then exchange the code with PKCE.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import shiboken6
from PySide6.QtCore import QUrl
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
from PySide6.QtWebEngineWidgets import QWebEngineView

REDIRECT_URI = "http://127.0.0.1:53682/oauth/callback"


class RedirectCatchingPage(QWebEnginePage):
    """Stops at the redirect URI and keeps its query, as the sign-in window will."""

    def __init__(self, profile: QWebEngineProfile) -> None:
        super().__init__(profile)
        self.caught: dict[str, list[str]] | None = None

    def acceptNavigationRequest(
        self, url: QUrl | str, type_: QWebEnginePage.NavigationType, main: bool
    ) -> bool:
        text = url.toString() if isinstance(url, QUrl) else url
        if text.split("?", 1)[0] == REDIRECT_URI:
            self.caught = parse_qs(urlsplit(text).query)
            return False
        return super().acceptNavigationRequest(url, type_, main)


@pytest.fixture
def browser(qtbot):
    profile = QWebEngineProfile()  # no storage name: off the record, nothing written to disk
    page = RedirectCatchingPage(profile)
    view = QWebEngineView()
    view.setPage(page)
    qtbot.addWidget(view)
    view.resize(480, 640)
    view.show()
    yield view, page
    # A page must be gone before its profile, or QtWebEngine warns of trouble; delete both now.
    view.setPage(None)
    shiboken6.delete(page)
    shiboken6.delete(profile)


def load(qtbot, view: QWebEngineView, url: str) -> None:
    with qtbot.waitSignal(view.loadFinished, timeout=30_000) as blocker:
        view.load(QUrl(url))
    assert blocker.args == [True]


def run_js(qtbot, page: QWebEnginePage, script: str):
    results: list[object] = []
    page.runJavaScript(script, 0, results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    return results[0]


def authorize_url(base_url: str, state: str, verifier: str) -> str:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": "ringdesk-demo",
        "redirect_uri": REDIRECT_URI,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{base_url}/restapi/oauth/authorize?{urlencode(query)}"


def fill_and_click(
    qtbot, page: QWebEnginePage, login: str, password: str, extension: str, button: str
) -> None:
    values = json.dumps({"login": login, "password": password, "extension": extension})
    run_js(
        qtbot,
        page,
        f"""(() => {{ const v = {values};
            for (const name of Object.keys(v)) document.querySelector(`[name=${{name}}]`).value = v[name];
            document.getElementById({json.dumps(button)}).click(); return true; }})()""",
    )


def test_sign_in_through_the_page_ends_with_tokens(qtbot, browser, sim) -> None:
    view, page = browser
    user = sim.scenario.account.users[0]
    state, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    load(qtbot, view, authorize_url(sim.base_url, state, verifier))
    assert run_js(qtbot, page, "document.forms.length") >= 1

    fill_and_click(qtbot, page, user.login, user.password, user.extension_number, "signin")
    qtbot.waitUntil(lambda: page.caught is not None, timeout=30_000)

    assert page.caught is not None
    assert page.caught["state"] == [state]
    reply = httpx.post(
        f"{sim.base_url}/restapi/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": page.caught["code"][0],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": "ringdesk-demo",
        },
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["owner_id"] == str(user.extension_id)


def test_wrong_password_stays_on_the_page_with_a_message(qtbot, browser, sim) -> None:
    view, page = browser
    user = sim.scenario.account.users[0]
    load(qtbot, view, authorize_url(sim.base_url, "s", secrets.token_urlsafe(48)))
    with qtbot.waitSignal(view.loadFinished, timeout=30_000):
        fill_and_click(qtbot, page, user.login, "not-the-password", user.extension_number, "signin")
    assert page.caught is None
    text = run_js(qtbot, page, "document.body.innerText")
    assert "password" in str(text).lower()
    assert run_js(qtbot, page, "document.querySelector('[name=login]').value") == user.login


def test_deny_comes_back_with_access_denied(qtbot, browser, sim) -> None:
    view, page = browser
    load(qtbot, view, authorize_url(sim.base_url, "st8", secrets.token_urlsafe(48)))
    run_js(qtbot, page, "document.getElementById('deny').click(); true")
    qtbot.waitUntil(lambda: page.caught is not None, timeout=30_000)
    assert page.caught is not None
    assert page.caught["error"] == ["access_denied"]
    assert page.caught["state"] == ["st8"]
