"""The clerks' review: accounts, the raw reading of each intake, the queue's columns and indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00.000000

``intakes.extraction`` keeps the values with their confidences as the readers gave them, so a clerk's
corrections and previews never read the PDF again. ``company_name``, ``bank_name`` and
``reason_codes`` copy what the clerks filter and search by out of the decision (filtered in SQL);
intakes decided before this revision get them from their stored decision here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW_COLUMNS = ("extraction", "company_name", "bank_name", "reason_codes", "handled_at", "handled_by")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("agency", sa.String(length=20), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    with op.batch_alter_table("intakes") as batch:
        batch.add_column(sa.Column("extraction", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("company_name", sa.Text(), nullable=True))
        batch.add_column(sa.Column("bank_name", sa.Text(), nullable=True))
        batch.add_column(sa.Column("reason_codes", sa.Text(), nullable=True))
        batch.add_column(sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("handled_by", sa.String(length=200), nullable=True))
    op.create_index("ix_intakes_received_at", "intakes", ["received_at"])
    op.create_index("ix_intakes_status_received_at", "intakes", ["status", "received_at"])
    _backfill()


def _backfill() -> None:
    """The queue's columns of intakes decided before this revision, from their stored decision."""
    intakes = sa.table(
        "intakes",
        sa.column("id", sa.Integer),
        sa.column("decision", sa.JSON),
        sa.column("company_name", sa.Text),
        sa.column("bank_name", sa.Text),
        sa.column("reason_codes", sa.Text),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(intakes.c.id, intakes.c.decision).where(intakes.c.decision.is_not(None)))
    for intake_id, decision in list(rows):
        conn.execute(sa.update(intakes).where(intakes.c.id == intake_id).values(**_columns(decision)))


def _columns(decision: Any) -> dict[str, str | None]:
    """The same as forms.store.review_queries.queue_columns (a migration does not import the app)."""
    fields = decision.get("fields") or {} if isinstance(decision, dict) else {}
    reasons = decision.get("reasons") or [] if isinstance(decision, dict) else []
    codes = [str(r.get("code")) for r in reasons if isinstance(r, dict) and r.get("code")]
    return {
        "company_name": _text(fields.get("company_name")),
        "bank_name": _text(fields.get("bank_name")),
        "reason_codes": f" {' '.join(codes)} " if codes else " ",
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def downgrade() -> None:
    op.drop_index("ix_intakes_status_received_at", table_name="intakes")
    op.drop_index("ix_intakes_received_at", table_name="intakes")
    with op.batch_alter_table("intakes") as batch:
        for name in reversed(_NEW_COLUMNS):
            batch.drop_column(name)
    op.drop_table("users")
