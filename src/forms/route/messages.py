"""Decision → the messages to send (DOMAIN "Decisions"). Pure: no I/O, no clock.

    routed        → agency_forward (agency inbox: summary, original PDF, decision.json)
                    + bank_receipt (reference number, contact deadline)
    rejected      → bank_rejection (each failure and what to fix)
    needs_review  → bank_review (the bank is told it is being checked; clerks hold the intake)
    duplicate     → nothing
    automatic     → nothing (a bounce, an out-of-office, list mail: RFC 3834)
    a clerk's rejection → bank_rejection with the clerk's points (:func:`clerk_rejection`)

Bank messages answer the original mail's From (In-Reply-To/References set); a fax or post intake
(``intake.channels``) is answered at the 金融機関E-mail on the form, never at a fax gateway; an intake
without a mail or a channel (a file from the CLI) gets no bank message. The mailroom's own answers carry
``Auto-Submitted: auto-replied`` and its forwards ``Auto-Submitted: auto-generated`` (RFC 3834 §5),
so that other responders do not answer them; a clerk's rejection is a person's answer and does not.
Subjects and bodies come from the operators' templates (``route.mail_templates``, documented in
``templates/README.md``), rendered with every value passed as data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from forms.deliver.message import build_message, valid_address, valid_message_id
from forms.errors import INFO_CODES, ConfigError
from forms.extract.carrier import file_type, forwarded_name, unpack_pages
from forms.intake.channels import FORM_ADDRESSED
from forms.intake.mime import safe_filename
from forms.jp.business_days import add_business_days
from forms.jp.wareki import wareki
from forms.ledger import CompanyKey, frame_for
from forms.model import (
    Decision,
    FieldValue,
    Mail,
    Outcome,
    OutgoingMessage,
    Reason,
    Status,
    extraction_to_json,
)
from forms.route.context import RouteContext
from forms.spec import FormSpec

_BANK_KIND = {
    Status.ROUTED: "bank_receipt",
    Status.REJECTED: "bank_rejection",
    Status.NEEDS_REVIEW: "bank_review",
}


class MailTexts(Protocol):
    """The mail templates (``route.mail_templates.MailTemplates``): (subject, body) of a kind."""

    def render(self, name: str, **context: Any) -> tuple[str, str]: ...


def _display(key: str, value: FieldValue, spec: FormSpec) -> str:
    fs = spec.fields.get(key)
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, dt.date):
        return wareki(value, weekday=False)
    if fs is not None and fs.type == "yen" and isinstance(value, int):
        return f"{value:,}円"
    if isinstance(value, int):
        return f"{value:,}"
    if fs is not None and fs.choices and isinstance(value, str):
        return fs.choices.get(value, value)
    return "" if value is None else str(value)


def summary_rows(fields: Mapping[str, FieldValue], spec: FormSpec) -> list[dict[str, str]]:
    """The filled fields in form order as ``{"key", "label", "value"}`` with Japanese display values."""
    rows = []
    for key, fs in spec.fields.items():
        value = fields.get(key)
        if value is None or value == "":
            continue
        rows.append({"key": key, "label": fs.label, "value": _display(key, value, spec)})
    return rows


def _reason_rows(reasons: tuple[Reason, ...], spec: FormSpec) -> list[dict[str, str]]:
    rows = []
    for r in reasons:
        label = ""
        if r.field:
            try:
                label = spec.label_of(r.field)
            except KeyError:
                label = r.field
        rows.append({"code": str(r.code), "field": r.field or "", "label": label, "message": r.message})
    return rows


def _agency_name(agency: str | None, ctx: RouteContext) -> str:
    if agency is None:
        return ""
    return ctx.agency_names.get(agency) or ctx.spec.fields["agency"].choices.get(agency, agency)


def form_files(pdf: tuple[str, bytes] | None, shape: str | None) -> list[tuple[str, str, bytes]]:
    """The 様式1's files as forwarded: (name, MIME type, bytes), both as its bytes call for (a TIFF named
    ``.pdf`` or sent as octet-stream goes on as ``.tif``, ``image/tiff``); the pictures of its pages
    one file each; none without a form."""
    if pdf is None:
        return []
    out = []
    for name, data in unpack_pages(pdf[1]) or [pdf]:
        content_type, suffix = file_type(data, shape, name or "")
        forwarded = safe_filename(forwarded_name(safe_filename(name or "youshiki1"), suffix))
        out.append((forwarded, content_type, data))
    return out


def _deadline(decision: Decision, ctx: RouteContext) -> dt.date | None:
    if decision.status is not Status.ROUTED or decision.agency not in ctx.contact_agencies:
        return None
    return add_business_days(ctx.received_on, ctx.contact_days)


def template_context(
    decision: Decision, mail: Mail | None, pdf: tuple[str, bytes] | None, ctx: RouteContext
) -> dict[str, Any]:
    """The variables every mail template gets (listed in templates/README.md)."""
    fields = decision.fields
    reasons = _reason_rows(decision.reasons, ctx.spec)
    deadline = _deadline(decision, ctx)
    return {
        "reference": ctx.reference,
        "status": str(decision.status),
        "received_on": wareki(ctx.received_on),
        "received_on_iso": ctx.received_on.isoformat(),
        "contact_deadline": wareki(deadline) if deadline else None,
        "contact_deadline_iso": deadline.isoformat() if deadline else None,
        "contact_days": ctx.contact_days,
        "agency": {"key": decision.agency or "", "name": _agency_name(decision.agency, ctx)},
        "company_name": fields.get("company_name") or "",
        "bank": {
            "name": fields.get("bank_name") or "",
            "branch": fields.get("bank_branch") or "",
            "officer": fields.get("bank_officer") or "",
            "address": bank_address(decision, mail, ctx) or "",
        },
        "reasons": [r for r in reasons if r["code"] not in INFO_CODES],
        "notes": [r for r in reasons if r["code"] in INFO_CODES],
        "summary": summary_rows(fields, ctx.spec),
        "fields": decision.to_json()["fields"],
        "pdf_name": "、".join(name for name, _, _ in form_files(pdf, decision.shape)),
        "original_subject": mail.subject if mail else "",
        "mailroom_address": ctx.mailroom_address,
    }


def bank_address(decision: Decision, mail: Mail | None, ctx: RouteContext) -> str | None:
    """Where the bank is answered (``intake.channels``): a fax or post intake at the 金融機関E-mail on the
    form — not when that field has a reason or is forwarded unsure (a clerk answers then) — any
    other at the original mail's From; never the mailroom itself."""
    if ctx.channel in FORM_ADDRESSED:
        on_form = decision.fields.get("bank_email")
        doubted = any(r.field == "bank_email" for r in decision.reasons) or "bank_email" in decision.unsure
        address = on_form.strip() if isinstance(on_form, str) and not doubted else ""
    else:
        address = (mail.from_addr or "").strip() if mail else ""
    if not valid_address(address) or address.lower() == ctx.mailroom_address.lower():
        return None
    return address


