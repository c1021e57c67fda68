"""Evidence from earlier intakes (forms.correspondents): what a decided intake makes known, and a later
standard fax's reading vouched for when it is exactly a known value — the bank's address, the company's
name and contact address under its 法人番号 — and not when it is one letter off, or the number is unsure."""

from __future__ import annotations

from typing import Any

from forms import model
from forms.certainty import assess
from forms.correspondents import BANK_EMAIL, COMPANY_NAME, CONTACT_EMAIL, MemoryCorrespondents, known_from
from forms.rules.loader import load_rulebooks, packaged_dir
from forms.spec import load_spec
from tests.support.fax_reading import faxed
from tests.support.youshiki1 import sample_values

E = model.Evidence
SPEC = load_spec()
RULEBOOK = load_rulebooks(packaged_dir()).newest
#: 例示フーズ, whose contact writes from a mail provider: nothing on the form vouches for the name or the
#: address on a standard fax; nanami@reiji-shinkumi: 七海 is no romaji the form's names give
KOSHA = {**sample_values("kosha-scanned"), "contact_email": "office7@mail.example.jp"}


def routed(values: dict[str, Any], **decision: Any) -> dict[str, Any]:
    return {"status": "routed", "fields": dict(values), **decision}


def certainty(extraction: model.Extraction, known: MemoryCorrespondents | None) -> dict[str, Any]:
    got = assess(extraction, SPEC, RULEBOOK, known=known)
    assert got is not None
    return dict(got.fields)


def test_a_decided_intake_makes_its_certain_values_known() -> None:
    number = KOSHA["corporate_number"]
    known = {(v.kind, v.company, v.value) for v in known_from(routed(KOSHA))}
    assert known == {
        (BANK_EMAIL, "", "nanami@reiji-shinkumi.example.jp"),
        (COMPANY_NAME, number, "株式会社例示フーズ"),
        (CONTACT_EMAIL, number, "office7@mail.example.jp"),
    }
    unsure = routed(KOSHA, unsure=["bank_email"], certainty={"company_name": {"certain": False}})
    assert {v.kind for v in known_from(unsure)} == {CONTACT_EMAIL}
    assert known_from({**routed(KOSHA), "status": "needs_review"}) == []
    wrong_number = {**KOSHA, "corporate_number": "1234567890123"}
    assert [v.kind for v in known_from({**routed(wrong_number), "status": "rejected"})] == [BANK_EMAIL]


def test_a_standard_fax_reading_exactly_a_known_value_is_certain() -> None:
    fax = faxed(KOSHA)
    cold = certainty(fax, None)
    assert not any(cold[k].certain for k in ("bank_email", "company_name", "contact_email"))
    known = MemoryCorrespondents.from_decisions([routed(KOSHA)])
    warm = certainty(fax, known)
    for key, evidence in (("bank_email", E.KNOWN_ADDRESS), ("company_name", E.KNOWN_COMPANY)):
        assert warm[key].certain and evidence in warm[key].evidence, key
    assert warm["contact_email"].certain and E.KNOWN_COMPANY in warm["contact_email"].evidence


def test_a_reading_one_letter_off_a_known_value_is_not_vouched_for() -> None:
    known = MemoryCorrespondents.from_decisions([routed(KOSHA)])
    misread = {"bank_email": "nanami@reiji-shinkumi.exanple.jp", "company_name": "株式会社例示ラーズ"}
    off = certainty(faxed(KOSHA, **misread), known)
    assert not off["bank_email"].certain and E.KNOWN_ADDRESS not in off["bank_email"].evidence
    assert not off["company_name"].certain and E.KNOWN_COMPANY not in off["company_name"].evidence


def test_a_company_is_looked_up_only_by_a_certain_corporate_number() -> None:
    known = MemoryCorrespondents.from_decisions([routed(KOSHA)])
    fax = faxed(KOSHA)
    doubted = model.RawValue(KOSHA["corporate_number"], 0.95, (E.GRAMMAR, E.READINGS_DIFFER))
    unsure_number = model.Extraction(fax.shape, {**fax.values, "corporate_number": doubted}, fax.pages)
    fields = certainty(unsure_number, known)
    assert not fields["company_name"].certain and E.KNOWN_COMPANY not in fields["company_name"].evidence
    assert fields["bank_email"].certain  # a bank's address is known whatever company it writes for
