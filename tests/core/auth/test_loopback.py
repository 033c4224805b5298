"""The loopback redirect listener over a real socket, as a browser would reach it."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from ringdesk.auth import LoopbackRedirectListener, SignInDenied, SignInFailed, new_attempt, read_redirect
from ringdesk.config import LoginMethod, validate_redirect_uri


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def redirect_uri() -> str:
    return f"http://127.0.0.1:{free_port()}/oauth/callback"


async def test_the_redirect_is_received_and_the_page_says_return(redirect_uri: str) -> None:
    attempt = new_attempt(redirect_uri)
    async with (
        LoopbackRedirectListener(redirect_uri, attempt.state) as listener,
        httpx.AsyncClient() as browser,
    ):
        waiting = asyncio.create_task(listener.wait())
        response = await browser.get(redirect_uri, params={"code": "the-code", "state": attempt.state})
        url = await asyncio.wait_for(waiting, 5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "return to RingDesk" in response.text
    assert "the-code" not in response.text
    assert attempt.state not in response.text
    assert response.headers["referrer-policy"] == "no-referrer"
    assert read_redirect(url, attempt) == "the-code"


async def test_requests_without_this_attempts_state_are_ignored_and_the_genuine_redirect_wins(
    redirect_uri: str,
) -> None:
    attempt = new_attempt(redirect_uri)
    not_ours = [
        redirect_uri,  # a bare GET, e.g. the callback revisited from the browser's history
        f"{redirect_uri}?code=forged&state=another-attempt",
        f"{redirect_uri}?code=forged",
        f"{redirect_uri}?error=access_denied",
        f"{redirect_uri}?code=forged&state={attempt.state}&state=another-attempt",
    ]
    async with (
        LoopbackRedirectListener(redirect_uri, attempt.state) as listener,
        httpx.AsyncClient() as browser,
    ):
        waiting = asyncio.create_task(listener.wait())
        for url in not_ours:
            response = await browser.get(url)
            assert response.status_code == 400, url
            assert "not the sign-in RingDesk is waiting for" in response.text
            assert "forged" not in response.text and attempt.state not in response.text
            await asyncio.sleep(0.02)
            assert not waiting.done(), url
        genuine = await browser.get(redirect_uri, params={"code": "the-code", "state": attempt.state})
        url = await asyncio.wait_for(waiting, 5)
    assert genuine.status_code == 200 and "return to RingDesk" in genuine.text
    assert read_redirect(url, attempt) == "the-code"


async def test_other_paths_get_404_and_do_not_count(redirect_uri: str) -> None:
    attempt = new_attempt(redirect_uri)
    base = redirect_uri.rsplit("/", 2)[0]
    async with (
        LoopbackRedirectListener(redirect_uri, attempt.state) as listener,
        httpx.AsyncClient() as browser,
    ):
        waiting = asyncio.create_task(listener.wait())
        for path in ("/favicon.ico", "/oauth/callback/", "/oauth", "/"):
            response = await browser.get(base + path, params={"code": "x", "state": attempt.state})
            assert response.status_code == 404, path
            assert attempt.state not in response.text
        posted = await browser.post(redirect_uri, data={"code": "x"})
        assert posted.status_code == 405
        assert not waiting.done()
        await browser.get(redirect_uri, params={"code": "real", "state": attempt.state})
        url = await asyncio.wait_for(waiting, 5)
    assert read_redirect(url, attempt) == "real"


async def test_the_error_redirect_is_handed_over_too(redirect_uri: str) -> None:
    attempt = new_attempt(redirect_uri)
    async with (
        LoopbackRedirectListener(redirect_uri, attempt.state) as listener,
        httpx.AsyncClient() as browser,
    ):
        waiting = asyncio.create_task(listener.wait())
        await browser.get(redirect_uri, params={"error": "access_denied", "state": attempt.state})
        url = await asyncio.wait_for(waiting, 5)
    with pytest.raises(SignInDenied):
        read_redirect(url, attempt)


async def test_listener_stops_listening_on_exit(redirect_uri: str) -> None:
    async with LoopbackRedirectListener(redirect_uri, "a-state"):
        pass
    async with httpx.AsyncClient() as browser:
        with pytest.raises(httpx.ConnectError):
            await browser.get(redirect_uri)


async def test_an_idle_connection_does_not_keep_a_task_alive(redirect_uri: str) -> None:
    port = int(redirect_uri.split(":")[2].split("/")[0])
    async with LoopbackRedirectListener(redirect_uri, "a-state"):
        # A browser's speculative pre-connect: opens a connection and sends nothing.
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.sleep(0.05)
    writer.close()
    await asyncio.sleep(0)
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert pending == []


async def test_port_in_use_is_a_clear_error(redirect_uri: str) -> None:
    port = int(redirect_uri.split(":")[2].split("/")[0])
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        with pytest.raises(SignInFailed) as caught:
            async with LoopbackRedirectListener(redirect_uri, "a-state"):
                pass
    assert str(port) in caught.value.user_message


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1/oauth/callback",  # no port
        "http://127.0.0.1:0/oauth/callback",  # ephemeral port: the platform matches exactly
        "https://127.0.0.1:53682/oauth/callback",  # not plain http on loopback
        "http://example.com:53682/oauth/callback",  # not loopback
        "ringdesk://oauth/callback",
    ],
)
def test_only_fixed_loopback_uris_are_accepted(uri: str) -> None:
    with pytest.raises(ValueError):
        LoopbackRedirectListener(uri, "a-state")


def test_localhost_uri_listens_on_127_0_0_1() -> None:
    listener = LoopbackRedirectListener("http://localhost:53682/oauth/callback", "a-state")
    assert listener.port == 53682


async def test_every_loopback_redirect_the_settings_accept_is_received() -> None:
    # An IPv4-mapped address is loopback to the settings check, so the listener must take it too.
    port = free_port()
    redirect_uri = f"http://[::ffff:127.0.0.1]:{port}/oauth/callback"
    assert validate_redirect_uri(redirect_uri, LoginMethod.SYSTEM_BROWSER) == []
    async with LoopbackRedirectListener(redirect_uri, "s") as listener, httpx.AsyncClient() as browser:
        waiting = asyncio.create_task(listener.wait())
        response = await browser.get(
            f"http://127.0.0.1:{port}/oauth/callback", params={"code": "c", "state": "s"}
        )
        assert response.status_code == 200
        assert await asyncio.wait_for(waiting, 5) == f"{redirect_uri}?code=c&state=s"
