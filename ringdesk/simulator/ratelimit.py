"""Per-key sliding-window rate limits with the platform's restartable penalty."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from ringdesk.simulator.scenario import RateLimits


@dataclass
class RateDecision:
    group: str
    limit: int
    remaining: int
    window: float
    allowed: bool
    retry_after: float = 0.0

    def headers(self) -> dict[str, str]:
        headers = {
            # Spelled as the platform sends it: "light", "heavy", "auth".
            "X-Rate-Limit-Group": self.group.lower(),
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "X-Rate-Limit-Window": str(math.ceil(self.window)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return headers


@dataclass
class _Bucket:
    hits: deque[float] = field(default_factory=deque)
    penalty_until: float = 0.0


class RateLimiter:
    """Counts requests per (key, group) in a sliding window.

    A request that arrives while its bucket is in the penalty box is refused and restarts the penalty, as the
    platform documents; refused requests do not count towards the window.
    """

    def __init__(self, config: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._buckets: dict[tuple[Hashable, str], _Bucket] = {}

    def reset(self) -> None:
        self._buckets.clear()

    def check(self, key: Hashable, group: str) -> RateDecision | None:
        """Count one request; None when the group is not limited (or limits are off)."""
        if not self.config.enabled or group not in self.config.limits:
            return None
        limit = self.config.limits[group]
        window = self.config.window
        now = self._clock()
        bucket = self._buckets.setdefault((key, group), _Bucket())
        while bucket.hits and bucket.hits[0] <= now - window:
            bucket.hits.popleft()
        if now < bucket.penalty_until or len(bucket.hits) >= limit:
            bucket.penalty_until = now + self.config.penalty
            return RateDecision(group, limit, 0, window, allowed=False, retry_after=self.config.penalty)
        bucket.hits.append(now)
        return RateDecision(group, limit, limit - len(bucket.hits), window, allowed=True)
