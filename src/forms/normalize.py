"""Normalisation: raw values as written on a 様式1 → values in normal form (pure functions).

Each parser returns the normal form, or None when the text cannot be read as its type; none raises.
``normalize`` applies them to an Extraction by the types of youshiki1.json: an unreadable value is
FIELD_INVALID, or a low-confidence field when OCR read it. Text is only ever data: a template, markup
or a formula is kept literally. Era dates cover 令和 and 平成 (R/H); 昭和 and older are not application dates.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from forms import model
from forms.errors import Code
from forms.spec import AGENCIES, AGENCY_FIELDS, FieldSpec, FormSpec

_WS = re.compile(r"\s+")
#: Dash-like characters that people (and NFKC) leave in numbers: hyphen, dashes, minus, 長音符.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−ー﹣", "-"))
#: Longest compacted text a numeric parser looks at (keeps int() far from its digit limit).
_MAX_NUMERIC_LEN = 64


@functools.lru_cache(maxsize=4096)
def nfkc_text(s: str) -> str:
    """NFKC, trimmed, every run of whitespace (newlines included) turned into one ASCII space (a value
    is asked for it several times on its way through normalise and validate: computed once)."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", s)).strip()


def _compact(s: str) -> str:
    """NFKC, dashes folded to '-', all whitespace removed: the form numeric parsers read."""
    return _WS.sub("", unicodedata.normalize("NFKC", s).translate(_DASHES))


# ── dates ─────────────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class _Era:
    offset: int  # Western year = era year + offset
    first: dt.date
    last: dt.date | None


_REIWA = _Era(2018, dt.date(2019, 5, 1), None)
_HEISEI = _Era(1988, dt.date(1989, 1, 8), dt.date(2019, 4, 30))
_ERAS: Mapping[str, _Era] = {"令和": _REIWA, "r": _REIWA, "平成": _HEISEI, "h": _HEISEI}

_YMD = (
    r"(?:年(?P<m1>[0-9]{1,2})月(?P<d1>[0-9]{1,2})日"
    r"|(?P<sep>[./-])(?P<m2>[0-9]{1,2})(?P=sep)(?P<d2>[0-9]{1,2}))"
)
_WEEKDAY = r"(?:\((?P<wd>[月火水木金土日])(?:曜日?)?\))?"
_ERA_DATE = re.compile(r"(?P<era>令和|平成|[RHrh])(?P<y>元|[0-9]{1,2})" + _YMD + _WEEKDAY)
_WESTERN_DATE = re.compile(r"(?:西暦)?(?P<y>[0-9]{4})" + _YMD + _WEEKDAY)
_DIGITS_DATE = re.compile(r"(?P<y>[0-9]{4})(?P<m1>[0-9]{2})(?P<d1>[0-9]{2})")


def _ymd(year: int, month: str, day: str, weekday: str | None) -> dt.date | None:
    try:
        d = dt.date(year, int(month), int(day))
    except ValueError:
        return None
    if weekday is not None and "月火水木金土日"[d.weekday()] != weekday:
        return None  # the written weekday contradicts the date: which one is wrong is unknowable
    return d


def _matched_date(m: re.Match[str], year: int) -> dt.date | None:
    return _ymd(year, m["m1"] or m["m2"], m["d1"] or m["d2"], m["wd"])


def parse_date(s: str) -> dt.date | None:
    """令和8年5月12日, 令和元年5月1日, R8.5.12, H31.4.30, 2026/5/12, 2026-05-12, 2026年5月20日 → date."""
    t = _compact(s)
    if m := _ERA_DATE.fullmatch(t):
        era = _ERAS[m["era"].lower()]
        year = 1 if m["y"] == "元" else int(m["y"])
        d = _matched_date(m, era.offset + year) if year >= 1 else None
        if d is None or d < era.first or (era.last is not None and d > era.last):
            return None
        return d
    if m := _WESTERN_DATE.fullmatch(t):
        return _matched_date(m, int(m["y"]))
    m = _DIGITS_DATE.fullmatch(t)
    return _ymd(int(m["y"]), m["m1"], m["d1"], None) if m else None


# ── amounts and counts ────────────────────────────────────────────────────────────────────────
_NUMBER = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)"
_AMOUNT_TERM = re.compile(rf"(?P<int>{_NUMBER})(?:\.(?P<frac>[0-9]+))?(?P<small>[千百十]?)(?P<big>[億万]?)")
_SMALL_UNITS: Mapping[str, int] = {"": 1, "十": 10, "百": 100, "千": 1000}
_BIG_UNITS: Mapping[str, int] = {"": 1, "万": 10**4, "億": 10**8}
_YEN_PREFIX = re.compile(r"^金?[¥\\]?")
_YEN_SUFFIX = re.compile(r"(?:円)?(?:也)?-?$")


