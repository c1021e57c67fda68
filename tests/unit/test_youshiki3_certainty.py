"""What makes a returned 様式3 read from paper certain: the 照会番号 confirmed by the company it was
issued to or by the company's one open 様式3 (not the amount or date by the 様式1's plan), and which
unsure answers stop it (the rulebook's ``certainty.youshiki3_stop``)."""

from __future__ import annotations

import datetime as dt

import pytest

from forms import model
from forms.certainty import is_certain
from forms.extract.youshiki3 import (
    ReturnedYoushiki3,
    confirmed_reference,
    only_open_reference,
    unsure_stops,
)
from forms.rules.loader import load_rulebooks

E = model.Evidence
STOPS = load_rulebooks().for_date(dt.date(2026, 9, 15)).youshiki3_stops()
SURE = model.FieldCertainty(True, (E.GRAMMAR, E.TWO_READINGS))


def _answer(number: str = "R8-Y3-000007", **unsure: tuple[model.Evidence, ...]) -> ReturnedYoushiki3:
    """An answer read from paper, each field certain but those ``unsure`` (with their evidence)."""
    keys = ("company_name", "corporate_number", "agency", "loan_status", "disbursed_on", "amount_yen",
            "menu", "expansion_status", "comments", "reference")  # fmt: skip
    certainty = {k: model.FieldCertainty(False, unsure[k]) if k in unsure else SURE for k in keys}
    return ReturnedYoushiki3(
        company_name="株式会社サンプル精機", corporate_number="4010001234567", agency="jetro",
        loan_status="disbursed", disbursed_on=dt.date(2026, 9, 10), amount_yen=30_000_000, menu="",
        expansion_status=None, comments="", reference=number, certainty=certainty,
    )  # fmt: skip


def test_an_answer_read_certain_stops_on_nothing_and_an_unsure_comment_stops_nothing() -> None:
    assert unsure_stops(_answer(), STOPS) == ()
    assert unsure_stops(_answer(comments=(E.READINGS_DIFFER,)), STOPS) == ()
    held = unsure_stops(_answer(amount_yen=(E.READINGS_DIFFER,)), STOPS)
    assert [(p.code, p.field) for p in held] == [(model.Code.LOW_CONFIDENCE, "amount_yen")]


def test_an_unsure_reference_is_confirmed_by_the_company_it_was_issued_to() -> None:
    unsure = _answer(reference=(E.READINGS_DIFFER,))
    assert unsure_stops(unsure, STOPS)
    same = confirmed_reference(unsure, "4010001234567", "株式会社サンプル精機")
    assert same.certainty["reference"].certain and E.ISSUED_MATCH in same.certainty["reference"].evidence
    assert unsure_stops(same, STOPS) == ()
    other = confirmed_reference(unsure, "9010401234567", "合同会社みほん商事")
    assert not other.certainty["reference"].certain


def test_a_reference_not_read_is_the_companys_one_open_youshiki3_when_company_and_agency_are_sure() -> None:
    unread = _answer("", reference=(E.GRAMMAR_FAILED,))
    got = only_open_reference(unread, "R8-Y3-000007")
    assert (got.reference, got.certainty["reference"]) == (
        "R8-Y3-000007",
        model.FieldCertainty(True, (E.ONLY_OPEN,)),
    )
    agency_unsure = _answer("", reference=(E.GRAMMAR_FAILED,), agency=(E.UNREAD,))
    assert only_open_reference(agency_unsure, "R8-Y3-000007") == agency_unsure
    number_unsure = _answer("", reference=(E.GRAMMAR_FAILED,), corporate_number=(E.CHECK_DIGIT_FAILED,))
    assert only_open_reference(number_unsure, "R8-Y3-000007") == number_unsure


@pytest.mark.parametrize("key", ["amount_yen", "disbursed_on"])
def test_an_amount_or_date_as_the_youshiki1_planned_it_is_no_evidence_alone(key: str) -> None:
    """Where two readings are no evidence (a standard fax), a date or amount read as the plan printed on
    the same 様式3 stays unsure: a date a few days off the plan is the likeliest misread to land on it."""
    assert not is_certain(key, [E.GRAMMAR, E.AS_APPLIED])
    assert is_certain(key, [E.GRAMMAR, E.TWO_READINGS])


def test_every_answer_the_rulebook_stops_on_is_one_of_the_answer() -> None:
    assert {"loan_status", "disbursed_on", "amount_yen", "agency", "reference"} <= STOPS
    assert "comments" not in STOPS and "menu" not in STOPS
