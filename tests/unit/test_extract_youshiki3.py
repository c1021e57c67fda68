"""Returned 様式3 read back: the .docx this service issues, filled in with python-docx the ways banks
fill it in Word, and PDFs of it (the project's own renderer; LibreOffice when installed)."""

from __future__ import annotations

import datetime as dt
import functools
import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from lxml import etree

from forms.documents.batch import TEMPLATES, render
from forms.documents.render import render_pdf
from forms.documents.youshiki3 import Youshiki3, youshiki3_data
from forms.errors import Code
from forms.extract.youshiki3 import LOAN_STATUSES, Line, ReturnedYoushiki3, read_choice, read_returned
from forms.rules.loader import load_rulebooks

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "samples"
FONTS = REPO / "tests" / "artifacts" / "fonts"
RULEBOOK = load_rulebooks().for_date(dt.date(2026, 8, 1))
AGENCIES = RULEBOOK.printed_names()
FIELDS: dict[str, object] = {
    "company_name": "株式会社サンプル精機",
    "corporate_number": "4010001234567",
    "hq_postal_code": "144-0052",
    "hq_address": "東京都大田区蒲田9丁目8番7号",
    "bank_name": "みほん銀行",
    "bank_branch": "蒲田支店",
    "bank_officer": "例示 一郎",
    "loan_status": "planned",
    "loan_menu": "DX・イノベ・産業育成支援",
    "loan_amount_yen": 50_000_000,
    "loan_date": "2026-06-30",
}


def youshiki3(agency: str = "jetro") -> Youshiki3:
    return youshiki3_data(
        youshiki1_fields=FIELDS, agency=agency, rulebook=RULEBOOK, issued_on=dt.date(2026, 8, 3)
    )


@functools.cache
def issued_bytes(agency: str) -> bytes:
    return render(youshiki3(agency), "docx")


def issued_docx(agency: str = "jetro") -> DocxDocument:
    """A fresh copy of the .docx the service issues (rendered once per agency)."""
    return Document(io.BytesIO(issued_bytes(agency)))


def answer_cell(doc: DocxDocument, label: str) -> _Cell:
    for table in doc.tables:
        for row in table.rows:
            if row.cells[0].text.strip() == label:
                return row.cells[1]
    raise AssertionError(f"no row {label}")


def choice_paragraph(cell: _Cell, choice: str) -> Paragraph:
    return next(p for p in cell.paragraphs if choice in p.text)


# ── the ways a bank ticks ─────────────────────────────────────────────────────────────────────
def box_to(mark: str) -> Callable[[_Cell, str], None]:
    def tick(cell: _Cell, choice: str) -> None:
        run = choice_paragraph(cell, choice).runs[0]
        run.text = run.text.replace("□", mark)

    return tick


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def mark_after(cell: _Cell, choice: str) -> None:
    choice_paragraph(cell, choice).add_run(" ✓")


def circled(cell: _Cell, choice: str) -> None:
    run = choice_paragraph(cell, choice).runs[0]
    run.text = run.text.replace(choice, f"（{choice}）")


def others_struck(cell: _Cell, choice: str) -> None:
    for p in cell.paragraphs:
        if p.text.strip() and choice not in p.text:
            for run in p.runs:
                run.font.strike = True


def others_deleted(cell: _Cell, choice: str) -> None:
    for p in cell.paragraphs:
        if p.text.strip() and choice not in p.text:
            p._p.getparent().remove(p._p)


def tracked_tick(cell: _Cell, choice: str) -> None:
    """Word with track changes on: □ deleted (w:del), ■ inserted (w:ins)."""
    p = choice_paragraph(cell, choice)
    run = p.runs[0]
    run.text = run.text.replace("□", "")
    xml = f'<w:del xmlns:w="{W}" w:id="1" w:author="bank"><w:r><w:delText>□</w:delText></w:r></w:del>'
    ins = xml.replace("w:del ", "w:ins ").replace("</w:del>", "</w:ins>").replace("delText", "t")
    ins = ins.replace(">□<", ">■<").replace('w:id="1"', 'w:id="2"')
    run._r.addprevious(etree.fromstring(xml))
    run._r.addprevious(etree.fromstring(ins))


