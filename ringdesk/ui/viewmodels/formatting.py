"""Text the view models share: call lengths as the windows show them, and the ellipsis."""

from __future__ import annotations

__all__ = ["ELLIPSIS", "format_duration"]

ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"


def format_duration(seconds: float) -> str:
    """A call's length as the windows show it: "02:13", or "1:02:13" past an hour."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
