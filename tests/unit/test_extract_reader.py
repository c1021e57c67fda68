"""read_pdf on real PDFs: the shared samples, forms filled by fill.py, and broken files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import ModuleType

import pikepdf
import pytest

from forms import model, spec
from forms.errors import Code
from forms.extract import pdf, reader, reader_process
from tests.support.youshiki1 import fill_module

SHARED = Path(__file__).resolve().parents[3] / "shared"
SAMPLES = SHARED / "samples"
FORMS = SHARED / "forms"
BLANK = Path(__file__).resolve().parents[2] / "src" / "forms" / "data" / "youshiki1.pdf"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not present")


@pytest.fixture(scope="module")
def fill() -> ModuleType:
    return fill_module()


def expected_values(values: dict) -> dict[str, str | bool]:
    """values.json as AcroForm names: the agency as four booleans, blank text left out."""
    out: dict[str, str | bool] = {}
    for key, value in values.items():
        if key == "agency":
            chosen = [] if value is None else [value] if isinstance(value, str) else list(value)
            out.update({f"agency_{a}": a in chosen for a in spec.AGENCIES})
        elif value != "":
            out[key] = value
    return out


def read_values(result: model.ExtractResult) -> dict[str, str | bool]:
    assert isinstance(result, model.Extraction), result
    assert all(v.confidence == 1.0 for v in result.values.values())
    return {k: v.value for k, v in result.values.items() if v.value != ""}


def unreadable(detail: str) -> model.Problem:
    return model.problem(Code.FORM_UNREADABLE, None, detail=detail)


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("jetro-fillable", model.Shape.FILLABLE),
        ("smrj-fillable", model.Shape.FILLABLE),
        ("scb-shinkin-flattened", model.Shape.PRINTED),
    ],
)
def test_samples_give_exactly_their_values(name: str, shape: model.Shape) -> None:
    values = json.loads((SAMPLES / f"{name}.values.json").read_text(encoding="utf-8"))
    result = reader.read_pdf((SAMPLES / f"{name}.pdf").read_bytes())
    assert isinstance(result, model.Extraction)
    assert result.shape == shape
    assert result.pages == 2
    assert read_values(result) == expected_values(values)


VALUE_SETS = {
    "reapplication-multiline": {
        "applied_on": "令和８年７月１日",
        "agency": "kosha",
        "company_name": "㈱テスト商会",
        "entity_type": "個人事業者",
        "representative": "代表　試験　一",
        "hq_address": "千代田区丸の内1-1-1",
        "employees": "５人",
        "consultation": "EC販路の相談。\nLine two in English.",
        "declaration_antisocial": True,
        "consent_sharing": False,
        "reapplication": True,
        "reapplication_reason": "当初は北米向けの販路開拓であったが、"
        "今回はASEAN向けに現地生産を目的とする調査である。"
        "工場の立地と人材確保の方法も相談したい。",
        "bank_email": "a.b@bank.example.jp",
        "contact_email": "c@d.example.jp",
        "report_delivery": "FAX",
    },
    "two-agencies": {
        "agency": ["jetro", "scb"],
        "company_name": "見本",
        "req_tax": True,
        "loan_status": "利用中",
    },
    "no-agency": {"agency": None, "company_name": "有限会社　例", "capital_yen": "¥10,000,000"},
}
#: How a flattened copy reads where it differs from what was written: a line break written in a
#: multi-line field is not in the text layer; lines are joined with a space unless both sides are
#: Japanese.
AS_PRINTED = {"reapplication-multiline": {"consultation": "EC販路の相談。 Line two in English."}}


def ticked_and_written(values: dict[str, str | bool]) -> dict[str, str | bool]:
    """Text values and ticked boxes (an unticked box may be absent or False)."""
    return {k: v for k, v in values.items() if v is not False}


@pytest.mark.parametrize("case", sorted(VALUE_SETS))
def test_fill_py_fillable_reads_every_value(fill, tmp_path: Path, case: str) -> None:
    values = VALUE_SETS[case]
    fill.fill_fillable(values, str(tmp_path / "a.pdf"))
    result = reader.read_pdf((tmp_path / "a.pdf").read_bytes())
    assert result.shape == model.Shape.FILLABLE
    assert ticked_and_written(read_values(result)) == ticked_and_written(expected_values(values))


@pytest.mark.parametrize("case", sorted(VALUE_SETS))
def test_fill_py_flattened_reads_every_value(fill, tmp_path: Path, case: str) -> None:
    values = VALUE_SETS[case]
    fill.flatten(values, str(tmp_path / "b.pdf"))
    result = reader.read_pdf((tmp_path / "b.pdf").read_bytes())
    assert result.shape == model.Shape.PRINTED
    want = expected_values(values) | AS_PRINTED.get(case, {})
    assert ticked_and_written(read_values(result)) == ticked_and_written(want)


def test_blank_form_is_a_youshiki1_without_values() -> None:
    result = reader.read_pdf(BLANK.read_bytes())
    assert isinstance(result, model.Extraction)
    assert result.labels_found >= 12
    assert read_values(result) == {k: False for k in read_values(result)}  # only unticked boxes
    assert result.values["agency_jetro"].value is False
    assert result.values["declaration_antisocial"].value is False


def test_garbage_is_corrupt() -> None:
    assert reader.read_pdf(b"%PDF-1.7\n" + bytes(range(256)) * 40) == unreadable("corrupt")
    assert reader.read_pdf(b"") == unreadable("corrupt")
    assert reader.read_pdf(b"PK\x03\x04 a zip file") == unreadable("corrupt")


def test_truncated_fillable_is_corrupt() -> None:
    data = (SAMPLES / "jetro-fillable.pdf").read_bytes()
    assert reader.read_pdf(data[: len(data) // 2]) == unreadable("corrupt")


def test_a_pdf_read_after_a_longer_one_is_read_from_its_own_bytes() -> None:
    # qpdf reads each PDF from the memory file of the one before, written over: nothing may be left of it
    longer = (SAMPLES / "scb-shinkin-flattened.pdf").read_bytes()
    data = (SAMPLES / "jetro-fillable.pdf").read_bytes()
    assert len(longer) > len(data)
    for _ in range(3):
        assert reader.read_pdf(longer).shape is model.Shape.PRINTED
        assert reader.read_pdf(data[: len(data) // 2]) == unreadable("corrupt")
        opened = pdf.open_pdf(data, max_pages=50)
        assert isinstance(opened, pdf.OpenedPdf)
        assert not opened.repaired  # qpdf found the file's own end, not what was left of the longer one
        opened.close()


def _encrypted(user: str) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(SAMPLES / "jetro-fillable.pdf") as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user=user, owner="owner-secret", R=6))
    return out.getvalue()


def test_password_protected_is_encrypted() -> None:
    assert reader.read_pdf(_encrypted("secret")) == unreadable("encrypted")


def test_empty_user_password_reads_normally() -> None:
    result = reader.read_pdf(_encrypted(""))
    assert isinstance(result, model.Extraction)
    assert result.values["company_name"].value == "株式会社サンプル精機"


def test_too_many_pages_is_refused_before_reading() -> None:
    pdf = pikepdf.new()
    for _ in range(200):
        pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    assert reader.read_pdf(out.getvalue(), max_pages=50) == unreadable("too_many_pages")
    assert reader.read_pdf(out.getvalue(), max_pages=200) != unreadable("too_many_pages")


def test_scan_without_ocr_engine_is_ocr_unavailable() -> None:
    assert reader.read_pdf((SAMPLES / "kosha-scanned.pdf").read_bytes()) == unreadable("ocr_unavailable")


def test_blank_pages_without_ocr_engine_are_ocr_unavailable() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    assert reader.read_pdf(out.getvalue()) == unreadable("ocr_unavailable")


class RecordingEngine:
    """An OcrEngine (forms.extract.ocr_engine) that reads nothing and counts the images it gets."""

    name = "recording"

    def __init__(self) -> None:
        self.images = 0

    def recognize(self, image: object) -> list:
        self.images += 1
        return []


def test_scan_goes_to_the_ocr_reader_with_an_engine() -> None:
    engine = RecordingEngine()
    result = reader.read_pdf((SAMPLES / "kosha-scanned.pdf").read_bytes(), ocr=engine)
    assert engine.images > 0
    assert not (isinstance(result, model.Extraction) and result.shape != model.Shape.SCANNED)


def test_text_forms_never_reach_the_ocr_engine() -> None:
    engine = RecordingEngine()
    for name in ("jetro-fillable", "scb-shinkin-flattened"):
        assert isinstance(
            reader.read_pdf((SAMPLES / f"{name}.pdf").read_bytes(), ocr=engine), model.Extraction
        )
    assert reader.read_pdf(BLANK.read_bytes(), ocr=engine).shape == model.Shape.PRINTED
    assert engine.images == 0


@pytest.mark.slow
def test_scanned_sample_is_read_by_ocr() -> None:
    from forms.extract import ocr_engine  # the real engine is optional; loaded only for this test

    engine = ocr_engine.default_engine()
    if engine is None:
        pytest.skip("no OCR engine installed")
    result = reader.read_pdf((SAMPLES / "kosha-scanned.pdf").read_bytes(), ocr=engine)
    assert isinstance(result, model.Extraction)
    assert result.shape == model.Shape.SCANNED
    assert result.values["company_name"].value == "株式会社例示フーズ"


def test_a_reader_process_closes_the_document_once_it_has_answered() -> None:
    """Within closed_after the reading is whole and the document still open; the closers close it."""
    with pdf.closed_after() as later:
        result = reader.read_pdf((SAMPLES / "scb-shinkin-flattened.pdf").read_bytes())
    assert isinstance(result, model.Extraction) and result.shape is model.Shape.PRINTED
    held = [close.__self__ for close in later]  # the pages, the PDFium document, the qpdf file: in that order
    assert [type(h).__name__ for h in held] == ["Pages", "PdfDocument", "OpenedPdf"]
    assert held[0].kept_textpage(0) is not None and held[1].raw is not None
    reader_process.close_all(later)
    assert held[0].kept_textpage(0) is None and held[1].raw is None
