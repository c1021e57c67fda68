"""The store on a real SQLite file: migrations, WAL, intakes, claims and leases, duplicates, retries,
the outbox with its dead letters, references, corrections and the ledger tables."""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select, update

from forms.errors import StaleClaim, StoreError
from forms.ledger import CompanyKey, FrameGrant, LoanRecord, MemoryLedger, SupportRecord
from forms.model import OutgoingMessage
from forms.store import Store, StoreLedger
from forms.store.engine import MIGRATIONS, head_revision
from forms.store.schema import metadata, outbox

UTC = dt.UTC
JST = dt.timezone(dt.timedelta(hours=9))
T0 = dt.datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
PDF = b"%PDF-1.7\n% a form\n"
BANK = "bank@mihon-bank.example.jp"


def newest_migration() -> str:
    """The head revision of the migrations shipped with the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


class FakeClock:
    """The store's clock, moved by the test."""

    now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    s = Store.open(Store.default_url(tmp_path / "home"), clock=clock)
    yield s
    s.close()


def add(store: Store, spool_id: str, data: bytes = PDF, **kw: object) -> int:
    intake_id = store.intakes.add(data=data, channel="smtp", received_at=T0, spool_id=spool_id, **kw)
    assert intake_id is not None
    return intake_id


def message(n: int | str, kind: str = "receipt") -> OutgoingMessage:
    raw = b"From: mailroom@example.jp\r\n\r\nbody\r\n"
    return OutgoingMessage(kind, f"<{kind}-{n}@mailroom.example.jp>", (BANK,), "mailroom@example.jp", raw)


def decide(store: Store, intake_id: int, worker: str, *, status: str = "routed", **kw: object) -> None:
    keys = {"message_id": None, "sender": None, "form_sha256": None, "outgoing": (message(intake_id),)}
    decision = {"status": status, "fields": {"capital_yen": 30_000_000}}
    reference = kw.pop("reference", None) or store.intakes.next_reference("R8")
    store.intakes.record_decision(
        intake_id,
        status=status,
        agency="jetro",
        reference=reference,
        decision=decision,
        actor=worker,
        **{**keys, **kw},
    )  # type: ignore[arg-type]


def kinds(store: Store, intake_id: int) -> list[str]:
    return [e.kind for e in store.events.of(intake_id)]


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
    assert got == received and got.tzinfo == UTC and got.hour == 9
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
    assert again is not None and again.id == intake_id and again.attempts == 2
    decide(store, intake_id, "w2")
    events = store.events.of(intake_id)
    assert [e.kind for e in events] == ["received", "failed", "retry", "decided"]
    assert events[2].actor == "clerk:sato" and events[2].detail["previous"]["last_error"] == "reader crashed"
    with pytest.raises(StoreError):
        store.intakes.retry(intake_id + 99, actor="clerk:sato")


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


@pytest.fixture
def queued(store: Store) -> int:
    """One decided intake with one pending message; returns the message's outbox id."""
    intake_id = add(store, "a")
    store.intakes.claim_next("w")
    decide(store, intake_id, "w")
    return store.outbox.items()[0].id


def test_a_message_is_claimed_once_and_marked_sent(store: Store, queued: int) -> None:
    item = store.outbox.claim_one("s1", T0)
    assert item is not None and item.id == queued and item.state == "sending"
    assert item.raw.startswith(b"From: ") and item.recipients == (BANK,)
    assert store.outbox.claim_one("s2", T0) is None
    store.outbox.mark_sent(queued, worker="s1")
    sent = store.outbox.items(state="sent")
    assert [(o.id, o.sent_at) for o in sent] == [(queued, T0)]
    assert kinds(store, sent[0].intake_id)[-1] == "sent"  # type: ignore[arg-type]


def test_message_bytes_are_a_blob_and_rows_queued_before_0004_still_send(store: Store, queued: int) -> None:
    with store.db.reading() as conn:
        row = conn.execute(select(outbox.c.raw, outbox.c.raw_sha256).where(outbox.c.id == queued)).one()
    assert row.raw is None and store.intakes.blob(row.raw_sha256).startswith(b"From: ")  # not in the row
    with store.db.writing() as conn:  # as a row queued before 0004: the bytes in the row itself
        conn.execute(
            update(outbox).where(outbox.c.id == queued).values(raw=b"From: old\r\n", raw_sha256=None)
        )
    item = store.outbox.claim_one("s1", T0)
    assert item is not None and item.raw == b"From: old\r\n"


def test_several_due_messages_are_claimed_and_marked_sent_together(store: Store) -> None:
    for name in ("a", "b", "c"):
        intake_id = add(store, name)
        store.intakes.claim_next("w")
        decide(store, intake_id, "w", message_id=f"<{name}@bank>")
    batch = store.outbox.claim("s1", T0, limit=2)
    assert len(batch) == 2 and {i.state for i in batch} == {"sending"}
    rest = store.outbox.claim("s2", T0, limit=8)
    assert len(rest) == 1 and rest[0].id not in {i.id for i in batch}
    assert store.outbox.mark_sent_batch([i.id for i in batch] + [rest[0].id], worker="s1") == [rest[0].id]
    assert {o.id for o in store.outbox.items(state="sent")} == {i.id for i in batch}


