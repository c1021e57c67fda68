"""Dates in Japan: the day an instant falls on in Japan (the only day the rules see), and dates in
the Japanese era (和暦) as a bank or clerk reads them: 令和8年5月21日（木）.

Shared by the mailroom, the review, the mail texts (``forms.route.messages``) and the documents
(``forms.documents``). Pure, but for :func:`today_in_japan`, which reads the clock.
"""

from __future__ import annotations

import datetime as dt

#: Japan Standard Time, the programme's clock (one definition for every module).
JST = dt.timezone(dt.timedelta(hours=9), "JST")
_WEEKDAYS = "月火水木金土日"
#: (first day, era name, western year − era year), newest first
_ERAS = ((dt.date(2019, 5, 1), "令和", 2018), (dt.date(1989, 1, 8), "平成", 1988))


def date_in_japan(moment: dt.datetime) -> dt.date:
    """The calendar day in Japan at ``moment``, whatever zone it is written in (DOMAIN "Dates"): the
    day that chooses the rulebook, the fiscal year of the reference number and the start of every
    deadline. Every date derived from an instant goes through here. A naive datetime is read as
    Japan time (what an operator types without a zone, e.g. ``forms intake --received``)."""
    return (moment.astimezone(JST) if moment.tzinfo is not None else moment).date()


def today_in_japan() -> dt.date:
    """Today in Japan (the clock read now)."""
    return date_in_japan(dt.datetime.now(dt.UTC))


def wareki(d: dt.date, *, weekday: bool = True) -> str:
    """A date in the Japanese era: 令和8年5月21日（木）; 令和元年 for 2019; ISO before 平成."""
    for first, era, offset in _ERAS:
        if d >= first:
            year = d.year - offset
            text = f"{era}{'元' if year == 1 else year}年{d.month}月{d.day}日"
            return text + (f"（{_WEEKDAYS[d.weekday()]}）" if weekday else "")
    return d.isoformat()