def _amount_terms(body: str) -> list[re.Match[str]] | None:
    """The terms of an amount (3億 / 2,000万 / 5,000), or None when they do not cover the text."""
    terms: list[re.Match[str]] = []
    pos = 0
    while pos < len(body):
        m = _AMOUNT_TERM.match(body, pos)
        if m is None:
            return None
        terms.append(m)
        pos = m.end()
    return terms or None


def _amount_value(terms: list[re.Match[str]]) -> int | None:
    """Exact sum of the terms; units must fall (億 then 万 then yen) and each term fit its slot."""
    total_num, scale = 0, 1  # the amount is total_num / scale, kept exact in integers
    previous_big: int | None = None
    for m in terms:
        big = _BIG_UNITS[m["big"]]
        frac = m["frac"] or ""
        num = int(m["int"].replace(",", "") + frac) * _SMALL_UNITS[m["small"]] * big
        den = 10 ** len(frac)
        if previous_big is not None and (big >= previous_big or num >= previous_big * den):
            return None  # 1万2億, or 1億12,000万: not an amount anyone writes
        total_num, scale = total_num * den + num * scale, scale * den
        previous_big = big
    if total_num % scale:
        return None  # fractions of a yen
    return total_num // scale


def parse_yen(s: str) -> int | None:
    """3億円, 1億2,000万円, 30,000千円, ¥30,000,000, ￥3,000,000-, 金3,000,000円, 2.5億円 → yen."""
    t = _compact(s)
    if len(t) > _MAX_NUMERIC_LEN:
        return None
    body = _YEN_SUFFIX.sub("", _YEN_PREFIX.sub("", t, count=1), count=1)
    terms = _amount_terms(body)
    return None if terms is None else _amount_value(terms)


_COUNT = re.compile(rf"(?P<n>{_NUMBER})(?:人|名)?")


def parse_count(s: str) -> int | None:
    """45人, 28名, ３２人, 45 → int; approximate or negative counts are not counts."""
    t = _compact(s)
    if len(t) > _MAX_NUMERIC_LEN or not (m := _COUNT.fullmatch(t)):
        return None
    return int(m["n"].replace(",", ""))


# ── checkboxes and choices ────────────────────────────────────────────────────────────────────
_TICKED = frozenset("☑☒✓✔✅■●○◯〇レvx✗✘済有") | {"あり", "はい", "yes", "on", "true", "1", "checked"}
_UNTICKED = frozenset("□☐無") | {"", "なし", "いいえ", "no", "off", "false", "0"}
_MARKS = "☑☒✓✔✅■●○◯〇☐□"
_MARK_SPLIT = re.compile(f"([{_MARKS}])")


def parse_checkbox(v: str | bool) -> bool | None:
    """A checkbox state from a PDF value (/Yes, /Off) or a mark in text (☑ ■ ✓ レ ○ … / □ ☐)."""
    if isinstance(v, bool):
        return v
    t = nfkc_text(v).casefold()
    if len(t) > 1 and t.startswith("/"):
        t = t[1:]  # a PDF name: /Yes, /Off
    if t in _TICKED:
        return True
    if t in _UNTICKED:
        return False
    return None


_CHOICE_NOISE = re.compile(r"[\s・/,、()\[\]\-_.:]")
#: Other ways people write a choice label, keyed by the label's comparison form.
_LABEL_ALIASES: Mapping[str, frozenset[str]] = {
    "email": frozenset({"メール", "eメール", "電子メール", "mail"}), "郵送": frozenset({"郵便"}),
    "fax": frozenset({"ファクス", "ファックス", "ファクシミリ"}), "信用金庫": frozenset({"信金"}),
    "信用組合": frozenset({"信組"}),
}  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _choice_form(s: str) -> str:
    """How choice text is compared: NFKC, case-folded, without spaces and punctuation (the choices'
    labels are compared with every choice field of every form: each is computed once)."""
    return _CHOICE_NOISE.sub("", unicodedata.normalize("NFKC", s).casefold())


def _exact_choices(form: str, choices: Mapping[str, str]) -> set[str]:
    found = set()
    for key, label in choices.items():
        label_form = _choice_form(label)
        if form in (label_form, _choice_form(key)) or form in _LABEL_ALIASES.get(label_form, ()):
            found.add(key)
    return found


