"""`SignInWindow` with the real browser engine on the simulator's real sign-in page.

The window alone: no view model, no session. What it must do by itself is catch the redirect
without loading it, keep pop-ups inside, show load failures with "Try again", and give its
off-the-record profile back when done.
"""

from __future__ import annotations

import json
import os
import socket
from urllib.parse import parse_qs, urlsplit

import pytest

if os.name == "posix" and os.geteuid() == 0:
    # Chromium refuses to start its sandbox as root (containers, CI); only then is it turned off.
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

# Imported before pytest-qt makes the QApplication: QtWebEngine insists on that order.
import shiboken6
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ringdesk.auth.pkce import matches_redirect, new_attempt
from ringdesk.ui.widgets.sign_in_window import SignInWindow, describe_address

pytestmark = [
    pytest.mark.skipif(
        not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")),
        reason="needs a screen: run through scripts/desktop-session",
    ),
]

REDIRECT_URI = "http://127.0.0.1:53682/oauth/callback"


def authorize_url(base_url: str, state: str = "st", challenge: str = "c" * 43) -> str:
    from urllib.parse import urlencode

    query = {
        "response_type": "code",
        "client_id": "ringdesk-demo",
        "redirect_uri": REDIRECT_URI,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{base_url}/restapi/oauth/authorize?{urlencode(query)}"


@pytest.fixture
def window(qtbot):
    win = SignInWindow(lambda url: matches_redirect(url, REDIRECT_URI))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.finish()


def run_js(qtbot, window: SignInWindow, script: str):
    results: list[object] = []
    window.view.page().runJavaScript(script, 0, results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    return results[0]


def load(qtbot, window: SignInWindow, url: str) -> None:
    with qtbot.waitSignal(window.view.loadFinished, timeout=30_000) as blocker:
        window.load(url)
    assert blocker.args == [True]


def fill(qtbot, window: SignInWindow, login: str, password: str, extension: str, button: str) -> None:
    values = json.dumps({"login": login, "password": password, "extension": extension})
    run_js(
        qtbot,
        window,
        f"""(() => {{ const v = {values};
            for (const k of Object.keys(v)) document.querySelector(`[name=${{k}}]`).value = v[k];
            document.getElementById({json.dumps(button)}).click(); return true; }})()""",
    )


def test_the_profile_is_off_the_record_and_given_back(qtbot) -> None:
    win = SignInWindow(lambda url: False)
    qtbot.addWidget(win)
    profile = win.profile
    assert profile.isOffTheRecord()
    assert profile.storageName() == ""
    with qtbot.assertNotEmitted(win.closed):
        win.finish()
    assert not shiboken6.isValid(profile), "the profile (and its memory) must be gone after finish()"
    assert not win.isVisible()


def test_the_redirect_is_caught_and_never_loaded(qtbot, window, sim) -> None:
    user = sim.scenario.account.users[0]
    attempt = new_attempt(REDIRECT_URI)
    load(qtbot, window, authorize_url(sim.base_url, attempt.state, attempt.code_challenge))
    host = urlsplit(sim.base_url)
    assert window.address.text() == f"{host.hostname}:{host.port} (this computer)"
    assert run_js(qtbot, window, "document.getElementById('demo-hint') !== null")

    with qtbot.waitSignal(window.redirect_caught, timeout=30_000) as caught:
        fill(qtbot, window, user.login, user.password, user.extension_number, "signin")
    url = caught.args[0]
    assert matches_redirect(url, REDIRECT_URI)
    query = parse_qs(urlsplit(url).query)
    assert query["state"] == [attempt.state] and query["code"][0]
    # Nothing listens on the redirect port: had it been loaded, the page would now be an error.
    qtbot.wait(300)
    assert window.view.url().toString().startswith(sim.base_url)
    assert not window.panel.isVisible()


def test_a_wrong_password_stays_on_the_page(qtbot, window, sim) -> None:
    user = sim.scenario.account.users[0]
    load(qtbot, window, authorize_url(sim.base_url))
    with (
        qtbot.assertNotEmitted(window.redirect_caught),
        qtbot.waitSignal(window.view.loadFinished, timeout=30_000),
    ):
        fill(qtbot, window, user.login, "wrong", user.extension_number, "signin")
    assert "password" in str(run_js(qtbot, window, "document.getElementById('error').innerText")).lower()


def test_pop_ups_open_inside_the_window(qtbot, window, sim) -> None:
    load(qtbot, window, authorize_url(sim.base_url))
    first_view = window.view
    windows_before = set(QApplication.topLevelWidgets())
    run_js(qtbot, window, f"window.open({json.dumps(authorize_url(sim.base_url, 'popup'))}); true")
    qtbot.waitUntil(lambda: window.view is not first_view, timeout=10_000)
    popup_view = window.view
    qtbot.waitUntil(lambda: "popup" in popup_view.url().toString(), timeout=30_000)
    assert set(QApplication.topLevelWidgets()) == windows_before, "no new top-level window"
    assert popup_view.isVisible() and not first_view.isVisible()

    # The pop-up closing itself returns to the sign-in page.
    popup_view.page().runJavaScript("window.close()")
    qtbot.waitUntil(lambda: window.view is first_view, timeout=10_000)
    assert first_view.isVisible()


def test_a_redirect_inside_a_pop_up_is_caught_too(qtbot, window, sim) -> None:
    load(qtbot, window, authorize_url(sim.base_url))
    with qtbot.waitSignal(window.redirect_caught, timeout=30_000) as caught:
        run_js(qtbot, window, f"window.open({json.dumps(REDIRECT_URI + '?code=p&state=q')}); true")
    assert caught.args[0] == REDIRECT_URI + "?code=p&state=q"


def test_a_page_that_does_not_load_shows_try_again(qtbot, window) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    window.load(f"http://127.0.0.1:{port}/restapi/oauth/authorize")
    qtbot.waitUntil(window.panel.isVisible, timeout=30_000)
    assert window.panel.sentence.text() == (
        "RingDesk could not open the sign-in page at 127.0.0.1. Check your internet connection, "
        "then try again."
    )
    assert window.panel.primary.text() == "Try again" and window.panel.primary.isVisible()
    window.panel.primary.click()
    assert not window.panel.isVisible()
    qtbot.waitUntil(window.panel.isVisible, timeout=30_000)  # still nothing there: the same message


def test_problem_panel_and_closing(qtbot, window) -> None:
    window.show_problem("You chose not to allow RingDesk to sign in.")
    assert window.panel.sentence.text() == "You chose not to allow RingDesk to sign in."
    with qtbot.waitSignal(window.try_again_requested, timeout=1000):
        window.panel.primary.click()
    window.show_working("Finishing sign-in with RingCentral…")
    assert not window.panel.primary.isVisible() and window.panel.activity.isVisible()
    with qtbot.waitSignal(window.closed, timeout=1000):
        window.close()
    assert not shiboken6.isValid(window.profile)


def test_both_windows_render_the_view_models_views(qtbot, window) -> None:
    from ringdesk.config import LoginMethod
    from ringdesk.ui.viewmodels.sign_in import SignInStep, SignInView
    from ringdesk.ui.widgets.browser_wait_window import BrowserWaitWindow

    finishing = "Finishing sign-in with RingCentral\N{HORIZONTAL ELLIPSIS}"
    window.show_view(SignInView(SignInStep.FINISHING, LoginMethod.EMBEDDED, "", finishing))
    assert window.panel.isVisible() and window.panel.sentence.text() == finishing
    window.show_view(SignInView(SignInStep.PROBLEM, LoginMethod.EMBEDDED, "", "Sign-in was cancelled."))
    assert window.panel.sentence.text() == "Sign-in was cancelled."
    assert window.panel.primary.text() == "Try again"

    waiting = BrowserWaitWindow()
    qtbot.addWidget(waiting)
    waiting.show_view(
        SignInView(SignInStep.PROBLEM, LoginMethod.SYSTEM_BROWSER, "", "Sign-in was cancelled.")
    )
    assert waiting.panel.primary.text() == "Try again" and not waiting.reopen.isVisibleTo(waiting)
    waiting.show_view(SignInView(SignInStep.WAITING_FOR_BROWSER, LoginMethod.SYSTEM_BROWSER, "https://x", ""))
    assert waiting.panel.heading.text() == "Waiting for your browser\N{HORIZONTAL ELLIPSIS}"
    assert waiting.reopen.isVisibleTo(waiting)
    waiting.finish()


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("https://platform.ringcentral.com/restapi/oauth/authorize?x=1", "\N{LOCK} platform.ringcentral.com"),
        ("https://sso.example.com:8443/login", "\N{LOCK} sso.example.com:8443"),
        ("http://127.0.0.1:5000/a", "127.0.0.1:5000 (this computer)"),
        ("http://localhost:5000/a", "localhost:5000 (this computer)"),
        ("http://[::1]:5000/a", "::1:5000 (this computer)"),
        # How a dual-stack socket names an IPv4 peer; `ipaddress` alone does not call it loopback.
        ("http://[::ffff:127.0.0.1]:5000/a", "::ffff:127.0.0.1:5000 (this computer)"),
        ("http://idp.example.com/login", "idp.example.com \N{EM DASH} not secure"),
        ("about:blank", ""),
    ],
)
def test_the_address_line_names_the_host(url: str, text: str) -> None:
    assert describe_address(url) == text


