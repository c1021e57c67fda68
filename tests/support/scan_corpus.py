"""Scan-shaped cases and how their decisions are scored (bench/scan_accuracy.py and the slow tests).

A case is a form's values (fill.py format) written in one *shape* — a way a page image is made from
them (``SHAPES``: "scanned" is fill.py's typed scan, "handwritten" the company part written by hand,
"fax" a gateway's TIFF (fine and standard in turn, a cover sheet on every other), "photo" a phone
photo of each page (upright and sideways in turn); other shapes register themselves with
``register_shape``). Each case is decided twice: once from the
values themselves (the truth: what a perfect reader gives) and once from its page images through the
OCR reader; the OCR decision is

- **auto** when it is routed or rejected, **flagged** when it waits for a clerk (needs_review);
- **wrong** when it is auto and differs from the truth in status, agency, reason set (code, field) or
  any field not marked unsure.

A shape of ``EARLIER_MAIL`` ("fax_known") reads the files of another shape as a mailroom that has
decided the shared samples before (their banks and companies wrote by e-mail first): the values those
decisions made known are evidence (``forms.correspondents``).

Generated files are cached under tests/corpus/build/scans/ by a hash of what made them, and read as the
mailroom reads them (``extract.document``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from forms import model
from forms.correspondents import MemoryCorrespondents
from forms.decide import Candidate, Context, decide
from forms.extract.document import read_document
from forms.extract.ocr_engine import OcrEngine
from forms.extract.reader_process import LazyOcr
from forms.rules.loader import load_rulebooks, packaged_dir
from forms.spec import AGENCY_FIELDS, FormSpec, load_spec
from tests.corpus import faxes, handwriting, photos
from tests.corpus.cases import CASES
from tests.support.paths import FORMS_DIR, REPO, SAMPLES
from tests.support.youshiki1 import fill_module

CACHE = REPO / "tests" / "corpus" / "build" / "scans"
RECEIVED_ON = dt.date(2026, 6, 15)
BASES = ("jetro-fillable", "scb-shinkin-flattened", "kosha-scanned", "smrj-fillable")
#: Shapes measured again with the shared samples decided before (measured shape → the shape of its files).
EARLIER_MAIL = {"fax_known": "fax"}

#: shape name → (values, seed, output path) → writes the case's file (a PDF of page images, a TIFF …).
ShapeMaker = Callable[[Mapping[str, Any], int, Path], None]
SHAPES: dict[str, ShapeMaker] = {}
#: Source files whose change remakes a shape's cached files.
SHAPE_SOURCES: dict[str, tuple[Path, ...]] = {}


def register_shape(name: str, maker: ShapeMaker, sources: Sequence[Path] = ()) -> None:
    SHAPES[name] = maker
    SHAPE_SOURCES[name] = (FORMS_DIR / "fill.py", FORMS_DIR / "youshiki1.pdf", *sources)


def _printed(values: Mapping[str, Any], out: Path) -> bytes:
    flat = out.with_suffix(".flat.tmp")
    fill_module().flatten(dict(values), str(flat))
    data = flat.read_bytes()
    flat.unlink()
    return data


def fax_resolution(seed: int) -> str:
    """The resolution a case's fax is sent at: "fine" and "standard" in turn."""
    return ("fine", "standard")[seed % 2]


def _fax(values: Mapping[str, Any], seed: int, out: Path) -> None:
    mode = fax_resolution(seed)
    out.write_bytes(faxes.fax_tiff(_printed(values, out), values, mode, cover=seed % 4 < 2, seed=seed))


def _photo(values: Mapping[str, Any], seed: int, out: Path) -> None:
    out.write_bytes(photos.build(("phone", "phone_sideways")[seed % 2], _printed(values, out), seed))


def _typed_scan(values: Mapping[str, Any], seed: int, out: Path) -> None:
    fill = fill_module()
    flat = out.with_suffix(".flat.tmp")
    fill.flatten(dict(values), str(flat))
    fill.scan(str(flat), str(out), seed=seed)
    flat.unlink()


def _handwritten(values: Mapping[str, Any], seed: int, out: Path) -> None:
    handwriting.handwritten_pdf(fill_module(), values, seed, out)


register_shape("scanned", _typed_scan)
register_shape("handwritten", _handwritten, (REPO / "tests" / "corpus" / "handwriting.py",))
register_shape("fax", _fax, (REPO / "tests" / "corpus" / "faxes.py",))
register_shape("photo", _photo, (REPO / "tests" / "corpus" / "photos.py",))


@dataclass(frozen=True)
class ScanCase:
    name: str
    values: Mapping[str, Any]
    seed: int


def cases(limit: int | None = None) -> list[ScanCase]:
    """The four shared samples and every form case of the corpus that needs no ledger or settings
    (a rule broken, a boundary value …), each with its own seed; the first ``limit`` of them."""
    bases = samples()
    out = [ScanCase(b, bases[b], 20 + i) for i, b in enumerate(BASES)]
    for i, c in enumerate(CASES):
        if c.shape in ("fillable", "printed") and c.base and not c.ledger and not c.settings:
            out.append(ScanCase(c.name, c.values(bases[c.base]), 100 + i))
    return out[:limit]


def samples() -> dict[str, dict[str, Any]]:
    """The shared samples' values, by name."""
    return {b: json.loads((SAMPLES / f"{b}.values.json").read_text(encoding="utf-8")) for b in BASES}


