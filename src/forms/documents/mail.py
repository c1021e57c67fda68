"""The mails that carry issued documents (DOMAIN "What goes out, to whom"). Pure: no I/O, no clock.

    様式2 ──youshiki2_mail──▶ to the company (its 担当者E-mail on 様式1, or the address a clerk gives);
                              scb: a copy (Cc) to the introducing bank
    様式3 ──youshiki3_mail──▶ to the bank officer (金融機関E-mail on 様式1); jetro's with 様式1 and
                              様式2 enclosed; the reference number in the subject, which the bank's
                              answer keeps (``Re: …``) and the returned 様式3 is matched by

Each mail's Message-ID is ``<reference.kind@domain>``: the same document is queued once however often
it is recorded. Subjects and bodies are the operators' templates (``templates/mail/<kind>.j2``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from forms.deliver.message import build_message, valid_address
from forms.documents.youshiki2 import Youshiki2
from forms.documents.youshiki3 import Youshiki3
from forms.errors import ConfigError
from forms.jp.wareki import wareki
from forms.model import OutgoingMessage
from forms.route.context import stable_message_id

CONTENT_TYPES: Mapping[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class MailTexts(Protocol):
    def render(self, name: str, **context: Any) -> tuple[str, str]: ...


@dataclass(frozen=True)
class Letterhead:
    """Who sends and how Message-IDs are made (the settings), and the Date of the mail."""

    sender: str
    message_id_domain: str
    sent_at: dt.datetime


#: An enclosed file: (file name, content type, bytes).
Enclosure = tuple[str, str, bytes]


def enclosure(name: str, content: bytes) -> Enclosure:
    """A document file as a mail attachment; the type from the file name's suffix."""
    suffix = name.rsplit(".", 1)[-1].lower()
    return name, CONTENT_TYPES.get(suffix, "application/octet-stream"), content


def _address(address: str, role: str) -> str:
    if not valid_address(address):
        raise ValueError(f"{role}: not a plain e-mail address: {address!r}")
    return address


def compose(
    kind: str,
    reference: str,
    head: Letterhead,
    to: str,
    cc: Sequence[str],
    texts: tuple[str, str],
    files: Sequence[Enclosure],
    extra_headers: Sequence[tuple[str, str]] = (),
) -> OutgoingMessage:
    """One message: ``texts`` (subject, body) to ``to`` with ``cc``, ``files`` attached, the Message-ID
    ``<reference.kind@domain>``; ``extra_headers`` e.g. Auto-Submitted."""
    if not valid_address(head.sender):
        raise ConfigError(f"mailroom address is not a plain e-mail address: {head.sender!r}")
    message_id = stable_message_id(reference, kind, head.message_id_domain)
    subject, body = texts
    copies = tuple(dict.fromkeys(c for c in cc if c.lower() != to.lower()))
    raw = build_message(
        sender=head.sender,
        recipients=(to,),
        cc=copies,
        subject=subject,
        body=body,
        message_id=message_id,
        attachments=files,
        date=head.sent_at,
        extra_headers=(("X-Forms-Reference", reference), *extra_headers),
    )
    return OutgoingMessage(kind, message_id, (to, *copies), head.sender, raw, subject)


def _names(files: Sequence[Enclosure]) -> list[str]:
    return [name for name, _, _ in files]


def youshiki2_mail(
    data: Youshiki2,
    *,
    to: str,
    files: Sequence[Enclosure],
    head: Letterhead,
    texts: MailTexts,
    cc: Sequence[str] = (),
) -> OutgoingMessage:
    """The 様式2 ``data`` to ``to`` (the company), ``cc`` (scb: the bank), with ``files`` attached.
    ValueError for an address of the wrong shape."""
    _address(to, "様式2の送付先")
    for c in cc:
        _address(c, "様式2の写しの送付先")
    context = {
        "reference": data.reference,
        "issuer": data.issuer,
        "company": data.company,
        "bank": data.bank,
        "issued_on": wareki(data.issued_on),
        "period_from": wareki(data.period_from),
        "period_to": wareki(data.period_to),
        "rows": len(data.rows),
        "total": f"{data.total:,}円",
        "remaining": f"{data.remaining:,}円",
        "copy_to_bank": bool(cc),
        "files": _names(files),
    }
    made = texts.render("youshiki2", **context)
    return compose("youshiki2", data.reference, head, to, cc, made, files)


def youshiki3_mail(
    data: Youshiki3,
    *,
    to: str,
    files: Sequence[Enclosure],
    head: Letterhead,
    texts: MailTexts,
) -> OutgoingMessage:
    """The 様式3 ``data`` to the bank officer ``to``, with ``files`` (the 様式3, and for jetro 様式1
    and 様式2) attached. ValueError for an address of the wrong shape."""
    _address(to, "様式3の送付先")
    context = {
        "reference": data.reference,
        "issuer": data.issuer,
        "company": data.company,
        "bank": data.bank,
        "issued_on": wareki(data.issued_on),
        "due_on": wareki(data.due_on),
        "enclosures": list(data.enclosures),
        "files": _names(files),
    }
    made = texts.render("youshiki3", **context)
    return compose("youshiki3", data.reference, head, to, (), made, files)
