"""Granting a re-application frame inside the transaction that records the routed decision."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, select

from forms.ledger import CompanyKey
from forms.store.engine import Database
from forms.store.schema import frames


def grant_frame(
    db: Database, conn: Connection, intake_id: int, key: CompanyKey, on: dt.date, actor: str
) -> bool:
    """One more frame of the shared cap for ``key``, at most once per intake; False if granted already."""
    if conn.execute(select(frames.c.id).where(frames.c.intake_id == intake_id)).first() is not None:
        return False
    conn.execute(
        frames.insert().values(
            corporate_number=key.corporate_number,
            name_key=key.name_key,
            postal_code=key.postal_code,
            date=on,
            intake_id=intake_id,
        )
    )
    db.event(
        conn, intake_id, "frame_granted", actor=actor, detail={"company": str(key), "date": on.isoformat()}
    )
    return True
