"""The tables of the store (SQLAlchemy Core). The migrations in ``migrations/versions`` create them;
a test checks that the migrated database and this metadata agree.

Timestamps are timezone-aware UTC in Python (:class:`UtcDateTime`); SQLite, which has no time zone,
stores them as UTC text of one fixed format, so comparing them as text compares instants.
Amounts are integer yen (BIGINT), never floats.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.sql.expression import false
from sqlalchemy.types import TypeDecorator

UTC = dt.UTC

#: Constraint names fixed by convention, so migrations and metadata name them alike.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """An aware datetime, stored as UTC; naive datetimes are refused (they are a bug, not data)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError(f"a timezone-aware datetime is required, not {value!r}")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _company_key() -> list[Column[Any]]:
    """A company: its 法人番号, else (個人事業者) normalised name + postal code (forms.ledger.CompanyKey)."""
    return [
        Column("corporate_number", String(13)),
        Column("name_key", Text),
        Column("postal_code", String(16)),
    ]


blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

intakes = Table(
    "intakes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("spool_id", String(200), nullable=False, unique=True),
    Column("channel", String(20), nullable=False),
    Column("source", Text),
    Column("mailbox", String(200)),
    Column("imap_uidvalidity", BigInteger),
    Column("imap_uid", BigInteger),
    Column("sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    # received → processing → decided | failed; a clerk's retry puts it back to received
    Column("state", String(20), nullable=False),
    Column("claimed_by", String(200)),
    Column("lease_until", UtcDateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    # the decision (model.Decision.to_json) and the keys that find duplicates
    Column("status", String(20)),
    Column("agency", String(20)),
    Column("reference", String(40)),
    Column("decision", JSON),
    Column("message_id", Text),
    Column("sender", Text),
    Column("form_sha256", String(64)),
    Column("decided_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # the review queue (0002): the raw reading as the readers gave it (values with confidences), the
    # decision's columns the clerks filter and search by, and whether a clerk has dealt with it
    Column("extraction", JSON),
    Column("company_name", Text),
    Column("bank_name", Text),
    Column("reason_codes", Text),  # " CODE CODE " (spaces around each), so LIKE '% CODE %' finds one
    Column("handled_at", UtcDateTime),
    Column("handled_by", String(200)),
    # (0007) the agency reached the company (DOMAIN rule 11): who marked it, when
    Column("contacted_at", UtcDateTime),
    Column("contacted_by", String(200)),
    # (0009) the SMTP envelope as received: MAIL FROM ('' for the null reverse-path <>) and the
    # RCPT TOs; None when the mail came another way (Maildir, IMAP, a file)
    Column("envelope_from", Text),
    Column("envelope_to", Text),
    UniqueConstraint("mailbox", "imap_uidvalidity", "imap_uid", name="uq_intakes_imap"),
    Index("ix_intakes_state_id", "state", "id"),
    Index("ix_intakes_message_id", "message_id"),
    Index("ix_intakes_sender_form", "sender", "form_sha256"),
    Index("ix_intakes_status", "status"),
    Index("ix_intakes_received_at", "received_at"),
    Index("ix_intakes_status_received_at", "status", "received_at"),
    Index("ix_intakes_reference", "reference"),
)

#: Clerk and admin accounts of the console (0002); passwords as argon2id hashes only.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("agency", String(20)),  # a clerk's scope: only this agency's intakes
    Column("password_hash", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # (0008) a clerk who sees every agency says so; without it and without an agency, a clerk sees nothing
    Column("all_agencies", Boolean, nullable=False, server_default=false()),
    Column("disabled_at", UtcDateTime),  # a disabled account cannot sign in; its sessions end
    Column("session_version", Integer, nullable=False, server_default="0"),  # raised to end sessions
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("intake_id", Integer, ForeignKey("intakes.id")),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("detail", JSON),
    Index("ix_events_intake_id", "intake_id", "id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("intake_id", Integer, ForeignKey("intakes.id")),
    Column("kind", String(40), nullable=False),
    Column("message_id", String(400), nullable=False, unique=True),
    Column("recipients", JSON, nullable=False),
    Column("sender", Text, nullable=False),
    # the message's bytes: in blobs by sha256 (0004); rows queued before 0004 hold them in ``raw``
    Column("raw", LargeBinary),
    Column("raw_sha256", String(64)),
    # pending → sending → sent | (pending again, attempts+1) | dead; a clerk requeues a dead letter;
    # a delivery report that it failed makes it 'bounced' (whatever it was)
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("claimed_by", String(200)),
    Column("lease_until", UtcDateTime),
    Column("sent_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    # (0006) queued, or requeued by a clerk: the outbox gives up that long after (deliver.retry);
    # the first hand-over that got no answer after the final dot (it may have been delivered)
    Column("queued_at", UtcDateTime, nullable=False),
    Column("unconfirmed_at", UtcDateTime),
    # (0009) the token of its return path (deliver.returns: a bounce names the message), and, when a
    # delivery report said it failed ('bounced'), the report's Status and Diagnostic-Code
    Column("return_token", String(40), unique=True),
    Column("bounced_at", UtcDateTime),
    Column("bounce_status", String(20)),
    Column("bounce_diagnostic", Text),
    Index("ix_outbox_state_due", "state", "next_attempt_at"),
    Index("ix_outbox_intake_id", "intake_id"),
)

reference_counters = Table(
    "reference_counters",
    metadata,
    Column("prefix", String(20), primary_key=True),
    Column("counter", BigInteger, nullable=False),
)

corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("intake_id", Integer, ForeignKey("intakes.id"), nullable=False),
    Column("field", String(100), nullable=False),
    Column("value", JSON),
    Column("actor", String(200), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_corrections_intake_id", "intake_id"),
)

supports = Table(
    "supports",
    metadata,
    Column("id", Integer, primary_key=True),
    *_company_key(),
    Column("agency", String(20), nullable=False),
    Column("date", Date, nullable=False),
    Column("service", Text, nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("cost_excl_tax", BigInteger, nullable=False),
    Column("tax", BigInteger, nullable=False, default=0),
    Index("ix_supports_company", "corporate_number", "name_key", "postal_code"),
)

loans = Table(
    "loans",
    metadata,
    Column("id", Integer, primary_key=True),
    *_company_key(),
    Column("date", Date, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("menu", Text, nullable=False, default=""),
    Index("ix_loans_company", "corporate_number", "name_key", "postal_code"),
)

frames = Table(
    "frames",
    metadata,
    Column("id", Integer, primary_key=True),
    *_company_key(),
    Column("date", Date, nullable=False),
    # the routed re-application that granted it: one frame per intake, however often it is retried
    Column("intake_id", Integer, ForeignKey("intakes.id"), unique=True),
    Index("ix_frames_company", "corporate_number", "name_key", "postal_code"),
)

#: Issued 様式3 (0003): one row per 様式3 sent to a bank; ``answered_on`` is set when the bank's filled
#: 様式3 comes back (``answer``: what it said, ``answer_source``: the returned mail's Message-ID).
youshiki3_issued = Table(
    "youshiki3_issued",
    metadata,
    Column("id", Integer, primary_key=True),
    *_company_key(),
    Column("company_name", Text, nullable=False),
    Column("bank_name", Text, nullable=False, default=""),
    Column("agency", String(20), nullable=False),
    Column("intake_id", Integer, ForeignKey("intakes.id")),  # the routed 様式1 it was made from
    Column("issued_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("files", JSON, nullable=False),
    Column("answered_on", Date),
    Column("answer", JSON),
    Column("answer_source", Text),
    Column("created_at", UtcDateTime, nullable=False),
    # (0005) the reference number it prints (R8-Y3-000007), which matches the bank's answer to it,
    # and the addresses it was mailed to (None: handed out, not mailed)
    Column("reference", String(40)),
    Column("recipients", JSON),
    Index("ix_youshiki3_issued_company", "corporate_number", "name_key", "postal_code"),
    Index("ix_youshiki3_issued_intake_id", "intake_id"),
    Index("ix_youshiki3_issued_open_due", "answered_on", "due_on"),
    Index("ix_youshiki3_issued_reference", "reference", unique=True),
)

#: Issued 様式2 (0005): one row per 様式2 issued, with its reference number (R8-Y2-000003), the
#: period it reports and the addresses it was mailed to (empty: written to files only).
youshiki2_issued = Table(
    "youshiki2_issued",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(40), nullable=False, unique=True),
    *_company_key(),
    Column("company_name", Text, nullable=False),
    Column("agency", String(20), nullable=False),
    Column("intake_id", Integer, ForeignKey("intakes.id")),  # the routed 様式1 that named the company
    Column("period_from", Date, nullable=False),
    Column("period_to", Date, nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("files", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_youshiki2_issued_company", "corporate_number", "name_key", "postal_code"),
    Index("ix_youshiki2_issued_period", "agency", "period_from", "period_to"),
)

#: The scheduler's notices (0007): one row per key (``youshiki3_reminder:R8-Y3-000007``,
#: ``contact_digest:jetro:2027-01-05``), written with the message it queued: sent once.
notices = Table(
    "notices",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("intake_id", Integer, ForeignKey("intakes.id")),
    Column("message_id", String(400), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

#: The agencies' API tokens (0010): only a token's SHA-256 is kept.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("agency", String(20), nullable=False),
    Column("label", Text, nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("revoked_by", String(200)),
)

#: The API's rate limit (0011): a token bucket per key (``token:7``, ``ip:192.0.2.1``) shared by every
#: process over the store. ``credit`` counts 1/60 000 of a request, so that a bucket filling at
#: ``per_minute`` requests a minute gains exactly ``per_minute`` a millisecond (integers throughout).
api_rate_limits = Table(
    "api_rate_limits",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("credit", BigInteger, nullable=False),
    Column("at_ms", BigInteger, nullable=False),  # when credit was counted (Unix time, milliseconds)
    Column("granted", Boolean, nullable=False),  # whether the last request counted was let through
    Index("ix_api_rate_limits_at_ms", "at_ms"),
)

#: The values earlier intakes made known (0012, ``correspondents``): a bank's e-mail address (company
#: ''), a company's name and contact address under its 法人番号 — each as compared (NFKC, no spaces, an
#: address in lower case), with the intake that first gave it. A delivery report that a message to an
#: address failed marks it ``bounced_at``: known no more (rows are never deleted).
correspondents = Table(
    "correspondents",
    metadata,
    Column("kind", String(20), primary_key=True),
    Column("company", String(20), primary_key=True),
    Column("value", String(400), primary_key=True),
    Column("intake_id", Integer, ForeignKey("intakes.id")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("bounced_at", UtcDateTime),
)
