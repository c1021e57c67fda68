"""The scanned-form reader: geometry, registration, checkboxes, spaces, confidences.

Fast tests run the real reader on real scanned PDFs with a stand-in engine that implements
OcrEngine (no model); the OCR tests at the end are marked slow.
"""

from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path

import cv2
import img2pdf
import numpy as np
import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from forms import model
from forms.errors import Code, OcrError
from forms.extract import geometry as geo
from forms.extract.ocr_engine import OcrLine, RapidOcrTuning, _with_spaces, default_engine, rapidocr_available
from forms.extract.scan import (
    BLANK_CONFIDENCE,
    field_confidence,
    fix_lookalikes,
    rasterise,
    read_page_images,
    read_scanned,
)
from forms.spec import AGENCY_FIELDS, load_spec

E = model.Evidence

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "samples"
KOSHA_SCAN = SAMPLES / "kosha-scanned.pdf"
needs_sample = pytest.mark.skipif(not KOSHA_SCAN.exists(), reason="needs ../shared/samples")


class LetterEngine:
    """Reads every line as "字" with a fixed score, and counts the lines it was given."""

    name = "letter"

    def __init__(self, score: float = 0.99) -> None:
        self.score = score
        self.calls = 0

    def recognize(self, image: np.ndarray) -> list[OcrLine]:
        self.calls += 1
        h, w = image.shape
        return [OcrLine("字", (0.0, 0.0, float(w), float(h)), self.score)]


class BrokenEngine:
    name = "broken"

    def recognize(self, image: np.ndarray) -> list[OcrLine]:
        raise OcrError("model file missing")


def _pdf_of_images(images: list[np.ndarray]) -> pdfium.PdfDocument:
    jpegs = [cv2.imencode(".jpg", im, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes() for im in images]
    layout = img2pdf.get_layout_fun((img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297)))
    return pdfium.PdfDocument(img2pdf.convert(jpegs, layout_fun=layout, nodate=True))


# ── geometry and registration ─────────────────────────────────────────────────────────────────
def test_blank_geometry_has_every_widget_and_label() -> None:
    g = geo.load_geometry()
    assert set(g.widgets) == set(load_spec().acroform_names)
    assert {lb.name for lb in g.labels} == set(load_spec().fields) | set(AGENCY_FIELDS)
    company = g.widgets["company_name"]
    x0, y0, x1, _ = g.to_pixels(company.page, company.rect, 72)
    assert (x0, x1) == company.rect[::2] and y0 == pytest.approx(g.page_sizes[0][1] - company.rect[3])
    assert g.widgets["consultation"].kind == "multiline" and g.widgets["req_tax"].kind == "checkbox"


@pytest.mark.parametrize("angle", [1.3, -0.6])
def test_skew_is_measured_and_undone(angle: float) -> None:
    blank = geo.blank_page_image(0, 200)
    h, w = blank.shape
    tilted = cv2.warpAffine(
        blank, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h), borderValue=255
    )
    assert geo.estimate_skew(tilted) == pytest.approx(angle, abs=0.05)
    assert abs(geo.estimate_skew(geo.deskew(tilted, geo.estimate_skew(tilted)))) <= 0.1


def test_registration_finds_the_labels_and_the_shift() -> None:
    blank = geo.blank_page_image(1, 200)
    moved = cv2.warpAffine(blank, np.float32([[1, 0, 9], [0, 1, -14]]), blank.shape[::-1], borderValue=255)
    g = geo.load_geometry()
    reg = geo.register(moved, 1, g, 200)
    assert reg.labels_found == reg.labels_expected == len(g.labels_on(1))
    rect = g.to_pixels(1, g.widgets["bank_name"].rect, 200)
    mapped = reg.map_rect(rect)
    assert mapped[0] == pytest.approx(rect[0] + 9, abs=1.5) and mapped[1] == pytest.approx(
        rect[1] - 14, abs=1.5
    )
    assert geo.register(moved, 0, g, 200).labels_found < 5  # page 2 is not page 1


# ── the reader on real scans, without a model ────────────────────────────────────────────────
@needs_sample
def test_checkboxes_are_read_from_the_ink_in_the_squares() -> None:
    read = read_scanned(pdfium.PdfDocument(KOSHA_SCAN), LetterEngine())
    assert isinstance(read, model.Extraction)
    assert read.shape is model.Shape.SCANNED and read.pages == 2 and read.labels_found >= 40
    ticked = {k for k, v in read.values.items() if v.value is True}
    assert ticked == {"agency_kosha", "declaration_antisocial", "consent_sharing"}
    boxes = [v for v in read.values.values() if isinstance(v.value, bool)]
    assert len(boxes) == 12 and all(v.confidence >= 0.9 and v.evidence == (E.INK_CLEAR,) for v in boxes)


