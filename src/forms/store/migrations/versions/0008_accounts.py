"""Accounts an admin can manage: an explicit all-agencies scope, disabling, a session version.

``all_agencies``: a clerk who sees every agency says so (before, a clerk without an agency saw every
agency silently). Existing clerks without an agency keep ``all_agencies`` false: they see nothing
until an admin gives them an agency or all agencies (``forms user set``); admins are unscoped by
role. ``disabled_at``: a disabled account cannot sign in and its sessions end. ``session_version``:
signed into every session cookie and raised by sign-out, disabling and password and role changes,
so that every earlier session of the account ends on the server, not only in the browser.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("all_agencies", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
        batch.drop_column("disabled_at")
        batch.drop_column("all_agencies")
