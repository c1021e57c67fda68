"""Business days of the contact deadline: weekends, national holidays (substitutes too), 12/29–1/3."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.jp.business_days import add_business_days, is_business_day

D = dt.date


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 4, 28), True),  # Tue before Golden Week
        (D(2026, 4, 29), False),  # 昭和の日 (Wed)
        (D(2026, 4, 30), True),
        (D(2026, 5, 1), True),  # Fri between the holidays
        (D(2026, 5, 4), False),  # みどりの日
        (D(2026, 5, 5), False),  # こどもの日
        (D(2026, 5, 6), False),  # 振替休日: 憲法記念日 5/3 fell on a Sunday
        (D(2026, 5, 7), True),
        (D(2026, 9, 22), False),  # 国民の休日 between 敬老の日 and 秋分の日
        (D(2027, 3, 22), False),  # 振替休日: 春分の日 3/21 is a Sunday
        (D(2026, 12, 28), True),  # last business day of the year (Mon)
        (D(2026, 12, 29), False),  # Tue, year-end closure
        (D(2026, 12, 30), False),
        (D(2026, 12, 31), False),
        (D(2027, 1, 1), False),
        (D(2027, 1, 3), False),  # Sun anyway
        (D(2027, 1, 4), True),  # Mon, first business day
        (D(2026, 5, 16), False),  # Saturday
        (D(2026, 5, 17), False),  # Sunday
    ],
)
def test_is_business_day(day: dt.date, expected: bool) -> None:
    assert is_business_day(day) is expected


def test_closure_applies_to_weekdays_of_any_year() -> None:
    # 2030-12-30 is a Monday, 2031-01-02 a Thursday: closed although neither weekend nor holiday
    assert not is_business_day(D(2030, 12, 30))
    assert not is_business_day(D(2031, 1, 2))


def test_seven_business_days_from_a_friday() -> None:
    # Fri 2026-06-05: 6/8 9 10 11 12, 6/15 16
    assert add_business_days(D(2026, 6, 5), 7) == D(2026, 6, 16)


def test_seven_business_days_across_golden_week() -> None:
    # Fri 5/1: 5/7 8, 5/11 12 13 14 15 (5/2–5/6 closed)
    assert add_business_days(D(2026, 5, 1), 7) == D(2026, 5, 15)
    assert add_business_days(D(2026, 4, 28), 1) == D(2026, 4, 30)
    assert add_business_days(D(2026, 4, 30), 2) == D(2026, 5, 7)


def test_the_briefs_example_deadline() -> None:
    assert add_business_days(D(2026, 5, 12), 7) == D(2026, 5, 21)


def test_year_end_closure_is_skipped() -> None:
    assert add_business_days(D(2026, 12, 25), 1) == D(2026, 12, 28)
    assert add_business_days(D(2026, 12, 25), 2) == D(2027, 1, 4)
    # received during the closure: counting starts after it
    assert add_business_days(D(2026, 12, 30), 1) == D(2027, 1, 4)


def test_silver_week_2026() -> None:
    # 9/19 Sat … 9/23 Wed closed (敬老の日, 国民の休日, 秋分の日)
    assert add_business_days(D(2026, 9, 18), 1) == D(2026, 9, 24)


def test_start_day_is_not_counted_and_zero_gives_start() -> None:
    assert add_business_days(D(2026, 5, 12), 0) == D(2026, 5, 12)
    assert add_business_days(D(2026, 5, 12), 1) == D(2026, 5, 13)


def test_negative_count_is_refused() -> None:
    with pytest.raises(ValueError):
        add_business_days(D(2026, 5, 12), -1)


@settings(max_examples=60, deadline=None)
@given(start=st.dates(D(2025, 1, 1), D(2030, 12, 31)), n=st.integers(0, 30))
def test_result_is_the_nth_business_day(start: dt.date, n: int) -> None:
    end = add_business_days(start, n)
    between = [start + dt.timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(is_business_day(d) for d in between) == n
    assert n == 0 or is_business_day(end)
