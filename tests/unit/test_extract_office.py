"""Word and Excel 様式1 (extract.office, word, excel); carriers told by their bytes (extract.carrier)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from docx import Document
from openpyxl import Workbook, load_workbook

from forms import model
from forms.errors import Code
from forms.extract import carrier, excel, word
from forms.extract.document import read_document
from forms.extract.office import MAX_PARTS, read_office
from tests.corpus import hostile_carriers, office
from tests.support.paths import SAMPLES

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")
W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def jetro() -> dict:
    return json.loads((SAMPLES / "jetro-fillable.values.json").read_text(encoding="utf-8"))


def values_of(result: model.ExtractResult) -> dict[str, str | bool]:
    assert isinstance(result, model.Extraction), result
    return {k: v.value for k, v in result.values.items()}


def detail(result: model.ExtractResult) -> tuple[Code, str]:
    assert isinstance(result, model.Problem), result
    return result.code, result.param("detail")


def with_part(package: bytes, name: str, data: bytes) -> bytes:
    return hostile_carriers.rewritten(package, {name: data})


# -- carriers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"II*\x00\x08\x00", carrier.Carrier.TIFF),
        (b"MM\x00*\x00\x00", carrier.Carrier.TIFF),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", carrier.Carrier.JPEG),
        (b"\x89PNG\r\n\x1a\n\x00", carrier.Carrier.PNG),
        (b"PK\x03\x04\x14\x00", carrier.Carrier.ZIP),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", carrier.Carrier.OLE),
        (b"\r\n\r\n%PDF-1.7\n", carrier.Carrier.PDF),
        (b"From: bank@example.jp\r\nSubject: x\r\n", carrier.Carrier.UNKNOWN),
    ],
)
def test_a_carrier_is_told_by_its_first_bytes(head: bytes, kind: carrier.Carrier) -> None:
    assert carrier.sniff(head + b"\x00" * 64) is kind


@pytest.mark.parametrize(
    ("name", "suffix", "want"),
    [
        ("様式1.pdf", ".tif", "様式1.tif"),
        ("fax.TIFF", ".tif", "fax.TIFF"),
        ("x.bin", ".docx", "x.docx"),
        ("申込書", ".xlsx", "申込書.xlsx"),
        ("a.b.c", ".pdf", "a.b.c.pdf"),
        ("photo.jpeg", ".jpg", "photo.jpeg"),
    ],
)
def test_a_forwarded_file_is_named_as_its_bytes_call_for(name: str, suffix: str, want: str) -> None:
    assert carrier.forwarded_name(name, suffix) == want


def test_a_zip_is_forwarded_by_the_shape_its_reading_gave() -> None:
    docx = office.docx_table(jetro())
    assert carrier.file_type(docx, "docx")[1] == ".docx"
    assert carrier.file_type(docx, None, "様式1.XLSX")[1] == ".xlsx"
    assert carrier.file_type(docx, None, "archive.zip") == ("application/zip", ".zip")


# -- Word ---------------------------------------------------------------------------------------


def document(body: str) -> bytes:
    return f"<w:document {W_NS}><w:body>{body}</w:body></w:document>".encode()


def line_texts(xml: bytes) -> list[str]:
    return [line.text for line in word.docx_lines(xml)]


def test_a_content_control_is_read_by_its_state_not_its_glyph() -> None:
    w14 = 'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"'
    body = (
        f'<w:p><w:sdt {w14}><w:sdtPr><w14:checkbox><w14:checked w14:val="1"/></w14:checkbox></w:sdtPr>'
        "<w:sdtContent><w:r><w:t>☐</w:t></w:r></w:sdtContent></w:sdt><w:r><w:t> 同意</w:t></w:r></w:p>"
    )
    assert line_texts(document(body)) == ["■ 同意"]


def test_deleted_text_field_codes_and_fallback_copies_are_not_read() -> None:
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    body = (
        "<w:p><w:del><w:r><w:delText>旧商事</w:delText></w:r></w:del><w:ins><w:r><w:t>新商事</w:t></w:r></w:ins>"
        "<w:r><w:instrText> MERGEFIELD 企業名 </w:instrText></w:r>"
        f"<mc:AlternateContent {mc}><mc:Choice><w:r><w:t>箱</w:t></w:r></mc:Choice>"
        "<mc:Fallback><w:r><w:t>箱</w:t></w:r></mc:Fallback></mc:AlternateContent></w:p>"
    )
    assert line_texts(document(body)) == ["新商事箱"]


def test_wingdings_boxes_and_legacy_check_box_fields_are_ticks() -> None:
    body = (
        '<w:p><w:r><w:sym w:font="Wingdings" w:char="F0FE"/><w:t>A</w:t></w:r>'
        '<w:r><w:sym w:font="Wingdings" w:char="F0A8"/><w:t>B</w:t></w:r></w:p>'
        '<w:p><w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:checkBox><w:default w:val="0"/>'
        "<w:checked/></w:checkBox></w:ffData></w:fldChar></w:r><w:r><w:t>C</w:t></w:r></w:p>"
    )
    assert line_texts(document(body)) == ["■A□B", "■C"]


def test_a_table_row_is_one_line_with_a_span_per_cell_at_its_grid_column() -> None:
    body = (
        '<w:tbl><w:tblGrid><w:gridCol w:w="2000"/><w:gridCol w:w="6000"/></w:tblGrid>'
        "<w:tr><w:tc><w:p><w:r><w:t>資本金（円）</w:t></w:r></w:p></w:tc>"
        "<w:tc><w:p><w:r><w:t>3,000万円</w:t></w:r></w:p><w:p><w:r><w:t>（令和7年度末）</w:t></w:r></w:p></w:tc>"
        "</w:tr></w:tbl>"
    )
    (line,) = word.docx_lines(document(body))
    assert [(s.text, s.x0) for s in line.spans] == [
        ("資本金（円）", 0.0),
        ("3,000万円（令和7年度末）", 100.0),
    ]


def test_a_docx_declaring_a_doctype_is_refused_unread() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "ああああああああああ"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        f"<w:document {W_NS}><w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>"
    )
    package = with_part(office.docx_table(jetro()), "word/document.xml", laughs.encode())
    assert detail(read_office(package)) == (Code.FORM_UNREADABLE, "corrupt")


def test_a_word_file_that_is_no_youshiki1_is_form_not_found() -> None:
    doc = Document()
    doc.add_paragraph("決算書を送付します。")
    out = io.BytesIO()
    doc.save(out)
    assert detail(read_document(out.getvalue())) == (Code.FORM_NOT_FOUND, "not_youshiki1")


# -- Excel --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (46154.0, '[$-411]ggge"年"m"月"d"日"', "2026-05-12"),
        (46154.0, "[$-1030411]ggge\\年m\\月d\\日", "2026-05-12"),
        (30_000_000.0, "#,##0", "30000000"),
        (1440052.0, "0000000", "1440052"),
        (312345678.0, "0000000000", "0312345678"),
        (1.5, "General", "1.5"),
    ],
)
def test_number_cells_are_written_back_as_the_text_the_normaliser_reads(
    value: float, number_format: str, text: str
) -> None:
    assert excel.number_text(value, number_format) == text


def test_strings_booleans_and_phonetic_guides_in_a_sheet() -> None:
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="2"><c r="B2" t="inlineStr"><is><r><t>見本</t></r><r><t>商事</t></r>'
        '<rPh sb="0" eb="2"><t>ミホン</t></rPh></is></c>'
        '<c r="D2" t="b"><v>1</v></c><c r="E2" t="b"><v>0</v></c><c r="F2" t="e"><v>#REF!</v></c>'
        '<c r="G2" t="str"><f>A1&amp;B1</f><v>東南アジア向け\n販路開拓</v></c></row></sheetData></worksheet>'
    )
    package = with_part(office.xlsx_grid(jetro()), "xl/worksheets/sheet1.xml", sheet.encode())
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        lines, sheets = excel.xlsx_lines(z, "xl/workbook.xml")
    assert sheets == 1 and [(s.text, s.x0) for s in lines[0].spans] == [
        ("見本商事", 100.0),
        ("■", 300.0),
        ("□", 400.0),
        ("東南アジア向け販路開拓", 600.0),
    ]


def test_a_hidden_sheet_and_an_uncalculated_formula_are_not_read() -> None:
    form = jetro()
    wb = Workbook()
    ws = wb.active
    for row in load_workbook(io.BytesIO(office.xlsx_grid(form))).active.iter_rows(values_only=True):
        ws.append(list(row))
    ws["C5"] = '=CONCAT("株式","会社")'  # 企業名（屋号）: a formula Excel never calculated
    hidden = wb.create_sheet("old")
    hidden.append(["企業名（屋号）", "株式会社ちがう会社"])
    hidden.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    got = values_of(read_office(out.getvalue()))
    assert (
        got["company_name"] == "" and got["capital_yen"] == "30000000" and got["applied_on"] == "2026-05-12"
    )


# -- guards -------------------------------------------------------------------------------------


def test_macros_are_refused_by_part_name_or_by_content_type_alone() -> None:
    form = jetro()
    assert detail(read_office(hostile_carriers.macro_xlsm(form)[0])) == (Code.FORM_UNREADABLE, "macro")
    docx = office.docx_table(form)
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        types = z.read("[Content_Types].xml").replace(
            hostile_carriers.DOCX_MAIN.encode(), b"application/vnd.ms-word.document.macroEnabled.main+xml"
        )
    assert detail(read_office(with_part(docx, "[Content_Types].xml", types))) == (
        Code.FORM_UNREADABLE,
        "macro",
    )
    sheets = hostile_carriers.rewritten(office.xlsx_grid(form), {}, {"xl/macrosheets/sheet1.xml": b"<x/>"})
    assert detail(read_office(sheets)) == (Code.FORM_UNREADABLE, "macro")


def test_zip_bombs_are_refused_from_the_directory_before_anything_inflates() -> None:
    form = jetro()
    dense = hostile_carriers.rewritten(office.docx_table(form), {}, {"word/media/x.bin": bytes(4 * 1024**2)})
    assert detail(read_office(dense)) == (Code.FORM_UNREADABLE, "zip_bomb")  # 4 MiB packed into ~4 KiB
    many = hostile_carriers.rewritten(
        office.docx_table(form), {}, {f"customXml/extra{n}.xml": b"<a/>" for n in range(MAX_PARTS + 1)}
    )
    assert detail(read_office(many)) == (Code.FORM_UNREADABLE, "zip_bomb")
    assert detail(read_office(hostile_carriers.lying_zip_docx(form)[0])) == (Code.FORM_UNREADABLE, "corrupt")


def test_an_encrypted_part_and_an_ole_file_are_refused() -> None:
    package = bytearray(office.docx_table(jetro()))
    central = bytes(package).find(b"PK\x01\x02")
    package[central + 8] |= 0x1  # the first part's "encrypted" flag in the directory
    assert detail(read_office(bytes(package))) == (Code.FORM_UNREADABLE, "encrypted")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024  # an OLE header and nothing behind it
    assert detail(read_document(ole)) == (Code.FORM_UNREADABLE, "corrupt")