async def test_a_refusal_shown_after_the_jwt_form_opened_does_not_squeeze_it(qtbot: QtBot) -> None:
    from ringdesk.platforms.ringcentral import PlatformClient
    from ringdesk.platforms.ringcentral.platform import RingCentralPlatform
    from ringdesk.ui.viewmodels.sign_in import SignInViewModel
    from ringdesk.ui.widgets.unattended_sign_in import UnattendedSignInDialog
    from tests.fakes import no_spawn
    from tests.ui.doubles import owner

    async with PlatformClient("https://platform.ringcentral.com", "preview") as client:
        vm = SignInViewModel(
            object(),
            RingCentralPlatform(client),
            redirect_uri="http://127.0.0.1:53682/oauth/callback",
            spawn=no_spawn,
        )
        vm.setParent(owner())
        dialog = UnattendedSignInDialog(vm)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        layout = dialog.layout()
        assert layout is not None
        # Opened just tall enough for the form, as it is at its natural width.
        before = layout.totalHeightForWidth(dialog.width())
        dialog.resize(dialog.width(), before)
        vm.failed.emit("The JWT credential was not accepted; it may have expired or been revoked.")
        assert dialog.error.isVisible()
        needed = layout.totalHeightForWidth(dialog.width())
        assert needed > before, "the sentence needs room the opened dialog did not have"
        assert dialog.height() >= needed
