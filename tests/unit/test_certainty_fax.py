"""A standard-resolution fax decided from what the form says of itself: the company's e-mail domain
keeps the voicing marks its kana name loses, an e-mail address spelled from the names on the form is
certain, and 業種（具体的に）is forwarded marked 要確認 when the industry rule 5 judges by is certain."""

from __future__ import annotations

import dataclasses
from typing import Any

from forms import model
from forms.certainty import assess
from forms.decide import Candidate, Context, decide
from forms.rules.loader import load_rulebooks, packaged_dir
from forms.spec import load_spec
from tests.support.fax_reading import faxed
from tests.support.youshiki1 import sample_values

E = model.Evidence
SPEC = load_spec()
RULEBOOK = load_rulebooks(packaged_dir()).newest


def assessed(extraction: model.Extraction) -> tuple[dict[str, Any], dict[str, model.FieldCertainty]]:
    got = assess(extraction, SPEC, RULEBOOK)
    assert got is not None
    return {k: v.value for k, v in got.extraction.values.items()}, dict(got.fields)


def test_the_domain_gives_the_kana_name_its_voicing_marks() -> None:
    jetro = sample_values("jetro-fillable")  # 株式会社サンプル精機, hanako.mihon@sample-seiki.example.co.jp
    marks_lost = {
        "company_name": "株式会社サンブル精機",
        "company_name_kana": "カブシキガイシャサンブルセイキ",
    }
    lost = faxed(jetro, **marks_lost)
    values, fields = assessed(lost)
    assert values["company_name"] == "株式会社サンプル精機" and fields["company_name"].certain
    assert E.NAME_IN_DOMAIN in fields["company_name"].evidence
    assert not fields["company_name_kana"].certain  # its marks are as read: nothing vouches for them
    no_domain = faxed(jetro, company_name="株式会社サンブル精機", contact_email="hanako@mail.example.jp")
    assert not assessed(no_domain)[1]["company_name"].certain
    kanji = faxed(sample_values("scb-shinkin-flattened"))  # 見本商事: the フリガナ checks it on its own
    assert assessed(kanji)[1]["company_name"].certain


def test_a_company_name_read_with_a_fax_s_usual_misread_of_its_kanji_is_taken_as_its_furigana_reads() -> None:
    scb = sample_values("scb-shinkin-flattened")  # 見本商事株式会社, ミホンショウジ
    values, fields = assessed(faxed(scb, company_name="兄本商事株式会社"))  # 見 read 兄
    assert values["company_name"] == "見本商事株式会社" and fields["company_name"].certain
    assert fields["contact_email"].certain  # mihon-shoji: spelled from the name as written
    assert assessed(faxed(scb, company_name="兄本商事株式会社", company_name_kana="アニホンショウジ"))[1][
        "company_name"
    ].certain  # 兄本 (アニホン) as written: its own フリガナ says so
    kana_lost = faxed(scb, company_name="兄本商事株式会社", company_name_kana="ミホンショウシ")
    assert not assessed(kana_lost)[1]["company_name"].certain
    dash_lost = faxed(scb, contact_email="saburo.shiken@mihonshoji.example.co.jp")  # mihon-shoji
    assert not assessed(dash_lost)[1]["contact_email"].certain


def test_the_legal_form_s_kana_is_left_out_with_its_voicing_marks_as_read() -> None:
    jetro = sample_values("jetro-fillable")  # 株式会社サンプル精機, カブシキガイシャサンプルセイキ
    marks = {"company_name": "株式会社サンブル精機", "company_name_kana": "カプシキガイシャサンブルセイキ"}
    values, fields = assessed(faxed(jetro, **marks))
    assert values["company_name"] == "株式会社サンプル精機" and fields["company_name"].certain


def test_an_email_spelled_from_the_form_is_certain_on_a_standard_fax() -> None:
    jetro = sample_values("jetro-fillable")  # kaigai@mihon-bank.example.jp from みほん銀行
    fields = assessed(faxed(jetro))[1]
    assert fields["contact_email"].certain and fields["bank_email"].certain
    assert E.ADDRESS_FROM_FORM in fields["bank_email"].evidence
    misread = {
        "contact_email": "hanako.mihon@sample-seiki.exainple.co.jp",  # m read in
        "bank_email": "kaiga@mihon-bank.example.jp",  # i lost
    }
    fields = assessed(faxed(jetro, **misread))[1]
    assert not fields["contact_email"].certain and not fields["bank_email"].certain


def test_the_banks_address_is_spelled_from_the_officer_s_given_name_in_a_reading_it_tells_apart() -> None:
    kosha = sample_values("kosha-scanned")  # 例示信用組合, its officer 見本　七海: nanami@reiji-shinkumi…
    mari = faxed(kosha, bank_officer="見本　真理", bank_email="mari@reiji-shinkumi.example.jp")
    fields = assessed(mari)[1]
    assert fields["bank_email"].certain and E.ADDRESS_FROM_FORM in fields["bank_email"].evidence
    assert not assessed(faxed(kosha))[1]["bank_email"].certain  # nanami: or nanaumi with its u lost


def test_a_persons_name_read_with_a_fax_s_usual_misread_of_its_kanji_still_spells_the_address() -> None:
    jetro = sample_values("jetro-fillable")  # 見本　花子, hanako.mihon@sample-seiki.example.co.jp
    lost_strokes = faxed(jetro, contact_name="兄本　花子")  # 見 read 兄 (bench/fax_evidence.py)
    values, fields = assessed(lost_strokes)
    assert fields["contact_email"].certain and E.ADDRESS_FROM_FORM in fields["contact_email"].evidence
    assert values["contact_name"] == "兄本　花子" and not fields["contact_name"].certain  # as read
    assert not assessed(faxed(jetro, contact_name="品本　花子"))[1]["contact_email"].certain  # no usual one


