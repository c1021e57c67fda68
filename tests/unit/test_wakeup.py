"""`forms serve`'s nudges: a poke wakes one waiter, a full pipe is no error, the spool tells its ingester."""

from __future__ import annotations

import os
from pathlib import Path

from forms.intake.spool import Spool
from forms.mailroom import wakeup


def test_each_poke_wakes_one_wait_and_is_taken_by_it() -> None:
    pipe = wakeup.Pipe()
    try:
        assert not wakeup.wait(pipe.read_fd, 0)
        wakeup.poke(pipe.write_fd, 2)
        assert wakeup.wait(pipe.read_fd, 0)
        assert wakeup.wait(pipe.read_fd, 0)
        assert not wakeup.wait(pipe.read_fd, 0)
    finally:
        pipe.close()


def test_a_full_pipe_takes_no_more_and_raises_nothing() -> None:
    pipe = wakeup.Pipe()
    try:
        for _ in range(100_000):  # far more than a pipe's buffer
            wakeup.poke(pipe.write_fd, 64)
        taken = 0
        while (n := wakeup.drain(pipe.read_fd)) > 0:
            taken += n
        assert 0 < taken < 100_000 * 64
        assert not wakeup.wait(pipe.read_fd, 0)
    finally:
        pipe.close()


def test_without_a_pipe_poke_does_nothing_and_wait_only_sleeps() -> None:
    wakeup.poke(None, 3)
    assert not wakeup.wait(None, 0)


def test_the_pipes_are_not_handed_to_every_child_process() -> None:
    pipe = wakeup.Pipe()
    try:
        assert not os.get_inheritable(pipe.read_fd)
        assert not os.get_inheritable(pipe.write_fd)
    finally:
        pipe.close()


def test_putting_or_adopting_mail_tells_the_ingester(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    assert not spool.arrived.is_set()
    spool.put(b"From: a@example.jp\r\n\r\nhello\r\n", channel="smtp")
    assert spool.arrived.is_set()
    spool.arrived.clear()
    source = tmp_path / "spool" / "mail"
    source.write_bytes(b"From: b@example.jp\r\n\r\nhello\r\n")
    spool.adopt(source, channel="maildir")
    assert spool.arrived.is_set()
