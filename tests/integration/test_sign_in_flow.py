"""Sign-in end to end: the real `SignInWindow` and browser engine, the simulator's real sign-in page,
the real `PlatformClient`, `Session` and `TokenStore` (the desktop session's Secret Service).

Each test runs one coroutine on the qasync loop, as the app does; signals are awaited through
futures (`qtasync.wait_signal`), never with `qtbot.wait*`, which would block the loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
import qasync
import shiboken6
from PySide6.QtCore import QEventLoop, QUrl

from ringdesk import qtasync
from ringdesk.auth import pkce
from ringdesk.auth.pkce import AuthorizationAttempt
from ringdesk.auth.session import Session, SessionState
from ringdesk.auth.token_store import TokenStore
from ringdesk.platforms.ringcentral.client import PlatformClient
from ringdesk.platforms.ringcentral.platform import RingCentralPlatform
from ringdesk.ui.viewmodels.sign_in import CANCELLED, DENIED, STATE_MISMATCH, SignInViewModel
from ringdesk.ui.widgets.browser_wait_window import BrowserWaitWindow
from ringdesk.ui.widgets.sign_in_presenter import SignInPresenter
from ringdesk.ui.widgets.sign_in_window import SignInWindow

CLIENT_ID = "ringdesk-demo"
REDIRECT_URI = "http://127.0.0.1:53682/oauth/callback"
TIMEOUT = 30.0


@dataclass
class Rig:
    sim: Any
    control: Any
    client: PlatformClient
    store: TokenStore
    session: Session
    vm: SignInViewModel
    windows: list[SignInWindow] = field(default_factory=list)
    attempts: list[AuthorizationAttempt] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)


@pytest.fixture
def loop(qapp) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop driven by a nested `QEventLoop`, never by `QApplication.exec()`.

    Each `exec()` of the application ends with `aboutToQuit`, and QtWebEngine tears itself down on
    that signal: a second `exec()` in the same process then crashes. A nested `QEventLoop` (what
    pytest-qt uses too) runs the same events without that signal.
    """
    quit_on_close = qapp.quitOnLastWindowClosed()
    # As in the app: the sign-in window is often the last one open, and closing it must not quit.
    qapp.setQuitOnLastWindowClosed(False)
    event_loop = qasync.QEventLoop(qapp, already_running=True)
    event_loop.set_exception_handler(lambda _loop, context: pytest.fail(str(context)))
    yield event_loop
    run_nested(event_loop, qtasync.cancel_spawned())
    # `stop()` would call QApplication.exit(), which also ends the next test's nested loop at once;
    # this loop never ran `exec()`, so it is marked stopped by hand and then closed.
    event_loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
    event_loop.close()
    qapp.setQuitOnLastWindowClosed(quit_on_close)


