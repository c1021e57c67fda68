"""法人番号: compact, check digit, validate, is_valid."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.errors import InvalidChecksum, InvalidCorporateNumber, InvalidFormat, InvalidLength
from forms.jp import corporate_number as corpnum

SAMPLE_NUMBERS = ["4010001234567", "1010001765432", "3010401112233", "1011002345678"]


@pytest.mark.parametrize("number", SAMPLE_NUMBERS)
def test_sample_numbers_are_valid(number: str) -> None:
    assert corpnum.validate(number) == number
    assert corpnum.is_valid(number)
    assert corpnum.calc_check_digit(number[1:]) == number[0]


def test_check_digit_worked_example() -> None:
    # 0 1 0 0 0 1 2 3 4 5 6 7, weights 2 1 2 1 … 1 from the left: 41 → 9 − 41 mod 9 = 4
    assert corpnum.calc_check_digit("010001234567") == "4"
    assert corpnum.calc_check_digit("000000000000") == "9"  # never 0


def test_compact() -> None:
    assert corpnum.compact(" ４０１０-００１２-３４５６７ ") == "4010001234567"
    assert corpnum.compact("4010 0012 34567") == "4010001234567"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("401000123456A", InvalidFormat),
        ("四〇一〇〇〇一二三四五六七", InvalidFormat),
        ("", InvalidFormat),
        ("401000123456", InvalidLength),
        ("40100012345670", InvalidLength),
        ("5010001234567", InvalidChecksum),
        ("4010001234568", InvalidChecksum),
    ],
)
def test_invalid_numbers(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        corpnum.validate(text)
    assert not corpnum.is_valid(text)


def test_error_tree() -> None:
    for cls in (InvalidFormat, InvalidLength, InvalidChecksum):
        assert issubclass(cls, InvalidCorporateNumber)
    assert issubclass(InvalidCorporateNumber, ValueError)


def test_well_formed_is_about_shape_only() -> None:
    assert corpnum.is_well_formed("5010001234567")
    assert not corpnum.is_well_formed("501000123456")


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_any_twelve_digits_get_exactly_one_valid_check_digit(d12: str) -> None:
    valid = [c for c in "0123456789" if corpnum.is_valid(c + d12)]
    assert valid == [corpnum.calc_check_digit(d12)]
