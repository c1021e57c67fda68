#!/usr/bin/env python3
"""Build the corpus: for each case of cases.py, its input (NAME.pdf, .eml, .docx, .xlsx, .tif, .jpg …)
and NAME.expected.json.

    python tests/corpus/make_corpus.py [--out DIR] [--only NAME ...] [--list]

Forms are made from the official 様式1 with ../shared/forms/fill.py (beside the repo). A case is rebuilt
only when its definition or a generator source changed (hashes kept in DIR/manifest.json), so reruns
take well under a second. Default DIR: tests/corpus/build/ (git-ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FORMS_DIR = (REPO / "../shared/forms").resolve()
SAMPLES_DIR = (REPO / "../shared/samples").resolve()
DEFAULT_OUT = HERE / "build"
for _p in (str(REPO), str(FORMS_DIR)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import fill  # noqa: E402  (../shared/forms, put on sys.path above)
from pypdf import PdfReader, PdfWriter  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from tests.corpus import (  # noqa: E402
    carriers,
    faxes,
    hostile,
    hostile_carriers,
    mails,
    office,
    photos,
    producers,
    retyped,
)
from tests.corpus.cases import CASES, Case  # noqa: E402

SOURCES = (HERE / "case.py", HERE / "cases.py", HERE / "make_corpus.py", HERE / "retyped.py",
           HERE / "hostile.py", HERE / "mails.py", HERE / "carriers.py", HERE / "office.py",
           HERE / "hostile_carriers.py", HERE / "producers.py", HERE / "faxes.py", HERE / "photos.py",
           HERE / "legacy_office.py",
           FORMS_DIR / "fill.py", FORMS_DIR / "youshiki1.pdf")  # fmt: skip
BASES = ("jetro-fillable", "scb-shinkin-flattened", "kosha-scanned", "smrj-fillable")


@dataclass(frozen=True)
class BuiltCase:
    case: Case
    input: Path  # NAME.pdf, NAME.eml, NAME.docx …
    expected: Path  # NAME.expected.json
    rebuilt: bool  # made by this run (False: unchanged since the last one)

    def expected_json(self) -> dict[str, Any]:
        return json.loads(self.expected.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Bases:
    """The shared samples the form cases start from: values as written, fields as normalised."""

    values: Mapping[str, dict[str, Any]]
    fields: Mapping[str, dict[str, Any]]


def load_bases(samples: Path = SAMPLES_DIR) -> Bases:
    def read(name: str) -> dict[str, Any]:
        return json.loads((samples / name).read_text(encoding="utf-8"))

    fields = {b: read(f"{b}.expected.json")["fields"] for b in BASES}
    return Bases({b: read(f"{b}.values.json") for b in BASES}, fields)


# -- the shapes ---------------------------------------------------------------------------------


def _via_file(write: Any, *args: Any) -> bytes:
    """Run a fill.py writer (which wants a path) and return the bytes it wrote."""
    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        path = Path(tmp) / "out.pdf"
        write(*args, str(path))
        return path.read_bytes()


def fillable(values: Mapping[str, Any]) -> bytes:
    return _via_file(fill.fill_fillable, dict(values))


def printed(values: Mapping[str, Any]) -> bytes:
    return _via_file(fill.flatten, dict(values))


def blot(pdf: bytes, field: str) -> bytes:
    """An ink blot over the left part of ``field``'s value (the digits of an amount, say)."""
    widget = fill.form_widgets()[field]
    x0, y0, _, y1 = widget["rect"]
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    for page in range(widget["page"] + 1):
        if page == widget["page"]:
            c.setFillGray(0.15, alpha=0.85)
            c.ellipse(x0 + 1, y0 - 1, x0 + 34, y1 + 1, stroke=0, fill=1)
            c.setStrokeGray(0.1)
            c.setLineWidth(2.2)
            c.bezier(x0, y0 + 2, x0 + 20, y1 + 4, x0 + 30, y0 - 3, x0 + 52, y1 - 1)
        c.showPage()
    c.save()
    overlay = PdfReader(io.BytesIO(buf.getvalue()))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.pages[widget["page"]].merge_page(overlay.pages[widget["page"]])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def scanned(values: Mapping[str, Any], seed: int, blotted: str | None) -> bytes:
    """fill.py's scan of the printed form (with a blot over ``blotted`` first, when given)."""
    flat = printed(values)
    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        path = Path(tmp) / "scan.pdf"
        fill.scan(blot(flat, blotted) if blotted else flat, str(path), seed=seed)
        return path.read_bytes()


