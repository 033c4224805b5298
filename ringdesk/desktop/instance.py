"""One RingDesk per user and profile: the first start listens on a private local socket, later
starts hand it their request (a number or link to dial, "show", "quit") and exit.

    claim = claim_instance(instance_address(app_paths()))      # in the command line, before Qt
    if isinstance(claim, RunningInstance):
        reply = claim.deliver(Request.dial("tel:+16505551234"))   # -> Reply(accepted, message)
    else:                                                         # we are the one: start the app
        server = InstanceServer(claim, handle)                    # instance_server: async, on the loop
        await server.start()

Why it is built this way:

- **A lock decides, not the socket.** The first start takes an exclusive lock (`flock`) on a file
  next to the socket and holds it for its whole life; the kernel releases it when the process
  ends, however it ends. A socket file left by a crashed instance is therefore known to be stale
  (its lock is free) and is replaced, while two starts at the same moment cannot both become the
  running instance: the loser finds the lock taken and waits for the winner's socket.
- **The socket listens before Qt starts.** It is bound right after the lock is taken, in the
  command line; the kernel queues connections until the app's loop accepts them, so a link
  clicked while RingDesk is still starting is delivered, not lost, and does not start a second copy.
- **Only the same user can reach it.** The socket lives in a folder only its owner can enter
  (`$XDG_RUNTIME_DIR`, or a 0700 folder of our own in the temporary folder, refused when another
  account owns it), the socket file itself is 0600, and on Linux the server also asks the kernel
  who is connecting (`SO_PEERCRED`) and turns away every other account, root included.
- **A request is sent once.** The client retries connecting (the instance may be starting), never
  sending: a request the running instance may have read is not sent again. Only a connection the
  instance closed without reading anything (it was quitting) makes the sender look again
  (`InstanceGone`), and then it finds the next instance or becomes it.
- **Windows** has no Unix sockets in Python: there the socket is a TCP connection to 127.0.0.1 on
  a port chosen at start, guarded by a random token that only the user can read (a file in the
  profile's private folder). The same code path is exercised on Linux by the tests (`Transport.LOOPBACK`);
  the Windows file lock (`msvcrt.locking`) and the folder's access rights are not verified here.

The protocol is one JSON line each way (`Request`, `Reply`); the server answers once it has taken
the request (queued or done), not after a call was placed. The server is in `instance_server`: a
later start that only hands over its request never loads asyncio.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
import stat
import sys
import tempfile
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Final, Literal

from ringdesk.desktop.integration import IntegrationError, write_file_atomically
from ringdesk.errors import RingDeskError
from ringdesk.paths import AppPaths

__all__ = [
    "DELIVERY_TIMEOUT",
    "MAX_REQUEST_BYTES",
    "InstanceAddress",
    "InstanceError",
    "InstanceGone",
    "PrimaryInstance",
    "Reply",
    "Request",
    "RunningInstance",
    "Transport",
    "claim_instance",
    "find_instance",
    "instance_address",
]

_log = logging.getLogger("ringdesk.desktop.instance")

#: How long a second start waits for the running instance to answer: it may be starting up itself
#: (Qt, the window, the history) before its loop accepts the queued connection.
DELIVERY_TIMEOUT: Final = 20.0
#: How long a start waits for another start that holds the lock but is not listening yet.
CLAIM_TIMEOUT: Final = 10.0
#: A request is a few hundred bytes; anything longer is not ours.
MAX_REQUEST_BYTES: Final = 16 * 1024
#: What a request may carry as text (a link or the highlighted text); more is cut by the sender.
MAX_TEXT_CHARS: Final = 4000
_PROTOCOL_VERSION: Final = 1
# A Unix socket's path has room for about 104 bytes (macOS; 108 on Linux); the file name takes 30.
_MAX_FOLDER_CHARS: Final = 70

Action = Literal["dial", "dial-selection", "show", "quit"]
_ACTIONS: Final[frozenset[str]] = frozenset({"dial", "dial-selection", "show", "quit"})


class InstanceError(RingDeskError):
    """The single-instance socket cannot be used; `user_message` says why in one sentence."""

    default_user_message = "RingDesk cannot make sure that only one copy of it runs."


class InstanceGone(InstanceError):
    """The running instance closed the connection without reading the request: it was quitting.
    Nothing was done; the sender looks for the running instance again."""

    default_user_message = "RingDesk was quitting and did not take the request."


class Transport(Enum):
    #: A Unix domain socket in a private folder (Linux, macOS, BSD).
    UNIX = "unix"
    #: TCP on 127.0.0.1 with a token in a private file (Windows).
    LOOPBACK = "loopback"


@dataclass(frozen=True)
class Request:
    """What a later start asks of the running instance."""

    action: Action
    #: The number or link for "dial"; "" otherwise.
    text: str = ""
    #: The desktop's permission for the window to come forward (`XDG_ACTIVATION_TOKEN` on
    #: Wayland, `DESKTOP_STARTUP_ID` on X11), handed to the later start; "" when there is none.
    activation_token: str = ""

    @classmethod
    def dial(cls, text: str, *, activation_token: str = "") -> Request:
        return cls("dial", text[:MAX_TEXT_CHARS], activation_token=activation_token)

    def encode(self, token: str = "") -> bytes:
        body = {"version": _PROTOCOL_VERSION, "action": self.action, "text": self.text}
        if self.activation_token:
            body["activation"] = self.activation_token
        if token:
            body["token"] = token
        return json.dumps(body).encode() + b"\n"

    @classmethod
    def decode(cls, line: bytes, token: str = "") -> Request:
        """The request in `line`; ValueError for anything that is not one (or has the wrong token)."""
        body = json.loads(line)
        if not isinstance(body, dict) or body.get("version") != _PROTOCOL_VERSION:
            raise ValueError("not a RingDesk request of this version")
        if token and not hmac.compare_digest(str(body.get("token", "")), token):
            raise ValueError("wrong token")
        action, text, activation = body.get("action"), body.get("text", ""), body.get("activation", "")
        if action not in _ACTIONS or not isinstance(text, str) or not isinstance(activation, str):
            raise ValueError("malformed request")
        if len(text) > MAX_TEXT_CHARS or len(activation) > 512:
            raise ValueError("malformed request")
        return cls(action, text, activation)


@dataclass(frozen=True)
class Reply:
    """The running instance's answer: whether it took the request, and a sentence for the terminal."""

    accepted: bool
    message: str

    def encode(self) -> bytes:
        return json.dumps({"accepted": self.accepted, "message": self.message}).encode() + b"\n"

    @classmethod
    def decode(cls, line: bytes) -> Reply:
        body = json.loads(line)
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            raise ValueError("malformed reply")
        return cls(bool(body.get("accepted")), body["message"])


