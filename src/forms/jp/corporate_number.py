"""法人番号 (Corporate Number of Japan): 13 digits, the FIRST of which is a check digit.

The check digit of the twelve base digits is 9 − (Σ digit × weight) mod 9, the weights being 1
and 2 alternating from the rightmost digit (which has weight 1) — 国税庁「法人番号の指定等に関する
省令」第2条 (the same as python-stdnum's ``stdnum.jp.cn``).

>>> validate("4010001234567")
'4010001234567'
>>> calc_check_digit("010001234567")
'4'
"""

from __future__ import annotations

import unicodedata

from forms.errors import InvalidChecksum, InvalidCorporateNumber, InvalidFormat, InvalidLength

LENGTH = 13
_SEPARATORS = " -\u2010\u2011\u2012\u2013\u2014\u2212\u30fc"






def compact(s: str) -> str:
    """NFKC (full-width digits) and without spaces or hyphens."""
    text = unicodedata.normalize("NFKC", s).strip()
    return "".join(ch for ch in text if ch not in _SEPARATORS)


def calc_check_digit(d12: str) -> str:
    """The check digit of the twelve base digits."""
    total = sum(int(d) * (1 if i % 2 == 0 else 2) for i, d in enumerate(reversed(d12)))
    return str(9 - total % 9)


def validate(n: str) -> str:
    """The compact 法人番号, or raise InvalidFormat / InvalidLength / InvalidChecksum."""
    number = compact(n)
    if not number.isascii() or not number.isdigit():
        raise InvalidFormat(f"法人番号 must be digits: {n!r}")
    if len(number) != LENGTH:
        raise InvalidLength(f"法人番号 must have {LENGTH} digits, not {len(number)}: {n!r}")
    if number[0] != calc_check_digit(number[1:]):
        raise InvalidChecksum(f"法人番号 check digit fails: {n!r}")
    return number


def is_valid(n: str) -> bool:
    try:
        return bool(validate(n))
    except InvalidCorporateNumber:
        return False


def is_well_formed(n: str) -> bool:
    """13 ASCII digits after compacting, whatever the check digit."""
    number = compact(n)
    return number.isascii() and number.isdigit() and len(number) == LENGTH
