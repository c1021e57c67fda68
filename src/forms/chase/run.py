"""The scheduler's run: what ``chase.plan`` says is due, rendered and queued, each notice once.

    Chaser(...).run(today)   the day's 様式3 reminders (to the officer the 様式3 went to) and the
                             agencies' digests (to each agency inbox), through the outbox

``forms chase`` runs it once; ``forms serve`` runs it every ``chase_interval_s`` from ``chase_at``
(Japan time) on business days. Running it again, in two processes at once, or after a restart sends
nothing twice: each notice's key is recorded with its message in one transaction (``store.notices``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field

from forms.chase.plan import ChaseRules, Digest, Reminder, digests, reminders
from forms.config import Settings
from forms.documents.mail import Letterhead, MailTexts, compose
from forms.errors import FormsError
from forms.jp.wareki import JST, today_in_japan, wareki
from forms.model import OutgoingMessage
from forms.review.queue import Queue
from forms.route.context import agency_inboxes
from forms.rules.loader import Rulebooks
from forms.store import Store

log = logging.getLogger(__name__)
_AUTOMATIC = (("Auto-Submitted", "auto-generated"),)


@dataclass
class ChaseReport:
    """What a run queued (keys) and what it found sent before."""

    queued: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, list[str]]:
        return {"queued": self.queued, "already": self.already}


class Chaser:
    def __init__(
        self, store: Store, settings: Settings, *, rulebooks: Rulebooks, texts: MailTexts, queue: Queue
    ) -> None:
        self.store = store
        self.settings = settings
        self.rulebooks = rulebooks
        self.texts = texts
        self.queue = queue
        self.rules = ChaseRules(settings.remind_before_days, settings.remind_after_days)

    def run(self, today: dt.date, *, actor: str = "scheduler") -> ChaseReport:
        book = self.rulebooks.newest
        due: list[tuple[str, str, int | None, OutgoingMessage]] = []
        head = Letterhead(self.settings.mailroom_address, self.settings.message_id_domain, self.store.now())
        names = book.short_names()
        for r in reminders(today, self.store.youshiki3.issued(), self.rules):
            due.append((r.key, r.kind, r.issued.intake_id, self._reminder(r, today, head, names)))
        inboxes = agency_inboxes(book, self.settings.inbox_overrides)
        rows = self.queue.deadlines(today)
        for d in digests(today, rows, book.contact_sla.agencies):
            if d.agency in inboxes:
                due.append(
                    (d.key, "contact_digest", None, self._digest(d, today, inboxes[d.agency], head, names))
                )
        report = ChaseReport()
        sent_before = self.store.notices.sent(key for key, *_ in due)
        for key, kind, intake_id, message in due:
            if key in sent_before or not self.store.notices.send_once(
                key, kind=kind, on_date=today, message=message, intake_id=intake_id, actor=actor
            ):
                report.already.append(key)
                continue
            log.info("%s queued to %s", key, ", ".join(message.recipients))
            report.queued.append(key)
        return report

    def _reminder(
        self, r: Reminder, today: dt.date, head: Letterhead, names: dict[str, str]
    ) -> OutgoingMessage:
        one = r.issued
        context = {
            "reference": one.reference,
            "agency": names.get(one.agency, one.agency),
            "company_name": one.company_name,
            "bank_name": one.bank_name,
            "issued_on": wareki(one.issued_on),
            "due_on": wareki(one.due_on),
            "days_overdue": one.days_overdue(today),
        }
        texts = self.texts.render(r.kind, **context)
        to, *copies = one.recipients
        return compose(r.kind, str(one.reference), head, to, copies, texts, (), _AUTOMATIC)

    def _digest(
        self, d: Digest, today: dt.date, inbox: str, head: Letterhead, names: dict[str, str]
    ) -> OutgoingMessage:
        rows = [
            {
                "reference": r.reference or f"#{r.intake_id}",
                "company_name": r.company_name or "",
                "received_on": wareki(r.received_on),
                "due": wareki(r.due),
                "days_overdue": max(0, (today - r.due).days),
            }
            for r in d.rows
        ]
        context = {
            "agency": names.get(d.agency, d.agency),
            "today": wareki(today),
            "rows": rows,
            "count": len(rows),
        }
        texts = self.texts.render("contact_digest", **context)
        reference = f"digest-{d.agency}-{today:%Y%m%d}"
        return compose("contact_digest", reference, head, inbox, (), texts, (), _AUTOMATIC)


def _chase_time(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        return dt.time(8, 30)


def chase_until_stopped(chaser: Chaser, settings: Settings, stop: threading.Event) -> None:
    """``forms serve``'s scheduler: from ``chase_at`` (Japan time) each day, every ``chase_interval_s``;
    the plan itself keeps to business days. An error is logged and the next round tries again."""
    start = _chase_time(settings.chase_at)
    while not stop.is_set():
        now = dt.datetime.now(JST)
        if now.time() >= start:
            try:
                report = chaser.run(today_in_japan())
                if report.queued:
                    log.info("scheduler: %d notice(s) queued", len(report.queued))
            except FormsError:
                log.exception("scheduler: this round failed; the next one tries again")
        stop.wait(settings.chase_interval_s)