@dataclass(frozen=True)
class InstanceAddress:
    """Where the running instance of one profile listens, and the lock that makes it the only one."""

    transport: Transport
    #: The socket file (UNIX) or the file holding port and token (LOOPBACK).
    path: Path
    lock_path: Path


def instance_address(
    paths: AppPaths, *, demo: bool = False, transport: Transport | None = None
) -> InstanceAddress:
    """The address for the profile at `paths` (its config folder names the profile); the demo
    (`--demo`, on its own simulator and tokens) has one of its own, so it runs beside RingDesk.

    The socket's folder: `ringdesk` in `$XDG_RUNTIME_DIR` (private, and gone at log-out), else
    `ringdesk-<uid>` in the temporary folder, else, when another account made that one first,
    `instance` in the profile's cache folder (a home on a network file system may not hold sockets,
    hence last). Raises InstanceError when none can be had.
    """
    transport = transport or (Transport.LOOPBACK if os.name == "nt" else Transport.UNIX)
    name = str(paths.config_dir.resolve()) + ("\0demo" if demo else "")
    profile = hashlib.sha256(name.encode()).hexdigest()[:16]
    if transport is Transport.LOOPBACK:
        # The profile's own data folder is private to the user (0700; on Windows under the
        # user's AppData, which other accounts cannot read).
        folder = paths.data_dir
        return InstanceAddress(
            transport, folder / f"instance-{profile}.json", folder / f"instance-{profile}.lock"
        )
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and _owned_private_folder(Path(runtime)) and len(runtime) + 9 <= _MAX_FOLDER_CHARS:
        candidates = [Path(runtime) / "ringdesk"]
    else:
        candidates = []
    candidates += [Path(tempfile.gettempdir()) / f"ringdesk-{os.getuid()}", paths.cache_dir / "instance"]
    problem = ""
    for candidate in candidates:
        try:
            folder = _private_folder(candidate)
        except InstanceError as error:
            problem = problem or error.user_message
            continue
        if len(str(folder)) <= _MAX_FOLDER_CHARS:
            break
    else:
        raise InstanceError(problem or "RingDesk has no private folder short enough for its socket.")
    return InstanceAddress(
        transport, folder / f"instance-{profile}.sock", folder / f"instance-{profile}.lock"
    )


