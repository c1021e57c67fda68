"""What the text says of a tick: box marks and yes/no words, and the agency row's names (pure).

A checkbox's text is *ticked* (✓ ■ レ ○ …, はい), *unticked* (□ ☐, いいえ) or says *nothing certain*
(no text at all, or a glyph that is none of these, such as a dingbat without a Unicode map): then
the ink beside the label decides (``forms.extract.marks``).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from forms import spec

CHECKED_MARKS = frozenset("✓✔☑☒■◼⬛●○◯〇◎レvVxX✗✘")
UNCHECKED_MARKS = frozenset("□☐◻⬜")
YES_WORDS = frozenset({"はい", "有", "あり", "済", "確認済", "yes", "on", "true", "1"})
NO_WORDS = frozenset({"いいえ", "無", "なし", "未", "未確認", "no", "off", "false", "0", "-", "ー", "―"})
#: Other ways banks write an agency's name (NFKC, no spaces), besides the printed one.
AGENCY_ALIASES: Mapping[str, tuple[str, ...]] = {
    "jetro": ("日本貿易振興機構", "ジェトロ", "jetro"),
    "scb": ("信金中央金庫",),
    "kosha": ("東京都中小企業振興公社", "中小企業振興公社"),
    "smrj": ("中小企業基盤整備機構", "中小機構"),
}


@functools.lru_cache(maxsize=16_384)
def normal(text: str) -> str:
    """The form in which labels are compared: NFKC, case-folded, without whitespace (a form's texts
    are compared many times: each is normalised once)."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def is_mark(ch: str) -> bool:
    return ch in CHECKED_MARKS or ch in UNCHECKED_MARKS or normal(ch) in CHECKED_MARKS


def tick_state(written: str) -> bool | None:
    """True or False when the text says so; None when it says nothing certain (blank, or unknown)."""
    text = written.strip()
    if not text:
        return None
    first = normal(text[0])[:1]
    if text[0] in UNCHECKED_MARKS or first in UNCHECKED_MARKS:
        return False
    if first in CHECKED_MARKS or normal(text) in YES_WORDS:
        return True
    return False if normal(text) in NO_WORDS else None


def agency_ticks(written: str) -> dict[str, bool]:
    """The four agency checkboxes from the agency row's text alone.

    With box marks (``✓日本貿易振興機構（ジェトロ） 信金中央金庫 …`` or ``■… □…``) the marks decide;
    without any, the names written are the chosen ones — unless all four are there (the printed
    list of a form on which nothing was ticked).
    """
    names = find_names(normal(written))
    if any(mark is not None for _, mark in names.values()):
        ticked = {a for a, (_, mark) in names.items() if mark}
    elif len(names) == len(AGENCY_ALIASES):
        ticked = set()
    else:
        ticked = set(names)
    return {f"agency_{a}": a in ticked for a in spec.AGENCIES}


def find_names(norm: str) -> dict[str, tuple[int, bool | None]]:
    """Each agency named in ``norm`` (normal text): where its name starts, and the mark before it
    (True ticked, False an empty box, None no mark)."""
    out: dict[str, tuple[int, bool | None]] = {}
    for agency, names in AGENCY_ALIASES.items():
        found = [p for p in (norm.find(normal(n)) for n in names) if p >= 0]
        if found:
            pos = min(found)
            out[agency] = (pos, _mark_before(norm, pos))
    return out


def _mark_before(norm: str, pos: int) -> bool | None:
    if pos == 0:
        return None
    before = norm[pos - 1]
    if before in CHECKED_MARKS:
        return True
    return False if before in UNCHECKED_MARKS else None


@dataclass(frozen=True)
class AgencyName:
    """One agency's name on the agency row: the text mark before it, and where it is (points)."""

    agency: str
    mark: bool | None
    page: int
    bottom: float
    top: float
    x0: float
    x1: float


def decide_agencies(
    names: Sequence[AgencyName], ink: Mapping[str, tuple[bool, bool, bool]]
) -> dict[str, bool] | None:
    """The four agency boxes from the names' text marks and, for names without one, their ink
    (``ink[agency] = (ticked, sure, drawn)``); None when that cannot be told for sure."""
    state: dict[str, bool] = {}
    marked = False
    for name in names:
        if name.mark is not None:
            state[name.agency], marked = name.mark, True
            continue
        ticked, sure, drawn = ink.get(name.agency, (False, False, True))
        if not sure:
            return None
        state[name.agency], marked = ticked, marked or drawn
    if marked and len(state) < len(AGENCY_ALIASES):
        return None  # boxes, but not for every agency: a name may have been missed
    if not marked and len(state) < len(AGENCY_ALIASES):
        state = dict.fromkeys(state, True)  # no boxes at all: the names written are the chosen ones
    return {f"agency_{a}": state.get(a, False) for a in spec.AGENCIES}
