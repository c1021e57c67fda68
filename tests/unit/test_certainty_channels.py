"""Certainty where a carrier takes evidence away: an e-mail that spells the person's name but for a
letter is a misread (any shape), and a standard-resolution fax's two readings are not independent."""

from __future__ import annotations

import pytest

from forms import model
from forms.certainty import assess
from forms.extract.fax import without_two_readings
from forms.jp.kana import name_nearly_in_email
from forms.rules.loader import load_rulebooks, packaged_dir
from forms.spec import load_spec

E = model.Evidence


@pytest.mark.parametrize(
    ("name", "email", "near"),
    [
        ("見本　四郎", "shiro.mion@sample-shinkin.example.jp", True),
        ("見本　四郎", "shiro.mihon@x.example.jp", False),
        ("見本　花子", "hanaka.mihon@x.example.jp", True),
        ("見本　花子", "kaigai@mihon-bank.example.jp", False),
        ("例示　一郎", "ichiro.rei@x.example.jp", False),
    ],
)
def test_an_email_one_letter_off_the_persons_name(name: str, email: str, near: bool) -> None:
    assert name_nearly_in_email(name, email) is near


def reading(**values: tuple[str | bool, tuple[model.Evidence, ...]]) -> model.Extraction:
    raw = {k: model.RawValue(v, 0.97, ev) for k, (v, ev) in values.items()}
    return model.Extraction(model.Shape.FAX, raw, 2)


def certain(extraction: model.Extraction) -> dict[str, bool]:
    book = load_rulebooks(packaged_dir()).newest
    assessed = assess(extraction, load_spec(), book)
    assert assessed is not None
    return {k: c.certain for k, c in assessed.fields.items()}


def test_a_bank_email_one_letter_off_its_officer_is_not_certain() -> None:
    two = (E.GRAMMAR, E.TWO_READINGS)
    misread = reading(
        bank_officer=("見本　四郎", (E.TWO_READINGS,)), bank_email=("shiro.mion@sample.example.jp", two)
    )
    assert certain(misread)["bank_email"] is False
    right = reading(
        bank_officer=("見本　四郎", (E.TWO_READINGS,)), bank_email=("shiro.mihon@sample.example.jp", two)
    )
    assert certain(right)["bank_email"] is True


def test_a_standard_faxs_two_readings_are_not_evidence_but_a_check_digit_is() -> None:
    read = reading(
        company_name=("株式会社サンブル精機", (E.TWO_READINGS,)),
        corporate_number=("4010001234567", (E.GRAMMAR, E.CHECK_DIGIT, E.TWO_READINGS)),
    )
    assert certain(read) == {"company_name": True, "corporate_number": True}
    standard = without_two_readings(read)
    assert isinstance(standard, model.Extraction)
    assert certain(standard) == {"company_name": False, "corporate_number": True}
