"""Text-layer PDFs drawn with reportlab: a re-typed 様式1, a 決算書, a font without ToUnicode."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from forms import model
from forms.errors import Code
from forms.extract import reader, textlayer
from tests.support import drawn_pdf

FONT_DIRS = ("/usr/share/fonts/opentype/ipaexfont-gothic", "/usr/share/fonts/truetype/ipaexfont-gothic")
FONT = next((Path(d) / "ipaexg.ttf" for d in FONT_DIRS if (Path(d) / "ipaexg.ttf").exists()), None)
pytestmark = pytest.mark.skipif(FONT is None, reason="IPAex Gothic not installed")

#: Rows of (x, text) cells, top to bottom: the labels of 様式1 in another order, two pairs on some
#: lines, marks before or after labels, the agency written as its name.
RETYPED_PAGE = [
    [(40, "海外展開支援（案内）申込書（様式1）")],
    [(40, "申込先支援機関"), (160, "日本貿易振興機構（ジェトロ）")],
    [(40, "金融機関名"), (140, "みほん銀行"), (300, "支店名"), (380, "蒲田支店")],
    [(40, "業態：銀行")],
    [(40, "金融機関E-mail"), (140, "kaigai@mihon-bank.example.jp")],
    [(40, "担当者Ｅ－ｍａｉｌ"), (140, "hanako@sample.example.co.jp")],
    [(40, "企業名（屋号）"), (140, "株式会社サンプル精機"), (300, "申込日"), (380, "令和8年5月12日")],
    [(40, "法人・個人の別"), (140, "法人"), (300, "法人番号"), (380, "4010001234567")],
    [(40, "代表者役職・氏名"), (140, "代表取締役　見本　太郎")],
    [(40, "本社所在地"), (140, "東京都大田区蒲田9丁目8番7号")],
    [(40, "資本金（円）"), (140, "3,000万円"), (300, "常時使用する従業員数（人）"), (440, "45人")],
    [(40, "相談内容"), (140, "東南アジア向けの販路開拓を検討している。現地の")],
    [(140, "商習慣について相談したい。")],
    [(40, "東京都中小企業制度融資の利用状況"), (220, "利用予定")],
    [(40, "■暴力団員等に該当しないことの表明"), (300, "□東京都・支援機関・金融機関間の情報共有への同意")],
    [
        (40, "基本要件(1) 都内事業所・保証対象業種を確認"),
        (250, "レ"),
        (300, "基本要件(2) 許認可等を確認"),
        (450, "✓"),
    ],
    [(40, "基本要件(3)　租税・社会保険料の滞納なしを確認"), (250, "□")],
    [(40, "基本要件(4) 暴力団員等に該当しないことを確認"), (250, "■")],
    [(40, "信用金庫取引先（見込み先含む）"), (250, "")],
    [(40, "※ 個人事業者の場合、法人番号及び資本金の記入は不要です。")],
]
RETYPED_VALUES = {
    "agency_jetro": True,
    "agency_scb": False,
    "agency_kosha": False,
    "agency_smrj": False,
    "bank_name": "みほん銀行",
    "bank_branch": "蒲田支店",
    "bank_type": "銀行",
    "bank_email": "kaigai@mihon-bank.example.jp",
    "contact_email": "hanako@sample.example.co.jp",
    "company_name": "株式会社サンプル精機",
    "applied_on": "令和8年5月12日",
    "entity_type": "法人",
    "corporate_number": "4010001234567",
    "representative": "代表取締役　見本　太郎",
    "hq_address": "東京都大田区蒲田9丁目8番7号",
    "capital_yen": "3,000万円",
    "employees": "45人",
    "consultation": "東南アジア向けの販路開拓を検討している。現地の商習慣について相談したい。",
    "loan_status": "利用予定",
    "declaration_antisocial": True,
    "consent_sharing": False,
    "req_tokyo_office": True,
    "req_license": True,
    "req_tax": False,
    "req_antisocial": True,
    "scb_customer": False,
}

KESSANSHO_PAGE = [
    [(40, "第12期 決算報告書")],
    [(40, "貸借対照表"), (300, "令和7年3月31日現在")],
    [(40, "資産の部"), (300, "負債の部")],
    [(40, "現金及び預金"), (180, "12,345,678"), (300, "買掛金"), (440, "3,210,000")],
    [(40, "売掛金"), (180, "8,765,432"), (300, "資本金"), (440, "10,000,000")],
    [(40, "法人番号"), (180, "4010001234567")],
    [(40, "本社所在地"), (180, "東京都大田区蒲田9丁目8番7号")],
]


def draw(rows: list[list[tuple[float, str]]], blank_pages: int = 0) -> bytes:
    if "IPAexG" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("IPAexG", str(FONT)))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=True)
    c.setFont("IPAexG", 9)
    y = 800.0
    for row in rows:
        for x, text in row:
            c.drawString(x, y, text)
        y -= 13 if row[0][0] > 100 else 22  # a continuation line sits close under its first line
    for _ in range(blank_pages):
        c.showPage()
        c.setFont("IPAexG", 9)
        c.drawString(0, 0, "")
    c.save()
    return out.getvalue()


def without_tounicode(data: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                if "/ToUnicode" in font:
                    del font["/ToUnicode"]
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def test_retyped_layout_reads_by_labels() -> None:
    result = reader.read_pdf(draw(RETYPED_PAGE))
    assert isinstance(result, model.Extraction)
    assert result.shape == model.Shape.PRINTED
    found = {k: v.value for k, v in result.values.items() if v.confidence == 1.0}
    assert found == RETYPED_VALUES
    # required fields whose label the page lacks are handed to a clerk, not read as left blank
    missing = {k: v for k, v in result.values.items() if k not in RETYPED_VALUES}
    assert set(missing) == {
        "hq_postal_code", "industry_category", "industry_detail", "contact_name", "contact_phone",
        "bank_officer", "bank_phone", "loan_menu", "loan_amount_yen",
    }  # fmt: skip
    assert set(missing.values()) == {model.RawValue("", 0.0)}


def test_retyped_layout_with_few_labels_is_not_a_form() -> None:
    result = reader.read_pdf(draw(RETYPED_PAGE[:6]))
    assert result == model.problem(Code.FORM_NOT_FOUND, None, detail="not_youshiki1")


class RecordingEngine:
    """An OcrEngine (forms.extract.ocr_engine) that reads nothing and counts the images it gets."""

    name = "recording"

    def __init__(self) -> None:
        self.images = 0

    def recognize(self, image: object) -> list:
        self.images += 1
        return []


def test_kessansho_is_not_youshiki1_and_not_ocred() -> None:
    engine = RecordingEngine()
    result = reader.read_pdf(draw(KESSANSHO_PAGE), ocr=engine)
    assert result == model.problem(Code.FORM_NOT_FOUND, None, detail="not_youshiki1")
    assert engine.images == 0


def test_text_document_with_a_blank_page_is_not_ocred() -> None:
    engine = RecordingEngine()
    result = reader.read_pdf(draw(KESSANSHO_PAGE, blank_pages=1), ocr=engine)
    assert result == model.problem(Code.FORM_NOT_FOUND, None, detail="not_youshiki1")
    assert engine.images == 0


def test_scanned_pages_are_image_pages_without_text() -> None:
    sample = Path(__file__).resolve().parents[3] / "shared" / "samples" / "kosha-scanned.pdf"
    if not sample.exists():
        pytest.skip("shared samples not present")
    layer = textlayer.read_text_layer(pdfium.PdfDocument(sample.read_bytes()))
    assert (layer.chars, layer.image_pages, layer.lines) == (0, 2, ())


def test_font_without_tounicode_is_undecodable() -> None:
    data = without_tounicode(draw(RETYPED_PAGE))
    layer = textlayer.read_text_layer(pdfium.PdfDocument(data))
    assert layer.has_text and not layer.decodable
    assert reader.read_pdf(data) == model.problem(Code.FORM_UNREADABLE, None, detail="ocr_unavailable")


def test_official_form_without_tounicode_is_read_by_ocr() -> None:
    """PDFium maps the official form's CIDs to Latin-1 garbage (Ø°ÜÀì) once ToUnicode is gone."""
    sample = Path(__file__).resolve().parents[3] / "shared" / "samples" / "scb-shinkin-flattened.pdf"
    if not sample.exists():
        pytest.skip("shared samples not present")
    data = without_tounicode(sample.read_bytes())
    assert reader.read_pdf(data) == model.problem(Code.FORM_UNREADABLE, None, detail="ocr_unavailable")
    engine = RecordingEngine()
    result = reader.read_pdf(data, ocr=engine)
    assert engine.images > 0
    assert isinstance(result, model.Extraction)
    assert result.shape == model.Shape.SCANNED
    assert "text layer undecodable: OCR" in result.notes