BOX = box_to("■")
TICKS = {
    "■": BOX,
    "✓": box_to("✓"),
    "レ": box_to("レ"),
    "☑": box_to("☑"),
    "○": box_to("○"),
    "mark after": mark_after,
    "circled": circled,
    "others struck": others_struck,
    "others deleted": others_deleted,
    "tracked change": tracked_tick,
}


def fill(
    doc: DocxDocument,
    *,
    loan: str | None = "実行済",
    how: Callable[[_Cell, str], None] = BOX,
    day: str | None = "令和８年７月１５日",
    amount: str | None = "5,000万円",
    menu: str = "DX・イノベ・産業育成支援",
    expansion: str | None = "計画策定済",
    comments: str = "タイに現地法人を設立予定。",
) -> bytes:
    if loan is not None:
        how(answer_cell(doc, "融資の状況"), loan)
    if day is not None:
        answer_cell(doc, "融資実行日").paragraphs[0].runs[0].text = day
    if amount is not None:
        answer_cell(doc, "融資実行額").paragraphs[0].runs[0].text = amount
    answer_cell(doc, "実行した融資のメニュー").paragraphs[0].add_run(menu)
    if expansion is not None:
        how(answer_cell(doc, "海外展開の状況"), expansion)
    answer_cell(doc, "コメント").paragraphs[0].add_run(comments)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def codes(result: object) -> list[tuple[Code, str | None]]:
    assert isinstance(result, tuple), result
    return [(p.code, p.field) for p in result]


# ── .docx ─────────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("how", TICKS.values(), ids=TICKS.keys())
def test_every_way_of_ticking_reads_back_as_the_answer(how: Callable[[_Cell, str], None]) -> None:
    got = read_returned(fill(issued_docx(), how=how), agencies=AGENCIES)
    assert got == ReturnedYoushiki3(
        company_name="株式会社サンプル精機",
        corporate_number="4010001234567",
        agency="jetro",
        loan_status="disbursed",
        disbursed_on=dt.date(2026, 7, 15),
        amount_yen=50_000_000,
        menu="DX・イノベ・産業育成支援",
        expansion_status="planned",
        comments="タイに現地法人を設立予定。",
    )


@pytest.mark.parametrize(
    ("choice", "status"), [("未実行", "not_disbursed"), ("謝絶・取下げ", "declined"), ("実行済", "disbursed")]
)
def test_each_loan_status_is_its_key(choice: str, status: str) -> None:
    got = read_returned(fill(issued_docx("scb"), loan=choice, how=box_to("✓")), agencies=AGENCIES)
    assert isinstance(got, ReturnedYoushiki3)
    assert (got.loan_status, got.agency) == (status, "scb")


def test_not_disbursed_needs_no_date_or_amount_and_expansion_may_be_blank() -> None:
    got = read_returned(
        fill(issued_docx(), loan="未実行", day=None, amount=None, expansion=None), agencies=AGENCIES
    )
    assert isinstance(got, ReturnedYoushiki3)
    assert (got.loan_status, got.disbursed_on, got.amount_yen, got.expansion_status) == (
        "not_disbursed",
        None,
        None,
        None,
    )


def test_disbursed_without_date_or_amount_is_field_missing() -> None:
    got = read_returned(fill(issued_docx(), day=None, amount=None), agencies=AGENCIES)
    assert codes(got) == [(Code.FIELD_MISSING, "disbursed_on"), (Code.FIELD_MISSING, "amount_yen")]


def test_nothing_ticked_is_field_missing_and_two_ticked_is_field_invalid() -> None:
    assert codes(read_returned(fill(issued_docx(), loan=None), agencies=AGENCIES)) == [
        (Code.FIELD_MISSING, "loan_status")
    ]
    doc = issued_docx()
    box_to("■")(answer_cell(doc, "融資の状況"), "未実行")
    got = read_returned(fill(doc), agencies=AGENCIES)
    assert codes(got) == [(Code.FIELD_INVALID, "loan_status")]


def test_a_date_or_amount_that_is_not_one_is_field_invalid() -> None:
    got = read_returned(fill(issued_docx(), day="令和8年13月1日", amount="五千万くらい1"), agencies=AGENCIES)
    assert codes(got) == [(Code.FIELD_INVALID, "disbursed_on"), (Code.FIELD_INVALID, "amount_yen")]


