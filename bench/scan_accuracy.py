"""Scanned-form reader: accuracy on the generated corpus and speed against the bare OCR engine.

    .venv/bin/python bench/scan_accuracy.py [--forms N] [--no-accuracy]

Speed, in one process on one thread: seconds per page of read_scanned end to end; the share of it
spent inside the OCR engine's calls (the goal: end to end ≤ 1.2 × the OCR calls); and the bare
RapidOCR default pipeline (detection + classifier + recognition) on the same page images.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.integration

from tests.integration import test_scan_accuracy as corpus

from forms.extract.ocr_engine import OcrEngine, OcrLine, default_engine
from forms.extract.scan import rasterise, read_scanned


class TimedEngine:
    """An OcrEngine that times the calls of another."""

    def __init__(self, inner: OcrEngine) -> None:
        self.inner = inner
        self.name = f"timed {inner.name}"
        self.seconds = 0.0

    def recognize(self, image: np.ndarray) -> list[OcrLine]:
        start = time.perf_counter()
        try:
            return self.inner.recognize(image)
        finally:
            self.seconds += time.perf_counter() - start


def speed(forms: int) -> None:
    engine = default_engine()
    if engine is None:
        raise SystemExit("no OCR engine available")
    timed = TimedEngine(engine)
    values = list(corpus.corpus_values().values())[:forms]
    docs = [pdfium.PdfDocument(corpus.scanned_pdf(v, corpus.SEEDS[0])) for v in values]
    read_scanned(docs[0], engine)  # warm up: models loaded, blank form rendered
    pages = sum(len(d) for d in docs)
    start = time.perf_counter()
    for doc in docs:
        read_scanned(doc, timed)
    total = time.perf_counter() - start
    print(f"read_scanned: {total / pages:.2f} s/page end to end, {timed.seconds / pages:.2f} s/page in OCR")
    print(f"  end to end / OCR calls = {total / timed.seconds:.2f} (goal ≤ 1.2)")
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
    print(f"bare RapidOCR default pipeline on the same page images: {bare_s:.2f} s/page")
    print(f"  read_scanned / bare RapidOCR = {total / pages / bare_s:.2f}")


def accuracy() -> None:
    start = time.perf_counter()
    result = corpus.summary(corpus.measure(workers=2))
    print(
        f"accuracy: {result['right_or_flagged']:.4f} right-or-flagged over "
        f"{result['required_fields']} required fields of {result['forms']} scans; "
        f"right {result['right']}, flagged {result['flagged']}, "
        f"silently wrong {result['silently_wrong']}; {result['seconds_per_page']:.2f} s/page with 2 workers "
        f"({time.perf_counter() - start:.0f} s wall)"
    )
    for line in result["wrong_fields"]:
        print("  WRONG", line)
    for line in result["flagged_fields"]:
        print("  flagged", line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--forms", type=int, default=4, help="forms timed for speed (2 pages each)")
    ap.add_argument("--no-accuracy", action="store_true")
    args = ap.parse_args()
    speed(args.forms)
    if not args.no_accuracy:
        accuracy()


if __name__ == "__main__":
    main()
