"""Certainty of OCR readings from evidence (forms.certainty), the data it checks against (jp.postal,
jp.banks, jp.kana) and the rulebook's policy of which unsure fields stop an intake (decide.unsure)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from forms import model
from forms.certainty import assess
from forms.decide import Candidate, Context, decide
from forms.jp import banks, kana, postal
from forms.rules.loader import load_rulebooks, packaged_dir
from forms.spec import AGENCY_FIELDS, load_spec
from tests.support.youshiki1 import sample_values

E = model.Evidence
RULEBOOK = load_rulebooks(packaged_dir()).for_date(dt.date(2026, 6, 15))
SPEC = load_spec()


def ocr_reading(values: dict[str, Any], **overrides: model.RawValue) -> model.Extraction:
    """The values as an OCR reading whose every field two readings agreed on (boxes: clear ink)."""
    agency = values.get("agency")
    raw: dict[str, model.RawValue] = {}
    for name in SPEC.acroform_names:
        if name in AGENCY_FIELDS:
            raw[name] = model.RawValue(name == f"agency_{agency}", 0.99, (E.INK_CLEAR,))
        elif isinstance(values.get(name), bool):
            raw[name] = model.RawValue(values[name], 0.99, (E.INK_CLEAR,))
        elif values.get(name):
            raw[name] = model.RawValue(str(values[name]), 0.95, (E.TWO_READINGS,))
        else:
            raw[name] = model.RawValue("", 0.99, (E.BLANK,))
    raw.update(overrides)
    return model.Extraction(model.Shape.SCANNED, raw, 2)


def certainty(extraction: model.Extraction, sender: str | None = None) -> dict[str, model.FieldCertainty]:
    assessed = assess(extraction, SPEC, RULEBOOK, sender=sender)
    assert assessed is not None
    return dict(assessed.fields)


def test_postal_code_and_address_agree_from_japan_posts_data() -> None:
    assert postal.areas("〒174-0063") == ("東京都板橋区前野町",)
    assert postal.address_agrees("174-0063", "東京都板橋区前野町1-2-3") is True
    assert postal.address_agrees("192-0364", "八王子市南大沢一丁目", RULEBOOK.prefectures.values) is True
    assert postal.address_agrees("144-0052", "東京都大田区大森北1丁目") is False
    assert postal.address_agrees("999-9999", "東京都大田区蒲田") is None  # unknown: no evidence


def test_a_postal_code_read_two_ways_is_settled_by_the_address() -> None:
    values = sample_values("jetro-fillable")  # 〒144-0052 東京都大田区蒲田…
    code = model.RawValue("〒144-0062", 0.97, (E.GRAMMAR, E.READINGS_DIFFER), ("〒144-0052",))
    got = certainty(ocr_reading(values, hq_postal_code=code))
    assert got["hq_postal_code"].certain and E.POSTAL_ADDRESS in got["hq_postal_code"].evidence
    assessed = assess(ocr_reading(values, hq_postal_code=code), SPEC, RULEBOOK)
    assert assessed is not None and assessed.extraction.values["hq_postal_code"].value == "〒144-0052"


def test_a_postal_code_the_address_contradicts_is_unsure() -> None:
    values = sample_values("jetro-fillable", hq_postal_code="〒143-0016")  # 大森北, not 蒲田
    got = certainty(ocr_reading(values))
    assert not got["hq_postal_code"].certain and E.POSTAL_MISMATCH in got["hq_postal_code"].evidence


def test_readings_that_differ_without_other_evidence_are_unsure_and_scores_do_not_count() -> None:
    values = sample_values("jetro-fillable")
    capital = model.RawValue("3,000万円", 0.999, (E.GRAMMAR, E.READINGS_DIFFER), ("8,000万円",))
    got = certainty(ocr_reading(values, capital_yen=capital))
    assert not got["capital_yen"].certain


def test_a_check_digit_settles_a_corporate_number_read_two_ways() -> None:
    values = sample_values("jetro-fillable")
    number = model.RawValue(
        "4010001234567", 0.9, (E.GRAMMAR, E.CHECK_DIGIT, E.READINGS_DIFFER), ("4010001284567",)
    )
    assert certainty(ocr_reading(values, corporate_number=number))["corporate_number"].certain
    bad = model.RawValue("5010001234567", 0.99, (E.CHECK_DIGIT_FAILED, E.TWO_READINGS))
    assert not certainty(ocr_reading(values, corporate_number=bad))["corporate_number"].certain
    as_written = model.RawValue(
        "5010001234567", 0.99, (E.CHECK_DIGIT_FAILED, E.TWO_READINGS, E.THREE_READINGS)
    )
    assert certainty(ocr_reading(values, corporate_number=as_written))["corporate_number"].certain


def test_company_name_and_its_furigana_confirm_each_other() -> None:
    assert kana.name_reads_as("株式会社サンプル精機", "カブシキガイシャサンプルセイキ") is True
    assert kana.name_reads_as("株式会社サンプル精機", "カブシキガイシャサンプルセイコ") is None  # no doubt
    values = sample_values("jetro-fillable")
    name = model.RawValue("株式会社サンプル精機", 0.9, (E.READINGS_DIFFER,), ("株式会社サンプル精桟",))
    got = certainty(ocr_reading(values, company_name=name))
    assert got["company_name"].certain and E.KANA_READING in got["company_name"].evidence


def test_a_name_reads_as_its_furigana_only_with_its_long_vowels_and_nothing_read_in() -> None:
    """A standard fax loses ー (a horizontal stroke) and reads marks in: 例示フズ and 例示フ…ズ are no
    reading of レイジフーズ, whatever the e-mail domain (reiji-foods) says."""
    assert kana.name_reads_as("株式会社例示フーズ", "レイジ・フーズ") is True
    assert kana.name_reads_as("株式会社例示フズ", "レイジフーズ") is None
    assert kana.name_reads_as_unvoiced("株式会社例示フ…ズ", "レイジフーズ") is None
    assert kana.name_reads_as("株式会社例示フーズ", "レイジフ2ズ") is None
    values = sample_values("kosha-scanned")
    readings = ("株式会社例示フ…ズ", "株式会社例示フズ", "株式会社例示フーズ")
    name = model.RawValue(readings[0], 0.5, (E.READINGS_DIFFER, E.LOW_RESOLUTION), readings[1:])
    assessed = assess(ocr_reading(values, company_name=name), SPEC, RULEBOOK)
    assert assessed is not None and assessed.fields["company_name"].certain
    assert assessed.extraction.values["company_name"].value == "株式会社例示フーズ"


def test_a_persons_name_is_confirmed_by_their_e_mail_address() -> None:
    assert kana.name_in_email("見本　花子", "hanako.mihon@sample-seiki.example.co.jp") is True
    assert kana.name_in_email("例示　一郎", "kaigai@mihon-bank.example.jp") is None
    assert kana.name_in_email("見本　花子", "mihon_hanako2@x.example.jp") is True
    assert kana.name_in_email("見本　花子", "hanakomihon@x.example.jp") is True
    values = sample_values("jetro-fillable")
    loose = model.RawValue("見本　花子", 0.9, (E.READINGS_DIFFER,), ("見本　花字",))
    assert certainty(ocr_reading(values, contact_name=loose))["contact_name"].certain


def test_a_name_with_a_kanji_lost_is_not_confirmed_by_the_e_mail() -> None:
    """本　花子 (見 lost) is no reading of hanako.mihon: "hon" is inside "mihon", not one of its words."""
    assert kana.name_in_email("本　花子", "hanako.mihon@sample-seiki.example.co.jp") is None
    values = sample_values("jetro-fillable")
    misread = model.RawValue("兒本　花子", 0.9, (E.READINGS_DIFFER,), ("本　花子", "見本花子"))
    got = certainty(ocr_reading(values, contact_name=misread))["contact_name"]
    assert not got.certain and E.NAME_IN_EMAIL not in got.evidence


def test_an_e_mail_one_misread_from_its_spelling_from_the_form_is_unsure_whatever_two_readings_say() -> None:
    values = sample_values("jetro-fillable")  # みほん銀行, kaigai@mihon-bank.example.jp
    lost = model.RawValue("kaigai@miho-bank.example.jp", 0.95, (E.GRAMMAR, E.TWO_READINGS))  # n lost, twice
    got = certainty(ocr_reading(values, bank_email=lost))["bank_email"]
    assert not got.certain and E.ADDRESS_NEAR_FORM in got.evidence
    assert certainty(ocr_reading(values))["bank_email"].certain
    name_misread = ocr_reading(values, bank_name=model.RawValue("みほ人銀行", 0.9, (E.TWO_READINGS,)))
    assert not certainty(name_misread)["bank_email"].certain  # miho: the name's misread, or the address's?
    sent = certainty(name_misread, sender="kaigai@mihon-bank.example.jp")  # the address's own, exactly
    assert sent["bank_email"].certain


def test_the_banks_kind_from_its_name_and_the_zengin_list() -> None:
    assert banks.kind_of_name("サンプル信用金庫") == "shinkin" and banks.kind_of_name("みほん") is None
    mizuho = banks.find_bank("みずほ銀行")
    assert mizuho is not None and banks.kind_of_code(mizuho.code) == "bank"
    assert banks.has_branch(mizuho, "東京営業部") and banks.find_bank("みほん銀行") is None  # fictional
    values = sample_values("scb-shinkin-flattened")  # サンプル信用金庫, 信用金庫
    assert E.BANK_KIND in certainty(ocr_reading(values))["bank_type"].evidence
    wrong_kind = sample_values("scb-shinkin-flattened", bank_type="銀行")
    got = certainty(ocr_reading(wrong_kind))["bank_type"]
    assert not got.certain and E.BANK_KIND_MISMATCH in got.evidence
    real = sample_values("jetro-fillable", bank_name="みずほ銀行", bank_branch="東京営業部")
    found = certainty(ocr_reading(real))
    assert E.ZENGIN_BANK in found["bank_name"].evidence and E.ZENGIN_BRANCH in found["bank_branch"].evidence


def test_the_banks_e_mail_is_confirmed_by_the_sender() -> None:
    values = sample_values("jetro-fillable")
    email = model.RawValue(  # not spelled from the form: only the sender can vouch for it
        "yushi@mhbk.example.jp", 0.9, (E.GRAMMAR, E.READINGS_DIFFER), ("yushi@mhhk.example.jp",)
    )
    assert not certainty(ocr_reading(values, bank_email=email))["bank_email"].certain
    sent = certainty(ocr_reading(values, bank_email=email), sender="yushi@mhbk.example.jp")
    assert sent["bank_email"].certain


def test_readings_that_are_not_ocrs_are_not_assessed() -> None:
    typed = model.Extraction(model.Shape.PRINTED, {"company_name": model.RawValue("株式会社サンプル精機")}, 2)
    assert assess(typed, SPEC, RULEBOOK) is None


def _decided(extraction: model.Extraction) -> model.Decision:
    ctx = Context(rulebook=RULEBOOK, spec=SPEC)
    return decide("t", [Candidate(None, extraction)], ctx)


def test_an_unsure_field_no_rule_needs_is_forwarded_marked_and_one_a_rule_needs_stops_the_intake() -> None:
    values = sample_values("jetro-fillable")
    representative = model.RawValue(
        "代表取締役　見本　太郎", 0.8, (E.READINGS_DIFFER,), ("代表取締役　見木　太郎",)
    )
    forwarded = _decided(ocr_reading(values, representative=representative))
    assert forwarded.status is model.Status.ROUTED and "representative" in forwarded.unsure
    assert forwarded.to_json()["certainty"]["representative"]["certain"] is False
    address = model.RawValue(
        "東京都大田区蒲田9丁目8番7号", 0.99, (E.READINGS_DIFFER,), ("東京都大田区蒲田9丁目8番1号",)
    )
    stopped = _decided(ocr_reading(values, hq_address=address))
    assert stopped.status is model.Status.NEEDS_REVIEW
    assert [(str(r.code), r.field) for r in stopped.reasons] == [("LOW_CONFIDENCE", "hq_address")]


def test_an_unsure_forwardable_field_that_does_not_parse_stops_the_intake() -> None:
    values = sample_values("jetro-fillable")
    phone = model.RawValue("03-123A-5678", 0.97, (E.GRAMMAR_FAILED, E.READINGS_DIFFER), ("03-1234-5678",))
    decision = _decided(ocr_reading(values, contact_phone=phone))
    assert decision.status is model.Status.NEEDS_REVIEW


def test_an_address_only_a_routed_intake_needs_does_not_hold_up_a_rejection() -> None:
    values = {**sample_values("jetro-fillable"), "declaration_antisocial": False}
    email = model.RawValue(
        "office@kaigai-trading.example.jp",
        0.97,
        (E.READINGS_DIFFER,),
        ("office@kaigal-trading.example.jp",),
    )
    rejected = _decided(ocr_reading(values, contact_email=email))
    assert rejected.status is model.Status.REJECTED
    assert [(str(r.code), r.field) for r in rejected.reasons] == [
        ("DECLARATION_MISSING", "declaration_antisocial")
    ]
    assert "contact_email" in rejected.unsure and not rejected.certainty["contact_email"].certain
    routed = _decided(ocr_reading(sample_values("jetro-fillable"), contact_email=email))
    assert [(str(r.code), r.field) for r in routed.reasons] == [("LOW_CONFIDENCE", "contact_email")]
    bank = model.RawValue(
        "desk7@tokyo-ginko.example.jp", 0.97, (E.READINGS_DIFFER,), ("desk1@tokyo-ginko.example.jp",)
    )
    both = _decided(ocr_reading(values, contact_email=email, bank_email=bank))
    assert both.status is model.Status.NEEDS_REVIEW  # the reply's address is unsure: every stop is shown
    assert {r.field for r in both.reasons if str(r.code) == "LOW_CONFIDENCE"} == {
        "contact_email",
        "bank_email",
    }
    unparsed = model.RawValue("office kaigai-trading.example.jp", 0.97, (E.GRAMMAR_FAILED, E.READINGS_DIFFER))
    assert _decided(ocr_reading(values, contact_email=unparsed)).status is model.Status.NEEDS_REVIEW


def test_a_value_struck_bare_is_unsure_and_a_field_it_stops_on_goes_to_a_clerk() -> None:
    values = sample_values("jetro-fillable")
    struck = model.RawValue("", 0.3, (E.STRUCK,))
    decision = _decided(ocr_reading(values, representative=struck))
    assert decision.status is model.Status.NEEDS_REVIEW  # not rejected for a missing 代表者
    assert [(str(r.code), r.field) for r in decision.reasons] == [("LOW_CONFIDENCE", "representative")]
    assert decision.to_json()["certainty"]["representative"] == {"certain": False, "evidence": ["struck"]}
    optional = _decided(ocr_reading(values, target_countries=struck))
    assert optional.status is model.Status.ROUTED and "target_countries" in optional.unsure


def test_a_correction_read_beside_a_strike_is_certain_on_the_usual_evidence() -> None:
    values = sample_values("jetro-fillable")
    corrected = model.RawValue(
        str(values["capital_yen"]), 0.95, (E.GRAMMAR, E.TWO_READINGS, E.STRUCK_CORRECTED)
    )
    decision = _decided(ocr_reading(values, capital_yen=corrected))
    assert decision.status is model.Status.ROUTED and "capital_yen" not in decision.unsure
    assert decision.certainty["capital_yen"].certain


@pytest.mark.parametrize("key", sorted(RULEBOOK.certainty.stop if RULEBOOK.certainty else ()))
def test_every_field_the_policy_names_is_a_field_of_the_form(key: str) -> None:
    assert key in SPEC.fields
