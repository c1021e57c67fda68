"""What a delivery or disposition report says (RFC 3464, RFC 6522, RFC 8098), read from its bytes. Pure.

A delivery status notification is ``multipart/report; report-type=delivery-status``: a text for
people, a ``message/delivery-status`` part — one block of per-message fields (Reporting-MTA,
Original-Envelope-Id …), then one block per recipient (Final-Recipient, Original-Recipient, Action,
Status, Diagnostic-Code …) — and the message it is about, whole (``message/rfc822``) or its header
only (``text/rfc822-headers``). A read receipt names its message in Original-Message-ID.

:func:`read_report` takes what is there and never raises: a broken report gives what could be read
(perhaps nothing). Every value is bounded; at most ``MAX_RECIPIENTS`` recipients are read.
"""

from __future__ import annotations

import email
import email.parser
import email.policy
import re
from dataclasses import dataclass
from email.message import Message

from forms.intake.mime import decode_words

MAX_RECIPIENTS = 100
_MAX_VALUE = 500
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")
_STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")
_RETURNED_TYPES = ("message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers")
_DISPOSITION_TYPES = ("message/disposition-notification", "message/global-disposition-notification")


@dataclass(frozen=True)
class RecipientStatus:
    """One recipient's block of a delivery status notification (values as written, bounded)."""

    final_recipient: str | None  # the address, its type ("rfc822;") taken off
    original_recipient: str | None
    action: str | None  # failed, delayed, delivered, relayed, expanded (lower-case)
    status: str | None  # 5.1.1; None when the field is missing or not of that shape
    diagnostic_code: str | None  # "smtp; 550 5.1.1 …" unfolded

    @property
    def failed(self) -> bool:
        return self.action == "failed"

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(a for a in (self.original_recipient, self.final_recipient) if a)


@dataclass(frozen=True)
class Report:
    report_type: str
    original_envelope_id: str | None = None
    recipients: tuple[RecipientStatus, ...] = ()
    #: the Message-IDs of the message it reports on: of the returned message or header, or the
    #: read receipt's Original-Message-ID (usually one; a confused report may name several)
    message_ids: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[RecipientStatus, ...]:
        return tuple(r for r in self.recipients if r.failed)


def read_report(data: bytes) -> Report:
    """The report in ``data`` (a whole mail); an empty Report when there is none to read."""
    try:
        message = email.message_from_bytes(data, policy=email.policy.compat32)
        report_type = str(message.get_param("report-type", "", header="content-type") or "").lower()
        return _read(message, report_type[:_MAX_VALUE])
    except Exception:  # the email package raises many types on hostile structures
        return Report(report_type="")


def _read(message: Message, report_type: str) -> Report:
    envelope_id: str | None = None
    recipients: list[RecipientStatus] = []
    message_ids: list[str] = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in _STATUS_TYPES:
            blocks = _blocks(part)
            if blocks:
                envelope_id = envelope_id or _field(blocks[0], "original-envelope-id")
                recipients += [_recipient(b) for b in blocks[1:] if _field(b, "final-recipient")]
        elif content_type in _RETURNED_TYPES:
            message_ids += _ids(_returned_header(part, "message-id"))
        elif content_type in _DISPOSITION_TYPES:
            for block in _blocks(part):
                message_ids += _ids(_field(block, "original-message-id"))
    unique = tuple(dict.fromkeys(message_ids))
    return Report(report_type, envelope_id, tuple(recipients[:MAX_RECIPIENTS]), unique[:10])


def _blocks(part: Message) -> list[Message]:
    """The header blocks of a status or disposition part, parsed by the email package or, when it left
    the part as text (the global-* types), here."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [b for b in payload if isinstance(b, Message)][: MAX_RECIPIENTS + 1]
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(payload or "")
    chunks = re.split(r"\r?\n\s*\r?\n", text.strip())[: MAX_RECIPIENTS + 1]
    return [email.parser.HeaderParser(policy=email.policy.compat32).parsestr(c) for c in chunks]


def _returned_header(part: Message, name: str) -> str | None:
    """A header field of the returned message (a message/rfc822 part) or header (text/rfc822-headers)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        inner = payload[0] if payload and isinstance(payload[0], Message) else None
        return None if inner is None else _field(inner, name)
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(payload or "")
    return _field(email.parser.HeaderParser(policy=email.policy.compat32).parsestr(text), name)


def _field(block: Message, name: str) -> str | None:
    value = block.get(name)
    if value is None:
        return None
    text = " ".join(decode_words(str(value)).split())
    return text[:_MAX_VALUE] or None


def _address(value: str | None) -> str | None:
    """``rfc822; a@b.example`` → ``a@b.example`` (lower-case, brackets off)."""
    if not value:
        return None
    address = value.split(";", 1)[1] if ";" in value else value
    return address.strip().strip("<>").strip().lower() or None


def _recipient(block: Message) -> RecipientStatus:
    status = (_field(block, "status") or "").split(" ", 1)[0]
    return RecipientStatus(
        final_recipient=_address(_field(block, "final-recipient")),
        original_recipient=_address(_field(block, "original-recipient")),
        action=(_field(block, "action") or "").split(" ", 1)[0].lower() or None,
        status=status if _STATUS.match(status) else None,
        diagnostic_code=_field(block, "diagnostic-code"),
    )


def _ids(value: str | None) -> list[str]:
    return _MESSAGE_ID.findall(value or "")[:10]
