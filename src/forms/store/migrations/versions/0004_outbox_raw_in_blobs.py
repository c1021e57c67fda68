"""Outgoing messages' bytes kept in the blobs table, by sha256, instead of in the outbox row.

An outbox row changes state two or three times (pending → sending → sent); SQLite rewrites a whole
row on every UPDATE, so a 250 KB forward inside the row was written to the WAL three times. Rows
queued before this revision keep their bytes in ``raw``; new rows leave it NULL and name their
blob in ``raw_sha256``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("raw_sha256", sa.String(length=64), nullable=True))
        batch.alter_column("raw", existing_type=sa.LargeBinary(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("raw", existing_type=sa.LargeBinary(), nullable=False)
        batch.drop_column("raw_sha256")
