"""The event log: one row per thing that happened (received, decided, sent, a clerk's action …).

Events of an intake are written by the repositories in the transaction of the change they record;
this repository reads them and writes those of no intake (ledger, imports, sign-ins).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from forms.store.engine import Database
from forms.store.records import EventRow, event_row
from forms.store.schema import events


class Events:
    def __init__(self, db: Database) -> None:
        self._db = db

    def of(self, intake_id: int | None) -> list[EventRow]:
        """The events of one intake, oldest first; ``None``: those of no intake."""
        where = events.c.intake_id.is_(None) if intake_id is None else events.c.intake_id == intake_id
        query = select(events).where(where).order_by(events.c.id)
        with self._db.reading() as conn:
            return [event_row(r) for r in conn.execute(query).mappings()]

    def newest(self, kinds: Sequence[str], limit: int = 100) -> list[EventRow]:
        """The newest events of these kinds, newest first."""
        query = select(events).where(events.c.kind.in_(list(kinds))).order_by(events.c.id.desc()).limit(limit)
        with self._db.reading() as conn:
            return [event_row(r) for r in conn.execute(query).mappings()]

    def add(
        self, intake_id: int | None, kind: str, *, actor: str, detail: dict[str, Any] | None = None
    ) -> None:
        with self._db.writing() as conn:
            self._db.event(conn, intake_id, kind, actor=actor, detail=detail)
