"""Whether a host is this computer, and where to listen for one: the answer every caller shares."""

from __future__ import annotations

import pytest

from ringdesk.cli import build_parser
from ringdesk.config import validate_server_url
from ringdesk.net import is_loopback, is_loopback_address, listen_address

LOOPBACK_ADDRESSES = [
    "127.0.0.1",
    "127.8.9.10",
    "127.255.255.254",
    "::1",
    "0:0:0:0:0:0:0:1",
    "[::1]",
    "::1%lo",
    "[::1%lo]",
    "::ffff:127.0.0.1",
    "::FFFF:127.0.0.1",
    "[::ffff:127.0.0.1]",
    "::ffff:7f00:1",
]

OTHER_HOSTS = [
    "10.0.0.5",
    "192.168.1.2",
    "0.0.0.0",
    "128.0.0.1",
    "::",
    "::2",
    "fe80::1",
    "::ffff:10.0.0.5",
    "[::ffff:10.0.0.5]",
    "example.com",
    "localhost.example.com",
    "127.0.0.1.example.com",
    "127.1",
    "[127.0.0.1",
    "::1]",
    " 127.0.0.1",
    "",
    None,
]


@pytest.mark.parametrize("address", LOOPBACK_ADDRESSES)
def test_loopback_addresses_are_loopback(address: str) -> None:
    assert is_loopback_address(address) is True
    assert is_loopback(address) is True


@pytest.mark.parametrize("host", OTHER_HOSTS)
def test_other_hosts_are_not(host: str | None) -> None:
    assert is_loopback(host) is False
    assert is_loopback_address(host) is False


@pytest.mark.parametrize("name", ["localhost", "LOCALHOST", "LocalHost"])
def test_localhost_is_a_loopback_host_but_not_an_address(name: str) -> None:
    assert is_loopback(name) is True
    # A peer's address comes from the socket layer as a number; a name there proves nothing.
    assert is_loopback_address(name) is False


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("localhost", "127.0.0.1"),
        ("LOCALHOST", "127.0.0.1"),
        ("127.0.0.1", "127.0.0.1"),
        ("127.0.0.2", "127.0.0.2"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("0:0:0:0:0:0:0:1", "::1"),
        # An IPv6 socket cannot be bound to an IPv4-mapped address; its IPv4 form can be.
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("[::ffff:127.0.0.1]", "127.0.0.1"),
    ],
)
def test_listen_address(host: str, address: str) -> None:
    assert listen_address(host) == address


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "example.com", "::ffff:10.0.0.5", ""])
def test_listen_address_refuses_what_is_not_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="not a loopback address"):
        listen_address(host)


# --- the callers agree ---------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["LOCALHOST", "[::1]", "::ffff:127.0.0.1"])
def test_plain_http_and_the_simulator_allow_the_same_hosts(host: str) -> None:
    authority = f"[{host}]" if ":" in host and not host.startswith("[") else host
    assert validate_server_url(f"http://{authority}:8080") == []
    assert build_parser().parse_args(["sim", "--host", host]).host == listen_address(host)