def case_pdf(shape: str, case: ScanCase) -> Path:
    """The case's file in ``shape``, made once and cached by a hash of its inputs."""
    key = json.dumps([shape, case.values, case.seed], ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(key.encode())
    for part in SHAPE_SOURCES[shape]:
        digest.update(part.read_bytes())
    out = CACHE / f"{shape}-{digest.hexdigest()[:20]}.pdf"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{case.seed}.tmp")
        SHAPES[shape](case.values, case.seed, tmp)
        tmp.replace(out)
    return out


# ── deciding and scoring ──────────────────────────────────────────────────────────────────────
def context(*, earlier_mail: bool = False) -> Context:
    """The context the cases are decided in; ``earlier_mail``: with the values the shared samples, decided
    before (as their banks e-mailed them), made known."""
    ctx = Context(rulebook=load_rulebooks(packaged_dir()).for_date(RECEIVED_ON), spec=load_spec())
    if not earlier_mail:
        return ctx
    decided = [decide(b, [Candidate(None, truth_extraction(v, ctx.spec))], ctx) for b, v in samples().items()]
    known = MemoryCorrespondents.from_decisions(d.to_json() for d in decided)
    return replace(ctx, correspondents=known)


def truth_extraction(values: Mapping[str, Any], spec: FormSpec) -> model.Extraction:
    """What a perfect reader would return for the written ``values``."""
    agency = values.get("agency")
    agencies = agency if isinstance(agency, list) else [agency]
    raw: dict[str, model.RawValue] = {}
    for name in spec.acroform_names:
        if name in AGENCY_FIELDS:
            raw[name] = model.RawValue(name.removeprefix("agency_") in agencies)
        elif name in values:
            raw[name] = model.RawValue(values[name] if isinstance(values[name], bool) else str(values[name]))
    return model.Extraction(shape=model.Shape.PRINTED, values=raw, pages=2)


@dataclass
class Scored:
    shape: str
    name: str
    outcome: str  # auto | flagged | wrong
    seconds: float
    why: list[str] = field(default_factory=list)  # what differs (wrong) or what stopped it (flagged)
    certain: dict[str, bool] = field(default_factory=dict)  # field → read certain
    certain_wrong: list[str] = field(default_factory=list)  # fields certain but not as written


def _reasons(d: model.Decision) -> set[tuple[str, str | None]]:
    return {(str(r.code), r.field) for r in d.reasons}


def score(shape: str, name: str, truth: model.Decision, got: model.Decision, seconds: float) -> Scored:
    flagged = got.status is model.Status.NEEDS_REVIEW
    fields = set(truth.fields) | set(got.fields)
    differing = sorted(k for k in fields if k not in got.unsure and got.fields.get(k) != truth.fields.get(k))
    why: list[str] = []
    if not flagged:
        if (got.status, got.agency, _reasons(got)) != (truth.status, truth.agency, _reasons(truth)):
            why.append(f"decision {got.status}/{got.agency}/{sorted(_reasons(got))} != "
                       f"{truth.status}/{truth.agency}/{sorted(_reasons(truth))}")  # fmt: skip
        why += [f"{k}: {got.fields.get(k)!r} != {truth.fields.get(k)!r}" for k in differing]
    else:
        why = [f"{r.code}:{r.field}" for r in got.reasons if str(r.code) == "LOW_CONFIDENCE"]
    outcome = "flagged" if flagged else ("wrong" if why else "auto")
    certain = {k: c.certain for k, c in got.certainty.items()}
    certain_wrong = [k for k in differing if certain.get(k)]
    return Scored(shape, name, outcome, seconds, why, certain, certain_wrong)


_ENGINE: OcrEngine | None = None


def _start_worker() -> None:
    global _ENGINE
    _ENGINE = LazyOcr()  # the reader processes' engine: what the pipeline reads scans with


def read_and_score(shape: str, case: ScanCase) -> Scored:
    """One case in a worker process: its PDF (cached), read by OCR, decided, scored against the truth."""
    import time  # the worker's clock only

    assert _ENGINE is not None, "no OCR engine in this worker"
    ctx = context(earlier_mail=shape in EARLIER_MAIL)
    truth = decide(case.name, [Candidate(None, truth_extraction(case.values, ctx.spec))], ctx)
    data = case_pdf(EARLIER_MAIL.get(shape, shape), case).read_bytes()
    start = time.perf_counter()
    read = read_document(data, ocr=_ENGINE)
    seconds = time.perf_counter() - start
    got = decide(case.name, [Candidate(None, read)], ctx)
    return score(shape, case.name, truth, got, seconds)


def measure(shapes: Sequence[str], scan_cases: Sequence[ScanCase], workers: int = 2) -> list[Scored]:
    jobs = [(shape, c) for shape in shapes for c in scan_cases]
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker) as pool:
        futures = [pool.submit(read_and_score, *job) for job in jobs]
        return [f.result() for f in futures]


def summary(scored: Sequence[Scored]) -> dict[str, Any]:
    """Per shape: cases, auto, flagged, wrong, auto_rate; per field: certain, unsure, certain but wrong."""
    shapes: dict[str, Any] = {}
    fields: dict[str, dict[str, int]] = {}
    for s in scored:
        row = shapes.setdefault(s.shape, {"cases": 0, "auto": 0, "flagged": 0, "wrong": 0})
        row["cases"] += 1
        row[s.outcome] += 1
        for key, certain in s.certain.items():
            f = fields.setdefault(key, {"certain": 0, "unsure": 0, "certain_wrong": 0})
            f["certain" if certain else "unsure"] += 1
        for key in s.certain_wrong:
            fields.setdefault(key, {"certain": 0, "unsure": 0, "certain_wrong": 0})["certain_wrong"] += 1
    for row in shapes.values():
        row["auto_rate"] = round(row["auto"] / row["cases"], 4) if row["cases"] else 0.0
    return {"shapes": shapes, "fields": fields}
