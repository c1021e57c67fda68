"""One intake, start to finish: bytes → (mail) → PDFs read in the sandbox → decision.

The stages, in order (each with its contract in its module):

1. ``intake.mime.parse_mail``   mail bytes → Mail (decoded headers, attachments; never raises)
2. ``extract.sandbox``          each document (PDF, TIFF, JPEG, PNG, .docx, .xlsx: told by its bytes,
                                ``extract.carrier``) → ExtractResult, in a worker with time and memory
                                limits; a mail's documents in order, until one is a 様式1
3. ``decide.decide``            choose the 様式1 → normalize → validate (rulebook in force on the
                                received date, ledger view) → Decision

The pipeline itself records nothing; the mailroom (store, outbox) wraps it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from forms.config import Settings
from forms.correspondents import Correspondents
from forms.decide import Candidate, Context, apply_corrections, automatic, decide
from forms.errors import Code
from forms.extract.carrier import Carrier, is_document, pack_pages, sniff
from forms.extract.sandbox import PdfReading, ReaderPool
from forms.intake import channels
from forms.intake.automatic import Automatic, classify
from forms.intake.mime import parse_mail
from forms.jp.wareki import date_in_japan
from forms.ledger import LedgerView
from forms.model import (
    Attachment,
    Decision,
    Extraction,
    ExtractResult,
    Mail,
    Outcome,
    Problem,
    Shape,
    problem,
)
from forms.rules.loader import Rulebooks, load_rulebooks
from forms.spec import FormSpec, load_spec

log = logging.getLogger(__name__)


def looks_like_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def looks_like_document(data: bytes) -> bool:
    """A file a reader takes (PDF, image, Office package) rather than a mail, told by its bytes."""
    return is_document(data)


def documents_of(attachments: Sequence[Attachment]) -> list[Attachment]:
    """A mail's documents, in order. Its pictures (JPEG, PNG: a phone's photos or a scanner's images,
    one per page) are one document, at the place of the first: the pages of one form
    (``carrier.pack_pages``; a logo among them is skipped by the reader)."""
    pictures = [a for a in attachments if sniff(a.data) in (Carrier.JPEG, Carrier.PNG)]
    if len(pictures) < 2:
        return [a for a in attachments if a.is_document]
    first, taken = pictures[0], {id(a) for a in pictures}
    pages = pack_pages([(a.filename, bytes(a.data)) for a in pictures])
    together = Attachment(first.filename, first.safe_name, first.content_type, pages)
    out: list[Attachment] = []
    for a in attachments:
        if a is first:
            out.append(together)
        elif a.is_document and id(a) not in taken:
            out.append(a)
    return out


def received_on(mail: Mail | None, received_at: dt.datetime | None) -> dt.date:
    """The day in Japan the intake arrived: at ``received_at`` when given (the mailroom's moment of
    receipt), else at the mail's topmost Received header, else its Date header, else now."""
    when = received_at or (mail.received or mail.date if mail else None) or dt.datetime.now(dt.UTC)
    return date_in_japan(when)