@needs_sample
def test_blank_cells_are_blank_and_written_cells_go_to_the_engine() -> None:
    engine = LetterEngine()
    read = read_scanned(pdfium.PdfDocument(KOSHA_SCAN), engine)
    assert isinstance(read, model.Extraction)
    values = json.loads((SAMPLES / "kosha-scanned.values.json").read_text(encoding="utf-8"))
    del values["agency"]  # four checkboxes on the form
    for name, written in values.items():
        if isinstance(written, str):
            got = read.values[name]
            if written == "":
                assert (got.value, got.confidence, got.evidence) == ("", BLANK_CONFIDENCE, (E.BLANK,)), name
                assert got.region is not None and 0 <= got.region[1] < got.region[3] <= 1, name
            else:
                assert got.value == "字", name
    assert engine.calls == sum(1 for v in values.values() if isinstance(v, str) and v)  # one line each


@needs_sample
def test_an_upside_down_page_is_turned_and_read() -> None:
    doc = pdfium.PdfDocument(KOSHA_SCAN)
    pages = [rasterise(doc[0], 200)[::-1, ::-1], rasterise(doc[1], 200)]
    read = read_scanned(_pdf_of_images([np.ascontiguousarray(p) for p in pages]), LetterEngine())
    assert isinstance(read, model.Extraction)
    assert read.values["agency_kosha"].value is True and read.values["agency_jetro"].value is False


def test_a_page_that_is_not_the_form_is_form_not_found() -> None:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("Helvetica", 14)
    for i in range(30):
        c.drawString(72, 780 - 22 * i, f"Dear customer, line {i}: this letter is not an application form.")
    c.showPage()
    c.save()
    letter = rasterise(pdfium.PdfDocument(buf.getvalue())[0], 200)
    read = read_scanned(_pdf_of_images([letter]), LetterEngine())
    assert isinstance(read, model.Problem)
    assert read.code is Code.FORM_NOT_FOUND and read.param("detail") == "not_youshiki1"


@needs_sample
def test_an_engine_failure_is_form_unreadable() -> None:
    read = read_scanned(pdfium.PdfDocument(KOSHA_SCAN), BrokenEngine())
    assert isinstance(read, model.Problem)
    assert read.code is Code.FORM_UNREADABLE and read.param("detail") == "ocr_failed"


def _ringed_blank(*choices: tuple[str, str]) -> list[np.ndarray]:
    """The blank form's two pages at 200 dpi with a pen ring round each (field, printed choice)."""
    g = geo.load_geometry()
    pages = [geo.blank_page_image(p, 200).copy() for p in range(2)]
    for field, label in choices:
        option = next(o for o in g.options_of(field) if o.label == label)
        x0, y0, x1, y1 = g.to_pixels(option.page, option.rect, 200)
        centre = (round((x0 + x1) / 2), round((y0 + y1) / 2))
        axes = (round((x1 - x0) / 2 + 8), round((y1 - y0) / 2 + 7))
        cv2.ellipse(pages[option.page], centre, axes, 0, 0, 360, 40, 3)
    return pages


def test_a_choice_answered_by_a_ring_round_its_printed_word_is_read_from_the_ink() -> None:
    read = read_page_images(
        _ringed_blank(("entity_type", "組合"), ("loan_status", "利用中")), LetterEngine(), dpi=200
    )
    assert isinstance(read, model.Extraction)
    assert (read.values["entity_type"].value, read.values["entity_type"].evidence) == (
        "組合",
        (E.CHOICE_CIRCLED,),
    )
    assert read.values["loan_status"].value == "利用中"
    assert read.values["industry_category"].evidence == (E.BLANK,)  # no ring: blank


def test_two_rings_on_one_choice_list_answer_nothing() -> None:
    read = read_page_images(
        _ringed_blank(("entity_type", "法人"), ("entity_type", "組合")), LetterEngine(), dpi=200
    )
    assert isinstance(read, model.Extraction) and read.values["entity_type"].value == ""


# ── text and confidence ──────────────────────────────────────────────────────────────────────
def _line(text: str, *scores: float) -> OcrLine:
    char_scores = scores if len(scores) == len(text) else (scores[0],) * len(text)
    return OcrLine(text, (0, 0, 10, 10), sum(char_scores) / len(char_scores), tuple(char_scores))


