"""Normalisation: a table per parser, property tests, and the golden samples' fields."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.errors import Code
from forms.model import Extraction, RawValue, Shape
from forms.normalize import (
    nfkc_text,
    normalize,
    normalize_company_name,
    parse_checkbox,
    parse_choice,
    parse_corporate_number_digits,
    parse_count,
    parse_date,
    parse_email,
    parse_phone,
    parse_postal_code,
    parse_yen,
)
from forms.spec import AGENCIES, load_spec

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
SPEC = load_spec()
D = dt.date


def fullwidth(s: str) -> str:
    """ASCII → full-width forms (what a Japanese IME types): 2026/5/12 → ２０２６／５／１２."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ── parsers: tables ───────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("代表取締役　見本　太郎", "代表取締役 見本 太郎"),
        ("精密金属部品製造業（切削加工）", "精密金属部品製造業(切削加工)"),
        ("  ＡＢＣ１２３\n\t商事 ", "ABC123 商事"),
        ("{{ 7*7 }}", "{{ 7*7 }}"),
        ("＝SUM(A1)", "=SUM(A1)"),
        ("<b>x</b>", "<b>x</b>"),
        ("", ""),
    ],
)
def test_nfkc_text(text: str, expected: str) -> None:
    assert nfkc_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和8年5月12日", D(2026, 5, 12)),
        ("令和元年5月1日", D(2019, 5, 1)),
        ("令和1年5月1日", D(2019, 5, 1)),
        ("R8.5.12", D(2026, 5, 12)),
        ("r8.5.12", D(2026, 5, 12)),
        ("R8/5/12", D(2026, 5, 12)),
        ("R8-5-12", D(2026, 5, 12)),
        ("Ｒ８．５．１２", D(2026, 5, 12)),
        ("令和８年５月１２日", D(2026, 5, 12)),
        (" 令和 8 年 5 月 12 日 ", D(2026, 5, 12)),
        ("2026/5/12", D(2026, 5, 12)),
        ("2026/05/12", D(2026, 5, 12)),
        ("2026-05-12", D(2026, 5, 12)),
        ("2026－05－12", D(2026, 5, 12)),
        ("2026年5月20日", D(2026, 5, 20)),
        ("西暦2026年5月20日", D(2026, 5, 20)),
        ("2026.5.12", D(2026, 5, 12)),
        ("20260512", D(2026, 5, 12)),
        ("2026年5月12日(火)", D(2026, 5, 12)),
        ("2026年5月12日（火曜日）", D(2026, 5, 12)),
        ("平成31年4月30日", D(2019, 4, 30)),
        ("H31.4.30", D(2019, 4, 30)),
        ("平成元年1月8日", D(1989, 1, 8)),
        # impossible or inconsistent
        ("令和8年13月1日", None),
        ("2026/2/30", None),
        ("令和1年4月30日", None),  # 令和 starts 2019-05-01
        ("令和0年5月1日", None),
        ("平成31年5月1日", None),  # 平成 ended 2019-04-30
        ("平成元年1月7日", None),
        ("2026年5月12日(水)", None),  # the weekday contradicts the date
        ("R8.5/12", None),
        ("2026年5月", None),
        ("26/5/12", None),
        ("", None),
        ("令和八年五月十二日", None),
        ("٢٠٢٦/5/12", None),  # non-ASCII digits that int() would accept
    ],
)
def test_parse_date(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3億円", 300_000_000),
        ("1億2,000万円", 120_000_000),
        ("1億2千万円", 120_000_000),
        ("5,000万円", 50_000_000),
        ("5千万円", 50_000_000),
        ("30,000千円", 30_000_000),
        ("3,000千円", 3_000_000),
        ("30百万円", 30_000_000),
        ("¥30,000,000", 30_000_000),
        ("￥3,000,000-", 3_000_000),
        ("￥３，０００，０００－", 3_000_000),
        ("30000000", 30_000_000),
        ("3,000万", 30_000_000),
        ("3,000 万円", 30_000_000),
        ("金3,000,000円", 3_000_000),
        ("金3,000,000円也", 3_000_000),
        ("１，０００万円", 10_000_000),
        ("2.5億円", 250_000_000),
        ("1.5万円", 15_000),
        ("1億5,000円", 100_005_000),
        ("3,000万5,000円", 30_005_000),
        ("0円", 0),
        # not amounts
        ("2.5円", None),
        ("1.23456万円", None),  # 12,345.6 yen
        ("-5,000円", None),
        ("△5,000円", None),
        ("", None),
        ("円", None),
        ("¥", None),
        ("30,00円", None),
        ("3,0000円", None),
        ("30,000,00円", None),
        ("1億12,000万円", None),  # the 万 part overflows its slot
        ("1万2億円", None),
        ("約3,000万円", None),
        ("3,000万円程度", None),
        ("三千万円", None),
        ("1" * 100, None),
    ],
)
def test_parse_yen(text: str, expected: int | None) -> None:
    assert parse_yen(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45人", 45),
        ("28名", 28),
        ("３２人", 32),
        ("45", 45),
        (" 45 人 ", 45),
        ("1,200人", 1200),
        ("0人", 0),
        ("約30人", None),
        ("30～40人", None),
        ("30-40人", None),
        ("-3", None),
        ("－３人", None),
        ("", None),
        ("四十五人", None),
    ],
)
def test_parse_count(text: str, expected: int | None) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    "value",
    [True, *"☑☒✓✔■●○◯〇レﾚvVxXＸ✗✘済有", "はい", "yes", "Yes", "on", "true", "1", "/Yes", " ✓ "],
)
def test_parse_checkbox_ticked(value: str | bool) -> None:
    assert parse_checkbox(value) is True


