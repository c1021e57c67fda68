"""Crash points for the crash tests: ``FORMS_FAILPOINT=<name>`` kills the process at that point.

The mailroom promises that a worker killed at any step loses nothing and sends nothing twice. The
crash tests prove it by killing a real worker process (SIGKILL, no clean-up) at each named step and
restarting it. With the variable unset — always, outside those tests — :func:`hit` does nothing.

Points: ``after_receive`` (the intake is in the store, not yet decided), ``mid_decide`` (an intake
is claimed and its attachments are about to be read: a poison mail that kills its decider),
``after_decide`` (the decision and its outgoing messages are committed, nothing sent), ``mid_send``
(a message is claimed for sending and the transport is about to hand it over).
"""

from __future__ import annotations

import os
import signal

POINTS = frozenset({"after_receive", "mid_decide", "after_decide", "mid_send"})


def hit(name: str) -> None:
    """Kill this process now if ``FORMS_FAILPOINT`` names this point."""
    if name in POINTS and os.environ.get("FORMS_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
