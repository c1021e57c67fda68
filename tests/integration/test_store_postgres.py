"""The store on a real PostgreSQL (a throwaway server, tests/pg.py): migrations, and several worker
PROCESSES sharing the queues — each intake decided once, each message sent once. The same contention
runs on SQLite, where BEGIN IMMEDIATE serialises the claims."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import queue
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from forms.model import OutgoingMessage
from forms.store import Store
from forms.store.engine import head_revision
from forms.store.schema import metadata
from tests.support.pg import PostgresServer, running_postgres
from tests.support.store_rows import newest_migration

N = 200
T0 = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    return postgres.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["postgresql", "sqlite"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return Store.default_url(tmp_path)
    return str(request.getfixturevalue("pg_url"))


# -- the workers (module level: spawned processes import them) ----------------------------------


def _decide_all(url: str, name: str, barrier: Barrier, results: Any) -> None:
    store = Store.open(url)
    barrier.wait(timeout=60)
    mine: list[tuple[int, str]] = []
    while (claim := store.intakes.claim_next(name)) is not None:
        reference = store.intakes.next_reference("R8")
        receipt = OutgoingMessage(
            "receipt",
            f"<receipt-{claim.id}@mailroom.example.jp>",
            ("bank@example.jp",),
            "mailroom@example.jp",
            b"x",
        )
        store.intakes.record_decision(
            claim.id,
            status="routed",
            agency="jetro",
            reference=reference,
            decision={"by": name},
            message_id=None,
            sender=None,
            form_sha256=None,
            outgoing=(receipt,),
            actor=name,
        )
        mine.append((claim.id, reference))
    store.close()
    results.put((name, mine))


def _send_all(url: str, name: str, barrier: Barrier, results: Any) -> None:
    store = Store.open(url)
    barrier.wait(timeout=60)
    mine: list[tuple[int, str]] = []
    while (item := store.outbox.claim_one(name, dt.datetime.now(dt.UTC))) is not None:
        store.outbox.mark_sent(item.id, worker=name)
        mine.append((item.id, item.message_id))
    store.close()
    results.put((name, mine))


def _open_only(url: str, name: str, barrier: Barrier, results: Any) -> None:
    barrier.wait(timeout=60)
    with Store.open(url) as store:
        results.put((name, [(0, store.intakes.next_reference("X"))]))


def run_workers(target: Any, url: str, workers: int = 2) -> dict[str, list[tuple[int, str]]]:
    """Run ``target`` in ``workers`` spawned processes; their results, or a failure as soon as one dies."""
    barrier, results = SPAWN.Barrier(workers), SPAWN.Queue()
    procs = [SPAWN.Process(target=target, args=(url, f"w{i}", barrier, results)) for i in range(workers)]
    for p in procs:
        p.start()
    got: dict[str, list[tuple[int, str]]] = {}
    deadline = time.monotonic() + 180
    try:
        while len(got) < workers and time.monotonic() < deadline:
            try:
                name, mine = results.get(timeout=0.5)
                got[name] = mine
            except queue.Empty:
                crashed = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
                assert not crashed, f"a worker process failed: exit codes {crashed}"
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    assert len(got) == workers and [p.exitcode for p in procs] == [0] * workers
    return got


# -- tests ---------------------------------------------------------------------------------------


def test_migrations_on_postgresql_build_the_schema_and_rerun_as_a_no_op(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        with store.db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        assert diff == []
        intake_id = store.intakes.add(data=b"%PDF-", channel="smtp", received_at=T0, spool_id="s1")
    with Store.open(pg_url) as again:
        assert head_revision(again.db.engine) == newest_migration()
        row = again.intakes.get(intake_id or 0)
        assert row is not None and row.received_at == T0 and row.received_at.tzinfo is not None


@pytest.mark.slow
def test_two_processes_opening_an_empty_database_migrate_it_once(pg_url: str) -> None:
    got = run_workers(_open_only, pg_url)
    assert sorted(ref for refs in got.values() for _, ref in refs) == ["X-000001", "X-000002"]


@pytest.mark.slow
def test_two_worker_processes_decide_every_intake_exactly_once(any_url: str) -> None:
    with Store.open(any_url) as store:
        ids = [
            store.intakes.add(
                data=f"form {i}".encode(), channel="smtp", received_at=T0, spool_id=f"spool-{i}"
            )
            for i in range(N)
        ]
    got = run_workers(_decide_all, any_url)
    claimed = [intake_id for mine in got.values() for intake_id, _ in mine]
    assert sorted(claimed) == sorted(ids)  # every intake, none twice
    assert all(len(mine) > 0 for mine in got.values()), {name: len(m) for name, m in got.items()}
    references = [ref for mine in got.values() for _, ref in mine]
    assert len(set(references)) == N
    with Store.open(any_url) as store:
        decided = Counter(e.kind for i in ids for e in store.events.of(i or 0))
        assert decided["decided"] == N
        assert store.counts() == {"intakes.decided": N, "decisions.routed": N, "outbox.pending": N}
        owner = {intake_id: name for name, mine in got.items() for intake_id, _ in mine}
        assert all(store.intakes.get(i).decision == {"by": owner[i]} for i in ids[:20])  # type: ignore[union-attr, index]


@pytest.mark.slow
def test_two_sender_processes_send_every_message_exactly_once(any_url: str) -> None:
    with Store.open(any_url) as store:
        for i in range(N):
            intake_id = store.intakes.add(
                data=f"form {i}".encode(), channel="smtp", received_at=T0, spool_id=f"s{i}"
            )
            assert store.intakes.claim_next("w") is not None
            message = OutgoingMessage(
                "receipt", f"<r{i}@mailroom.example.jp>", ("b@example.jp",), "m@example.jp", b"x"
            )
            store.intakes.record_decision(
                intake_id or 0,
                status="routed",
                agency="jetro",
                reference=f"R8-{i:06d}",
                decision={},
                message_id=None,
                sender=None,
                form_sha256=None,
                outgoing=(message,),
                actor="w",
            )
    got = run_workers(_send_all, any_url)
    sent = [message_id for mine in got.values() for _, message_id in mine]
    assert len(sent) == N and len(set(sent)) == N
    assert all(len(mine) > 0 for mine in got.values()), {name: len(m) for name, m in got.items()}
    with Store.open(any_url) as store:
        assert store.counts()["outbox.sent"] == N
        sent_events = Counter(
            e.detail["outbox_id"]
            for o in store.outbox.items()
            for e in store.events.of(o.intake_id or 0)
            if e.kind == "sent"
        )
        assert set(sent_events.values()) == {1} and len(sent_events) == N


def test_only_transactions_that_can_be_redone_skip_waiting_for_the_disk(any_url: str) -> None:
    """Claims and decisions commit without waiting for the disk; every other writing transaction
    (what comes before answering 250, removing a spool file or sending) waits, before and after."""
    # the test server itself does not wait for the disk: this session does, as a real server would
    url = any_url + ("?options=-c%20synchronous_commit%3Don" if any_url.startswith("postgresql") else "")
    store = Store.open(url)
    setting = "PRAGMA synchronous" if store.db.dialect == "sqlite" else "SHOW synchronous_commit"
    waits = {"sqlite": 2, "postgresql": "on"}[store.db.dialect]  # 2 = FULL
    skips = {"sqlite": 1, "postgresql": "off"}[store.db.dialect]  # 1 = NORMAL
    try:
        seen = []
        for durable in (True, False, True, False):
            with store.db.writing(durable=durable) as conn:
                seen.append(conn.exec_driver_sql(setting).scalar())
            with store.db.reading() as conn:  # reading in between changes nothing
                conn.exec_driver_sql("SELECT 1")
        with store.db.writing() as conn:
            seen.append(conn.exec_driver_sql(setting).scalar())
        assert seen == [waits, skips, waits, skips, waits]
    finally:
        store.close()
