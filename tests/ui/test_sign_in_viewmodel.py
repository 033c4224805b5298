"""`SignInViewModel` and the `SignInPresenter` that follows its views: fakes for the session and the
windows, a real loopback listener.

The windows are fakes because these tests are about the attempt's logic (state, one answer per
attempt, one sentence per failure) and which window shows what; the real window is tested in
test_sign_in_window.py and the whole path in tests/integration/test_sign_in_flow.py.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from PySide6.QtCore import QObject, QUrl, Signal

from ringdesk.auth.pkce import AuthorizationAttempt
from ringdesk.config import LoginMethod
from ringdesk.errors import NetworkError, OAuthError
from ringdesk.platforms.base import Identity
from ringdesk.ui.viewmodels.secret_storage import describe_secret_storage
from ringdesk.ui.viewmodels.sign_in import (
    CANCELLED,
    DENIED,
    NO_BROWSER,
    STATE_MISMATCH,
    SignInStep,
    SignInView,
    SignInViewModel,
)
from ringdesk.ui.widgets.sign_in_presenter import SignInPresenter
from tests.fakes import loop_spawn

pytestmark = pytest.mark.viewmodels

REDIRECT = "http://127.0.0.1:53682/oauth/callback"
FINISHING = "Finishing sign-in with RingCentral\N{HORIZONTAL ELLIPSIS}"
IDENTITY = Identity(account_id="1", extension_id="11", extension_number="101", name="Dana Operator")


class FakeWindow(QObject):
    """Either sign-in window: renders views as the real ones do, and records what it showed."""

    redirect_caught = Signal(str)
    closed = Signal()
    try_again_requested = Signal()
    cancel_requested = Signal()
    reopen_requested = Signal()

    def __init__(self, is_redirect: Callable[[str], bool] | None = None) -> None:
        super().__init__()
        self.is_redirect = is_redirect
        self.loaded: list[str] = []
        self.calls: list[tuple[str, str]] = []
        self.finished = False
        self.shown = 0

    def show_view(self, view: SignInView) -> None:
        if view.step is SignInStep.SIGN_IN_PAGE and view.page_url not in self.loaded[-1:]:
            self.loaded.append(view.page_url)
        elif view.step is SignInStep.WAITING_FOR_BROWSER:
            self.calls.append(("waiting", ""))
        elif view.step is SignInStep.FINISHING:
            self.calls.append(("working", view.sentence))
        elif view.step is SignInStep.PROBLEM:
            self.calls.append(("problem", view.sentence))

    def finish(self) -> None:
        self.finished = True

    def show(self) -> None:
        self.shown += 1

    def raise_(self) -> None:
        pass

    def activateWindow(self) -> None:
        pass

    def close_by_person(self) -> None:
        self.closed.emit()


class FakePlatform:
    def authorize_url(self, redirect_uri: str, state: str, code_challenge: str, **extra: str | None) -> str:
        query = {"redirect_uri": redirect_uri, "state": state, "code_challenge": code_challenge}
        return "https://platform.example.com/restapi/oauth/authorize?" + urlencode(query)


class FakeSession:
    def __init__(self) -> None:
        self.codes: list[tuple[str, AuthorizationAttempt]] = []
        self.jwts: list[tuple[str, bool]] = []
        self.passwords: list[tuple[str, str | None, str]] = []
        self.error: BaseException | None = None
        self.gate: asyncio.Event | None = None
        self.cancelled = False

    async def _answer(self) -> Identity:
        if self.gate is not None:
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.cancelled = True
                raise
        if self.error is not None:
            raise self.error
        return IDENTITY

    async def sign_in_with_code(self, code: str, attempt: AuthorizationAttempt) -> Identity:
        self.codes.append((code, attempt))
        return await self._answer()

    async def sign_in_with_jwt(self, jwt: str, remember: bool = True) -> Identity:
        self.jwts.append((jwt, remember))
        return await self._answer()

    async def sign_in_with_password(self, username: str, extension: str | None, password: str) -> Identity:
        self.passwords.append((username, extension, password))
        return await self._answer()


class Recorder:
    def __init__(self, vm: SignInViewModel) -> None:
        self.succeeded: list[Identity] = []
        self.failed: list[str] = []
        self.busy: list[bool] = []
        self._ended = asyncio.Event()
        vm.succeeded.connect(self._on_succeeded)
        vm.failed.connect(self._on_failed)
        vm.busy.connect(self.busy.append)

    def _on_succeeded(self, identity: Identity) -> None:
        self.succeeded.append(identity)
        self._ended.set()

    def _on_failed(self, sentence: str) -> None:
        self.failed.append(sentence)
        self._ended.set()

    def reset(self) -> None:
        self.succeeded.clear()
        self.failed.clear()
        self._ended.clear()

    async def outcome(self) -> None:
        """Until the next success or failure (at most 5 s)."""
        async with asyncio.timeout(5):
            await self._ended.wait()
        self._ended.clear()


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


@pytest.fixture
def windows() -> list[FakeWindow]:
    return []


@pytest.fixture
def make_vm(qapp, session: FakeSession, windows: list[FakeWindow]) -> Callable[..., SignInViewModel]:
    def factory(is_redirect: Callable[[str], bool]) -> FakeWindow:
        window = FakeWindow(is_redirect)
        windows.append(window)
        return window

    def make(**kwargs: Any) -> SignInViewModel:
        options: dict[str, Any] = {"redirect_uri": REDIRECT, "embedded_available": True, "spawn": loop_spawn}
        options.update(kwargs)
        vm = SignInViewModel(session, FakePlatform(), **options)
        SignInPresenter(vm, embedded_window=factory, wait_window=lambda: factory(lambda _url: False))
        return vm

    return make


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def answer(state: str, **params: str) -> str:
    return f"{REDIRECT}?{urlencode({**params, 'state': state})}"


async def test_embedded_sign_in_exchanges_the_code_once(make_vm, session, windows) -> None:
    vm = make_vm()
    seen = Recorder(vm)
    vm.start()
    (window,) = windows
    assert window.is_redirect is not None
    assert window.is_redirect(REDIRECT + "?code=x") and not window.is_redirect("http://127.0.0.1:53682/other")
    state = state_of(window.loaded[0])

    window.redirect_caught.emit(answer(state, code="the-code"))
    window.redirect_caught.emit(answer(state, code="the-code"))  # a second answer must change nothing
    await seen.outcome()

    assert seen.succeeded == [IDENTITY]
    assert seen.failed == []
    assert [code for code, _ in session.codes] == ["the-code"]
    assert session.codes[0][1].state == state
    assert ("working", FINISHING) in window.calls
    assert window.finished
    assert seen.busy == [True, False]
    assert not vm.is_busy
    assert vm.view.step is SignInStep.CLOSED and vm.view.page_url == ""


@pytest.mark.parametrize(
    ("params", "sentence"),
    [
        ({"error": "access_denied", "error_description": "The user denied access"}, DENIED),
        ({"code": "c", "state_override": "someone-elses-state"}, STATE_MISMATCH),
        ({"code": "c", "state_override": ""}, STATE_MISMATCH),
        ({"error": "server_error"}, "Signing in did not work. Please try again."),
    ],
)
async def test_a_bad_answer_fails_with_one_sentence_and_no_exchange(
    make_vm, session, windows, params, sentence
) -> None:
    vm = make_vm()
    seen = Recorder(vm)
    vm.start()
    (window,) = windows
    state = params.pop("state_override", state_of(window.loaded[0]))
    window.redirect_caught.emit(answer(state, **params))
    await seen.outcome()

    assert seen.failed == [sentence]
    assert session.codes == []
    assert window.calls[-1] == ("problem", sentence)
    assert not window.finished  # stays open with "Try again"
    assert vm.last_problem == sentence and not vm.is_busy
    assert vm.view == SignInView(SignInStep.PROBLEM, LoginMethod.EMBEDDED, "", sentence)


async def test_try_again_starts_a_fresh_attempt_and_the_old_answer_is_refused(make_vm, session, windows):
    vm = make_vm()
    seen = Recorder(vm)
    vm.start()
    (window,) = windows
    old_state = state_of(window.loaded[0])
    window.redirect_caught.emit(answer(old_state, error="access_denied"))
    await seen.outcome()

    window.try_again_requested.emit()
    assert len(windows) == 1, "Try again reuses the open window"
    new_state = state_of(window.loaded[-1])
    assert new_state != old_state
    assert vm.last_problem is None and vm.is_busy

    seen.reset()
    window.redirect_caught.emit(answer(old_state, code="stolen-or-stale"))
    await seen.outcome()
    assert seen.failed == [STATE_MISMATCH]
    assert session.codes == []


async def test_closing_the_window_cancels(make_vm, session, windows) -> None:
    vm = make_vm()
    seen = Recorder(vm)
    vm.start()
    windows[0].close_by_person()
    await seen.outcome()
    assert seen.failed == [CANCELLED]
    assert seen.busy == [True, False]
    # A redirect arriving after the close finds no attempt.
    windows[0].redirect_caught.emit(answer(state_of(windows[0].loaded[0]), code="late"))
    await asyncio.sleep(0.05)
    assert session.codes == [] and seen.succeeded == []


async def test_the_view_model_alone_publishes_each_step(qapp, session) -> None:
    vm = SignInViewModel(
        session, FakePlatform(), redirect_uri=REDIRECT, embedded_available=True, spawn=loop_spawn
    )
    seen = Recorder(vm)
    views: list[SignInView] = []
    vm.changed.connect(views.append)
    assert vm.view == SignInView(SignInStep.CLOSED, LoginMethod.EMBEDDED, "", "")

    vm.start()
    page = vm.view.page_url
    assert vm.view == SignInView(SignInStep.SIGN_IN_PAGE, LoginMethod.EMBEDDED, page, "")
    assert vm.is_redirect(REDIRECT + "?code=x") and not vm.is_redirect("http://127.0.0.1:53682/other")
    vm.redirected(answer(state_of(page), code="c"))
    assert vm.view == SignInView(SignInStep.FINISHING, LoginMethod.EMBEDDED, page, FINISHING)
    await seen.outcome()

    assert seen.succeeded
    assert [view.step for view in views] == [SignInStep.SIGN_IN_PAGE, SignInStep.FINISHING, SignInStep.CLOSED]


async def test_signing_in_again_during_an_attempt_brings_its_window_forward(make_vm, windows) -> None:
    vm = make_vm()
    vm.start()
    (window,) = windows
    shown = window.shown
    vm.start()
    assert len(windows) == 1 and window.shown == shown + 1
    assert len(window.loaded) == 1, "the attempt under way goes on"


async def test_closing_the_window_after_a_problem_closes_the_view(make_vm, session, windows) -> None:
    vm = make_vm()
    seen = Recorder(vm)
    vm.start()
    windows[0].redirect_caught.emit(answer(state_of(windows[0].loaded[0]), error="access_denied"))
    await seen.outcome()
    assert vm.view.step is SignInStep.PROBLEM

    windows[0].close_by_person()
    assert vm.view.step is SignInStep.CLOSED
    assert seen.failed == [DENIED], "nothing more is said"
    vm.start()
    assert len(windows) == 2, "the next attempt has a window of its own"


async def test_closing_during_the_exchange_cancels_it(make_vm, session, windows) -> None:
    session.gate = asyncio.Event()
    vm = make_vm()
    seen = Recorder(vm)
    vm.start()
    window = windows[0]
    window.redirect_caught.emit(answer(state_of(window.loaded[0]), code="c"))
    await asyncio.sleep(0.05)
    assert session.codes and vm.is_busy
    window.close_by_person()
    await asyncio.sleep(0.05)
    assert session.cancelled
    assert seen.failed == [CANCELLED] and seen.succeeded == []


@pytest.mark.parametrize(
    ("error", "sentence"),
    [
        (
            OAuthError(oauth_error="invalid_grant", grant_type="authorization_code", status=400),
            "The sign-in took too long or was already used. Please try again.",
        ),
        (
            NetworkError(may_have_reached_server=False),
            "Cannot reach the phone service. Check your internet connection.",
        ),
        (RuntimeError("a bug"), "Something went wrong."),
    ],
)
async def test_a_failed_exchange_is_one_sentence_in_the_window(make_vm, session, windows, error, sentence):
    session.error = error
    vm = make_vm()
    seen = Recorder(vm)
    vm.start()
    window = windows[0]
    window.redirect_caught.emit(answer(state_of(window.loaded[0]), code="c"))
    await seen.outcome()
    assert seen.failed == [sentence]
    assert window.calls[-1] == ("problem", sentence)
    assert not vm.is_busy


async def test_without_qtwebengine_the_system_browser_is_used(make_vm) -> None:
    vm = make_vm(embedded_available=False)
    assert vm.login_method is LoginMethod.SYSTEM_BROWSER
    assert vm.embedded_unavailable_note is not None
    assert make_vm().login_method is LoginMethod.EMBEDDED


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_system_browser_flow_through_a_real_loopback_listener(make_vm, session, windows) -> None:
    redirect = f"http://127.0.0.1:{free_port()}/oauth/callback"
    opened: list[str] = []
    browser_tasks: list[asyncio.Task[Any]] = []

    async def browser(url: str) -> None:
        # The platform sends the browser back to the redirect URI with the code and the state.
        query = parse_qs(urlsplit(url).query)
        back = (
            query["redirect_uri"][0] + "?" + urlencode({"code": "browser-code", "state": query["state"][0]})
        )
        async with httpx.AsyncClient() as http:
            reply = await http.get(back)
        assert reply.status_code == 200
        assert "browser-code" not in reply.text

    def opener(url: QUrl) -> bool:
        opened.append(url.toString())
        browser_tasks.append(asyncio.get_running_loop().create_task(browser(url.toEncoded().data().decode())))
        return True

    vm = make_vm(redirect_uri=redirect, login_method="system_browser", opener=opener)
    seen = Recorder(vm)
    vm.start()
    (wait_window,) = windows
    assert wait_window.calls[0] == ("waiting", "")
    await seen.outcome()
    await asyncio.gather(*browser_tasks)
    assert seen.succeeded and not seen.failed
    assert [code for code, _ in session.codes] == ["browser-code"]
    assert len(opened) == 1
    assert wait_window.finished


async def test_system_browser_ignores_a_foreign_state_and_cancel(make_vm, session, windows) -> None:
    redirect = f"http://127.0.0.1:{free_port()}/oauth/callback"
    browser_tasks: list[asyncio.Task[None]] = []

    async def tampered_then_genuine(url: str) -> None:
        # Another program answers first with a state of its own: ignored; the genuine answer still wins.
        state = parse_qs(urlsplit(url).query)["state"][0]
        async with httpx.AsyncClient() as http:
            foreign = await http.get(redirect + "?code=x&state=not-this-attempt")
            assert foreign.status_code == 400
            await http.get(redirect + "?" + urlencode({"code": "browser-code", "state": state}))

    def opener(url: QUrl) -> bool:
        task = asyncio.get_running_loop().create_task(tampered_then_genuine(url.toEncoded().data().decode()))
        browser_tasks.append(task)
        return True

    vm = make_vm(redirect_uri=redirect, login_method="system_browser", opener=opener)
    seen = Recorder(vm)
    vm.start()
    await seen.outcome()
    await asyncio.gather(*browser_tasks)
    assert seen.succeeded and not seen.failed
    assert [code for code, _ in session.codes] == ["browser-code"]

    # Cancel while waiting: the listener lets go of the port at once.
    vm2 = make_vm(redirect_uri=redirect, login_method="system_browser", opener=lambda url: True)
    seen2 = Recorder(vm2)
    vm2.start()
    await asyncio.sleep(0.1)
    windows[-1].cancel_requested.emit()
    await seen2.outcome()
    assert seen2.failed == [CANCELLED]
    await asyncio.sleep(0.05)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", urlsplit(redirect).port or 0), timeout=2).close()


async def test_system_browser_problems_are_sentences(make_vm) -> None:
    vm = make_vm(
        login_method="system_browser",
        opener=lambda url: False,
        redirect_uri=f"http://127.0.0.1:{free_port()}/cb",
    )
    seen = Recorder(vm)
    vm.start()
    await seen.outcome()
    assert seen.failed == [NO_BROWSER]

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        vm = make_vm(
            login_method="system_browser", opener=lambda url: True, redirect_uri=f"http://127.0.0.1:{port}/cb"
        )
        seen = Recorder(vm)
        vm.start()
        await seen.outcome()
    assert len(seen.failed) == 1 and f"port {port}" in seen.failed[0]

    vm = make_vm(
        login_method="system_browser", opener=lambda url: True, redirect_uri="https://example.com/callback"
    )
    seen = Recorder(vm)
    vm.start()
    await seen.outcome()
    assert "redirect URI on this computer" in seen.failed[0]


async def test_jwt_sign_in(make_vm, session) -> None:
    vm = make_vm()
    seen = Recorder(vm)
    vm.sign_in_with_jwt("  \n ")
    assert seen.failed == ["Paste your JWT credential first."] and session.jwts == []

    seen.reset()
    vm.sign_in_with_jwt(" eyJhbGciOi.\nJIUzI1NiJ9.abc \n")
    await seen.outcome()
    assert session.jwts == [("eyJhbGciOi.JIUzI1NiJ9.abc", True)]
    assert seen.succeeded and seen.busy == [True, False]

    seen.reset()
    session.error = OAuthError(
        oauth_error="invalid_grant", grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer"
    )
    vm.sign_in_with_jwt("eyJ.expired.x")
    await seen.outcome()
    assert seen.failed == ["The JWT credential was not accepted; it may have expired or been revoked."]


async def test_password_sign_in_only_when_allowed(make_vm, session) -> None:
    vm = make_vm()
    seen = Recorder(vm)
    assert not vm.password_allowed
    vm.sign_in_with_password("+16505550100", "101", "secret")
    assert len(seen.failed) == 1 and "switched off" in seen.failed[0]
    assert session.passwords == []

    vm = make_vm(allow_password_grant=True)
    seen = Recorder(vm)
    vm.sign_in_with_password("+16505550100", "", "secret")
    await seen.outcome()
    assert session.passwords == [("+16505550100", None, "secret")]
    assert seen.succeeded


def test_secret_storage_sentences() -> None:
    class Keyring:
        backend_name = "Secret Service"
        persistent = True

    class Memory:
        backend_name = "memory only"
        persistent = False
        unavailable_reason = "No keyring was found, so you will need to sign in each time."

    assert describe_secret_storage(Keyring(), "The credential") == (
        "The credential is kept in your keyring (Secret Service), never in a file."
    )
    assert describe_secret_storage(Memory(), "The credential").startswith(
        "The credential is kept in memory only."
    )
    assert "GNOME Keyring" in describe_secret_storage(None, "The client secret")
