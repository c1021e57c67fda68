"""Documents mailed: issued 様式2 recorded (one row each, with its reference number), and each issued
様式3 with the reference number it prints and the addresses it was mailed to.

A returned 様式3 is matched to the one issued by that reference (in the subject of the bank's answer
and in the document); a 様式2 batch for a period skips the companies that have theirs already.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "youshiki2_issued",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("corporate_number", sa.String(length=13), nullable=True),
        sa.Column("name_key", sa.Text(), nullable=True),
        sa.Column("postal_code", sa.String(length=16), nullable=True),
        sa.Column("company_name", sa.Text(), nullable=False),
        sa.Column("agency", sa.String(length=20), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=True),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intakes.id"], name=op.f("fk_youshiki2_issued_intake_id_intakes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_youshiki2_issued")),
        sa.UniqueConstraint("reference", name=op.f("uq_youshiki2_issued_reference")),
    )
    op.create_index(
        "ix_youshiki2_issued_company", "youshiki2_issued", ["corporate_number", "name_key", "postal_code"]
    )
    op.create_index("ix_youshiki2_issued_period", "youshiki2_issued", ["agency", "period_from", "period_to"])
    with op.batch_alter_table("youshiki3_issued") as batch:
        batch.add_column(sa.Column("reference", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("recipients", sa.JSON(), nullable=True))
    op.create_index("ix_youshiki3_issued_reference", "youshiki3_issued", ["reference"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_youshiki3_issued_reference", table_name="youshiki3_issued")
    with op.batch_alter_table("youshiki3_issued") as batch:
        batch.drop_column("recipients")
        batch.drop_column("reference")
    op.drop_index("ix_youshiki2_issued_period", table_name="youshiki2_issued")
    op.drop_index("ix_youshiki2_issued_company", table_name="youshiki2_issued")
    op.drop_table("youshiki2_issued")
