"""Returned 様式3 on paper, and how their readings are scored (bench/scan_accuracy.py and the slow tests).

A case is an issued 様式3 (one of ``ISSUED``: jetro and scb, a 個人事業者 without a 法人番号, a long menu
that pushes the answer block down, a loan planned for a day and amount) and the bank's reply on it
(tests/corpus/youshiki3_paper.py), in a *shape*: ``youshiki3_scanned`` (answers typed on it, printed,
scanned), ``youshiki3_handwritten`` (answered with a pen, scanned), ``youshiki3_fax`` (answered with a
pen, faxed: a gateway's TIFF, fine and standard resolution in turn, a cover sheet on half),
``youshiki3_photo`` (answered with a pen, each page photographed with a phone). Each is read as the
mailroom reads it (``read_returned``; the 照会番号 checked against ``ISSUED`` as the mailroom checks it
against the store: one 様式3 awaits each company's answer) and the rulebook's policy applied
(``unsure_stops``); the reading is

- **auto** when it is an answer no stop field of which is unsure, or exactly the bank's own mistakes
  (read with certainty: the clerk gets the case for what the bank did, not for what the reader could
  not tell); **flagged** when a clerk gets it for the reader's doubts;
- **wrong** when it is auto and a field not marked unsure differs from what the bank wrote, or when the
  bank's own mistake (実行済 without its amount, two boxes ticked) was read as an answer.

Generated files are cached under tests/corpus/build/scans/ by a hash of what made them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forms.documents.batch import render
from forms.documents.youshiki3 import youshiki3_data
from forms.extract.ocr_engine import OcrEngine
from forms.extract.reader_process import LazyOcr
from forms.extract.youshiki3 import (
    EXPANSION_STATUSES,
    LOAN_STATUSES,
    ReturnedYoushiki3,
    confirmed_reference,
    only_open_reference,
    read_returned,
    unsure_stops,
)
from forms.normalize import parse_yen
from forms.rules.loader import load_rulebooks
from tests.corpus import faxes, handwriting, photos, youshiki3_paper
from tests.corpus.youshiki3_paper import Reply
from tests.support.paths import FORMS_DIR, REPO
from tests.support.scan_corpus import Scored
from tests.support.youshiki1 import fill_module

CACHE = REPO / "tests" / "corpus" / "build" / "scans"
RULEBOOK = load_rulebooks().for_date(dt.date(2026, 9, 15))
ISSUED_ON = dt.date(2026, 8, 3)
_BANK = {"bank_name": "みほん銀行", "bank_branch": "蒲田支店", "bank_officer": "例示 一郎",
         "bank_email": "kaigai@mihon-bank.example.jp"}  # fmt: skip
#: The issued 様式3: (agency, reference, the 様式1 fields it is made from).
ISSUED: tuple[tuple[str, str, Mapping[str, Any]], ...] = (
    ("jetro", "R8-Y3-000007", {**_BANK, "company_name": "株式会社サンプル精機",
                               "corporate_number": "4010001234567", "loan_status": "planned",
                               "loan_amount_yen": 50_000_000}),
    ("scb", "R8-Y3-000012", {"company_name": "合同会社みほん商事", "corporate_number": "9010401234567",
                             "representative": "代表社員 見本 花子", "hq_postal_code": "144-0052",
                             "hq_address": "東京都大田区蒲田五丁目13番14号 みほんビル3階",
                             "bank_name": "みほん信用金庫", "bank_branch": "本店",
                             "bank_officer": "例示 次郎",
                             "bank_email": "kaigai@mihon-shinkin.example.jp", "loan_status": "in_use",
                             "loan_menu": "海外展開・事業再編資金", "loan_amount_yen": 20_000_000}),
    ("jetro", "R8-Y3-000021", {**_BANK, "company_name": "みほん工房", "representative": "見本 太郎",
                               "loan_status": "planned", "loan_amount_yen": 8_000_000}),
    ("jetro", "R8-Y3-000105", {**_BANK, "company_name": "株式会社テスト物産",
                               "corporate_number": "1011001098765",
                               "loan_status": "planned", "loan_amount_yen": 120_000_000,
                               "loan_menu": "海外展開・事業再編資金（海外展開事業化支援）" * 3}),
    ("jetro", "R8-Y3-000130", {**_BANK, "company_name": "株式会社みほん電機",
                               "corporate_number": "8010401056789", "loan_status": "planned",
                               "loan_amount_yen": 30_000_000, "loan_date": "2026-09-10"}),
)  # fmt: skip
MENUS = ("海外展開事業化支援融資", "小口資金融資", "海外展開・事業再編資金", "創業融資")
COMMENTS = ("現地法人の設立準備中", "", "タイ工場の用地を選定中", "展示会出展後に再検討")
DAYS = ((8, 9, 10), (8, 7, 1), (8, 8, 25), (7, 12, 3))
AMOUNTS = ("30,000,000", "3,000万", "8,000,000", "1億2,000万", "5,500,000")


@dataclass(frozen=True)
class PaperCase:
    name: str
    issued: int  # index into ISSUED
    reply: Reply
    seed: int
    shrink: float = 1.0


def cases(limit: int | None = None) -> list[PaperCase]:
    """Every loan status and expansion status, answered each way (ticked box, ring, the others struck
    through with one or two lines, a ring or a tick with the others struck), on each issued 様式3; then
    the bank's own mistakes. The first ``limit`` of them."""
    loans = ("実行済", "未実行", "実行済", "謝絶・取下げ")
    expansions = (*EXPANSION_STATUSES.values(), None)
    marks = youshiki3_paper.MARKS[:5]
    out = []
    for i in range(24):
        loan, disbursed = loans[i % 4], loans[i % 4] == "実行済"
        reply = Reply(
            loan=loan, day=DAYS[i % 4] if disbursed else None, amount=AMOUNTS[i % 5] if disbursed else "",
            menu=MENUS[i % 4] if disbursed else "", expansion=expansions[i % 5], comments=COMMENTS[i % 4],
            loan_mark=marks[i % 5], expansion_mark=marks[(i + 2) % 5], strokes=1 + (i // 3) % 2,
        )  # fmt: skip
        out.append(
            PaperCase(f"{i:02d}-{loan}-{reply.loan_mark}", i % 4, reply, 300 + i, 0.97 if i % 3 == 2 else 1.0)
        )
    for k in range(8):  # 実行済 as the 様式1 planned it: the same date and amount (R8-Y3-000130)
        reply = Reply(
            loan="実行済", day=(8, 9, 10), amount=("30,000,000", "3,000万")[k % 2], menu=MENUS[k % 4],
            expansion=expansions[k % 5], comments=COMMENTS[k % 4], loan_mark=marks[k % 5],
            expansion_mark=marks[(k + 1) % 5], strokes=1 + k % 2,
        )  # fmt: skip
        out.append(PaperCase(f"{24 + k:02d}-as-planned-{reply.loan_mark}", 4, reply, 324 + k))
    near = Reply("実行済", day=(8, 9, 10), amount="50,000,000", expansion="検討中", loan_mark="ring")
    out.append(PaperCase("32-planned-amount-one-digit-off", 4, near, 326))  # planned 30,000,000
    mistakes = (
        ("no-amount", Reply("実行済", day=(8, 9, 1), expansion="検討中")),
        ("two-ticked", Reply("未実行", expansion="断念", loan_mark="two")),
        ("nothing-chosen", Reply(None, expansion="進出済", expansion_mark="ring")),
    )
    out += [PaperCase(f"mistake-{name}", k % 4, reply, 400 + k) for k, (name, reply) in enumerate(mistakes)]
    return out[:limit]


def test_cases() -> list[PaperCase]:
    """The slow tests' share: the first ten (every loan status, each way of marking, a shrunk print,
    each issued 様式3), two answered as planned, one a digit off the plan, and the bank's own mistakes."""
    every = cases()
    planned = [c for c in every if "planned" in c.name]
    return [*every[:10], *planned[2:4], planned[-1], *(c for c in every if c.name.startswith("mistake-"))]


# ── what the bank wrote ───────────────────────────────────────────────────────────────────────
def truth(case: PaperCase) -> dict[str, Any] | set[tuple[str, str]]:
    """The answer a perfect reader gives, or the problems (code, field) of the bank's own mistakes."""
    r = case.reply
    problems = set()
    if r.loan is None:
        problems.add(("FIELD_MISSING", "loan_status"))
    for field, mark in (("loan_status", r.loan_mark), ("expansion_status", r.expansion_mark)):
        if mark == "two":
            problems.add(("FIELD_INVALID", field))
    if r.loan == "実行済":
        problems |= {
            ("FIELD_MISSING", f) for f, v in (("disbursed_on", r.day), ("amount_yen", r.amount)) if not v
        }
    if problems:
        return problems
    agency, reference, fields = ISSUED[case.issued]
    keys = {v: k for k, v in (*LOAN_STATUSES.items(), *EXPANSION_STATUSES.items())}
    return {
        "company_name": fields["company_name"], "corporate_number": fields.get("corporate_number", ""),
        "agency": agency, "reference": reference, "loan_status": keys[r.loan or ""],
        "disbursed_on": dt.date(2018 + r.day[0], r.day[1], r.day[2]) if r.day else None,
        "amount_yen": parse_yen(r.amount + "円") if r.amount else None, "menu": r.menu,
        "expansion_status": keys.get(r.expansion or ""), "comments": r.comments,
    }  # fmt: skip


# ── shapes ────────────────────────────────────────────────────────────────────────────────────
def issued_pdf(index: int) -> bytes:
    agency, reference, fields = ISSUED[index]
    data = youshiki3_data(youshiki1_fields=fields, agency=agency, rulebook=RULEBOOK, issued_on=ISSUED_ON,
                          reference=reference)  # fmt: skip
    return render(data, "pdf")


def _answered(case: PaperCase, hand: str) -> bytes:
    return youshiki3_paper.answered_pdf(
        issued_pdf(case.issued), case.reply, hand, case.seed, shrink=case.shrink
    )


def _scanned(hand: str) -> Callable[[PaperCase, Path], None]:
    def make(case: PaperCase, out: Path) -> None:
        youshiki3_paper.scanned(fill_module(), _answered(case, hand), out, case.seed)

    return make


def variant(shape: str, case: PaperCase) -> str:
    """How a case is sent in ``shape``: a fax fine or standard (every other pair), with a cover sheet
    (every other case); a photo upright or sideways."""
    if shape == "youshiki3_fax":
        return ("fine", "standard")[case.seed // 2 % 2] + (":cover" if case.seed % 2 else "")
    return ("phone", "phone_sideways")[case.seed % 2] if shape == "youshiki3_photo" else ""


def _fax(case: PaperCase, out: Path) -> None:
    """Answered with a pen, sent by a fax machine."""
    mode, _, cover = variant("youshiki3_fax", case).partition(":")
    bank = ISSUED[case.issued][2]
    out.write_bytes(faxes.fax_tiff(_answered(case, "hand"), bank, mode, cover=bool(cover), seed=case.seed))


def _photo(case: PaperCase, out: Path) -> None:
    """Answered with a pen, each page photographed with a phone."""
    out.write_bytes(photos.build(variant("youshiki3_photo", case), _answered(case, "hand"), case.seed))


_CORPUS = REPO / "tests" / "corpus"
_SOURCES = (_CORPUS / "youshiki3_paper.py", _CORPUS / "handwriting.py", REPO / "templates" / "documents" /
            "youshiki3.html", FORMS_DIR / "fill.py")  # fmt: skip
#: shape → (case, output path) → writes the case's file; the sources whose change remakes it.
SHAPES: dict[str, tuple[Callable[[PaperCase, Path], None], tuple[Path, ...]]] = {
    "youshiki3_scanned": (_scanned("typed"), ()),
    "youshiki3_handwritten": (_scanned("hand"), ()),
    "youshiki3_fax": (_fax, (_CORPUS / "faxes.py",)),
    "youshiki3_photo": (_photo, (_CORPUS / "photos.py",)),
}


def available() -> bool:
    return handwriting.available() and (FORMS_DIR / "fill.py").exists()


def case_file(shape: str, case: PaperCase) -> Path:
    """The case's file in ``shape``, made once and cached by a hash of its inputs."""
    made = [shape, variant(shape, case), dataclasses.asdict(case), ISSUED[case.issued]]
    key = json.dumps(made, ensure_ascii=False, default=str)
    digest = hashlib.sha256(key.encode())
    make, sources = SHAPES[shape]
    for part in (*_SOURCES, *sources):
        digest.update(part.read_bytes())
    out = CACHE / f"{shape}-{digest.hexdigest()[:20]}.bin"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{case.seed}.tmp")
        make(case, tmp)
        tmp.replace(out)
    return out


# ── reading and scoring ───────────────────────────────────────────────────────────────────────
def identified(got: ReturnedYoushiki3) -> ReturnedYoushiki3:
    """The mailroom's checks of an unsure 照会番号 (``returned_youshiki3._identified``) against ISSUED."""
    fields = next((f for _, ref, f in ISSUED if ref == got.reference), None)
    if fields is not None:
        return confirmed_reference(got, fields.get("corporate_number"), fields["company_name"])
    number, agency = got.corporate_number, got.agency
    open_ = [ref for a, ref, f in ISSUED if number and f.get("corporate_number") == number and a == agency]
    return only_open_reference(got, open_[0]) if len(open_) == 1 else got


def score(shape: str, case: PaperCase, got: ReturnedYoushiki3 | tuple[Any, ...], seconds: float) -> Scored:
    expected = truth(case)
    got = got if isinstance(got, tuple) else identified(got)
    if isinstance(got, tuple) or (held := unsure_stops(got, RULEBOOK.youshiki3_stops())):
        problems = got if isinstance(got, tuple) else held
        named = {(str(p.code), p.field or "") for p in problems}
        outcome = "auto" if isinstance(got, tuple) and named == expected else "flagged"
        return Scored(shape, case.name, outcome, seconds, [f"{p.code}:{p.field}" for p in problems])
    certain = {f"youshiki3.{k}": c.certain for k, c in got.certainty.items()}
    if isinstance(expected, set):
        return Scored(shape, case.name, "wrong", seconds, [f"read as an answer: {sorted(expected)}"], certain)
    differing = [k for k, v in expected.items() if k not in got.unsure and getattr(got, k) != v]
    why = [f"{k}: {getattr(got, k)!r} != {expected[k]!r}" for k in differing]
    return Scored(shape, case.name, "wrong" if why else "auto", seconds, why, certain,
                  [f"youshiki3.{k}" for k in differing if certain.get(f"youshiki3.{k}")])  # fmt: skip


_ENGINE: OcrEngine | None = None


def _start_worker() -> None:
    global _ENGINE
    _ENGINE = LazyOcr()  # the reader processes' engine


def read_and_score(shape: str, case: PaperCase) -> Scored:
    """One case in a worker process: its file (cached), read as the mailroom reads it, scored."""
    import time  # the worker's clock only

    data = case_file(shape, case).read_bytes()
    start = time.perf_counter()
    got = read_returned(data, agencies=RULEBOOK.printed_names(), ocr=_ENGINE)
    return score(shape, case, got, time.perf_counter() - start)


def measure(shapes: Sequence[str], paper_cases: Sequence[PaperCase], workers: int = 2) -> list[Scored]:
    jobs = [(shape, c) for shape in shapes for c in paper_cases]
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker) as pool:
        return [f.result() for f in [pool.submit(read_and_score, *job) for job in jobs]]