def test_dates_and_amounts_as_banks_write_them() -> None:
    for day, amount, want in (
        ("R8.7.15", "50,000,000円", (dt.date(2026, 7, 15), 50_000_000)),
        ("2026/7/15", "￥30,000,000-", (dt.date(2026, 7, 15), 30_000_000)),
        ("令和 8年 7月 15日", "30,000千円", (dt.date(2026, 7, 15), 30_000_000)),
    ):
        got = read_returned(fill(issued_docx(), day=day, amount=amount), agencies=AGENCIES)
        assert isinstance(got, ReturnedYoushiki3), (day, amount, got)
        assert (got.disbursed_on, got.amount_yen) == want


def test_what_is_not_a_youshiki3() -> None:
    youshiki1 = (SAMPLES / "jetro-fillable.pdf").read_bytes()
    assert codes(read_returned(youshiki1, agencies=AGENCIES)) == [(Code.FORM_NOT_FOUND, None)]
    blank = Document()
    blank.add_paragraph("見積書")
    out = io.BytesIO()
    blank.save(out)
    assert codes(read_returned(out.getvalue(), agencies=AGENCIES)) == [(Code.FORM_NOT_FOUND, None)]
    assert codes(read_returned(b"hello", agencies=AGENCIES)) == [(Code.FORM_NOT_FOUND, None)]
    assert codes(read_returned(b"PK\x03\x04broken zip", agencies=AGENCIES)) == [(Code.FORM_UNREADABLE, None)]
    assert codes(read_returned(b"%PDF-1.7\nbroken", agencies=AGENCIES)) == [(Code.FORM_UNREADABLE, None)]


# ── PDF ───────────────────────────────────────────────────────────────────────────────────────
def test_a_pdf_from_the_projects_renderer_reads_back(tmp_path: Path) -> None:
    """The HTML template, with the bank's ✓ on 未実行 and 進出済, through the project's PDF renderer."""
    template = (TEMPLATES / "youshiki3.html").read_text("utf-8")
    marked = template.replace(
        "□ {{ s }}", "{% if s in ('未実行', '進出済') %}✓{% else %}□{% endif %} {{ s }}"
    )
    assert marked != template
    (tmp_path / "youshiki3.html").write_text(marked, "utf-8")
    pdf = render_pdf(tmp_path / "youshiki3.html", youshiki3(), font_dir=FONTS)
    got = read_returned(pdf, agencies=AGENCIES)
    assert isinstance(got, ReturnedYoushiki3), got
    assert (got.company_name, got.corporate_number, got.agency) == (
        "株式会社サンプル精機",
        "4010001234567",
        "jetro",
    )
    assert (got.loan_status, got.expansion_status) == ("not_disbursed", "expanded")
    unanswered = render_pdf(TEMPLATES / "youshiki3.html", youshiki3(), font_dir=FONTS)
    assert codes(read_returned(unanswered, agencies=AGENCIES)) == [(Code.FIELD_MISSING, "loan_status")]


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
@pytest.mark.parametrize("how", ["■", "others struck", "circled"])
def test_the_filled_docx_printed_to_pdf_by_libreoffice_reads_back(tmp_path: Path, how: str) -> None:
    filled = tmp_path / "youshiki3.docx"
    filled.write_bytes(fill(issued_docx(), how=TICKS[how]))
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    subprocess.run(
        [str(SOFFICE), profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(filled)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    got = read_returned((tmp_path / "youshiki3.pdf").read_bytes(), agencies=AGENCIES)
    assert isinstance(got, ReturnedYoushiki3), got
    assert (got.loan_status, got.disbursed_on, got.amount_yen) == (
        "disbursed",
        dt.date(2026, 7, 15),
        50_000_000,
    )
    assert (got.expansion_status, got.agency, got.menu) == ("planned", "jetro", "DX・イノベ・産業育成支援")


@pytest.mark.parametrize(
    ("written", "want"),
    [
        ("□ 実行済 ✓ 未実行 □ 謝絶・取下げ", "not_disbursed"),  # a mark belongs to the choice after it
        ("■実行済　□未実行　□謝絶・取下げ", "disbursed"),
        ("□実行済 □未実行 レ謝絶・取下げ", "declined"),
        ("実行済 ✓", "disbursed"),
        ("（未実行）", "not_disbursed"),
        ("□ 実行済 □ 未実行 □ 謝絶・取下げ", None),
    ],
)
def test_choices_written_on_one_line(written: str, want: str | None) -> None:
    assert read_choice([Line.of([(written, False)])], LOAN_STATUSES, "loan_status") == want
