"""Documents to files: one at a time (what the ledger commands need) or many on every core.

    write_youshiki2(ledger, key, …, out_dir)   → [.docx, .pdf] of one company's 様式2
    write_youshiki3(fields, …, out_dir)        → [.docx, .pdf] of one 様式3
    render_batch(jobs, workers=…, progress=…)  → the files of many documents, a process pool on all
                                                  cores, a tqdm progress bar on stderr and/or a
                                                  ``on_progress(done, total)`` callback
    issue_youshiki3_batch(store, …)            → one 様式3 per routed jetro/scb 様式1 without one,
                                                  written and recorded (``forms youshiki3 --batch``
                                                  and the console's job share it)

This is the edge of ``forms.documents``: it reads templates and writes files (each atomically:
a temporary file in the same folder, then renamed). Which template: ``<kind>.docx`` or
``<kind>.html`` in the templates folder (default: the repository's ``templates/documents``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from forms import templating
from forms.documents import BankInfo, CompanyInfo
from forms.documents.render import pdf_engine, prepare_font, render_docx, render_pdf
from forms.documents.youshiki2 import Youshiki2, supports_for_report, youshiki2_data
from forms.documents.youshiki3 import Youshiki3, youshiki3_data
from forms.files import private_dir
from forms.ledger import CompanyKey, LedgerView
from forms.rules.schema import Rulebook
from forms.store import Store
from forms.store.youshiki3 import RoutedForm

TEMPLATES = templating.TEMPLATES / "documents"
FORMATS: tuple[str, ...] = ("docx", "pdf")
_KINDS: dict[type, str] = {Youshiki2: "youshiki2", Youshiki3: "youshiki3"}
_TEMPLATE_SUFFIX = {"docx": ".docx", "pdf": ".html"}
_NOT_NAME = re.compile(r"[^0-9A-Za-z-]")


def kind_of(data: Any) -> str:
    """``youshiki2`` or ``youshiki3``: the template stem of a document's data."""
    kind = _KINDS.get(type(data))
    if kind is None:
        raise TypeError(f"not a document: {type(data).__name__}")
    return kind


def template_for(data: Any, fmt: str, templates_dir: Path = TEMPLATES) -> Path:
    """The template that renders ``data`` as ``fmt`` (docx or pdf)."""
    if fmt not in _TEMPLATE_SUFFIX:
        raise ValueError(f"format is one of {', '.join(FORMATS)}, not {fmt!r}")
    return Path(templates_dir) / f"{kind_of(data)}{_TEMPLATE_SUFFIX[fmt]}"


def file_name(data: Youshiki2 | Youshiki3, fmt: str, serial: str = "") -> str:
    """youshiki2-jetro-4010001234567-20260803.pdf; a company without 法人番号 is named by a hash."""
    company = data.company
    ident = _NOT_NAME.sub("", company.corporate_number)
    if not ident:
        ident = hashlib.sha256(f"{company.name}|{company.postal_code}".encode()).hexdigest()[:12]
    parts = [kind_of(data), data.issuer.key, ident, f"{data.issued_on:%Y%m%d}", serial]
    return "-".join(p for p in parts if p) + f".{fmt}"


def write_atomically(path: Path, content: bytes) -> Path:
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def render(data: Any, fmt: str, *, templates_dir: Path = TEMPLATES, font_dir: Path | None = None) -> bytes:
    """The bytes of ``data`` as ``fmt`` (docx or pdf) through the templates of ``templates_dir``."""
    template = template_for(data, fmt, templates_dir)
    if fmt == "docx":
        return render_docx(template, data)
    return render_pdf(template, data, font_dir=font_dir)


def write_document(
    data: Youshiki2 | Youshiki3,
    out_dir: Path,
    *,
    formats: Iterable[str] = FORMATS,
    templates_dir: Path = TEMPLATES,
    font_dir: Path | None = None,
) -> list[Path]:
    """Write ``data`` in each format into ``out_dir``; the paths written."""
    return [
        write_atomically(
            Path(out_dir) / file_name(data, fmt),
            render(data, fmt, templates_dir=templates_dir, font_dir=font_dir),
        )
        for fmt in formats
    ]


def write_youshiki2(
    ledger: LedgerView,
    key: CompanyKey,
    *,
    company: CompanyInfo,
    bank: BankInfo | None,
    agency: str,
    rulebook: Rulebook,
    period: tuple[dt.date, dt.date],
    issued_on: dt.date,
    navigator: str,
    out_dir: Path,
    formats: Iterable[str] = FORMATS,
    templates_dir: Path = TEMPLATES,
    font_dir: Path | None = None,
) -> list[Path]:
    """The 様式2 of ``agency`` for the company ``key`` (its supports in ``period``, its cap as the
    ledger stands now), written as .docx and PDF into ``out_dir``. ``ledger`` is e.g. a StoreLedger."""
    company_ledger = ledger.company(key)
    data = youshiki2_data(
        company=company,
        bank=bank,
        agency=agency,
        rulebook=rulebook,
        ledger=company_ledger,
        supports=supports_for_report(company_ledger, agency, period),
        period=period,
        issued_on=issued_on,
        navigator=navigator,
    )
    return write_document(data, out_dir, formats=formats, templates_dir=templates_dir, font_dir=font_dir)