@pytest.mark.parametrize(
    "value", [False, "", "  ", "□", "☐", "無", "いいえ", "no", "off", "false", "0", "/Off"]
)
def test_parse_checkbox_unticked(value: str | bool) -> None:
    assert parse_checkbox(value) is False


@pytest.mark.parametrize("value", ["maybe", "✓✓", "/", "2", "法人", "?"])
def test_parse_checkbox_unreadable(value: str) -> None:
    assert parse_checkbox(value) is None


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("entity_type", "法人", "corporation"),
        ("entity_type", " 個人 事業者 ", "sole_proprietor"),
        ("entity_type", "corporation", "corporation"),
        ("entity_type", "■法人 □個人事業者 □組合", "corporation"),
        ("entity_type", "□法人 ☑個人事業者 □組合", "sole_proprietor"),
        ("entity_type", "■ 法人 □ 個人事業者", "corporation"),
        ("entity_type", "法人 レ組合", "cooperative"),
        ("entity_type", "□法人 □個人事業者 □組合", None),
        ("entity_type", "■法人 ■組合", None),
        ("entity_type", "■株式会社", None),
        ("industry_category", "製造業・その他", "manufacturing_other"),
        ("industry_category", "製造業／その他", "manufacturing_other"),
        ("industry_category", "製造業", "manufacturing_other"),  # part of exactly one label
        ("industry_category", "サービス業", "service"),
        ("industry_category", "農業", None),
        ("loan_status", "利用予定", "planned"),
        ("loan_status", "利用", None),  # part of three labels: ambiguous
        ("loan_status", "利用予定なし", None),  # not a label, and contains one: never guess
        ("bank_type", "信用金庫", "shinkin"),
        ("bank_type", "信金", "shinkin"),
        ("bank_type", "信用金庫・信用組合", None),
        ("report_delivery", "E-Mail", "email"),
        ("report_delivery", "E-mail", "email"),
        ("report_delivery", "e-mail", "email"),
        ("report_delivery", "ｅｍａｉｌ", "email"),
        ("report_delivery", "メール", "email"),
        ("report_delivery", "ＦＡＸ", "fax"),
        ("report_delivery", "郵送", "post"),
        ("agency", "日本貿易振興機構（ジェトロ）", "jetro"),
        ("agency", "ジェトロ", "jetro"),
        (
            "agency",
            "✓日本貿易振興機構（ジェトロ） 信金中央金庫 東京都中小企業振興公社 中小企業基盤整備機構",
            "jetro",
        ),
        ("agency", "", None),
        ("agency", "中小企業", None),
    ],
)
def test_parse_choice(field: str, text: str, expected: str | None) -> None:
    assert parse_choice(text, SPEC[field].choices) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03-1234-5678", "03-1234-5678"),
        ("０３－１２３４－５６７８", "03-1234-5678"),
        ("03(1234)5678", "03-1234-5678"),
        ("(03)1234-5678", "03-1234-5678"),
        ("03 1234 5678", "03-1234-5678"),
        ("0312345678", "0312345678"),
        ("090-1234-5678", "090-1234-5678"),
        ("TEL:03-1234-5678", "03-1234-5678"),
        ("+81-3-1234-5678", "+81-3-1234-5678"),
        ("03-1234-567", None),
        ("03-1234-56789-0", None),
        ("3-1234-5678", None),
        ("+81-03-1234-5678", None),
        ("03-1234-5678 内線12", None),
        ("03-1234+5678", None),
        ("", None),
    ],
)
def test_parse_phone(text: str, expected: str | None) -> None:
    assert parse_phone(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("〒144-0052", "144-0052"),
        ("1440052", "144-0052"),
        ("１４４－００５２", "144-0052"),
        ("〒 144 - 0052", "144-0052"),
        ("144-005", None),
        ("144-00521", None),
        ("1440-052", None),
        ("", None),
    ],
)
def test_parse_postal_code(text: str, expected: str | None) -> None:
    assert parse_postal_code(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hanako.mihon@sample-seiki.example.co.jp", "hanako.mihon@sample-seiki.example.co.jp"),
        (" Kaigai@Mihon-Bank.Example.JP ", "Kaigai@mihon-bank.example.jp"),
        ("ｋａｉｇａｉ＠ｅｘａｍｐｌｅ．ｊｐ", "kaigai@example.jp"),
        ("mailto:a@example.jp", "a@example.jp"),
        ("a@example", None),
        ("a.example.jp", None),
        ("a@@example.jp", None),
        ("a@b@example.jp", None),
        ("a b@example.jp", None),
        ("a@example..jp", None),
        ("a@.example.jp", None),
        (".a@example.jp", None),
        ("", None),
    ],
)
def test_parse_email(text: str, expected: str | None) -> None:
    assert parse_email(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4010001234567", "4010001234567"),
        ("4-0100-0123-4567", "4010001234567"),
        ("４０１０００１２３４５６７", "4010001234567"),
        ("4010 0012 34567", "4010001234567"),
        ("4010001234568", "4010001234568"),  # the check digit is validation's job
        ("401000123456", None),
        ("40100012345678", None),
        ("401000123456X", None),
        ("", None),
    ],
)
def test_parse_corporate_number_digits(text: str, expected: str | None) -> None:
    assert parse_corporate_number_digits(text) == expected


