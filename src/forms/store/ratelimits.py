"""The API's rate limit in the store (``store.rate_limits``): a token bucket per key, shared by every
process over the store, so several uvicorn workers, or the console beside ``forms serve``, give a
token one budget rather than one each.

    take(key, now_ms=…, per_minute=…, burst=…)   0 when the request may go on (one taken), else the
                                                 milliseconds until it may
    forget_full(now_ms=…, per_minute=…, burst=…)  drop the buckets that are full again (as if absent)

One statement per request, atomic on both databases: an INSERT … ON CONFLICT DO UPDATE whose SET
reads the row as it was (PostgreSQL locks it for the statement; SQLite's writer takes turns), refills
the bucket for the time passed, takes one request if there is one, and RETURNING says which. Integers
only: a request is 60 000 units of credit, so a bucket filling at ``per_minute`` a minute gains
``per_minute`` units a millisecond. A clock that steps back refills nothing.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, delete, literal

from forms.store.engine import Database
from forms.store.schema import api_rate_limits

#: Credit units per request (milliseconds in a minute: the refill per millisecond is per_minute).
REQUEST = 60_000


class RateLimits:
    def __init__(self, db: Database) -> None:
        self._db = db

    def take(self, key: str, *, now_ms: int, per_minute: int, burst: int) -> int:
        """Take one request from ``key``'s bucket (``burst`` requests at most, refilled at
        ``per_minute``): 0 when it was there, else the milliseconds until it will be."""
        rate, full = max(1, per_minute), max(1, burst) * REQUEST
        t = api_rate_limits.c
        now = literal(now_ms)
        elapsed = case((now > t.at_ms, now - t.at_ms), else_=0)
        refilled = t.credit + elapsed * rate
        filled: ColumnElement[int] = case((refilled > full, full), else_=refilled)
        first = {"key": key, "credit": full - REQUEST, "at_ms": now_ms, "granted": True}
        stmt = (
            self._db.upsert(api_rate_limits)
            .values(**first)
            .on_conflict_do_update(
                index_elements=[t.key],
                set_={
                    "credit": case((filled >= REQUEST, filled - REQUEST), else_=filled),
                    "granted": filled >= REQUEST,
                    "at_ms": case((now > t.at_ms, now), else_=t.at_ms),
                },
            )
            .returning(t.credit, t.granted)
        )
        # a count lost with the machine's power lets a few requests more through: no need to wait
        with self._db.writing(durable=False) as conn:
            credit, granted = conn.execute(stmt).one()
        return 0 if granted else -(-(REQUEST - int(credit)) // rate)

    def forget_full(self, *, now_ms: int, per_minute: int, burst: int) -> int:
        """Drop the buckets full again by ``now_ms`` (a full bucket is what a missing one means), so
        addresses made up by the thousand do not grow the table; how many were dropped."""
        refill_ms = max(1, burst) * REQUEST // max(1, per_minute)
        stmt = delete(api_rate_limits).where(api_rate_limits.c.at_ms < now_ms - refill_ms)
        with self._db.writing(durable=False) as conn:
            return int(conn.execute(stmt).rowcount or 0)
