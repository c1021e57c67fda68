"""Normalisation: a table per parser (dates, amounts, counts, checkboxes, choices, phones, codes, names)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from forms.normalize import (
    nfkc_text,
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
from forms.spec import load_spec

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
