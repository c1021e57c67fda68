"""The store's outbox on a real SQLite file: claims, batches, retries, dead letters, send leases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from forms.errors import StaleClaim, StoreError
from forms.store import Store
from forms.store.schema import outbox
from tests.support.store_rows import BANK, T0, add, decide, kinds


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
