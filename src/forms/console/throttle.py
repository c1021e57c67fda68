"""The sign-in limiter: failed sign-ins counted per client IP and in total, in a bounded table.

A password check costs argon2id's time and memory on purpose, so the console bounds how many it
makes for people who fail: at most ``per_ip`` failures per client IP and ``total`` failures in all
within ``window_s``. Beyond either, a sign-in is answered 429 without checking the password.

An attempt takes its place before the password is checked (:meth:`SignInLimiter.begin`) and gives
it back when it succeeds (:meth:`SignInLimiter.succeeded`), so a burst of simultaneous attempts is
bounded too, not only attempts that have already failed. The table of IPs holds at most ``max_ips``
entries: when it is full, the IP whose newest failure is oldest is forgotten (the total still counts
its failures), so addresses made up by the thousand cannot grow it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class SignInLimiter:
    def __init__(
        self,
        *,
        per_ip: int = 10,
        total: int = 100,
        window_s: float = 300.0,
        max_ips: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_ip, self.total, self.window_s, self.max_ips = per_ip, total, window_s, max_ips
        self._clock = clock
        self._by_ip: OrderedDict[str, deque[float]] = OrderedDict()  # least recently failed first
        self._all: deque[float] = deque()
        self._lock = threading.Lock()

    def _expire(self, times: deque[float], now: float) -> deque[float]:
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def blocked(self, ip: str) -> bool:
        """Whether a sign-in from ``ip`` would be refused now (without taking a place)."""
        with self._lock:
            now = self._clock()
            mine = self._expire(self._by_ip.get(ip, deque()), now)
            return len(mine) >= self.per_ip or len(self._expire(self._all, now)) >= self.total

    def begin(self, ip: str) -> bool:
        """Take a place for an attempt from ``ip`` (counted as a failure until it succeeds); False,
        taking none, when the IP or all together have failed too often within the window."""
        with self._lock:
            now = self._clock()
            mine = self._expire(self._by_ip.get(ip, deque()), now)
            if len(mine) >= self.per_ip or len(self._expire(self._all, now)) >= self.total:
                return False
            self._by_ip[ip] = mine
            self._by_ip.move_to_end(ip)
            mine.append(now)
            self._all.append(now)
            while len(self._by_ip) > self.max_ips:
                self._by_ip.popitem(last=False)
            return True

    def succeeded(self, ip: str) -> None:
        """The attempt from ``ip`` signed in: its place is given back."""
        with self._lock:
            mine = self._by_ip.get(ip)
            if mine:
                mine.pop()
                if not mine:
                    del self._by_ip[ip]
            if self._all:
                self._all.pop()

    @property
    def tracked_ips(self) -> int:
        with self._lock:
            return len(self._by_ip)
