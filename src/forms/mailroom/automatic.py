"""Automatic mail in the mailroom: decided 'automatic' and handled at once — kept, never answered, never
in the clerks' 様式1 queue — and a delivery report about one of our messages recorded on it.

A delivery report (``intake.reports``) is matched to the outgoing message it is about:

1. by its return path (``deliver.returns``): the report came to ``mailroom+bounce-<token>@…`` (the
   SMTP envelope recipient, or Delivered-To / X-Original-To / To as a delivering MTA writes them).
   The token is unguessable, so this is sure; a report whose returned header names another of our
   Message-IDs is refused as confused or forged ('mismatch');
2. else by the Message-ID of the returned message (or Original-Message-ID), when it is one of ours,
   exactly one, and the report's failed recipient is one of that message's recipients.

Only a report whose Action is ``failed`` marks the message 'bounced' (with the first failed
recipient's Status and every failed recipient's Diagnostic-Code); a delay or a success changes
nothing. Whatever the report says, the report itself is kept, decided and handled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from forms.decide import automatic
from forms.deliver.returns import tokens_in
from forms.errors import Code
from forms.intake.automatic import Automatic, AutoReason
from forms.intake.reports import RecipientStatus, Report, read_report
from forms.model import Decision, Mail, Problem, problem
from forms.pipeline import Pipeline, received_on
from forms.route import reference_number
from forms.store import ClaimedIntake, OutboxItem, Store

log = logging.getLogger(__name__)

#: Why a report did not mark a message (REPORT_UNMATCHED's ``why``, Japanese for the clerks).
UNMATCHED = {
    "no_message": "どの送信メールについての通知かが書かれていない",
    "not_ours": "当方が送信したメールについての通知ではない",
    "mismatch": "返送先のアドレスが示すメールと、通知の中のメールが一致しない",
    "recipient_mismatch": "通知の宛先が、当方が送信したメールの宛先と一致しない",
    "ambiguous": "複数の送信メールを示している",
    "not_failed": "配信の失敗を知らせるものではない（遅延・配信済み等）",
}
_HEADERS_NAMING_US = ("delivered-to", "x-original-to", "to", "cc")

Find = Callable[..., OutboxItem | None]


@dataclass(frozen=True)
class Bounce:
    """A report matched to one of our messages that failed."""

    item: OutboxItem
    matched_by: str  # 'return_path' or 'message_id'
    failed: tuple[RecipientStatus, ...]

    @property
    def status(self) -> str | None:
        return next((r.status for r in self.failed if r.status), None)

    @property
    def diagnostic(self) -> str:
        said = (f"{r.final_recipient or '?'}: {r.diagnostic_code or r.status}" for r in self.failed)
        return "; ".join(said)[:1000]


def match_report(report: Report, tokens: Sequence[str], find: Find) -> Bounce | str:
    """The message ``report`` is about (see the module text), or why there is none (a key of UNMATCHED).
    ``find(return_token=…)`` / ``find(message_id=…)`` look our messages up."""
    by_token = next((m for t in tokens if (m := find(return_token=t)) is not None), None)
    if by_token is not None:
        if report.message_ids and by_token.message_id not in report.message_ids:
            return "mismatch"
        return _failed(report, by_token, "return_path")
    if not report.message_ids:
        return "no_message"
    found = {m.id: m for mid in report.message_ids if (m := find(message_id=mid)) is not None}
    if not found:
        return "not_ours"
    if len(found) > 1:
        return "ambiguous"
    item = next(iter(found.values()))
    ours = {r.lower() for r in item.recipients}
    if not any(ours & set(r.addresses) for r in report.failed or report.recipients):
        return "recipient_mismatch"
    return _failed(report, item, "message_id")


def _failed(report: Report, item: OutboxItem, how: str) -> Bounce | str:
    return Bounce(item, how, report.failed) if report.failed else "not_failed"


def envelope_tokens(mail: Mail, envelope_to: str | None) -> list[str]:
    """The return tokens of the addresses the mail came to: the SMTP recipients, else the headers a
    delivering MTA writes (and the report's own To: a report is addressed to the return path)."""
    headers = [v for name in _HEADERS_NAMING_US for v in mail.headers.get(name, ())]
    return tokens_in([envelope_to or "", *headers])


def take_automatic(
    store: Store, pipeline: Pipeline, claimed: ClaimedIntake, mail: Mail, auto: Automatic, *, actor: str
) -> str:
    """Record ``mail`` (classified ``auto``) as decided 'automatic' and handled; a delivery report
    about one of our messages marks it bounced first. Returns the recorded status."""
    finding = problem(Code.AUTOMATIC_MAIL, None, detail=auto.detail, kind=str(auto.reason))
    if auto.reason is AutoReason.DELIVERY_REPORT:
        finding = _bounce(store, claimed, mail, actor)
    ctx = pipeline.context(received_on(mail, claimed.received_at))
    decision: Decision = automatic(mail.message_id or claimed.source or f"intake {claimed.id}", finding, ctx)
    status = store.intakes.record_decision(
        claimed.id,
        status=str(decision.status),
        agency=None,
        reference=reference_number(ctx.rulebook, claimed.id),
        decision=decision.to_json(),
        message_id=mail.message_id,
        sender=mail.from_addr,
        form_sha256=None,
        outgoing=[],
        actor=actor,
        handled=True,
    )
    log.info("intake %s is automatic mail (%s: %s), not answered", claimed.id, auto.reason, auto.detail)
    return status


def _bounce(store: Store, claimed: ClaimedIntake, mail: Mail, actor: str) -> Problem:
    """Match the report to our message and mark it bounced; the finding the report's decision carries."""
    report = read_report(claimed.data)
    got = match_report(report, envelope_tokens(mail, claimed.envelope_to), store.outbox.find)
    if isinstance(got, str):
        log.warning("intake %s: delivery report not recorded on a message (%s)", claimed.id, got)
        return problem(Code.REPORT_UNMATCHED, None, why=UNMATCHED[got], unmatched=got)
    detail = {"report_intake_id": claimed.id, "report_message_id": mail.message_id}
    detail["matched_by"] = got.matched_by
    store.outbox.mark_bounced(
        got.item.id, status=got.status, diagnostic=got.diagnostic, actor=actor, detail=detail
    )
    log.warning("message %s bounced (%s): %s", got.item.message_id, got.status, got.diagnostic)
    return problem(Code.BOUNCE_RECORDED, None, message_id=got.item.message_id, status=got.status or "-")
