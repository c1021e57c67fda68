"""The clerks' operations on intakes, one module per job, used by the web console and ``forms review``:

    queue.py        what a clerk reads: the queue, one intake, page images, deadlines, the outbox
    corrections.py  what a clerk does to one intake: correct, route, reject, mark handled, retry
    reprocess.py    the machine's decision again on many intakes (dry run, then applied)
    contacts.py     the agency's "contacted" mark on a routed submission (DOMAIN rule 11)
    companies.py    a company's ledger as a clerk's scope may see it
    submissions.py  what an agency reads: its routed submissions with their deadline (exports, API)
    paper.py        paper that came by post or fax, scanned and handed in: an intake of that channel
    desk.py         what they share: the store, rulebooks, ledger, templates and common look-ups

Every action writes an event with who did it; the original bytes are never changed.
"""

from __future__ import annotations

from forms.config import Settings
from forms.pipeline import Pipeline
from forms.review.companies import Companies, CompanyView
from forms.review.contacts import Contacts
from forms.review.corrections import Corrections
from forms.review.desk import OPEN, Desk
from forms.review.original import Original, render_page
from forms.review.paper import Paper
from forms.review.queue import Queue
from forms.review.reprocess import Reprocess
from forms.review.submissions import Submissions
from forms.review.values import DeadlineRow, IntakeView, outcome_text
from forms.route import MailTemplates
from forms.rules.loader import load_rulebooks
from forms.spec import load_spec
from forms.store import Store, StoreLedger
from forms.store.queue import OPEN_STATUSES, QueueFilter, QueueRow


class Review:
    """The clerks' operations over one store: ``queue``, ``corrections``, ``reprocess``, ``companies``.
    With the mailroom's ``pipeline`` (``forms serve``), its rulebooks, ledger and readers are shared."""

    def __init__(self, store: Store, settings: Settings, *, pipeline: Pipeline | None = None) -> None:
        rulebooks = pipeline.rulebooks if pipeline else load_rulebooks(settings.rulebook_dir)
        ledger = (pipeline.ledger if pipeline else None) or StoreLedger.newest(store, rulebooks)
        self.desk = Desk(
            store=store,
            settings=settings,
            rulebooks=rulebooks,
            spec=pipeline.spec if pipeline else load_spec(),
            ledger=ledger,
            templates=MailTemplates.for_settings(settings),
        )
        self.queue = Queue(self.desk)
        self.corrections = Corrections(self.desk)
        self.reprocess = Reprocess(self.desk, pipeline)
        self.contacts = Contacts(self.desk)
        self.companies = Companies(self.desk)
        self.submissions = Submissions(self.desk)
        self.paper = Paper(self.desk)

    @property
    def store(self) -> Store:
        return self.desk.store

    def close(self) -> None:
        self.reprocess.close()


__all__ = [
    "OPEN",
    "OPEN_STATUSES",
    "CompanyView",
    "DeadlineRow",
    "IntakeView",
    "Original",
    "QueueFilter",
    "QueueRow",
    "Review",
    "outcome_text",
    "render_page",
]
