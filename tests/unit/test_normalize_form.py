"""normalize() on a whole form: checkboxes, blanks, unreadable and low-confidence values, the samples."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from forms.errors import Code
from forms.model import Extraction, RawValue, Shape
from forms.normalize import (
    normalize,
)
from forms.spec import AGENCIES, load_spec

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
SPEC = load_spec()
D = dt.date


def fullwidth(s: str) -> str:
    """ASCII → full-width forms (what a Japanese IME types): 2026/5/12 → ２０２６／５／１２."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ── normalize(): a whole form ─────────────────────────────────────────────────────────────────


def extraction(values: dict[str, str | bool], confidence: float = 1.0) -> Extraction:
    """RawValues as a reader gives them: the agency as its four checkboxes."""
    raw = {k: RawValue(v, confidence) for k, v in values.items() if k != "agency"}
    if "agency" in values:
        raw |= {f"agency_{a}": RawValue(values["agency"] == a, confidence) for a in AGENCIES}
    shape = Shape.FILLABLE if confidence == 1.0 else Shape.SCANNED
    return Extraction(shape=shape, values=raw, pages=2)


def as_json(fields: Mapping[str, object]) -> dict[str, object]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in fields.items()}


SAMPLE_NAMES = sorted(p.name.removesuffix(".values.json") for p in SAMPLES.glob("*.values.json"))


@pytest.mark.skipif(not SAMPLE_NAMES, reason=f"no samples under {SAMPLES}")
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_samples_normalise_to_their_expected_fields(name: str) -> None:
    values = json.loads((SAMPLES / f"{name}.values.json").read_text(encoding="utf-8"))
    expected = json.loads((SAMPLES / f"{name}.expected.json").read_text(encoding="utf-8"))
    result = normalize(extraction(values), SPEC, min_confidence=0.9)
    assert as_json(result.fields) == expected["fields"]
    assert result.problems == ()
    assert result.low_confidence == frozenset()
    assert result.agencies == (expected["agency"],)
    assert result.raw["agency_" + expected["agency"]] is True
    assert result.raw["representative"] == values["representative"]


def test_checkboxes_are_always_present() -> None:
    result = normalize(extraction({"company_name": "見本商店"}), SPEC, min_confidence=0.9)
    assert {f.key: result.fields[f.key] for f in SPEC.of_type("checkbox")} == dict.fromkeys(
        (f.key for f in SPEC.of_type("checkbox")), False
    )
    assert result.fields["company_name"] == "見本商店"
    assert "agency" not in result.fields and result.agencies == ()


def test_blank_fields_are_left_out() -> None:
    result = normalize(
        extraction({"company_name": "　", "capital_yen": "", "loan_date": " "}), SPEC, min_confidence=0.9
    )
    assert not {"company_name", "capital_yen", "loan_date"} & set(result.fields)
    assert result.problems == ()


def test_unreadable_values_are_field_invalid_with_the_raw_value() -> None:
    values = {"applied_on": "令和8年13月1日", "capital_yen": "約3億円", "contact_email": "a.example.jp"}
    values |= {"corporate_number": "401000123456", "entity_type": "株式会社", "consent_sharing": "maybe"}
    result = normalize(extraction(values), SPEC, min_confidence=0.9)
    found = {(p.code, p.field, p.param("value")) for p in result.problems}
    assert found == {(Code.FIELD_INVALID, k, v) for k, v in values.items()}
    assert not {"applied_on", "capital_yen", "contact_email", "corporate_number", "entity_type"} & set(
        result.fields
    )
    assert result.fields["consent_sharing"] is False
    assert result.low_confidence == frozenset()


def test_unreadable_ocr_values_are_low_confidence_not_invalid() -> None:
    values = {"applied_on": "令和8年13月1日", "capital_yen": "3,0O0万円", "employees": "45人"}
    result = normalize(extraction(values, confidence=0.95), SPEC, min_confidence=0.9)
    assert result.problems == ()
    assert result.low_confidence == {"applied_on", "capital_yen"}
    assert result.fields["employees"] == 45


def test_values_read_under_the_threshold_are_low_confidence() -> None:
    values = {
        "agency_scb": RawValue(True, 0.5),
        "employees": RawValue("45人", 0.5),
        "bank_name": RawValue("x", 0.99),
    }
    result = normalize(Extraction(Shape.SCANNED, values, pages=2), SPEC, min_confidence=0.9)
    assert result.low_confidence == {"agency", "employees"}
    assert result.fields["employees"] == 45 and result.fields["agency"] == "scb"


def test_several_agencies_are_listed_and_none_is_chosen() -> None:
    values = {"agency_jetro": True, "agency_scb": "✓", "agency_kosha": False, "agency_smrj": "/Yes"}
    result = normalize(extraction(values), SPEC, min_confidence=0.9)
    assert result.agencies == ("jetro", "scb", "smrj")
    assert "agency" not in result.fields
    assert result.raw["agency_scb"] == "✓"


def test_agency_written_as_text() -> None:
    written = {"agency": RawValue("東京都中小企業振興公社")}
    result = normalize(Extraction(Shape.PRINTED, written, pages=2), SPEC, min_confidence=0.9)
    assert result.agencies == ("kosha",) and result.fields["agency"] == "kosha"


def test_literal_text_is_kept_as_data() -> None:
    values = {
        "company_name": "{{ config.SECRET }}",
        "consultation": '=HYPERLINK("http://x")',
        "bank_name": "<script>",
    }
    result = normalize(extraction(values), SPEC, min_confidence=0.9)
    assert {k: result.fields[k] for k in values} == values


def test_a_checkbox_state_in_a_text_field_is_invalid() -> None:
    result = normalize(extraction({"company_name": True}), SPEC, min_confidence=0.9)
    assert [(p.code, p.field) for p in result.problems] == [(Code.FIELD_INVALID, "company_name")]
