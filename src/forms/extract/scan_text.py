"""Reading one text field of a scan: two independent readings, the recogniser's known confusions
put right, and the evidence the reading itself gives.

1. the first reading: each line image through the engine (``recognize``), with the engine's score;
2. the second reading, when the engine can read a single line restricted to an alphabet
   (``LineReader``): each line binarised and rescaled (``scan_cells.second_look``), the recognition
   restricted to the characters the field's type can hold (digits and a few signs for a number,
   ASCII for an e-mail, everything for text);
3. both texts get the same fixes (lookalikes, 〒, 丁目, a dot read in a gap), then the evidence:
   the grammar of the field's type, the 法人番号 check digit, an exact printed choice, and whether
   the two readings agree. When they do not, the other text is kept as an ``alternative``: a check
   downstream (a postal code against the address …) may tell which one is right.

The recogniser's scores are kept as the value's ``confidence`` (shown to the clerk) but are not
evidence: wrong readings score 0.94–0.97 as often as right ones.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import string
import unicodedata
from collections.abc import Callable, Mapping

import cv2
import numpy as np

from forms import model
from forms.extract.ocr_engine import LineReader, OcrEngine, OcrLine
from forms.extract.reference import parse_reference
from forms.extract.scan_cells import Cell, second_look
from forms.jp import corporate_number as corpnum
from forms.jp.lookalikes import fix_lookalikes, lookalike_at
from forms.normalize import PARSERS, nfkc_text, parse_choice
from forms.spec import FieldSpec

E = model.Evidence
#: Confidence of a cell with no ink at all (read as blank).
BLANK_CONFIDENCE = 0.99
#: A line whose weakest character scores under this is read a second time, enlarged 1.5×.
SECOND_READING_BELOW = 0.9
SECOND_READING_SCALE = 1.5
#: Paper added left and right of a line before its first reading: the recogniser drops a glyph at the
#: very edge of its image (令 of 令和 on a standard fax, whose broken strokes the line's extent left out).
LINE_MARGIN_PX = 8

_DIGITS = frozenset(string.digits)
_DASHES = frozenset("-‐‑‒–—―−ー﹣")
#: What a value of each type can be written with (NFKC forms; None: anything).
ALPHABETS: Mapping[str, frozenset[str]] = {
    "postal_code": _DIGITS | _DASHES | {"〒"},
    "phone": _DIGITS | _DASHES | frozenset("()+"),
    "corporate_number": _DIGITS | _DASHES,
    "yen": _DIGITS | frozenset(",億万千百十円¥\\金也") | {"-"},
    "integer": _DIGITS | frozenset(",人名"),
    "date": _DIGITS | frozenset("令和平成元年月日RH./-()月火水木金土日曜西暦"),
    "email": frozenset(string.ascii_letters + string.digits + "@.-_+"),
    "reference": _DIGITS | _DASHES | frozenset("RY"),  # a 様式3's 照会番号 (R8-Y3-000007)
}
_TYPED: Mapping[str, Callable[[str], object]] = {
    **{t: PARSERS[t] for t in ("date", "yen", "integer", "phone", "postal_code", "email")},
    "reference": parse_reference,
}
#: Types whose value is a number: only their digits' scores count, the rest is checked by parsing.
_DIGIT_TYPES = frozenset({"date", "yen", "integer", "phone", "postal_code", "corporate_number"})


def read_text(cell: Cell | None, field_spec: FieldSpec | None, engine: OcrEngine) -> model.RawValue:
    """One text field: its value, the engine's confidence, the evidence and any other reading."""
    if cell is None:
        return model.RawValue("", 0.0, (E.UNREAD,))
    if not cell.lines:
        if cell.struck:  # struck through with nothing standing: no value, and not a blank cell either
            return model.RawValue("", 0.3, (E.STRUCK,))
        return model.RawValue("", BLANK_CONFIDENCE, (E.BLANK,))
    lines: list[OcrLine] = []
    for line in cell.lines:
        lines.extend(_first_reading(engine, line))
    text = fix_text("".join(ln.text for ln in lines), field_spec)
    if not text.strip():
        return model.RawValue("", 0.3, (E.UNREAD, *_struck(cell)))
    confidence = round(field_confidence(text, lines, field_spec), 3)
    if not isinstance(engine, LineReader):
        return model.RawValue(text, confidence, (*value_evidence(text, field_spec), *_struck(cell)))
    if not in_japanese_charset(text):  # a Chinese form (壳): read again within Japanese characters
        text = _restricted_reading(engine, cell, field_spec, _as_is) or text
    text, agreed, others = _agreed_reading(engine, cell, field_spec, text)
    evidence = [*value_evidence(text, field_spec), E.TWO_READINGS if agreed else E.READINGS_DIFFER]
    kind = field_spec.type if field_spec is not None else "text"
    if kind in ("text", "choice") and any(ln.unclear_spaces for ln in lines):
        evidence.append(E.SPACING_UNCLEAR)
    if cell.obscured:
        evidence.append(E.OBSCURED)
    evidence += _struck(cell)
    if agreed and {E.GRAMMAR_FAILED, E.CHECK_DIGIT_FAILED} & set(evidence) and plausible_mistake(text, kind):
        third = _restricted_reading(engine, cell, field_spec, _enlarged)
        if third is not None and _bare(third) == _bare(text):  # the bank's own mistake, read right
            evidence.append(E.THREE_READINGS)
    return model.RawValue(text, confidence, tuple(evidence), () if agreed else others)


