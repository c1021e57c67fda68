"""The outbox: messages recorded with their stable Message-IDs, then claimed, sent, retried or dead.

Messages are recorded, with their stable Message-IDs, in the same transaction as the decision that
makes them, before anything is sent; a Message-ID is queued at most once. A sender claims due
messages with a lease; a failure goes back to 'pending' at the given time, or, when the caller gives
up (``retry_at`` None), to 'dead', where a clerk sees it and may requeue it (one, or every dead letter
of the clerk's scope at once). A failure after the final dot is *unconfirmed* (``unconfirmed_at``,
event 'send_unconfirmed'): the message may have been delivered; it is retried all the same.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, Executable, Select, and_, bindparam, func, or_, select, update

from forms.errors import StaleClaim, StoreError
from forms.model import OutgoingMessage
from forms.store.correspondents import bounced as forget_bounced
from forms.store.engine import Database
from forms.store.records import OutboxItem, outbox_item
from forms.store.schema import blobs, intakes, outbox


def _queue_statement(db: Database) -> Executable:
    return db.upsert(outbox).on_conflict_do_nothing().returning(outbox.c.id)


def enqueue(
    db: Database,
    conn: Connection,
    intake_id: int | None,
    records: Sequence[OutgoingMessage],
    now: dt.datetime,
) -> tuple[list[int], list[str]]:
    """Queue ``records`` as 'pending' (their bytes in blobs); returns the new outbox ids and the
    Message-IDs queued before."""
    queued: list[int] = []
    already: list[str] = []
    stmt = db.prepared("outbox_enqueue", _queue_statement)
    for rec in records:
        values = {
            "intake_id": intake_id,
            "kind": rec.kind,
            "message_id": rec.message_id,
            "recipients": list(rec.recipients),
            "sender": rec.sender,
            "raw": None,
            "raw_sha256": db.put_blob(conn, rec.raw),
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "queued_at": now,
            "return_token": secrets.token_hex(10),  # 80 random bits: deliver.returns
        }
        new_id = conn.execute(stmt, values).scalar_one_or_none()
        if new_id is None:
            already.append(rec.message_id)
        else:
            queued.append(int(new_id))
    return queued, already


_NOW, _IDS = bindparam("now_"), bindparam("ids_", expanding=True)
#: An outgoing message with its bytes, wherever they are kept (blobs, or the row before 0004).
_ITEMS = (
    select(
        *(c for c in outbox.c if c.name in OutboxItem.__dataclass_fields__ and c.name != "raw"),
        func.coalesce(outbox.c.raw, blobs.c.data).label("raw"),
    )
    .select_from(outbox.outerjoin(blobs, blobs.c.sha256 == outbox.c.raw_sha256))
    .order_by(outbox.c.id)
)
_CLAIMED = _ITEMS.where(outbox.c.id.in_(_IDS))
_CLAIM_UPDATE = (
    update(outbox)
    .where(outbox.c.id.in_(_IDS))
    .values(state="sending", claimed_by=bindparam("worker_"), lease_until=bindparam("lease_until_"))
)
_SENT = (
    update(outbox)
    .where(
        outbox.c.id == bindparam("id_"),
        outbox.c.state == "sending",
        outbox.c.claimed_by == bindparam("worker_"),
    )
    .values(lease_until=None, state="sent", sent_at=bindparam("sent_at_"))
    .returning(outbox.c.intake_id, outbox.c.message_id, outbox.c.kind, outbox.c.attempts)
)


def _claimable(limit: int) -> Select[Any]:
    due = or_(
        and_(outbox.c.state == "pending", outbox.c.next_attempt_at <= _NOW),
        and_(outbox.c.state == "sending", outbox.c.lease_until < _NOW),
    )
    return (
        select(outbox.c.id, outbox.c.state, outbox.c.claimed_by, outbox.c.intake_id)
        .where(due)
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


class Outbox:
    """The outgoing messages: claimed a batch at a time by a sender, recorded as sent, failed or dead."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def claim_one(self, worker: str, now: dt.datetime, lease_s: float = 120) -> OutboxItem | None:
        got = self.claim(worker, now, lease_s, limit=1)
        return got[0] if got else None

    def claim(
        self, worker: str, now: dt.datetime, lease_s: float = 120, *, limit: int = 8
    ) -> list[OutboxItem]:
        """Up to ``limit`` due 'pending' messages, or 'sending' ones whose lease expired, now 'sending' by
        ``worker`` (one transaction for all of them)."""
        due = self._db.prepared(f"outbox_claim_{limit}", lambda _: _claimable(limit))
        with self._db.writing() as conn:
            rows = conn.execute(due, {"now_": now}).all()
            if not rows:
                return []
            ids = [row.id for row in rows]
            lease_until = now + dt.timedelta(seconds=lease_s)
            conn.execute(_CLAIM_UPDATE, {"ids_": ids, "worker_": worker, "lease_until_": lease_until})
            got = {m["id"]: outbox_item(m) for m in conn.execute(_CLAIMED, {"ids_": ids}).mappings()}
            for row in rows:
                if row.state == "sending":  # its sender died mid-send: the message may go out twice
                    detail = {
                        "outbox_id": row.id,
                        "message_id": got[row.id].message_id,
                        "previous_worker": row.claimed_by,
                    }
                    self._db.event(conn, row.intake_id, "send_lease_expired", actor=worker, detail=detail)
            return [got[i] for i in ids]

    def mark_sent(self, outbox_id: int, *, worker: str) -> None:
        """Record a message as sent; StaleClaim when ``worker`` no longer holds it."""
        if self.mark_sent_batch([outbox_id], worker=worker):
            raise StaleClaim(f"outgoing message {outbox_id} is not being sent by {worker!r}")

    def mark_sent_batch(self, outbox_ids: Sequence[int], *, worker: str) -> list[int]:
        """Record the messages as sent (one transaction); returns those ``worker`` no longer held (their
        lease expired and another sender took them), which are left as they are."""
        stale: list[int] = []
        with self._db.writing() as conn:
            for outbox_id in outbox_ids:
                row = conn.execute(
                    _SENT, {"id_": outbox_id, "worker_": worker, "sent_at_": self._db.now()}
                ).first()
                if row is None:
                    stale.append(outbox_id)
                    continue
                detail = {"outbox_id": outbox_id, "message_id": row.message_id, "kind": row.kind}
                self._db.event(conn, row.intake_id, "sent", actor=worker, detail=detail)
        return stale

    def mark_failed(
        self,
        outbox_id: int,
        error: str,
        *,
        worker: str,
        retry_at: dt.datetime | None,
        unconfirmed: bool = False,
    ) -> None:
        """Back to 'pending' at ``retry_at`` with attempts+1, or, when ``retry_at`` is None, a dead letter.
        ``unconfirmed``: the whole message was handed over and no answer came; it may have been
        delivered (``unconfirmed_at`` keeps the first time, event 'send_unconfirmed')."""
        values: dict[str, Any] = {"attempts": outbox.c.attempts + 1, "last_error": error}
        if retry_at is None:
            values["state"] = "dead"
        else:
            values.update(state="pending", next_attempt_at=retry_at)
        if unconfirmed:
            values["unconfirmed_at"] = func.coalesce(outbox.c.unconfirmed_at, self._db.now())
        with self._db.writing() as conn:
            row = self._finish(conn, outbox_id, worker, values)
            detail = {
                "outbox_id": outbox_id,
                "message_id": row.message_id,
                "error": error,
                "attempts": row.attempts,
                "unconfirmed": unconfirmed,
            }
            if retry_at is not None:
                detail["retry_at"] = retry_at.isoformat()
            kind = "dead_letter" if retry_at is None else "send_unconfirmed" if unconfirmed else "send_failed"
            self._db.event(conn, row.intake_id, kind, actor=worker, detail=detail)

    def requeue_dead(self, outbox_id: int, *, actor: str) -> None:
        """A clerk sends a dead letter again (see :meth:`requeue_dead_letters`)."""
        if not self.requeue_dead_letters([outbox_id], actor=actor):
            raise StoreError(f"outgoing message {outbox_id} is not a dead letter")

    def requeue_dead_letters(
        self, outbox_ids: Sequence[int] | None, *, actor: str, scope: Collection[str] | None = None
    ) -> list[int]:
        """A clerk sends dead letters again — those of ``outbox_ids``, or (None) every one — in one
        transaction: 'pending' now, attempts counted afresh and the give-up time counted from now (the
        events keep the earlier attempts). ``scope``: only messages of those agencies' intakes. Returns the
        ids requeued; ids that are not dead letters (or outside the scope) are left as they are."""
        now = self._db.now()
        where = [outbox.c.state == "dead"]
        if outbox_ids is not None:
            where.append(outbox.c.id.in_(list(outbox_ids)))
        if scope is not None:
            of_agency = select(intakes.c.id).where(intakes.c.agency.in_(sorted(scope)))
            where.append(outbox.c.intake_id.in_(of_agency))
        with self._db.writing() as conn:
            rows = conn.execute(
                update(outbox)
                .where(*where)
                .values(state="pending", next_attempt_at=now, queued_at=now, attempts=0, claimed_by=None)
                .returning(outbox.c.id, outbox.c.intake_id, outbox.c.message_id)
            ).all()
            for row in sorted(rows, key=lambda r: r.id):
                detail = {"outbox_id": row.id, "message_id": row.message_id}
                self._db.event(conn, row.intake_id, "requeued", actor=actor, detail=detail)
        return sorted(row.id for row in rows)

    def find(self, *, return_token: str | None = None, message_id: str | None = None) -> OutboxItem | None:
        """The message whose return path carries ``return_token``, or whose Message-ID is ``message_id``."""
        if return_token:
            query = _ITEMS.where(outbox.c.return_token == return_token)
        elif message_id:
            query = _ITEMS.where(outbox.c.message_id == message_id)
        else:
            return None
        with self._db.reading() as conn:
            row = conn.execute(query).mappings().first()
        return outbox_item(row) if row is not None else None

    def mark_bounced(
        self,
        outbox_id: int,
        *,
        status: str | None,
        diagnostic: str | None,
        actor: str,
        detail: dict[str, Any],
    ) -> None:
        """A delivery report said the message failed: 'bounced', with the report's Status and
        Diagnostic-Code (the latest report's, when several come), event 'bounced' (with ``detail``:
        the report's intake, how it was matched) on the message's intake."""
        now = self._db.now()
        values = dict(state="bounced", bounced_at=now, bounce_status=status, bounce_diagnostic=diagnostic)
        with self._db.writing() as conn:
            row = conn.execute(
                update(outbox)
                .where(outbox.c.id == outbox_id)
                .values(lease_until=None, **values)
                .returning(outbox.c.intake_id, outbox.c.message_id, outbox.c.recipients)
            ).first()
            if row is None:
                raise StoreError(f"no outgoing message {outbox_id}")
            forget_bounced(conn, row.recipients or (), now)
            full = {"outbox_id": outbox_id, "message_id": row.message_id, "status": status, **detail}
            full["diagnostic"] = diagnostic
            self._db.event(conn, row.intake_id, "bounced", actor=actor, detail=full)

    def items(self, *, state: str | None = None) -> list[OutboxItem]:
        query = _ITEMS
        if state is not None:
            query = query.where(outbox.c.state == state)
        with self._db.reading() as conn:
            return [outbox_item(r) for r in conn.execute(query).mappings()]

    def _finish(self, conn: Connection, outbox_id: int, worker: str, values: dict[str, Any]) -> Any:
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