def _marked_items(text: str, choices: Mapping[str, str]) -> list[tuple[str | None, str]]:
    """(mark, text) pairs of a printed choice list such as ``■法人 □個人事業者 □組合``."""
    items: list[tuple[str | None, str]] = []
    mark: str | None = None  # a mark applies to the text after it, even across a space
    for word in text.split():
        for part in _MARK_SPLIT.split(word):
            if (len(part) == 1 and part in _MARKS) or part == "レ":
                mark = part
            elif part:
                if mark is None and part.startswith("レ") and not _exact_choices(_choice_form(part), choices):
                    mark, part = "レ", part[1:]  # レ written as a tick in front of the label
                items.append((mark, part))
                mark = None
    return items


def _ticked_choice(text: str, choices: Mapping[str, str]) -> tuple[bool, str | None]:
    """(whether the text is a marked list, the one ticked key or None)."""
    items = _marked_items(text, choices)
    if not any(mark for mark, _ in items):
        return False, None
    ticked = [
        _exact_choices(_choice_form(part), choices) for mark, part in items if mark and parse_checkbox(mark)
    ]
    keys = set().union(*ticked) if ticked else set()
    if len(keys) != 1 or any(len(found) != 1 for found in ticked):
        return True, None
    return True, keys.pop()


def parse_choice(s: str, choices: Mapping[str, str]) -> str | None:
    """The key of ``choices`` ({key: label}) that the text names or ticks; None when unknown or ambiguous."""
    form = _choice_form(s)
    if not form:
        return None
    exact = _exact_choices(form, choices)
    if exact:
        return exact.pop() if len(exact) == 1 else None
    is_list, key = _ticked_choice(unicodedata.normalize("NFKC", s), choices)
    if is_list:
        return key
    # an abbreviation: the text is part of exactly one label (製造業 → 製造業・その他)
    partial_match = [k for k, label in choices.items() if len(form) >= 2 and form in _choice_form(label)]
    return partial_match[0] if len(partial_match) == 1 else None


# ── contact details and identifiers ───────────────────────────────────────────────────────────
_PHONE_PREFIX = re.compile(r"^(?:tel|電話番号|電話|☎)[:.]?", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"\+?[0-9()\-]+")


def parse_phone(s: str) -> str | None:
    """03-1234-5678, 03(1234)5678, ０３－１２３４－５６７８, +81-3-1234-5678 → hyphenated number."""
    t = _PHONE_PREFIX.sub("", nfkc_text(s).translate(_DASHES)).strip()
    t = re.sub(r"\s+", "-", t)
    if len(t) > _MAX_NUMERIC_LEN or not _PHONE_CHARS.fullmatch(t):
        return None
    number = re.sub(r"-{2,}", "-", t.replace("(", "-").replace(")", "-")).strip("-")
    digits = re.sub(r"[^0-9]", "", number)
    if number.startswith("+"):
        ok = digits.startswith("81") and digits[2:3] != "0" and 9 <= len(digits) - 2 <= 10
    else:
        ok = digits.startswith("0") and 10 <= len(digits) <= 11
    return number if ok and "+" not in number[1:] else None


_POSTAL_CODE = re.compile(r"〒?(?P<a>[0-9]{3})-?(?P<b>[0-9]{4})")


def parse_postal_code(s: str) -> str | None:
    """〒144-0052, 1440052, １４４－００５２ → 144-0052."""
    m = _POSTAL_CODE.fullmatch(_compact(s))
    return f"{m['a']}-{m['b']}" if m else None


_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,})"
)


def parse_email(s: str) -> str | None:
    """An address with one @ and a dotted domain, as written but with the domain in lower case."""
    t = nfkc_text(s).removeprefix("mailto:")
    m = _EMAIL.fullmatch(t)
    return f"{m['local']}@{m['domain'].lower()}" if m else None


_CORPORATE_NUMBER = re.compile(r"[0-9]{13}")


def parse_corporate_number_digits(s: str) -> str | None:
    """The 13 digits of a 法人番号 (spaces and hyphens removed); the check digit is not checked here."""
    t = _compact(s).replace("-", "")
    return t if _CORPORATE_NUMBER.fullmatch(t) else None


_LEGAL_FORMS = re.compile(r"株式会社|有限会社|合同会社|合資会社|合名会社|\((?:株|有|同|資|名)\)")


