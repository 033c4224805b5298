"""The single-instance socket: one running instance per user and profile, requests handed to it.

Real sockets, real file locks, real processes: a second start, a crashed instance (SIGKILL), racing
starts and another account (uid 65534, "nobody", when the tests run as root, as in CI).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from ringdesk.desktop.instance import (
    InstanceError,
    InstanceGone,
    PrimaryInstance,
    Reply,
    Request,
    RunningInstance,
    Transport,
    claim_instance,
    instance_address,
)
from ringdesk.desktop.instance_server import InstanceServer
from ringdesk.paths import AppPaths

NOBODY = 65534


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary folder others may pass through (like /tmp), so only RingDesk's own folder keeps
    them out; XDG_RUNTIME_DIR unset, so the fallback folder in it is used."""
    base = Path(tempfile.mkdtemp(prefix="rd-", dir="/tmp"))
    base.chmod(0o755)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    yield base
    subprocess.run(["rm", "-rf", str(base)], check=False)


def profile(root: Path) -> AppPaths:
    paths = AppPaths(root / "config", root / "data", root / "logs", root / "cache")
    for folder in paths.folders:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return paths


async def serve(primary: PrimaryInstance, seen: list[Request]) -> InstanceServer:
    async def handle(request: Request) -> Reply:
        seen.append(request)
        return Reply(True, f"took {request.action} {request.text}")

    server = InstanceServer(primary, handle)
    await server.start()
    return server


async def test_a_second_start_hands_its_request_to_the_first(runtime: Path, tmp_path: Path) -> None:
    address = instance_address(profile(tmp_path))
    first = claim_instance(address)
    assert isinstance(first, PrimaryInstance)
    seen: list[Request] = []
    server = await serve(first, seen)
    try:
        second = claim_instance(address)
        assert isinstance(second, RunningInstance)
        reply = await asyncio.to_thread(second.deliver, Request.dial("tel:+16505551234"))
        assert reply == Reply(True, "took dial tel:+16505551234")
        assert [(r.action, r.text) for r in seen] == [("dial", "tel:+16505551234")]
    finally:
        await server.aclose()
    assert not address.path.exists()
    # The lock went with it: the next start is the running instance.
    again = claim_instance(address)
    assert isinstance(again, PrimaryInstance)
    again.close()


async def test_the_socket_is_private_to_the_user(runtime: Path, tmp_path: Path) -> None:
    address = instance_address(profile(tmp_path))
    primary = claim_instance(address)
    assert isinstance(primary, PrimaryInstance)
    try:
        assert address.path.parent == runtime / f"ringdesk-{os.getuid()}"
        assert oct(address.path.parent.stat().st_mode & 0o777) == "0o700"
        assert oct(address.path.stat().st_mode & 0o777) == "0o600"
    finally:
        primary.close()


def test_profiles_have_their_own_instance(runtime: Path, tmp_path: Path) -> None:
    one = instance_address(profile(tmp_path / "one"))
    two = instance_address(profile(tmp_path / "two"))
    assert one.path != two.path
    # The demo runs beside RingDesk on the same profile.
    assert instance_address(profile(tmp_path / "one"), demo=True).path not in (one.path, two.path)
    first, second = claim_instance(one), claim_instance(two)
    try:
        assert isinstance(first, PrimaryInstance)
        assert isinstance(second, PrimaryInstance)
    finally:
        first.close()
        second.close()


def test_xdg_runtime_dir_is_used_when_it_is_private(
    runtime: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = runtime / "run"  # short enough for a socket path
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    assert instance_address(profile(tmp_path)).path.parent == folder / "ringdesk"
    folder.chmod(0o755)  # not private: not the runtime folder the specification promises
    assert instance_address(profile(tmp_path)).path.parent == runtime / f"ringdesk-{os.getuid()}"
    folder.chmod(0o700)
    deep = folder / ("long-" * 14)
    deep.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(deep))  # no room for a socket path there
    assert instance_address(profile(tmp_path)).path.parent == runtime / f"ringdesk-{os.getuid()}"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another account")
