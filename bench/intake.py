"""Intake speed, per shape, end to end (file → decision), against bare reads — one process, one run.

    .venv/bin/python bench/intake.py [--rounds N] [--scans N] [--shapes printed,fillable,…]

For each shape it prints forms per second through the whole pipeline (reader processes, normalise,
validate, decide) and the ratio of its time per form to:
- fillable: a bare pypdf ``get_fields()`` (design card) and a bare pikepdf field walk (fastest known);
- printed:  bare pdfplumber ``extract_words()`` (design card) and bare pypdfium2 text (fastest known);
- scanned, handwritten (the company part written by hand, tests/corpus/handwriting.py), fax (a TIFF with
  a cover sheet, fine and standard in turn, tests/corpus/faxes.py), photo (two phone photos,
  tests/corpus/photos.py): the bare OCR engine on the same page images as they are decoded (PDFium
  for PDFs, Pillow for TIFF and JPEG pages), both cores busy in both measurements (OCR_SHAPES; key
  SHAPE_vs_ocr);
- xlsx:     a bare ``openpyxl.load_workbook`` of the same file (goal ≤ 1.5);
- docx:     a bare python-docx ``Document`` load of the same file (goal ≤ 1.5);
- xls, doc: the same grid/table saved as 97–2003 files by LibreOffice, against a bare conversion of the same
  file (``soffice --headless --convert-to``, a fresh profile each time as the reader uses) and a bare
  openpyxl / python-docx load of what it wrote (``LEGACY_ROUNDS`` rounds: a conversion takes a second).
Goals: fillable ≤ 3× pikepdf, printed ≤ 2× pypdfium2, scans ≤ 1.2× bare OCR. The last line is one JSON
object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import docx
import numpy as np
import openpyxl
import pdfplumber
import pikepdf
import pypdfium2 as pdfium
from PIL import Image
from pypdf import PdfReader

from forms.config import load_settings
from forms.extract import ocr_engine
from forms.extract.carrier import Carrier, sniff, unpack_pages
from forms.pipeline import Pipeline

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(SHARED / "forms"))
sys.path.insert(0, str(REPO))  # the repo root, for tests.corpus (the office layouts)
import fill  # noqa: E402
from tests.corpus import faxes, handwriting, office, photos  # noqa: E402

VARIANTS = [
    {},
    {"company_name": "株式会社ベンチ工業", "employees": "120人", "capital_yen": "9,000万円"},
    {"company_name": "ベンチ商事株式会社", "applied_on": "R8.7.1", "loan_amount_yen": "1億円"},
    {"company_name": "有限会社ベンチ製作所", "hq_address": "八王子市元本郷町1-2-3", "employees": "３０人"},
]


#: Shapes read by OCR, each timed against the bare engine on its own page images.
OCR_SHAPES = ("scanned", "handwritten", "fax", "photo")


#: 97–2003 shapes: office.py's layout of each, timed over fewer rounds.
LEGACY, LEGACY_ROUNDS = {"xls": "xls_grid", "doc": "doc_table"}, 2


def make_inputs(folder: Path, scans: int, legacy: bool = True) -> dict[str, list[Path]]:
    """Every shape's files (the OCR shapes' ``scans`` each; 0: none; the .xls/.doc only when ``legacy``)."""
    base = json.loads((SHARED / "samples" / "jetro-fillable.values.json").read_text(encoding="utf-8"))
    out: dict[str, list[Path]] = {"fillable": [], "printed": [], "xlsx": [], "docx": [], "xls": [], "doc": []}
    out.update({shape: [] for shape in OCR_SHAPES})
    for i, v in enumerate(VARIANTS):
        values = {**base, **v}
        a, b = folder / f"fillable-{i}.pdf", folder / f"printed-{i}.pdf"
        fill.fill_fillable(values, str(a))
        fill.flatten(values, str(b))
        out["fillable"].append(a)
        out["printed"].append(b)
        made = (("xlsx_grid", "xlsx"), ("docx_table", "docx"), *((v, k) for k, v in LEGACY.items() if legacy))
        for layout, shape in made:
            data, suffix = office.build(layout, values)
            (folder / f"{shape}-{i}{suffix}").write_bytes(data)
            out[shape].append(folder / f"{shape}-{i}{suffix}")
    for i in range(scans):
        c = folder / f"scanned-{i}.pdf"
        fill.scan(str(out["printed"][i % len(out["printed"])]), str(c), seed=100 + i)
        out["scanned"].append(c)
        h = folder / f"handwritten-{i}.pdf"
        handwriting.handwritten_pdf(fill, {**base, **VARIANTS[i % len(VARIANTS)]}, 200 + i, h)
        out["handwritten"].append(h)
        values = {**base, **VARIANTS[i % len(VARIANTS)]}
        out["fax"].append(_fax(folder, i, values, out["printed"][i % len(out["printed"])]))
        out["photo"].append(_photos(folder, i, out["printed"][i % len(out["printed"])]))
    return out


def _fax(folder: Path, i: int, values: dict, printed: Path) -> Path:
    """The printed form faxed as a gateway delivers it: G4 TIFF, cover sheet, fine and standard in turn."""
    path = folder / f"fax-{i}.tif"
    mode = ("fine", "standard")[i % 2]
    path.write_bytes(faxes.fax_tiff(printed.read_bytes(), values, mode, cover=True, seed=300 + i))
    return path


def _photos(folder: Path, i: int, printed: Path) -> Path:
    """Two phone photos of the printed form, kept together as the mailroom reads a mail's pictures."""
    path = folder / f"photo-{i}.pages"
    path.write_bytes(photos.build("phone", printed.read_bytes(), 400 + i))
    return path


