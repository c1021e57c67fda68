"""The clerks' side of the intakes: the review queue, the decisions clerks record, handled marks and
the routed intakes whose contact deadline runs. Every change writes its event in the same transaction.

The queue is filtered and counted in SQL on columns copied out of the decision when it is recorded
(``queue_columns``): company and bank name, and the reason codes as " CODE CODE ".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update

from forms.errors import StoreError
from forms.jp.wareki import JST, date_in_japan
from forms.ledger import CompanyKey
from forms.model import OutgoingMessage
from forms.store.correspondents import learn
from forms.store.engine import Database
from forms.store.grants import grant_frame
from forms.store.outbox import enqueue
from forms.store.records import IntakeRow, intake_row
from forms.store.schema import intakes

#: What the review queue shows when no status is asked for: what a clerk still has to deal with.
OPEN_STATUSES = ("needs_review", "rejected")


@dataclass(frozen=True)
class QueueFilter:
    """What the review queue shows. ``status`` None: the open queue (needs_review, rejected and failed
    intakes no clerk has handled); a status (routed, rejected, needs_review, duplicate), 'failed',
    'handled' or 'all'. ``scope``: the agencies the clerk may see (None = every agency, and intakes
    of none; empty = nothing)."""

    status: str | None = None
    reason: str | None = None
    agency: str | None = None
    bank: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    search: str | None = None
    scope: frozenset[str] | None = None


@dataclass(frozen=True)
class QueueRow:
    id: int
    reference: str | None
    received_at: dt.datetime
    status: str  # the decision, or the intake's state while it has none (received, processing, failed)
    agency: str | None
    bank_name: str | None
    company_name: str | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ReviewRecord:
    """What the review keeps about an intake besides its IntakeRow."""

    extraction: Mapping[str, Any] | None
    handled_at: dt.datetime | None
    handled_by: str | None


def queue_columns(decision: Mapping[str, Any]) -> dict[str, str | None]:
    """The queue's columns of a decision (``Decision.to_json``)."""
    fields = decision.get("fields") or {}
    codes = [str(r["code"]) for r in decision.get("reasons") or [] if r.get("code")]

    def text(key: str) -> str | None:
        value = fields.get(key)
        return value if isinstance(value, str) and value else None

    return {
        "company_name": text("company_name"),
        "bank_name": text("bank_name"),
        "reason_codes": f" {' '.join(codes)} " if codes else " ",
    }


# -- the queue ------------------------------------------------------------------------------------


def _jst_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=JST)


def _status_clause(status: str | None) -> ColumnElement[bool] | None:
    unhandled = intakes.c.handled_at.is_(None)
    if status is None:
        waiting = or_(intakes.c.status.in_(OPEN_STATUSES), intakes.c.state == "failed")
        return and_(waiting, unhandled)
    if status == "all":
        return None
    if status == "handled":
        return intakes.c.handled_at.is_not(None)
    if status in ("failed", "received", "processing"):
        return intakes.c.state == status
    return intakes.c.status == status


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    return func.lower(column).contains(text.lower(), autoescape=True)


def _where(f: QueueFilter) -> list[ColumnElement[bool]]:
    clauses = [c for c in [_status_clause(f.status)] if c is not None]
    if f.agency:
        clauses.append(intakes.c.agency == f.agency)
    if f.scope is not None:
        clauses.append(intakes.c.agency.in_(sorted(f.scope)))
    if f.reason:
        clauses.append(intakes.c.reason_codes.contains(f" {f.reason.strip().upper()} ", autoescape=True))
    if f.bank:
        clauses.append(_contains(intakes.c.bank_name, f.bank))
    if f.since:
        clauses.append(intakes.c.received_at >= _jst_midnight(f.since))
    if f.until:
        clauses.append(intakes.c.received_at < _jst_midnight(f.until + dt.timedelta(days=1)))
    if f.search:
        term = f.search.strip()
        clauses.append(or_(_contains(intakes.c.company_name, term), _contains(intakes.c.reference, term)))
    return clauses


@dataclass(frozen=True)
class DeadlineSource:
    id: int
    reference: str | None
    agency: str
    company_name: str | None
    received_at: dt.datetime


# -- clerk decisions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClerkDecision:
    """A decision a clerk (or a reprocess) records over the one the worker made."""

    status: str
    agency: str | None
    decision: Mapping[str, Any]
    outgoing: Sequence[OutgoingMessage] = ()
    extraction: Mapping[str, Any] | None = None  # a new reading (reprocess); None keeps the stored one
    handled: bool = False
    frame_for: CompanyKey | None = None


