"""Are a fax's two readings evidence? Each field read twice, agreeing or not, against what was written.

    .venv/bin/python bench/fax_evidence.py [--modes standard,fine] [--seeds K] [--cases N]

Every case of the scan corpus (tests/support/scan_corpus.py) is faxed K times in each mode (204 × 98 dpi
"standard", 204 × 196 "fine"; other seeds than the accuracy bench's, a cover sheet on every other), read
by the scan reader with nothing taken away (no standard-fax policy, fax.at_standard_resolution), decided,
and each field compared with the truth (the decision from the values as written, both normalised alike).

Per mode and field it prints how often the two readings agreed and were right, agreed and were wrong —
and of those, how many nothing else doubted (no failed grammar or check digit, no postal code against
the address …: what two readings alone would have made certain, a silent error) — and differed. Then
the characters the first reading most often got wrong, with how often each was written. This is the
measurement behind the fields fax.LEGIBLE_TYPES keeps two readings for. Each fax is also decided as the
mailroom decides it (a standard one under fax.at_standard_resolution): per field how often it was taken
as certain though not as written (certain+wrong, the silent errors of the form's and the domain's
evidence), and how many faxes were decided without a clerk, handed to one, or decided wrongly.

The last line is one JSON object: {"modes": {mode: {"faxes": n, "fields": {field: {"agree_right",
"agree_wrong", "agree_wrong_undoubted", "differ", "certain_wrong"}}, "decided": {"auto", "flagged",
"wrong", "certain_wrong"}, "confusions": [[written, read, times, written_times], …]}}}.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import difflib
import json
import sys
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.support

from tests.support import scan_corpus

from forms import model
from forms.decide import Candidate, Context, decide
from forms.extract import fax, images, scan, tiff
from forms.extract.ocr_engine import OcrEngine, default_engine
from forms.extract.streams import MAX_IMAGE_PIXELS

E = model.Evidence
MODES = {"standard": 1, "fine": 0}  # scan_corpus faxes an odd seed at standard resolution, an even one fine
_ENGINE: OcrEngine | None = None


def _start_worker() -> None:
    global _ENGINE
    _ENGINE = default_engine()


def fax_cases(mode: str, seeds: int, limit: int | None) -> list[scan_corpus.ScanCase]:
    """Each corpus case ``seeds`` times with seeds of the mode's parity, apart from the accuracy bench's."""
    return [
        dataclasses.replace(case, seed=5000 + case.seed * 10 + 2 * k + MODES[mode])
        for case in scan_corpus.cases(limit)
        for k in range(1, seeds + 1)
    ]


def read_fax(case: scan_corpus.ScanCase) -> dict[str, Any]:
    """One fax read with both readings' evidence kept, decided; per field: the reading and the truth."""
    assert _ENGINE is not None, "no OCR engine in this worker"
    ctx = scan_corpus.context()
    truth = decide(case.name, [Candidate(None, scan_corpus.truth_extraction(case.values, ctx.spec))], ctx)
    data = scan_corpus.case_pdf("fax", case).read_bytes()
    pages = tiff.tiff_pages(data, max_pages=50, max_pixels=MAX_IMAGE_PIXELS)
    assert not isinstance(pages, model.Problem), pages
    page_images = images.tiff_page_images(data, [p.dpi for p in pages], 10)
    read = scan.read_page_images(page_images, _ENGINE, dpi=images.DPI, shape=model.Shape.FAX)
    got = decide(case.name, [Candidate(None, images.with_unread_pages(read))], ctx)
    fields = {}
    if isinstance(read, model.Extraction):
        for key, raw in read.values.items():
            known = got.certainty.get(key)
            if isinstance(raw.value, bool) or known is None or E.BLANK in known.evidence:
                continue
            fields[key] = {
                "read": str(raw.value),
                "written": str(case.values.get(key, "")),
                "right": got.fields.get(key) == truth.fields.get(key),
                "evidence": [str(e) for e in known.evidence],
            }
    decided = as_the_mailroom_decides(case.name, truth, read, pages, ctx)
    return {"name": case.name, "seed": case.seed, "fields": fields, "decided": decided}


