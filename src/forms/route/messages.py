"""Decision → the messages to send (DOMAIN "Decisions", issue 3 "Mailroom"). Pure: no I/O, no clock.

    routed        → agency_forward (agency inbox: summary, original PDF, decision.json)
                    + bank_receipt (reference number, contact deadline)
    rejected      → bank_rejection (each failure and what to fix)
    needs_review  → bank_review (the bank is told it is being checked; clerks hold the intake)
    duplicate     → nothing

Bank messages answer the original mail's From (In-Reply-To/References set); an intake without a
mail (a PDF from the CLI) gets no bank message. Subjects and bodies are Jinja templates edited by
operators (``templates/mail/*.j2``, documented in ``templates/README.md``), rendered in a sandbox
with every value passed as data: a field holding ``{{ 7*7 }}`` is printed as written.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from forms.deliver.message import build_message, valid_address, valid_message_id
from forms.errors import INFO_CODES, ConfigError, TemplateError
from forms.intake.mime import safe_filename
from forms.jp.business_days import add_business_days
from forms.jp.wareki import JST, wareki
from forms.model import Decision, FieldValue, Mail, Reason, Status
from forms.spec import FormSpec, load_spec

#: The messages route() can build, each with its template ``templates/mail/<kind>.j2``.
KINDS: tuple[str, ...] = ("agency_forward", "bank_receipt", "bank_rejection", "bank_review")
_BANK_KIND = {
    Status.ROUTED: "bank_receipt",
    Status.REJECTED: "bank_rejection",
    Status.NEEDS_REVIEW: "bank_review",
}
_BLOCKS = ("subject", "body")
_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")


# -- templates ------------------------------------------------------------------------------------


def _none_as_blank(value: Any) -> Any:
    return "" if value is None else value


def _template_line(exc: BaseException, template: jinja2.Template) -> int | None:
    """The template line an error was raised at: the last traceback frame in the template's
    compiled code, mapped back through Jinja's debug info."""
    line = getattr(exc, "lineno", None)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == template.filename]
    if line is None and frames and frames[-1].lineno is not None:
        line = template.get_corresponding_lineno(frames[-1].lineno)
    return line


class MailTemplates:
    """The mail templates of one folder, compiled once: ``<kind>.j2`` with a ``subject`` and a
    ``body`` block each. Sandboxed, StrictUndefined (an unknown variable is an error naming file and
    line), no autoescape (plain text), ``None`` printed as blank."""

    def __init__(self, env: SandboxedEnvironment, templates: Mapping[str, jinja2.Template]) -> None:
        self._env = env
        self._templates = dict(templates)

    @classmethod
    def load(cls, folder: Path) -> MailTemplates:
        """Compile every ``*.j2`` in ``folder``; raise TemplateError for a missing or broken one."""
        env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(str(folder), encoding="utf-8"),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=_none_as_blank,
            auto_reload=False,
        )
        names = sorted({p.stem for p in Path(folder).glob("*.j2")} | set(KINDS))
        templates: dict[str, jinja2.Template] = {}
        for name in names:
            path = Path(folder) / f"{name}.j2"
            try:
                template = env.get_template(f"{name}.j2")
            except jinja2.TemplateNotFound as exc:
                raise TemplateError(f"{path}: template missing") from exc
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(f"{exc.filename or path}:{exc.lineno}: {exc.message}") from exc
            except (OSError, UnicodeDecodeError) as exc:
                raise TemplateError(f"{path}: cannot read: {exc}") from exc
            missing = [b for b in _BLOCKS if b not in template.blocks]
            if missing:
                raise TemplateError(
                    f"{path}: no {{% block {missing[0]} %}} (each mail needs subject and body)"
                )
            templates[name] = template
        return cls(env, templates)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._templates))

    def render(self, name: str, **context: Any) -> tuple[str, str]:
        """(subject, body): the subject on one line, the body with one final newline."""
        template = self._templates.get(name)
        if template is None:
            raise TemplateError(f"{name}.j2: no such template (have {', '.join(self.names)})")
        try:
            subject = self._block(template, "subject", context)
            body = self._block(template, "body", context)
        except jinja2.TemplateError as exc:
            line = _template_line(exc, template)
            where = f"{template.filename}:{line}" if line else str(template.filename)
            raise TemplateError(f"{where}: {exc}") from exc
        return " ".join(subject.split()), body.strip("\n") + "\n"

    def _block(self, template: jinja2.Template, block: str, context: Mapping[str, Any]) -> str:
        render_block: Callable[[Any], Any] = template.blocks[block]
        return "".join(render_block(template.new_context(dict(context))))


