"""Issued 様式3: what was sent to which bank, when it is due, and when (and what) the bank answered.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "youshiki3_issued",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("corporate_number", sa.String(length=13), nullable=True),
        sa.Column("name_key", sa.Text(), nullable=True),
        sa.Column("postal_code", sa.String(length=16), nullable=True),
        sa.Column("company_name", sa.Text(), nullable=False),
        sa.Column("bank_name", sa.Text(), nullable=False),
        sa.Column("agency", sa.String(length=20), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("answer_source", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intakes.id"], name=op.f("fk_youshiki3_issued_intake_id_intakes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_youshiki3_issued")),
    )
    op.create_index(
        "ix_youshiki3_issued_company", "youshiki3_issued", ["corporate_number", "name_key", "postal_code"]
    )
    op.create_index("ix_youshiki3_issued_intake_id", "youshiki3_issued", ["intake_id"])
    op.create_index("ix_youshiki3_issued_open_due", "youshiki3_issued", ["answered_on", "due_on"])


def downgrade() -> None:
    op.drop_index("ix_youshiki3_issued_open_due", table_name="youshiki3_issued")
    op.drop_index("ix_youshiki3_issued_intake_id", table_name="youshiki3_issued")
    op.drop_index("ix_youshiki3_issued_company", table_name="youshiki3_issued")
    op.drop_table("youshiki3_issued")