@pytest.mark.parametrize(
    ("key", "text", "most"),
    [
        ("applied_on", "令和8年5月1.2日", 0.5),  # does not parse as a date
        ("corporate_number", "4010001234568", 0.5),  # check digit fails: a digit was misread
        ("industry_detail", "陶磁器小壳業", 0.5),  # 壳 is Chinese, not Japanese
        ("contact_email", "rokuko@reiji-foods.example.co.jp", 0.89),  # one weak character
        ("industry_category", "製造業・その池", 0.5),  # none of the printed choices
    ],
)
def test_values_that_cannot_be_right_stay_under_the_threshold(key: str, text: str, most: float) -> None:
    scores = [0.99] * len(text)
    if key == "contact_email":
        scores[4] = 0.6
    assert field_confidence(text, [_line(text, *scores)], load_spec()[key]) <= most


def test_confidence_counts_only_the_digits_of_numbers_and_trusts_exact_choices() -> None:
    spec = load_spec()
    assert (
        field_confidence("〒135-0016", [_line("〒135-0016", 0.4, *[0.99] * 8)], spec["hq_postal_code"]) >= 0.9
    )
    assert field_confidence("卸売業", [_line("卸売業", 0.99, 0.55, 0.99)], spec["industry_category"]) >= 0.95
    assert field_confidence("例示 六子", [_line("例示 六子", 0.99)], spec["contact_name"]) >= 0.99
    assert field_confidence("¥10,000,000", [_line("¥10,000,000", 0.99)], spec["capital_yen"]) >= 0.99


@pytest.mark.parametrize(
    ("read", "meant"),
    [("夕イ", "タイ"), ("南大沢ー丁目", "南大沢一丁目"), ("ホ一ルディングス", "ホールディングス"),
     ("二番地", "二番地"), ("協力会社", "協力会社"), ("1ー2ー3", "1ー2ー3")],
)  # fmt: skip
def test_kanji_and_katakana_lookalikes_follow_their_neighbours(read: str, meant: str) -> None:
    assert fix_lookalikes(read) == meant


def _glyph_line(lefts: list[int], width: int = 20, height: int = 24) -> np.ndarray:
    image = np.full((height + 10, lefts[-1] + width + 10), 235, np.uint8)
    for x in lefts:
        image[5 : 5 + height, x : x + width] = 30
    return image


def test_a_dropped_space_is_put_back_from_the_gap_in_the_ink() -> None:
    lefts = [5, 29, 80, 104]  # 見本　七海: a one-em gap between the second and third glyph
    text, confs = _with_spaces(
        _glyph_line(lefts), "見本七海", [x + 10 for x in lefts], [0.99] * 4, RapidOcrTuning()
    )
    assert text == "見本\u3000七海" and len(confs) == 5 and min(confs) >= 0.95


def test_spaces_between_evenly_spaced_digits_are_dropped() -> None:
    lefts = [5 + 26 * i for i in range(5)]
    xs = [x + 10.0 for x in lefts]
    text, _ = _with_spaces(_glyph_line(lefts, width=12), "12 345", [xs[0], xs[1], xs[1] + 5, *xs[2:]],
                           [0.9] * 6, RapidOcrTuning())  # fmt: skip
    assert text == "12345"


# ── the real engine (slow) ────────────────────────────────────────────────────────────────────
@pytest.mark.slow
@needs_sample
@pytest.mark.skipif(not rapidocr_available(), reason="needs rapidocr and onnxruntime")
def test_the_shared_scanned_sample_is_read_right() -> None:
    engine = default_engine()
    assert engine is not None
    read = read_scanned(pdfium.PdfDocument(KOSHA_SCAN), engine)
    assert isinstance(read, model.Extraction)
    values = json.loads((SAMPLES / "kosha-scanned.values.json").read_text(encoding="utf-8"))

    def nfkc(s: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", s).split())

    agency = values.pop("agency")
    values.update({name: name == f"agency_{agency}" for name in AGENCY_FIELDS})
    for name, written in values.items():
        got = read.values[name]
        if got.confidence >= 0.9:  # read with confidence: it must be right
            assert (nfkc(got.value) if isinstance(got.value, str) else got.value) == (
                nfkc(written) if isinstance(written, str) else written
            ), name
    assert read.values["bank_officer"].value.replace("\u3000", " ") == "見本 七海"
