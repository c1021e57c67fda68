"""Accuracy of the scanned-form reader on a generated corpus (slow: OCR).

Eight filled 様式1 (the four shared samples' values and four variants: long names, full-width digits,
a 個人事業者, a 組合 with a Tokyo office, a re-application), each flattened and scanned by
../shared/forms/fill.py with two seeds. Every scan is read (read_scanned) and normalised
(forms.normalize) and compared with the normalised values as written, over the fields REQUIRED for
the form's agency (checkboxes included). A field is right, flagged (LOW_CONFIDENCE), or silently
wrong; the done-means is right-or-flagged on at least 98% of required fields.

Generated PDFs are cached under tests/corpus/build/scans/ by a hash of what made them.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest

from forms import model
from forms.extract.ocr_engine import OcrEngine, default_engine, rapidocr_available
from forms.extract.scan import read_scanned
from forms.normalize import normalize
from forms.spec import AGENCY_FIELDS, FormSpec, load_spec
from tests.support.youshiki1 import fill_module

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CACHE = REPO / "tests" / "corpus" / "build" / "scans"
MIN_CONFIDENCE = 0.90  # Settings.ocr_min_confidence
SEEDS = (11, 12)

#: Variants of the shared samples' values (fill.py format): base sample, changes.
VARIANTS: Mapping[str, tuple[str, dict[str, Any]]] = {
    "jetro-long-fullwidth": (
        "jetro-fillable",
        {
            "applied_on": "令和８年４月１日",
            "company_name": "株式会社東京グローバル精密機械製作所ホールディングス",
            "company_name_kana": "トウキョウグローバルセイミツキカイセイサクショホールディングス",
            "corporate_number": "５０１１００１９９８８７７",
            "representative": "代表取締役社長執行役員　長谷川　龍之介",
            "hq_postal_code": "〒１９２－０３６４",
            "hq_address": "東京都八王子市南大沢一丁目二番地三号　サンプルビルディング十階",
            "capital_yen": "９，８００万円",
            "employees": "１２０人",
            "contact_name": "長谷川　美咲",
            "contact_phone": "０４２－６７８－９０１２",
            "contact_email": "misaki.hasegawa@tokyo-global-seimitsu.example.co.jp",
            "loan_amount_yen": "2億8,000万円",
        },
    ),
    "scb-sole-proprietor": (
        "scb-shinkin-flattened",
        {
            "company_name": "見本商店",
            "company_name_kana": "ミホンショウテン",
            "entity_type": "個人事業者",
            "corporate_number": "",
            "representative": "見本　一太",
            "hq_postal_code": "144-0052",
            "hq_address": "東京都大田区蒲田4丁目1番2号",
            "industry_category": "小売業",
            "industry_detail": "陶磁器小売業",
            "capital_yen": "",
            "employees": "4人",
            "contact_name": "見本　一太",
            "contact_phone": "03-3731-0000",
            "contact_email": "ichita@mihon-shoten.example.jp",
            "loan_status": "利用予定",
            "loan_amount_yen": "8,000,000円",
        },
    ),
    "kosha-cooperative-office": (
        "kosha-scanned",
        {
            "applied_on": "2026/6/1",
            "company_name": "協同組合サンプル連合会",
            "company_name_kana": "キョウドウクミアイサンプルレンゴウカイ",
            "entity_type": "組合",
            "corporate_number": "3010401556677",
            "hq_postal_code": "〒231-0023",
            "hq_address": "神奈川県横浜市中区山下町1番地",
            "tokyo_office_address": "東京都千代田区丸の内2丁目3番4号",
            "industry_category": "サービス業",
            "industry_detail": "ソフトウェア開発業",
            "capital_yen": "500万円",
            "employees": "60名",
            "bank_name": "サンプル信用金庫",
            "bank_type": "信用金庫",
            "report_delivery": "FAX",
        },
    ),
    "jetro-reapplication": (
        "jetro-fillable",
        {
            "applied_on": "2026年4月1日",
            "corporate_number": "4011101445566",
            "loan_status": "利用中",
            "loan_amount_yen": "1億2,000万円",
            "loan_date": "令和8年4月20日",
            "contact_email": "tanaka2026@sample-seiki.example.co.jp",
            "reapplication": True,
            "reapplication_reason": (
                "前回は東南アジア向けの販路開拓であったが、今回は欧州向けに医療機器部品の輸出を計画しており、"
                "事業内容と利用目的が異なる。"
            ),
        },
    ),
}
BASES = ("jetro-fillable", "scb-shinkin-flattened", "kosha-scanned", "smrj-fillable")


@dataclass
class FormScore:
    name: str
    pages: int
    seconds: float
    right: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # "key: read != truth"


# ── corpus ────────────────────────────────────────────────────────────────────────────────────
def corpus_values() -> dict[str, dict[str, Any]]:
    """Every form of the corpus by name: the values as written (fill.py format)."""
    samples = SHARED / "samples"
    forms = {b: json.loads((samples / f"{b}.values.json").read_text(encoding="utf-8")) for b in BASES}
    for name, (base, changes) in VARIANTS.items():
        forms[name] = {**forms[base], **changes}
    return forms


def scanned_pdf(values: Mapping[str, Any], seed: int) -> Path:
    """The scan of ``values`` with ``seed``, generated once and cached by a hash of its inputs."""
    fill_dir = SHARED / "forms"
    digest = hashlib.sha256(json.dumps(values, ensure_ascii=False, sort_keys=True).encode())
    for part in (fill_dir / "fill.py", fill_dir / "youshiki1.pdf"):
        digest.update(part.read_bytes())
    digest.update(str(seed).encode())
    out = CACHE / f"{digest.hexdigest()[:20]}.pdf"
    if not out.exists():
        fill = fill_module()
        CACHE.mkdir(parents=True, exist_ok=True)
        flat = out.with_suffix(f".flat-{os.getpid()}.tmp")
        tmp = out.with_suffix(f".scan-{os.getpid()}.tmp")
        fill.flatten(dict(values), str(flat))
        fill.scan(str(flat), str(tmp), seed=seed)
        flat.unlink()
        tmp.replace(out)
    return out


def truth_extraction(values: Mapping[str, Any], spec: FormSpec) -> model.Extraction:
    """What a perfect reader would return for the written ``values``."""
    agency = values.get("agency")
    raw: dict[str, model.RawValue] = {}
    for name in spec.acroform_names:
        if name in AGENCY_FIELDS:
            raw[name] = model.RawValue(name.removeprefix("agency_") == agency)
        elif name in values:
            raw[name] = model.RawValue(values[name] if isinstance(values[name], bool) else str(values[name]))
    return model.Extraction(shape=model.Shape.PRINTED, values=raw, pages=2)


# ── scoring ───────────────────────────────────────────────────────────────────────────────────
def required_keys(truth: model.Normalized, spec: FormSpec) -> list[str]:
    agency = truth.fields.get("agency")
    entity = truth.fields.get("entity_type")
    reapplication = bool(truth.fields.get("reapplication"))
    return [
        f.key
        for f in spec.fields.values()
        if f.required_for(agency if isinstance(agency, str) else None, entity, reapplication)  # type: ignore[arg-type]
    ]


def score_form(name: str, values: Mapping[str, Any], read: model.ExtractResult, spec: FormSpec) -> FormScore:
    truth = normalize(truth_extraction(values, spec), spec, min_confidence=MIN_CONFIDENCE)
    score = FormScore(name, 0, 0.0)
    if not isinstance(read, model.Extraction):
        score.wrong = [f"{k}: {read}" for k in required_keys(truth, spec)]  # needs_review, but nothing read
        return score
    got = normalize(read, spec, min_confidence=MIN_CONFIDENCE)
    score.pages = read.pages
    for key in required_keys(truth, spec):
        if key in got.low_confidence:
            score.flagged.append(key)
        elif got.fields.get(key) == truth.fields.get(key):
            score.right.append(key)
        else:
            score.wrong.append(f"{key}: {got.fields.get(key)!r} != {truth.fields.get(key)!r}")
    return score


_ENGINE: OcrEngine | None = None


def _start_worker() -> None:
    global _ENGINE
    _ENGINE = default_engine()


def read_and_score(name: str, values: dict[str, Any], seed: int) -> FormScore:
    """One corpus entry, in a worker process: scan (cached), read, score."""
    assert _ENGINE is not None, "no OCR engine in this worker"
    spec = load_spec()
    path = scanned_pdf(values, seed)
    doc = pdfium.PdfDocument(path)
    try:
        start = time.perf_counter()
        read = read_scanned(doc, _ENGINE)
        seconds = time.perf_counter() - start
    finally:
        doc.close()
    score = score_form(f"{name}#{seed}", values, read, spec)
    score.seconds = seconds
    return score


def measure(workers: int = 2) -> list[FormScore]:
    jobs = [(name, values, seed) for name, values in corpus_values().items() for seed in SEEDS]
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker) as pool:
        futures = [pool.submit(read_and_score, *job) for job in jobs]
        return [f.result() for f in futures]


def summary(scores: list[FormScore]) -> dict[str, Any]:
    right = sum(len(s.right) for s in scores)
    flagged = sum(len(s.flagged) for s in scores)
    wrong = sum(len(s.wrong) for s in scores)
    pages = sum(s.pages for s in scores) or 1
    return {
        "forms": len(scores),
        "required_fields": right + flagged + wrong,
        "right": right,
        "flagged": flagged,
        "silently_wrong": wrong,
        "right_or_flagged": (right + flagged) / max(1, right + flagged + wrong),
        "seconds_per_page": sum(s.seconds for s in scores) / pages,
        "wrong_fields": [f"{s.name} {w}" for s in scores for w in s.wrong],
        "flagged_fields": [f"{s.name} {k}" for s in scores for k in s.flagged],
    }


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED / "forms" / "fill.py").exists(), reason="needs ../shared/forms/fill.py")
@pytest.mark.skipif(not rapidocr_available(), reason="needs rapidocr and onnxruntime")
def test_scanned_required_fields_are_right_or_flagged() -> None:
    result = summary(measure(workers=2))
    print(
        f"\nscan accuracy: {result['right_or_flagged']:.4f} right-or-flagged over "
        f"{result['required_fields']} required fields of {result['forms']} scans "
        f"(right {result['right']}, flagged {result['flagged']}, silently wrong {result['silently_wrong']}); "
        f"{result['seconds_per_page']:.2f} s/page"
    )
    for line in result["wrong_fields"]:
        print("  WRONG", line)
    assert result["forms"] >= 16
    assert result["right_or_flagged"] >= 0.98, result["wrong_fields"]
