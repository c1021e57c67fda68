"""`forms serve`'s supervision: every part of the mailroom restarted when it dies, and a store or spool
that fails paused on, not died of.

    Supervisor ──every half second──▶ each Part alive?  no ─▶ log why, restart after a backoff
                                                             (1 s, doubling to a minute; reset once
                                                             the part ran a minute)

A part is a thread (the ingester, the Maildir watcher, the IMAP poller, the deadlines' scheduler), a
process (each `forms work` decider; when one exits, its claims are released at once so that another
decider, or its successor, finishes its intake) or the SMTP listener (restarted on the port it had).
Each is started, checked and stopped the same way (:class:`Part`). The sender is `forms serve`'s own
loop: it pauses on what fails instead (``serve.send_until_stopped``).

The loops inside the parts do not die of the store or the spool: :class:`Pauses` turns a StoreError or
SpoolError (PostgreSQL restarting, a disk full) into a logged pause with backoff, and logs when the
work resumes. Nothing is lost meanwhile: mail is in the spool (the listener answers 250 only once it
is there), intakes and messages are in the store, and every step is redone from what is recorded.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from forms.errors import SpoolError, StoreError

log = logging.getLogger(__name__)

#: What a loop pauses on instead of dying.
PAUSING_ERRORS = (StoreError, SpoolError)
#: Restart backoff: the first delay, its ceiling, and how long a part must run to be healthy again.
FIRST_DELAY_S, MOST_DELAY_S, HEALTHY_AFTER_S = 1.0, 60.0, 60.0
CHECK_EVERY_S = 0.5


class Backoff:
    """Delays that double from ``first`` to ``most``; ``reset`` starts again from ``first``."""

    def __init__(self, first: float = FIRST_DELAY_S, most: float = MOST_DELAY_S) -> None:
        self.first, self.most, self._next = first, most, first

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.most)
        return delay

    def reset(self) -> None:
        self._next = self.first


class Pauses:
    """A loop's pauses while the store or the spool fails: ``failed`` logs (once per outage) and says
    how long to wait; ``ok`` logs that the work resumed."""

    def __init__(self, what: str, backoff: Backoff | None = None) -> None:
        self.what, self.backoff, self.since = what, backoff or Backoff(most=30.0), 0.0

    def failed(self, exc: Exception) -> float:
        delay = self.backoff.next()
        if not self.since:
            self.since = time.monotonic()
            log.warning("%s paused: %s; trying again in %.0f s, then less often", self.what, exc, delay)
        else:
            log.debug("%s still paused: %s", self.what, exc)
        return delay

    def ok(self) -> None:
        if self.since:
            log.warning("%s resumed after %.0f s", self.what, time.monotonic() - self.since)
            self.since = 0.0
            self.backoff.reset()


class Part(Protocol):
    """One supervised part of `forms serve`."""

    name: str

    def start(self) -> None: ...

    def alive(self) -> bool: ...

    def ended(self) -> str:
        """Called once when it is found dead: does what must follow its end (a decider's claims are
        released) and says how it ended."""
        ...

    def begin_stop(self) -> None:
        """Ask it to stop without waiting (all parts are asked before any is waited for)."""
        ...

    def stop(self) -> None:
        """Wait until it has stopped (the ``stop`` event is set, ``begin_stop`` called)."""
        ...


class ThreadPart:
    """A loop in a thread: ``run(stop)`` runs until ``stop`` is set; returning or raising before that
    is dying."""

    def __init__(self, name: str, run: Callable[[threading.Event], None], stop: threading.Event) -> None:
        self.name, self._run, self._stop = name, run, stop
        self._thread: threading.Thread | None = None
        self._error = ""

    def _main(self) -> None:
        try:
            self._run(self._stop)
            self._error = "it returned"
        except Exception as exc:  # the supervisor says so and restarts it
            log.exception("%s failed", self.name)
            self._error = f"{type(exc).__name__}: {exc}"

    def start(self) -> None:
        self._error = ""
        self._thread = threading.Thread(target=self._main, name=self.name, daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def ended(self) -> str:
        return self._error or "it stopped"

    def begin_stop(self) -> None:
        return None  # the stop event is set

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=30)


class ProcessPart:
    """A child process (``cmd``, handed the file descriptors ``pass_fds``); ``exited(pid)`` is called
    once it has ended (before a restart)."""

    def __init__(
        self,
        name: str,
        cmd: Sequence[str],
        env: dict[str, str],
        exited: Callable[[int], None],
        pass_fds: Sequence[int] = (),
    ) -> None:
        self.name, self._cmd, self._env, self._exited = name, list(cmd), env, exited
        self._pass_fds = tuple(pass_fds)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self._cmd, env=self._env, pass_fds=self._pass_fds)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ended(self) -> str:
        if self.proc is None:
            return "never started"
        self._exited(self.proc.pid)
        return f"pid {self.proc.pid} exited with {self.proc.returncode}"

    def begin_stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # `forms work` finishes the intake in hand, then exits

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.begin_stop()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ListenerPart:
    """The SMTP listener (an aiosmtpd controller running its loop in a thread): ``start(port)`` starts
    one on ``port`` (0 the first time: the configured port, or one the kernel picks); a restart binds
    the port the first one got."""

    name = "SMTP listener"

    def __init__(self, start: Callable[[int | None], Any]) -> None:
        self._start = start
        self.controller: Any = None
        self.port: int | None = None

    def start(self) -> None:
        self.controller = self._start(self.port)
        self.port = int(self.controller.port)

    def alive(self) -> bool:
        thread = getattr(self.controller, "_thread", None)
        return thread is not None and thread.is_alive()

    def ended(self) -> str:
        self.stop()
        return "its thread ended"

    def begin_stop(self) -> None:
        return None

    def stop(self) -> None:
        if self.controller is None:
            return
        controller, self.controller = self.controller, None
        with contextlib.suppress(Exception):  # a loop that died leaves little to stop
            controller.stop()
        with contextlib.suppress(Exception):
            controller._listening.close()


class Supervisor:
    """Starts the parts, restarts each that dies (after its own backoff), stops them all at the end."""

    def __init__(
        self, parts: Sequence[Part], stop: threading.Event, *, first_delay_s: float = FIRST_DELAY_S
    ) -> None:
        self.parts, self._stop = list(parts), stop
        self._backoff = {id(p): Backoff(first_delay_s) for p in self.parts}
        self._started = {id(p): 0.0 for p in self.parts}
        self._due: dict[int, float] = {}
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)

    def start(self) -> None:
        for part in self.parts:
            self._start(part)
        self._thread.start()

    def _start(self, part: Part) -> None:
        part.start()
        self._started[id(part)] = time.monotonic()

    def _watch(self) -> None:
        while not self._stop.wait(CHECK_EVERY_S):
            for part in self.parts:
                self._check(part)

    def _check(self, part: Part) -> None:
        key, now = id(part), time.monotonic()
        if key in self._due:
            if now >= self._due[key] and not self._stop.is_set():
                del self._due[key]
                self._start(part)
                log.warning("%s restarted", part.name)
            return
        if part.alive() or self._stop.is_set():
            return
        if now - self._started[key] >= HEALTHY_AFTER_S:
            self._backoff[key].reset()
        delay = self._backoff[key].next()
        self._due[key] = now + delay
        log.error("%s died (%s); restarting it in %.0f s", part.name, part.ended(), delay)

    def stop(self) -> None:
        """Stop watching, then stop the parts (the caller has set ``stop``)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for part in reversed(self.parts):
            part.begin_stop()
        for part in reversed(self.parts):
            part.stop()
