"""Readings of Japanese names (``pykakasi``): a company name against its フリガナ, a person's name in
roman letters against an e-mail address. Each dictionary reading is one of several a name may have,
so agreement is evidence and disagreement is not (None is returned, never a doubt).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from typing import Any

#: Legal-form words a フリガナ often leaves out (or spells): they are compared without them.
_LEGAL_FORMS = re.compile(r"株式会社|有限会社|合同会社|合資会社|合名会社|協同組合|\((?:株|有|同)\)")
_LEGAL_KANA = re.compile(
    r"カブシキガイシャ|カブシキカイシャ|ユウゲンガイシャ|ユウゲンカイシャ|ゴウドウガイシャ|キョウドウクミアイ"
)
_NOT_KANA = re.compile(r"[^ァ-ヶ]")


@functools.cache
def _kakasi() -> Any:
    import pykakasi  # imported on first use: its dictionaries take ~1.5 s to load

    return pykakasi.kakasi()


def _katakana_form(text: str) -> str:
    """Katakana only (ー, ・ and spaces dropped): the form readings are compared in. Small kana stay
    small: a フリガナ read レィジ is not レイジ."""
    return _NOT_KANA.sub("", unicodedata.normalize("NFKC", text))


def reading(text: str) -> str:
    """A katakana reading of ``text`` (the dictionary's first)."""
    return "".join(item["kana"] for item in _kakasi().convert(unicodedata.normalize("NFKC", text)))


def segments(text: str) -> list[tuple[str, str]]:
    """The dictionary's words of ``text``: (as written, Hepburn), e.g. サンプル精機 → [(サンプル, sanpuru),
    (精機, seiki)]."""
    items = _kakasi().convert(unicodedata.normalize("NFKC", text))
    return [(item["orig"], item["hepburn"]) for item in items]


def name_reads_as(name: str, kana: str) -> bool | None:
    """True when the company name, legal form aside, reads as its フリガナ; None otherwise (a name
    may have readings the dictionary does not give)."""
    bare_name = _LEGAL_FORMS.sub("", unicodedata.normalize("NFKC", name))
    bare_kana = _katakana_form(_LEGAL_KANA.sub("", unicodedata.normalize("NFKC", kana)))
    if not bare_name or len(bare_kana) < 2:
        return None
    return True if _katakana_form(reading(bare_name)) == bare_kana else None


#: Kana that take voicing marks, each with the others of its row (カ/ガ, ハ/バ/パ, ウ/ヴ): on a standard
#: fax a mark is lost, gained or read as the other (プ/ブ/フ, テ/デ) as often as one in five.
_ROWS = """
カガ キギ クグ ケゲ コゴ サザ シジ スズ セゼ ソゾ タダ チヂ ツヅ テデ トド
ハバパ ヒビピ フブプ ヘベペ ホボポ ウヴ
かが きぎ くぐ けげ こご さざ しじ すず せぜ そぞ ただ ちぢ つづ てで とど
はばぱ ひびぴ ふぶぷ へべぺ ほぼぽ
"""
_VOICING = {ch: row for row in _ROWS.split() for ch in row}


def has_voiceable_kana(name: str) -> bool:
    """Whether the company name, legal form aside, is written with kana that may carry a voicing mark:
    its フリガナ then repeats them, and two low-resolution readings of the same kana are no check."""
    bare = _LEGAL_FORMS.sub("", unicodedata.normalize("NFKC", name))
    return any(ch in _VOICING for ch in bare)


def voicing_variants(text: str, limit: int = 81) -> list[str]:
    """``text`` first, then with its kana that take voicing marks written every other way (サンプル →
    サンフル, サンブル, ザンプル …); only ``text`` when there would be more than ``limit``."""
    options = [_VOICING.get(ch, ch) for ch in text]
    if math.prod(len(o) for o in options) > limit:
        return [text]
    return list(dict.fromkeys([text, *("".join(p) for p in itertools.product(*options))]))


def _unvoiced(text: str) -> str:
    return unicodedata.normalize("NFC", re.sub("[\u3099\u309a]", "", unicodedata.normalize("NFD", text)))


def name_reads_as_unvoiced(name: str, kana: str) -> bool | None:
    """``name_reads_as`` with voicing marks left out on both sides (サンプル精機 reads as サンブルセイキ):
    what two low-resolution readings still tell."""
    bare_name = _LEGAL_FORMS.sub("", unicodedata.normalize("NFKC", name))
    bare_kana = _katakana_form(_LEGAL_KANA.sub("", unicodedata.normalize("NFKC", kana)))
    if not bare_name or len(bare_kana) < 2:
        return None
    return True if _unvoiced(_katakana_form(reading(bare_name))) == _unvoiced(bare_kana) else None


def romaji_parts(name: str) -> list[str]:
    """The parts of a person's name (separated by spaces) in Hepburn, long vowels shortened:
    見本　花子 → ["mihon", "hanako"]; 例示　一郎 → ["reiji", "ichiro"]."""
    parts = unicodedata.normalize("NFKC", name).split()
    out = []
    for part in parts:
        roman = "".join(item["hepburn"] for item in _kakasi().convert(part)).lower()
        out.append(re.sub(r"(?<=[ou])u$", "", roman.replace("ou", "o").replace("uu", "u")))
    return [p for p in out if len(p) >= 2]


def name_in_email(name: str, email: str) -> bool | None:
    """True when the e-mail address's local part is made of the person's name (surname and given
    name, the title before them aside): each part one of its words (hanako.mihon, mihon_hanako2), or
    the two run together (hanakomihon); None otherwise. A part inside a longer word is none: 本　花子 (a
    kanji lost) is not hanako.mihon."""
    local = unicodedata.normalize("NFKC", email).partition("@")[0].lower()
    parts = romaji_parts(name)[-2:]
    if len(parts) < 2 or not local:
        return None
    for form in (local, local.replace("ou", "o").replace("uu", "u")):
        words = _local_words(form)
        if all(p in words for p in parts) or "".join(words) in ("".join(parts), "".join(parts[::-1])):
            return True
    return None


def _local_words(local: str) -> list[str]:
    """The words of an e-mail address's local part (between dots, dashes, underscores, plus signs and
    digits)."""
    return [w for w in re.split(r"[._\-+0-9]+", local) if w]


def name_nearly_in_email(name: str, email: str) -> bool:
    """Whether the e-mail's local part spells the person's name but for one letter in a part
    (shiro.mion for 見本　四郎): a misread of the address, or of the name."""
    local = unicodedata.normalize("NFKC", email).partition("@")[0].lower()
    parts = romaji_parts(name)[-2:]
    tokens = _local_words(local)
    if len(parts) < 2 or not tokens:
        return False
    near = [p for p in parts if p not in local and any(_one_apart(p, t) for t in tokens if len(t) >= 3)]
    return bool(near) and all(p in local or p in near for p in parts)


def _one_apart(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one letter changed, dropped or added."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:k] + long_[k + 1 :] == short for k in range(len(long_)))
