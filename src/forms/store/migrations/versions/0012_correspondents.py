"""The values earlier intakes made known (``forms.correspondents``): a bank's e-mail address, a company's
name and contact address under its 法人番号, evidence for a later fax or scan that reads them exactly.
Filled from the decisions already recorded (routed or rejected, the value certain).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 15:00:00.000000
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from forms.correspondents import known_from

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "correspondents",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("company", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=400), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intakes.id"], name=op.f("fk_correspondents_intake_id_intakes")
        ),
        sa.PrimaryKeyConstraint("kind", "company", "value", name=op.f("pk_correspondents")),
    )
    rows = op.get_bind().execute(
        sa.text("SELECT id, decision FROM intakes WHERE status IN ('routed', 'rejected') ORDER BY id")
    )
    now, known = dt.datetime.now(dt.UTC), {}
    for intake_id, decision in rows:
        data = json.loads(decision) if isinstance(decision, str) else decision or {}
        for value in known_from(data):
            known.setdefault((value.kind, value.company, value.value), intake_id)
    op.bulk_insert(
        table,
        [
            {"kind": k, "company": c, "value": v, "intake_id": i, "created_at": now, "bounced_at": None}
            for (k, c, v), i in known.items()
        ],
    )


def downgrade() -> None:
    op.drop_table("correspondents")