# -- routing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteContext:
    """Everything route() needs besides the decision; built by the mailroom from settings.

    ``agency_addresses`` maps agency key → inbox (the rulebook's real inboxes only when an operator
    configured SMTP; tests use example.jp). ``contact_agencies`` are the agencies bound to the
    contact deadline (rulebook ``contact_sla.agencies``). ``sent_at`` is the Date of the messages
    (default ``received_at``, so the same inputs give the same bytes).
    """

    reference: str
    received_at: dt.datetime
    mailroom_address: str
    agency_addresses: Mapping[str, str]
    message_id_domain: str
    contact_days: int = 7
    contact_agencies: frozenset[str] = frozenset({"jetro", "scb"})
    agency_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    sent_at: dt.datetime | None = None
    spec: FormSpec = field(default_factory=load_spec)

    def message_id(self, kind: str) -> str:
        """``<reference.kind@domain>``, characters not allowed in a Message-ID replaced by '-'."""
        reference = _NOT_ATEXT.sub("-", self.reference).strip(".") or "unknown"
        domain = _NOT_ATEXT.sub("-", self.message_id_domain).strip(".")
        message_id = f"<{reference}.{kind}@{domain}>"
        if not valid_message_id(message_id):
            raise ConfigError(f"message_id_domain {self.message_id_domain!r} gives no valid Message-ID")
        return message_id

    @property
    def received_on(self) -> dt.date:
        when = self.received_at
        return (when.astimezone(JST) if when.tzinfo else when).date()


@dataclass(frozen=True)
class Outgoing:
    """One message to send, finished: the store records it, a transport sends ``raw``."""

    kind: str
    message_id: str
    sender: str
    recipients: tuple[str, ...]
    raw: bytes
    subject: str = ""


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


def _pdf_name(pdf: tuple[str, bytes] | None) -> str:
    if pdf is None:
        return ""
    name = safe_filename(pdf[0] or "")
    return name if name.lower().endswith(".pdf") else safe_filename(name.removesuffix(".bin") + ".pdf")


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
            "address": _bank_address(mail, ctx) or "",
        },
        "reasons": [r for r in reasons if r["code"] not in INFO_CODES],
        "notes": [r for r in reasons if r["code"] in INFO_CODES],
        "summary": summary_rows(fields, ctx.spec),
        "fields": decision.to_json()["fields"],
        "pdf_name": _pdf_name(pdf),
        "original_subject": mail.subject if mail else "",
        "mailroom_address": ctx.mailroom_address,
    }


def _bank_address(mail: Mail | None, ctx: RouteContext) -> str | None:
    """The original mail's From, when it is a plain address and not the mailroom itself."""
    address = (mail.from_addr or "").strip() if mail else ""
    if not valid_address(address) or address.lower() == ctx.mailroom_address.lower():
        return None
    return address


def _agency_forward(
    decision: Decision,
    pdf: tuple[str, bytes] | None,
    ctx: RouteContext,
    variables: dict[str, Any],
    templates: MailTemplates,
) -> Outgoing:
    inbox = ctx.agency_addresses.get(decision.agency or "")
    if inbox is None or not valid_address(inbox):
        raise ConfigError(f"no valid inbox configured for agency {decision.agency!r}: {inbox!r}")
    subject, body = templates.render("agency_forward", **variables)
    decision_json = json.dumps(decision.to_json(), ensure_ascii=False, indent=2) + "\n"
    attachments = [("decision.json", "application/json", decision_json.encode("utf-8"))]
    if pdf is not None:
        attachments.insert(0, (variables["pdf_name"], "application/pdf", pdf[1]))
    return _outgoing("agency_forward", ctx, (inbox,), subject, body, attachments=attachments)


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
) -> Outgoing:
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
    return Outgoing(kind, message_id, ctx.mailroom_address, recipients, raw, subject)


def route(
    decision: Decision,
    mail: Mail | None,
    pdf: tuple[str, bytes] | None,
    ctx: RouteContext,
    templates: MailTemplates,
) -> list[Outgoing]:
    """The messages one decision sends (see the module text). Raises ConfigError when the routed
    agency has no inbox, TemplateError when a template fails to render."""
    if decision.status is Status.DUPLICATE:
        return []
    variables = template_context(decision, mail, pdf, ctx)
    out: list[Outgoing] = []
    if decision.status is Status.ROUTED:
        out.append(_agency_forward(decision, pdf, ctx, variables, templates))
    bank = _bank_address(mail, ctx)
    kind = _BANK_KIND.get(decision.status)
    if bank is not None and kind is not None and mail is not None:
        subject, body = templates.render(kind, **variables)
        original = mail.message_id if mail.message_id and valid_message_id(mail.message_id) else None
        out.append(
            _outgoing(
                kind,
                ctx,
                (bank,),
                subject,
                body,
                in_reply_to=original,
                extra_headers=(("Auto-Submitted", "auto-replied"),),
            )
        )
    return out