def per_form(fn: Callable[[Path], object], files: list[Path], rounds: int) -> float:
    """Median over rounds of the mean seconds per file."""
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for f in files:
            fn(f)
        times.append((time.perf_counter() - t0) / len(files))
    return statistics.median(times)


def bare_pypdf(p: Path) -> object:
    return PdfReader(p).get_fields()


def bare_pikepdf(p: Path) -> object:
    with pikepdf.open(p) as pdf:
        return [(str(f.get("/T")), f.get("/V")) for f in pdf.Root.AcroForm.Fields]


def bare_pdfplumber(p: Path) -> object:
    with pdfplumber.open(p) as pdf:
        return [page.extract_words() for page in pdf.pages]


def bare_openpyxl(p: Path) -> object:
    return openpyxl.load_workbook(p)


def bare_python_docx(p: Path) -> object:
    return docx.Document(str(p))


def _soffice_converted(p: Path, target: str) -> Path:
    """``p`` converted by a bare ``soffice --headless --convert-to`` (a fresh profile), beside it."""
    out = p.with_suffix(".converted")
    shutil.rmtree(out, ignore_errors=True)
    profile = (out / "profile").resolve().as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", target,
                    "--outdir", str(out), str(p)], check=True, capture_output=True, timeout=120)  # fmt: skip
    return out / f"{p.stem}.{target}"


def bare_soffice_openpyxl(p: Path) -> object:
    return openpyxl.load_workbook(_soffice_converted(p, "xlsx"))


def bare_soffice_python_docx(p: Path) -> object:
    return docx.Document(str(_soffice_converted(p, "docx")))


def bare_pypdfium2(p: Path) -> object:
    doc = pdfium.PdfDocument(p)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


_ENGINE = None


def _page_images(path: str) -> list[np.ndarray]:
    """The file's page images as a bare read decodes them: a PDF rendered at 200 dpi like the reader
    does, a TIFF's pages and a form's pictures decoded by Pillow (grayscale, nothing else done)."""
    data = Path(path).read_bytes()
    if sniff(data) is Carrier.PDF:
        doc = pdfium.PdfDocument(data)
        return [doc[i].render(scale=200 / 72, grayscale=True).to_numpy() for i in range(len(doc))]
    pictures = [d for _, d in unpack_pages(data) or []] or [data]
    out = []
    for picture in pictures:
        image = Image.open(io.BytesIO(picture))
        for frame in range(getattr(image, "n_frames", 1)):
            image.seek(frame)
            out.append(np.asarray(image.convert("L")))
    return out


