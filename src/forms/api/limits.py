"""The API's rate limit: a token bucket per key (an API token, or a client address for refused
tokens) kept in the store (``store.rate_limits``), so every process serving the API over one store —
uvicorn's workers, the console beside ``forms serve``, several machines on one PostgreSQL — gives a
token one budget of ``burst`` requests refilled at ``per_minute``, not one budget per process.

Why the store: it is the one thing those processes already share, and both databases update a
bucket atomically in one statement (INSERT … ON CONFLICT DO UPDATE … RETURNING); a request costs one
short write that does not wait for the disk. Buckets full again are dropped now and then, so
addresses made up by the thousand do not grow the table. The clock is the wall clock (processes
share it; on several machines keep them in time with NTP).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

from forms.store.ratelimits import RateLimits

#: A process drops the full buckets every this many requests it counts.
FORGET_EVERY = 256


class RateLimiter:
    def __init__(
        self,
        limits: RateLimits,
        per_minute: int,
        burst: int,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limits = limits
        self.per_minute = max(1, per_minute)
        self.burst = max(1, burst)
        self._clock = clock
        self._counted = itertools.count(1)

    def take(self, key: str) -> float:
        """0 when ``key`` may go on (one request taken from its bucket), else the seconds until it may."""
        now_ms = int(self._clock() * 1000)
        limits = dict(now_ms=now_ms, per_minute=self.per_minute, burst=self.burst)
        if next(self._counted) % FORGET_EVERY == 0:
            self.limits.forget_full(**limits)
        return self.limits.take(key, **limits) / 1000
