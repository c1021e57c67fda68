"""What keeps the SMTP listener from being held or filled by anyone who can connect to it.

- **Connections**: at most ``max_connections`` at once, and at most ``per_ip_per_minute`` new ones
  from one address in a minute (0: no per-address limit — with postfix in front every connection
  comes from 127.0.0.1). A connection over either limit is answered ``421`` and closed before
  anything else happens; the table of addresses is bounded.
- **Time**: a command must come within ``idle_s`` (aiosmtpd's own timeout), and a whole session ends
  after ``session_s`` whatever it does — a client sending NOOP forever is cut with ``421``.
- **Disk**: when the spool's file system has less than ``min_free_bytes`` free (or would have, after
  the declared SIZE), MAIL and DATA are answered ``452`` (insufficient storage, try later): the
  sender keeps the mail and retries, the disk never fills.

Together they bound what the listener can take of the process it shares with the console and the
sender: its connections, its memory (``max_connections`` × the largest mail) and its time. The
listener runs in its own thread and event loop (aiosmtpd's Controller); spooling runs in that
loop's worker threads.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forms.intake.smtp_data import ChunkedDataSMTP

log = logging.getLogger(__name__)

TOO_MANY = b"421 4.7.0 Too many connections, try again later\r\n"
TOO_OFTEN = b"421 4.7.0 Too many connections from your address, try again later\r\n"
TOO_LONG = b"421 4.4.2 Session time limit exceeded, closing connection\r\n"
NO_ROOM = "452 4.3.1 Insufficient system storage, try again later"


@dataclass(frozen=True)
class ListenerLimits:
    max_connections: int = 20
    per_ip_per_minute: int = 120
    session_s: float = 600.0
    idle_s: float = 120.0
    min_free_bytes: int = 512 * 1024 * 1024


class Gate:
    """Counts open connections and recent connections per address (used from the listener's loop)."""

    def __init__(
        self, limits: ListenerLimits, *, max_ips: int = 10_000, clock: Callable[[], float] = time.monotonic
    ):
        self.limits = limits
        self.open = 0
        self._recent: OrderedDict[str, deque[float]] = OrderedDict()
        self._max_ips = max_ips
        self._clock = clock

    def admit(self, ip: str) -> bytes | None:
        """None when a connection from ``ip`` may go on (it is counted); else the 421 to answer."""
        if self.open >= self.limits.max_connections:
            return TOO_MANY
        if self.limits.per_ip_per_minute:
            now = self._clock()
            times = self._recent.pop(ip, deque())
            while times and times[0] <= now - 60:
                times.popleft()
            self._recent[ip] = times
            if len(times) >= self.limits.per_ip_per_minute:
                return TOO_OFTEN
            times.append(now)
            while len(self._recent) > self._max_ips:
                self._recent.popitem(last=False)
        self.open += 1
        return None

    def release(self) -> None:
        self.open -= 1


def has_room(folder: Path, min_free_bytes: int, incoming: int = 0) -> bool:
    """Whether the file system of ``folder`` keeps ``min_free_bytes`` free after ``incoming`` bytes."""
    try:
        return shutil.disk_usage(folder).free - incoming >= min_free_bytes
    except OSError:
        return False


class GuardedSMTP(ChunkedDataSMTP):
    """The listener's protocol: admitted by the Gate, ended at the session deadline."""

    def __init__(self, handler: Any, *, gate: Gate, **kwargs: Any) -> None:
        super().__init__(handler, timeout=gate.limits.idle_s, **kwargs)
        self._gate = gate
        self._admitted = False
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._original_transport is None and not self._admitted:  # a new connection, not STARTTLS
            peer = transport.get_extra_info("peername")
            refusal = self._gate.admit(str(peer[0]) if isinstance(peer, tuple) else str(peer))
            if refusal is not None:
                log.warning("SMTP connection from %s refused: %s", peer, refusal.decode().strip())
                transport.write(refusal)  # type: ignore[attr-defined]
                transport.close()
                return
            self._admitted = True
            self._deadline = self.loop.call_later(self._gate.limits.session_s, self._session_over)
        super().connection_made(transport)

    def _session_over(self) -> None:
        log.info("SMTP session of %s over its time limit: closed", self.session.peer if self.session else "?")
        if self.transport is not None:
            self.transport.write(TOO_LONG)  # type: ignore[attr-defined]
            self.transport.close()

    def connection_lost(self, error: Exception | None) -> None:
        if not self._admitted:
            return  # refused at the door: aiosmtpd never saw it
        self._admitted = False
        self._gate.release()
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(error)
