"""One intake, start to finish: bytes → (mail) → PDFs read in the sandbox → decision.

The stages, in order (each with its contract in its module):

1. ``intake.mime.parse_mail``   mail bytes → Mail (decoded headers, attachments; never raises)
2. ``extract.sandbox``          each PDF → ExtractResult, in a worker with time and memory limits
3. ``decide.decide``            choose the 様式1 → normalize → validate (rulebook in force on the
                                received date, ledger view) → Decision

The pipeline itself records nothing; the mailroom (store, outbox) wraps it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from forms.config import Settings
from forms.decide import Candidate, Context, decide
from forms.errors import Code
from forms.extract.sandbox import PdfReading, ReaderPool
from forms.intake.mime import parse_mail
from forms.ledger import LedgerView
from forms.model import Decision, Extraction, ExtractResult, Mail, Problem, problem
from forms.rules.loader import Rulebooks, load_rulebooks
from forms.spec import FormSpec, load_spec

log = logging.getLogger(__name__)

JST = dt.timezone(dt.timedelta(hours=9), "JST")


def looks_like_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def received_date(mail: Mail | None, received_at: dt.datetime | None) -> dt.datetime:
    """When the intake arrived: given explicitly, else the mail's Received/Date header, else now."""
    when = received_at or (mail.received or mail.date if mail else None) or dt.datetime.now(JST)
    return when if when.tzinfo else when.replace(tzinfo=JST)


@dataclass(frozen=True)
class Outcome:
    """A decision with what the mailroom needs to act on it: the mail and the 様式1's bytes."""

    decision: Decision
    mail: Mail | None
    form_name: str | None
    form_bytes: bytes | None

    @property
    def form_sha256(self) -> str | None:
        return hashlib.sha256(self.form_bytes).hexdigest() if self.form_bytes is not None else None

    @property
    def sender(self) -> str | None:
        return self.mail.from_addr if self.mail else None


class Pipeline:
    """Decides intakes. Thread-safe; ``decide_many`` keeps every reader process busy."""

    def __init__(
        self,
        settings: Settings,
        *,
        ledger: LedgerView | None = None,
        rulebooks: Rulebooks | None = None,
        reader: PdfReading | None = None,
        spec: FormSpec | None = None,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.spec = spec or load_spec()
        self.rulebooks = rulebooks or load_rulebooks(settings.rulebook_dir)
        self.reader = reader or ReaderPool(
            workers=settings.worker_count,
            timeout_s=settings.extract_timeout_s,
            memory_mb=settings.extract_memory_mb,
            max_pages=settings.max_pages,
        )

    # -- edges in -------------------------------------------------------------------------------

    def decide_path(self, path: Path, *, received_at: dt.datetime | None = None) -> Decision:
        """Decide a .pdf or .eml file (recognised by its bytes); the file is only read."""
        source = str(path)
        try:
            size = path.stat().st_size
            if size > self.settings.max_mail_bytes:
                too_large = problem(Code.FORM_UNREADABLE, None, detail="too_large", size=size)
                return self._refuse(source, too_large)
            data = path.read_bytes()
        except OSError as exc:
            return self._refuse(source, problem(Code.FORM_UNREADABLE, None, detail="io", error=exc.strerror))
        return self.decide_bytes(data, source=source, received_at=received_at)

    def decide_bytes(
        self, data: bytes, *, source: str, received_at: dt.datetime | None = None, sender: str | None = None
    ) -> Decision:
        return self.examine(data, source=source, received_at=received_at, sender=sender).decision

    def examine(
        self, data: bytes, *, source: str, received_at: dt.datetime | None = None, sender: str | None = None
    ) -> Outcome:
        """Decide a PDF or a mail (recognised by its bytes) and keep what routing needs."""
        if looks_like_pdf(data):
            return self._examine_pdf(data, source=source, received_at=received_at, sender=sender)
        return self._examine_mail(data, source=source, received_at=received_at)

    def _examine_pdf(
        self, data: bytes, *, source: str, received_at: dt.datetime | None, sender: str | None
    ) -> Outcome:
        when = received_date(None, received_at)
        candidates = [Candidate(None, self._read(data))]
        decision = decide(source, candidates, self._context(when.date()), sender=sender)
        form = data if isinstance(candidates[0].result, Extraction) else None
        return Outcome(decision, None, None, form)

    def _examine_mail(self, data: bytes, *, source: str | None, received_at: dt.datetime | None) -> Outcome:
        mail = parse_mail(data, max_part_bytes=self.settings.max_pdf_bytes)
        src = mail.message_id or source or "(no Message-ID)"
        when = received_date(mail, received_at)
        pdfs = [a for a in mail.attachments if a.is_pdf]
        candidates = [Candidate(a.filename, self._read(a.data)) for a in pdfs]
        chosen = next((i for i, c in enumerate(candidates) if isinstance(c.result, Extraction)), None)
        pre = [] if chosen is not None else list(mail.problems)
        ctx = self._context(when.date())
        decision = decide(src, candidates, ctx, sender=mail.from_addr, pre_problems=pre)
        if chosen is None:
            return Outcome(decision, mail, None, None)
        return Outcome(decision, mail, pdfs[chosen].filename, pdfs[chosen].data)

    def decide_many(
        self, paths: Iterable[Path], *, received_at: dt.datetime | None = None
    ) -> Iterator[Decision]:
        """Decide several files in parallel; yields decisions in input order."""
        with ThreadPoolExecutor(max_workers=self.settings.worker_count) as ex:
            yield from ex.map(lambda p: self.decide_path(p, received_at=received_at), list(paths))

    # -- internals ------------------------------------------------------------------------------

    def _read(self, data: bytes) -> ExtractResult:
        if len(data) > self.settings.max_pdf_bytes:
            return problem(Code.FORM_UNREADABLE, None, detail="too_large", size=len(data))
        return self.reader.read(data)

    def _context(self, on: dt.date) -> Context:
        return Context(
            rulebook=self.rulebooks.for_date(on),
            spec=self.spec,
            ledger=self.ledger,
            min_confidence=self.settings.ocr_min_confidence,
            allowed_sender_domains=self.settings.allowed_sender_domains,
        )

    def _refuse(self, source: str, p: Problem) -> Decision:
        ctx = self._context(received_date(None, None).date())
        return decide(source, [Candidate(None, p)], ctx)

    def close(self) -> None:
        self.reader.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