def claim_instance(
    address: InstanceAddress, *, timeout: float = CLAIM_TIMEOUT
) -> PrimaryInstance | RunningInstance:
    """Become the running instance, or find the one that runs.

    Raises InstanceError when neither is possible within `timeout` (another start holds the lock
    and never listens, or the folder cannot be written).
    """
    found = _lock_or_connect(address, timeout)
    if isinstance(found, RunningInstance):
        return found
    try:
        return PrimaryInstance._listen(address, found)
    except BaseException:
        _release(found)
        raise


def find_instance(address: InstanceAddress, *, timeout: float = CLAIM_TIMEOUT) -> RunningInstance | None:
    """The running instance, or None when there is none; never becomes one (`ringdesk quit`).

    Raises InstanceError like `claim_instance`.
    """
    found = _lock_or_connect(address, timeout)
    if isinstance(found, RunningInstance):
        return found
    _release(found)
    return None


def _lock_or_connect(address: InstanceAddress, timeout: float) -> int | RunningInstance:
    """The lock (no instance runs) or a connection to the running instance, whichever comes first."""
    deadline = time.monotonic() + timeout
    while True:
        # The lock first: when it is free, whatever socket or port file is there was left by an
        # instance that ended (a port may even belong to another program by now).
        lock = _try_lock(address.lock_path)
        if lock is not None:
            return lock
        running = _connect(address)
        if running is not None:
            return running
        # Another start holds the lock but does not listen yet (or is quitting): wait for either.
        if time.monotonic() > deadline:
            raise InstanceError(
                "Another copy of RingDesk is starting or stopping and does not answer; try again in a moment."
            )
        time.sleep(0.05)


class RunningInstance:
    """A connection to the running instance; `deliver` sends one request on it."""

    def __init__(self, sock: socket.socket, token: str = "") -> None:
        self._sock = sock
        self._token = token

    def deliver(self, request: Request, *, timeout: float = DELIVERY_TIMEOUT) -> Reply:
        """Send `request` and wait for the answer; raises InstanceError when none comes.

        Never sends twice: after a write that may have arrived, a failure is reported, not retried.
        """
        sock = self._sock
        try:
            sock.settimeout(timeout)
            sock.sendall(request.encode(self._token))
            line = _read_line(sock)
        except TimeoutError:
            raise InstanceError(
                f"RingDesk is running but did not answer within {timeout:g} seconds; "
                "it may still take the request when it can."
            ) from None
        except (ConnectionResetError, BrokenPipeError):
            # Closed unread while quitting (Linux resets connections still queued at the socket).
            raise InstanceGone() from None
        except OSError as error:
            raise InstanceError(
                f"RingDesk is running but the request did not reach it ({error.strerror})."
            ) from None
        finally:
            sock.close()
        if not line:
            # Closed before reading anything: the instance was quitting.
            raise InstanceGone()
        try:
            return Reply.decode(line)
        except ValueError:
            raise InstanceError("RingDesk is running but its answer could not be read.") from None

    def close(self) -> None:
        self._sock.close()