def _struck(cell: Cell) -> tuple[model.Evidence, ...]:
    """What was struck through in the cell says of the value read from the ink left standing."""
    if not cell.struck:
        return ()
    return (E.STRUCK_CORRECTED,) if cell.struck == "corrected" else (E.STRUCK,)


def _agreed_reading(
    engine: LineReader, cell: Cell, field_spec: FieldSpec | None, first: str
) -> tuple[str, bool, tuple[str, ...]]:
    """(the text, whether two independent readings agree on it, the other readings).

    The first reading's variants (a dot read in a gap is a ・ or a space) are checked against a
    second reading of the binarised lines; when none agrees, a third reading of the lines enlarged
    decides between them: the text two of the three readings give. The second and third readings of
    text know only common characters (JIS level 1 kanji): a rare kanji (雜 for 雑) in the first reading
    is never confirmed by them, so it stays unsure.
    """
    variants = _variants(first)
    rare = any(unicodedata.normalize("NFKC", ch) not in common_alphabet() for ch in first)
    second = _restricted_reading(engine, cell, field_spec, second_look)
    for text in variants:
        if second is not None and same_reading(text, second, field_spec):
            return text, True, ()
    third = _restricted_reading(engine, cell, field_spec, _enlarged)
    readings = [r for r in (second, third) if r is not None]
    for text in variants:
        if third is not None and same_reading(text, third, field_spec):
            return text, True, ()
    if not rare and second is not None and third is not None and same_reading(second, third, field_spec):
        return second, True, ()  # a rare kanji the restricted readings cannot give stays unconfirmed
    return variants[0], False, tuple(dict.fromkeys(r for r in readings if r != variants[0]))


#: Mistakes banks make that a misreading hardly makes: a 法人番号 of digits only (of the wrong length, or
#: its check digit wrong), an impossible date written in full, an e-mail address without its @.
_MISTAKES: Mapping[str, re.Pattern[str]] = {
    "corporate_number": re.compile(r"[0-9]{10,15}"),
    "date": re.compile(
        r"(?:令和|平成)[0-9]{1,2}年[0-9]{1,2}月[0-9]{1,2}日|[0-9]{4}[/.-][0-9]{1,2}[/.-][0-9]{1,2}"
    ),
    "email": re.compile(r"[A-Za-z0-9._+-]+\.[A-Za-z]{2,}"),
}


