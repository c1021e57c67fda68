"""When a message that could not be sent is tried again, and when the outbox gives up on it. Pure.

As an MTA does (postfix: first retry after 5 minutes, doubling to at most ~4 hours, a queue lifetime
of 5 days): the first retry waits ``first``, each next one twice as long, at most ``longest``; a
message still not sent ``give_up_after`` after it was queued (or requeued by a clerk) is a dead
letter, and the last attempt is made at that moment rather than skipped. A permanent failure (5xx) is
a dead letter at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from forms.config import Settings


@dataclass(frozen=True)
class RetryPolicy:
    first: dt.timedelta = dt.timedelta(minutes=5)
    longest: dt.timedelta = dt.timedelta(hours=4)
    give_up_after: dt.timedelta = dt.timedelta(days=5)

    @classmethod
    def for_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            first=dt.timedelta(seconds=settings.send_retry_first_s),
            longest=dt.timedelta(seconds=settings.send_retry_max_s),
            give_up_after=dt.timedelta(seconds=settings.send_give_up_s),
        )

    def wait(self, failures: int) -> dt.timedelta:
        """The wait after the ``failures``-th failed attempt (1 for the first)."""
        doubled = self.first.total_seconds() * 2.0 ** min(max(0, failures - 1), 64)  # a float: no overflow
        return dt.timedelta(seconds=min(self.longest.total_seconds(), doubled))

    def next_attempt(
        self, *, failures: int, queued_at: dt.datetime, now: dt.datetime, permanent: bool
    ) -> dt.datetime | None:
        """When to try again after the ``failures``-th failure at ``now``; None: give up (dead letter)."""
        deadline = queued_at + self.give_up_after
        if permanent or now >= deadline:
            return None
        return min(now + self.wait(failures), deadline)
