"""Issued 様式2 in the store (``store.youshiki2``): one row per report, its mail queued with it.

record(…)                       the 様式2 issued, its event and its mail, in one transaction
                                (``once``: not when the company has one for the period already)
issued(key=…, agency=…)         issued 様式2, oldest first
companies_reported(agency, p)   the companies that have a 様式2 of ``agency`` for period ``p``
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select

from forms.ledger import CompanyKey
from forms.model import OutgoingMessage
from forms.store.engine import Database
from forms.store.outbox import enqueue
from forms.store.schema import youshiki2_issued


@dataclass(frozen=True)
class IssuedYoushiki2:
    """One issued 様式2: its reference number, company, agency, period, and where it was mailed."""

    id: int
    reference: str
    company: CompanyKey
    company_name: str
    agency: str
    intake_id: int | None
    period_from: dt.date
    period_to: dt.date
    issued_on: dt.date
    recipients: tuple[str, ...]
    files: tuple[str, ...]


def _key_columns(key: CompanyKey) -> dict[str, str | None]:
    if key.corporate_number:
        return {"corporate_number": key.corporate_number, "name_key": None, "postal_code": None}
    return {"corporate_number": None, "name_key": key.name_key, "postal_code": key.postal_code}


def _issued(row: Any) -> IssuedYoushiki2:
    return IssuedYoushiki2(
        id=int(row.id),
        reference=row.reference,
        company=CompanyKey(row.corporate_number, row.name_key, row.postal_code),
        company_name=row.company_name,
        agency=row.agency,
        intake_id=row.intake_id,
        period_from=row.period_from,
        period_to=row.period_to,
        issued_on=row.issued_on,
        recipients=tuple(row.recipients or ()),
        files=tuple(row.files or ()),
    )


class Youshiki2Records:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        *,
        reference: str,
        key: CompanyKey,
        company_name: str,
        agency: str,
        intake_id: int | None,
        period: tuple[dt.date, dt.date],
        issued_on: dt.date,
        files: Sequence[str],
        outgoing: Sequence[OutgoingMessage] = (),
        actor: str = "cli",
        once: bool = False,
    ) -> int | None:
        """Record one issued 様式2 and queue ``outgoing`` (its mail) in the same transaction; its id.
        ``once`` (a batch): None, and nothing recorded or queued, when the company has a 様式2 of
        ``agency`` for ``period`` already (checked in the same transaction, batches taking turns)."""
        recipients = sorted({r for m in outgoing for r in m.recipients})
        now = self._db.now()
        with self._db.writing() as conn:
            if once and self._reported(conn, key, agency, period):
                return None
            new_id = conn.execute(
                youshiki2_issued.insert()
                .values(
                    reference=reference,
                    **_key_columns(key),
                    company_name=company_name,
                    agency=agency,
                    intake_id=intake_id,
                    period_from=period[0],
                    period_to=period[1],
                    issued_on=issued_on,
                    recipients=recipients,
                    files=list(files),
                    created_at=now,
                )
                .returning(youshiki2_issued.c.id)
            ).scalar_one()
            queued, _ = enqueue(self._db, conn, intake_id, outgoing, now)
            detail = {
                "id": new_id,
                "reference": reference,
                "company": str(key),
                "agency": agency,
                "period": [d.isoformat() for d in period],
                "mailed_to": recipients,
                "outbox": queued,
            }
            self._db.event(conn, intake_id, "youshiki2_issued", actor=actor, detail=detail)
        return int(new_id)

    def _reported(self, conn: Any, key: CompanyKey, agency: str, period: tuple[dt.date, dt.date]) -> bool:
        self._db.take_turns(conn, f"youshiki2:{agency}:{key}:{period[0]}:{period[1]}")
        t = youshiki2_issued.c
        query = select(t.id).where(
            t.agency == agency,
            t.period_from == period[0],
            t.period_to == period[1],
            *(t[n].is_(None) if v is None else t[n] == v for n, v in _key_columns(key).items()),
        )
        return conn.execute(query.limit(1)).first() is not None

    def issued(self, *, key: CompanyKey | None = None, agency: str | None = None) -> list[IssuedYoushiki2]:
        t = youshiki2_issued.c
        query = select(youshiki2_issued).order_by(t.id)
        if key is not None:
            query = query.where(
                *(t[n].is_(None) if v is None else t[n] == v for n, v in _key_columns(key).items())
            )
        if agency is not None:
            query = query.where(t.agency == agency)
        with self._db.reading() as conn:
            return [_issued(r) for r in conn.execute(query)]

    def companies_reported(self, agency: str, period: tuple[dt.date, dt.date]) -> set[CompanyKey]:
        """The companies that have a 様式2 of ``agency`` for exactly ``period`` already."""
        t = youshiki2_issued.c
        query = select(t.corporate_number, t.name_key, t.postal_code).where(
            and_(t.agency == agency, t.period_from == period[0], t.period_to == period[1])
        )
        with self._db.reading() as conn:
            return {CompanyKey(*r) for r in conn.execute(query)}
