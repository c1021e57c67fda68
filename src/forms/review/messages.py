"""The mail a clerk's rejection sends: the bank_rejection template with the clerk's points in place of
the reasons. Pure: decision, original and context in, the message to queue out."""

from __future__ import annotations

from collections.abc import Sequence

from forms.deliver.message import build_message, valid_address, valid_message_id
from forms.model import Decision
from forms.review.original import Original
from forms.route.messages import MailTemplates, RouteContext, template_context
from forms.store import OutgoingRecord


def clerk_rejection(
    decision: Decision, orig: Original, ctx: RouteContext, lines: Sequence[str], templates: MailTemplates
) -> list[OutgoingRecord]:
    """The bank's rejection mail with the clerk's points (one numbered point per line), as an answer
    to the bank's mail; none when the intake came without a mail. Its Message-ID is its own
    (``<reference.clerk_rejection@…>``), so it is sent even when the worker's rejection went before."""
    mail = orig.mail
    bank = (mail.from_addr or "").strip() if mail else ""
    if mail is None or not valid_address(bank) or bank.lower() == ctx.mailroom_address.lower():
        return []
    variables = template_context(decision, mail, orig.pdf, ctx)
    variables["reasons"] = [{"code": "", "field": "", "label": "", "message": s} for s in lines]
    subject, body = templates.render("bank_rejection", **variables)
    message_id = ctx.message_id("clerk_rejection")
    raw = build_message(
        sender=ctx.mailroom_address,
        recipients=(bank,),
        subject=subject,
        body=body,
        message_id=message_id,
        in_reply_to=mail.message_id if mail.message_id and valid_message_id(mail.message_id) else None,
        date=ctx.sent_at,
        extra_headers=(("X-Forms-Reference", ctx.reference),),
    )
    return [OutgoingRecord("bank_rejection", message_id, (bank,), ctx.mailroom_address, raw)]
