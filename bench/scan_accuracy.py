"""Scans decided without a clerk, per shape, and the OCR reader's speed against the bare engine.

    .venv/bin/python bench/scan_accuracy.py [--shapes scanned,handwritten] [--cases N] [--no-speed]

Accuracy (tests/support/scan_corpus.py): every case — the shared samples and the corpus's form cases that
need no ledger — is written in each shape (a typed scan; the company part handwritten …), read by OCR and
decided, and its decision compared with the one the values themselves give. The youshiki3_* shapes are
returned 様式3 on paper (tests/support/paper_youshiki3.py: answered by hand or typed, then scanned, faxed
or photographed), their reading compared with what the bank wrote. "fax_known" reads the fax files again
as a mailroom that decided the shared samples before, their banks and companies having e-mailed first:
the values those decisions made known are evidence (forms.correspondents); "fax" is a bank's first fax.
Per shape it prints cases, decided without a clerk (auto), handed to a clerk (flagged) and silently
wrong (an auto decision whose status, agency, reasons or any field not marked unsure differs), then per
field how often it was read certain, unsure, and certain but wrong.

Speed, in one process on one thread: seconds per page of read_scanned end to end against the bare
RapidOCR default pipeline (detection + classifier + recognition) on the same page images.

The last line is one JSON object: {"shapes": {shape: {cases, auto, flagged, wrong, auto_rate}}, "fields":
{field: {certain, unsure, certain_wrong}}, "fax_resolutions": {shape: {"fine"|"standard": {cases, auto,
flagged, wrong, auto_rate}}}, "speed": {...}}: the fax shapes split by the resolution each case was faxed at.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.support

from tests.support import paper_youshiki3, scan_corpus

from forms.extract.ocr_engine import default_engine
from forms.extract.scan import rasterise, read_scanned


def speed(forms: int) -> dict[str, float]:
    engine = default_engine()
    if engine is None:
        raise SystemExit("no OCR engine available")
    docs = [pdfium.PdfDocument(scan_corpus.case_pdf("scanned", c)) for c in scan_corpus.cases(forms)]
    read_scanned(docs[0], engine)  # warm up: models loaded, blank form rendered
    pages = sum(len(d) for d in docs)
    start = time.perf_counter()
    for doc in docs:
        read_scanned(doc, engine)
    ours = (time.perf_counter() - start) / pages
    rapidocr = __import__("rapidocr")
    bare = rapidocr.RapidOCR(
        params={
            "Global.log_level": "error",
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
    )
    images = [rasterise(doc[i], 200) for doc in docs[:2] for i in range(len(doc))]
    bare(images[0])
    start = time.perf_counter()
    for image in images:
        bare(image)
    bare_s = (time.perf_counter() - start) / len(images)
    print(f"read_scanned: {ours:.2f} s/page; bare RapidOCR pipeline on the same pages: {bare_s:.2f} s/page")
    print(f"  read_scanned / bare RapidOCR = {ours / bare_s:.2f} (goal ≤ 1.2)")
    return {"read_scanned_s_per_page": round(ours, 3), "bare_ocr_s_per_page": round(bare_s, 3),
            "scan_vs_bare_ocr": round(ours / bare_s, 3)}  # fmt: skip


def accuracy(shapes: list[str], cases: int | None) -> dict[str, Any]:
    start = time.perf_counter()
    forms = [s for s in shapes if s not in paper_youshiki3.SHAPES]
    returned = [s for s in shapes if s in paper_youshiki3.SHAPES]
    scored = scan_corpus.measure(forms, scan_corpus.cases(cases), workers=2) if forms else []
    if returned:
        scored += paper_youshiki3.measure(returned, paper_youshiki3.cases(cases), workers=2)
    result = scan_corpus.summary(scored)
    by_resolution = fax_resolutions(scored, cases)
    if by_resolution:
        result["fax_resolutions"] = by_resolution
    print(f"{'shape':22s} {'cases':>5s} {'auto':>5s} {'flagged':>7s} {'wrong':>5s} {'auto_rate':>9s}")
    rows = [*result["shapes"].items()]
    for shape, modes in by_resolution.items():
        rows += [(f"  {shape} {mode}", row) for mode, row in modes.items()]
    for shape, row in rows:
        print(f"{shape:22s} {row['cases']:5d} {row['auto']:5d} {row['flagged']:7d} {row['wrong']:5d} "
              f"{row['auto_rate']:9.1%}")  # fmt: skip
    print(f"({time.perf_counter() - start:.0f} s wall, 2 workers)")
    for s in scored:
        if s.outcome != "auto":
            print(f"  {s.outcome.upper():7s} {s.shape}/{s.name}: {'; '.join(s.why)}")
    print(f"{'field':28s} {'certain':>7s} {'unsure':>6s} {'certain but wrong':>17s}")
    for key, f in result["fields"].items():
        print(f"{key:28s} {f['certain']:7d} {f['unsure']:6d} {f['certain_wrong']:17d}")
    return result


def fax_resolutions(scored: list[scan_corpus.Scored], cases: int | None) -> dict[str, Any]:
    """The fax shapes' rows again, split by the resolution each case was faxed at (fine, standard)."""
    seeds = {c.name: c.seed for c in scan_corpus.cases(cases)}
    faxed = {"fax", *(s for s, source in scan_corpus.EARLIER_MAIL.items() if source == "fax")}
    split: dict[str, list[scan_corpus.Scored]] = {}
    for s in scored:
        if s.shape in faxed:
            split.setdefault(f"{s.shape} {scan_corpus.fax_resolution(seeds[s.name])}", []).append(s)
    out: dict[str, Any] = {}
    for key, rows in sorted(split.items()):
        shape, mode = key.split()
        out.setdefault(shape, {})[mode] = scan_corpus.summary(rows)["shapes"][shape]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    every = [*scan_corpus.SHAPES, *scan_corpus.EARLIER_MAIL, *paper_youshiki3.SHAPES]
    ap.add_argument("--shapes", default=",".join(every), help="shapes measured, comma-separated")
    ap.add_argument("--cases", type=int, default=None, help="only the first N cases of each shape")
    ap.add_argument("--forms", type=int, default=4, help="forms timed for speed (2 pages each)")
    ap.add_argument("--no-speed", action="store_true")
    args = ap.parse_args()
    result = accuracy([s for s in args.shapes.split(",") if s], args.cases)
    if not args.no_speed:
        result["speed"] = speed(args.forms)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