def test_a_name_nearly_in_the_address_is_no_doubt_when_another_reading_of_it_spells_the_address() -> None:
    jetro = sample_values("jetro-fillable")
    faxed_jetro = faxed(jetro)
    name = model.RawValue("兒本　花子", 0.7, (E.READINGS_DIFFER, E.LOW_RESOLUTION), ("見本花子",))
    two_readings = dataclasses.replace(faxed_jetro, values={**faxed_jetro.values, "contact_name": name})
    fields = assessed(two_readings)[1]  # jihon: one letter from mihon, but 見本花子 spells it
    assert fields["contact_email"].certain and E.NAME_NEAR_EMAIL not in fields["contact_email"].evidence
    misread = faxed(jetro, contact_email="hanako.mion@sample-seiki.example.co.jp")  # the address misread
    assert E.NAME_NEAR_EMAIL in assessed(misread)[1]["contact_email"].evidence


def test_a_bank_s_name_read_with_a_fax_s_usual_misreads_still_spells_its_domain_when_told_apart() -> None:
    scb = sample_values("scb-shinkin-flattened")  # サンプル信用金庫, shiro.mihon@sample-shinkin.example.jp
    for misread in ("サンブル信用金庫", "サンプル倍用金庫"):  # ゜ lost; 信 read 倍
        fields = assessed(faxed(scb, bank_name=misread))[1]
        assert fields["bank_email"].certain and E.ADDRESS_FROM_FORM in fields["bank_email"].evidence
    jetro = sample_values("jetro-fillable")  # みほん銀行, kaigai@mihon-bank.example.jp
    marked = faxed(jetro, bank_name="みぼん銀行")  # as written, mibon-bank read with b read h: no telling
    assert not assessed(marked)[1]["bank_email"].certain


def test_a_fax_s_usual_misreads_of_an_address_are_undone_when_the_form_spells_it() -> None:
    jetro = sample_values("jetro-fillable")
    usual = {
        "contact_email": "hanako,mihon@sample-sciki.cxample.co.jp",  # a comma for the dot, e read c twice
        "bank_email": "kaigai@mihon-bank.example.jp.",  # a dot added
    }
    values, fields = assessed(faxed(jetro, **usual))
    assert values["contact_email"] == "hanako.mihon@sample-seiki.example.co.jp"
    assert fields["contact_email"].certain
    assert values["bank_email"] == "kaigai@mihon-bank.example.jp" and fields["bank_email"].certain
    other_name = {"contact_email": "hanako.mihon@sample-sciki.cxample.co.jp", "company_name": "見本株式会社"}
    unspelled = faxed(jetro, **other_name)
    assert not assessed(unspelled)[1]["contact_email"].certain  # no name on the form says sample-seiki


def test_the_industry_detail_is_forwarded_when_its_industry_is_certain() -> None:
    ctx = Context(rulebook=RULEBOOK, spec=SPEC)
    jetro = sample_values("jetro-fillable")  # 精密金属部品製造業（切削加工）
    misread = faxed(jetro, industry_detail="精密金属部晶製造業（切削加工）")  # 品 read 晶
    got = decide("fax", [Candidate(None, misread)], ctx)
    assert got.status is model.Status.ROUTED and "industry_detail" in got.unsure
    assert E.KNOWN_INDUSTRY in got.certainty["industry_detail"].evidence
    no_head = decide("fax", [Candidate(None, faxed(jetro, industry_detail="精密金属部品製造柴"))], ctx)
    assert no_head.status is model.Status.NEEDS_REVIEW
    assert ("LOW_CONFIDENCE", "industry_detail") in {(str(r.code), r.field) for r in no_head.reasons}


def test_a_domain_that_spells_only_the_kana_word_gives_the_name_its_marks_and_no_more() -> None:
    coop = {
        **sample_values("jetro-fillable"),
        "company_name": "サンプル金属工業協同組合",
        "company_name_kana": "サンプルキンゾクコウギョウキョウドウクミアイ",
        "contact_email": "hanako.mihon@sample-kinzoku.example.or.jp",  # 工業 left out of the domain
    }
    marks_lost = {
        "company_name": "サンブル金属工業協同組合",
        "company_name_kana": "サンブルキンゾクコウギョウキョウドウクミアイ",
    }
    values, fields = assessed(faxed(coop, **marks_lost))
    assert values["company_name"] == "サンプル金属工業協同組合" and fields["company_name"].certain
    assert E.MARKS_IN_DOMAIN in fields["company_name"].evidence
    assert fields["contact_email"].certain and E.ADDRESS_FROM_FORM in fields["contact_email"].evidence
    sangyo = "サンブルキンゾクサンギョウキョウドウクミアイ"  # 産業, not 工業
    other_kanji = faxed(coop, **{**marks_lost, "company_name_kana": sangyo})
    assert not assessed(other_kanji)[1]["company_name"].certain  # the rest is the フリガナ's to vouch for
    no_word = faxed(coop, **marks_lost, contact_email="hanako.mihon@kinzoku.example.or.jp")
    assert not assessed(no_word)[1]["company_name"].certain  # nothing spells サンプル's ゜
    misread = faxed(coop, contact_email="hanako.mihon@sample-kinzoko.example.or.jp")  # u read o
    assert not assessed(misread)[1]["contact_email"].certain