def plausible_mistake(text: str, kind: str) -> bool:
    """Whether a value not of its type looks like the writer's own mistake rather than a misreading."""
    pattern = _MISTAKES.get(kind)
    return (
        pattern is not None
        and pattern.fullmatch(_bare(text).replace("-", "") if kind == "corporate_number" else _bare(text))
        is not None
    )


def _variants(text: str) -> list[str]:
    """What the first reading may mean: a Latin middle dot is a ・ or a gap between two words."""
    if not _LATIN_DOT.search(text):
        return [text]
    return [_LATIN_DOT.sub("\u3000", text), _LATIN_DOT.sub("・", text)]


def _as_is(line: np.ndarray) -> np.ndarray:
    return line


def _enlarged(line: np.ndarray) -> np.ndarray:
    return cv2.resize(
        line, None, fx=SECOND_READING_SCALE, fy=SECOND_READING_SCALE, interpolation=cv2.INTER_CUBIC
    )


def _restricted_reading(
    engine: LineReader, cell: Cell, field_spec: FieldSpec | None, prepare: Callable[[np.ndarray], np.ndarray]
) -> str | None:
    """The cell's lines, each prepared by ``prepare``, read with the field's alphabet."""
    kind = field_spec.type if field_spec is not None else "text"
    alphabet = ALPHABETS.get(kind) or (choice_alphabet(field_spec) if kind == "choice" else common_alphabet())
    texts = []
    for line in cell.lines:
        read = engine.read_line(prepare(line), alphabet)
        if read is not None:
            texts.append(read.text)
    return fix_text("".join(texts), field_spec) if texts else None


def choice_alphabet(field_spec: FieldSpec | None) -> frozenset[str]:
    """The characters of a choice field's printed choices (and of the aliases people write for them)."""
    labels = "".join(field_spec.choices.values()) if field_spec is not None else ""
    return frozenset(unicodedata.normalize("NFKC", labels + "・ ")) | frozenset("信金組メールファクス郵便")


@functools.cache
def common_alphabet() -> frozenset[str]:
    """The characters of everyday Japanese office text, in NFKC: cp932's signs, kana, Latin letters
    and JIS X 0208 level 1 kanji (codes below 0x989F: the 2,965 common ones), with ASCII."""
    chars = set(string.printable.strip()) | {"\u3000", "・", "ー", "〒", "々"}
    for lead in range(0x81, 0x99):
        for trail in [*range(0x40, 0x7F), *range(0x80, 0xFD)]:
            if (lead << 8) | trail >= 0x989F:
                break
            try:
                chars.add(unicodedata.normalize("NFKC", bytes((lead, trail)).decode("cp932")))
            except UnicodeDecodeError:
                continue
    return frozenset(c for c in chars if len(c) == 1)


def same_reading(a: str, b: str, field_spec: FieldSpec | None) -> bool:
    """Whether two readings say the same: the same value of a typed field, else the same text
    (NFKC, spaces aside: the second reading does not place spaces)."""
    kind = field_spec.type if field_spec is not None else "text"
    if kind in _TYPED:
        parse = _TYPED[kind]
        va, vb = parse(a), parse(b)
        return va == vb if va is not None else vb is None and _bare(a) == _bare(b) != ""
    if kind == "corporate_number":
        return corpnum.compact(a) == corpnum.compact(b) != ""
    return _bare(a) == _bare(b) != ""


def _bare(text: str) -> str:
    return nfkc_text(text).replace(" ", "")