def test_a_failed_send_waits_for_its_retry_time(store: Store, queued: int) -> None:
    store.outbox.claim_one("s1", T0)
    retry_at = T0 + dt.timedelta(minutes=5)
    store.outbox.mark_failed(queued, "421 try later", worker="s1", retry_at=retry_at)
    item = store.outbox.items()[0]
    assert (item.state, item.attempts, item.last_error, item.next_attempt_at) == (
        "pending",
        1,
        "421 try later",
        retry_at,
    )
    assert store.outbox.claim_one("s1", retry_at - dt.timedelta(seconds=1)) is None
    assert store.outbox.claim_one("s1", retry_at) is not None


def test_a_dead_letter_is_visible_and_a_clerk_requeues_it(store: Store, queued: int) -> None:
    store.outbox.claim_one("s1", T0)
    store.outbox.mark_failed(queued, "550 no such user", worker="s1", retry_at=None)
    dead = store.outbox.items(state="dead")
    assert [(o.id, o.attempts, o.last_error) for o in dead] == [(queued, 1, "550 no such user")]
    assert store.outbox.claim_one("s1", T0 + dt.timedelta(days=1)) is None
    assert store.counts()["outbox.dead"] == 1
    with pytest.raises(StoreError):
        store.outbox.requeue_dead(queued + 1, actor="clerk:sato")
    store.outbox.requeue_dead(queued, actor="clerk:sato")
    item = store.outbox.claim_one("s2", T0)
    assert item is not None and item.id == queued and item.attempts == 0
    assert kinds(store, dead[0].intake_id)[-2:] == ["dead_letter", "requeued"]  # type: ignore[arg-type]


def test_an_expired_send_lease_is_reclaimed_and_the_first_sender_is_stale(store: Store, queued: int) -> None:
    store.outbox.claim_one("s1", T0, lease_s=60)
    assert store.outbox.claim_one("s2", T0 + dt.timedelta(seconds=59)) is None
    assert store.outbox.claim_one("s2", T0 + dt.timedelta(seconds=61)) is not None
    with pytest.raises(StaleClaim):
        store.outbox.mark_sent(queued, worker="s1")
    with pytest.raises(StaleClaim):
        store.outbox.mark_failed(queued, "x", worker="s1", retry_at=None)
    store.outbox.mark_sent(queued, worker="s2")
    assert store.outbox.items()[0].state == "sent"


# -- ledger -------------------------------------------------------------------------------------

CAP = 1_000_000
D = functools.partial(dt.date, 2026)
CORP = CompanyKey.for_corporation("4010001234567")
SOLE = CompanyKey.for_sole_proprietor("見本商店", "144-0052")


def test_store_ledger_reads_what_was_added_like_the_memory_ledger(store: Store) -> None:
    ledger = StoreLedger(store, CAP)
    assert ledger.company(CORP) == MemoryLedger(CAP).company(CORP)
    supports = [
        SupportRecord("jetro", D(6, 10), "海外ミニ調査", 300_000, 30_000),
        SupportRecord("kosha", D(6, 11), "相談", 9),
    ]
    for record in supports:
        ledger.add_support(CORP, record)
    loan = LoanRecord(D(7, 1), 5_000_000_000, "海外展開")  # beyond 32 bits: BIGINT
    ledger.add_loan(CORP, loan)
    assert ledger.add_frame(CORP, D(8, 1), intake_id=None)
    ledger.add_support(SOLE, SupportRecord("scb", D(6, 12), "支援ナビゲーター", 100_000))
    expected = MemoryLedger(
        CAP, supports={CORP: supports}, loans={CORP: [loan]}, grants={CORP: [FrameGrant(D(8, 1))]}
    ).company(CORP)
    got = ledger.company(CORP)
    assert got == expected
    assert (got.used, got.frames, got.remaining) == (300_000, 2, 1_700_000)
    assert isinstance(got.loans[0].amount, int)
    assert ledger.company(SOLE).used == 100_000
    assert ledger.company(CompanyKey.for_sole_proprietor("見本商店", "100-0001")).supports == ()


def test_a_frame_is_granted_once_per_intake(store: Store) -> None:
    ledger = StoreLedger(store, CAP)
    intake_id = add(store, "a")
    assert ledger.add_frame(CORP, D(8, 1), intake_id=intake_id)
    assert not ledger.add_frame(CORP, D(8, 2), intake_id=intake_id)
    assert ledger.company(CORP).frames == 2
    assert "frame_granted" in kinds(store, intake_id)


def test_an_import_with_a_bad_row_adds_nothing(store: Store) -> None:
    ledger = StoreLedger(store, CAP)
    good = (CORP, SupportRecord("jetro", D(6, 10), "相談", 100_000))
    with pytest.raises(ValueError):
        ledger.add_supports([good, (CompanyKey(), good[1])])
    assert ledger.company(CORP).supports == ()
    assert ledger.add_supports([good, good]) == 2
    assert ledger.company(CORP).used == 200_000
