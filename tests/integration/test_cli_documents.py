"""`forms youshiki2|youshiki3` on a real store under FORMS_HOME: routed 様式1 decisions, supports, a
loan and a frame recorded through the store's own API; the documents rendered and read back with
python-docx and pdfplumber; the batch on every core; the overdue list.

The commands run in-process through ``cli_documents.register`` (the parser ``forms`` builds)."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

import pdfplumber
import pytest
from docx import Document

from forms.cli import documents as cli_documents
from forms.config import Settings, load_settings
from forms.jp.corporate_number import calc_check_digit
from forms.ledger import CompanyKey, LoanRecord, SupportRecord
from forms.store import Store
from forms.store.ledger import StoreLedger

FONTS = Path(__file__).resolve().parents[1] / "artifacts" / "fonts"
ACME = "4010001234567"
FIELDS: dict[str, object] = {
    "company_name": "株式会社サンプル精機",
    "corporate_number": ACME,
    "representative": "代表取締役 見本 太郎",
    "hq_postal_code": "144-0052",
    "hq_address": "東京都大田区蒲田9丁目8番7号",
    "bank_name": "みほん銀行",
    "bank_branch": "蒲田支店",
    "bank_officer": "例示 一郎",
    "loan_status": "planned",
    "loan_menu": "DX・イノベ・産業育成支援",
    "loan_amount_yen": 50_000_000,
    "loan_date": "2026-06-30",
    "applied_on": "2026-05-12",
}
NOW = dt.datetime(2026, 5, 13, 1, 0, tzinfo=dt.UTC)


def with_font_cut(home: Path) -> Path:
    """A new FORMS_HOME holding the cached cut of the PDF font (making it takes about 4 s)."""
    home.mkdir()
    FONTS.mkdir(parents=True, exist_ok=True)
    shutil.copytree(FONTS, home / "fonts")
    return home


def settings_for(home: Path) -> Settings:
    return load_settings(env={"FORMS_HOME": str(home)})


def forms(home: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="forms")
    cli_documents.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.func(args, settings_for(home)))


def route(store: Store, fields: dict[str, object], agency: str, n: int) -> int:
    """A 様式1 received and decided 'routed', as the mailroom worker records it."""
    intake_id = store.intakes.add(
        data=f"%PDF-1.7 form {n}".encode(), channel="cli", received_at=NOW, spool_id=f"s{n}"
    )
    assert intake_id is not None
    claimed = store.intakes.claim_next("test")
    assert claimed is not None and claimed.id == intake_id
    decision = {"source": f"form {n}", "status": "routed", "agency": agency, "reasons": [], "fields": fields}
    store.intakes.record_decision(
        intake_id,
        status="routed",
        agency=agency,
        reference=f"R8-{intake_id:06d}",
        decision=decision,
        message_id=None,
        sender=None,
        form_sha256=None,
        outgoing=[],
        actor="test",
    )
    return intake_id


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = with_font_cut(tmp_path / "home")
    with Store.open(f"sqlite:///{home / 'forms.db'}") as store:
        route(store, FIELDS, "jetro", 1)
        ledger = StoreLedger(store, 1_000_000)
        key = CompanyKey.for_corporation(ACME)
        ledger.add_support(key, SupportRecord("jetro", dt.date(2026, 6, 10), "海外ミニ調査サービス", 300_000))
        ledger.add_support(
            key, SupportRecord("jetro", dt.date(2026, 6, 20), "現地同行", 650_000, summary="タイ")
        )
        ledger.add_support(key, SupportRecord("scb", dt.date(2026, 5, 20), "海外展開相談", 250_000))
        ledger.add_support(key, SupportRecord("jetro", dt.date(2026, 7, 5), "翌月の支援", 90_000))
        ledger.add_loan(key, LoanRecord(dt.date(2026, 7, 1), 50_000_000))
        ledger.add_frame(key, dt.date(2026, 7, 20))
    return home


def docx_text(path: Path) -> str:
    doc = Document(io.BytesIO(path.read_bytes()))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return re.sub(r"\s+", "", "".join(parts))


def pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "".join(re.sub(r"\s+", "", page.extract_text() or "") for page in pdf.pages)


def test_youshiki2_shows_the_periods_rows_and_the_cap_over_two_frames(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["youshiki2", ACME, "--agency", "jetro", "--from", "2026-06-01", "--to", "令和8年6月30日"]
    assert forms(home, *argv, "--navigator", "海外太郎", "--issued", "2026-07-21", "--out", str(out)) == 0
    docx, pdf = sorted(out.glob("youshiki2-jetro-4010001234567-20260721-R8-Y2-000001.*"))
    for text in (docx_text(docx), pdf_text(pdf)):
        assert "株式会社サンプル精機" in text and "みほん銀行蒲田支店" in text
        assert "海外ミニ調査サービス" in text and "現地同行" in text and "翌月の支援" not in text
        assert "950,000円" in text  # this report: 300,000 + 650,000
        assert "1,290,000円" in text  # cumulative jetro + scb
        assert "2,000,000円" in text and "710,000円" in text  # two frames; remaining
        assert "海外太郎" in text


def test_youshiki3_is_prefilled_and_recorded(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert (
        forms(
            home,
            "youshiki3",
            "--company",
            ACME,
            "--agency",
            "jetro",
            "--issued",
            "2026-08-03",
            "--out",
            str(out),
        )
        == 0
    )
    docx, pdf = sorted(out.glob("youshiki3-*"))
    for text in (docx_text(docx), pdf_text(pdf)):
        assert "回答期日：令和8年9月30日" in text
        assert "みほん銀行蒲田支店" in text and "例示一郎様" in text
        assert "50,000,000円" in text and "DX・イノベ・産業育成支援" in text
        assert "同封書類" in text
    with Store.open(f"sqlite:///{home / 'forms.db'}") as store:
        (row,) = store.youshiki3.issued()
    assert (row.agency, row.issued_on, row.due_on, row.answered_on) == (
        "jetro",
        dt.date(2026, 8, 3),
        dt.date(2026, 9, 30),
        None,
    )
    assert row.company == CompanyKey.for_corporation(ACME) and row.intake_id == 1
    assert sorted(row.files) == [str(docx), str(pdf)]
    assert "回答期日 2026-09-30" in capsys.readouterr().out


def test_a_due_date_given_and_a_company_without_a_routed_form(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["youshiki3", ACME, "--agency", "scb", "--issued", "2026-08-03", "--due", "令和8年8月20日"]
    assert forms(home, *argv, "--format", "docx", "--out", str(tmp_path)) == 0
    (docx,) = tmp_path.glob("youshiki3-scb-*.docx")
    assert "回答期日：令和8年8月20日" in docx_text(docx)
    assert forms(home, "youshiki3", "1010001765432", "--agency", "jetro", "--out", str(tmp_path)) == 1
    assert "routed" in capsys.readouterr().err
    assert forms(home, "youshiki3", ACME, "--agency", "jetro", "--issued", "令和8年13月1日") == 1
    assert "--issued" in capsys.readouterr().err


def test_overdue_lists_the_unanswered_past_their_due_date(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        forms(
            home,
            "youshiki3",
            ACME,
            "--agency",
            "jetro",
            "--issued",
            "2026-08-03",
            "--format",
            "docx",
            "--out",
            str(tmp_path),
        )
        == 0
    )
    capsys.readouterr()
    assert forms(home, "youshiki3", "--overdue", "--today", "2026-09-30", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []
    assert forms(home, "youshiki3", "--overdue", "--today", "2026-10-05", "--json") == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert (item["company"], item["due_on"], item["days_overdue"], item["agency"]) == (
        ACME,
        "2026-09-30",
        5,
        "jetro",
    )
    assert forms(home, "youshiki3", "--overdue", "--today", "2026-10-05") == 0
    text = capsys.readouterr().out
    assert all(h in text for h in ("回答期日", "企業名", "金融機関", "支援機関", "経過日数"))
    assert "2026-09-30" in text and "株式会社サンプル精機" in text and "みほん銀行" in text and "5日" in text


def company_number(i: int) -> str:
    body = f"{i + 100:012d}"
    return calc_check_digit(body) + body


@pytest.mark.slow
def test_the_batch_issues_one_youshiki3_per_routed_form_on_every_core(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = with_font_cut(tmp_path / "home")
    with Store.open(f"sqlite:///{home / 'forms.db'}") as store:
        for i in range(30):
            fields = {**FIELDS, "corporate_number": company_number(i), "company_name": f"株式会社見本{i:02d}"}
            route(store, fields, "jetro" if i % 3 else "scb", i)
        route(store, {**FIELDS, "corporate_number": company_number(99)}, "kosha", 99)  # no 様式3 for kosha
    out = tmp_path / "batch"
    assert forms(home, "youshiki3", "--batch", "--issued", "2026-08-03", "--out", str(out)) == 0
    assert len(list(out.glob("*.docx"))) == 30 and len(list(out.glob("*.pdf"))) == 30
    captured = capsys.readouterr()
    assert "30件" in captured.out and "documents" in captured.err  # the progress bar
    with Store.open(f"sqlite:///{home / 'forms.db'}") as store:
        rows = store.youshiki3.issued()
    assert len(rows) == 30 and {r.agency for r in rows} == {"jetro", "scb"}
    seventh = next(r for r in rows if r.company_name == "株式会社見本07")
    pdf = next(Path(f) for f in seventh.files if f.endswith(".pdf"))
    assert "株式会社見本07" in pdf_text(pdf) and company_number(7) in pdf_text(pdf)
    assert forms(home, "youshiki3", "--batch", "--issued", "2026-08-04", "--out", str(out)) == 0
    assert "0件" in capsys.readouterr().out  # every routed form has its 様式3
