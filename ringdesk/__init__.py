"""RingDesk: a desktop dialer for cloud phone systems."""

import sys

__version__ = "0.1.0"

# httpx imports its command-line client (`httpx._main`), and with it click, rich and pygments,
# whenever those happen to be installed; RingDesk never runs it. A module marked absent makes httpx
# skip it: about 60 ms and 20 MiB less at start where they are installed.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: "not importable"