def produced(tool: str, values: Mapping[str, Any]) -> bytes:
    """The form as the real tool makes it (producers.py)."""
    if tool == "libreoffice":
        return producers.libreoffice(producers.docx_form(values))
    if tool == "chromium":
        return producers.chromium(producers.html_form(values))
    if tool == "cairo":
        return producers.cairo(fillable(values))
    return producers.ghostscript(fillable(values), legacy=tool == "ghostscript_legacy")


def form_file(values: Mapping[str, Any], shape: str, seed: int = 0) -> bytes:
    """The 様式1 a mail carries: fillable, printed, an office.py layout or a fax (``fax:`` + its builder)."""
    if shape in office.BUILDERS:
        return office.build(shape, values)[0]
    if shape.startswith("fax:"):
        return faxes.build(shape.removeprefix("fax:"), printed(values), values, seed)[0]
    if shape.startswith("photo:"):
        return photos.build(shape.removeprefix("photo:"), printed(values), seed)
    return printed(values) if shape == "printed" else fillable(values)


def input_suffix(case: Case) -> str:
    """The suffix of a case's input file."""
    if case.shape == "email":
        return ".eml"
    if case.shape == "hostile" and case.builder in hostile_carriers.SUFFIXES:
        return hostile_carriers.SUFFIXES[case.builder]
    if case.shape == "fax":
        return faxes.suffix(str(case.builder))
    return carriers.SUFFIXES.get(case.shape, ".pdf")


def build_input(case: Case, bases: Bases, kessansho: bytes) -> tuple[bytes, str]:
    """The bytes of a case's input and their suffix."""
    values = case.values(bases.values[case.base]) if case.base else None
    if case.shape == "email":
        form = form_file(values, case.pdf_shape, case.seed) if values else None
        mail = mails.MailInput(case.name, values, form, case.attachment, kessansho)
        return mails.build(str(case.builder), mail), ".eml"
    if case.shape == "hostile" and case.builder in hostile_carriers.BUILDERS:
        return hostile_carriers.build(case.builder, values or {})
    if case.shape in ("docx", "xlsx", "doc", "xls"):
        assert values is not None, f"{case.name}: an office case needs a base"
        return office.build(str(case.builder), values)
    if case.shape == "fax":
        assert values is not None, f"{case.name}: a fax case needs a base"
        return faxes.build(str(case.builder), printed(values), values, case.seed)
    if case.shape == "photo":
        assert values is not None, f"{case.name}: a photo case needs a base"
        pictures = photos.build(str(case.builder), printed(values), case.seed)
        return mails.build("pictures", mails.MailInput(case.name, values, pictures, None, kessansho)), ".eml"
    if case.shape == "hostile":
        form = fillable(values) if values and case.builder in hostile.NEEDS_FORM else None
        return hostile.build(str(case.builder), form), ".pdf"
    assert values is not None, f"{case.name}: a form case needs a base"
    if case.shape == "fillable":
        return fillable(values), ".pdf"
    if case.shape == "printed":
        return printed(values), ".pdf"
    if case.shape == "scanned":
        return scanned(values, case.seed, case.blotted), ".pdf"
    if case.shape == "producer":
        return produced(str(case.builder), values), ".pdf"
    if case.builder == "no_tounicode":
        return retyped.strip_tounicode(printed(values)), ".pdf"
    return retyped.build(str(case.builder), values), ".pdf"


