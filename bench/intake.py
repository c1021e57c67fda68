"""Intake speed, per shape, end to end (file → decision), against bare reads — one process, one run.

    .venv/bin/python bench/intake.py [--rounds N] [--scans N]

For each shape it prints forms per second through the whole pipeline (reader processes, normalise,
validate, decide) and the ratio of its time per form to:
- fillable: a bare pypdf ``get_fields()`` (design card) and a bare pikepdf field walk (fastest known);
- printed:  bare pdfplumber ``extract_words()`` (design card) and bare pypdfium2 text (fastest known);
- scanned:  the bare OCR engine on the same page images, both cores busy in both measurements.
A ratio ≤ 1.5 (fillable, printed) and ≤ 1.2 (scanned) meets the goal. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pdfplumber
import pikepdf
import pypdfium2 as pdfium
from pypdf import PdfReader

from forms.config import load_settings
from forms.extract import ocr_engine
from forms.pipeline import Pipeline

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(SHARED / "forms"))
import fill  # noqa: E402

VARIANTS = [
    {},
    {"company_name": "株式会社ベンチ工業", "employees": "120人", "capital_yen": "9,000万円"},
    {"company_name": "ベンチ商事株式会社", "applied_on": "R8.7.1", "loan_amount_yen": "1億円"},
    {"company_name": "有限会社ベンチ製作所", "hq_address": "八王子市元本郷町1-2-3", "employees": "３０人"},
]


def make_inputs(folder: Path, scans: int) -> dict[str, list[Path]]:
    base = json.loads((SHARED / "samples" / "jetro-fillable.values.json").read_text(encoding="utf-8"))
    out: dict[str, list[Path]] = {"fillable": [], "printed": [], "scanned": []}
    for i, v in enumerate(VARIANTS):
        values = {**base, **v}
        a, b = folder / f"fillable-{i}.pdf", folder / f"printed-{i}.pdf"
        fill.fill_fillable(values, str(a))
        fill.flatten(values, str(b))
        out["fillable"].append(a)
        out["printed"].append(b)
    for i in range(scans):
        c = folder / f"scanned-{i}.pdf"
        fill.scan(str(out["printed"][i % len(out["printed"])]), str(c), seed=100 + i)
        out["scanned"].append(c)
    return out


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


def bare_pypdfium2(p: Path) -> object:
    doc = pdfium.PdfDocument(p)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


_ENGINE = None


def _ocr_pages(path: str) -> int:
    """Bare OCR: rasterise like the reader does, then the engine on each page image."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = ocr_engine.default_engine()
    doc = pdfium.PdfDocument(path)
    for i in range(len(doc)):
        img = doc[i].render(scale=200 / 72, grayscale=True).to_numpy()
        _ENGINE.recognize(img)
    return len(doc)


def _warm(_: int) -> None:
    _ocr_pages(str(SHARED / "samples" / "kosha-scanned.pdf"))


def bare_ocr_rate(files: list[Path], workers: int) -> float:
    """Seconds per form with the bare engine in `workers` processes (models loaded beforehand)."""
    with ProcessPoolExecutor(workers) as ex:
        list(ex.map(_warm, range(workers)))
        t0 = time.perf_counter()
        list(ex.map(_ocr_pages, [str(f) for f in files]))
        return (time.perf_counter() - t0) / len(files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--scans", type=int, default=8)
    args = ap.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    workers = os.cpu_count() or 2
    with tempfile.TemporaryDirectory() as tmp:
        files = make_inputs(Path(tmp), args.scans)
        settings = load_settings(env={"FORMS_HOME": str(Path(tmp) / "home")})
        with Pipeline(settings) as pipe:
            ours = lambda p: pipe.decide_path(p)  # noqa: E731
            for f in files["fillable"] + files["printed"] + files["scanned"][:workers]:
                ours(f)  # warm every worker (the OCR model loads on first use)
            r = {}
            r["fillable_s"] = per_form(ours, files["fillable"], args.rounds)
            r["pypdf_s"] = per_form(bare_pypdf, files["fillable"], args.rounds)
            r["pikepdf_s"] = per_form(bare_pikepdf, files["fillable"], args.rounds)
            r["printed_s"] = per_form(ours, files["printed"], args.rounds)
            r["pdfplumber_s"] = per_form(bare_pdfplumber, files["printed"], args.rounds)
            r["pypdfium2_s"] = per_form(bare_pypdfium2, files["printed"], args.rounds)
            t0 = time.perf_counter()
            list(pipe.decide_many(files["scanned"]))
            r["scanned_s"] = (time.perf_counter() - t0) / len(files["scanned"])
        r["ocr_s"] = bare_ocr_rate(files["scanned"], workers)
    figures = {
        "fillable_per_s": round(1 / r["fillable_s"], 1),
        "printed_per_s": round(1 / r["printed_s"], 1),
        "scanned_per_s": round(1 / r["scanned_s"], 3),
        "fillable_vs_pypdf": round(r["fillable_s"] / r["pypdf_s"], 3),
        "fillable_vs_pikepdf": round(r["fillable_s"] / r["pikepdf_s"], 3),
        "printed_vs_pdfplumber": round(r["printed_s"] / r["pdfplumber_s"], 3),
        "printed_vs_pypdfium2": round(r["printed_s"] / r["pypdfium2_s"], 3),
        "scanned_vs_ocr": round(r["scanned_s"] / r["ocr_s"], 3),
        "ms_per_form": {k: round(v * 1000, 2) for k, v in r.items()},
        "workers": workers,
    }
    for shape, bare, fast in (("fillable", "pypdf", "pikepdf"), ("printed", "pdfplumber", "pypdfium2")):
        print(
            f"{shape:9s} {figures[shape + '_per_s']:8.1f} forms/s  "
            f"{figures[f'{shape}_vs_{bare}']:.2f}× {bare}  {figures[f'{shape}_vs_{fast}']:.2f}× {fast}"
        )
    print(
        f"scanned   {figures['scanned_per_s']:8.3f} forms/s  {figures['scanned_vs_ocr']:.2f}× bare OCR "
        f"({workers} processes each)"
    )
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
