"""Whether an e-mail address is spelled from the form: its local part from the person's name (or a
mailbox word such as ``kaigai``), its domain from the company's or bank's name and a known ending
(``sample-seiki.example.co.jp`` for 株式会社サンプル精機, ``mihon-bank.example.jp`` for みほん銀行).

Names are read with ``pykakasi`` (``kana``): a word in kanji or kana must be its Hepburn reading exactly
(long vowels shortened on both sides); a word in katakana (a loanword: サンプル, フーズ) is compared with
the English word by its consonants (n before p/b/m as m, l as r, c as k or s, final ds as z) and its first
vowel, which keeps what low resolution takes (プ/ブ/フ: p, b, f differ; e read c is a consonant), and the
label must be an English word (``english``: sampl, fods, a vowel lost, are none).
Agreement is evidence; anything else returns False, never a doubt (a domain may abbreviate the name).
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from forms.jp import english, kana, lookalikes

#: Domain endings taken as known: the public suffixes a Japanese company or bank uses, and the names
#: reserved for examples (RFC 2606, JPRS), which fictional data uses.
KNOWN_ENDINGS = (
    "example.co.jp", "example.ne.jp", "example.or.jp", "example.jp", "example.com",
    "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp", "lg.jp", "gr.jp", "ed.jp", "jp", "com", "net", "org", "bank",
)  # fmt: skip
#: How a bank's kind is written in its domain.
_KIND_WORDS = {
    "銀行": ("bank", "ginko"),
    "信用金庫": ("shinkin",),
    "信金": ("shinkin",),
    "信用組合": ("shinkumi",),
    "信組": ("shinkumi",),
}
_LEGAL = re.compile(r"株式会社|有限会社|合同会社|合資会社|合名会社|協同組合|\((?:株|有|同)\)")
_KIND = re.compile("(" + "|".join(sorted(_KIND_WORDS, key=len, reverse=True)) + ")")
_KATAKANA = re.compile(r"[ァ-ヶー]+")
_KANA = re.compile(r"[ぁ-ゖァ-ヶー]+")
_LOCAL = re.compile(r"[a-z]+(?:[._\-][a-z]+)*")
#: English first vowels and the katakana vowels a loanword writes them with (sample サンプル, foods フーズ).
_VOWELS = {"a": "ae", "e": "ei", "i": "ia", "o": "ou", "u": "ua"}


def local_from_names(email: str, names: list[str], mailbox_words: frozenset[str]) -> bool:
    """Whether every word of the local part is a part of one of the persons' ``names`` (Hepburn) or a
    mailbox word, with only dots, dashes and underscores between (no digits). A part that a fax's usual
    misread of an address turns into another of the names' parts is none (mihon, mion: an h lost)."""
    local = unicodedata.normalize("NFKC", email).partition("@")[0].lower()
    if not _LOCAL.fullmatch(local):
        return False
    parts = {p for name in names for p in _name_parts(name)}
    told = {p for p in parts if not any(kana.misread_apart(p, q) for q in parts if q != p)}
    return all(_short(w) in told or w in mailbox_words for w in re.split(r"[._\-]", local))


def nearly_from_form(email: str, persons: list[str], orgs: list[str], mailbox_words: frozenset[str]) -> bool:
    """Whether a word of the address is one misread of an address (``kana.misread_apart``) from a word the
    form spells it with, and not that word: the local part's from the persons' names or a mailbox word
    (kaiga for kaigai), the domain's from the organisations' names in kanji or kana (miho-bank, mion-shoji
    for みほん銀行, 見本商事) or a known ending (exaple for example). Two readings of a fine fax agree on
    such misreads (bench/fax_evidence.py): a doubt. Words under three letters are not compared."""
    local, _, domain = unicodedata.normalize("NFKC", email).lower().partition("@")
    parts = {p for name in persons for p in _name_parts(name)} | set(mailbox_words)
    words = [word for org in orgs for word in _name_words(org)]
    exact = {s for kind, spellings in words if kind == "exact" for s in spellings}
    endings = {label for ending in KNOWN_ENDINGS for label in ending.split(".")}
    exact |= endings  # exaple for example
    pairs = [(_short(w), parts) for w in re.split(r"[._\-]", local)]
    pairs += [(_short(w), exact) for w in re.split(r"[.\-]", domain)]
    loans = {s for kind, spellings in words if kind == "loan" for s in spellings}
    return any(
        len(w) >= 3 and w not in known and any(len(k) >= 3 and kana.misread_apart(w, k) for k in known)
        for w, known in pairs
    ) or any(_loan_nearly(w, loan) for w in re.split(r"[.\-]", domain) if w not in endings for loan in loans)


