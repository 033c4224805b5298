"""Text the view models share: call lengths, numbers with their extensions, and the ellipsis."""

from __future__ import annotations

__all__ = ["ELLIPSIS", "format_duration", "with_extension"]

ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"


def format_duration(seconds: float) -> str:
    """A call's length as the windows show it: "02:13", or "1:02:13" past an hour."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def with_extension(display: str, number: str, extension: str | None) -> tuple[str, str]:
    """A number and its extension as the windows show it and as redial types it back in.

    ("+1 650-555-1234", "+16505551234", "12") gives ("+1 650-555-1234 ext. 12", "+16505551234x12");
    without an extension, `display` and `number` as they are.
    """
    if not extension:
        return display, number
    return f"{display} ext. {extension}", f"{number}x{extension}"
