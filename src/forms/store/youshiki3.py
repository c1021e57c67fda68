"""Issued 様式3 in the store (``store.youshiki3``), and the routed 様式1 they are made from.

    record_issued(…)                     one row per 様式3 sent to a bank (answered_on NULL), its mail
                                         queued in the same transaction (``once``: not when its
                                         様式1 has one already)
    by_reference(reference)              the 様式3 that prints this reference number
    overdue(today)                       past their 回答期日 and unanswered, oldest due first
    open_for(key, agency)                the oldest unanswered 様式3 of a company and agency
    sent_to(issued)                      the bank addresses they went to (from their 様式1)
    mark_answered(id, on=…, answer=…)    the bank's answer came back
    routed_forms(agencies)               routed 様式1 (their decision's fields), newest first
    routed_without_youshiki3(agencies)   routed 様式1 no 様式3 has been issued for

A company is its 法人番号, else (個人事業者) normalised name + postal code, as in the ledger tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, select, update

from forms.ledger import CompanyKey
from forms.model import OutgoingMessage
from forms.store.engine import Database
from forms.store.outbox import enqueue
from forms.store.schema import intakes, youshiki3_issued


@dataclass(frozen=True)
class IssuedYoushiki3:
    """One 様式3 sent to a bank."""

    id: int
    company: CompanyKey
    company_name: str
    bank_name: str
    agency: str
    intake_id: int | None
    issued_on: dt.date
    due_on: dt.date
    files: tuple[str, ...]
    answered_on: dt.date | None
    answer: Mapping[str, Any] | None
    answer_source: str | None
    reference: str | None = None
    recipients: tuple[str, ...] = ()

    def days_overdue(self, today: dt.date) -> int:
        """経過日数: days since the 回答期日 (0 on the day itself)."""
        return max(0, (today - self.due_on).days)


@dataclass(frozen=True)
class RoutedForm:
    """A routed 様式1: its intake, the agency it went to, its normalised fields (decision JSON)."""

    intake_id: int
    agency: str
    fields: Mapping[str, Any]
    decided_at: dt.datetime | None

    @property
    def company(self) -> CompanyKey | None:
        return CompanyKey.from_fields(self.fields)


def _key_columns(key: CompanyKey) -> dict[str, str | None]:
    if key.corporate_number:
        return {"corporate_number": key.corporate_number, "name_key": None, "postal_code": None}
    return {"corporate_number": None, "name_key": key.name_key, "postal_code": key.postal_code}


def _is_company(key: CompanyKey) -> ColumnElement[bool]:
    t = youshiki3_issued.c
    return and_(*(t[name].is_(None) if v is None else t[name] == v for name, v in _key_columns(key).items()))


def _issued(row: Any) -> IssuedYoushiki3:
    return IssuedYoushiki3(
        id=int(row.id),
        company=CompanyKey(row.corporate_number, row.name_key, row.postal_code),
        company_name=row.company_name,
        bank_name=row.bank_name or "",
        agency=row.agency,
        intake_id=row.intake_id,
        issued_on=row.issued_on,
        due_on=row.due_on,
        files=tuple(row.files or ()),
        answered_on=row.answered_on,
        answer=row.answer,
        answer_source=row.answer_source,
        reference=row.reference,
        recipients=tuple(row.recipients or ()),
    )


class Youshiki3Records:
    """The issued 様式3 table, and the routed 様式1 (intakes) they are issued from."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record_issued(
        self,
        *,
        key: CompanyKey,
        company_name: str,
        bank_name: str,
        agency: str,
        intake_id: int | None,
        issued_on: dt.date,
        due_on: dt.date,
        files: Sequence[str],
        reference: str | None = None,
        outgoing: Sequence[OutgoingMessage] = (),
        actor: str = "cli",
        once: bool = False,
    ) -> int | None:
        """Record one issued 様式3 (unanswered) with its event, and queue ``outgoing`` (its mail) in the
        same transaction; its id. ``once`` (a batch): None, and nothing recorded or queued, when a
        様式3 was issued from the 様式1 ``intake_id`` already (checked in the same transaction)."""
        row = {
            "key": key,
            "company_name": company_name,
            "bank_name": bank_name,
            "agency": agency,
            "intake_id": intake_id,
            "issued_on": issued_on,
            "due_on": due_on,
            "files": files,
            "reference": reference,
            "outgoing": outgoing,
        }
        with self._db.writing() as conn:
            if once and intake_id is not None and self._issued_from(conn, intake_id):
                return None
            new_id = self._insert(conn, row)
            detail = {
                "id": new_id,
                "reference": reference,
                "company": str(key),
                "agency": agency,
                "due_on": due_on.isoformat(),
                "mailed_to": sorted({r for m in outgoing for r in m.recipients}),
            }
            self._db.event(conn, intake_id, "youshiki3_issued", actor=actor, detail=detail)
        return new_id

    def _issued_from(self, conn: Any, intake_id: int) -> bool:
        self._db.take_turns(conn, f"youshiki3:intake:{intake_id}")
        query = select(youshiki3_issued.c.id).where(youshiki3_issued.c.intake_id == intake_id).limit(1)
        return conn.execute(query).first() is not None

    def _insert(self, conn: Any, row: Mapping[str, Any]) -> int:
        values = dict(row)
        key, outgoing = values.pop("key"), tuple(values.pop("outgoing", ()))
        values["files"] = list(values["files"])
        values["recipients"] = sorted({r for m in outgoing for r in m.recipients}) if outgoing else None
        new_id = conn.execute(
            youshiki3_issued.insert()
            .values(**_key_columns(key), **values, created_at=self._db.now())
            .returning(youshiki3_issued.c.id)
        ).scalar_one()
        enqueue(self._db, conn, values.get("intake_id"), outgoing, self._db.now())
        return int(new_id)

    def record_many(self, rows: Iterable[dict[str, Any]], *, actor: str = "cli") -> int:
        """Record many issued 様式3 in one transaction (a batch); each dict holds record_issued's keywords
        (``outgoing``: its mail, queued in the same transaction)."""
        count = 0
        with self._db.writing() as conn:
            for row in rows:
                self._insert(conn, row)
                count += 1
            self._db.event(conn, None, "youshiki3_issued_batch", actor=actor, detail={"count": count})
        return count

    def by_reference(self, reference: str) -> IssuedYoushiki3 | None:
        """The 様式3 that prints ``reference`` (R8-Y3-000007), if there is one."""
        query = select(youshiki3_issued).where(youshiki3_issued.c.reference == reference).limit(1)
        with self._db.reading() as conn:
            row = conn.execute(query).first()
        return None if row is None else _issued(row)

    def issued(self, *, key: CompanyKey | None = None, agency: str | None = None) -> list[IssuedYoushiki3]:
        """Issued 様式3, oldest first, of one company and/or agency when given."""
        query = select(youshiki3_issued).order_by(youshiki3_issued.c.id)
        if key is not None:
            query = query.where(_is_company(key))
        if agency is not None:
            query = query.where(youshiki3_issued.c.agency == agency)
        with self._db.reading() as conn:
            return [_issued(r) for r in conn.execute(query)]

    def overdue(self, today: dt.date) -> list[IssuedYoushiki3]:
        """Unanswered 様式3 whose 回答期日 is before ``today``, the longest overdue first."""
        t = youshiki3_issued.c
        query = (
            select(youshiki3_issued).where(t.answered_on.is_(None), t.due_on < today).order_by(t.due_on, t.id)
        )
        with self._db.reading() as conn:
            return [_issued(r) for r in conn.execute(query)]

    def open_for(self, key: CompanyKey, agency: str | None) -> IssuedYoushiki3 | None:
        """The oldest unanswered 様式3 of the company (from ``agency`` when given)."""
        query = select(youshiki3_issued).where(_is_company(key), youshiki3_issued.c.answered_on.is_(None))
        if agency is not None:
            query = query.where(youshiki3_issued.c.agency == agency)
        with self._db.reading() as conn:
            row = conn.execute(query.order_by(youshiki3_issued.c.id).limit(1)).first()
        return None if row is None else _issued(row)

    def answered_from(self, source: str) -> IssuedYoushiki3 | None:
        """The 様式3 whose answer came in the mail ``source`` (a Message-ID), if one did."""
        query = select(youshiki3_issued).where(youshiki3_issued.c.answer_source == source).limit(1)
        with self._db.reading() as conn:
            row = conn.execute(query).first()
        return None if row is None else _issued(row)

    def sent_to(self, issued: Iterable[IssuedYoushiki3]) -> set[str]:
        """The bank addresses these 様式3 went to (lower case): the addresses each was mailed to, or, for
        one not mailed by us, the 金融機関E-mail of the routed 様式1 it was made from."""
        issued = list(issued)
        mailed = {r.strip().lower() for i in issued for r in i.recipients if r.strip()}
        ids = sorted({i.intake_id for i in issued if not i.recipients and i.intake_id is not None})
        if not ids:
            return mailed
        with self._db.reading() as conn:
            decisions = [r[0] for r in conn.execute(select(intakes.c.decision).where(intakes.c.id.in_(ids)))]
        emails = ((d or {}).get("fields", {}).get("bank_email") for d in decisions)
        return mailed | {e.strip().lower() for e in emails if isinstance(e, str) and e.strip()}

    def mark_answered(
        self, issued_id: int, *, on: dt.date, answer: Mapping[str, Any], source: str | None, actor: str
    ) -> bool:
        """The bank's answer to 様式3 ``issued_id``; False when it was answered already (nothing changes)."""
        t = youshiki3_issued.c
        with self._db.writing() as conn:
            done = conn.execute(
                update(youshiki3_issued)
                .where(t.id == issued_id, t.answered_on.is_(None))
                .values(answered_on=on, answer=dict(answer), answer_source=source)
                .returning(t.id, t.intake_id)
            ).first()
            if done is None:
                return False
            detail = {"id": issued_id, "answered_on": on.isoformat(), "source": source, **answer}
            self._db.event(conn, done.intake_id, "youshiki3_answered", actor=actor, detail=detail)
        return True

    def routed_forms(self, agencies: Iterable[str]) -> list[RoutedForm]:
        """Every routed 様式1 to one of ``agencies``, newest decision first."""
        query = (
            select(intakes.c.id, intakes.c.agency, intakes.c.decision, intakes.c.decided_at)
            .where(intakes.c.status == "routed", intakes.c.agency.in_(list(agencies)))
            .order_by(intakes.c.decided_at.desc(), intakes.c.id.desc())
        )
        with self._db.reading() as conn:
            rows = list(conn.execute(query))
        return [
            RoutedForm(int(r.id), r.agency, dict((r.decision or {}).get("fields") or {}), r.decided_at)
            for r in rows
        ]

    def latest_routed(self, key: CompanyKey, agencies: Iterable[str]) -> RoutedForm | None:
        """The company's newest routed 様式1 to one of ``agencies``."""
        return next((f for f in self.routed_forms(agencies) if f.company == key), None)

    def routed_without_youshiki3(self, agencies: Iterable[str]) -> list[RoutedForm]:
        """Routed 様式1 to ``agencies`` that no 様式3 was issued for, oldest first."""
        with self._db.reading() as conn:
            done = {
                r[0]
                for r in conn.execute(select(youshiki3_issued.c.intake_id).distinct())
                if r[0] is not None
            }
        return [f for f in reversed(self.routed_forms(agencies)) if f.intake_id not in done]