def _loan_nearly(label: str, roman: str) -> bool:
    """Whether a domain's label is not a katakana loanword of the name (``_loan_matches``) but one misread
    of an address from it: its consonants the word's but for one (saple for サンプル: m lost), or all of
    them with another first vowel (somple) or with a vowel lost or changed inside (sampl: no word)."""
    if len(label) < 3 or _loan_matches(roman, label):
        return False
    ours, theirs = _loan_consonants(roman), _consonants(_english_sounds(label))
    return len(ours) >= 2 and (ours == theirs or kana.misread_apart(theirs, ours))


def _name_parts(name: str) -> set[str]:
    """A person's name in Hepburn part by part, each part in every reading the dictionary gives it (七海:
    nanaumi, nanami, nami); one read without its space is split into the dictionary's words (見本花子 →
    mihon, hanako)."""
    parts = kana.romaji_readings(name)
    if len(parts) < 2:
        parts = kana.romaji_readings(" ".join(written for written, _ in kana.segments(name)))
    return {_short(r) for readings in parts for r in readings}


def misread_variants(email: str, limit: int = 4) -> list[str]:
    """``email`` first, then as it would be without the misreads a standard fax makes of addresses
    (``bench/fax_evidence.py``): a dot added at the end, a dot read as a comma, e read as c (at most
    ``limit`` c's tried). Only a variant spelled from the form is ever taken (``certainty``)."""
    base = unicodedata.normalize("NFKC", email).strip().rstrip(".").replace(",", ".")
    cs = [i for i, ch in enumerate(base) if ch == "c"][:limit]
    out = [email, base]
    for flips in itertools.product((False, True), repeat=len(cs)):
        chars = list(base)
        for i, flip in zip(cs, flips, strict=True):
            chars[i] = "e" if flip else "c"
        out.append("".join(chars))
    return list(dict.fromkeys(out))


def names_as_written(names: list[str], misreads: dict[str, str]) -> list[str]:
    """What an organisation's ``names``, read on a standard fax, may be as written: a kanji a fax loses
    strokes of taken back (``misreads``: 倍用 for 信用), kana with their voicing marks the other ways
    (サンブル: サンプル). Only a name no other name is one misread of an address from (mibon for みぼん
    is mihon with h read b) is given: a domain spelling it then tells which was written."""
    kinds = _KIND.pattern
    variants = [v for n in names for v in (*lookalikes.undo_misreads(n, misreads), *_voiced(n, kinds))]
    variants = [v for v in dict.fromkeys(variants) if v not in names]
    keys = {n: _key(n) for n in [*names, *variants]}
    return [v for v in variants if not any(kana.misread_apart(keys[v], k) for n, k in keys.items() if n != v)]


def _voiced(name: str, kinds: str) -> list[str]:
    """The name with its kana's voicing marks written every other way, its kind (銀行 …) as it is."""
    pieces = re.split(kinds, name)
    options = [kana.voicing_variants(p) if p not in _KIND_WORDS else [p] for p in pieces]
    return ["".join(combo) for combo in itertools.product(*options)][1:] if len(options) < 5 else []


def _key(name: str) -> str:
    """A name as an address spells it, roughly: its Hepburn without legal forms, spaces and marks."""
    bare = _LEGAL.sub("", unicodedata.normalize("NFKC", name))
    return re.sub(r"[^a-z]", "", "".join(h for _, h in kana.segments(bare)).lower()) if bare.strip() else ""


def domain_from_name(email: str, name: str, *, joined: bool = True, some_words: bool = False) -> bool:
    """Whether the domain is ``name`` (a company or bank, its legal form aside) spelled word by word,
    then a known ending. ``joined``: words may run together in a label (mihonshoji); not where a fax
    may have lost the dash between them (a standard fax drops one in 13 of 397 addresses).
    ``some_words``: the name's words in order, any left out (sample-kinzoku for サンプル金属工業協同組合):
    every letter is still a name's, though the domain alone does not say whose it is."""
    words = _name_words(name)
    labels = _domain_labels(email)
    return bool(words and labels) and _spells(words, labels, joined, some_words)


def marks_in_domain(email: str, name: str) -> bool:
    """Whether every kana word of the company's ``name`` that may carry a voicing mark is one label of the
    domain, marks and all (サンプル of サンプル金属工業協同組合 in sample-seiki: p, not b or f), where the
    domain does not spell the whole name (a cooperative writing from a member's domain). Only the marks
    are vouched for: the rest of the name is left to its フリガナ."""
    labels = _domain_labels(email)
    bare = _LEGAL.sub("", unicodedata.normalize("NFKC", name))
    words = kana.segments(bare) if bare.strip() else []
    marked = [(w, re.sub(r"[^a-z]", "", h.lower())) for w, h in words if kana.has_voiceable_kana(w)]
    if not labels or not marked or any(not _KANA.fullmatch(w) for w, _ in marked):
        return False
    return all(any(_kana_word_is(w, roman, label) for label in labels) for w, roman in marked)