def value_evidence(text: str, field_spec: FieldSpec | None) -> tuple[model.Evidence, ...]:
    """What the text itself says of its reading: its type's grammar, a check digit, a printed choice."""
    out: list[model.Evidence] = [] if in_japanese_charset(text) else [E.FOREIGN_CHARS]
    if lookalike_at(text):
        out.append(E.LOOKALIKE)
    if field_spec is None:
        return tuple(out)
    kind = field_spec.type
    if kind == "corporate_number":
        digits = corpnum.compact(text)
        ok = len(digits) == 13 and digits.isdigit()
        out += [E.GRAMMAR, E.CHECK_DIGIT] if ok and corpnum.is_valid(digits) else [E.CHECK_DIGIT_FAILED]
    elif kind in _TYPED:
        out.append(E.GRAMMAR if _TYPED[kind](text) is not None else E.GRAMMAR_FAILED)
    elif kind == "choice":
        written = _bare(text)
        if any(written == _bare(label) for label in field_spec.choices.values()):
            out.append(E.CHOICE_EXACT)
        elif parse_choice(text, field_spec.choices) is None:
            out.append(E.GRAMMAR_FAILED)
    return tuple(out)


def _first_reading(engine: OcrEngine, image: np.ndarray) -> list[OcrLine]:
    """One text line read by the engine with a margin of its paper's shade added left and right
    (``LINE_MARGIN_PX``), its boxes given back on the line as it was."""
    paper = int(np.percentile(image, 90)) if image.size else 255
    padded = cv2.copyMakeBorder(image, 0, 0, LINE_MARGIN_PX, LINE_MARGIN_PX, cv2.BORDER_CONSTANT, value=paper)
    m = float(LINE_MARGIN_PX)
    return [
        dataclasses.replace(ln, box=(max(0.0, ln.box[0] - m), ln.box[1], max(0.0, ln.box[2] - m), ln.box[3]))
        for ln in _line_reading(engine, padded)
    ]


def _line_reading(engine: OcrEngine, image: np.ndarray) -> list[OcrLine]:
    """One text line read by the engine; an unsure reading is checked by a second, enlarged one.

    Thin glyphs (i, l, ・) often score low at 200 dpi although they are read right. When a second
    reading of the line enlarged 1.5× gives the same text, its (usually higher) scores stand; when it
    gives another text, the line keeps the lower of the two scores.
    """
    first = sorted(engine.recognize(image), key=lambda ln: ln.box[0])
    if not first or _weakest_of(first) >= SECOND_READING_BELOW:
        return first
    big = cv2.resize(
        image, None, fx=SECOND_READING_SCALE, fy=SECOND_READING_SCALE, interpolation=cv2.INTER_CUBIC
    )
    second = sorted(engine.recognize(big), key=lambda ln: ln.box[0])
    if "".join(ln.text for ln in second) != "".join(ln.text for ln in first):
        floor = min(_weakest_of(first), _weakest_of(second) if second else 0.0)
        return [dataclasses.replace(ln, score=min(ln.score, floor)) for ln in first]
    if _weakest_of(second) <= _weakest_of(first):
        return first
    scale = 1 / SECOND_READING_SCALE
    return [
        dataclasses.replace(
            ln, box=(ln.box[0] * scale, ln.box[1] * scale, ln.box[2] * scale, ln.box[3] * scale)
        )
        for ln in second
    ]


def _weakest_of(lines: list[OcrLine]) -> float:
    return min(_weakest(ln, digits_only=False) for ln in lines)


# ── what the recogniser confuses ──────────────────────────────────────────────────────────────
#: A postal mark read as a letter or a lookalike: T144-0052 is 〒144-0052; a handwritten 〒 read as a
#: digit stands apart from the code ("1 144-0052") or makes four digits before the dash ("1144-0052").
_POSTAL_MARK = re.compile(
    r"^\s*(?:[^\d〒\s](?=\s*[0-9０-９]{3})|\S\s+(?=[0-9０-９]{3}[-ー−]?[0-9０-９]{4}\s*$)"
    r"|[0-9０-９](?=[0-9０-９]{3}[-ー−][0-9０-９]{4}\s*$))"
)
#: A speck read as a dot or comma beside 年, 月 or 日 of a date: 5月.12日 is 5月12日.
_DATE_SPECK = re.compile(r"(?<=[年月])\s*[.,·、。]\s*|\s*[.,·、。]\s*(?=[年月日])")
#: 丁目 in an address read as 丁自 / 丁日 / 丁月 (a fax's 目 loses a stroke): addresses never say 丁自.
_CHOME = re.compile(r"丁[自日月]")
_ADDRESS_FIELDS = frozenset({"hq_address", "tokyo_office_address"})
#: A Latin middle dot or bullet between two words: the recogniser's reading of a ・ or of a gap.
_LATIN_DOT = re.compile(r"(?<=\S)\s*[·•‧∙]\s*(?=\S)|(?<=[^\x00-\x7f])\.(?=[^\x00-\x7f])")