def write_youshiki3(
    youshiki1_fields: dict[str, object],
    *,
    agency: str,
    rulebook: Rulebook,
    issued_on: dt.date,
    out_dir: Path,
    due_on: dt.date | None = None,
    formats: Iterable[str] = FORMATS,
    templates_dir: Path = TEMPLATES,
    font_dir: Path | None = None,
) -> list[Path]:
    """The 様式3 ``agency`` sends about the 様式1 of ``youshiki1_fields`` (``Decision.fields``)."""
    data = youshiki3_data(
        youshiki1_fields=youshiki1_fields,
        agency=agency,
        rulebook=rulebook,
        issued_on=issued_on,
        due_on=due_on,
    )
    return write_document(data, out_dir, formats=formats, templates_dir=templates_dir, font_dir=font_dir)


# -- many at once ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One document to write: its data, the format, the file."""

    data: Any
    fmt: str
    out: Path


@dataclass(frozen=True)
class _WorkerSetup:
    templates_dir: Path
    font_dir: Path | None


_setup: _WorkerSetup | None = None  # set once in each pool process by _start_worker


def _start_worker(setup: _WorkerSetup) -> None:
    global _setup
    _setup = setup
    pdf_engine(setup.font_dir)  # load the font and WeasyPrint once per process


def _run(job: Job) -> Path:
    setup = _setup or _WorkerSetup(TEMPLATES, None)
    content = render(job.data, job.fmt, templates_dir=setup.templates_dir, font_dir=setup.font_dir)
    return write_atomically(job.out, content)


def render_batch(
    jobs: Sequence[Job],
    *,
    workers: int = 0,
    templates_dir: Path = TEMPLATES,
    font_dir: Path | None = None,
    progress: bool = True,
    chunksize: int = 4,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write every job on ``workers`` processes (0: one per core; 1: in this process, no pool), in
    order; the paths written. ``progress`` shows a tqdm bar on stderr; ``on_progress(done, total)`` is
    called after each file. A TemplateError in any job stops the batch and is raised here."""
    if font_dir is not None:
        prepare_font(font_dir)  # once, before the workers start, so they do not race to make it
    count = workers or max(1, os.cpu_count() or 1)
    bar = tqdm(total=len(jobs), unit="doc", disable=not progress, desc="documents")
    written: list[Path] = []

    def wrote(path: Path) -> None:
        written.append(path)
        bar.update(1)
        if on_progress is not None:
            on_progress(len(written), len(jobs))

    with bar:
        if count == 1:  # no fork: safe from a threaded server (the console's jobs)
            for job in jobs:
                content = render(job.data, job.fmt, templates_dir=Path(templates_dir), font_dir=font_dir)
                wrote(write_atomically(job.out, content))
            return written
        setup = _WorkerSetup(Path(templates_dir), font_dir)
        with ProcessPoolExecutor(count, initializer=_start_worker, initargs=(setup,)) as pool:
            for path in pool.map(_run, jobs, chunksize=chunksize):
                wrote(path)
    return written


# -- the 様式3 batch ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedBatch:
    """What a 様式3 batch issued: one entry per 様式1 (its intake, company name, agency) and the files."""

    issued: tuple[tuple[int, str, str], ...]
    files: tuple[Path, ...]

    @property
    def count(self) -> int:
        return len(self.issued)


def issue_youshiki3_batch(
    store: Store,
    *,
    agencies: Iterable[str],
    rulebook: Rulebook,
    issued_on: dt.date,
    out_dir: Path,
    formats: Sequence[str] = FORMATS,
    font_dir: Path | None = None,
    workers: int = 0,
    progress: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    actor: str = "cli",
) -> IssuedBatch:
    """One 様式3 per routed 様式1 to ``agencies`` that has none yet: written into ``out_dir`` in each
    format and recorded in one transaction (so a batch run twice issues nothing the second time).
    ``on_progress(done, total)`` counts 様式1 done of those found."""
    forms = [f for f in store.youshiki3.routed_without_youshiki3(agencies) if f.company is not None]
    documents = [
        (
            f,
            youshiki3_data(
                youshiki1_fields=f.fields,
                agency=f.agency,
                rulebook=rulebook,
                issued_on=issued_on,
                reference=store.intakes.next_reference(f"{rulebook.id}-Y3"),
            ),
        )
        for f in forms
    ]
    files = {
        form.intake_id: [Path(out_dir) / file_name(data, fmt, serial=str(form.intake_id)) for fmt in formats]
        for form, data in documents
    }
    jobs = [
        Job(data, fmt, path)
        for form, data in documents
        for fmt, path in zip(formats, files[form.intake_id], strict=True)
    ]
    per_form = max(1, len(formats))
    if on_progress is not None:
        on_progress(0, len(documents))

    def rendered(done: int, total: int) -> None:
        if on_progress is not None:
            on_progress(done // per_form, total // per_form)

    written = render_batch(jobs, workers=workers, font_dir=font_dir, progress=progress, on_progress=rendered)
    rows = _issued_rows(documents, files, issued_on)
    if rows:
        store.youshiki3.record_many(rows, actor=actor)
    issued = tuple((form.intake_id, data.company.name, form.agency) for form, data in documents)
    return IssuedBatch(issued, tuple(written))


def _issued_rows(
    documents: Sequence[tuple[RoutedForm, Youshiki3]], files: dict[int, list[Path]], issued_on: dt.date
) -> list[dict[str, Any]]:
    """What record_many_issued keeps of each 様式3 of a batch."""
    return [
        {
            "key": form.company,
            "company_name": data.company.name,
            "bank_name": data.bank.name,
            "agency": form.agency,
            "intake_id": form.intake_id,
            "issued_on": issued_on,
            "due_on": data.due_on,
            "files": [str(p) for p in files[form.intake_id]],
            "reference": data.reference,
        }
        for form, data in documents
    ]
