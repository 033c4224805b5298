"""Whether a host is this computer: one answer for every place that asks.

Plain HTTP is allowed to a loopback server, the system-browser sign-in listens on a loopback
redirect URI, the simulator refuses to listen anywhere else and lets only loopback clients use its
control API. All of them ask the questions below, so they cannot disagree about an address.

Loopback means 127.0.0.0/8, ::1, and the IPv4-mapped form of 127.0.0.0/8 (`::ffff:127.0.0.1`),
which dual-stack sockets report for IPv4 peers and which `ipaddress` does not count as loopback
before Python 3.13. Pure standard library, no I/O: nothing is resolved.
"""

from __future__ import annotations

import ipaddress

__all__ = ["LOCALHOST", "is_loopback", "is_loopback_address", "listen_address"]

LOCALHOST = "localhost"
"""The one name taken to be loopback without asking a resolver (RFC 6761 reserves it for that)."""


def is_loopback(host: str | None) -> bool:
    """True when `host`, as a URL or a person names it, is this computer: a loopback address or `localhost`.

    Case does not matter, and an IPv6 address may be in brackets as in a URL (`[::1]`).
    """
    if not host:
        return False
    return host.lower() == LOCALHOST or is_loopback_address(host)


def is_loopback_address(address: str | None) -> bool:
    """True when `address` is a loopback IP address; names, `localhost` included, are not addresses.

    For a peer's address, which the socket layer reports as a number: a name there can only come
    from somewhere else and proves nothing. Brackets (`[::1]`) and an IPv6 zone (`::1%lo`) are allowed.
    """
    parsed = _ip_address(address)
    return parsed is not None and parsed.is_loopback


def listen_address(host: str) -> str:
    """The address to listen on for loopback `host`, which must be one (`is_loopback`); for binding.

    A listener needs one address where a name may stand for several: `localhost` becomes
    127.0.0.1, which every system has (some switch IPv6 off). An IPv4-mapped address becomes its
    IPv4 form, because an IPv6 socket cannot be bound to one, and the connections it stands for
    arrive over IPv4 anyway. Raises `ValueError` for a host that is not loopback.
    """
    if host.lower() == LOCALHOST:
        return "127.0.0.1"
    parsed = _ip_address(host)
    if parsed is None or not parsed.is_loopback:
        raise ValueError(f"{host!r} is not a loopback address")
    return str(parsed)


def _ip_address(address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """`address` as an IP address with an IPv4-mapped one already unmapped, or None for anything else."""
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(_unbracketed(address).split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def _unbracketed(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host