def normalize_company_name(s: str) -> str:
    """Identity key of a company: NFKC, no spaces, no legal-form words (株式会社, ㈱ …) anywhere."""
    return _LEGAL_FORMS.sub("", _WS.sub("", unicodedata.normalize("NFKC", s)))


# ── a whole form ──────────────────────────────────────────────────────────────────────────────
_Parser = Callable[[str], model.FieldValue]
_Values = Mapping[str, model.RawValue]
#: The parser of each field type of youshiki1.json (checkboxes and choices are read apart).
PARSERS: Mapping[str, _Parser] = {
    "text": nfkc_text, "date": parse_date, "yen": parse_yen, "integer": parse_count, "phone": parse_phone,
    "postal_code": parse_postal_code, "email": parse_email, "corporate_number": parse_corporate_number_digits,
}  # fmt: skip


@dataclass
class _Reading:  # what normalize() collects while it reads one Extraction
    fields: dict[str, model.FieldValue] = field(default_factory=dict)
    problems: list[model.Problem] = field(default_factory=list)
    low_confidence: set[str] = field(default_factory=set)
    certain: set[str] = field(default_factory=set)  # OCR-read fields the evidence makes certain

    def unreadable(self, key: str, raw: model.RawValue) -> None:
        """A value not of its type: the bank's mistake when typed (or read certainly), else a misread."""
        if raw.confidence < 1.0 and key not in self.certain:
            self.low_confidence.add(key)
        else:
            self.problems.append(model.problem(Code.FIELD_INVALID, key, value=raw.value))


def _parse(spec_field: FieldSpec, value: str) -> model.FieldValue:
    if spec_field.type == "choice":
        return parse_choice(value, spec_field.choices)
    return PARSERS.get(spec_field.type, nfkc_text)(value)


def _read_checkbox(reading: _Reading, key: str, raw: model.RawValue | None) -> bool:
    if raw is None:
        return False
    ticked = parse_checkbox(raw.value)
    if ticked is None:
        reading.unreadable(key, raw)
    return bool(ticked)


def _read_agencies(reading: _Reading, choices: Mapping[str, str], values: _Values) -> tuple[str, ...]:
    ticked = tuple(a for a in AGENCIES if _read_checkbox(reading, "agency", values.get(f"agency_{a}")))
    written = values.get("agency")  # a reader may give the agency as written text instead
    if ticked or written is None or isinstance(written.value, bool) or not nfkc_text(written.value):
        return ticked
    key = parse_choice(written.value, choices)
    if key is None:
        reading.unreadable("agency", written)
        return ()
    return (key,)


def _read_field(reading: _Reading, spec_field: FieldSpec, raw: model.RawValue | None) -> None:
    key = spec_field.key
    if spec_field.type == "checkbox":
        reading.fields[key] = _read_checkbox(reading, key, raw)
        return
    if raw is None or (isinstance(raw.value, str) and not nfkc_text(raw.value)):
        return  # blank: whether it was required is validation's question
    value = None if isinstance(raw.value, bool) else _parse(spec_field, raw.value)
    if value is None:
        reading.unreadable(key, raw)
    else:
        reading.fields[key] = value


def normalize(
    extraction: model.Extraction,
    spec: FormSpec,
    *,
    min_confidence: float,
    certainty: Mapping[str, model.FieldCertainty] | None = None,
) -> model.Normalized:
    """Fields of one 様式1 in normal form, keyed by youshiki1.json keys, with what could not be read;
    unsure: not certain by ``certainty`` (OCR, forms.certainty), else read under ``min_confidence``."""
    values, agencies = extraction.values, ()
    reading = _Reading(certain={k for k, c in (certainty or {}).items() if c.certain})
    for spec_field in spec.fields.values():
        if spec_field.key == "agency":
            agencies = _read_agencies(reading, spec_field.choices, values)
            if len(agencies) == 1:
                reading.fields["agency"] = agencies[0]
        else:
            _read_field(reading, spec_field, values.get(spec_field.key))
    for name, raw in values.items():  # an AcroForm name; the four agency boxes are the field "agency"
        key = "agency" if name in AGENCY_FIELDS else name
        if not certainty[key].certain if certainty and key in certainty else raw.confidence < min_confidence:
            reading.low_confidence.add(key)
    return model.Normalized(
        fields=reading.fields,
        agencies=agencies,
        raw={name: raw.value for name, raw in values.items()},
        problems=tuple(reading.problems),
        low_confidence=frozenset(reading.low_confidence),
        certainty=certainty or {},
    )
