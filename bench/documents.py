"""Document speed: 様式3 as .docx (docxtpl) and as PDF (Jinja HTML → WeasyPrint), against LibreOffice.

    .venv/bin/python bench/documents.py [--docs N] [--soffice N] [--batch N] [--font-dir DIR]

Prints documents per second for .docx and for PDF (one process, warm), the time of converting the
same .docx to PDF with LibreOffice headless — one ``soffice --convert-to pdf`` per document, as a
clerk's script would (its profile made by one untimed conversion first) — and the ratio of the two
in this run (goal: PDF at least 10× faster). Then a batch of ``--batch`` 様式3 PDFs on every core
with a progress bar. Without ``soffice`` the comparison says "skipped". The last line is one JSON
object of the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forms.documents.batch import Job, render, render_batch
from forms.documents.render import pdf_engine, prepare_font
from forms.documents.youshiki3 import Youshiki3, youshiki3_data
from forms.rules.loader import load_rulebooks

RULEBOOK = load_rulebooks().for_date(dt.date(2026, 6, 1))
BASE: dict[str, object] = {
    "company_name": "株式会社ベンチ工業",
    "corporate_number": "4010001234567",
    "representative": "代表取締役 見本太郎",
    "hq_postal_code": "144-0052",
    "hq_address": "東京都大田区蒲田5-1-1",
    "bank_name": "サンプル信用金庫",
    "bank_branch": "蒲田支店",
    "bank_officer": "信金花子",
    "loan_status": "using",
    "loan_menu": "海外展開・事業承継支援",
    "loan_amount_yen": 50_000_000,
    "loan_date": "2026-07-01",
    "applied_on": "2026-05-01",
}


def documents(n: int) -> list[Youshiki3]:
    """``n`` different 様式3 (company, amount, issue day and agency vary)."""
    return [
        youshiki3_data(
            youshiki1_fields={
                **BASE,
                "company_name": f"株式会社ベンチ工業{i}号",
                "loan_amount_yen": 1_000_000 + i,
            },
            agency=("jetro", "scb")[i % 2],
            rulebook=RULEBOOK,
            issued_on=dt.date(2026, 6, 1) + dt.timedelta(days=i % 200),
        )
        for i in range(n)
    ]


def per_doc(fn: Callable[[Any], object], items: list[Any]) -> float:
    """Median seconds of one call over ``items``."""
    times = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def soffice_per_doc(soffice: str, docx_files: list[Path], out: Path) -> float:
    """Median seconds of one ``soffice --headless --convert-to pdf`` per document (profile warm)."""
    profile = (out / "lo-profile").as_uri()
    command = [
        soffice,
        f"-env:UserInstallation={profile}",
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(out),
    ]
    subprocess.run(
        [*command, str(docx_files[0])], check=True, capture_output=True, timeout=300
    )  # makes the profile
    times = []
    for path in docx_files:
        t = time.perf_counter()
        subprocess.run([*command, str(path)], check=True, capture_output=True, timeout=300)
        times.append(time.perf_counter() - t)
        if not (out / path.with_suffix(".pdf").name).is_file():
            raise RuntimeError(f"LibreOffice wrote no PDF for {path}")
    return statistics.median(times)


def vs_libreoffice(items: list[Any], pdf_s: float, folder: Path) -> dict[str, Any]:
    """LibreOffice converting the same .docx to PDF, and how many times faster our PDF is."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or not items:
        print("LibreOffice: skipped (no soffice on PATH)")
        return {"soffice_ms": None, "pdf_speedup_vs_libreoffice": "skipped"}
    docx_files = []
    for i, d in enumerate(items):
        path = folder / f"lo-{i}.docx"
        path.write_bytes(render(d, "docx"))
        docx_files.append(path)
    lo_s = soffice_per_doc(soffice, docx_files, folder)
    speedup = lo_s / pdf_s
    verdict = "meets" if speedup >= 10 else "misses"
    print(
        f"LibreOffice --convert-to pdf: {lo_s * 1000:.0f} ms/doc; PDF is {speedup:.1f}x faster "
        f"({verdict} the 10x goal)"
    )
    return {"soffice_ms": round(lo_s * 1000, 1), "pdf_speedup_vs_libreoffice": round(speedup, 1)}


def batch(count: int, folder: Path, font_dir: Path) -> dict[str, Any]:
    """``count`` 様式3 PDFs rendered on every core."""
    jobs = [Job(d, "pdf", folder / "batch" / f"{i:05d}.pdf") for i, d in enumerate(documents(count))]
    t = time.perf_counter()
    render_batch(jobs, font_dir=font_dir, progress=True)
    batch_s = time.perf_counter() - t
    rate = count / batch_s
    print(f"batch: {count} 様式3 PDFs in {batch_s:.1f} s on {os.cpu_count()} cores, {rate:.1f} docs/s")
    return {"batch_docs": count, "batch_s": round(batch_s, 1), "batch_pdf_per_s": round(count / batch_s, 1)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=40, help="documents timed per format")
    parser.add_argument("--soffice", type=int, default=5, help="documents converted by LibreOffice")
    parser.add_argument("--batch", type=int, default=1000, help="様式3 PDFs in the batch on every core")
    parser.add_argument("--font-dir", type=Path, default=None, help="cache of the cut font (default: temp)")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as tmp:
        folder = Path(tmp)
        font_dir = args.font_dir or folder / "fonts"
        t = time.perf_counter()
        prepare_font(font_dir)
        figures["font_cut_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        pdf_engine(font_dir)
        figures["pdf_engine_start_s"] = round(time.perf_counter() - t, 2)
        items = documents(args.docs)
        render(items[0], "docx")
        render(items[0], "pdf", font_dir=font_dir)  # warm
        docx_s = per_doc(lambda d: render(d, "docx"), items)
        pdf_s = per_doc(lambda d: render(d, "pdf", font_dir=font_dir), items)
        figures |= {
            "docx_ms": round(docx_s * 1000, 1),
            "docx_per_s": round(1 / docx_s, 1),
            "pdf_ms": round(pdf_s * 1000, 1),
            "pdf_per_s": round(1 / pdf_s, 1),
        }
        print(f".docx: {docx_s * 1000:.1f} ms/doc, {1 / docx_s:.1f} docs/s (one process)")
        print(f"PDF:   {pdf_s * 1000:.1f} ms/doc, {1 / pdf_s:.1f} docs/s (one process)")
        figures |= vs_libreoffice(items[: args.soffice], pdf_s, folder)
        if args.batch > 0:
            figures |= batch(args.batch, folder, font_dir)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
