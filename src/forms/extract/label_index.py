"""Finding printed labels in a line of text, and what reading the lines collects (shared by the readers
of labels, of the agency row and of text no label claims)."""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from forms import spec
from forms.extract.marks import Site
from forms.extract.textlayer import Line, LineLayout
from forms.extract.ticks import CHECKED_MARKS, UNCHECKED_MARKS, AgencyName, normal

#: Fields whose value may run over several lines (Multiline in youshiki1.pdf).
MULTILINE_FIELDS = ("consultation", "reapplication_reason")
LEADING_JUNK = " \u3000\t:："
HINT_END = "のいずれかを記入)"
#: Lines whose labels an index keeps found (forgotten all at once past it), each of at most SEEN_CHARS
#: chars (a 様式1's are under 100; longer ones, a hostile document's, are looked at each time).
SEEN_LINES, SEEN_CHARS = 4096, 256


@dataclass(frozen=True)
class Match:
    key: str
    start: int  # label start in the line text
    end: int  # label end (value start)


class LabelIndex:
    """The printed labels of a form, normalised; where two start at one place, the longer is found."""

    def __init__(self, form: spec.FormSpec) -> None:
        named = ((normal(f.label), f.key) for f in form.fields.values())
        labels = sorted(((label, key) for label, key in named if label), key=lambda e: -len(e[0]))
        self._key_of: dict[str, str] = {}
        for label, key in labels:
            self._key_of.setdefault(label, key)
        #: Every label, longest first: a search finds the next place a label starts, and the longest.
        self._pattern = re.compile("|".join(re.escape(label) for label, _ in labels))
        self._labels = frozenset(self._key_of)
        self._starts = frozenset(label[:n] for label in self._labels for n in range(1, len(label) + 1))
        self.checkboxes = frozenset(f.key for f in form.of_type("checkbox"))
        self._seen: dict[tuple[str, frozenset[int]], tuple[Match, ...]] = {}  # matches(), by line
        self._normal: dict[str, str] = {}  # normal() of the spans asked about, by their text

    @classmethod
    def of(cls, form: spec.FormSpec) -> LabelIndex:
        """The index of ``form``, built once per form."""
        cached = _INDEXES.get(id(form))
        if cached is None or cached[0] is not form:
            cached = _INDEXES[id(form)] = (form, cls(form))
        return cached[1]

    def is_label(self, text: str) -> bool:
        return self._normal_of(text) in self._labels

    def is_label_start(self, text: str) -> bool:
        return self._normal_of(text) in self._starts

    def _normal_of(self, text: str) -> str:
        """``normal(text)``, kept for texts of at most SEEN_CHARS (SEEN_LINES of them, then forgotten at
        once): both questions are asked of each span, and a template's spans come back form after form."""
        found = self._normal.get(text)
        if found is None:
            found = normal(text)
            if len(text) <= SEEN_CHARS:
                if len(self._normal) >= SEEN_LINES:
                    self._normal.clear()
                self._normal[text] = found
        return found

    def matches(self, layout: LineLayout) -> list[Match]:
        """Labels in the line, left to right, each starting at a word or span boundary: found once for
        each text and its span starts, all they depend on (a template's lines come back form after form)."""
        if len(layout.text) > SEEN_CHARS:
            return self._matches(layout)
        key = (layout.text, layout.span_starts)
        found = self._seen.get(key)
        if found is None:
            if len(self._seen) >= SEEN_LINES:
                self._seen.clear()
            found = self._seen[key] = tuple(self._matches(layout))
        return list(found)

    def _matches(self, layout: LineLayout) -> list[Match]:
        norm, origin = normal_with_origin(layout.text)
        out: list[Match] = []
        found = self._pattern.search(norm)
        while found is not None:
            pos = found.start()
            if not is_boundary(layout, origin[pos]):
                found = self._pattern.search(norm, pos + 1)
                continue
            last = found.end() - 1
            out.append(Match(self._key_of[found.group()], origin[pos], origin[last] + 1))
            found = self._pattern.search(norm, last + 1)
        return out


#: LabelIndex.of: the index of each form seen, with the form (so its id stays its own).
_INDEXES: dict[int, tuple[spec.FormSpec, LabelIndex]] = {}


def normal_with_origin(text: str) -> tuple[str, list[int]]:
    """``normal(text)``, char by char, with the index in ``text`` of each normal char."""
    parts = list(map(_normal_char, text))
    norm = "".join(parts)
    if len(norm) == len(parts) - parts.count(""):  # each char one normal char or none (a space)
        return norm, list(itertools.compress(range(len(parts)), parts))
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for n in _normal_char(ch):
            chars.append(n)
            origin.append(i)
    return "".join(chars), origin


@functools.lru_cache(maxsize=8192)
def _normal_char(ch: str) -> str:
    return normal(ch)


def is_boundary(layout: LineLayout, i: int) -> bool:
    if i == 0 or i in layout.span_starts:
        return True
    before = layout.text[i - 1]
    return before.isspace() or before in CHECKED_MARKS or before in UNCHECKED_MARKS or before in ":："


def skipped(text: str) -> bool:
    """Notes (※ …) and choice hints (（… のいずれかを記入）) carry no field."""
    norm = normal(text)
    return norm.startswith("※") or (norm.startswith("(") and norm.endswith(HINT_END))


def x_at(layout: LineLayout, line: Line, i: int) -> float:
    """The x of char ``i`` of the line's text (the line's right end past its last char)."""
    return layout.xs[i] if i < len(layout.xs) else line.spans[-1].x1


@dataclass
class State:
    """What read_labels() collects while it walks the lines."""

    values: dict[str, str | bool] = field(default_factory=dict)
    found: set[str] = field(default_factory=set)
    unsure: set[str] = field(default_factory=set)
    sites: list[Site] = field(default_factory=list)
    consumed: set[int] = field(default_factory=set)  # lines taken as a value's continuation
    labelled: dict[int, tuple[LineLayout, list[Match]]] = field(default_factory=dict)
    orphans: list[int] = field(default_factory=list)  # lines no label claims
    names: tuple[AgencyName, ...] = ()
    agency_written: str | None = None
    checkboxes: frozenset[str] = frozenset()

    def put(self, key: str, value: str | bool) -> None:
        self.found.add(key)
        old = self.values.get(key)
        if isinstance(value, str) and isinstance(old, str) and old and value and normal(old) != normal(value):
            self.unsure.add(key)  # the same label twice with two different values
        if not old:
            self.values[key] = value


def join_lines(parts: Sequence[str]) -> str:
    """Join lines: no space between two Japanese (wide) chars, one space otherwise."""
    out = ""
    for part in parts:
        if out and part and not (wide(out[-1]) and wide(part[0])):
            out += " "
        out += part
    return out


def wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")
