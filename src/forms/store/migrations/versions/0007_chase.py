"""Deadlines chased: an intake's "contacted" mark (the agency reached the company, DOMAIN rule 11), and
the notices the scheduler sent (a 様式3 reminder, an agency's morning digest), one row per key, so that
nothing is sent twice however often the scheduler runs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intakes") as batch:
        batch.add_column(sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("contacted_by", sa.String(length=200), nullable=True))
    op.create_index("ix_intakes_reference", "intakes", ["reference"])
    op.create_table(
        "notices",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.String(length=400), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["intake_id"], ["intakes.id"], name=op.f("fk_notices_intake_id_intakes")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_notices")),
    )


def downgrade() -> None:
    op.drop_table("notices")
    op.drop_index("ix_intakes_reference", table_name="intakes")
    with op.batch_alter_table("intakes") as batch:
        batch.drop_column("contacted_by")
        batch.drop_column("contacted_at")
