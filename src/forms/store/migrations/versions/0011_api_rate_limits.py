"""The API's rate limit kept in the store: a token bucket per key, shared by every process (uvicorn
workers, the console beside ``forms serve``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_rate_limits",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_api_rate_limits")),
    )
    op.create_index("ix_api_rate_limits_at_ms", "api_rate_limits", ["at_ms"])


def downgrade() -> None:
    op.drop_index("ix_api_rate_limits_at_ms", table_name="api_rate_limits")
    op.drop_table("api_rate_limits")
