"""Automatic mail: the SMTP envelope kept with each intake, and bounces recorded on the outbox.

``intakes.envelope_from`` / ``envelope_to`` are the MAIL FROM ('' for the null reverse-path) and RCPT
TOs a mail was received with over SMTP (None for Maildir, IMAP and files; rows before this revision
too). ``outbox.return_token`` names a message in its return path (``deliver.returns``; rows queued
before have none and are sent from the plain address); ``bounced_at``, ``bounce_status`` and
``bounce_diagnostic`` are set when a delivery report says the message failed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intakes") as batch:
        batch.add_column(sa.Column("envelope_from", sa.Text(), nullable=True))
        batch.add_column(sa.Column("envelope_to", sa.Text(), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("return_token", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("bounce_status", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("bounce_diagnostic", sa.Text(), nullable=True))
        batch.create_unique_constraint(op.f("uq_outbox_return_token"), ["return_token"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("uq_outbox_return_token"), type_="unique")
        for name in ("bounce_diagnostic", "bounce_status", "bounced_at", "return_token"):
            batch.drop_column(name)
    with op.batch_alter_table("intakes") as batch:
        batch.drop_column("envelope_to")
        batch.drop_column("envelope_from")
