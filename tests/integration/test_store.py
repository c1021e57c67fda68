"""The store on a real SQLite file: migrations, WAL, intakes, claims and leases, duplicates, retries,
the outbox with its dead letters, references, corrections and the ledger tables."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from forms.errors import StaleClaim, StoreError
from forms.store import Store
from forms.store.engine import head_revision
from forms.store.schema import metadata
from tests.support.store_rows import PDF, T0, FakeClock, add, decide, kinds, message, newest_migration

JST = dt.timezone(dt.timedelta(hours=9))


def test_sqlite_runs_in_wal_mode_with_full_sync_and_a_busy_timeout(store: Store, tmp_path: Path) -> None:
    with store.db.engine.connect() as conn:
        names = ("synchronous", "busy_timeout", "page_size")
        pragmas = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in names}
    # 2 = FULL; a new file in 16 KB pages (whole mails are stored: a quarter of the pages of 4 KB)
    assert pragmas == {"synchronous": 2, "busy_timeout": 30_000, "page_size": 16_384}
    # WAL is a property of the file: a plain sqlite3 connection sees it too
    with sqlite3.connect(tmp_path / "home" / "forms.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrations_build_exactly_the_schema_of_schema_py(store: Store) -> None:
    with store.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
    assert head_revision(store.db.engine) == newest_migration()


def test_migrating_a_migrated_database_is_a_no_op(tmp_path: Path) -> None:
    url = Store.default_url(tmp_path / "a" / "b")  # creates the home folder
    assert url == f"sqlite:///{tmp_path.resolve() / 'a' / 'b' / 'forms.db'}"
    with Store.open(url) as first:
        first_id = add(first, "spool-1")
    with Store.open(url) as again:
        assert head_revision(again.db.engine) == newest_migration()
        assert again.intakes.get(first_id) is not None
        assert again.intakes.add(data=PDF, channel="smtp", received_at=T0, spool_id="spool-1") is None


@pytest.mark.parametrize("url", ["nosuchdriver://x", "sqlite:////nonexistent-dir/forms.db"])
def test_an_unusable_url_is_a_store_error(url: str) -> None:
    with pytest.raises(StoreError):
        Store.open(url)


def test_add_intake_stores_bytes_once_is_idempotent_per_spool_id_and_logs_received(store: Store) -> None:
    first, second = add(store, "spool-1"), add(store, "spool-2")  # same bytes, two arrivals
    row = store.intakes.get(first)
    assert row is not None and row.state == "received" and row.channel == "smtp"
    assert store.intakes.blob(row.sha256) == PDF
    with store.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM blobs").scalar() == 1
    assert kinds(store, first) == ["received"] and kinds(store, second) == ["received"]
    with pytest.raises(StoreError):
        store.intakes.blob("0" * 64)
    assert store.intakes.add(data=b"other", channel="smtp", received_at=T0, spool_id="spool-1") is None
    assert len(store.intakes.latest()) == 2


def test_imap_dedup_key_is_mailbox_uidvalidity_and_uid(store: Store) -> None:
    imap = {"mailbox": "INBOX", "imap_uidvalidity": 7, "imap_uid": 42}
    add(store, "imap-1", **imap)
    again = store.intakes.add(data=PDF, channel="imap", received_at=T0, spool_id="imap-2", **imap)
    assert again is None
    # the mailbox was recreated: UIDVALIDITY changed, UID 42 is another message
    assert add(store, "imap-3", **{**imap, "imap_uidvalidity": 8}) > 0


def test_timestamps_are_stored_as_utc_and_come_back_aware(store: Store) -> None:
    received = dt.datetime(2026, 6, 1, 18, 30, tzinfo=JST)
    intake_id = store.intakes.add(data=PDF, channel="smtp", received_at=received, spool_id="s")
    assert intake_id is not None
    got = store.intakes.get(intake_id).received_at  # type: ignore[union-attr]
    assert got == received and got.tzinfo == dt.UTC and got.hour == 9
    with pytest.raises(StoreError):
        store.intakes.add(data=PDF, channel="smtp", received_at=dt.datetime(2026, 6, 1), spool_id="naive")


def test_claims_take_the_oldest_intake_once(store: Store) -> None:
    a, b = add(store, "a", b"A"), add(store, "b", b"B")
    first, second = store.intakes.claim_next("w1"), store.intakes.claim_next("w2")
    assert (first.id, first.data, first.attempts) == (a, b"A", 1)  # type: ignore[union-attr]
    assert second is not None and second.id == b
    assert store.intakes.claim_next("w3") is None
    row = store.intakes.get(a)
    assert row is not None and (row.state, row.claimed_by) == ("processing", "w1")


def test_decision_is_recorded_with_its_outbox_rows_and_event(store: Store) -> None:
    intake_id = add(store, "a")
    store.intakes.claim_next("w1")
    decide(
        store,
        intake_id,
        "w1",
        message_id="<m1@bank>",
        sender="bank@x.jp",
        form_sha256="f" * 64,
        outgoing=(message(1, "forward"), message(1, "receipt")),
    )
    row = store.intakes.get(intake_id)
    assert row is not None
    assert (row.state, row.status, row.agency, row.reference) == ("decided", "routed", "jetro", "R8-000001")
    assert row.decision == {"status": "routed", "fields": {"capital_yen": 30_000_000}}
    assert row.decided_at == T0 and row.lease_until is None
    assert [(o.kind, o.state, o.intake_id) for o in store.outbox.items()] == [
        ("forward", "pending", intake_id),
        ("receipt", "pending", intake_id),
    ]
    assert kinds(store, intake_id) == ["received", "decided"]
    assert store.counts() == {"intakes.decided": 1, "decisions.routed": 1, "outbox.pending": 2}


def test_an_expired_lease_is_reclaimed_and_the_first_worker_gets_stale_claim(
    store: Store, clock: FakeClock
) -> None:
    intake_id = add(store, "a")
    store.intakes.claim_next("w1", lease_s=10)
    clock.advance(5)
    assert store.intakes.claim_next("w2") is None  # still leased
    clock.advance(6)
    taken = store.intakes.claim_next("w2", lease_s=10)
    assert taken is not None and taken.id == intake_id and taken.attempts == 2
    with pytest.raises(StaleClaim):
        decide(store, intake_id, "w1")
    with pytest.raises(StaleClaim):
        store.intakes.fail(intake_id, "late", worker="w1")
    assert store.outbox.items() == []  # nothing of w1's decision was written
    assert kinds(store, intake_id) == ["received", "lease_expired"]
    decide(store, intake_id, "w2")
    assert store.intakes.get(intake_id).state == "decided"  # type: ignore[union-attr]


def test_a_failed_intake_is_retried_by_a_clerk_keeping_every_event(store: Store) -> None:
    intake_id = add(store, "a")
    store.intakes.claim_next("w1")
    store.intakes.fail(intake_id, "reader crashed", worker="w1")
    row = store.intakes.get(intake_id)
    assert row is not None and (row.state, row.last_error) == ("failed", "reader crashed")
    assert store.intakes.claim_next("w1") is None  # failed intakes wait for a clerk
    store.intakes.retry(intake_id, actor="clerk:sato")
    again = store.intakes.claim_next("w2")
    assert again is not None and again.id == intake_id and again.attempts == 1  # counted afresh
    decide(store, intake_id, "w2")
    events = store.events.of(intake_id)
    assert [e.kind for e in events] == ["received", "failed", "retry", "decided"]
    assert events[2].actor == "clerk:sato" and events[2].detail["previous"]["last_error"] == "reader crashed"
    assert events[2].detail["previous"]["attempts"] == 1
    with pytest.raises(StoreError):
        store.intakes.retry(intake_id + 99, actor="clerk:sato")


def test_an_intake_whose_leases_ran_out_too_often_is_given_up(store: Store, clock: FakeClock) -> None:
    """A poison mail: its decider died at every attempt. Past ``max_attempts`` it is failed for a clerk
    and the next intake is claimed in its place."""
    poison, other = add(store, "a"), add(store, "b", data=PDF + b"%other")
    for n in range(1, 4):
        got = store.intakes.claim_next(f"w{n}", lease_s=10, max_attempts=3)
        assert got is not None and (got.id, got.attempts) == (poison, n)
        clock.advance(11)  # the decider died: its lease runs out
    nxt = store.intakes.claim_next("w4", lease_s=10, max_attempts=3)
    assert nxt is not None and nxt.id == other
    row = store.intakes.get(poison)
    assert row is not None and row.state == "failed" and "3 attempts" in (row.last_error or "")
    assert kinds(store, poison) == ["received", "lease_expired", "lease_expired", "failed"]
    assert store.events.of(poison)[-1].detail["gave_up"] is True
    clock.advance(11)
    assert store.intakes.claim_next("w5", lease_s=10, max_attempts=3) is not None  # `other` again
    assert store.intakes.claim_next("w6", lease_s=10, max_attempts=3) is None  # never the poison


def test_a_renewed_lease_keeps_the_claim_and_a_dead_workers_claims_are_released(
    store: Store, clock: FakeClock
) -> None:
    intake_id = add(store, "a")
    store.intakes.claim_next("w1", lease_s=10)
    clock.advance(8)
    assert store.intakes.renew(intake_id, "w1", lease_s=10)
    clock.advance(8)  # 16 s after the claim, 8 after the renewal
    assert store.intakes.claim_next("w2") is None
    assert not store.intakes.renew(intake_id, "w2", lease_s=10)  # only the holder renews
    assert store.intakes.release_claims_of("w1") == [intake_id]  # w1's process exited
    taken = store.intakes.claim_next("w2", lease_s=10)
    assert taken is not None and taken.id == intake_id and taken.attempts == 2
    assert not store.intakes.renew(intake_id, "w1", lease_s=10)


def test_retrying_a_decided_intake_keeps_its_decision_and_sends_nothing_twice(store: Store) -> None:
    intake_id = add(store, "a")
    store.intakes.claim_next("w1")
    decide(store, intake_id, "w1", status="needs_review", reference="R8-000007")
    store.intakes.retry(intake_id, actor="clerk:sato")
    with pytest.raises(StoreError):  # it is queued already
        store.intakes.retry(intake_id, actor="clerk:sato")
    row = store.intakes.get(intake_id)
    assert row is not None and (row.state, row.status, row.decision) == ("received", None, None)
    store.intakes.claim_next("w1")
    decide(store, intake_id, "w1", status="routed")  # the router made the same stable Message-ID
    events = store.events.of(intake_id)
    assert events[2].detail["previous"]["status"] == "needs_review"
    assert events[2].detail["previous"]["reference"] == "R8-000007"
    assert events[-1].detail["already_queued"] == [message(intake_id).message_id]
    assert len(store.outbox.items()) == 1


def test_find_duplicate_by_message_id_or_by_the_same_form_from_the_same_sender(store: Store) -> None:
    keys = {"message_id": "<m1@bank>", "sender": "bank@x.jp", "form_sha256": "f" * 64}
    first, second, third = add(store, "1", b"1"), add(store, "2", b"2"), add(store, "3", b"3")
    assert store.intakes.find_duplicate(**keys, before_id=second) is None  # the first is not decided yet
    store.intakes.claim_next("w")
    decide(store, first, "w", **keys)
    assert store.intakes.find_duplicate(**keys, before_id=second) == first
    none = {"message_id": None, "sender": None, "form_sha256": None}
    assert store.intakes.find_duplicate(**{**none, "message_id": "<m1@bank>"}, before_id=third) == first
    assert store.intakes.find_duplicate(**{**keys, "message_id": "<other@bank>"}, before_id=third) == first
    assert (
        store.intakes.find_duplicate(
            **{**none, "sender": "bank@x.jp", "form_sha256": "f" * 64}, before_id=third
        )
        == first
    )
    assert (
        store.intakes.find_duplicate(
            **{**none, "sender": "other@y.jp", "form_sha256": "f" * 64}, before_id=third
        )
        is None
    )
    assert (
        store.intakes.find_duplicate(
            **{**none, "sender": "bank@x.jp", "form_sha256": "e" * 64}, before_id=third
        )
        is None
    )
    assert store.intakes.find_duplicate(**keys, before_id=first) is None  # only earlier intakes
    assert store.intakes.find_duplicate(**none, before_id=third) is None


def test_a_duplicate_is_never_the_original(store: Store) -> None:
    keys = {"message_id": "<m1@bank>", "sender": None, "form_sha256": None}
    dup, later = add(store, "1", b"1"), add(store, "2", b"2")
    store.intakes.claim_next("w")
    decide(store, dup, "w", status="duplicate", outgoing=(), **keys)
    assert store.intakes.find_duplicate(**keys, before_id=later) is None


def test_references_count_up_per_prefix(store: Store) -> None:
    assert [store.intakes.next_reference("R8") for _ in range(3)] == ["R8-000001", "R8-000002", "R8-000003"]
    assert store.intakes.next_reference("R9") == "R9-000001"


def test_corrections_are_recorded_with_the_clerk(store: Store) -> None:
    intake_id = add(store, "a")
    store.intakes.add_correction(intake_id, "capital_yen", 10_000_000, actor="clerk:sato")
    store.intakes.add_correction(intake_id, "capital_yen", 30_000_000, actor="clerk:sato")
    store.intakes.add_correction(intake_id, "company_name", "株式会社サンプル精機", actor="clerk:ito")
    assert store.intakes.corrections(intake_id) == {
        "capital_yen": 30_000_000,
        "company_name": "株式会社サンプル精機",
    }
    assert [e.actor for e in store.events.of(intake_id)][1:] == ["clerk:sato", "clerk:sato", "clerk:ito"]
