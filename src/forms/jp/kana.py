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
#: What a reading in katakana is written with: the kana, the long-vowel mark, ・ and spaces.
_KANA_TEXT = re.compile(r"[ァ-ヶー・\s]*")


@functools.cache
def _kakasi() -> Any:
    import pykakasi  # imported on first use: its dictionaries take ~1.5 s to load

    return pykakasi.kakasi()


def _katakana_form(text: str) -> str | None:
    """The form readings are compared in: katakana and ー (・ and spaces dropped); None for a text with
    anything else (a letter, a digit, a mark read in: 例示フ…ズ is no reading of レイジフーズ). Small kana
    stay small (a フリガナ read レィジ is not レイジ), and ー stays: a standard fax loses it (例示フズ)."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[・\s]", "", text) if _KANA_TEXT.fullmatch(text) else None


def _compared(name: str, kana: str, unvoiced: bool = False) -> tuple[str, str] | None:
    """The company name's reading and its フリガナ, legal forms aside, in ``_katakana_form`` (``unvoiced``:
    without voicing marks, the legal form's too: カプシキガイシャ); None when either is not one or the
    フリガナ is under two kana."""
    bare_name = _LEGAL_FORMS.sub("", unicodedata.normalize("NFKC", name))
    kana = unicodedata.normalize("NFKC", kana)
    legal = _LEGAL_KANA_UNVOICED.sub("", _unvoiced(kana)) if unvoiced else _LEGAL_KANA.sub("", kana)
    bare_kana = _katakana_form(legal)
    if not bare_name or bare_kana is None or len(bare_kana) < 2:
        return None
    name_reading = _katakana_form(reading(bare_name))
    if name_reading is None:
        return None
    return (_unvoiced(name_reading), bare_kana) if unvoiced else (name_reading, bare_kana)


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
    compared = _compared(name, kana)
    return True if compared is not None and compared[0] == compared[1] else None


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


_LEGAL_KANA_UNVOICED = re.compile(_unvoiced(_LEGAL_KANA.pattern))


def name_reads_as_unvoiced(name: str, kana: str) -> bool | None:
    """``name_reads_as`` with voicing marks left out on both sides (サンプル精機 reads as サンブルセイキ):
    what two low-resolution readings still tell."""
    compared = _compared(name, kana, unvoiced=True)
    return True if compared is not None and compared[0] == compared[1] else None


def romaji_readings(name: str) -> list[tuple[str, ...]]:
    """Each part of a person's name (separated by spaces) in Hepburn, long vowels shortened, in every
    reading the dictionary gives it that an address can tell apart: 見本　花子 → [("mihon",), ("hanako",
    "hanago")]; 真理 → ("shinri", "mari", "masamichi"). A given name has several readings and the form
    does not say which is meant; the e-mail address may. Readings a fax's usual misread of an address
    turns into one another are left out, both: 七海's nanaumi and nanami (a u lost), leaving nami."""
    out = []
    for part in unicodedata.normalize("NFKC", name).split():
        first = "".join(item["hepburn"] for item in _kakasi().convert(part))
        others = ("".join(item["hepburn"] for item in _kakasi().convert(k)) for k in _word_readings(part))
        readings = list(dict.fromkeys(_shortened(r.lower()) for r in (first, *others)))
        if len(readings[0]) >= 2:
            told = [r for r in readings if not any(misread_apart(r, o) for o in readings if o != r)]
            out.append(tuple(r for r in told if len(r) >= 2))
    return out


#: Letters a fax reads as one another in an e-mail address, and letters it reads as two
#: (bench/fax_evidence.py, 397 readings of 174 standard faxes: e read c 43 times, m read rn 5, a read o
#: once …; on a fine one l read i).
_LETTER_MISREADS = (
    {"c", "e"},
    {"m", "n"},
    {"b", "h"},
    {"h", "l"},
    {"a", "o"},
    {"e", "o"},
    {"m", "r"},
    {"m", "t"},
    {"i", "l"},
)
_READ_AS_TWO = {"m": ("rn", "in"), "h": ("ti",)}


def misread_apart(a: str, b: str) -> bool:
    """Whether one of a standard fax's misreads of an address turns ``a`` into ``b`` or back: a letter
    lost or added, a letter read as another (``_LETTER_MISREADS``) or as two (m read rn)."""
    if len(a) == len(b):
        diff = [{x, y} for x, y in zip(a, b, strict=True) if x != y]
        return len(diff) == 1 and diff[0] in _LETTER_MISREADS
    short, long_ = sorted((a, b), key=len)
    if len(long_) - len(short) != 1:
        return False
    if any(long_[:k] + long_[k + 1 :] == short for k in range(len(long_))):
        return True
    return any(
        long_ == short[:k] + two + short[k + 1 :]
        for k, ch in enumerate(short)
        for two in _READ_AS_TWO.get(ch, ())
    )


def _shortened(roman: str) -> str:
    return re.sub(r"(?<=[ou])u$", "", roman.replace("ou", "o").replace("uu", "u"))


def _word_readings(word: str) -> list[str]:
    """The readings (hiragana) pykakasi's dictionary lists for ``word`` when it is one of its words as
    written (七海: ななうみ, ななみ, なみ; pykakasi converts with the first only); none when it is not, or
    the dictionary's table is not laid out as known."""
    try:
        from pykakasi.kanji import Kanwa  # imported on first use, as in _kakasi: its dictionaries load slowly
    except ImportError:
        return []
    table = Kanwa().load(word[0]) if word else None
    entries = table.get(word) if isinstance(table, dict) else None
    if not isinstance(entries, list):
        return []
    return [e[0] for e in entries if _plain_reading(e)]


def _plain_reading(entry: object) -> bool:
    """A dictionary entry (reading, None): a word's reading that needs no okurigana after it."""
    return isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str) and not entry[1]


def name_in_email(name: str, email: str) -> bool | None:
    """True when the e-mail address's local part is made of the person's name (surname and given
    name, the title before them aside; any of each part's readings): each part one of its words
    (hanako.mihon, mihon_hanako2), or the two run together (hanakomihon); None otherwise. A part inside a
    longer word is none: 本　花子 (a kanji lost) is not hanako.mihon."""
    local = unicodedata.normalize("NFKC", email).partition("@")[0].lower()
    parts = romaji_readings(name)[-2:]
    if len(parts) < 2 or not all(parts) or not local:
        return None
    for form in (local, local.replace("ou", "o").replace("uu", "u")):
        words = _local_words(form)
        joined = {a + b for a, b in itertools.product(*parts)} | {b + a for a, b in itertools.product(*parts)}
        if all(any(r in words for r in p) for p in parts) or "".join(words) in joined:
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
    parts = romaji_readings(name)[-2:]
    tokens = _local_words(local)
    if len(parts) < 2 or not tokens:
        return False
    inside = [p for p in parts if any(r in local for r in p)]
    near = [
        p
        for p in parts
        if p not in inside and any(_one_apart(r, t) for r in p for t in tokens if len(t) >= 3)
    ]
    return bool(near) and len(inside) + len(near) == len(parts)


def _one_apart(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one letter changed, dropped or added."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:k] + long_[k + 1 :] == short for k in range(len(long_)))