@pytest.mark.parametrize(
    "name",
    [
        "株式会社 見本商店",
        "見本商店㈱",
        "見本商店 株式会社",
        "（株）見本商店",
        "見本商店(株)",
        "見本　商店",
        "有限会社見本商店",
        "見本商店㈲",
        "合同会社見本商店",
        "見本商店 合資会社",
        "合名会社 見本商店",
    ],
)
def test_normalize_company_name(name: str) -> None:
    assert normalize_company_name(name) == "見本商店"


def test_normalize_company_name_keeps_other_words() -> None:
    assert normalize_company_name("株式会社ＡＢＣ商事") == "ABC商事"
    assert normalize_company_name("見本商店") != normalize_company_name("見本商事")


# ── parsers: properties ───────────────────────────────────────────────────────────────────────


def era_forms(d: dt.date) -> list[str]:
    r = d.year - 2018
    era = "元" if r == 1 else str(r)
    forms = [f"令和{era}年{d.month}月{d.day}日", f"R{r}.{d.month}.{d.day}", f"R{r}/{d.month:02}/{d.day:02}"]
    forms += [
        f"{d.year}/{d.month}/{d.day}",
        f"{d:%Y-%m-%d}",
        f"{d.year}年{d.month}月{d.day}日",
        f"{d:%Y.%m.%d}",
    ]
    return forms


