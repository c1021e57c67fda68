"""The support ledger kept in the store: the supports, loans and frames tables (``LedgerTables``,
``store.ledger``) and the ``forms.ledger.LedgerView`` over them (``StoreLedger``).

A company is its 法人番号, else (個人事業者) normalised name + postal code — the columns of
``forms.ledger.CompanyKey``. Amounts are integer yen.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, Table, and_, bindparam, select

from forms.ledger import (
    DEFAULT_CAPPED_AGENCIES,
    CompanyKey,
    CompanyLedger,
    FrameGrant,
    LoanRecord,
    SupportRecord,
)
from forms.store.engine import Database
from forms.store.schema import frames, loans, supports

if TYPE_CHECKING:
    from forms.rules.loader import Rulebook, Rulebooks
    from forms.store.store import Store


def _key_values(key: CompanyKey) -> dict[str, str | None]:
    if key.corporate_number:
        return {"corporate_number": key.corporate_number, "name_key": None, "postal_code": None}
    if key.name_key and key.postal_code:
        return {"corporate_number": None, "name_key": key.name_key, "postal_code": key.postal_code}
    raise ValueError(f"a company needs a 法人番号, or a name and a postal code: {key!r}")


@functools.cache
def _company_rows(table: Table, by_number: bool) -> Select[Any]:
    """A company's rows of ``table`` in order, by 法人番号 or by name and postal code (built once)."""
    if by_number:
        names = {"corporate_number": True, "name_key": False, "postal_code": False}
    else:
        names = {"corporate_number": False, "name_key": True, "postal_code": True}
    same = (table.c[n] == bindparam(f"{n}_") if given else table.c[n].is_(None) for n, given in names.items())
    return select(table).where(and_(*same)).order_by(table.c.id)


class LedgerTables:
    """The supports, loans and frames tables: one company's records, and adding to them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def records(
        self, key: CompanyKey
    ) -> tuple[tuple[SupportRecord, ...], tuple[LoanRecord, ...], tuple[FrameGrant, ...]]:
        """The company's supports, loans and granted frames, each in the order they were recorded."""
        values = _key_values(key)
        by_number = values["corporate_number"] is not None
        params = {f"{name}_": v for name, v in values.items() if v is not None}
        with self._db.reading() as conn:
            support_rows = conn.execute(_company_rows(supports, by_number), params)
            found_supports = tuple(
                SupportRecord(r.agency, r.date, r.service, int(r.cost_excl_tax), int(r.tax), r.summary)
                for r in support_rows
            )
            loan_rows = conn.execute(_company_rows(loans, by_number), params)
            found_loans = tuple(LoanRecord(r.date, int(r.amount), r.menu) for r in loan_rows)
            frame_rows = conn.execute(_company_rows(frames, by_number), params)
            found_grants = tuple(FrameGrant(r.date) for r in frame_rows)
        return found_supports, found_loans, found_grants

    def companies_supported(self, agency: str, period: tuple[dt.date, dt.date]) -> list[CompanyKey]:
        """The companies ``agency`` supported in ``period`` (both days included), in order of key."""
        t = supports.c
        query = (
            select(t.corporate_number, t.name_key, t.postal_code)
            .where(t.agency == agency, t.date >= period[0], t.date <= period[1])
            .distinct()
        )
        with self._db.reading() as conn:
            keys = {CompanyKey(*r) for r in conn.execute(query)}
        return sorted(keys, key=str)

    def add_support(self, key: CompanyKey, record: SupportRecord, *, actor: str = "ledger") -> int:
        values = {
            "agency": record.agency,
            "date": record.date,
            "service": record.service,
            "summary": record.summary,
            "cost_excl_tax": record.cost_excl_tax,
            "tax": record.tax,
        }
        return self._add(supports, key, values, "support_added", actor)

    def add_supports(self, rows: list[tuple[CompanyKey, SupportRecord]], *, actor: str = "ledger") -> int:
        """Add many supports in one transaction (an import: all rows or none)."""
        with self._db.writing() as conn:
            for key, record in rows:
                conn.execute(
                    supports.insert().values(
                        **_key_values(key),
                        agency=record.agency,
                        date=record.date,
                        service=record.service,
                        summary=record.summary,
                        cost_excl_tax=record.cost_excl_tax,
                        tax=record.tax,
                    )
                )
            self._db.event(conn, None, "supports_imported", actor=actor, detail={"rows": len(rows)})
        return len(rows)

    def add_loan(self, key: CompanyKey, record: LoanRecord, *, actor: str = "ledger") -> int:
        values = {"date": record.date, "amount": record.amount, "menu": record.menu}
        return self._add(loans, key, values, "loan_added", actor)

    def add_frame(
        self, key: CompanyKey, date: dt.date, *, intake_id: int | None = None, actor: str = "worker"
    ) -> bool:
        """Grant one more frame (a routed, valid re-application); False if this intake got one already."""
        with self._db.writing() as conn:
            if intake_id is not None:
                seen = conn.execute(select(frames.c.id).where(frames.c.intake_id == intake_id)).first()
                if seen is not None:
                    return False
            conn.execute(frames.insert().values(**_key_values(key), date=date, intake_id=intake_id))
            detail = {"company": str(key), "date": date.isoformat()}
            self._db.event(conn, intake_id, "frame_granted", actor=actor, detail=detail)
        return True

    def note_refused_import(self, detail: dict[str, Any], *, actor: str) -> None:
        with self._db.writing() as conn:
            self._db.event(conn, None, "supports_import_refused", actor=actor, detail=detail)

    def _add(self, table: Table, key: CompanyKey, values: dict[str, Any], kind: str, actor: str) -> int:
        with self._db.writing() as conn:
            new_id = conn.execute(
                table.insert().values(**_key_values(key), **values).returning(table.c.id)
            ).scalar_one()
            detail = {
                "company": str(key),
                **{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()},
            }
            self._db.event(conn, None, kind, actor=actor, detail={"id": new_id, **detail})
        return int(new_id)


