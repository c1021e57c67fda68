"""Values found by their printed labels, in lines of a text layer.

A label (``FieldSpec.label`` of youshiki1.json) is recognised where a span or a word begins,
ignoring whitespace and NFKC-equivalent forms, longest label first. Its value is the text to its
right on the same line, up to the next label. So the official flattened 様式1 is read, and so is
a form re-typed in another layout with the same labels (other order, two pairs on one line).

- Choice hint lines (``（法人／個人事業者／組合 のいずれかを記入）``) and notes (``※ …``) are skipped.
- Multi-line fields take the lines below their first value line that start in the value column,
  until the next labelled line.
- Checkboxes become booleans: a mark (✓ ■ レ ○ …) after the label, or before it on lines written
  ``■label □label``; ``□``, ``☐`` or nothing is unticked.
- The agency row becomes the four ``agency_*`` booleans.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from forms import spec
from forms.extract.textlayer import Line, LineLayout

#: A text layer is a 様式1 when at least this many distinct labels are found.
MIN_LABELS = 12
#: Fields whose value may run over several lines (Multiline in youshiki1.pdf).
MULTILINE_FIELDS = ("consultation", "reapplication_reason")
CHECKED_MARKS = frozenset("✓✔☑☒■◼⬛●○◯〇◎レvVxX✗✘")
UNCHECKED_MARKS = frozenset("□☐◻⬜")
YES_WORDS = frozenset({"はい", "有", "あり", "済", "確認済", "yes", "on", "true", "1"})
#: Other ways banks write an agency's name (NFKC, no spaces), besides the printed one.
AGENCY_ALIASES: Mapping[str, tuple[str, ...]] = {
    "jetro": ("日本貿易振興機構", "ジェトロ", "jetro"),
    "scb": ("信金中央金庫",),
    "kosha": ("東京都中小企業振興公社", "中小企業振興公社"),
    "smrj": ("中小企業基盤整備機構", "中小機構"),
}
_LEADING_JUNK = " \u3000\t:："
_HINT_END = "のいずれかを記入)"


@dataclass(frozen=True)
class LabelReading:
    values: Mapping[str, str | bool]
    labels_found: int


@dataclass(frozen=True)
class _Match:
    key: str
    start: int  # label start in the line text
    end: int  # label end (value start)


def normal(text: str) -> str:
    """The form in which labels are compared: NFKC, case-folded, without whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


class LabelIndex:
    """The printed labels of a form, by first normalised char, longest first."""

    def __init__(self, form: spec.FormSpec) -> None:
        by_first: dict[str, list[tuple[str, str]]] = {}
        for f in form.fields.values():
            label = normal(f.label)
            by_first.setdefault(label[0], []).append((label, f.key))
        self._by_first = {k: sorted(v, key=lambda e: -len(e[0])) for k, v in by_first.items()}
        self.checkboxes = frozenset(f.key for f in form.of_type("checkbox"))

    def matches(self, layout: LineLayout) -> list[_Match]:
        """Labels in the line, left to right, each starting at a word or span boundary."""
        norm, origin = _normal_with_origin(layout.text)
        out: list[_Match] = []
        pos = 0
        while pos < len(norm):
            found = self._label_at(norm, pos) if _is_boundary(layout, origin[pos]) else None
            if found is None:
                pos += 1
                continue
            label, key = found
            last = pos + len(label) - 1
            out.append(_Match(key, origin[pos], origin[last] + 1))
            pos = last + 1
        return out

    def _label_at(self, norm: str, pos: int) -> tuple[str, str] | None:
        for label, key in self._by_first.get(norm[pos], ()):
            if norm.startswith(label, pos):
                return label, key
        return None


def _normal_with_origin(text: str) -> tuple[str, list[int]]:
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for n in normal(ch):
            chars.append(n)
            origin.append(i)
    return "".join(chars), origin


def _is_boundary(layout: LineLayout, i: int) -> bool:
    if i == 0 or i in layout.span_starts:
        return True
    before = layout.text[i - 1]
    return before.isspace() or before in CHECKED_MARKS or before in UNCHECKED_MARKS or before in ":："


def _skipped(text: str) -> bool:
    """Notes (※ …) and choice hints (（… のいずれかを記入）) carry no field."""
    norm = normal(text)
    return norm.startswith("※") or (norm.startswith("(") and norm.endswith(_HINT_END))


def read_labels(lines: Sequence[Line], form: spec.FormSpec) -> LabelReading:
    """Values of every labelled field found in ``lines`` (in page order, top to bottom)."""
    index = LabelIndex(form)
    values: dict[str, str | bool] = {}
    found: set[str] = set()
    for n, line in enumerate(lines):
        layout = line.layout()
        if _skipped(layout.text):
            continue
        matches = index.matches(layout)
        for key, value in _line_values(layout, matches, index.checkboxes).items():
            found.add(key)
            if key in MULTILINE_FIELDS and matches[-1].key == key:
                value = _with_continuation(value, line, matches[-1], lines[n + 1 :], index)
            if not values.get(key):
                values[key] = value
    if "agency" in values:
        values.update(agency_ticks(str(values.pop("agency"))))
    return LabelReading(values=values, labels_found=len(found))


