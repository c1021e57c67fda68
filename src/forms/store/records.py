"""The values the store takes and gives: frozen dataclasses, no SQL types leak out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ClaimedIntake:
    """An intake a worker now holds: the original bytes and what is known of where they came from."""

    id: int
    data: bytes
    channel: str
    source: str | None
    received_at: dt.datetime
    attempts: int
    spool_id: str
    sha256: str
    #: a clerk's corrections of the 様式1's fields, when the intake is retried (the latest per field)
    corrections: Mapping[str, Any] = field(default_factory=dict)
    envelope_from: str | None = None  # SMTP MAIL FROM ('' for <>); None when not received over SMTP
    envelope_to: str | None = None  # SMTP RCPT TOs, comma-separated


@dataclass(frozen=True)
class NewIntake:
    """An intake as the spool hands it to the store (``Store.add_intakes``)."""

    data: bytes
    channel: str
    received_at: dt.datetime
    spool_id: str
    source: str | None = None
    mailbox: str | None = None
    imap_uidvalidity: int | None = None
    imap_uid: int | None = None
    envelope_from: str | None = None
    envelope_to: str | None = None


@dataclass(frozen=True)
class IntakeRow:
    """Everything about one intake, including its decision (as ``Decision.to_json`` gave it)."""

    id: int
    spool_id: str
    channel: str
    source: str | None
    mailbox: str | None
    imap_uidvalidity: int | None
    imap_uid: int | None
    sha256: str
    received_at: dt.datetime
    state: str
    claimed_by: str | None
    lease_until: dt.datetime | None
    attempts: int
    last_error: str | None
    status: str | None
    agency: str | None
    reference: str | None
    decision: Mapping[str, Any] | None
    message_id: str | None
    sender: str | None
    form_sha256: str | None
    decided_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    contacted_at: dt.datetime | None = None  # the agency reached the company (0007)
    contacted_by: str | None = None
    envelope_from: str | None = None  # SMTP MAIL FROM ('' for <>); None when not received over SMTP
    envelope_to: str | None = None


@dataclass(frozen=True)
class EventRow:
    id: int
    intake_id: int | None
    at: dt.datetime
    kind: str
    actor: str
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class OutboxItem:
    id: int
    intake_id: int | None
    kind: str
    message_id: str
    recipients: tuple[str, ...]
    sender: str
    raw: bytes
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    claimed_by: str | None = None
    lease_until: dt.datetime | None = None
    queued_at: dt.datetime | None = None  # queued, or requeued by a clerk (deliver.retry gives up after)
    unconfirmed_at: dt.datetime | None = None  # a hand-over got no answer after the final dot
    return_token: str | None = None  # names the message in its return path (deliver.returns)
    bounced_at: dt.datetime | None = None  # a delivery report said it failed: its Status, Diagnostic-Code
    bounce_status: str | None = None
    bounce_diagnostic: str | None = None


def intake_row(m: Mapping[str, Any]) -> IntakeRow:
    return IntakeRow(**{name: m[name] for name in IntakeRow.__dataclass_fields__})


def claimed_intake(m: Mapping[str, Any], corrections: Mapping[str, Any]) -> ClaimedIntake:
    values = {name: m[name] for name in ClaimedIntake.__dataclass_fields__ if name != "corrections"}
    return ClaimedIntake(**values, corrections=corrections)


def event_row(m: Mapping[str, Any]) -> EventRow:
    return EventRow(m["id"], m["intake_id"], m["at"], m["kind"], m["actor"], m["detail"] or {})


def outbox_item(m: Mapping[str, Any]) -> OutboxItem:
    values = {name: m[name] for name in OutboxItem.__dataclass_fields__}
    values["recipients"] = tuple(values["recipients"])
    return OutboxItem(**values)