def run_nested(event_loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> Any:
    asyncio.events._set_running_loop(event_loop)
    try:
        task = event_loop.create_task(coro)
        waiter = QEventLoop()
        task.add_done_callback(lambda _task: waiter.quit())
        if not task.done():
            waiter.exec()
        return task.result()
    finally:
        asyncio.events._set_running_loop(None)


@pytest.fixture
def run(loop: asyncio.AbstractEventLoop, sim, sim_control, monkeypatch) -> Callable[..., Any]:
    """`run(body, **vm_options)`: build the rig on the loop, run `await body(rig)`, tear down."""
    real_new_attempt = pkce.new_attempt

    def runner(body: Callable[[Rig], Coroutine[Any, Any, None]], **vm_options: Any) -> None:
        async def main() -> None:
            async with rig_for(sim, sim_control, vm_options, real_new_attempt, monkeypatch) as rig:
                async with asyncio.timeout(90):
                    await body(rig)

        run_nested(loop, main())

    return runner


def rig_for(
    sim: Any, control: Any, vm_options: dict[str, Any], real_new_attempt: Any, monkeypatch: Any
) -> Any:
    import contextlib

    @contextlib.asynccontextmanager
    async def build() -> AsyncIterator[Rig]:
        client = PlatformClient(sim.base_url, CLIENT_ID)
        store = TokenStore(sim.base_url, CLIENT_ID)
        platform = RingCentralPlatform(client)
        session = Session(platform, store)
        rig = Rig(sim, control, client, store, session, vm=None)  # type: ignore[arg-type]

        def recording_new_attempt(redirect_uri: str) -> AuthorizationAttempt:
            attempt = real_new_attempt(redirect_uri)
            rig.attempts.append(attempt)
            return attempt

        monkeypatch.setattr(pkce, "new_attempt", recording_new_attempt)

        def window_factory(is_redirect: Callable[[str], bool]) -> SignInWindow:
            window = SignInWindow(is_redirect)
            rig.windows.append(window)
            return window

        embedded_window = vm_options.pop("embedded_window", window_factory)
        wait_window = vm_options.pop("wait_window", BrowserWaitWindow)
        options: dict[str, Any] = {
            "redirect_uri": REDIRECT_URI,
            "embedded_available": embedded_window is not None,
        }
        options.update(vm_options)
        rig.vm = SignInViewModel(session, platform, **options)
        SignInPresenter(rig.vm, embedded_window=embedded_window, wait_window=wait_window)
        try:
            yield rig
        finally:
            rig.vm.close()
            await session.aclose()
            await store.clear()
            await client.aclose()

    return build()


async def run_js(window: SignInWindow, script: str) -> Any:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    window.view.page().runJavaScript(script, 0, lambda result: future.done() or future.set_result(result))
    async with asyncio.timeout(10):
        return await future


async def fill_and_click(
    window: SignInWindow, login: str, password: str, extension: str, button: str
) -> None:
    values = json.dumps({"login": login, "password": password, "extension": extension})
    await run_js(
        window,
        f"""(() => {{ const v = {values};
            for (const k of Object.keys(v)) document.querySelector(`[name=${{k}}]`).value = v[k];
            document.getElementById({json.dumps(button)}).click(); return true; }})()""",
    )


async def start_embedded(rig: Rig) -> SignInWindow:
    rig.vm.start()
    window = rig.windows[-1]
    loaded_future = qtasync.wait_signal(window.view.loadFinished)
    async with asyncio.timeout(TIMEOUT):
        (ok,) = await loaded_future
    assert ok
    return window


def user_of(rig: Rig) -> Any:
    return rig.sim.scenario.account.users[0]


def test_signing_in_through_the_page_ends_signed_in(run) -> None:
    async def body(rig: Rig) -> None:
        user = user_of(rig)
        window = await start_embedded(rig)
        profile = window.profile
        assert await run_js(window, "document.getElementById('demo-hint') !== null")
        succeeded = qtasync.wait_signal(rig.vm.succeeded)
        await fill_and_click(window, user.login, user.password, user.extension_number, "signin")
        async with asyncio.timeout(TIMEOUT):
            (identity,) = await succeeded
        assert identity.extension_number == "101"
        assert rig.session.status.state is SessionState.SIGNED_IN
        assert rig.session.status.identity == identity
        assert not rig.vm.is_busy
        # The browser is given back: the window is closed and its profile deleted.
        assert not window.isVisible()
        assert not shiboken6.isValid(profile)

    run(body)


def test_a_wrong_password_stays_on_the_page_and_signs_nobody_in(run) -> None:
    async def body(rig: Rig) -> None:
        user = user_of(rig)
        window = await start_embedded(rig)
        reloaded = qtasync.wait_signal(window.view.loadFinished)
        await fill_and_click(window, user.login, "not-the-password", user.extension_number, "signin")
        async with asyncio.timeout(TIMEOUT):
            await reloaded
        text = await run_js(window, "document.body.innerText")
        assert "wrong login, extension or password" in str(text).lower()
        assert rig.session.status.state is SessionState.SIGNED_OUT
        assert rig.vm.is_busy and rig.vm.last_problem is None  # still signing in: the page's job

        failed = qtasync.wait_signal(rig.vm.failed)
        window.close()
        async with asyncio.timeout(TIMEOUT):
            assert await failed == (CANCELLED,)
        assert rig.session.status.state is SessionState.SIGNED_OUT

    run(body)


def test_deny_says_so_and_signs_nobody_in(run) -> None:
    async def body(rig: Rig) -> None:
        window = await start_embedded(rig)
        failed = qtasync.wait_signal(rig.vm.failed)
        await run_js(window, "document.getElementById('deny').click(); true")
        async with asyncio.timeout(TIMEOUT):
            assert await failed == (DENIED,)
        assert rig.session.status.state is SessionState.SIGNED_OUT
        assert window.panel.isVisible() and window.panel.sentence.text() == DENIED

        # "Try again" loads the page again with a fresh attempt, in the same window.
        reloaded = qtasync.wait_signal(window.view.loadFinished)
        window.panel.primary.click()
        async with asyncio.timeout(TIMEOUT):
            await reloaded
        assert len(rig.windows) == 1 and len(rig.attempts) == 2
        assert rig.attempts[0].state != rig.attempts[1].state
        assert not window.panel.isVisible()

    run(body)


def test_closing_the_window_cancels(run) -> None:
    async def body(rig: Rig) -> None:
        window = await start_embedded(rig)
        profile = window.profile
        failed = qtasync.wait_signal(rig.vm.failed)
        window.close()
        async with asyncio.timeout(TIMEOUT):
            assert await failed == (CANCELLED,)
        assert rig.session.status.state is SessionState.SIGNED_OUT
        assert not rig.vm.is_busy
        assert not shiboken6.isValid(profile)

    run(body)


def test_an_answer_with_another_state_is_refused(run) -> None:
    async def body(rig: Rig) -> None:
        window = await start_embedded(rig)
        failed = qtasync.wait_signal(rig.vm.failed)
        # A page (or an attacker's link) sends the browser to the redirect URI with a code of its own.
        forged = REDIRECT_URI + "?code=forged-code&state=somebody-elses-state"
        await run_js(window, f"location.href = {json.dumps(forged)}; true")
        async with asyncio.timeout(TIMEOUT):
            assert await failed == (STATE_MISMATCH,)
        assert rig.session.status.state is SessionState.SIGNED_OUT
        assert [r for r in rig.control.requests() if r["path"] == "/restapi/oauth/token"] == []

    run(body)


def test_a_replayed_code_is_refused_and_the_first_session_revoked(run) -> None:
    async def body(rig: Rig) -> None:
        user = user_of(rig)
        window = await start_embedded(rig)
        first_use: dict[str, Any] = {}

        def exchange_first(url: str) -> None:
            # Someone else exchanges the code before RingDesk does (synchronously, so it is first).
            code = parse_qs(urlsplit(url).query)["code"][0]
            reply = httpx.post(
                f"{rig.sim.base_url}/restapi/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT_URI,
                    "code_verifier": rig.attempts[-1].code_verifier,
                    "client_id": CLIENT_ID,
                },
                timeout=10,
            )
            first_use["status"] = reply.status_code
            first_use["access_token"] = reply.json().get("access_token")

        window.redirect_caught.connect(exchange_first)
        failed = qtasync.wait_signal(rig.vm.failed)
        await fill_and_click(window, user.login, user.password, user.extension_number, "signin")
        async with asyncio.timeout(TIMEOUT):
            (sentence,) = await failed
        assert first_use["status"] == 200
        assert sentence == "The sign-in took too long or was already used. Please try again."
        assert rig.session.status.state is SessionState.SIGNED_OUT
        assert window.panel.sentence.text() == sentence
        # As the platform does: a code used twice ends the session the first use made.
        async with httpx.AsyncClient() as http:
            reply = await http.get(
                f"{rig.sim.base_url}/restapi/v1.0/account/~/extension/~",
                headers={"Authorization": f"Bearer {first_use['access_token']}"},
            )
        assert reply.status_code == 401

    run(body)


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action = values.get("action", "")
        elif tag == "input" and values.get("type") == "hidden":
            self.fields[values["name"]] = values.get("value", "")