def _in_reply_to(mail: Mail | None, ctx: RouteContext) -> str | None:
    """The mail a bank message answers: the bank's own (a fax gateway's mail is not the bank's)."""
    if mail is None or ctx.channel in FORM_ADDRESSED or not mail.message_id:
        return None
    return mail.message_id if valid_message_id(mail.message_id) else None


def _agency_forward(
    decision: Decision,
    pdf: tuple[str, bytes] | None,
    ctx: RouteContext,
    variables: dict[str, Any],
    templates: MailTexts,
) -> OutgoingMessage:
    inbox = ctx.agency_addresses.get(decision.agency or "")
    if inbox is None or not valid_address(inbox):
        raise ConfigError(f"no valid inbox configured for agency {decision.agency!r}: {inbox!r}")
    subject, body = templates.render("agency_forward", **variables)
    decision_json = json.dumps(decision.to_json(), ensure_ascii=False, indent=2) + "\n"
    attachments = [("decision.json", "application/json", decision_json.encode("utf-8"))]
    attachments[:0] = form_files(pdf, decision.shape)
    automatic = (("Auto-Submitted", "auto-generated"),)  # made by the machine, not an answer to the agency
    return _outgoing(
        "agency_forward", ctx, (inbox,), subject, body, attachments=attachments, extra_headers=automatic
    )