def as_the_mailroom_decides(
    name: str, truth: model.Decision, read: model.ExtractResult, pages: list[tiff.TiffPage], ctx: Context
) -> dict[str, Any]:
    """The fax decided as the mailroom does (on a standard one, two readings count only for values of
    digits: fax.at_standard_resolution): its outcome against the truth (auto, flagged, or wrong: decided
    otherwise than the values as written), and the fields certain but not as written."""
    standard = min(fax.lines_per_inch(p) for p in pages) < fax.FINE_LINES
    policed = fax.at_standard_resolution(read) if standard else read
    got = decide(name, [Candidate(None, images.with_unread_pages(policed))], ctx)
    scored = scan_corpus.score("fax", name, truth, got, 0.0)
    return {"outcome": scored.outcome, "certain_wrong": scored.certain_wrong}


def tally(readings: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per field: readings agreed and right, agreed and wrong (and of those, undoubted), differed; and
    how often the mailroom took it as certain though it was not as written."""
    out: dict[str, dict[str, int]] = {}
    for one in readings:
        for key, f in one["fields"].items():
            row = out.setdefault(key, dict.fromkeys(("agree_right", "agree_wrong", "agree_wrong_undoubted",
                                                     "differ", "certain_wrong"), 0))  # fmt: skip
            row["certain_wrong"] += key in one["decided"]["certain_wrong"]
            evidence = {E(e) for e in f["evidence"]}
            if E.TWO_READINGS not in evidence:
                row["differ"] += 1
            elif f["right"]:
                row["agree_right"] += 1
            else:
                row["agree_wrong"] += 1
                row["agree_wrong_undoubted"] += not (evidence & model.DOUBTS)
    return out


def _bare(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def confusions(readings: list[dict[str, Any]], top: int) -> list[tuple[str, str, int, int]]:
    """The first reading's commonest misreadings: (written, read, times, how often written was written)."""
    misread: collections.Counter[tuple[str, str]] = collections.Counter()
    written: collections.Counter[str] = collections.Counter()
    for one in readings:
        for f in one["fields"].values():
            truth, read = _bare(f["written"]), _bare(f["read"])
            written.update(truth)
            matcher = difflib.SequenceMatcher(None, truth, read, autojunk=False)
            for op, i1, i2, j1, j2 in matcher.get_opcodes():
                if op != "equal":
                    misread[(truth[i1:i2], read[j1:j2])] += 1
    return [(w, r, n, sum(written[c] for c in w) or n) for (w, r), n in misread.most_common(top)]


def report(mode: str, readings: list[dict[str, Any]]) -> dict[str, Any]:
    rows = tally(readings)
    print(f"\n{mode}: {len(readings)} faxes")
    print(f"{'field':24s} {'agree+right':>11s} {'agree+wrong':>11s} {'undoubted':>9s} {'differ':>6s} "
          f"{'certain+wrong':>13s}")  # fmt: skip
    for key, row in rows.items():
        print(f"{key:24s} {row['agree_right']:11d} {row['agree_wrong']:11d} "
              f"{row['agree_wrong_undoubted']:9d} {row['differ']:6d} {row['certain_wrong']:13d}")  # fmt: skip
    outcomes = collections.Counter(one["decided"]["outcome"] for one in readings)
    decided = {k: outcomes[k] for k in ("auto", "flagged", "wrong")}
    decided["certain_wrong"] = sum(len(one["decided"]["certain_wrong"]) for one in readings)
    print(f"as the mailroom decides: {decided['auto']} without a clerk, {decided['flagged']} to a clerk, "
          f"{decided['wrong']} wrong; {decided['certain_wrong']} fields certain but not as written")
    common = confusions(readings, 30)
    print("first reading's commonest misreadings (written → read: times / written):")
    print("  " + ", ".join(f"{w or '∅'}→{r or '∅'} {n}/{of}" for w, r, n, of in common))
    return {"faxes": len(readings), "fields": rows, "decided": decided, "confusions": common}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modes", default="standard,fine", help="fax resolutions measured, comma-separated")
    ap.add_argument("--seeds", type=int, default=2, help="faxes of each case per mode")
    ap.add_argument("--cases", type=int, default=None, help="only the first N cases")
    args = ap.parse_args()
    result: dict[str, Any] = {"modes": {}}
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2, initializer=_start_worker) as pool:
        for mode in [m for m in args.modes.split(",") if m]:
            readings = list(pool.map(read_fax, fax_cases(mode, args.seeds, args.cases)))
            result["modes"][mode] = report(mode, readings)
    print(f"({time.perf_counter() - start:.0f} s wall, 2 workers)")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
