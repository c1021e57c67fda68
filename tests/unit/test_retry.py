"""Retries like an MTA's: minutes, then doubling to a cap of hours, for days; then a dead letter."""

from __future__ import annotations

import datetime as dt
import itertools

from forms.config import load_settings
from forms.deliver.retry import RetryPolicy

T0 = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)
MIN, HOUR, DAY = dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(days=1)


def attempts_until_given_up(policy: RetryPolicy) -> list[dt.timedelta]:
    """The times (after T0) of every attempt of a message that always fails for a while."""
    at, failures, times = T0, 0, [dt.timedelta(0)]
    while True:
        failures += 1
        nxt = policy.next_attempt(failures=failures, queued_at=T0, now=at, permanent=False)
        if nxt is None:
            return times
        assert nxt > at
        at = nxt
        times.append(at - T0)


def test_the_defaults_wait_minutes_then_double_to_four_hours_and_give_up_after_five_days() -> None:
    policy = RetryPolicy.for_settings(load_settings(env={}))
    assert policy == RetryPolicy(5 * MIN, 4 * HOUR, 5 * DAY)
    waits = [policy.wait(n) for n in range(1, 10)]
    assert waits == [5 * MIN, 10 * MIN, 20 * MIN, 40 * MIN, 80 * MIN, 160 * MIN, 4 * HOUR, 4 * HOUR, 4 * HOUR]
    times = attempts_until_given_up(policy)
    assert times[:4] == [dt.timedelta(0), 5 * MIN, 15 * MIN, 35 * MIN]
    assert times[-1] == 5 * DAY  # the last attempt is made when the time is up, not skipped
    assert len(times) == 36  # the first, 6 after doubling waits (to 5 h 15 min), 28 every 4 h, the last
    assert all(b - a <= 4 * HOUR for a, b in itertools.pairwise(times))


def test_a_permanent_failure_is_a_dead_letter_at_once() -> None:
    policy = RetryPolicy()
    assert policy.next_attempt(failures=1, queued_at=T0, now=T0, permanent=True) is None


def test_the_give_up_time_counts_from_when_the_message_was_queued_or_requeued() -> None:
    policy = RetryPolicy()
    late = T0 + 5 * DAY
    assert policy.next_attempt(failures=3, queued_at=T0, now=late, permanent=False) is None
    requeued = late  # a clerk requeued the dead letter: five more days from now
    assert policy.next_attempt(failures=1, queued_at=requeued, now=late, permanent=False) == late + 5 * MIN


def test_settings_set_the_schedule() -> None:
    env = {"FORMS_SEND_RETRY_FIRST_S": "60", "FORMS_SEND_RETRY_MAX_S": "600", "FORMS_SEND_GIVE_UP_S": "3600"}
    policy = RetryPolicy.for_settings(load_settings(env=env))
    assert [policy.wait(n) for n in (1, 2, 4, 5)] == [MIN, 2 * MIN, 8 * MIN, 10 * MIN]
    assert attempts_until_given_up(policy)[-1] == HOUR


def test_a_huge_failure_count_does_not_overflow() -> None:
    assert RetryPolicy().wait(10_000) == 4 * HOUR