class ReviewQueue:
    """The review queue and the clerks' records on intakes."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def page(self, f: QueueFilter, *, limit: int, offset: int) -> tuple[list[QueueRow], int]:
        """One page of the queue, newest first, and how many intakes the filter finds in all."""
        where = _where(f)
        columns = (
            intakes.c.id,
            intakes.c.reference,
            intakes.c.received_at,
            intakes.c.status,
            intakes.c.state,
            intakes.c.agency,
            intakes.c.bank_name,
            intakes.c.company_name,
            intakes.c.reason_codes,
        )
        page: Select[Any] = (
            select(*columns)
            .where(*where)
            .order_by(intakes.c.received_at.desc(), intakes.c.id.desc())
            .limit(max(0, limit))
            .offset(max(0, offset))
        )
        with self._db.reading() as conn:
            rows = list(conn.execute(page))
            total = int(conn.execute(select(func.count()).select_from(intakes).where(*where)).scalar_one())
        return [
            QueueRow(
                r.id,
                r.reference,
                r.received_at,
                r.status or r.state,
                r.agency,
                r.bank_name,
                r.company_name,
                tuple((r.reason_codes or "").split()),
            )
            for r in rows
        ], total

    def ids_with_status(self, status: str) -> list[int]:
        """Decided intakes with this decision, oldest first (what ``reprocess --status`` takes)."""
        query = select(intakes.c.id).where(intakes.c.state == "decided", intakes.c.status == status)
        with self._db.reading() as conn:
            return [int(i) for i in conn.execute(query.order_by(intakes.c.id)).scalars()]

    def review_record(self, intake_id: int) -> ReviewRecord | None:
        query = select(intakes.c.extraction, intakes.c.handled_at, intakes.c.handled_by).where(
            intakes.c.id == intake_id
        )
        with self._db.reading() as conn:
            row = conn.execute(query).first()
        return None if row is None else ReviewRecord(row.extraction, row.handled_at, row.handled_by)

    def routed_unhandled(self, agencies: Sequence[str]) -> list[DeadlineSource]:
        """Routed intakes of ``agencies`` no one has marked contacted or handled (the contact deadlines)."""
        query = (
            select(
                intakes.c.id,
                intakes.c.reference,
                intakes.c.agency,
                intakes.c.company_name,
                intakes.c.received_at,
            )
            .where(intakes.c.status == "routed", intakes.c.agency.in_(list(agencies)))
            .where(intakes.c.handled_at.is_(None), intakes.c.contacted_at.is_(None))
            .order_by(intakes.c.received_at, intakes.c.id)
        )
        with self._db.reading() as conn:
            return [DeadlineSource(*r) for r in conn.execute(query)]

    def record_clerk_decision(
        self,
        intake_id: int,
        made: ClerkDecision,
        *,
        expected_status: str | None,
        kind: str,
        actor: str,
        detail: Mapping[str, Any],
    ) -> list[int]:
        """In one transaction: the new decision (only if the intake is still decided as ``expected_status``),
        its messages queued (a Message-ID queued before is not queued again), event ``kind`` by ``actor``,
        the frame of a valid re-application, and the values the clerk's decision makes known
        (``forms.correspondents``). Returns the new outbox ids."""
        now = self._db.now()
        values: dict[str, Any] = dict(
            status=made.status,
            agency=made.agency,
            decision=dict(made.decision),
            decided_at=now,
            updated_at=now,
            **queue_columns(made.decision),
        )
        if made.extraction is not None:
            values["extraction"] = dict(made.extraction)
        if made.handled:
            values.update(handled_at=now, handled_by=actor)
        with self._db.writing() as conn:
            done = conn.execute(
                update(intakes)
                .where(intakes.c.id == intake_id, intakes.c.state == "decided")
                .where(intakes.c.status == expected_status)
                .values(**values)
                .returning(intakes.c.id)
            ).first()
            if done is None:
                raise StoreError(f"intake {intake_id} changed meanwhile (it is no longer {expected_status})")
            queued, already = enqueue(self._db, conn, intake_id, made.outgoing, now)
            full = {**detail, "status": made.status, "outbox": queued, "already_queued": already}
            self._db.event(conn, intake_id, kind, actor=actor, detail=full)
            if made.frame_for is not None:
                grant_frame(self._db, conn, intake_id, made.frame_for, date_in_japan(now), actor)
            learn(self._db, conn, intake_id, made.decision, now)
        return queued

    def set_handled(self, intake_id: int, *, actor: str, handled: bool, note: str = "") -> None:
        """Mark an intake handled by ``actor`` (or, ``handled`` False, open again), with its event."""
        now = self._db.now()
        values = (
            {"handled_at": now, "handled_by": actor} if handled else {"handled_at": None, "handled_by": None}
        )
        with self._db.writing() as conn:
            done = conn.execute(
                update(intakes).where(intakes.c.id == intake_id).values(updated_at=now, **values)
            ).rowcount
            if not done:
                raise StoreError(f"no intake {intake_id}")
            kind = "handled" if handled else "reopened"
            self._db.event(conn, intake_id, kind, actor=actor, detail={"note": note} if note else {})

    def set_contacted(self, intake_id: int, *, actor: str) -> None:
        """The agency reached the company about this routed intake (rule 11); StoreError when it was
        marked before."""
        now = self._db.now()
        with self._db.writing() as conn:
            done = conn.execute(
                update(intakes)
                .where(intakes.c.id == intake_id, intakes.c.contacted_at.is_(None))
                .values(contacted_at=now, contacted_by=actor, updated_at=now)
            ).rowcount
            if not done:
                raise StoreError(f"intake {intake_id} is marked contacted already")
            self._db.event(conn, intake_id, "contacted", actor=actor, detail={})

    def routed_to(
        self, agency: str, *, since: dt.date | None, until: dt.date | None, limit: int | None, offset: int
    ) -> tuple[list[IntakeRow], int]:
        """Intakes routed to ``agency`` and received in [since, until] (days in Japan), oldest first,
        a page of them, and how many there are."""
        where = [intakes.c.status == "routed", intakes.c.agency == agency]
        if since:
            where.append(intakes.c.received_at >= _jst_midnight(since))
        if until:
            where.append(intakes.c.received_at < _jst_midnight(until + dt.timedelta(days=1)))
        order = (intakes.c.received_at, intakes.c.id)
        query = select(intakes).where(*where).order_by(*order).offset(max(0, offset))
        if limit is not None:
            query = query.limit(max(0, limit))
        with self._db.reading() as conn:
            rows = [intake_row(m) for m in conn.execute(query).mappings()]
            total = int(conn.execute(select(func.count()).select_from(intakes).where(*where)).scalar_one())
        return rows, total
