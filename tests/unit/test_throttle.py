"""The sign-in limiter: per address and in total, places taken before the password is checked, a
table that cannot grow without bound."""

from __future__ import annotations

import threading

from forms.console.throttle import SignInLimiter


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_address_is_refused_after_its_failures_until_the_window_has_passed() -> None:
    clock = Clock()
    limiter = SignInLimiter(per_ip=3, total=100, window_s=60, clock=clock)
    assert [limiter.begin("192.0.2.1") for _ in range(4)] == [True, True, True, False]
    assert limiter.begin("192.0.2.2"), "another address is not held back"
    clock.now += 61
    assert limiter.begin("192.0.2.1")


def test_failures_from_everywhere_together_are_bounded() -> None:
    limiter = SignInLimiter(per_ip=5, total=12, window_s=60, clock=Clock())
    taken = [limiter.begin(f"198.51.100.{n}") for n in range(40)]
    assert taken.count(True) == 12 and not any(taken[12:])


def test_a_success_gives_its_place_back() -> None:
    limiter = SignInLimiter(per_ip=2, total=2, window_s=60, clock=Clock())
    for _ in range(10):
        assert limiter.begin("192.0.2.1")
        limiter.succeeded("192.0.2.1")
    assert limiter.tracked_ips == 0


def test_a_burst_takes_no_more_places_than_the_limit() -> None:
    limiter = SignInLimiter(per_ip=10, total=1000, window_s=60)
    results: list[bool] = []
    start = threading.Barrier(50)

    def attempt() -> None:
        start.wait()
        results.append(limiter.begin("192.0.2.1"))

    threads = [threading.Thread(target=attempt) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 10


def test_made_up_addresses_do_not_grow_the_table() -> None:
    limiter = SignInLimiter(per_ip=5, total=10**9, window_s=60, max_ips=100, clock=Clock())
    for n in range(5000):
        limiter.begin(f"2001:db8::{n:x}")
    assert limiter.tracked_ips == 100
