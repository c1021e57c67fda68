"""The outbox tables' operations, called by ``Store``: each takes the Database (connection, clock).

Messages are recorded, with their stable Message-IDs, in the same transaction as the decision that
makes them, before anything is sent; a Message-ID is queued at most once. A sender claims one due
message at a time with a lease; a failure goes back to 'pending' at the given time, or, when the
caller gives up (``retry_at`` None), to 'dead', where a clerk sees it and may requeue it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from forms.store.engine import Database
from forms.store.records import OutboxItem, OutgoingRecord, StaleClaim, StoreError, outbox_item
from forms.store.schema import outbox


def enqueue(
    db: Database, conn: Connection, intake_id: int | None, records: Sequence[OutgoingRecord], now: dt.datetime
) -> tuple[list[int], list[str]]:
    """Queue ``records`` as 'pending'; returns the new outbox ids and the Message-IDs queued before."""
    queued: list[int] = []
    already: list[str] = []
    for rec in records:
        new_id = conn.execute(
            db.upsert(outbox)
            .values(
                intake_id=intake_id,
                kind=rec.kind,
                message_id=rec.message_id,
                recipients=list(rec.recipients),
                sender=rec.sender,
                raw=rec.raw,
                state="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            .on_conflict_do_nothing()
            .returning(outbox.c.id)
        ).scalar_one_or_none()
        if new_id is None:
            already.append(rec.message_id)
        else:
            queued.append(int(new_id))
    return queued, already


def claim(db: Database, worker: str, now: dt.datetime, lease_s: float) -> OutboxItem | None:
    """A due 'pending' message, or a 'sending' one whose lease expired, now 'sending' by ``worker``."""
    claimable = or_(
        and_(outbox.c.state == "pending", outbox.c.next_attempt_at <= now),
        and_(outbox.c.state == "sending", outbox.c.lease_until < now),
    )
    with db.writing() as conn:
        row = conn.execute(
            select(outbox.c.id, outbox.c.state, outbox.c.claimed_by, outbox.c.intake_id)
            .where(claimable)
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        got = (
            conn.execute(
                update(outbox)
                .where(outbox.c.id == row.id)
                .values(state="sending", claimed_by=worker, lease_until=now + dt.timedelta(seconds=lease_s))
                .returning(*outbox.c)
            )
            .mappings()
            .one()
        )
        if row.state == "sending":  # its sender died mid-send: the message may go out twice
            detail = {"outbox_id": row.id, "message_id": got["message_id"], "previous_worker": row.claimed_by}
            db.event(conn, row.intake_id, "send_lease_expired", actor=worker, detail=detail)
        return outbox_item(got)


def _finish(db: Database, conn: Connection, outbox_id: int, worker: str, values: dict[str, Any]) -> Any:
    """Update a message ``worker`` is sending; StaleClaim when it no longer holds it."""
    row = conn.execute(
        update(outbox)
        .where(outbox.c.id == outbox_id, outbox.c.state == "sending", outbox.c.claimed_by == worker)
        .values(lease_until=None, **values)
        .returning(outbox.c.intake_id, outbox.c.message_id, outbox.c.kind, outbox.c.attempts)
    ).first()
    if row is None:
        raise StaleClaim(f"outgoing message {outbox_id} is not being sent by {worker!r}")
    return row


def mark_sent(db: Database, outbox_id: int, *, worker: str) -> None:
    with db.writing() as conn:
        row = _finish(db, conn, outbox_id, worker, {"state": "sent", "sent_at": db.now()})
        detail = {"outbox_id": outbox_id, "message_id": row.message_id, "kind": row.kind}
        db.event(conn, row.intake_id, "sent", actor=worker, detail=detail)


def mark_failed(
    db: Database, outbox_id: int, error: str, *, worker: str, retry_at: dt.datetime | None
) -> None:
    """Back to 'pending' at ``retry_at`` with attempts+1, or, when ``retry_at`` is None, a dead letter."""
    values: dict[str, Any] = {"attempts": outbox.c.attempts + 1, "last_error": error}
    if retry_at is None:
        values["state"] = "dead"
    else:
        values.update(state="pending", next_attempt_at=retry_at)
    with db.writing() as conn:
        row = _finish(db, conn, outbox_id, worker, values)
        detail = {
            "outbox_id": outbox_id,
            "message_id": row.message_id,
            "error": error,
            "attempts": row.attempts,
        }
        if retry_at is not None:
            detail["retry_at"] = retry_at.isoformat()
        db.event(
            conn,
            row.intake_id,
            "dead_letter" if retry_at is None else "send_failed",
            actor=worker,
            detail=detail,
        )


def requeue_dead(db: Database, outbox_id: int, *, actor: str) -> None:
    """A clerk sends a dead letter again: 'pending' now, attempts counted afresh (the events keep them)."""
    now = db.now()
    with db.writing() as conn:
        row = conn.execute(
            update(outbox)
            .where(outbox.c.id == outbox_id, outbox.c.state == "dead")
            .values(state="pending", next_attempt_at=now, attempts=0, claimed_by=None)
            .returning(outbox.c.intake_id, outbox.c.message_id)
        ).first()
        if row is None:
            raise StoreError(f"outgoing message {outbox_id} is not a dead letter")
        detail = {"outbox_id": outbox_id, "message_id": row.message_id}
        db.event(conn, row.intake_id, "requeued", actor=actor, detail=detail)


def items(db: Database, *, state: str | None = None) -> list[OutboxItem]:
    query = select(outbox).order_by(outbox.c.id)
    if state is not None:
        query = query.where(outbox.c.state == state)
    with db.reading() as conn:
        return [outbox_item(r) for r in conn.execute(query).mappings()]
