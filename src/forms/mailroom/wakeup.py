"""Waking `forms serve`'s stages when there is work, instead of at their next look at the store.

    listener ──Spool.arrived──▶ ingester ──wake pipe──▶ deciders (`forms work`) ──done pipe──▶ sender

Each stage still looks every ``IDLE_S`` on its own (a decider on another machine, an intake given by
``forms intake``): a wake-up only saves the wait, nothing depends on it. The two pipes are made by
`forms serve` and handed to its deciders (``--wake-fd``, ``--done-fd``); both ends are non-blocking, a
byte is a nudge, and a full pipe means its reader has been nudged already.
"""

from __future__ import annotations

import contextlib
import os
import select


class Pipe:
    """A pipe of nudges: ``poke`` on one end, ``wait`` (or a selector) on the other."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        for fd in (self.read_fd, self.write_fd):
            os.set_blocking(fd, False)
            os.set_inheritable(fd, False)  # handed on only by name (pass_fds)

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def poke(fd: int | None, times: int = 1) -> None:
    """Nudge whoever waits on the pipe's other end (nothing when ``fd`` is None or the pipe is full)."""
    if fd is None or times < 1:
        return
    with contextlib.suppress(BlockingIOError, BrokenPipeError, OSError):
        os.write(fd, b"." * min(times, 64))


def drain(fd: int, most: int = 4096) -> int:
    """Take the nudges waiting on ``fd``; how many there were."""
    try:
        return len(os.read(fd, most))
    except (BlockingIOError, OSError):
        return 0


def wait(fd: int | None, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for a nudge on ``fd`` (just sleep when None); True when nudged.
    One nudge is taken: of several deciders on one pipe, each nudge wakes one for sure."""
    if fd is None:
        select.select([], [], [], timeout)
        return False
    ready, _, _ = select.select([fd], [], [], timeout)
    return bool(ready) and drain(fd, 1) > 0
