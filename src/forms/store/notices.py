"""The notices the scheduler sends (``store.notices``): each under a key, queued at most once.

    send_once(key, …, message)   the notice recorded under ``key`` and its message queued in one
                                 transaction; False (nothing queued) when ``key`` was sent before
    sent(keys)                   which of ``keys`` were sent already

A key names what is sent and for what: ``youshiki3_reminder:R8-Y3-000007``,
``contact_digest:jetro:2027-01-05``. Two schedulers running at once, or one run twice, queue each
notice once: the key is the table's primary key, inserted in the same transaction as the message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select

from forms.model import OutgoingMessage
from forms.store.engine import Database
from forms.store.outbox import enqueue
from forms.store.schema import notices


class Notices:
    def __init__(self, db: Database) -> None:
        self._db = db

    def send_once(
        self,
        key: str,
        *,
        kind: str,
        on_date: dt.date,
        message: OutgoingMessage,
        intake_id: int | None = None,
        actor: str = "scheduler",
    ) -> bool:
        """Record the notice ``key`` and queue ``message``; False when ``key`` was sent before."""
        now = self._db.now()
        values = {
            "key": key,
            "kind": kind,
            "on_date": on_date,
            "intake_id": intake_id,
            "message_id": message.message_id,
            "created_at": now,
        }
        insert = self._db.upsert(notices).values(**values).on_conflict_do_nothing().returning(notices.c.key)
        with self._db.writing() as conn:
            if conn.execute(insert).scalar_one_or_none() is None:
                return False
            queued, _ = enqueue(self._db, conn, intake_id, (message,), now)
            detail = {
                "key": key,
                "message_id": message.message_id,
                "to": list(message.recipients),
                "outbox": queued,
            }
            self._db.event(conn, intake_id, kind, actor=actor, detail=detail)
        return True

    def sent(self, keys: Iterable[str]) -> set[str]:
        wanted = list(keys)
        if not wanted:
            return set()
        with self._db.reading() as conn:
            return set(conn.execute(select(notices.c.key).where(notices.c.key.in_(wanted))).scalars())
