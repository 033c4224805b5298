"""The session against the real simulator, with fake clocks and sleep on the session's side.

Token requests are counted in the simulator's request log, so "exactly one refresh" is what the
server saw, not what the session believes it did.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from ringdesk.auth import (
    EXPIRED_PROBLEM,
    SessionState,
    SessionStatus,
    new_attempt,
    read_redirect,
    refresh_delay,
)
from ringdesk.errors import AuthenticationError, NetworkError, OAuthError, PermissionDenied
from ringdesk.platforms.ringcentral import TokenSet
from ringdesk.simulator import Simulator
from tests.fakes import MemoryKeyring, settle, until

from .conftest import Rig

TOKEN_PATH = "/restapi/oauth/token"
REVOKE_PATH = "/restapi/oauth/revoke"
EXT_PATH = "/restapi/v1.0/account/~/extension/~"
# The simulator states a 3600 s lifetime as `expires_in: 3599` (it floors what is left when it
# answers), so the refresh is due 0.8 * 3599 = 2879.2 s after issue.
LIFETIME = 3599
DUE = refresh_delay(LIFETIME)

Requests = Callable[[], list[dict[str, Any]]]


async def signed_in(rig: Rig, jwt: str, *, remember: bool = True) -> str:
    """Sign in with the JWT grant; returns the access token in use."""
    await rig.session.sign_in_with_jwt(jwt, remember=remember)
    tokens = await rig.store.load_tokens()
    assert tokens is not None and tokens.expires_in == LIFETIME
    return await rig.session.access_token()


def paths(sim_control: Any) -> list[tuple[str, str, int | None]]:
    return [(r["method"], r["path"], r["status"]) for r in sim_control.requests()]


async def stored(rig: Rig) -> TokenSet | None:
    return await rig.store.load_tokens()


# ---------------------------------------------------------------------- the schedule


@pytest.mark.parametrize(
    ("expires_in", "delay"),
    [(3600, 2880.0), (300, 240.0), (200, 140.0), (120, 60.0), (100, 60.0), (75, 60.0), (60, 48.0), (3, 2.4)],
)
def test_refresh_delay(expires_in: int, delay: float) -> None:
    assert refresh_delay(expires_in) == pytest.approx(delay)


def test_refresh_delay_is_continuous_monotonic_and_never_a_loop() -> None:
    values = [refresh_delay(t / 10) for t in range(0, 40000)]
    assert all(b >= a for a, b in itertools.pairwise(values))
    assert max(abs(b - a) for a, b in itertools.pairwise(values)) <= 0.1 + 1e-9
    assert refresh_delay(0) >= 1.0
    # Never later than 60 s before expiry once the lifetime allows it (at least 120 s).
    for lifetime in range(120, 10000, 7):
        assert refresh_delay(lifetime) <= lifetime - 60


# ---------------------------------------------------------------------- sign-in


async def test_jwt_sign_in(rig: Rig, jwt: str, sim: Simulator) -> None:
    statuses: list[SessionStatus] = []
    rig.session.subscribe(statuses.append)
    identity = await rig.session.sign_in_with_jwt(jwt)
    user = sim.scenario.account.users[0]
    assert identity.extension_id == str(user.extension_id)
    assert identity.extension_number == user.extension_number
    assert identity.name
    assert [s.state for s in statuses] == [SessionState.SIGNING_IN, SessionState.SIGNED_IN]
    assert rig.session.status.identity == identity
    assert rig.session.status.problem is None
    assert rig.session.status.tokens_persistent is True
    assert await rig.store.load_secret("jwt") == jwt
    saved = await stored(rig)
    assert saved is not None and saved.access_token == await rig.session.access_token()


async def test_jwt_not_remembered_is_forgotten(rig: Rig, jwt: str) -> None:
    await rig.store.save_secret("jwt", "an-older-jwt")
    await rig.session.sign_in_with_jwt(jwt, remember=False)
    assert await rig.store.load_secret("jwt") is None


async def test_code_sign_in_through_the_simulator_page(rig: Rig, sim: Simulator) -> None:
    attempt = new_attempt("http://127.0.0.1:53682/oauth/callback")
    authorize = rig.client.authorize_url(attempt.redirect_uri, attempt.state, attempt.code_challenge)
    user = sim.scenario.account.users[0]
    form = dict(parse_qsl(urlsplit(authorize).query))
    form.update(login=user.login, extension=user.extension_number, password=user.password, action="signin")
    async with httpx.AsyncClient() as browser:
        answer = await browser.post(f"{sim.base_url}/login/", data=form)
    assert answer.status_code == 302
    code = read_redirect(answer.headers["location"], attempt)
    identity = await rig.session.sign_in_with_code(code, attempt)
    assert identity.extension_number == user.extension_number
    assert rig.session.status.state is SessionState.SIGNED_IN


async def test_failed_sign_in_leaves_nothing_behind(rig: Rig, sim_control: Any) -> None:
    statuses: list[SessionStatus] = []
    rig.session.subscribe(statuses.append)
    with pytest.raises(OAuthError):
        await rig.session.sign_in_with_jwt("not.a-valid.jwt")
    assert rig.session.status.state is SessionState.SIGNED_OUT
    assert [s.state for s in statuses] == [SessionState.SIGNING_IN, SessionState.SIGNED_OUT]
    assert rig.keyring.entries == {}
    with pytest.raises(AuthenticationError):
        await rig.session.access_token()


async def test_sign_in_failing_after_the_token_is_undone(rig: Rig, jwt: str, sim_control: Any) -> None:
    # Tokens arrive, but asking who signed in fails: the new session is revoked and forgotten.
    sim_control.fail_next(EXT_PATH, status=403, count=1)
    with pytest.raises(PermissionDenied):
        await rig.session.sign_in_with_jwt(jwt)
    await until(lambda: any(p == REVOKE_PATH for _, p, _ in paths(sim_control)))
    await until(lambda: not [k for k in rig.keyring.entries if "tokens" in k[1]])
    assert rig.session.status.state is SessionState.SIGNED_OUT


async def test_access_token_when_signed_out(rig: Rig) -> None:
    with pytest.raises(AuthenticationError):
        await rig.session.access_token()
    assert await rig.session.token_rejected("anything") is None


# ---------------------------------------------------------------------- restore


async def test_restore_with_good_tokens_sends_nothing(rig: Rig, jwt: str, sim_control: Any) -> None:
    identity = await rig.session.sign_in_with_jwt(jwt)
    await rig.session.aclose()
    sim_control.clear_requests()

    session, client, _ = rig.new_session()
    assert await session.restore() is True
    assert sim_control.requests() == []
    assert session.status.state is SessionState.SIGNED_IN
    assert session.status.identity == identity
    assert (await client.get_extension()).id == identity.extension_id


async def test_restore_refreshes_an_expired_access_token_once(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    old = await signed_in(rig, jwt)
    await rig.session.aclose()
    sim_control.expire_tokens("access")
    rig.time.jump(4000)  # started again an hour later
    sim_control.clear_requests()

    session, client, store = rig.new_session()
    assert await session.restore() is True
    assert [r["status"] for r in token_requests()] == [200]
    new = await session.access_token()
    assert new != old
    saved = await store.load_tokens()
    assert saved is not None and saved.access_token == new
    await client.get_extension()
    assert len(token_requests()) == 1


async def test_restore_with_a_dead_refresh_token_fails(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    await signed_in(rig, jwt)
    await rig.session.aclose()
    sim_control.revoke_tokens()
    rig.time.jump(4000)
    sim_control.clear_requests()

    session, _, store = rig.new_session()
    assert await session.restore() is False
    assert [r["status"] for r in token_requests()] == [400]
    assert session.status.state is SessionState.SIGNED_OUT
    assert session.status.problem == EXPIRED_PROBLEM
    assert await store.load_tokens() is None


async def test_restore_with_an_expired_refresh_token_asks_nobody(
    rig: Rig, jwt: str, sim_control: Any
) -> None:
    await signed_in(rig, jwt)
    await rig.session.aclose()
    rig.time.jump(8 * 86400)  # past the refresh token's 7 days
    sim_control.clear_requests()
    session, _, _ = rig.new_session()
    assert await session.restore() is False
    assert sim_control.requests() == []


async def test_restore_with_nothing_stored(rig: Rig) -> None:
    assert await rig.session.restore() is False
    assert rig.session.status.state is SessionState.SIGNED_OUT
    assert rig.session.status.problem is None


# ---------------------------------------------------------------------- single flight


async def test_twenty_concurrent_callers_share_one_refresh(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    old = await signed_in(rig, jwt)
    sim_control.clear_requests()
    rig.time.jump(DUE + 1)  # due, without waking the timer

    tokens = await asyncio.gather(*(rig.session.access_token() for _ in range(20)))

    assert len(set(tokens)) == 1 and tokens[0] != old
    assert len(token_requests()) == 1
    assert rig.session.refresh_count == 1


async def test_a_401_gets_one_refresh_and_one_retry(rig: Rig, jwt: str, sim_control: Any) -> None:
    await signed_in(rig, jwt)
    sim_control.expire_tokens("access")  # the server no longer takes the token the session holds
    sim_control.clear_requests()

    await rig.client.get_extension()

    assert paths(sim_control) == [("GET", EXT_PATH, 401), ("POST", TOKEN_PATH, 200), ("GET", EXT_PATH, 200)]
    assert rig.session.refresh_count == 1


async def test_many_401s_at_once_share_one_refresh(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    await signed_in(rig, jwt)
    sim_control.expire_tokens("access")
    sim_control.clear_requests()

    await asyncio.gather(*(rig.client.get_extension() for _ in range(10)))

    assert len(token_requests()) == 1
    ext = [r["status"] for r in sim_control.requests() if r["path"] == EXT_PATH]
    assert sorted(ext) == [200] * 10 + [401] * 10


async def test_a_401_while_the_refresh_fails_once_waits_for_the_planned_retry(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    """A blip on the token endpoint must not fail the call the operator just placed."""
    await signed_in(rig, jwt)
    sim_control.expire_tokens("access")
    sim_control.fail_next(TOKEN_PATH, status=500)
    sim_control.clear_requests()

    request = asyncio.ensure_future(rig.client.get_extension())
    # Asleep: the session's timer until the retry, and the 401's request waiting for it.
    await until(lambda: len(token_requests()) == 1 and rig.time.sleeping == 2)
    assert not request.done()
    await rig.time.advance(2.0)  # the first backoff
    await request

    assert [r["status"] for r in token_requests()] == [500, 200]
    assert [s for _, p, s in paths(sim_control) if p == EXT_PATH] == [401, 200]
    assert rig.session.status.state is SessionState.SIGNED_IN


async def test_a_401_while_the_refresh_keeps_failing_is_network_trouble_not_a_sign_out(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    await signed_in(rig, jwt)
    sim_control.expire_tokens("access")
    sim_control.drop_next(TOKEN_PATH, count=5)
    sim_control.clear_requests()

    request = asyncio.ensure_future(rig.client.get_extension())
    # Asleep: the session's timer until the retry, and the 401's request waiting for it.
    await until(lambda: len(token_requests()) == 1 and rig.time.sleeping == 2)
    await rig.time.advance(2.0)
    with pytest.raises(NetworkError) as caught:
        await request

    assert not isinstance(caught.value, AuthenticationError)
    assert len(token_requests()) == 2  # the first refresh and the one planned retry: no loop
    assert rig.session.status.state is SessionState.SIGNED_IN


async def test_token_rejected_with_an_old_token_returns_the_current_one(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    current = await signed_in(rig, jwt)
    sim_control.clear_requests()
    assert await rig.session.token_rejected("an-older-token") == current
    assert token_requests() == []


async def test_new_tokens_are_stored_before_anyone_gets_them(
    rig: Rig, jwt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = await signed_in(rig, jwt)
    saving = asyncio.Event()
    release = asyncio.Event()
    real_save = rig.store.save_tokens

    async def slow_save(tokens: TokenSet) -> None:
        saving.set()
        await release.wait()
        await real_save(tokens)

    monkeypatch.setattr(rig.store, "save_tokens", slow_save)
    rig.time.jump(DUE + 1)
    first = asyncio.create_task(rig.session.access_token())
    await asyncio.wait_for(saving.wait(), 5)
    second = asyncio.create_task(rig.session.access_token())
    await settle()
    assert not first.done() and not second.done()  # nobody has the new token while it is unsaved
    release.set()
    new = await first
    assert await second == new != old
    saved = await real_save.__self__.load_tokens()  # type: ignore[attr-defined]
    assert saved is not None and saved.access_token == new


# ---------------------------------------------------------------------- the timer


async def test_the_timer_refreshes_ahead_of_expiry(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    old = await signed_in(rig, jwt)
    sim_control.clear_requests()
    await rig.time.advance(DUE - 5)
    assert token_requests() == []
    await rig.time.advance(6)
    await until(lambda: rig.session.refresh_count == 1)
    assert len(token_requests()) == 1
    new = await rig.session.access_token()
    assert new != old
    # The sleeps never exceed the step that makes the timer sleep-proof.
    assert max(rig.time.sleeps) <= 30.0


async def test_refresh_token_dead_signs_out_with_a_problem(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    await signed_in(rig, jwt)
    statuses: list[SessionStatus] = []
    rig.session.subscribe(statuses.append)
    sim_control.revoke_tokens()
    sim_control.clear_requests()

    await rig.time.advance(DUE + 1)
    await until(lambda: rig.session.status.state is SessionState.SIGNED_OUT)

    assert rig.session.status.problem == EXPIRED_PROBLEM
    assert rig.session.status.identity is None
    assert statuses and statuses[-1].problem == EXPIRED_PROBLEM
    assert [r["status"] for r in token_requests()] == [400]
    await until(lambda: not [k for k in rig.keyring.entries if "tokens" in k[1]])
    assert await stored(rig) is None
    # A remembered JWT is a credential of its own and survives an expired session.
    assert await rig.store.load_secret("jwt") == jwt
    with pytest.raises(AuthenticationError) as caught:
        await rig.session.access_token()
    assert caught.value.user_message == EXPIRED_PROBLEM
    # Nothing keeps trying.
    await rig.time.advance(3600)
    assert len(token_requests()) == 1


@pytest.mark.parametrize(("fault", "status"), [("drop", 500), ("status", 500), ("status", 404)])
async def test_network_trouble_keeps_the_session_and_retries_later(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests, fault: str, status: int
) -> None:
    old = await signed_in(rig, jwt)
    sim_control.add_fault(fault, path=TOKEN_PATH, status=status)
    sim_control.clear_requests()

    await rig.time.advance(DUE + 0.001)  # the refresh fails at a known moment
    await until(lambda: len(token_requests()) == 1 and rig.time.sleeping == 1)
    assert rig.session.status.state is SessionState.SIGNED_IN
    # The access token is still valid: requests go on with it, and do not trigger refreshes.
    assert await rig.session.access_token() == old
    await rig.client.get_extension()
    await rig.time.advance(1.0)
    assert len(token_requests()) == 1

    await rig.time.advance(1.0)  # the 2 s backoff is over
    await until(lambda: rig.session.refresh_count == 1)
    assert len(token_requests()) == 2
    assert await rig.session.access_token() != old


# ---------------------------------------------------------------------- the refresh token's grace


async def test_a_refresh_whose_answer_is_lost_is_asked_again_and_keeps_the_sign_in(
    rig: Rig, jwt: str, sim: Simulator, sim_control: Any, token_requests: Requests
) -> None:
    old = await signed_in(rig, jwt)
    (platform_session,) = sim.state.oauth.sessions.values()
    # The platform refreshes, and its answer never arrives: RingDesk still holds the old pair.
    sim_control.add_fault("lost", path=TOKEN_PATH)
    sim_control.clear_requests()

    await rig.time.advance(DUE + 0.001)
    await until(lambda: len(token_requests()) == 1 and rig.time.sleeping == 1)
    assert rig.session.status.state is SessionState.SIGNED_IN
    assert platform_session.access_token != old  # the platform did rotate

    await rig.time.advance(2.0)  # the backoff: asked again with the refresh token it has
    await until(lambda: rig.session.refresh_count == 1)
    assert len(token_requests()) == 2
    new = await rig.session.access_token()
    # The second answer is the lost one's, given again within the grace; the same platform session.
    assert new == platform_session.access_token
    saved = await stored(rig)
    assert saved is not None and saved.access_token == new
    await rig.client.get_extension()
    assert rig.session.status.state is SessionState.SIGNED_IN
    assert list(sim.state.oauth.sessions.values()) == [platform_session]


async def test_a_crash_between_the_refresh_and_storing_its_answer_keeps_the_sign_in(
    rig: Rig, jwt: str, sim: Simulator, sim_control: Any, token_requests: Requests
) -> None:
    identity = await rig.session.sign_in_with_jwt(jwt)
    before = await stored(rig)
    assert before is not None and before.refresh_token
    await rig.session.aclose()
    # RingDesk's refresh reached the platform, and RingDesk died before the keyring had the answer.
    lost = await rig.client.refresh_tokens(before.refresh_token)
    assert lost.access_token != before.access_token
    sim_control.clear_requests()

    session, client, store = rig.new_session()
    assert await session.restore() is True
    # The stored access token died with that refresh: the platform refuses it, and RingDesk renews
    # with the stored refresh token, which is within its grace, and gets the lost answer.
    assert (await client.get_extension()).id == identity.extension_id
    assert session.status.state is SessionState.SIGNED_IN
    assert [r["status"] for r in token_requests()] == [200]
    saved = await store.load_tokens()
    assert saved is not None and saved.access_token == lost.access_token


async def test_backoff_doubles_and_never_loops(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    sim_control.set_rate_limits({"Auth": 100})
    await signed_in(rig, jwt)
    sim_control.fail_next(TOKEN_PATH, status=500, count=4)
    sim_control.clear_requests()

    await rig.time.advance(DUE + 0.001)  # the refresh fails at a known moment
    await until(lambda: len(token_requests()) == 1 and rig.time.sleeping == 1)
    for attempts, backoff in ((2, 2.0), (3, 4.0), (4, 8.0), (5, 16.0)):
        await rig.time.advance(backoff - 0.5)
        assert len(token_requests()) == attempts - 1, f"early retry before {backoff} s"
        await rig.time.advance(0.5)
        await until(lambda n=attempts: len(token_requests()) == n and rig.time.sleeping == 1)  # type: ignore[misc]
    assert rig.session.refresh_count == 1
    assert rig.session.status.state is SessionState.SIGNED_IN


async def test_rate_limited_refresh_waits_for_the_auth_budget(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    await signed_in(rig, jwt)
    sim_control.fail_next(TOKEN_PATH, status=429, retry_after=7)
    sim_control.clear_requests()

    await rig.time.advance(DUE + 0.001)  # the refresh fails at a known moment
    await until(lambda: len(token_requests()) == 1 and rig.time.sleeping == 1)
    assert rig.client.next_send_in("Auth") == pytest.approx(7, abs=0.01)
    await rig.time.advance(6.5)
    assert len(token_requests()) == 1
    await rig.time.advance(0.6)
    await until(lambda: rig.session.refresh_count == 1)
    assert len(token_requests()) == 2


async def test_expired_token_and_failing_refresh_fail_requests_without_a_loop(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    await signed_in(rig, jwt)
    sim_control.drop_next(TOKEN_PATH, count=5)
    sim_control.clear_requests()
    rig.time.jump(3700)  # past expiry, timer not woken

    with pytest.raises(NetworkError):
        await rig.session.access_token()
    with pytest.raises(NetworkError):
        await rig.client.get_extension()
    assert len(token_requests()) == 1
    assert rig.session.status.state is SessionState.SIGNED_IN


async def test_a_wall_clock_jump_triggers_an_immediate_check(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    await signed_in(rig, jwt)
    sim_control.clear_requests()
    await until(lambda: rig.time.sleeping == 1)

    # Suspended for more than an hour: the monotonic clock stood still, the wall clock did not.
    rig.time.jump_wall(4000)
    await rig.time.advance(30)  # the step that was pending when the machine went to sleep ends
    await until(lambda: rig.session.refresh_count == 1)
    assert len(token_requests()) == 1


async def test_check_now_after_resume_refreshes_at_once(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    await signed_in(rig, jwt)
    sim_control.clear_requests()
    await until(lambda: rig.time.sleeping == 1)

    rig.time.jump_wall(4000)
    rig.session.check_now()  # no time passes on the monotonic clock at all
    await until(lambda: rig.session.refresh_count == 1)
    assert len(token_requests()) == 1


async def test_check_now_when_nothing_is_due_sends_nothing(rig: Rig, jwt: str, sim_control: Any) -> None:
    await signed_in(rig, jwt)
    sim_control.clear_requests()
    rig.time.jump_wall(60)
    rig.session.check_now()
    await settle()
    await asyncio.sleep(0.1)
    assert sim_control.requests() == []


async def test_a_clock_set_back_does_not_delay_the_refresh(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    await signed_in(rig, jwt)
    sim_control.clear_requests()
    rig.time.jump_wall(-4000)
    await rig.time.advance(DUE + 1)
    await until(lambda: rig.session.refresh_count == 1)
    assert len(token_requests()) == 1


async def test_check_now_retries_a_failed_refresh_at_once(
    rig: Rig, jwt: str, sim_control: Any, token_requests: Requests
) -> None:
    await signed_in(rig, jwt)
    sim_control.drop_next(TOKEN_PATH)
    sim_control.clear_requests()
    await rig.time.advance(DUE + 0.001)  # the refresh fails at a known moment
    await until(lambda: len(token_requests()) == 1 and rig.time.sleeping == 1)
    rig.session.check_now()  # "the network is back"
    await until(lambda: rig.session.refresh_count == 1)
    assert len(token_requests()) == 2


# ---------------------------------------------------------------------- sign-out


async def test_sign_out_revokes_and_clears(rig: Rig, jwt: str, sim: Simulator, sim_control: Any) -> None:
    token = await signed_in(rig, jwt)
    statuses: list[SessionStatus] = []
    rig.session.subscribe(statuses.append)
    sim_control.clear_requests()

    await rig.session.sign_out()

    assert rig.session.status == SessionStatus(SessionState.SIGNED_OUT, None, None, True)
    assert statuses[-1] == rig.session.status
    assert [p for _, p, _ in paths(sim_control)] == [REVOKE_PATH]
    assert rig.keyring.entries == {}
    async with httpx.AsyncClient() as raw:
        refused = await raw.get(f"{sim.base_url}{EXT_PATH}", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    with pytest.raises(AuthenticationError):
        await rig.session.access_token()
    # No timer is left to refresh anything.
    sim_control.clear_requests()
    await rig.time.advance(DUE * 2)
    assert sim_control.requests() == []


async def test_signing_in_and_out_again_and_again_never_reaches_the_session_cap(
    rig: Rig, jwt: str, sim: Simulator, sim_control: Any
) -> None:
    # The platform allows five active sessions per user and app: each sign-out ends its own.
    sim_control.set_rate_limits(enabled=False)
    for _ in range(7):
        await rig.session.sign_in_with_jwt(jwt)
        await rig.session.sign_out()
        await rig.time.advance(30.0)  # within RingDesk's own Auth budget (five a minute)
    assert sim.state.oauth.sessions == {}


async def test_a_sixth_install_ends_the_first_ones_session_which_says_so(
    rig: Rig, jwt: str, sim_control: Any
) -> None:
    sim_control.set_rate_limits(enabled=False)
    first_identity = await rig.session.sign_in_with_jwt(jwt)
    installs = [rig.new_session(MemoryKeyring()) for _ in range(5)]
    for session, _client, _store in installs:
        await session.sign_in_with_jwt(jwt)

    # The platform ended the oldest session: the first install learns it at its next request.
    with pytest.raises(AuthenticationError):
        await rig.client.get_extension()
    assert rig.session.status.state is SessionState.SIGNED_OUT
    assert rig.session.status.problem == EXPIRED_PROBLEM
    assert await stored(rig) is None
    for session, client, _store in installs:
        assert (await client.get_extension()).id == first_identity.extension_id
        assert session.status.state is SessionState.SIGNED_IN


@pytest.mark.parametrize("fault", ["status", "drop"])
async def test_sign_out_completes_when_revoke_fails_and_does_not_retry(
    rig: Rig, jwt: str, sim_control: Any, fault: str
) -> None:
    await signed_in(rig, jwt)
    sim_control.add_fault(fault, path=REVOKE_PATH, status=500, count=5)
    sim_control.clear_requests()

    await rig.session.sign_out()

    assert rig.session.status.state is SessionState.SIGNED_OUT
    assert rig.session.status.problem is None
    assert rig.keyring.entries == {}
    assert [p for _, p, _ in paths(sim_control)] == [REVOKE_PATH]
    await rig.time.advance(120)
    await asyncio.sleep(0.1)
    assert [p for _, p, _ in paths(sim_control)] == [REVOKE_PATH]


async def test_sign_in_again_after_expiry(rig: Rig, jwt: str, sim_control: Any) -> None:
    await signed_in(rig, jwt)
    sim_control.revoke_tokens()
    await rig.time.advance(DUE + 1)
    await until(lambda: rig.session.status.state is SessionState.SIGNED_OUT)
    await rig.session.sign_in_with_jwt(jwt)
    assert rig.session.status.state is SessionState.SIGNED_IN
    assert rig.session.status.problem is None
    await rig.client.get_extension()


# ---------------------------------------------------------------------- listeners and closing


async def test_listeners_unsubscribe_and_a_failing_listener_is_contained(rig: Rig, jwt: str) -> None:
    seen: list[SessionState] = []

    def broken(status: SessionStatus) -> None:
        raise RuntimeError("listener bug")

    rig.session.subscribe(broken)
    unsubscribe = rig.session.subscribe(lambda s: seen.append(s.state))
    await rig.session.sign_in_with_jwt(jwt)
    unsubscribe()
    unsubscribe()  # twice is harmless
    await rig.session.sign_out()
    assert seen == [SessionState.SIGNING_IN, SessionState.SIGNED_IN]


async def test_aclose_leaves_no_task(rig: Rig, jwt: str) -> None:
    await signed_in(rig, jwt)
    await rig.session.aclose()
    await settle()
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert pending == []


async def test_no_secret_reaches_the_log(
    rig: Rig, jwt: str, sim_control: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    await signed_in(rig, jwt)
    first = await stored(rig)
    rig.time.jump(DUE + 1)
    await rig.session.access_token()
    second = await stored(rig)
    await rig.session.sign_out()
    assert first is not None and second is not None
    secrets = {jwt, first.access_token, first.refresh_token, second.access_token, second.refresh_token}
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "renewing the access token" in text
    for secret in secrets:
        assert secret and secret not in text


async def test_granted_reads_the_sign_in_scope(sim, sim_control) -> None:
    from keyring.backends.fail import Keyring as NoKeyring

    from ringdesk.auth.session import Session
    from ringdesk.auth.token_store import TokenStore
    from ringdesk.platforms.ringcentral import PlatformClient
    from ringdesk.platforms.ringcentral.platform import RingCentralPlatform

    async with PlatformClient(sim.base_url, "ringdesk-demo") as client:
        session = Session(
            RingCentralPlatform(client), TokenStore(sim.base_url, "ringdesk-demo", backend=NoKeyring())
        )
        assert not session.granted("CallControl")
        await session.sign_in_with_jwt(sim.scenario.account.users[0].jwt_credential or "", remember=False)
        assert session.granted("CallControl") and session.granted("RingOut")
        assert not session.granted("Faxes")
        await session.aclose()
