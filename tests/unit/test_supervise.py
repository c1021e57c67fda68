"""The supervisor restarts a part that dies, with backoff, and says so; a loop pauses on the store."""

from __future__ import annotations

import logging
import threading

import pytest

from forms.errors import StoreError
from forms.mailroom.supervise import Backoff, Pauses, Supervisor, ThreadPart


def test_backoff_doubles_to_its_ceiling_and_resets() -> None:
    b = Backoff(1.0, 5.0)
    assert [b.next() for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    b.reset()
    assert b.next() == 1.0


def test_a_thread_that_dies_is_restarted_and_the_log_says_so(caplog: pytest.LogCaptureFixture) -> None:
    stop, runs, steady = threading.Event(), [], threading.Event()

    def run(event: threading.Event) -> None:
        runs.append(1)
        if len(runs) < 3:
            raise StoreError("disk full")
        steady.set()
        event.wait()

    supervisor = Supervisor([ThreadPart("ingester", run, stop)], stop, first_delay_s=0.05)
    with caplog.at_level(logging.WARNING, logger="forms.mailroom.supervise"):
        supervisor.start()
        assert steady.wait(10), "restarted until it ran"
        supervisor.stop()
    died = [r.getMessage() for r in caplog.records if "died" in r.getMessage()]
    assert len(runs) == 3 and len(died) == 2 and "StoreError: disk full" in died[0]
    assert sum("ingester restarted" in r.getMessage() for r in caplog.records) == 2


def test_a_loop_pauses_once_per_outage_and_says_when_it_resumes(caplog: pytest.LogCaptureFixture) -> None:
    pauses = Pauses("sending", Backoff(1.0, 4.0))
    with caplog.at_level(logging.WARNING, logger="forms.mailroom.supervise"):
        delays = [pauses.failed(StoreError("gone")) for _ in range(4)]
        pauses.ok()
        pauses.ok()
    assert delays == [1.0, 2.0, 4.0, 4.0]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and "sending paused" in messages[0] and "sending resumed" in messages[1]
    assert pauses.failed(StoreError("again")) == 1.0  # a new outage starts from the first delay
