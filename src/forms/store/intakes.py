"""The intakes: each received message with its original bytes, its claim, its decision.

Intake states: received → processing (claimed by a worker, with a lease) → decided | failed.
A claim whose lease expired may be taken by another worker; the first worker then gets StaleClaim.
A worker renews its lease while it decides; every claim counts an attempt, and an intake whose
leases ran out too often (its decider died each time: a poison mail) ends 'failed' for a clerk.
Every state change happens in one transaction together with its event. Nothing is deleted: a
clerk's retry puts an intake back in the queue and keeps its records and events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select, update

from forms.errors import StaleClaim, StoreError
from forms.jp.wareki import date_in_japan
from forms.ledger import CompanyKey
from forms.model import OutgoingMessage
from forms.store import statements as st
from forms.store.correspondents import learn
from forms.store.dedupe import dedupe_keys, duplicate_of, lock_keys
from forms.store.engine import Database
from forms.store.grants import grant_frame
from forms.store.outbox import enqueue
from forms.store.queue import queue_columns
from forms.store.records import ClaimedIntake, IntakeRow, NewIntake, claimed_intake, intake_row
from forms.store.schema import blobs, corrections, intakes, reference_counters

#: What a clerk's retry clears on the intake (the 'retry' event keeps the previous values).
_CLEARED_BY_RETRY = ("status", "agency", "reference", "decision", "decided_at", "lease_until")


def _copy_decided_first(conn: Connection, intake_id: int, keys: Mapping[str, str | None]) -> bool:
    """Whether another intake holding the same submission is decided already (under the keys' locks)."""
    lock_keys(conn, dedupe_keys(keys["message_id"], keys["sender"], keys["form_sha256"]))
    return duplicate_of(conn, **keys, other_than=intake_id) is not None


def _decided(
    now: dt.datetime,
    status: str,
    agency: str | None,
    reference: str,
    decision: dict[str, Any],
    extraction: dict[str, Any] | None,
) -> dict[str, Any]:
    """The columns a decision sets (with the duplicate keys and the handled mark added by the caller)."""
    return dict(
        state="decided",
        status=status,
        agency=agency,
        reference=reference,
        decision=decision,
        decided_at=now,
        lease_until=None,
        last_error=None,
        updated_at=now,
        extraction=extraction,
        **queue_columns(decision),
    )


class Intakes:
    """The intakes table group (intakes, their blobs, corrections, reference counters)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        *,
        data: bytes,
        channel: str,
        received_at: dt.datetime,
        spool_id: str,
        source: str | None = None,
        mailbox: str | None = None,
        imap_uidvalidity: int | None = None,
        imap_uid: int | None = None,
    ) -> int | None:
        """Store the bytes (once per sha256) and a 'received' intake; None if it is stored already
        (the same spool_id, or the same mailbox + UIDVALIDITY + UID)."""
        new = NewIntake(data, channel, received_at, spool_id, source, mailbox, imap_uidvalidity, imap_uid)
        return self.add_many([new])[0]

    def add_many(self, new: Sequence[NewIntake]) -> list[int | None]:
        """``add_intake`` for several intakes in one transaction: the id of each, None for those
        stored already."""
        now = self._db.now()
        with self._db.writing() as conn:
            return [self._insert_intake(conn, item, now) for item in new]

    def _insert_intake(self, conn: Connection, item: NewIntake, now: dt.datetime) -> int | None:
        by_uid = None not in (item.mailbox, item.imap_uidvalidity, item.imap_uid)
        params = {"spool_": item.spool_id, "mailbox_": item.mailbox, "uidv_": item.imap_uidvalidity}
        if conn.execute(st.stored_already(by_uid), {**params, "uid_": item.imap_uid}).first() is not None:
            return None
        sha256 = self._db.put_blob(conn, item.data)
        values = dict(
            spool_id=item.spool_id,
            channel=item.channel,
            source=item.source,
            mailbox=item.mailbox,
            imap_uidvalidity=item.imap_uidvalidity,
            imap_uid=item.imap_uid,
            envelope_from=item.envelope_from,
            envelope_to=item.envelope_to,
            sha256=sha256,
            received_at=item.received_at,
            state="received",
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        insert = self._db.prepared("add_intake", st.add_intake_statement)
        new_id = conn.execute(insert, values).scalar_one_or_none()
        if new_id is None:  # another machine stored it between our check and our insert
            return None
        detail = {"spool_id": item.spool_id, "sha256": sha256, "size": len(item.data), "source": item.source}
        self._db.event(conn, new_id, "received", actor=item.channel, detail=detail)
        return int(new_id)

    def claim_next(
        self, worker: str, lease_s: float = 300, *, max_attempts: int = 0
    ) -> ClaimedIntake | None:
        """The oldest 'received' intake (or one whose lease expired), now 'processing' by ``worker``,
        with its bytes and a clerk's corrections. Not durable (``Database.writing``): a claim lost
        is simply taken again.

        ``max_attempts`` (0: no limit): an intake whose lease expired that many times — its decider
        died each time, the mark of a poison mail — is left 'failed' for a clerk (event 'failed',
        ``gave_up``) and never taken again automatically; the next one is claimed instead."""
        now = self._db.now()
        with self._db.writing(durable=False) as conn:
            while (row := conn.execute(st.INTAKE_DUE, {"now_": now}).first()) is not None:
                if row.state == "processing" and 0 < max_attempts <= row.attempts:
                    self._give_up(conn, row, now)
                    continue
                return self._claim(conn, row, worker, now + dt.timedelta(seconds=lease_s), now)
        return None

    def _claim(
        self, conn: Connection, row: Any, worker: str, lease_until: dt.datetime, now: dt.datetime
    ) -> ClaimedIntake:
        params = {"id_": row.id, "worker_": worker, "lease_until_": lease_until, "now_": now}
        conn.execute(st.INTAKE_CLAIM, params)
        if row.state == "processing":
            self._db.event(
                conn, row.id, "lease_expired", actor=worker, detail={"previous_worker": row.claimed_by}
            )
        got = conn.execute(st.INTAKE_CLAIMED, {"id_": row.id}).mappings().one()
        fixes = {r.field: r.value for r in conn.execute(st.CORRECTIONS, {"id_": row.id})}
        return claimed_intake(got, fixes)

    def _give_up(self, conn: Connection, row: Any, now: dt.datetime) -> None:
        last = row.claimed_by
        error = f"given up after {row.attempts} attempts: its decider stopped each time (last {last})"
        conn.execute(st.INTAKE_GIVEN_UP, {"id_": row.id, "error_": error, "now_": now})
        detail = {"error": error, "attempts": row.attempts, "gave_up": True, "previous_worker": last}
        self._db.event(conn, row.id, "failed", actor="mailroom", detail=detail)

    def renew(self, intake_id: int, worker: str, lease_s: float) -> bool:
        """Extend ``worker``'s claim of an intake it is still deciding; False when it lost the claim."""
        until = self._db.now() + dt.timedelta(seconds=lease_s)
        with self._db.writing(durable=False) as conn:
            params = {"id_": intake_id, "worker_": worker, "lease_until_": until}
            return conn.execute(st.INTAKE_LEASE, params).first() is not None

    def release_claims_of(self, worker: str) -> list[int]:
        """The claims of a worker known to be gone (its process exited) made due at once instead of
        when their leases run out; the next claim of each is recorded as 'lease_expired' and counts
        as an attempt. Returns the intake ids."""
        now = self._db.now()
        query = (
            update(intakes)
            .where(intakes.c.state == "processing", intakes.c.claimed_by == worker)
            .values(lease_until=now)
            .returning(intakes.c.id)
        )
        with self._db.writing(durable=False) as conn:
            return [int(i) for i in conn.execute(query).scalars()]

    def find_duplicate(
        self, *, message_id: str | None, sender: str | None, form_sha256: str | None, before_id: int
    ) -> int | None:
        """The first earlier decided intake (not itself a duplicate) with the same Message-ID, or the
        same form bytes from the same sender."""
        with self._db.reading() as conn:
            return duplicate_of(
                conn,
                message_id=message_id,
                sender=sender,
                form_sha256=form_sha256,
                other_than=before_id,
                earlier_only=True,
            )

    def record_decision(
        self,
        intake_id: int,
        *,
        status: str,
        agency: str | None,
        reference: str,
        decision: dict[str, Any],
        message_id: str | None,
        sender: str | None,
        form_sha256: str | None,
        outgoing: Sequence[OutgoingMessage],
        actor: str = "worker",
        frame_for: CompanyKey | None = None,
        extraction: dict[str, Any] | None = None,
        handled: bool = False,
        channel: str | None = None,
    ) -> str:
        """In one transaction: the decision, one pending outbox row per message, event 'decided';
        ``extraction``, the raw reading (``pipeline.extraction_to_json``), is kept for the clerks;
        ``handled``: the machine has dealt with it (automatic mail), out of the clerks' queue;
        ``channel``, when given, is the intake's channel from now on (a fax gateway's mail is a fax).
        ``frame_for``: a routed, valid re-application grants that company its next frame of the
        shared cap, in the same transaction (at most once per intake).

        ``actor`` is the worker that claimed the intake; if it no longer holds the claim, StaleClaim
        is raised and nothing is written. When another intake holding the same submission was decided
        first (store.dedupe), this one is recorded as a duplicate and nothing is queued. A Message-ID
        queued already (a retried intake decided again) is not queued twice. Returns the status.

        Not durable (``Database.writing``): the sender's claim of the messages queued here is, before
        any is sent; a decision lost with the power is made again.
        """
        now = self._db.now()
        keys = {"message_id": message_id, "sender": sender, "form_sha256": form_sha256}
        with self._db.writing(durable=False) as conn:
            if status != "duplicate" and _copy_decided_first(conn, intake_id, keys):
                # another worker decided a copy of this submission first: nothing is sent again
                status, outgoing, frame_for = "duplicate", (), None
                decision = {**decision, "status": "duplicate"}
            values = _decided(now, status, agency, reference, decision, extraction)
            values.update(keys, **({"handled_at": now, "handled_by": actor} if handled else {}))
            values.update({"channel": channel} if channel else {})
            done = conn.execute(st.INTAKE_DECIDED, {**values, "id_": intake_id, "worker_": actor}).first()
            if done is None:
                raise StaleClaim(f"intake {intake_id} is not claimed by {actor!r}")
            queued, already = enqueue(self._db, conn, intake_id, outgoing, now)
            detail = {"status": status, "agency": agency, "reference": reference, "outbox": queued}
            detail.update(already_queued=already, **({"channel": channel} if channel else {}))
            self._db.event(conn, intake_id, "decided", actor=actor, detail=detail)
            if frame_for is not None:
                grant_frame(self._db, conn, intake_id, frame_for, date_in_japan(now), actor)
            learn(self._db, conn, intake_id, decision, now)
        return status

    def fail(self, intake_id: int, error: str, *, worker: str) -> None:
        """The worker could not decide the intake (a fault of ours, not of the form): 'failed'."""
        now = self._db.now()
        with self._db.writing() as conn:
            done = conn.execute(
                update(intakes)
                .where(
                    intakes.c.id == intake_id, intakes.c.state == "processing", intakes.c.claimed_by == worker
                )
                .values(state="failed", last_error=error, lease_until=None, updated_at=now)
                .returning(intakes.c.id)
            ).first()
            if done is None:
                raise StaleClaim(f"intake {intake_id} is not claimed by {worker!r}")
            self._db.event(conn, intake_id, "failed", actor=worker, detail={"error": error})

    def retry(self, intake_id: int, *, actor: str) -> None:
        """A clerk puts a failed or decided intake back in the queue; its previous decision is kept in
        the 'retry' event, its records and events stay."""
        now = self._db.now()
        with self._db.writing() as conn:
            row = (
                conn.execute(select(intakes).where(intakes.c.id == intake_id).with_for_update())
                .mappings()
                .first()
            )
            if row is None or row["state"] not in ("failed", "decided"):
                state = row["state"] if row else "absent"
                raise StoreError(f"intake {intake_id} cannot be retried: it is {state}")
            conn.execute(
                update(intakes)
                .where(intakes.c.id == intake_id)
                .values(state="received", attempts=0, updated_at=now, **dict.fromkeys(_CLEARED_BY_RETRY))
            )
            previous = {
                name: row[name]
                for name in ("state", "status", "agency", "reference", "decision", "last_error", "attempts")
            }
            self._db.event(conn, intake_id, "retry", actor=actor, detail={"previous": previous})

    def next_reference(self, prefix: str) -> str:
        """A new reference number: ``prefix`` + '-' + six digits, e.g. R8-000042 (one counter per prefix)."""
        stmt = (
            self._db.upsert(reference_counters)
            .values(prefix=prefix, counter=1)
            .on_conflict_do_update(
                index_elements=[reference_counters.c.prefix],
                set_={"counter": reference_counters.c.counter + 1},
            )
            .returning(reference_counters.c.counter)
        )
        with self._db.writing() as conn:
            number = conn.execute(stmt).scalar_one()
        return f"{prefix}-{number:06d}"

    def add_correction(self, intake_id: int, field: str, value: Any, *, actor: str) -> None:
        """A clerk's correction of one field (applied when the intake is processed again)."""
        now = self._db.now()
        with self._db.writing() as conn:
            conn.execute(
                corrections.insert().values(
                    intake_id=intake_id, field=field, value=value, actor=actor, at=now
                )
            )
            self._db.event(conn, intake_id, "corrected", actor=actor, detail={"field": field, "value": value})

    def corrections(self, intake_id: int) -> dict[str, Any]:
        """The corrected fields of an intake, the latest correction of each field winning."""
        with self._db.reading() as conn:
            return {r.field: r.value for r in conn.execute(st.CORRECTIONS, {"id_": intake_id})}

    def get(self, intake_id: int) -> IntakeRow | None:
        with self._db.reading() as conn:
            row = conn.execute(select(intakes).where(intakes.c.id == intake_id)).mappings().first()
        return intake_row(row) if row else None

    def by_reference(self, reference: str) -> IntakeRow | None:
        """The intake of a reference number (R8-000042)."""
        with self._db.reading() as conn:
            query = select(intakes.c.id).where(intakes.c.reference == reference).limit(1)
            found = conn.execute(query).first()
        return None if found is None else self.get(int(found[0]))

    def by_spool_id(self, spool_id: str) -> IntakeRow | None:
        with self._db.reading() as conn:
            found = conn.execute(select(intakes.c.id).where(intakes.c.spool_id == spool_id)).first()
        return None if found is None else self.get(int(found[0]))

    def latest(
        self, *, status: str | None = None, state: str | None = None, limit: int = 100
    ) -> list[IntakeRow]:
        """The newest intakes first; ``status`` filters by decision, ``state`` by where it is in the queue."""
        query = select(intakes).order_by(intakes.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(intakes.c.status == status)
        if state is not None:
            query = query.where(intakes.c.state == state)
        with self._db.reading() as conn:
            return [intake_row(r) for r in conn.execute(query).mappings()]

    def blob(self, sha256: str) -> bytes:
        with self._db.reading() as conn:
            data = conn.execute(select(blobs.c.data).where(blobs.c.sha256 == sha256)).scalar_one_or_none()
        if data is None:
            raise StoreError(f"no blob {sha256}")
        return bytes(data)