def test_the_system_browser_signs_in_through_the_loopback_listener(run) -> None:
    browser_tasks: list[asyncio.Task[None]] = []
    waits: list[BrowserWaitWindow] = []

    async def browser(rig: Rig, url: str) -> None:
        # What a person's browser does: show the page, submit the form, follow the redirect home.
        user = user_of(rig)
        async with httpx.AsyncClient(timeout=10) as http:
            page = await http.get(url, follow_redirects=True)  # authorize sends it to the sign-in page
            assert page.status_code == 200
            form = _FormReader()
            form.feed(page.text)
            fields = {
                **form.fields,
                "login": user.login,
                "password": user.password,
                "extension": user.extension_number,
                "action": "signin",
            }
            answer = await http.post(urljoin(str(page.url), form.action), data=fields)
            assert answer.status_code == 302
            location = answer.headers["location"]
            assert location.startswith(REDIRECT_URI)
            home = await http.get(location)
            assert home.status_code == 200 and "return to RingDesk" in home.text

    def make_opener(rig_box: list[Rig]) -> Callable[[QUrl], bool]:
        def opener(url: QUrl) -> bool:
            text = url.toEncoded().data().decode()
            rig_box[0].opened.append(text)
            browser_tasks.append(asyncio.get_running_loop().create_task(browser(rig_box[0], text)))
            return True

        return opener

    rig_box: list[Rig] = []

    def wait_factory() -> BrowserWaitWindow:
        window = BrowserWaitWindow()
        waits.append(window)
        return window

    async def body(rig: Rig) -> None:
        rig_box.append(rig)
        succeeded = qtasync.wait_signal(rig.vm.succeeded)
        rig.vm.start()
        assert waits and waits[0].isVisible()
        async with asyncio.timeout(TIMEOUT):
            (identity,) = await succeeded
        await asyncio.gather(*browser_tasks)
        assert identity.extension_number == "101"
        assert rig.session.status.state is SessionState.SIGNED_IN
        assert len(rig.opened) == 1 and rig.opened[0].startswith(
            rig.sim.base_url + "/restapi/oauth/authorize?"
        )
        assert rig.windows == [], "no embedded window for the system browser"
        assert not waits[0].isVisible()

    run(
        body,
        login_method="system_browser",
        opener=make_opener(rig_box),
        wait_window=wait_factory,
    )


def test_without_qtwebengine_the_system_browser_is_chosen(run) -> None:
    async def body(rig: Rig) -> None:
        assert rig.vm.login_method.value == "system_browser"

    run(body, embedded_window=None)