def expected_json(case: Case, bases: Bases, input_name: str) -> dict[str, Any]:
    out = case.expected_json(bases.fields[case.base] if case.base else {})
    out["input"] = input_name
    if case.shape in ("email", "photo"):
        values = case.values(bases.values[case.base]) if case.base else {}
        domain = str(values.get("bank_email", "kaigai@mihon-bank.example.jp")).rpartition("@")[2]
        domain = mails.GATEWAY.rpartition("@")[2] if case.builder == "fax_gateway" else domain
        out["source"] = f"<corpus-{case.name}@{domain}>"
    return out


# -- the build ----------------------------------------------------------------------------------


def sources_digest(bases: Bases) -> str:
    h = hashlib.sha256()
    for path in SOURCES:
        h.update(path.read_bytes())
    h.update(json.dumps([bases.values, bases.fields], ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()


def case_digest(case: Case, sources: str) -> str:
    return hashlib.sha256(f"{sources}\n{case!r}".encode()).hexdigest()


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """One builder at a time per folder (pytest-xdist workers share tests/corpus/build)."""
    with open(out_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build_corpus(out_dir: Path = DEFAULT_OUT, names: Sequence[str] | None = None) -> list[BuiltCase]:
    """Write every case (or those named) into ``out_dir``; unchanged ones are kept as they are."""
    out_dir.mkdir(parents=True, exist_ok=True)
    bases = load_bases()
    sources = sources_digest(bases)
    chosen = [c for c in CASES if names is None or c.name in names]
    built: list[BuiltCase] = []
    with _locked(out_dir):
        manifest_path = out_dir / "manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        kessansho = mails.kessansho_pdf()
        try:
            for case in chosen:
                digest = case_digest(case, sources)
                built.append(_build_one(case, out_dir, bases, manifest, digest, kessansho))
        finally:
            _write(manifest_path, json.dumps(manifest, indent=1, sort_keys=True).encode())
    return built


def _build_one(case: Case, out_dir: Path, bases: Bases, manifest: dict[str, str], digest: str,
               kessansho: bytes) -> BuiltCase:  # fmt: skip
    inp, exp = out_dir / f"{case.name}{input_suffix(case)}", out_dir / f"{case.name}.expected.json"
    if manifest.get(case.name) == digest and inp.exists() and exp.exists():
        return BuiltCase(case, inp, exp, rebuilt=False)
    data, suffix = build_input(case, bases, kessansho)
    assert suffix == inp.suffix, f"{case.name}: built {suffix}, expected {inp.suffix}"
    _write(inp, data)
    body = json.dumps(expected_json(case, bases, inp.name), ensure_ascii=False, indent=2) + "\n"
    _write(exp, body.encode("utf-8"))
    manifest[case.name] = digest
    return BuiltCase(case, inp, exp, rebuilt=True)


def table() -> str:
    """The cases as a Markdown table (for README.md)."""
    rows = ["| case | shape | what | expected |", "|---|---|---|---|"]
    for c in CASES:
        reasons = ", ".join(f"{code}({fld})" if fld else code for code, fld in c.expect.reasons)
        slow = " (slow)" if c.slow else ""
        expected = f"{c.expect.status} {c.agency or '-'} {reasons}".strip()
        rows.append(f"| `{c.name}` | {c.shape}{slow} | {c.about} | {expected} |")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="build only these cases")
    ap.add_argument("--list", action="store_true", help="print the cases as a Markdown table and exit")
    args = ap.parse_args(argv)
    if args.list:
        print(table())
        return 0
    unknown = set(args.only or ()) - {c.name for c in CASES}
    if unknown:
        ap.error(f"unknown cases: {sorted(unknown)}")
    built = build_corpus(args.out, args.only)
    fresh = [b for b in built if b.rebuilt]
    print(f"{len(built)} cases in {args.out} ({len(fresh)} built, {len(built) - len(fresh)} unchanged)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
