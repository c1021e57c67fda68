"""What the scheduler sends on a day (pure: dates and records in, notices out).

    a 様式3 unanswered, mailed to a bank officer:
        youshiki3_reminder   from ``before`` business days before its 回答期日 until the 回答期日
        youshiki3_overdue    from ``after`` business days after its 回答期日 (still unanswered)
    each agency bound to the contact deadline:
        contact_digest       the routed submissions not yet contacted whose deadline is today or past

Only on business days (Sat, Sun, national holidays and 12/29–1/3 excluded): a day the scheduler did
not run is caught up on the next business day, since each notice is due from its day on. Each notice
has a key; the store sends a key once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from forms.jp.business_days import add_business_days, is_business_day, subtract_business_days
from forms.review.values import DeadlineRow
from forms.store.youshiki3 import IssuedYoushiki3


@dataclass(frozen=True)
class ChaseRules:
    """``before``: business days before the 回答期日 the bank is reminded; ``after``: business days
    after it an unanswered 様式3 is chased (settings ``remind_before_days`` and ``remind_after_days``)."""

    before: int = 3
    after: int = 1


@dataclass(frozen=True)
class Reminder:
    key: str
    kind: str  # youshiki3_reminder | youshiki3_overdue
    issued: IssuedYoushiki3


@dataclass(frozen=True)
class Digest:
    key: str
    agency: str
    rows: tuple[DeadlineRow, ...]


def reminder_days(due_on: dt.date, rules: ChaseRules) -> tuple[dt.date, dt.date]:
    """The business day the reminder is due from, and the one the overdue notice is due from."""
    return subtract_business_days(due_on, rules.before), add_business_days(due_on, rules.after)


def reminders(today: dt.date, issued: Iterable[IssuedYoushiki3], rules: ChaseRules) -> list[Reminder]:
    """The 様式3 notices due ``today`` (a business day), whether or not sent before (the store knows)."""
    if not is_business_day(today):
        return []
    due: list[Reminder] = []
    for one in issued:
        if one.answered_on is not None or not one.recipients or not one.reference:
            continue  # answered, or never mailed: there is no officer to remind
        before, after = reminder_days(one.due_on, rules)
        if before <= today <= one.due_on:
            due.append(Reminder(f"youshiki3_reminder:{one.reference}", "youshiki3_reminder", one))
        elif today >= after:
            due.append(Reminder(f"youshiki3_overdue:{one.reference}", "youshiki3_overdue", one))
    return due


def digests(today: dt.date, rows: Sequence[DeadlineRow], agencies: Iterable[str]) -> list[Digest]:
    """One digest per agency with submissions whose contact deadline is today or past (none for an
    agency with nothing due)."""
    if not is_business_day(today):
        return []
    by_agency: Mapping[str, list[DeadlineRow]] = {a: [] for a in agencies}
    for row in rows:
        if row.agency in by_agency and row.due <= today:
            by_agency[row.agency].append(row)
    return [
        Digest(
            f"contact_digest:{agency}:{today.isoformat()}",
            agency,
            tuple(sorted(found, key=lambda r: (r.due, r.intake_id))),
        )
        for agency, found in by_agency.items()
        if found
    ]