def _kana_word_is(written: str, roman: str, label: str) -> bool:
    """A katakana word as a loanword (サンプル: sample), a hiragana one as its Hepburn (みほん: mihon)."""
    return _loan_matches(roman, label) if _KATAKANA.fullmatch(written) else _short(roman) == _short(label)


def _domain_labels(email: str) -> tuple[str, ...]:
    """The labels of the address's domain before a known ending (sample, seiki); none when it has none."""
    domain = unicodedata.normalize("NFKC", email).partition("@")[2].lower()
    for ending in KNOWN_ENDINGS:
        if domain.endswith("." + ending):
            head = domain[: -len(ending) - 1]
            if re.fullmatch(r"[a-z]+(?:[-.][a-z]+)*", head):
                return tuple(re.split(r"[-.]", head))
    return ()


# ── names as words ────────────────────────────────────────────────────────────────────────────
_Word = tuple[str, tuple[str, ...]]  # (how it is compared: "exact" | "loan", its spellings)


def _name_words(name: str) -> list[_Word]:
    """The words of a company or bank name as a domain may spell them."""
    bare = _LEGAL.sub("", unicodedata.normalize("NFKC", name)).strip()
    out: list[_Word] = []
    for piece in _KIND.split(bare):
        if piece in _KIND_WORDS:
            out.append(("exact", _KIND_WORDS[piece]))
            continue
        for written, hepburn in kana.segments(piece) if piece.strip() else ():
            roman = re.sub(r"[^a-z]", "", hepburn.lower())
            if not roman:
                continue
            loan = bool(_KATAKANA.fullmatch(written))
            out.append(("loan", (roman,)) if loan else ("exact", (_short(roman),)))
    return out


def _spells(words: list[_Word], labels: tuple[str, ...], joined: bool = True, skip: bool = False) -> bool:
    """Whether ``labels`` spell ``words`` in order: a loanword one label; kanji or kana words one label
    each or several run together in one (mihonshoji for 見本 商事). ``skip``: words may be left out."""
    if not words or not labels:
        return not labels and (skip or not words)
    if skip and _spells(words[1:], labels, joined, skip):
        return True
    kind, spellings = words[0]
    if kind == "loan":
        return _loan_matches(spellings[0], labels[0]) and _spells(words[1:], labels[1:], joined, skip)
    label = _short(labels[0])
    for spelling in spellings:
        if label == spelling:
            return _spells(words[1:], labels[1:], joined, skip)
        if joined and label.startswith(spelling) and words[1:] and words[1][0] == "exact":
            rest = (label[len(spelling) :], *labels[1:])
            if _spells(words[1:], rest, joined, skip):
                return True
    return False


def _loan_matches(roman: str, english_word: str) -> bool:
    """A katakana loanword's Hepburn against an English word: consonants and first vowel, and a word of
    the list (the consonants alone let a vowel lost or changed inside pass)."""
    sounds_alike = _loan_consonants(roman) == _consonants(_english_sounds(english_word))
    first_vowel = _first_vowel(roman) in _VOWELS.get(_first_vowel(english_word), "")
    return sounds_alike and first_vowel and english.is_word(english_word)


def _loan_consonants(roman: str) -> str:
    """A loanword's consonants as English spells them (n before p, b or m is m: サンプル sample)."""
    return _consonants(re.sub(r"n(?=[pbm])", "m", roman))


def _english_sounds(word: str) -> str:
    w = word.replace("ph", "f").replace("ck", "k").replace("x", "ks").replace("qu", "kw")
    w = re.sub(r"c(?=[eiy])", "s", w).replace("c", "k")
    return re.sub(r"ds$", "z", w)


def _consonants(text: str) -> str:
    bare = re.sub(r"[aeiouy]", "", text).replace("l", "r")
    return re.sub(r"(.)\1+", r"\1", bare)


def _first_vowel(text: str) -> str:
    found = re.search(r"[aeiou]", text)
    return found.group() if found else ""


def _short(roman: str) -> str:
    """Long vowels shortened (shouji → shoji, koubou → kobo), as in names spelled for addresses."""
    return re.sub(r"(?<=[ou])u", "", roman.replace("uu", "u"))