def test_a_folder_made_by_another_account_is_never_used(runtime: Path, tmp_path: Path) -> None:
    squatted = runtime / f"ringdesk-{os.getuid()}"
    squatted.mkdir(mode=0o700)
    os.chown(squatted, NOBODY, NOBODY)
    # RingDesk goes on to the profile's own cache folder, when its path leaves room for a socket...
    short = profile(runtime / "p")
    assert instance_address(short).path.parent == short.cache_dir / "instance"
    assert oct((short.cache_dir / "instance").stat().st_mode & 0o777) == "0o700"
    # ...and says why there is none when it does not.
    with pytest.raises(InstanceError) as caught:
        instance_address(profile(tmp_path / ("deep" * 20)))
    assert caught.value.user_message == (
        f"RingDesk cannot use {squatted}: it belongs to another account or others can enter it."
    )


INSTANCE_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from ringdesk.desktop.instance import Reply, claim_instance, instance_address
    from ringdesk.desktop.instance_server import InstanceServer
    from ringdesk.paths import AppPaths
    import tempfile
    tempfile.tempdir = sys.argv[2]
    root = Path(sys.argv[1])
    address = instance_address(AppPaths(root / "config", root / "data", root / "logs", root / "cache"))

    async def main():
        claim = claim_instance(address)
        async def handle(request):
            return Reply(True, "child")
        server = InstanceServer(claim, handle)
        await server.start()
        print("listening", flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


def test_a_crashed_instance_leaves_a_socket_that_is_replaced(runtime: Path, tmp_path: Path) -> None:
    paths = profile(tmp_path)
    address = instance_address(paths)
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    child = subprocess.Popen(
        [sys.executable, "-c", INSTANCE_CHILD, str(tmp_path), str(runtime)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "listening"
        running = claim_instance(address)
        assert isinstance(running, RunningInstance)
        assert running.deliver(Request("show")) == Reply(True, "child")
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        child.kill()
        child.wait(10)
    # The socket file outlived its process; connecting to it is refused.
    assert address.path.exists()
    with socket.socket(socket.AF_UNIX) as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(str(address.path))
    primary = claim_instance(address)
    assert isinstance(primary, PrimaryInstance)
    try:
        with socket.socket(socket.AF_UNIX) as probe:
            probe.connect(str(address.path))  # the new instance listens on the same path
    finally:
        primary.close()


RACER = textwrap.dedent(
    """
    import sys, tempfile, time
    from pathlib import Path
    from ringdesk.desktop.instance import PrimaryInstance, claim_instance, instance_address
    from ringdesk.paths import AppPaths
    tempfile.tempdir = sys.argv[2]
    root = Path(sys.argv[1])
    address = instance_address(AppPaths(root / "config", root / "data", root / "logs", root / "cache"))
    start = float(sys.argv[3])
    while time.time() < start:
        time.sleep(0.001)
    claim = claim_instance(address)
    print("primary" if isinstance(claim, PrimaryInstance) else "running", flush=True)
    sys.stdin.read()  # the test closes it once every racer has said what it became
    """
)


def test_starts_at_the_same_moment_make_one_running_instance(runtime: Path, tmp_path: Path) -> None:
    profile(tmp_path)
    import time

    start = time.time() + 1.0
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(tmp_path), str(runtime), str(start)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(6)
    ]
    try:
        outcomes = sorted(racer.stdout.readline().strip() for racer in racers if racer.stdout)
    finally:
        for racer in racers:
            racer.communicate(timeout=30)
    assert outcomes == ["primary"] + ["running"] * 5


def _connect_as(uid: int, path: Path) -> str:
    """Connect to `path` from a child process running as `uid`; what happened, in a word."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: become the other account, try, report, and leave at once
        os.close(read)
        outcome = "unknown"
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(5)
                sock.connect(str(path))
                sock.sendall(Request("quit").encode())
                outcome = "answered" if sock.recv(4096) else "closed"
        except PermissionError:
            outcome = "denied"
        except (ConnectionResetError, BrokenPipeError):
            outcome = "closed"
        except BaseException as error:
            outcome = f"error {error!r}"
        os.write(write, outcome.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        outcome = pipe.read().decode()
    os.waitpid(pid, 0)
    return outcome


def _needs_a_second_account() -> None:
    if os.geteuid() != 0:
        if os.environ.get("RINGDESK_REQUIRE_SECOND_USER"):
            pytest.fail("this run must check the socket against a second account: run it as root")
        pytest.skip("needs root to run a process as a second account")


async def test_another_account_cannot_connect(runtime: Path, tmp_path: Path) -> None:
    _needs_a_second_account()
    address = instance_address(profile(tmp_path))
    primary = claim_instance(address)
    assert isinstance(primary, PrimaryInstance)
    seen: list[Request] = []
    server = await serve(primary, seen)
    try:
        assert await asyncio.to_thread(_connect_as, NOBODY, address.path) == "denied"
        # Even with the folder and socket opened up by mistake, the server asks the kernel who is
        # calling, and answers no other account.
        address.path.parent.chmod(0o711)
        address.path.chmod(0o666)
        assert await asyncio.to_thread(_connect_as, NOBODY, address.path) == "closed"
        assert seen == []
    finally:
        await server.aclose()


async def test_the_loopback_transport_needs_the_token(runtime: Path, tmp_path: Path) -> None:
    """Windows' transport, run here: TCP on 127.0.0.1 and a token in a private file."""
    paths = profile(tmp_path)
    address = instance_address(paths, transport=Transport.LOOPBACK)
    primary = claim_instance(address)
    assert isinstance(primary, PrimaryInstance)
    seen: list[Request] = []
    server = await serve(primary, seen)
    try:
        assert oct(address.path.stat().st_mode & 0o777) == "0o600"
        details = json.loads(address.path.read_text())
        running = claim_instance(address)
        assert isinstance(running, RunningInstance)
        assert await asyncio.to_thread(running.deliver, Request("show")) == Reply(True, "took show ")

        def without_token() -> bytes:
            with socket.create_connection(("127.0.0.1", details["port"]), timeout=5) as sock:
                sock.sendall(Request("quit").encode())
                return sock.recv(4096)

        answer = await asyncio.to_thread(without_token)
        assert Reply.decode(answer) == Reply(False, "RingDesk did not understand the request.")
        assert [r.action for r in seen] == ["show"]
    finally:
        await server.aclose()
    assert not address.path.exists()


async def test_a_request_that_is_not_one_gets_a_refusal(runtime: Path, tmp_path: Path) -> None:
    address = instance_address(profile(tmp_path))
    primary = claim_instance(address)
    assert isinstance(primary, PrimaryInstance)
    seen: list[Request] = []
    server = await serve(primary, seen)

    def send(line: bytes) -> bytes:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(address.path))
            sock.sendall(line)
            return sock.recv(4096)

    try:
        for line in (
            b"hello\n",
            b'{"version": 2, "action": "show", "text": ""}\n',
            b'{"version": 1, "action": "format-disk", "text": ""}\n',
            b'{"version": 1, "action": "show", "text": "", "activation": 7}\n',
            b'{"version": 1, "action": "dial", "text": 5}\n',
            b"[" * 10_000 + b"\n",  # nested deeper than a JSON reader goes
        ):
            answer = await asyncio.to_thread(send, line)
            assert Reply.decode(answer) == Reply(False, "RingDesk did not understand the request."), line
        assert seen == []
    finally:
        await server.aclose()


def test_an_instance_that_never_answers_is_said(runtime: Path, tmp_path: Path) -> None:
    address = instance_address(profile(tmp_path))
    primary = claim_instance(address)  # listening, but no loop serves it: a hung instance
    assert isinstance(primary, PrimaryInstance)
    try:
        running = claim_instance(address)
        assert isinstance(running, RunningInstance)
        with pytest.raises(InstanceError) as caught:
            running.deliver(Request("show"), timeout=0.5)
        assert caught.value.user_message == (
            "RingDesk is running but did not answer within 0.5 seconds; "
            "it may still take the request when it can."
        )
    finally:
        primary.close()


def test_an_instance_that_quits_before_reading_sends_the_sender_on(runtime: Path, tmp_path: Path) -> None:
    address = instance_address(profile(tmp_path))
    primary = claim_instance(address)
    assert isinstance(primary, PrimaryInstance)
    running = claim_instance(address)  # queued at the socket, not yet read
    assert isinstance(running, RunningInstance)
    primary.close()
    with pytest.raises(InstanceGone):
        running.deliver(Request("show"), timeout=5)
    # Looking again finds no instance: this start is the next one.
    again = claim_instance(address)
    assert isinstance(again, PrimaryInstance)
    again.close()


def test_requests_round_trip() -> None:
    request = Request.dial("tel:+16505551234;ext=12")
    assert Request.decode(request.encode()) == request
    with_token = Request.dial("tel:+16505551234", activation_token="abc")
    assert Request.decode(with_token.encode()) == with_token
    assert Request.dial("1" * 10_000).text == "1" * 4000
    with pytest.raises(ValueError):
        Request.decode(request.encode("secret"), "other")
