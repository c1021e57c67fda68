"""Kanji and katakana that look alike (夕/タ, 工/エ, 一/ー …): which one a reading means is told by its
neighbours when they are of one script, and not at all when they are of both (pure)."""

from __future__ import annotations

import itertools
import math

#: Kanji that look like a katakana (and back): 夕イ is タイ, 南大沢ー丁目 is 南大沢一丁目.
_KANJI_TO_KANA = {
    "夕": "タ",
    "口": "ロ",
    "力": "カ",
    "工": "エ",
    "二": "ニ",
    "八": "ハ",
    "卜": "ト",
    "一": "ー",
}
_KANA_TO_KANJI = {kana: kanji for kanji, kana in _KANJI_TO_KANA.items()}
#: Kanji of place names a standard fax loses a stroke of, and what they are then read as (measured by
#: bench/fax_evidence.py): only the postal code's area can tell (東京都人田区 is 大田区 for 144-0052).
FAX_MISREADS = {"田": "出山", "大": "人", "東": "束柬", "蒲": "清浦", "墨": "黒"}
#: Kanji of names (persons', companies') a standard fax loses strokes of, and what they are then read as
#: (bench/fax_evidence.py, 174 standard faxes: 見 of 見本 read 兄 14 times and 兒 10, 本 read 木, 子 read 了;
#: 信 of 信用金庫 read 倍 3 times, 組 read 相).
FAX_NAME_MISREADS = {"見": "兄兒儿党兜", "本": "木", "子": "了", "信": "倍侶", "組": "相"}
_SWAP = {**_KANJI_TO_KANA, **_KANA_TO_KANJI}


def undo_misreads(text: str, misreads: dict[str, str], limit: int = 16) -> list[str]:
    """``text`` with characters read as one of their usual misreads (``misreads``: a written character →
    what it is read as) taken back to what was written, one or more at a time; not ``text`` itself, and
    none when there would be more than ``limit``."""
    written_as: dict[str, list[str]] = {}
    for written, reads in misreads.items():
        for read in reads:
            written_as.setdefault(read, []).append(written)
    options = [[ch, *written_as.get(ch, ())] for ch in text]
    if math.prod(len(o) for o in options) > limit + 1:
        return []
    return [v for v in ("".join(p) for p in itertools.product(*options)) if v != text]


def _is_katakana(ch: str | None) -> bool:
    return ch is not None and "\u30a1" <= ch <= "\u30fc" and ch != "・"


def _is_kanji(ch: str | None) -> bool:
    return ch is not None and ("\u4e00" <= ch <= "\u9fff" or ch == "々")


def _around(text: str, i: int) -> tuple[str | None, str | None]:
    """The characters either side of ``text[i]``, spaces passed over (テス 卜物産: ス and 物)."""
    left, right = text[:i].rstrip(), text[i + 1 :].lstrip()
    return (left[-1] if left else None, right[0] if right else None)


def fix_lookalikes(text: str) -> str:
    """Kanji/katakana lookalikes put right by their neighbours (only when both agree on the script)."""
    out = list(text)
    for i, ch in enumerate(text):
        around = _around(text, i)
        kana = any(_is_katakana(c) for c in around)
        kanji = any(_is_kanji(c) for c in around)
        if ch in _KANJI_TO_KANA and kana and not kanji:
            out[i] = _KANJI_TO_KANA[ch]
        elif ch in _KANA_TO_KANJI and kanji and not kana:
            out[i] = _KANA_TO_KANJI[ch]
    return "".join(out)


def lookalike_at(text: str) -> list[int]:
    """Where a character with a lookalike in the other script stands between a kana and a kanji, so
    that neither neighbour tells which it is (サンプルエ房: エ or 工)."""
    out = []
    for i, ch in enumerate(text):
        around = _around(text, i)
        if ch in _SWAP and any(_is_katakana(c) for c in around) and any(_is_kanji(c) for c in around):
            out.append(i)
    return out


def swapped_lookalikes(text: str) -> list[str]:
    """``text`` with each ambiguous lookalike (``lookalike_at``) read the other way, one at a time."""
    return [text[:i] + _SWAP[text[i]] + text[i + 1 :] for i in lookalike_at(text)]
