"""Which decided intake an intake repeats: the same Message-ID, or the same form bytes from the same sender.

The check runs inside the transaction that records a decision, so two workers deciding two copies of
one submission at the same time cannot both route it: on SQLite writers take turns; on PostgreSQL a
transaction-scoped advisory lock per key serialises the deciders of the same submission.
"""

from __future__ import annotations

import functools
import hashlib

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Select,
    and_,
    bindparam,
    select,
    text,
    union_all,
)

from forms.store.schema import intakes


def dedupe_keys(message_id: str | None, sender: str | None, form_sha256: str | None) -> list[str]:
    keys = [f"mid:{message_id}"] if message_id else []
    if sender and form_sha256:
        keys.append(f"form:{sender}:{form_sha256}")
    return keys


def lock_keys(conn: Connection, keys: list[str]) -> None:
    """PostgreSQL: hold an advisory lock per key until the transaction ends (SQLite needs none)."""
    if conn.dialect.name != "postgresql":
        return
    for key in sorted(keys):  # one order for every transaction: no deadlock
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": number})


def duplicate_of(
    conn: Connection,
    *,
    message_id: str | None,
    sender: str | None,
    form_sha256: str | None,
    other_than: int,
    earlier_only: bool = False,
) -> int | None:
    """The first decided intake (not itself a duplicate) this one repeats, or None."""
    by_message_id = bool(message_id)
    by_form = bool(sender and form_sha256)
    if not (by_message_id or by_form):
        return None
    query = _query(by_message_id, by_form, earlier_only)
    params = {"mid_": message_id, "sender_": sender, "sha_": form_sha256, "other_": other_than}
    repeated = [
        id_
        for id_, state, status in conn.execute(query, params)
        if state == "decided" and status != "duplicate"
    ]
    return min(repeated, default=None)


@functools.cache
def _query(
    by_message_id: bool, by_form: bool, earlier_only: bool
) -> CompoundSelect | Select[tuple[int, str, str | None]]:
    """The intakes holding the same keys, one look-up per key, built once (executed with parameters).

    Only the keys and the id are in the WHERE clause, so that each look-up can only use its own index
    (ix_intakes_message_id, ix_intakes_sender_form) and reads the few copies of one submission. With
    the state in it too, SQLite walks every decided intake instead (ix_intakes_state_id): a cost
    that grows with the store. Which of the copies count is decided in Python."""
    other = bindparam("other_")
    scope = intakes.c.id < other if earlier_only else intakes.c.id != other
    keys: list[ColumnElement[bool]] = []
    if by_message_id:
        keys.append(intakes.c.message_id == bindparam("mid_"))
    if by_form:
        keys.append(
            and_(intakes.c.sender == bindparam("sender_"), intakes.c.form_sha256 == bindparam("sha_"))
        )
    lookups = [select(intakes.c.id, intakes.c.state, intakes.c.status).where(key, scope) for key in keys]
    return union_all(*lookups) if len(lookups) > 1 else lookups[0]
