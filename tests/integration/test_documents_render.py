"""様式2 and 様式3 rendered through the shipped templates, read back (python-docx, pdfplumber).

A page of each PDF is turned into PNG (pdftoppm) under tests/artifacts/documents/ for a person to
look at. The cut of the Japanese font is cached in tests/artifacts/fonts (made once, about 4 s).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pdfplumber
import pytest
from docx import Document

from forms.documents import BankInfo, CompanyInfo
from forms.documents.batch import Job, render, render_batch, write_youshiki2, write_youshiki3
from forms.documents.render import FONT_FAMILY
from forms.documents.youshiki2 import Youshiki2, supports_for_report, youshiki2_data
from forms.documents.youshiki3 import Youshiki3, youshiki3_data
from forms.ledger import CompanyKey, CompanyLedger, FrameGrant, LoanRecord, MemoryLedger, SupportRecord
from forms.rules.loader import load_rulebooks

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
FONTS = ARTIFACTS / "fonts"
RULEBOOK = load_rulebooks().for_date(dt.date(2026, 6, 1))
CAP = RULEBOOK.shared_cap.cap_per_frame_yen
HOSTILE = "{{ 7*7 }}<script>alert(1)</script>株式会社見本&製作所"
COMPANY = CompanyInfo(HOSTILE, "4010001234567", "代表取締役 見本太郎", "144-0052", "東京都大田区蒲田5-1-1")
BANK = BankInfo("サンプル信用金庫", "蒲田支店", "信金花子")
KEY = CompanyKey.for_corporation("4010001234567")
FIELDS: dict[str, object] = {
    "company_name": HOSTILE,
    "corporate_number": "4010001234567",
    "representative": "代表取締役 見本太郎",
    "hq_postal_code": "144-0052",
    "hq_address": "東京都大田区蒲田5-1-1",
    "bank_name": "サンプル信用金庫",
    "bank_branch": "蒲田支店",
    "bank_officer": "信金花子",
    "loan_status": "using",
    "loan_menu": "海外展開・事業承継支援",
    "loan_amount_yen": 280_000_000,
    "loan_date": "2026-07-01",
    "applied_on": "2026-05-01",
}


def youshiki2(book: CompanyLedger, agency: str = "jetro", month: int = 6) -> Youshiki2:
    period = (dt.date(2026, month, 1), dt.date(2026, month, 28))
    return youshiki2_data(
        company=COMPANY,
        bank=BANK,
        agency=agency,
        rulebook=RULEBOOK,
        ledger=book,
        supports=supports_for_report(book, agency, period),
        period=period,
        issued_on=dt.date(2026, month + 1, 3),
        navigator="海外太郎",
    )


def youshiki3(agency: str = "jetro") -> Youshiki3:
    return youshiki3_data(
        youshiki1_fields=FIELDS, agency=agency, rulebook=RULEBOOK, issued_on=dt.date(2026, 8, 3)
    )


def pdf_text(pdf: bytes) -> str:
    with pdfplumber.open(BytesIO(pdf)) as doc:
        return "".join(re.sub(r"\s+", "", page.extract_text() or "") for page in doc.pages)


def pdf_fonts(pdf: bytes) -> set[str]:
    with pdfplumber.open(BytesIO(pdf)) as doc:
        return {c["fontname"] for page in doc.pages for c in page.chars}


def docx_text(data: bytes) -> str:
    doc = Document(BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return re.sub(r"\s+", "", "".join(parts))


def both(data: object) -> tuple[str, str]:
    docx = docx_text(render(data, "docx"))
    pdf = pdf_text(render(data, "pdf", font_dir=FONTS))
    return docx, pdf


def png_artefact(pdf: bytes, name: str) -> Path:
    out = ARTIFACTS / "documents"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(out / f"{name}.pdf"),
            str(out / name),
        ],
        check=True,
        timeout=60,
    )
    return out / f"{name}.png"


def test_youshiki2_shows_every_value_in_both_formats() -> None:
    book = CompanyLedger(
        (
            SupportRecord(
                "jetro",
                dt.date(2026, 6, 10),
                "海外ミニ調査サービス",
                300_000,
                30_000,
                "ベトナム<b>市場</b>調査",
            ),
            SupportRecord("jetro", dt.date(2026, 6, 20), "専門家派遣", 1),
            SupportRecord("scb", dt.date(2026, 6, 12), "海外商談会", 200_000),
        ),
        (),
        (),
        CAP,
    )
    for text in both(youshiki2(book)):
        for expected in (
            "{{7*7}}<script>alert(1)</script>株式会社見本&製作所",  # literally, in both outputs
            "支援内容報告書",
            "令和8年7月3日",
            "サンプル信用金庫",
            "蒲田支店",
            "令和8年6月1日～令和8年6月28日",
            "令和8年6月10日",
            "海外ミニ調査サービス",
            "ベトナム<b>市場</b>調査",
            "300,000円",
            "1円",
            "300,001円",  # rows and this report's total
            "500,001円",  # cumulative jetro + scb
            "1,000,000円",
            "499,999円",
            "海外太郎",
            "〒107-6006",
        ):
            assert expected in text, expected
        assert "49<script>" not in text
        assert "200,000円" not in text  # scb's row is not in jetro's report


@pytest.mark.parametrize(
    ("supports", "grants", "shown"),
    [
        ((999_999,), 0, ("999,999円", "1円")),
        ((1_000_000,), 0, ("1,000,000円", "0円")),
        ((1_000_001,), 0, ("1,000,001円", "0円", "1円超えています")),
        ((1_000_000, 600_000), 1, ("2枠", "2,000,000円", "1,600,000円", "400,000円")),
    ],
    ids=["one-yen-left", "exactly-used", "one-yen-over", "reapplication-frame"],
)
def test_cap_edges_and_frames_are_shown(
    supports: tuple[int, ...], grants: int, shown: tuple[str, ...]
) -> None:
    records = tuple(
        SupportRecord("jetro", dt.date(2026, 5 + i, 10), "専門家派遣", cost)
        for i, cost in enumerate(supports)
    )
    book = CompanyLedger(
        records,
        (LoanRecord(dt.date(2026, 5, 20), 10_000_000),),
        tuple(FrameGrant(dt.date(2026, 5, 25)) for _ in range(grants)),
        CAP,
    )
    data = youshiki2(book, month=4 + len(supports))
    for text in both(data):
        for expected in shown:
            assert expected in text, expected
        assert not re.search(r"[-−][\d,]+円", text)  # no negative amount anywhere
        assert ("超えています" in text) == (data.over_cap > 0)


def test_scb_youshiki2_carries_the_bank_copy_line() -> None:
    book = CompanyLedger((SupportRecord("scb", dt.date(2026, 6, 12), "海外商談会", 200_000),), (), (), CAP)
    for text in both(youshiki2(book, agency="scb")):
        assert "（写）サンプル信用金庫蒲田支店御中" in text
        assert "信金中央金庫" in text
    for text in both(youshiki2(book, agency="jetro")):
        assert "（写）" not in text


def test_youshiki3_shows_the_prefilled_values_due_date_and_return_address() -> None:
    for text in both(youshiki3("jetro")):
        for expected in (
            "融資及び海外展開の状況報告",
            "令和8年8月3日",
            "回答期日：令和8年9月30日",
            "サンプル信用金庫蒲田支店",
            "信金花子様",
            "{{7*7}}<script>alert(1)</script>株式会社見本&製作所",
            "利用中",
            "海外展開・事業承継支援",
            "280,000,000円",
            "令和8年7月1日",
            "申込日令和8年5月1日",
            "□実行済",
            "□未実行",
            "□謝絶・取下げ",
            "□検討中",
            "□計画策定済",
            "□進出済",
            "□断念",
            "〒107-6006東京都港区赤坂1-12-32アーク森ビル6階",
            "FAX:03-3582-0504",
            "同封書類：様式1海外展開支援（案内）申込書、様式2支援内容報告書",
        ):
            assert expected in text, expected
    for text in both(youshiki3("scb")):
        assert "〒103-0028東京都中央区八重洲1-3-7" in text
        assert "同封書類" not in text


def test_the_pdf_embeds_the_japanese_font() -> None:
    pdf = render(youshiki3(), "pdf", font_dir=FONTS)
    fonts = pdf_fonts(pdf)
    assert fonts and all(FONT_FAMILY in f for f in fonts)  # subset names: ABCDEF+FormsGothic
    full = render(youshiki3(), "pdf")  # without the cut: the full IPAex Gothic, subset per document
    assert "融資及び海外展開の状況報告" in pdf_text(full)


def test_cp932_extension_characters_print_from_the_cut_of_the_font() -> None:
    company = CompanyInfo("髙島屋﨑山株式会社", "4010001234567")  # IBM extensions of cp932, common in names
    book = CompanyLedger((), (), (), CAP)
    data = youshiki2_data(
        company=company,
        bank=None,
        agency="jetro",
        rulebook=RULEBOOK,
        ledger=book,
        supports=(),
        period=(dt.date(2026, 6, 1), dt.date(2026, 6, 30)),
        issued_on=dt.date(2026, 7, 1),
        navigator="",
    )
    pdf = render(data, "pdf", font_dir=FONTS)
    assert "髙島屋﨑山株式会社" in pdf_text(pdf)
    assert all(FONT_FAMILY in f for f in pdf_fonts(pdf))  # no fall-back to the full font was needed
    assert "この期間の支援はありません" in docx_text(render(data, "docx"))


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pages_are_turned_into_png_for_a_person_to_look_at() -> None:
    book = CompanyLedger(
        (SupportRecord("jetro", dt.date(2026, 6, 10), "海外ミニ調査サービス", 300_000),), (), (), CAP
    )
    for name, data in (("youshiki2", youshiki2(book)), ("youshiki3", youshiki3())):
        png = png_artefact(render(data, "pdf", font_dir=FONTS), name)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 10_000  # a page with text on it, not a blank


def test_write_youshiki2_and_3_from_the_ledger_and_the_form(tmp_path: Path) -> None:
    ledger = MemoryLedger(
        cap_per_frame=CAP,
        supports={
            KEY: [
                SupportRecord("jetro", dt.date(2026, 6, 10), "海外ミニ調査サービス", 300_000),
                SupportRecord("scb", dt.date(2026, 6, 11), "海外商談会", 700_000),
            ]
        },
    )
    paths = write_youshiki2(
        ledger,
        KEY,
        company=COMPANY,
        bank=BANK,
        agency="jetro",
        rulebook=RULEBOOK,
        period=(dt.date(2026, 6, 1), dt.date(2026, 6, 30)),
        issued_on=dt.date(2026, 7, 3),
        navigator="海外太郎",
        out_dir=tmp_path,
        font_dir=FONTS,
    )
    assert [p.name for p in paths] == [
        "youshiki2-jetro-4010001234567-20260703.docx",
        "youshiki2-jetro-4010001234567-20260703.pdf",
    ]
    text = pdf_text(paths[1].read_bytes())
    assert "1,000,000円" in text and "利用可能残額0円" in text
    paths3 = write_youshiki3(
        FIELDS,
        agency="scb",
        rulebook=RULEBOOK,
        issued_on=dt.date(2026, 8, 3),
        out_dir=tmp_path,
        formats=("pdf",),
        font_dir=FONTS,
    )
    assert [p.suffix for p in paths3] == [".pdf"]
    assert "回答期日：令和8年9月30日" in pdf_text(paths3[0].read_bytes())


def test_a_batch_uses_a_process_pool_and_writes_every_document(tmp_path: Path) -> None:
    jobs = [
        Job(youshiki3(agency), fmt, tmp_path / f"{i}-{agency}.{fmt}")
        for i, agency in enumerate(("jetro", "scb", "jetro"))
        for fmt in ("docx", "pdf")
    ]
    written = render_batch(jobs, workers=2, font_dir=FONTS, progress=False)
    assert written == [j.out for j in jobs]
    for job in jobs:
        data = job.out.read_bytes()
        text = pdf_text(data) if job.fmt == "pdf" else docx_text(data)
        assert "回答期日：令和8年9月30日" in text
