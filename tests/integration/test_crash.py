"""Crash tests: the worker is SIGKILLed at each step and restarted; nothing is lost or done twice."""

from __future__ import annotations

import collections
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from forms.store import Store
from tests.support.mailroom import bank_mail, mailroom_env
from tests.support.paths import FORMS, SAMPLES
from tests.support.smtp_sink import Recorder, smtp_sink

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")

LEASE_S = 1.0


def drop_mails(maildir: Path) -> None:
    new = maildir / "new"
    new.mkdir(parents=True, exist_ok=True)
    for name in ("jetro-bank.eml", "scb-shinkin.eml"):
        shutil.copy(SAMPLES / name, new / name)
    rejected = bank_mail(
        SAMPLES / "smrj-fillable.pdf", "kuko.reiji@mihon-bank.example.jp", "<smrj@mihon-bank.example.jp>"
    )
    (new / "smrj.eml").write_bytes(rejected)


def run_process(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(FORMS), "process"], env=env, capture_output=True, text=True, timeout=240)


@pytest.mark.parametrize("point", ["after_receive", "after_decide", "mid_send"])
def test_killed_worker_restarts_and_everything_happens_exactly_once(tmp_path: Path, point: str) -> None:
    with smtp_sink() as (controller, recorder):
        env = {**os.environ, **mailroom_env(tmp_path, controller.port, FORMS_CLAIM_LEASE_S=str(LEASE_S))}
        drop_mails(tmp_path / "mailroom")
        crashed = run_process({**env, "FORMS_FAILPOINT": point})
        assert crashed.returncode == -signal.SIGKILL, crashed.stderr
        time.sleep(LEASE_S + 0.5)  # the dead worker's claims expire
        for _ in range(2):  # restarted, and once more: the second run finds nothing left to do
            again = run_process(env)
            assert again.returncode == 0, again.stderr
        assert_exactly_once(tmp_path, recorder)


def assert_exactly_once(home: Path, recorder: Recorder) -> None:
    store = Store.open(f"sqlite:///{home / 'forms.db'}")
    try:
        rows = store.intakes.latest()
        kinds = {row.id: collections.Counter(e.kind for e in store.events.of(row.id)) for row in rows}
        outbox = store.outbox.items()
    finally:
        store.close()
    assert len(rows) == 3, "each mail stored once"
    assert sorted(r.status or "" for r in rows) == ["rejected", "routed", "routed"]
    assert all(k["received"] == 1 and k["decided"] == 1 for k in kinds.values()), kinds
    assert len(outbox) == 5 and {o.state for o in outbox} == {"sent"}
    delivered = collections.Counter(
        raw.split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0] for _, _, raw, _ in recorder.received
    )
    assert len(delivered) == 5 and set(delivered.values()) == {1}, delivered
