"""The samples are the contract: each gives the decision its .expected.json states — the shared ones
(../shared/samples) and the project's own of the other carriers (tests/samples: Word, Excel, fax, photo)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forms.pipeline import Pipeline
from tests.support.paths import OWN_SAMPLES, SAMPLES

SUFFIXES = (".pdf", ".eml", ".docx", ".xlsx", ".doc", ".xls", ".tif", ".jpg", ".png")
CASES = sorted(
    (inp, exp)
    for folder in (SAMPLES, OWN_SAMPLES)
    for exp in folder.glob("*.expected.json")
    for inp in (exp.with_name(exp.name.replace(".expected.json", ext)) for ext in SUFFIXES)
    if inp.exists()
)
#: Samples read by OCR, by a word of their name; 97–2003 Office files, converted by LibreOffice.
OCR_WORDS, LEGACY = ("scanned", "fax", "photo"), (".doc", ".xls")


def _marks(inp: Path) -> list[pytest.MarkDecorator]:
    slow = any(word in inp.name for word in OCR_WORDS) or inp.suffix in LEGACY
    return [pytest.mark.slow] if slow else []


@pytest.mark.skipif(not CASES, reason="../shared/samples is not beside the repo")
@pytest.mark.parametrize(
    ("inp", "exp"), [pytest.param(i, e, id=f"{i.parent.name}/{i.name}", marks=_marks(i)) for i, e in CASES]
)
def test_sample_gives_expected_decision(pipeline: Pipeline, inp: Path, exp: Path) -> None:
    expected = json.loads(exp.read_text(encoding="utf-8"))
    got = pipeline.decide_path(inp).to_json()
    assert got["status"] == expected["status"], got["reasons"]
    assert got["agency"] == expected["agency"]
    assert sorted((r["code"], r["field"]) for r in got["reasons"]) == sorted(
        (r["code"], r["field"]) for r in expected["reasons"]
    )
    assert all(r["message"] for r in got["reasons"]), "every reason carries a Japanese message"
    assert got["fields"] == expected["fields"]
    if inp.suffix == ".eml":
        assert got["source"] == expected["source"]
        assert got["attachment"] == expected["attachment"]