def _ocr_pages(path: str) -> int:
    """Bare OCR: the engine on each page image of the file."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = ocr_engine.default_engine()
    pages = _page_images(path)
    for image in pages:
        _ENGINE.recognize(image)
    return len(pages)


def _warm(_: int) -> None:
    _ocr_pages(str(SHARED / "samples" / "kosha-scanned.pdf"))


def bare_ocr_rate(files: list[Path], workers: int) -> float:
    """Seconds per form with the bare engine in `workers` processes (models loaded beforehand)."""
    with ProcessPoolExecutor(workers) as ex:
        list(ex.map(_warm, range(workers)))
        t0 = time.perf_counter()
        list(ex.map(_ocr_pages, [str(f) for f in files]))
        return (time.perf_counter() - t0) / len(files)


#: Shapes timed against bare reads in this process: (shape, [(bare name, bare read)]).
BARE_READS: tuple[tuple[str, tuple[tuple[str, Callable[[Path], object]], ...]], ...] = (
    ("fillable", (("pypdf", bare_pypdf), ("pikepdf", bare_pikepdf))),
    ("printed", (("pdfplumber", bare_pdfplumber), ("pypdfium2", bare_pypdfium2))),
    ("xlsx", (("openpyxl", bare_openpyxl),)),
    ("docx", (("python_docx", bare_python_docx),)),
    ("xls", (("soffice_openpyxl", bare_soffice_openpyxl),)),
    ("doc", (("soffice_python_docx", bare_soffice_python_docx),)),
)


#: Every shape the bench measures (``--shapes``).
SHAPES = (*(shape for shape, _ in BARE_READS), *OCR_SHAPES)


def measure(
    files: dict[str, list[Path]], folder: Path, rounds: int, workers: int, shapes: frozenset[str]
) -> dict[str, float]:
    """Seconds per form of every shape in ``shapes`` and of its bare reads, measured side by side."""
    settings = load_settings(env={"FORMS_HOME": str(folder / "home")})
    r: dict[str, float] = {}
    timed = [(shape, bares) for shape, bares in BARE_READS if shape in shapes]
    ocr_shapes = [shape for shape in OCR_SHAPES if shape in shapes]
    with Pipeline(settings) as pipe:
        ours = lambda p: pipe.decide_path(p)  # noqa: E731
        for shape, _ in timed:
            for f in files[shape]:
                ours(f)  # warm every worker
        for f in files["scanned"][:workers] if ocr_shapes else ():
            ours(f)  # the OCR model loads on first use
        for shape, bares in timed:
            n = min(rounds, LEGACY_ROUNDS) if shape in LEGACY else rounds
            r[f"{shape}_s"] = per_form(ours, files[shape], n)
            for name, bare in bares:
                r[f"{name}_s"] = per_form(bare, files[shape], n)
        for shape in ocr_shapes:
            t0 = time.perf_counter()
            list(pipe.decide_many(files[shape]))
            r[f"{shape}_s"] = (time.perf_counter() - t0) / len(files[shape])
    for shape in ocr_shapes:
        r[f"{shape}_ocr_s"] = bare_ocr_rate(files[shape], workers)
    return r


def figures_of(r: dict[str, float], workers: int) -> dict[str, object]:
    timed = [(shape, bares) for shape, bares in BARE_READS if f"{shape}_s" in r]
    figures: dict[str, object] = {f"{shape}_per_s": round(1 / r[f"{shape}_s"], 1) for shape, _ in timed}
    for shape in (s for s in OCR_SHAPES if f"{s}_s" in r):
        figures[f"{shape}_per_s"] = round(1 / r[f"{shape}_s"], 3)
        figures[f"{shape}_vs_ocr"] = round(r[f"{shape}_s"] / r[f"{shape}_ocr_s"], 3)
    for shape, bares in timed:
        for name, _ in bares:
            figures[f"{shape}_vs_{name}"] = round(r[f"{shape}_s"] / r[f"{name}_s"], 3)
    figures["ms_per_form"] = {k: round(v * 1000, 2) for k, v in r.items()}
    figures["workers"] = workers
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--scans", type=int, default=8)
    ap.add_argument("--shapes", default=",".join(SHAPES), help="the shapes measured, comma-separated")
    args = ap.parse_args()
    shapes = frozenset(args.shapes.split(","))
    if not shapes <= set(SHAPES):
        ap.error(f"--shapes: one or more of {', '.join(SHAPES)}")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    workers = os.cpu_count() or 2
    with tempfile.TemporaryDirectory() as tmp:
        scans = args.scans if shapes & set(OCR_SHAPES) else 0
        files = make_inputs(Path(tmp), scans, bool(shapes & set(LEGACY)))
        figures = figures_of(measure(files, Path(tmp), args.rounds, workers, shapes), workers)
    for shape, bares in ((s, b) for s, b in BARE_READS if s in shapes):
        ratios = "  ".join(f"{figures[f'{shape}_vs_{name}']:.2f}× {name}" for name, _ in bares)
        print(f"{shape:9s} {figures[shape + '_per_s']:8.1f} forms/s  {ratios}")
    for shape in (s for s in OCR_SHAPES if s in shapes):
        print(
            f"{shape:11s} {figures[shape + '_per_s']:6.3f} forms/s  "
            f"{figures[shape + '_vs_ocr']:.2f}× bare OCR on the same pages ({workers} processes each)"
        )
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
