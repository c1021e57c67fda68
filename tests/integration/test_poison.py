"""Poison mail: a mail that bombs its reader or kills its decider never stops the mailroom.

Real `forms process` runs (the mailroom's own reader processes and limits), a real store, a real SMTP
sink on loopback.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path

import pytest

from forms.extract.sandbox import PdfReading
from forms.extract.youshiki3 import ReadResult
from forms.mailroom.worker import Mailroom
from forms.model import ExtractResult
from forms.store import Store
from tests.corpus import hostile
from tests.support.mailroom import bank_mail, mailroom_env, received_by
from tests.support.paths import FORMS, SAMPLES
from tests.support.settings import make_settings
from tests.support.smtp_sink import smtp_sink

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")
LEASE_S = 1.0


def youshiki3_mail(pdf: bytes, tag: str) -> bytes:
    """What the issue saw: a subject that says 様式3, a hostile PDF attached."""
    msg = EmailMessage()
    msg["From"], msg["To"] = "kaigai@mihon-bank.example.jp", "mailroom@example.jp"
    msg["Subject"], msg["Message-ID"] = "様式3（状況報告）の返送", f"<y3-{tag}@mihon-bank.example.jp>"
    msg.set_content("様式3を返送します。")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="様式3_返送.pdf")
    return msg.as_bytes()


def drop(home: Path, name: str, data: bytes) -> None:
    new = home / "mailroom" / "new"
    new.mkdir(parents=True, exist_ok=True)
    (new / name).write_bytes(data)


def process(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(FORMS), "process"], env=env, capture_output=True, text=True, timeout=300)


#: Runs `forms process` and prints the largest peak resident size (MiB) of it and its readers.
PEAK = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    "sys.exit(done.returncode)\n"
)


def events(home: Path) -> dict[int, tuple[str, str | None, collections.Counter[str], str | None]]:
    """Per intake id: (state, status, event kinds, last_error)."""
    with Store.open(f"sqlite:///{home / 'forms.db'}") as store:
        rows = store.intakes.latest()
        kinds = {r.id: collections.Counter(e.kind for e in store.events.of(r.id)) for r in rows}
    return {r.id: (r.state, r.status, kinds[r.id], r.last_error) for r in rows}


def test_a_youshiki3_bomb_is_refused_in_a_reader_and_the_next_mail_is_decided(tmp_path: Path) -> None:
    """The 2 GiB flate bomb, and a PDF that keeps pdfminer busy for minutes, each as a returned 様式3:
    both end with a clerk (FORM_UNREADABLE) within the readers' limits, and the 様式1 after them is
    decided. Read in the decider, the first took 4.3 GB and the second never ended."""
    with smtp_sink() as (sink, recorder):
        env = {**os.environ, **mailroom_env(tmp_path, sink.port, FORMS_EXTRACT_TIMEOUT_S="10")}
        env.pop("FORMS_EXTRACT_MEMORY_MB", None)  # the mailroom's own default memory limit
        drop(tmp_path, "1-bomb.eml", youshiki3_mail(hostile.build("flate_bomb"), "bomb"))
        drop(tmp_path, "2-busy.eml", youshiki3_mail(hostile.build("operators"), "busy"))
        drop(tmp_path, "3-form.eml", (SAMPLES / "jetro-bank.eml").read_bytes())
        cmd = [sys.executable, "-c", PEAK, str(FORMS), "process"]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    peak_mb = float(done.stdout.strip().splitlines()[-1])
    assert peak_mb < 1024, f"the mailroom and its readers stayed under the reader's limit ({peak_mb:.0f} MiB)"
    with Store.open(f"sqlite:///{tmp_path / 'forms.db'}") as store:
        *hostiles, form = sorted(store.intakes.latest(), key=lambda r: r.id)
    for bad in hostiles:
        assert (bad.state, bad.status) == ("decided", "needs_review")
        assert bad.decision is not None and bad.decision["fields"]["document"] == "youshiki3_returned"
        assert [r["code"] for r in bad.decision["reasons"]] == ["FORM_UNREADABLE"]
    assert (form.state, form.status) == ("decided", "routed")
    assert "jetro@agency.example.jp" in received_by(recorder)


def test_an_intake_whose_decider_dies_each_time_ends_failed_and_a_clerk_can_retry_it(tmp_path: Path) -> None:
    with smtp_sink() as (sink, recorder):
        env = {**os.environ, **mailroom_env(tmp_path, sink.port, FORMS_CLAIM_LEASE_S=str(LEASE_S))}
        env["FORMS_INTAKE_ATTEMPTS"] = "3"
        drop(tmp_path, "1-poison.eml", bank_mail(SAMPLES / "jetro-fillable.pdf", "a@mihon-bank.example.jp",
                                                 "<poison@mihon-bank.example.jp>"))  # fmt: skip
        drop(tmp_path, "2-next.eml", (SAMPLES / "scb-shinkin.eml").read_bytes())
        for _ in range(3):  # the decider dies on the oldest intake each time
            crashed = process({**env, "FORMS_FAILPOINT": "mid_decide"})
            assert crashed.returncode == -signal.SIGKILL, crashed.stderr
            time.sleep(LEASE_S + 0.5)
        process(env)
        process(env)  # and once more: a failed intake is never taken again automatically
        after = events(tmp_path)
        poison = after[1]  # the first mail dropped
        assert poison[0] == "failed" and poison[1] is None and "3 attempts" in str(poison[3])
        assert poison[2]["failed"] == 1 and poison[2]["lease_expired"] == 2 and poison[2]["decided"] == 0
        assert [v[1] for k, v in after.items() if k != 1] == ["routed"]
        listed = subprocess.run([str(FORMS), "review", "list", "--status", "failed"], env=env,
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        assert listed.stdout.startswith("1件") and "\tfailed\t" in listed.stdout, listed.stdout
        retry = [str(FORMS), "review", "retry", "1"]
        retried = subprocess.run(retry, env=env, capture_output=True, text=True, timeout=60)
        assert retried.returncode == 0, retried.stderr
        process(env)
        again = events(tmp_path)[1]
        assert again[:2] == ("decided", "routed") and again[2]["decided"] == 1 and again[2]["retry"] == 1
        assert "a@mihon-bank.example.jp" in received_by(recorder)


class SlowReader:
    """Our reader interface, slower than a lease: it waits, then reads with the real reader processes."""

    def __init__(self, inner: PdfReading, delay_s: float) -> None:
        self.inner, self.delay_s = inner, delay_s

    def read(self, data: bytes) -> ExtractResult:
        time.sleep(self.delay_s)
        return self.inner.read(data)

    def read_youshiki3(self, data: bytes, agencies: Mapping[str, Sequence[str]]) -> ReadResult:
        time.sleep(self.delay_s)
        return self.inner.read_youshiki3(data, agencies)

    def close(self) -> None:
        self.inner.close()


def test_the_lease_is_renewed_while_an_intake_is_read(tmp_path: Path) -> None:
    """Reading takes four leases; another decider polling all along never gets the intake."""
    settings = make_settings(tmp_path, FORMS_CLAIM_LEASE_S="0.5", FORMS_WORKERS="1")
    room = Mailroom.open(settings)
    room.pipeline.reader = SlowReader(room.pipeline.reader, 2.0)
    other = Store.open(settings.store_url)
    taken: list[int] = []
    stop = threading.Event()

    def intruder() -> None:
        while not stop.is_set() and other.intakes.latest(state="processing") == []:
            stop.wait(0.01)  # the decider claims it first
        while not stop.is_set():
            got = other.intakes.claim_next("intruder", 0.5)
            if got is not None:
                taken.append(got.id)
            stop.wait(0.05)

    try:
        room.spool.put((SAMPLES / "jetro-bank.eml").read_bytes(), channel="smtp")
        room.ingest()
        thread = threading.Thread(target=intruder)
        thread.start()
        try:
            assert room.process_next()
        finally:
            stop.set()
            thread.join()
        (row,) = room.store.intakes.latest()
        assert taken == [] and (row.state, row.status) == ("decided", "routed")
        assert "lease_expired" not in [e.kind for e in room.store.events.of(row.id)]
    finally:
        other.close()
        room.close()