def fix_text(text: str, field_spec: FieldSpec | None) -> str:
    text = fix_lookalikes(text)
    if field_spec is not None and field_spec.type == "postal_code":
        text = _POSTAL_MARK.sub("〒", text)
    if field_spec is not None and field_spec.type == "date":
        text = _DATE_SPECK.sub("", text)
    if field_spec is not None and field_spec.type == "email":
        text = "".join(text.split())  # an address has no spaces: a wide gap in handwriting is none
    if field_spec is not None and field_spec.key in _ADDRESS_FIELDS:
        text = _CHOME.sub("丁目", text)
    return text


def in_japanese_charset(text: str) -> bool:
    """Whether every character is one of Japanese office text (JIS X 0208 and the Windows
    extensions: cp932, or shift_jis for ¥); the recogniser also knows Chinese forms such as 壳."""
    for ch in text:
        for charset in ("cp932", "shift_jis"):
            try:
                ch.encode(charset)
                break
            except UnicodeEncodeError:
                continue
        else:
            return False
    return True


# ── the engine's confidence (shown, not evidence) ─────────────────────────────────────────────
#: Highest confidence of a value that cannot be what its field holds.
IMPLAUSIBLE_CAP = 0.5
#: Highest confidence of a choice field read as something other than one of its printed choices.
LOOSE_CHOICE_CAP = 0.8
#: Lowest confidence of a choice read as exactly one of its printed choices.
EXACT_CHOICE_FLOOR = 0.95


def field_confidence(text: str, lines: list[OcrLine], field_spec: FieldSpec | None) -> float:
    """The engine's weakest character, lowered when the text cannot be a value of the field's type."""
    typed = field_spec is not None and field_spec.type in _DIGIT_TYPES
    scores = [_weakest(ln, digits_only=typed) for ln in lines]
    weakest = min(scores) if scores else 0.0
    mean = sum(ln.score for ln in lines) / len(lines) if lines else 0.0
    confidence = min(mean, weakest**0.5)
    if not in_japanese_charset(text):
        confidence = min(confidence, IMPLAUSIBLE_CAP)
    if field_spec is not None:
        cap = _type_cap(text, field_spec)
        if field_spec.type == "choice" and cap == 1.0:
            confidence = max(confidence, EXACT_CHOICE_FLOOR)  # one of a few printed words, read exactly
        confidence = min(confidence, cap)
    return max(0.0, min(1.0, confidence))


def _weakest(line: OcrLine, *, digits_only: bool) -> float:
    if not line.char_scores or len(line.char_scores) != len(line.text):
        return line.score
    pairs = list(zip(line.text, line.char_scores, strict=True))
    if digits_only and any(ch.isdigit() for ch, _ in pairs):
        pairs = [(ch, s) for ch, s in pairs if ch.isdigit()]
    return min(s for _, s in pairs)


def _type_cap(text: str, field_spec: FieldSpec) -> float:
    found = value_evidence(text, field_spec)
    if E.CHOICE_EXACT in found:
        return 1.0
    if field_spec.type == "choice":
        return IMPLAUSIBLE_CAP if E.GRAMMAR_FAILED in found else LOOSE_CHOICE_CAP
    return IMPLAUSIBLE_CAP if {E.GRAMMAR_FAILED, E.CHECK_DIGIT_FAILED} & set(found) else 1.0
