"""Two mailroom workers (separate processes, separate homes) on one PostgreSQL share the work."""

from __future__ import annotations

import collections
import datetime as dt
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from forms.store import Store
from tests.support.mailroom import bank_mail, mailroom_env
from tests.support.paths import FORMS, SAMPLES
from tests.support.pg import PostgresServer, running_postgres
from tests.support.smtp_sink import smtp_sink

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")
MAILS = 16


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


def test_two_workers_never_take_the_same_intake(tmp_path: Path, postgres: PostgresServer) -> None:
    url = postgres.create_database(f"w_{uuid.uuid4().hex[:12]}")
    store = Store.open(url)
    pdf = SAMPLES / "jetro-fillable.pdf"
    for i in range(MAILS):
        mail = bank_mail(pdf, f"officer{i}@bank{i}.example.jp", f"<m{i}@bank{i}.example.jp>")
        store.intakes.add(data=mail, channel="smtp", received_at=dt.datetime.now(dt.UTC), spool_id=f"s{i}")
    store.close()
    with smtp_sink() as (controller, recorder):
        procs = []
        for name in ("a", "b"):
            env = {**os.environ, **mailroom_env(tmp_path / name, controller.port), "FORMS_DATABASE_URL": url}
            procs.append(
                subprocess.Popen([str(FORMS), "process"], env=env, stdout=subprocess.PIPE, text=True)
            )
        outputs = [p.communicate(timeout=240)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0]
    store = Store.open(url)
    try:
        rows = store.intakes.latest(limit=100)
        deciders = collections.Counter(
            e.actor for row in rows for e in store.events.of(row.id) if e.kind == "decided"
        )
        per_intake = [sum(1 for e in store.events.of(row.id) if e.kind == "decided") for row in rows]
    finally:
        store.close()
    assert len(rows) == MAILS and per_intake == [1] * MAILS, "every intake decided exactly once"
    assert len(deciders) == 2, f"both workers took some: {deciders} {outputs}"
    delivered = collections.Counter(tuple(rcpts) for _, rcpts, _, _ in recorder.received)
    assert sum(delivered.values()) == 2 * MAILS and set(delivered.values()) == {MAILS} | {1}
