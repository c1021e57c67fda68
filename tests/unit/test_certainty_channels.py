"""Certainty where a carrier takes evidence away: an e-mail that spells the person's name but for a
letter is a misread (any shape), and a standard-resolution fax's two readings are not independent but
for values of digits."""

from __future__ import annotations

import pytest

from forms import model
from forms.certainty import assess
from forms.extract.fax import at_standard_resolution
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


def test_a_standard_faxs_two_readings_are_evidence_only_for_digits() -> None:
    two = (E.GRAMMAR, E.TWO_READINGS)
    read = reading(
        company_name=("株式会社サンブル精機", (E.TWO_READINGS,)),
        corporate_number=("4010001234567", (E.GRAMMAR, E.CHECK_DIGIT, E.TWO_READINGS)),
        capital_yen=("3,000万円", two),
        contact_email=("hanako.mihon@sample-sciki.example.co.jp", two),
    )
    as_scanned = certain(read)  # two readings count; the e-mail's sciki is one misread from 精機's seiki
    assert as_scanned.pop("contact_email") is False and set(as_scanned.values()) == {True}
    standard = at_standard_resolution(read)
    assert isinstance(standard, model.Extraction)
    assert certain(standard) == {
        "company_name": False,
        "corporate_number": True,
        "capital_yen": True,
        "contact_email": False,
    }
    assert E.LOW_RESOLUTION in standard.values["contact_email"].evidence


@pytest.mark.parametrize(
    ("name", "kana", "is_certain"),
    [
        ("見本商事株式会社", "ミホンショウジ", True),  # kanji: the フリガナ is an independent check
        ("株式会社サンブル精機", "カブシキガイシャサンブルセイキ", False),  # both lost the ゜ of プ alike
        ("株式会社例示フーズ", "レイジフーズ", False),  # フ may have lost or gained a mark in both
    ],
)
def test_on_a_standard_fax_the_furigana_checks_only_kanji(name: str, kana: str, is_certain: bool) -> None:
    read = reading(company_name=(name, (E.TWO_READINGS,)), company_name_kana=(kana, (E.TWO_READINGS,)))
    assert certain(read)["company_name"] is True  # at a resolution that keeps the marks
    standard = at_standard_resolution(read)
    assert isinstance(standard, model.Extraction)
    assert certain(standard) == {"company_name": is_certain, "company_name_kana": is_certain}


@pytest.mark.parametrize(
    ("address", "others", "is_certain"),
    [
        ("東京都大田区蒲田9丁目8番7号", (), True),  # the code's area, then a block number
        ("東京都大田区蒲田9丁目8番7号", ("東京都大田区蒲田9丁目8番1号",), False),  # the readings differ on it
        ("東京都大田区蒲田9丁目8番7号", ("東京都大田区浦田9丁目8番7号",), True),  # on the area only
        ("東京都大田区蒲田9丁目8番7号", ("東京都大田区蒲田9丁目8後7号",), True),  # 番 lost: no block number
        ("東京都大田区蒲田9丁8番7号", (), False),  # 目 lost: no block number
        ("東京都大田区蒲田9丁目8番7号　見本ビル", (), False),  # a building the code does not vouch for
        ("東京都人田区蒲田9丁目8番7号", (), True),  # 大 read 人: a fax's misread, the code's area
        ("東京都北区蒲田9丁目8番7号", (), False),  # 北 is no misread of 大田: not the code's area
        ("東京都人田区蒲田9丁目8番1号", ("東京都人田区蒲田9丁目8番7号",), False),  # and numbers differ
    ],
)
def test_on_a_standard_fax_the_postal_code_vouches_for_the_address(
    address: str, others: tuple[str, ...], is_certain: bool
) -> None:
    read = reading(hq_postal_code=("〒144-0052", (E.GRAMMAR, E.TWO_READINGS)))
    agreed = (E.READINGS_DIFFER,) if others else (E.TWO_READINGS,)
    address_read = model.RawValue(address, 0.97, agreed, others)
    read = model.Extraction(model.Shape.FAX, {**read.values, "hq_address": address_read}, 2)
    standard = at_standard_resolution(read)
    assert isinstance(standard, model.Extraction)
    assert certain(standard)["hq_address"] is is_certain
