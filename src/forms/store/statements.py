"""The statements of the worker's hot path, built once and executed with parameters.

Building an SQLAlchemy statement on every call (``select(...).where(...)``) costs more than SQLite
needs to run it; these are built at import (or once per database, ``Database.prepared``) and take
their values as bound parameters (names ending in ``_``, so that they never collide with columns).
"""

from __future__ import annotations

import functools

from sqlalchemy import Executable, Select, and_, bindparam, or_, select, update

from forms.store.engine import Database
from forms.store.schema import blobs, corrections, intakes

INTAKE_DUE = (
    select(intakes.c.id, intakes.c.state, intakes.c.claimed_by, intakes.c.attempts)
    .where(
        or_(
            intakes.c.state == "received",
            and_(intakes.c.state == "processing", intakes.c.lease_until <= bindparam("now_")),
        )
    )
    .order_by(intakes.c.id)
    .limit(1)
    .with_for_update(skip_locked=True)
)
INTAKE_CLAIM = (
    update(intakes)
    .where(intakes.c.id == bindparam("id_"))
    .values(
        state="processing",
        claimed_by=bindparam("worker_"),
        lease_until=bindparam("lease_until_"),
        attempts=intakes.c.attempts + 1,
        updated_at=bindparam("now_"),
    )
)
#: A claim whose worker is gone (or giving up) made due at once: lease_until = now.
INTAKE_LEASE = (
    update(intakes)
    .where(
        intakes.c.id == bindparam("id_"),
        intakes.c.state == "processing",
        intakes.c.claimed_by == bindparam("worker_"),
    )
    .values(lease_until=bindparam("lease_until_"))
    .returning(intakes.c.id)
)
INTAKE_GIVEN_UP = (
    update(intakes)
    .where(intakes.c.id == bindparam("id_"))
    .values(state="failed", last_error=bindparam("error_"), lease_until=None, updated_at=bindparam("now_"))
)
INTAKE_CLAIMED = select(intakes, blobs.c.data).join(blobs).where(intakes.c.id == bindparam("id_"))
#: Executed with the decided columns as parameters: they make the SET clause.
INTAKE_DECIDED = (
    update(intakes)
    .where(
        intakes.c.id == bindparam("id_"),
        intakes.c.state == "processing",
        intakes.c.claimed_by == bindparam("worker_"),
    )
    .returning(intakes.c.id)
)
CORRECTIONS = (
    select(corrections.c.field, corrections.c.value)
    .where(corrections.c.intake_id == bindparam("id_"))
    .order_by(corrections.c.id)
)


def add_intake_statement(db: Database) -> Executable:
    return db.upsert(intakes).on_conflict_do_nothing().returning(intakes.c.id)


@functools.cache
def stored_already(by_uid: bool) -> Select[tuple[int]]:
    """Whether an intake has this spool id (or, from IMAP, this mailbox + UIDVALIDITY + UID)."""
    same = intakes.c.spool_id == bindparam("spool_")
    if by_uid:
        same = or_(
            same,
            and_(
                intakes.c.mailbox == bindparam("mailbox_"),
                intakes.c.imap_uidvalidity == bindparam("uidv_"),
                intakes.c.imap_uid == bindparam("uid_"),
            ),
        )
    return select(intakes.c.id).where(same).limit(1)
