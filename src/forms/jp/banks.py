"""The 全銀 code list (``zengin-code``: banks and branches with their codes) and the kind of a bank
(銀行 / 信用金庫 / 信用組合) from its name or its code.

A name the list does not know (a new or fictional bank) is no evidence either way: the look-ups
return None.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

#: What a bank's name ends with → its kind (the keys of youshiki1.json's bank_type choices).
KIND_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("信用金庫", "shinkin"),
    ("信金", "shinkin"),
    ("信用組合", "shinkumi"),
    ("信組", "shinkumi"),
    ("銀行", "bank"),
)
_SPACE = re.compile(r"\s+")


def _form(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def kind_of_name(name: str) -> str | None:
    """The kind a bank's name says (…信用金庫 → shinkin); None when the name does not say."""
    written = _form(name)
    for suffix, kind in KIND_SUFFIXES:
        if written.endswith(suffix):
            return kind
    return None


def kind_of_code(code: str) -> str | None:
    """The kind of a 全銀 bank code: 0001–0999 銀行, 1000–1999 信用金庫, 2000–2899 信用組合."""
    number = int(code) if code.isdigit() else -1
    if 0 < number < 1000:
        return "bank"
    if 1000 <= number < 2000:
        return "shinkin"
    if 2000 <= number < 2900:
        return "shinkumi"
    return None


@functools.cache
def _by_name() -> Mapping[str, Any]:
    from zengin_code import Bank  # imported on first use: it loads ~1,200 banks and their branches

    return {_form(bank.name): bank for bank in Bank.all.values()}


def find_bank(name: str) -> Any | None:
    """The bank of the 全銀 list that ``name`` names (with or without its kind: みずほ銀行, 西武信用金庫);
    None when the list has no such bank."""
    written = _form(name)
    bare = written
    for suffix, _ in KIND_SUFFIXES:
        if written.endswith(suffix):
            bare = written[: -len(suffix)]
            break
    bank = _by_name().get(bare) or _by_name().get(written)
    if bank is None:
        return None
    kind = kind_of_name(written)
    return bank if kind is None or kind == kind_of_code(bank.code) else None


def has_branch(bank: Any, branch: str) -> bool:
    """Whether ``branch`` (本店営業部, 蒲田支店, 蒲田 …) is one of the bank's branches in the list."""
    written = _form(branch)
    names = {_form(b.name) for b in bank.branches.values()}
    return written in names or written.removesuffix("支店") in names or f"{written}支店" in names