class StoreLedger:
    """The ledger kept in the store as a ``LedgerView``: each company's records with the cap per frame
    and the capped agencies of the rulebook (:meth:`newest` builds it from the newest rulebook). Its
    writes go to the store's ledger tables."""

    def __init__(
        self, store: Store, cap_per_frame: int, capped_agencies: frozenset[str] = DEFAULT_CAPPED_AGENCIES
    ) -> None:
        self.tables = store.ledger
        self.cap_per_frame = cap_per_frame
        self.capped_agencies = capped_agencies

    @classmethod
    def for_rulebook(cls, store: Store, book: Rulebook) -> StoreLedger:
        """The ledger view with the cap per frame and the capped agencies of ``book`` (the one place
        that wires the two)."""
        return cls(store, book.shared_cap.cap_per_frame_yen, book.capped_agencies)

    @classmethod
    def newest(cls, store: Store, rulebooks: Rulebooks) -> StoreLedger:
        """The ledger view of the newest rulebook: what the mailroom, the review and the console use."""
        return cls.for_rulebook(store, rulebooks.newest)

    def company(self, key: CompanyKey) -> CompanyLedger:
        found_supports, found_loans, found_grants = self.tables.records(key)
        return CompanyLedger(
            found_supports, found_loans, found_grants, self.cap_per_frame, self.capped_agencies
        )

    def add_support(self, key: CompanyKey, record: SupportRecord, *, actor: str = "ledger") -> int:
        return self.tables.add_support(key, record, actor=actor)

    def add_supports(self, rows: list[tuple[CompanyKey, SupportRecord]], *, actor: str = "ledger") -> int:
        return self.tables.add_supports(rows, actor=actor)

    def add_loan(self, key: CompanyKey, record: LoanRecord, *, actor: str = "ledger") -> int:
        return self.tables.add_loan(key, record, actor=actor)

    def add_frame(
        self, key: CompanyKey, date: dt.date, *, intake_id: int | None = None, actor: str = "worker"
    ) -> bool:
        return self.tables.add_frame(key, date, intake_id=intake_id, actor=actor)

    def note_refused_import(self, detail: dict[str, Any], *, actor: str) -> None:
        """An import refused for its bad rows (nothing written but this event)."""
        self.tables.note_refused_import(detail, actor=actor)