def test_text_layer_lines_join_cells_on_one_baseline() -> None:
    layer = textlayer.read_text_layer(pdfium.PdfDocument(draw(RETYPED_PAGE)))
    texts = [line.text for line in layer.lines]
    assert "金融機関名 みほん銀行 支店名 蒲田支店" in texts
    assert "代表者役職・氏名 代表取締役　見本　太郎" in texts  # written spaces kept, gaps become one
    assert layer.decodable and layer.image_pages == 0


def test_two_lines_that_pdfium_runs_together_with_a_space_stay_two_lines() -> None:
    # PDFium joins "…同" and "意" (the line below, back at the left) with a space, not a line break
    rows = ((40, 700, "東京都・支援機関・金融"), (40, 687.25, "機関間の情報共有への同"), (40, 674.5, "意"),
            (200, 700, "はい"))  # fmt: skip
    data = drawn_pdf.pdf(tuple(drawn_pdf.text(x, y, s) for x, y, s in rows))
    assert "同 意" in pdfium.PdfDocument(data)[0].get_textpage().get_text_range()
    lines = textlayer.read_text_layer(pdfium.PdfDocument(data)).lines
    assert [[s.text for s in line.spans] for line in lines] == [
        ["東京都・支援機関・金融", "はい"], ["機関間の情報共有への同"], ["意"]
    ]
