"""Normalisation properties: every way a date, amount or count is written parses back; parsers never raise."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

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
