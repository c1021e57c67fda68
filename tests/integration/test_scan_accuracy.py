"""Scans decided without a clerk and never silently wrong (slow: OCR), on part of the scan corpus.

Each case (tests/support/scan_corpus.py: the shared samples and the corpus's form cases, a rule broken
or a boundary value in each) is written in a shape, read by OCR, decided, and compared with the decision
its values give. bench/scan_accuracy.py runs every case of every shape and prints the figures.
"""

from __future__ import annotations

import pytest

from forms import model
from forms.extract.ocr_engine import rapidocr_available
from tests.corpus import handwriting
from tests.support import scan_corpus
from tests.support.paths import FORMS_DIR

#: Cases per shape in the test run (the bench runs them all); the first ones cover every agency and
#: the rules that turn on a read value (check digit, malformed values, agencies, declarations).
CASES = 14


def _report(scored: list[scan_corpus.Scored]) -> str:
    return "\n".join(
        f"{s.outcome} {s.shape}/{s.name}: {'; '.join(s.why)}" for s in scored if s.outcome != "auto"
    )


@pytest.mark.slow
@pytest.mark.skipif(not (FORMS_DIR / "fill.py").exists(), reason="needs ../shared/forms/fill.py")
@pytest.mark.skipif(not rapidocr_available(), reason="needs rapidocr and onnxruntime")
@pytest.mark.parametrize(
    ("shape", "least_auto"),
    # fax: half the cases are standard-resolution faxes, whose text a clerk reads (extract.fax)
    [("scanned", 0.9), ("handwritten", 0.7), ("fax", 0.4), ("photo", 0.9)],
)
def test_scans_are_decided_without_a_clerk_and_never_silently_wrong(shape: str, least_auto: float) -> None:
    if shape == "handwritten" and not handwriting.available():
        pytest.skip("needs fonts-seto and fonts-yozvox-yozfont")
    scored = scan_corpus.measure([shape], scan_corpus.cases(CASES), workers=2)
    row = scan_corpus.summary(scored)["shapes"][shape]
    print(f"\n{shape}: {row}\n{_report(scored)}")
    assert row["wrong"] == 0, _report(scored)
    assert row["auto_rate"] >= least_auto, _report(scored)


def test_a_wrong_decision_is_scored_wrong_and_an_unsure_field_is_not() -> None:
    """The scoring itself: a differing field counts unless the decision marks it unsure."""
    truth = model.Decision(
        "t", model.Status.ROUTED, "jetro", (), {"capital_yen": 30_000_000, "employees": 45}
    )
    misread = model.Decision(
        "t", model.Status.ROUTED, "jetro", (), {"capital_yen": 80_000_000, "employees": 45}
    )
    assert scan_corpus.score("scanned", "t", truth, misread, 1.0).outcome == "wrong"
    marked = model.Decision(
        "t", model.Status.ROUTED, "jetro", (), dict(misread.fields), unsure=("capital_yen",)
    )
    assert scan_corpus.score("scanned", "t", truth, marked, 1.0).outcome == "auto"
    flagged = model.Decision("t", model.Status.NEEDS_REVIEW, "jetro", (), {})
    assert scan_corpus.score("scanned", "t", truth, flagged, 1.0).outcome == "flagged"
    rejected = model.Decision("t", model.Status.REJECTED, "jetro", (), dict(truth.fields))
    assert scan_corpus.score("scanned", "t", truth, rejected, 1.0).outcome == "wrong"
