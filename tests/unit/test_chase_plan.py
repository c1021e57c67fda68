"""What the scheduler sends on a day (forms.chase.plan): reminders before and after a 様式3's 回答期日
at the right business day across the year-end closure (12/29–1/3) and a week of holidays, digests of
the contacts due; nothing on a day that is not a business day."""

from __future__ import annotations

import datetime as dt

import pytest

from forms.chase.plan import ChaseRules, digests, reminder_days, reminders
from forms.jp.business_days import subtract_business_days
from forms.ledger import CompanyKey
from forms.review.values import DeadlineRow
from forms.store.youshiki3 import IssuedYoushiki3

D = dt.date
RULES = ChaseRules(before=3, after=1)


def issued(due: dt.date, *, answered: dt.date | None = None, mailed: bool = True) -> IssuedYoushiki3:
    return IssuedYoushiki3(
        id=1, company=CompanyKey("4010001234567"), company_name="見本", bank_name="みほん銀行",
        agency="jetro", intake_id=1, issued_on=D(2026, 11, 2), due_on=due, files=(),
        answered_on=answered, answer=None, answer_source=None, reference="R8-Y3-000001",
        recipients=("bank@bank.example.jp",) if mailed else (),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("due", "before", "after"),
    [
        (D(2027, 1, 4), D(2026, 12, 24), D(2027, 1, 5)),  # 12/25, 12/28 and (closed 12/29–1/3) counted back
        (D(2026, 12, 28), D(2026, 12, 23), D(2027, 1, 4)),  # the day after: past the closure
        (
            D(2026, 9, 24),
            D(2026, 9, 16),
            D(2026, 9, 25),
        ),  # 9/19–9/23: weekend, 敬老の日, 国民の休日, 秋分の日
        (D(2026, 10, 31), D(2026, 10, 28), D(2026, 11, 2)),  # a Saturday 回答期日
    ],
)
def test_reminder_days_are_business_days(due: dt.date, before: dt.date, after: dt.date) -> None:
    assert reminder_days(due, RULES) == (before, after)


def test_subtract_business_days_skips_weekends_holidays_and_the_closure() -> None:
    assert subtract_business_days(D(2027, 1, 4), 1) == D(2026, 12, 28)
    assert subtract_business_days(D(2026, 5, 7), 1) == D(2026, 5, 1)  # Golden Week
    assert subtract_business_days(D(2026, 5, 7), 0) == D(2026, 5, 7)
    with pytest.raises(ValueError):
        subtract_business_days(D(2026, 5, 7), -1)


@pytest.mark.parametrize(
    ("today", "kinds"),
    [
        (D(2026, 12, 23), []),
        (D(2026, 12, 24), ["youshiki3_reminder"]),
        (D(2026, 12, 28), ["youshiki3_reminder"]),  # still due; the store sends a key once
        (D(2026, 12, 29), []),  # closed
        (D(2027, 1, 2), []),  # closed (and a Saturday)
        (D(2027, 1, 4), ["youshiki3_reminder"]),
        (D(2027, 1, 5), ["youshiki3_overdue"]),
        (D(2027, 1, 9), []),  # Saturday
        (D(2027, 1, 11), []),  # 成人の日
        (D(2027, 1, 12), ["youshiki3_overdue"]),
    ],
)
def test_reminders_due_on_a_day(today: dt.date, kinds: list[str]) -> None:
    assert [r.kind for r in reminders(today, [issued(D(2027, 1, 4))], RULES)] == kinds


def test_no_reminder_for_an_answered_or_unmailed_youshiki3() -> None:
    today = D(2027, 1, 5)
    assert reminders(today, [issued(D(2027, 1, 4), answered=D(2027, 1, 4))], RULES) == []
    assert reminders(today, [issued(D(2027, 1, 4), mailed=False)], RULES) == []
    (one,) = reminders(today, [issued(D(2027, 1, 4))], RULES)
    assert one.key == "youshiki3_overdue:R8-Y3-000001"


def row(n: int, agency: str, due: dt.date) -> DeadlineRow:
    return DeadlineRow(n, f"R8-{n:06d}", agency, f"企業{n}", due - dt.timedelta(days=9), due, False, 0)


def test_a_digest_per_agency_lists_the_deadlines_due_today_or_past() -> None:
    rows = [row(1, "jetro", D(2027, 1, 4)), row(2, "jetro", D(2027, 1, 6)), row(3, "scb", D(2026, 12, 28))]
    rows.append(row(4, "kosha", D(2026, 12, 1)))  # kosha is not bound to the contact deadline
    found = digests(D(2027, 1, 5), rows, ("jetro", "scb"))
    assert [(d.key, [r.intake_id for r in d.rows]) for d in found] == [
        ("contact_digest:jetro:2027-01-05", [1]),
        ("contact_digest:scb:2027-01-05", [3]),
    ]
    assert digests(D(2027, 1, 2), rows, ("jetro", "scb")) == []  # not a business day
    assert [d.agency for d in digests(D(2026, 12, 28), rows, ("jetro", "scb"))] == ["scb"]
