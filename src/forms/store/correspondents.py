"""The values earlier intakes made known (``store.correspondents``; ``forms.correspondents`` says why).

    is_known(kind, company, value)   whether a certain intake gave ``value`` (and no report bounced it)
    learn(db, conn, intake_id, decision, now)   what a recorded decision makes known, in its transaction
    bounced(conn, recipients, now)              addresses a delivery report said failed: known no more
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select, update

from forms.correspondents import BANK_EMAIL, CONTACT_EMAIL, comparable, known_from
from forms.store.engine import Database
from forms.store.schema import correspondents


class KnownValues:
    """A ``forms.correspondents.Correspondents`` over the store."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def is_known(self, kind: str, company: str, value: str) -> bool:
        query = select(correspondents.c.kind).where(
            correspondents.c.kind == kind,
            correspondents.c.company == company,
            correspondents.c.value == comparable(kind, value),
            correspondents.c.bounced_at.is_(None),
        )
        with self._db.reading() as conn:
            return conn.execute(query).first() is not None


def learn(
    db: Database, conn: Connection, intake_id: int, decision: Mapping[str, Any], now: dt.datetime
) -> None:
    """Keep what ``decision`` (``model.Decision.to_json``) makes known, first giver kept."""
    rows = [
        {"kind": v.kind, "company": v.company, "value": v.value, "intake_id": intake_id, "created_at": now}
        for v in dict.fromkeys(known_from(decision))
    ]
    if rows:
        conn.execute(db.upsert(correspondents).values(rows).on_conflict_do_nothing())


def bounced(conn: Connection, recipients: Iterable[str], now: dt.datetime) -> None:
    """The addresses of a message a delivery report said failed are known no more."""
    addresses = [comparable(BANK_EMAIL, r) for r in recipients if isinstance(r, str)]
    if addresses:
        conn.execute(
            update(correspondents)
            .where(
                correspondents.c.kind.in_((BANK_EMAIL, CONTACT_EMAIL)),
                correspondents.c.value.in_(addresses),
                correspondents.c.bounced_at.is_(None),
            )
            .values(bounced_at=now)
        )
