#!/usr/bin/env python3
"""Make the project's own samples of the carriers other than PDF, beside this file.

    .venv/bin/python tests/samples/make_samples.py

Each sample starts from a shared sample's values (``../shared/samples/BASE.values.json``), is written by a
real tool (python-docx, openpyxl; fill.py, PDFium, Pillow and OpenCV for the fax and photo samples), and its
NAME.expected.json is the shared sample's expected decision with the changes this script states — never
what our readers make of the file. tests/integration/test_samples.py sweeps these with the shared ones.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SHARED_SAMPLES = REPO.parent / "shared" / "samples"
sys.path.insert(0, str(REPO))

from tests.corpus import faxes, mails, office, photos  # noqa: E402
from tests.corpus.make_corpus import printed  # noqa: E402


@dataclass(frozen=True)
class Sample:
    name: str  # the file written: NAME.suffix
    base: str  # the shared sample whose values and expected decision it starts from
    make: Callable[[Mapping[str, Any]], bytes]
    changes: Mapping[str, Any] = field(default_factory=dict)  # values written differently (fill.py format)
    fields: Mapping[str, Any] = field(default_factory=dict)  # ... and how they read, normalised
    status: str = "routed"
    reasons: tuple[tuple[str, str | None], ...] = ()
    mail: Mapping[str, str] = field(default_factory=dict)  # e-mails: source, attachment


def _bank_mail(name: str, attachment: str, layout: str) -> Callable[[Mapping[str, Any]], bytes]:
    def make(values: Mapping[str, Any]) -> bytes:
        form = office.build(layout, values)[0]
        return mails.octet_stream(mails.MailInput(name, values, form, attachment, b""))

    return make


def _fax(seed: int) -> Callable[[Mapping[str, Any]], bytes]:
    return lambda values: faxes.fax_tiff(printed(values), values, "fine", cover=True, seed=seed)


def _gateway_mail(name: str, seed: int) -> Callable[[Mapping[str, Any]], bytes]:
    def make(values: Mapping[str, Any]) -> bytes:
        tiff = faxes.fax_tiff(printed(values), values, "fine", cover=True, seed=seed)
        return mails.fax_gateway(mails.MailInput(name, values, tiff, "FAX_20260615_101203.tif", b""))

    return make


def _photos_mail(name: str, kind: str, seed: int) -> Callable[[Mapping[str, Any]], bytes]:
    def make(values: Mapping[str, Any]) -> bytes:
        pictures = photos.build(kind, printed(values), seed)
        return mails.pictures(mails.MailInput(name, values, pictures, None, b""))

    return make


BIG = {"capital_yen": "4億円", "employees": "400人"}
SAMPLES = (
    Sample("jetro-word.docx", "jetro-fillable", office.docx_table),
    Sample("scb-excel.xlsx", "scb-shinkin-flattened", office.xlsx_two_per_row),
    Sample(
        "jetro-excel-not-sme.xlsx",
        "jetro-fillable",
        office.xlsx_grid,
        BIG,
        {"capital_yen": 400_000_000, "employees": 400},
        "rejected",
        (("NOT_SME", "capital_yen"),),
    ),
    Sample(
        "kosha-word-bank.eml",
        "kosha-scanned",
        _bank_mail("kosha-word-bank", "申込書_例示フーズ.docx", "docx_paragraphs"),
        mail={
            "source": "<corpus-kosha-word-bank@reiji-shinkumi.example.jp>",
            "attachment": "申込書_例示フーズ.docx",
        },
    ),
    Sample("scb-excel-97.xls", "scb-shinkin-flattened", lambda v: office.as_xls(office.xlsx_two_per_row(v))),
    Sample("kosha-word-97.doc", "kosha-scanned", lambda v: office.as_doc(office.docx_table(v))),
    Sample("jetro-fax-fine.tif", "jetro-fillable", _fax(3)),
    Sample(
        "kosha-fax-gateway.eml",
        "kosha-scanned",
        _gateway_mail("kosha-fax-gateway", 4),
        mail={
            "source": "<corpus-kosha-fax-gateway@faxmail.example.jp>",
            "attachment": "FAX_20260615_101203.tif",
        },
    ),
    Sample(
        "jetro-photos.eml",
        "jetro-fillable",
        _photos_mail("jetro-photos", "phone+logo", 3),
        mail={"source": "<corpus-jetro-photos@mihon-bank.example.jp>", "attachment": "IMG_1201.jpg"},
    ),
    Sample(
        "kosha-photos.eml",
        "kosha-scanned",
        _photos_mail("kosha-photos", "phone_sideways", 1),
        mail={"source": "<corpus-kosha-photos@reiji-shinkumi.example.jp>", "attachment": "IMG_1201.jpg"},
    ),
)


def expected(sample: Sample) -> dict[str, Any]:
    base = json.loads((SHARED_SAMPLES / f"{sample.base}.expected.json").read_text(encoding="utf-8"))
    out: dict[str, Any] = {**sample.mail, "status": sample.status, "agency": base["agency"]}
    out["reasons"] = [{"code": code, "field": fld} for code, fld in sample.reasons]
    out["fields"] = {**base["fields"], **sample.fields}
    return out


def main(names: list[str]) -> int:
    """Write every sample, or those named."""
    for sample in (s for s in SAMPLES if not names or s.name in names):
        values = json.loads((SHARED_SAMPLES / f"{sample.base}.values.json").read_text(encoding="utf-8"))
        (HERE / sample.name).write_bytes(sample.make({**values, **sample.changes}))
        stem = sample.name.rpartition(".")[0]
        text = json.dumps(expected(sample), ensure_ascii=False, indent=2) + "\n"
        (HERE / f"{stem}.expected.json").write_text(text, encoding="utf-8")
        print(sample.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
