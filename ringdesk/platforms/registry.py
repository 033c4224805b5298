"""Which platform package serves which `PlatformKind`: the one place that names them all.

The connection builds its platform here, and the call history asks here for the sentence behind a
stored error code (each row says which platform it came from). A new platform adds one entry to
each function and nothing elsewhere.
"""

from __future__ import annotations

from ringdesk.platforms.base import Platform, PlatformKind
from ringdesk.platforms.ringcentral.client import PlatformClient
from ringdesk.platforms.ringcentral.codes import error_code_sentence
from ringdesk.platforms.ringcentral.platform import RingCentralPlatform

__all__ = ["error_sentence", "make_platform"]


def make_platform(
    kind: PlatformKind, *, server_url: str, client_id: str, client_secret: str | None = None
) -> Platform:
    """A platform of `kind` for one server and app; the caller closes it (`aclose`)."""
    if kind is PlatformKind.RINGCENTRAL:
        return RingCentralPlatform(PlatformClient(server_url, client_id, client_secret=client_secret))
    raise ValueError(f"RingDesk has no platform {kind!r}")  # pragma: no cover - every kind has one


def error_sentence(platform: str, error_code: str) -> str | None:
    """The sentence for `error_code` as the platform named `platform` uses it; None when unknown."""
    if platform == PlatformKind.RINGCENTRAL:
        return error_code_sentence(error_code)
    return None