class PrimaryInstance:
    """This process is the running instance: it holds the lock and a listening socket.

    The lock and socket are not inherited by child processes (QtWebEngine's helpers), so the lock
    ends with this process.
    """

    def __init__(self, address: InstanceAddress, lock: int, sock: socket.socket, token: str) -> None:
        self.address = address
        self._lock = lock
        self.socket = sock
        self.token = token
        self._closed = False

    @classmethod
    def _listen(cls, address: InstanceAddress, lock: int) -> PrimaryInstance:
        token = ""
        if address.transport is Transport.UNIX:
            # The lock is ours, so whatever socket file is there was left by an instance that ended.
            with contextlib.suppress(FileNotFoundError):
                address.path.unlink()
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.bind(str(address.path))
                # The folder already keeps others out; the file says so too.
                os.chmod(address.path, 0o600)
                sock.listen(16)
            except OSError as error:
                sock.close()
                raise InstanceError(
                    f"RingDesk cannot listen for links at {address.path} ({error.strerror or error})."
                ) from None
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind(("127.0.0.1", 0))
                sock.listen(16)
                token = secrets.token_urlsafe(32)
                # Readable by this user only (made 0600 from the start), replaced whole.
                details = json.dumps({"port": sock.getsockname()[1], "token": token})
                write_file_atomically(address.path, details, mode=0o600)
            except OSError as error:
                sock.close()
                raise InstanceError(f"RingDesk cannot listen for links ({error.strerror}).") from None
            except IntegrationError as error:
                sock.close()
                raise InstanceError(error.user_message) from None
        sock.setblocking(False)
        return cls(address, lock, sock, token)

    def close(self) -> None:
        """Stop being the running instance: the socket goes first, then the lock (at quit)."""
        if self._closed:
            return
        self._closed = True
        self.socket.close()
        with contextlib.suppress(OSError):
            self.address.path.unlink()
        _release(self._lock)


# --- Implementation -------------------------------------------------------------------------


def _private_folder(base: Path) -> Path:
    """`base`, made if needed, when only this user can enter it; InstanceError when someone else
    made it (to catch our requests) or others can enter it."""
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise InstanceError(f"RingDesk cannot create {base} ({error.strerror}).") from None
    if not _owned_private_folder(base):
        # Someone else made it first (to catch our requests): never use it, and say so.
        raise InstanceError(
            f"RingDesk cannot use {base}: it belongs to another account or others can enter it."
        )
    return base


def _owned_private_folder(folder: Path) -> bool:
    try:
        info = folder.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077


def _try_lock(path: Path) -> int | None:
    """The open, locked lock file, or None when another process holds the lock."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as error:
        raise InstanceError(f"RingDesk cannot create {path} ({error.strerror}).") from None
    try:
        _lock_file(fd)
    except OSError as error:
        os.close(fd)
        if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EDEADLK):
            return None
        raise InstanceError(f"RingDesk cannot lock {path} ({error.strerror}).") from None
    return fd


if sys.platform == "win32":  # pragma: no cover - not run here
    import msvcrt

    def _lock_file(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _release(fd: int) -> None:
        # Windows frees a lock at close only "when resources allow": unlock it now, so that the
        # next start does not wait for it.
        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        os.close(fd)

else:
    import fcntl

    def _lock_file(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _release(fd: int) -> None:
        os.close(fd)  # and with it the lock


def _connect(address: InstanceAddress) -> RunningInstance | None:
    """A connection to the running instance, or None when there is none (no file, refused)."""
    if address.transport is Transport.UNIX:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(address.path))
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            return None
        except OSError as error:
            sock.close()
            raise InstanceError(f"RingDesk cannot reach {address.path} ({error.strerror}).") from None
        return RunningInstance(sock)
    try:
        details = json.loads(address.path.read_text(encoding="utf-8"))
        port, token = int(details["port"]), str(details["token"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=2.0)
    except OSError:
        return None
    return RunningInstance(sock, token)


def _read_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n") and len(data) < MAX_REQUEST_BYTES:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data