@given(st.dates(min_value=D(2019, 5, 1), max_value=D(2117, 12, 31)))
def test_reiwa_and_western_dates_parse_back(d: dt.date) -> None:
    """Up to 令和99 (2117): era years have at most two digits."""
    for text in era_forms(d):
        for written in (text, fullwidth(text), " ".join(text)):
            assert parse_date(written) == d, written


@given(st.dates(min_value=D(1989, 1, 8), max_value=D(2019, 4, 30)))
def test_heisei_dates_parse_back(d: dt.date) -> None:
    h = d.year - 1988
    for text in (f"平成{h}年{d.month}月{d.day}日", f"H{h}.{d.month}.{d.day}"):
        assert parse_date(text) == d
        assert parse_date(fullwidth(text)) == d


def yen_forms(n: int) -> list[str]:
    oku, man, rest = n // 10**8, n // 10**4 % 10**4, n % 10**4
    parts = [f"{oku:,}億" if oku else "", f"{man:,}万" if man else "", f"{rest:,}" if rest else ""]
    forms = [f"{n:,}円", f"¥{n:,}", f"￥{n:,}-", str(n), "".join(parts) + "円" if n else "0円"]
    forms.append(f"{n // 10**4}.{n % 10**4:04}万円")
    if n % 1000 == 0:
        forms.append(f"{n // 1000:,}千円")
    return forms


@given(st.integers(min_value=0, max_value=10**13))
def test_yen_amounts_parse_back(n: int) -> None:
    for text in yen_forms(n):
        assert parse_yen(text) == n, text
        assert parse_yen(fullwidth(text)) == n, text


@given(st.integers(min_value=0, max_value=10**7))
def test_counts_parse_back(n: int) -> None:
    for text in (str(n), f"{n:,}人", f"{n}名", fullwidth(f"{n}人")):
        assert parse_count(text) == n


NUMERIC_ALPHABET = "0123456789０１２３,.，．億万千百十円¥￥金-－ー年月日令和平成RH/()（）〒@＠■□✓レ人名+ 　\n"
ANY_TEXT = st.text() | st.text(alphabet=NUMERIC_ALPHABET, max_size=40)


@given(ANY_TEXT)
def test_parsers_never_raise(text: str) -> None:
    assert isinstance(parse_date(text), dt.date | None)
    assert parse_yen(text) is None or parse_yen(text) >= 0  # type: ignore[operator]
    assert parse_count(text) is None or parse_count(text) >= 0  # type: ignore[operator]
    assert parse_checkbox(text) in (True, False, None)
    for spec_field in SPEC.of_type("choice"):
        assert parse_choice(text, spec_field.choices) in (None, *spec_field.choices)
    assert isinstance(parse_phone(text), str | None)
    assert isinstance(parse_postal_code(text), str | None)
    assert isinstance(parse_email(text), str | None)
    assert isinstance(parse_corporate_number_digits(text), str | None)
    assert isinstance(normalize_company_name(text), str)


@given(st.text())
def test_nfkc_text_is_idempotent_and_single_spaced(text: str) -> None:
    once = nfkc_text(text)
    assert nfkc_text(once) == once
    assert "  " not in once and once == once.strip()


@given(st.text(alphabet="見本商店サンプル精機ABCｱｲｳ123", min_size=1, max_size=12))
def test_company_name_key_ignores_legal_form_and_spaces(name: str) -> None:
    key = normalize_company_name(name)
    for written in (f"株式会社 {name}", f"{name}㈱", f"{name} 株式会社", f"（株）{name}"):
        assert normalize_company_name(written) == key


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