class Pipeline:
    """Decides intakes. Thread-safe; ``decide_many`` keeps every reader process busy."""

    def __init__(
        self,
        settings: Settings,
        *,
        ledger: LedgerView | None = None,
        correspondents: Correspondents | None = None,
        rulebooks: Rulebooks | None = None,
        reader: PdfReading | None = None,
        spec: FormSpec | None = None,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.correspondents = correspondents
        self.spec = spec or load_spec()
        self.rulebooks = rulebooks or load_rulebooks(settings.rulebook_dir)
        self.reader = reader or ReaderPool(
            workers=settings.worker_count,
            timeout_s=settings.extract_timeout_s,
            memory_mb=settings.extract_memory_mb,
            max_pages=settings.max_pages,
            inflate_mb=settings.extract_inflate_mb,
            convert_timeout_s=settings.convert_timeout_s,
            convert_memory_mb=settings.convert_memory_mb,
        )

    # -- edges in -------------------------------------------------------------------------------

    def decide_path(self, path: Path, *, received_at: dt.datetime | None = None) -> Decision:
        """Decide a document (PDF, image, .docx, .xlsx) or an .eml file, recognised by its bytes; the
        file is only read."""
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
        self,
        data: bytes,
        *,
        source: str,
        received_at: dt.datetime | None = None,
        sender: str | None = None,
        corrections: Mapping[str, str] | None = None,
        mail: Mail | None = None,
        envelope_from: str | None = None,
        channel: str | None = None,
    ) -> Outcome:
        """Decide a document or a mail (recognised by its bytes) and keep what routing needs. A clerk's
        ``corrections`` (decide.apply_corrections) are applied over the 様式1's reading. ``mail``: the
        mail already parsed from ``data`` by the caller (it is not parsed twice). Automatic mail
        (``intake.automatic``; ``envelope_from``: the SMTP MAIL FROM, '' for <>) is decided
        'automatic' before anything is read — but a fax gateway's mail (``fax_gateways``), however it is
        marked, carries a bank's fax and is read. ``channel``: the one the intake was stored with
        (``post`` or ``fax`` for paper; see ``intake.channels``)."""
        fixes = corrections or {}
        if looks_like_document(data):
            outcome = self._examine_file(
                data, source=source, received_at=received_at, sender=sender, fixes=fixes
            )
            paper = channel if channel in channels.PAPER else None
            return dataclasses.replace(outcome, channel=paper) if paper else outcome
        parsed = mail or self.parse_mail(data)
        auto = self.automatic(parsed, envelope_from)
        if auto is not None:
            finding = problem(Code.AUTOMATIC_MAIL, None, detail=auto.detail, kind=str(auto.reason))
            ctx = self.context(received_on(parsed, received_at))
            decision = automatic(parsed.message_id or source, finding, ctx)
            return Outcome(decision, parsed, None, None)
        outcome = self._examine_mail(parsed, source=source, received_at=received_at, fixes=fixes)
        return dataclasses.replace(outcome, channel=channels.FAX) if self._is_fax(outcome) else outcome

    def automatic(self, mail: Mail, envelope_from: str | None) -> Automatic | None:
        """Whether ``mail`` is automatic (``intake.automatic``): never for a fax gateway's mail, which
        carries a bank's fax whatever its headers say (and is answered at the bank on the form)."""
        if channels.from_gateway(mail.from_addr, self.settings.fax_gateways):
            return None
        return classify(mail, envelope_from=envelope_from)

    def _is_fax(self, outcome: Outcome) -> bool:
        """A mail is a fax when a fax-to-mail gateway sent it or its 様式1 was read from fax pages."""
        read = outcome.extraction
        return channels.from_gateway(outcome.sender, self.settings.fax_gateways) or (
            read is not None and read.shape is Shape.FAX
        )

    def parse_mail(self, data: bytes) -> Mail:
        return parse_mail(data, max_part_bytes=self.settings.max_pdf_bytes)

    def _examine_file(
        self,
        data: bytes,
        *,
        source: str,
        received_at: dt.datetime | None,
        sender: str | None,
        fixes: Mapping[str, str],
    ) -> Outcome:
        read = self._read(data)
        candidates = [Candidate(None, _corrected(read, fixes))]
        decision = decide(source, candidates, self.context(received_on(None, received_at)), sender=sender)
        if not isinstance(read, Extraction):
            return Outcome(decision, None, None, None)
        return Outcome(decision, None, None, data, read)

    def _examine_mail(
        self, mail: Mail, *, source: str | None, received_at: dt.datetime | None, fixes: Mapping[str, str]
    ) -> Outcome:
        src = mail.message_id or source or "(no Message-ID)"
        documents = documents_of(mail.attachments)
        taken = documents[: max(1, self.settings.max_attachments)]
        readings = self._read_until_found(taken)
        chosen = next((i for i, r in enumerate(readings) if isinstance(r, Extraction)), None)
        candidates = [
            Candidate(a.filename, _corrected(r, fixes) if i == chosen else r)
            for i, (a, r) in enumerate(zip(taken, readings, strict=False))
        ]
        pre = [] if chosen is not None else list(mail.problems)
        if chosen is None and len(documents) > len(taken):
            pre.insert(0, problem(Code.TOO_MANY_ATTACHMENTS, None, count=len(documents), limit=len(taken)))
        ctx = self.context(received_on(mail, received_at))
        decision = decide(src, candidates, ctx, sender=mail.from_addr, pre_problems=pre)
        if chosen is None:
            return Outcome(decision, mail, None, None)
        reading = readings[chosen]
        extraction = reading if isinstance(reading, Extraction) else None
        return Outcome(decision, mail, taken[chosen].filename, taken[chosen].data, extraction)

    def decide_many(
        self, paths: Iterable[Path], *, received_at: dt.datetime | None = None
    ) -> Iterator[Decision]:
        """Decide several files in parallel; yields decisions in input order."""
        with ThreadPoolExecutor(max_workers=self.settings.worker_count) as ex:
            yield from ex.map(lambda p: self.decide_path(p, received_at=received_at), list(paths))

    # -- internals ------------------------------------------------------------------------------

    def _read_until_found(self, documents: Sequence[Attachment]) -> list[ExtractResult]:
        """The readings of ``documents`` in order, up to the first 様式1 (the ones after it would not
        change the decision: the first 様式1 is the one decided)."""
        readings: list[ExtractResult] = []
        for attachment in documents:
            readings.append(self._read(attachment.data))
            if isinstance(readings[-1], Extraction):
                break
        return readings

    def _read(self, data: bytes) -> ExtractResult:
        if len(data) > self.settings.max_pdf_bytes:
            return problem(Code.FORM_UNREADABLE, None, detail="too_large", size=len(data))
        return self.reader.read(data)

    def context(self, on: dt.date) -> Context:
        """What a decision on an intake received on ``on`` (a day in Japan) depends on besides the form."""
        return Context(
            rulebook=self.rulebooks.for_date(on),
            spec=self.spec,
            ledger=self.ledger,
            correspondents=self.correspondents,
            min_confidence=self.settings.ocr_min_confidence,
            allowed_sender_domains=self._allowed_senders(),
        )

    def _allowed_senders(self) -> tuple[str, ...]:
        """The bank domains of the sender check, with the fax gateways' (the bank is the one on the form)."""
        allowed = self.settings.allowed_sender_domains
        return (*allowed, *channels.gateway_domains(self.settings.fax_gateways)) if allowed else ()

    def _refuse(self, source: str, p: Problem) -> Decision:
        ctx = self.context(received_on(None, None))
        return decide(source, [Candidate(None, p)], ctx)

    def close(self) -> None:
        self.reader.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _corrected(result: ExtractResult, fixes: Mapping[str, str]) -> ExtractResult:
    return apply_corrections(result, fixes) if isinstance(result, Extraction) and fixes else result