def _line_values(
    layout: LineLayout, matches: list[_Match], checkboxes: frozenset[str]
) -> dict[str, str | bool]:
    """Each label's value: the text up to the next label; checkboxes as booleans."""
    if not matches:
        return {}
    text = layout.text
    ends = [m.start for m in matches[1:]] + [len(text)]
    segments = [text[m.end : end] for m, end in zip(matches, ends, strict=True)]
    prefix_mode = _trailing_mark(text[: matches[0].start]) is not None
    out: dict[str, str | bool] = {}
    for k, m in enumerate(matches):
        segment = segments[k]
        if prefix_mode:
            before = text[: m.start] if k == 0 else segments[k - 1]
            mark = _trailing_mark(before)
            if k + 1 < len(matches) and _trailing_mark(segment) is not None:
                segment = segment.rstrip()[:-1]
        else:
            mark = None
        value = segment.strip().lstrip(_LEADING_JUNK).strip()
        if m.key in checkboxes:
            out.setdefault(m.key, _ticked(value or (mark or "")))
        else:
            out.setdefault(m.key, value)
    return out


def _trailing_mark(text: str) -> str | None:
    """The box mark that ends ``text`` as a word of its own (``■`` in ``… ■``), if any."""
    stripped = text.rstrip()
    if not stripped:
        return None
    last = stripped[-1]
    is_mark = last in CHECKED_MARKS or last in UNCHECKED_MARKS or normal(last) in CHECKED_MARKS
    alone = len(stripped) == 1 or stripped[-2].isspace() or last not in "vVxXレ"
    return last if is_mark and alone else None


def _ticked(written: str) -> bool:
    text = written.strip()
    if not text:
        return False
    first = normal(text[0])[:1]
    if text[0] in UNCHECKED_MARKS or first in UNCHECKED_MARKS:
        return False
    return first in CHECKED_MARKS or normal(text) in YES_WORDS


def agency_ticks(written: str) -> dict[str, bool]:
    """The four agency checkboxes from the agency row's text.

    With box marks (``✓日本貿易振興機構（ジェトロ） 信金中央金庫 …`` or ``■… □…``) the marks decide;
    without any, the names written are the chosen ones — unless all four are there (the printed
    list of a form on which nothing was ticked).
    """
    norm = "".join(unicodedata.normalize("NFKC", written).casefold().split())
    positions = {a: _first_position(norm, names) for a, names in AGENCY_ALIASES.items()}
    named = {a: p for a, p in positions.items() if p is not None}
    marks = {a: _mark_before(norm, p) for a, p in named.items()}
    if any(m is not None for m in marks.values()):
        ticked = {a for a, m in marks.items() if m is not None and m in CHECKED_MARKS}
    elif len(named) == len(AGENCY_ALIASES):
        ticked = set()
    else:
        ticked = set(named)
    return {f"agency_{a}": a in ticked for a in spec.AGENCIES}


def _first_position(norm: str, names: tuple[str, ...]) -> int | None:
    found = [p for p in (norm.find(normal(n)) for n in names) if p >= 0]
    return min(found) if found else None


def _mark_before(norm: str, pos: int) -> str | None:
    if pos == 0:
        return None
    before = norm[pos - 1]
    return before if before in CHECKED_MARKS or before in UNCHECKED_MARKS else None


def _with_continuation(
    value: str | bool, labelled: Line, match: _Match, below: Sequence[Line], index: LabelIndex
) -> str | bool:
    """``value`` with the lines that continue it below, in its value column."""
    if not isinstance(value, str):
        return value
    layout = labelled.layout()
    start = match.end + len(layout.text[match.end :]) - len(layout.text[match.end :].lstrip(_LEADING_JUNK))
    column = layout.xs[start] if value and start < len(layout.xs) else layout.xs[match.end - 1]
    previous_bottom = labelled.bottom
    parts = [value] if value else []
    for line in below:
        gap = previous_bottom - line.top
        if line.page != labelled.page or line.x0 < column - 0.6 * line.height or gap > 1.5 * line.height:
            break
        next_layout = line.layout()
        if _skipped(next_layout.text) or index.matches(next_layout):
            break
        parts.append(next_layout.text.strip())
        previous_bottom = line.bottom
    return _join(parts)


def _join(parts: Sequence[str]) -> str:
    """Join lines: no space between two Japanese (wide) chars, one space otherwise."""
    out = ""
    for part in parts:
        if out and part and not (_wide(out[-1]) and _wide(part[0])):
            out += " "
        out += part
    return out


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")