def _outgoing(
    kind: str,
    ctx: RouteContext,
    recipients: tuple[str, ...],
    subject: str,
    body: str,
    *,
    in_reply_to: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    extra_headers: tuple[tuple[str, str], ...] = (),
) -> OutgoingMessage:
    message_id = ctx.message_id(kind)
    if not valid_address(ctx.mailroom_address):
        raise ConfigError(f"mailroom address is not a plain e-mail address: {ctx.mailroom_address!r}")
    raw = build_message(
        sender=ctx.mailroom_address,
        recipients=recipients,
        subject=subject,
        body=body,
        message_id=message_id,
        in_reply_to=in_reply_to,
        attachments=attachments or (),
        date=ctx.sent_at or ctx.received_at,
        extra_headers=(("X-Forms-Reference", ctx.reference), *extra_headers),
    )
    return OutgoingMessage(kind, message_id, recipients, ctx.mailroom_address, raw, subject)


def route(
    decision: Decision,
    mail: Mail | None,
    pdf: tuple[str, bytes] | None,
    ctx: RouteContext,
    templates: MailTexts,
) -> list[OutgoingMessage]:
    """The messages one decision sends (see the module text). Raises ConfigError when the routed
    agency has no inbox, TemplateError when a template fails to render."""
    if decision.status in (Status.DUPLICATE, Status.AUTOMATIC):  # automatic mail is never answered
        return []
    variables = template_context(decision, mail, pdf, ctx)
    out: list[OutgoingMessage] = []
    if decision.status is Status.ROUTED:
        out.append(_agency_forward(decision, pdf, ctx, variables, templates))
    bank = bank_address(decision, mail, ctx)
    kind = _BANK_KIND.get(decision.status)
    if bank is not None and kind is not None and (mail is not None or ctx.channel in FORM_ADDRESSED):
        subject, body = templates.render(kind, **variables)
        out.append(
            _outgoing(
                kind,
                ctx,
                (bank,),
                subject,
                body,
                in_reply_to=_in_reply_to(mail, ctx),
                extra_headers=(("Auto-Submitted", "auto-replied"),),
            )
        )
    return out


def clerk_rejection(
    decision: Decision,
    mail: Mail | None,
    pdf: tuple[str, bytes] | None,
    ctx: RouteContext,
    lines: Sequence[str],
    templates: MailTexts,
) -> list[OutgoingMessage]:
    """The bank's rejection mail with the clerk's points (one numbered point per line), as an answer
    to the bank's mail (a fax or post intake: at the bank's address on the form); none when the intake
    came without a mail or a bank address. Its Message-ID is its own (``<reference.clerk_rejection@…>``),
    so it is sent even when the worker's rejection went before."""
    bank = bank_address(decision, mail, ctx)
    if bank is None or (mail is None and ctx.channel not in FORM_ADDRESSED):
        return []
    variables = template_context(decision, mail, pdf, ctx)
    variables["reasons"] = [{"code": "", "field": "", "label": "", "message": s} for s in lines]
    subject, body = templates.render("bank_rejection", **variables)
    made = _outgoing("clerk_rejection", ctx, (bank,), subject, body, in_reply_to=_in_reply_to(mail, ctx))
    return [
        OutgoingMessage("bank_rejection", made.message_id, made.recipients, made.sender, made.raw, subject)
    ]


@dataclass(frozen=True)
class Routed:
    """A decision with all that recording it takes: the messages it sends, the company it grants a
    frame (a valid re-application), the reading kept for the clerks."""

    decision: Decision
    outgoing: tuple[OutgoingMessage, ...]
    frame_for: CompanyKey | None
    extraction: dict[str, Any] | None


def routed(
    outcome: Outcome, ctx: RouteContext, templates: MailTexts, capped_agencies: frozenset[str]
) -> Routed:
    """What the mailroom records for a machine's decision (a new intake, or a bulk reprocess)."""
    decision = outcome.decision
    messages = route(decision, outcome.mail, outcome.pdf, ctx, templates)
    reading = extraction_to_json(outcome.extraction) if outcome.extraction is not None else None
    return Routed(decision, tuple(messages), frame_for(decision, capped_agencies), reading)
