"""Business days of the programme's contact deadline (DOMAIN rule 11).

A business day is not a Saturday or Sunday, not a Japanese national holiday (国民の祝日, including
振替休日 and 国民の休日, from the maintained ``holidays`` library) and not in the year-end closure
12/29–1/3. Pure: dates in, dates out; the holiday table of a year is computed once and cached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from functools import cache

import holidays

#: The year-end and New Year closure as (month, day): rulebook ``contact_sla.closed_days``.
YEAR_END_CLOSURE: frozenset[tuple[int, int]] = frozenset(
    {(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)}
)
_SATURDAY = 5
#: add_business_days never walks further than this many calendar days (a broken closure list).
_MAX_SPAN_DAYS = 3660


@cache
def _national_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("JP", years=year).keys())


def national_holiday(d: dt.date) -> bool:
    """Whether ``d`` is a Japanese national holiday (substitute holidays included)."""
    return d in _national_holidays(d.year)


def is_business_day(d: dt.date, *, closed: Collection[tuple[int, int]] = YEAR_END_CLOSURE) -> bool:
    """Not Sat/Sun, not a national holiday, not a closed day (default 12/29–1/3)."""
    if d.weekday() >= _SATURDAY or (d.month, d.day) in closed:
        return False
    return not national_holiday(d)


def add_business_days(
    start: dt.date, n: int, *, closed: Collection[tuple[int, int]] = YEAR_END_CLOSURE
) -> dt.date:
    """The ``n``-th business day after ``start`` (``start`` itself is not counted; n=0 gives start)."""
    if n < 0:
        raise ValueError(f"business days must be counted forward, got {n}")
    day, counted = start, 0
    while counted < n:
        day += dt.timedelta(days=1)
        if (day - start).days > _MAX_SPAN_DAYS:
            raise ValueError(f"no {n} business days within {_MAX_SPAN_DAYS} days of {start}")
        if is_business_day(day, closed=closed):
            counted += 1
    return day


def subtract_business_days(
    start: dt.date, n: int, *, closed: Collection[tuple[int, int]] = YEAR_END_CLOSURE
) -> dt.date:
    """The ``n``-th business day before ``start`` (``start`` itself is not counted; n=0 gives start)."""
    if n < 0:
        raise ValueError(f"business days must be counted backward by a positive number, got {n}")
    day, counted = start, 0
    while counted < n:
        day -= dt.timedelta(days=1)
        if (start - day).days > _MAX_SPAN_DAYS:
            raise ValueError(f"no {n} business days within {_MAX_SPAN_DAYS} days before {start}")
        if is_business_day(day, closed=closed):
            counted += 1
    return day
