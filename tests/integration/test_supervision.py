"""`forms serve` left alone, with real parts: a decider SIGKILLed is restarted and its intake finished
once; PostgreSQL stopped and started under it loses nothing and sends nothing twice; the listener
whose loop dies is restarted on its port."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller

from forms.deliver import SmtpTransport
from forms.deliver.retry import RetryPolicy
from forms.deliver.sender import Sender
from forms.errors import StoreError
from forms.intake.smtp import start_smtp_listener
from forms.intake.spool import Spool
from forms.mailroom.supervise import ListenerPart, Supervisor
from forms.store import OutboxItem, Store
from tests.support.mailroom import bank_mail, mailroom_env
from tests.support.paths import FORMS, SAMPLES
from tests.support.pg import running_postgres
from tests.support.ports import free_port, listening
from tests.support.processes import processes_with, wait_until
from tests.support.smtp_sink import Recorder, smtp_sink
from tests.support.store_rows import add, decide

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")


def start_serve(home: Path, env: dict[str, str], listen: int) -> subprocess.Popen[bytes]:
    log = (home / "serve.log").open("wb")
    serve = subprocess.Popen([str(FORMS), "serve"], env={**os.environ, **env}, stderr=log)
    assert wait_until(lambda: listening(listen) or serve.poll() is not None, 60) and serve.poll() is None
    return serve


def stop_serve(home: Path, serve: subprocess.Popen[bytes]) -> str:
    serve.send_signal(signal.SIGTERM)
    serve.wait(timeout=90)
    assert serve.returncode == 0, (home / "serve.log").read_text()
    assert wait_until(lambda: processes_with(f"FORMS_HOME={home}") == [], 30), "no process left behind"
    return (home / "serve.log").read_text()


def send(port: int, data: bytes, sender: str) -> None:
    """One mail over SMTP; raises unless the listener answers 250."""
    asyncio.run(aiosmtplib.send(data, sender=sender, recipients=["mailroom@example.jp"],
                                hostname="127.0.0.1", port=port))  # fmt: skip


def delivered(recorder: Recorder) -> collections.Counter[bytes]:
    """How many times each Message-ID reached the sink."""
    return collections.Counter(
        raw.split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0] for _, _, raw, _ in recorder.received
    )


def decided_once(store: Store) -> list[int]:
    """Per intake, how many 'decided' events it has."""
    return [sum(e.kind == "decided" for e in store.events.of(r.id)) for r in store.intakes.latest()]


def test_a_decider_killed_under_serve_is_restarted_and_its_intake_finished_once(tmp_path: Path) -> None:
    listen = free_port()
    with smtp_sink() as (sink, recorder):
        env = mailroom_env(tmp_path, sink.port, FORMS_SMTP_LISTEN=f"127.0.0.1:{listen}", FORMS_DECIDERS="1")
        serve = start_serve(tmp_path, env, listen)
        try:
            # a scan: OCR keeps the decider busy for seconds (the lease is the default 300 s)
            send(listen, (SAMPLES / "kosha-scanned.eml").read_bytes(), "kaigai@mihon-bank.example.jp")
            with Store.open(f"sqlite:///{tmp_path / 'forms.db'}") as store:
                assert wait_until(lambda: store.intakes.latest(state="processing") != [], 60)
                (held,) = store.intakes.latest(state="processing")
                os.kill(int(str(held.claimed_by).rsplit(":", 1)[1]), signal.SIGKILL)
                done = wait_until(lambda: store.intakes.latest(state="decided") != [], 180)
                assert done, (tmp_path / "serve.log").read_text()
                kinds = collections.Counter(e.kind for e in store.events.of(held.id))
            assert wait_until(lambda: len(recorder.received) >= 1, 60)
            time.sleep(1)  # nothing more arrives
        finally:
            log = stop_serve(tmp_path, serve)
    assert kinds["decided"] == 1 and kinds["lease_expired"] == 1, kinds
    assert set(delivered(recorder).values()) == {1}
    assert "decider 1 died" in log and "decider 1 restarted" in log and "released for another decider" in log


def test_postgres_stopped_and_started_under_serve_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path,
) -> None:
    listen = free_port()
    officers = [f"officer{i}@bank{i}.example.jp" for i in range(3)]
    mails = [bank_mail(SAMPLES / "jetro-fillable.pdf", o, f"<pg-{i}@bank{i}.example.jp>") for i, o in
             enumerate(officers)]  # fmt: skip
    with running_postgres() as postgres, smtp_sink() as (sink, recorder):
        url = postgres.create_database(f"s_{uuid.uuid4().hex[:12]}")
        env = mailroom_env(tmp_path, sink.port, FORMS_SMTP_LISTEN=f"127.0.0.1:{listen}")
        env["FORMS_DATABASE_URL"] = url
        serve = start_serve(tmp_path, env, listen)
        try:
            send(listen, mails[0], officers[0])
            assert wait_until(lambda: len(recorder.received) >= 2, 120), "forward and receipt of the first"
            postgres.stop_server()
            for mail, officer in zip(mails[1:], officers[1:], strict=True):
                send(listen, mail, officer)  # answered 250: spooled, though the store is away
            time.sleep(3)  # the ingester, the deciders and the sender fail meanwhile
            assert serve.poll() is None, "serve did not end"
            postgres.start_server()
            arrived = wait_until(lambda: len(recorder.received) >= 6, 180)
            assert arrived, (tmp_path / "serve.log").read_text()
            time.sleep(2)  # nothing more arrives
        finally:
            log = stop_serve(tmp_path, serve)
        with Store.open(url) as store:
            per_intake = decided_once(store)
    assert per_intake == [1, 1, 1], "each mail stored once and decided once"
    assert len(recorder.received) == 6 and set(delivered(recorder).values()) == {1}
    assert "paused" in log and "resumed" in log


def test_the_listener_is_restarted_on_its_port_when_its_loop_dies(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    stop = threading.Event()

    def start(port: int | None) -> Controller:
        return start_smtp_listener(spool, host="127.0.0.1", port=port or 0,
                                   mailroom_addresses=["mailroom@example.jp"], max_bytes=10**7)  # fmt: skip

    part = ListenerPart(start)
    supervisor = Supervisor([part], stop, first_delay_s=0.05)
    supervisor.start()
    try:
        port, first = part.port, part.controller
        assert port is not None
        first.loop.call_soon_threadsafe(first.loop.stop)  # its loop ends, as if it had crashed
        assert wait_until(lambda: part.controller is not None and part.controller is not first, 20)
        assert part.port == port and wait_until(lambda: listening(port), 10)
        send(port, bank_mail(None, "a@mihon-bank.example.jp", "<after@mihon-bank.example.jp>"), "a@x.jp")
        assert len(list(spool.entries())) == 1
    finally:
        supervisor.stop()


class StoreAwayOnce:
    """The store as the sender uses it (our interface), away for the first record of a send: the
    agencies' server has taken the message, the record fails (PostgreSQL restarting)."""

    def __init__(self, store: Store) -> None:
        self.store, self.outbox, self.away = store, self, True

    def now(self) -> dt.datetime:
        return self.store.now()

    def claim(self, *args: Any, **kwargs: Any) -> list[OutboxItem]:
        return self.store.outbox.claim(*args, **kwargs)

    def mark_failed(self, *args: Any, **kwargs: Any) -> None:
        self.store.outbox.mark_failed(*args, **kwargs)

    def mark_sent_batch(self, outbox_ids: Sequence[int], *, worker: str) -> list[int]:
        if self.away:
            self.away = False
            raise StoreError("database: OperationalError: connection refused")
        return self.store.outbox.mark_sent_batch(outbox_ids, worker=worker)


def test_a_message_sent_while_the_store_was_away_is_recorded_not_sent_again(tmp_path: Path) -> None:
    """Even past its lease: the sender records what it holds before it claims anything."""
    with Store.open(f"sqlite:///{tmp_path / 'forms.db'}") as store, smtp_sink() as (sink, recorder):
        add(store, "spool-1")
        store.intakes.claim_next("w")
        decide(store, 1, "w")
        transport = SmtpTransport("127.0.0.1", sink.port, timeout=5)
        away = cast(Store, StoreAwayOnce(store))
        sender = Sender(away, transport, worker="s", retry=RetryPolicy(), lease_s=1)

        async def twice() -> int:
            with pytest.raises(StoreError):
                await sender.deliver_due()
            assert len(recorder.received) == 1 and store.outbox.items(state="sending") != []
            await asyncio.sleep(1.5)  # its claim's lease has run out meanwhile
            try:
                return await sender.deliver_due()  # the store is back: recorded first, not claimed again
            finally:
                await sender.close()

        assert asyncio.run(twice()) == 1
        assert len(recorder.received) == 1 and [m.state for m in store.outbox.items()] == ["sent"]
