"""Outgoing messages retried like an MTA's: when each was (re)queued, and whether one may have been
delivered already.

``queued_at`` is when the message was queued, or last requeued by a clerk: the outbox gives up on it
(a dead letter) that long after (``send_give_up_s``); rows queued before this revision take their
``created_at``. ``unconfirmed_at`` is when a hand-over first ended without an answer after the final
dot: the message may have been delivered, and it is retried with the same Message-ID.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("unconfirmed_at", sa.DateTime(timezone=True), nullable=True))
    outbox = sa.table("outbox", sa.column("queued_at"), sa.column("created_at"))
    op.execute(outbox.update().values(queued_at=outbox.c.created_at))
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("queued_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("unconfirmed_at")
        batch.drop_column("queued_at")
