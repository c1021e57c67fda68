"""Values found by their printed labels, in lines of a text layer.

A label (``FieldSpec.label`` of youshiki1.json) is recognised where a span or a word begins,
ignoring whitespace and NFKC-equivalent forms, longest label first; a label a narrow column wrapped
onto the lines below is joined first (``forms.extract.wrapped``). Its value is the text to its
right on the same line, up to the next label. So the official flattened 様式1 is read, and so is
a form re-typed in another layout with the same labels (other order, two pairs on one line).

- Choice hint lines (``（法人／個人事業者／組合 のいずれかを記入）``) and notes (``※ …``, with the
  lines that continue them) are skipped.
- Multi-line fields take the lines below their first value line that start in the value column,
  until the next labelled line.
- Text that no label claims, in the value column just below a label (a value a browser centred in a
  taller cell), is that label's value when the label has none; otherwise the fields around it are
  *unsure* (a clerk decides), as is a field read twice with two different values.
- Checkboxes become booleans: a mark (✓ ■ レ ○ …) after the label, or before it on lines written
  ``■label □label``; ``□``, ``☐`` is unticked. When the text says nothing certain (nothing, or an
  unknown glyph), the checkbox is a *site* whose ink decides (``forms.extract.marks``).
- The agency row (with the lines that continue it) gives the agencies' names and their marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from forms import spec
from forms.extract import agency_row, orphans, wrapped
from forms.extract.label_index import (
    LEADING_JUNK,
    MULTILINE_FIELDS,
    LabelIndex,
    Match,
    State,
    join_lines,
    skipped,
    x_at,
)
from forms.extract.marks import Site
from forms.extract.textlayer import Line, LineLayout, flowing, gap
from forms.extract.ticks import AgencyName, agency_ticks, is_mark, normal, tick_state

__all__ = ["MIN_LABELS", "LabelIndex", "LabelReading", "agency_ticks", "normal", "read_labels"]

#: A text layer is a 様式1 when at least this many distinct labels are found.
MIN_LABELS = 12
FAR_RIGHT = 10_000.0  # no label to the right: a site's search reaches the page's edge


@dataclass(frozen=True)
class LabelReading:
    values: dict[str, str | bool]
    labels_found: int
    sites: tuple[Site, ...] = ()  # checkboxes whose text says nothing certain: their ink decides
    agency_names: tuple[AgencyName, ...] = ()
    agency_written: str | None = None  # the agency row's text (None: no agency label)
    unsure: frozenset[str] = frozenset()  # keys that cannot be told for sure
    found: frozenset[str] = frozenset()  # keys whose label was found


def read_labels(lines: Sequence[Line], form: spec.FormSpec) -> LabelReading:
    """Values of every labelled field found in ``lines`` (in page order, top to bottom)."""
    index = LabelIndex.of(form)
    lines = wrapped.join_wrapped_labels(flowing(lines), index.is_label, index.is_label_start)
    state = State(checkboxes=index.checkboxes)
    note: Line | None = None
    for n, line in enumerate(lines):
        if n in state.consumed:
            continue
        layout = line.layout()
        if _continues_note(note, line) or skipped(layout.text):
            note = line if normal(layout.text).startswith("※") or note is not None else None
            continue
        note = None
        matches = index.matches(layout)
        if not matches:
            state.orphans.append(n)
            continue
        state.labelled[n] = (layout, matches)
        _read_line(state, lines, n, (layout, matches), index)
    state.orphans = [n for n in state.orphans if n not in state.consumed]
    orphans.from_orphans(state, lines, index)
    return LabelReading(
        values=state.values,
        labels_found=len(state.found),
        sites=tuple(state.sites),
        agency_names=state.names,
        agency_written=state.agency_written,
        unsure=frozenset(state.unsure),
        found=frozenset(state.found),
    )


def _continues_note(note: Line | None, line: Line) -> bool:
    """A line that goes on with the note above it (close below, starting near its left edge)."""
    if note is None or note.page != line.page:
        return False
    return (
        gap(note, line) <= 0.8 * line.height
        and note.x0 - line.height <= line.x0 <= note.x0 + 3 * line.height
    )


def _read_line(
    state: State, lines: Sequence[Line], n: int, read: tuple[LineLayout, list[Match]], index: LabelIndex
) -> None:
    layout, matches = read
    line = lines[n]
    for k, (m, value, segment) in enumerate(_line_values(layout, matches, index.checkboxes)):
        limit = FAR_RIGHT  # the next label's x, asked only by a site (a line's xs are made when asked)
        if k + 1 < len(matches) and (m.key == "agency" or (value is None and m.key in index.checkboxes)):
            limit = x_at(layout, line, matches[k + 1].start)
        if m.key == "agency":
            agency_row.read_agency_row(state, lines, n, (layout, m, segment, limit), index)
        elif m.key in index.checkboxes:
            state.put(m.key, bool(value))
            if value is None and m.key not in {s.key for s in state.sites}:
                keep = (
                    ((x_at(layout, line, segment[0]), x_at(layout, line, segment[1])),)
                    if segment[1] > segment[0]
                    else ()
                )
                state.sites.extend(_sites(m, line, layout, limit, keep))
        else:
            if m.key in MULTILINE_FIELDS and k == len(matches) - 1:
                value, used = _with_continuation(str(value), line, m, lines, n, index)
                state.consumed.update(used)
            state.put(m.key, str(value))


def _sites(
    m: Match, line: Line, layout: LineLayout, limit: float, keep: tuple[tuple[float, float], ...]
) -> list[Site]:
    """Where the ink of the checkbox labelled ``m`` is read: beside the label's block on its page, and
    beside each fragment of it that a page break carried over (one box among them decides)."""
    bottom = line.block_bottom if line.block_bottom is not None else line.bottom
    x0, x1 = x_at(layout, line, m.start), x_at(layout, line, m.end)
    first = Site(m.key, line.page, bottom, line.top, x0, x1, limit, keep, line.height)
    rest = [Site(m.key, f.page, f.bottom, f.top, f.x0, f.x1, limit, (), line.height) for f in line.continued]
    return [first, *rest]


def _line_values(
    layout: LineLayout, matches: list[Match], checkboxes: frozenset[str]
) -> list[tuple[Match, str | bool | None, tuple[int, int]]]:
    """Each label's value: the text up to the next label (checkboxes: True, False or None when the
    text says nothing certain), with the span of the text it was read from."""
    text = layout.text
    ends = [m.start for m in matches[1:]] + [len(text)]
    prefix_mode = _trailing_mark(text[: matches[0].start]) is not None
    out: list[tuple[Match, str | bool | None, tuple[int, int]]] = []
    for k, m in enumerate(matches):
        segment = text[m.end : ends[k]]
        mark = None
        if prefix_mode:
            before = text[: m.start] if k == 0 else text[matches[k - 1].end : m.start]
            mark = _trailing_mark(before)
            if k + 1 < len(matches) and _trailing_mark(segment) is not None:
                segment = segment.rstrip()[:-1]
        value = segment.strip().lstrip(LEADING_JUNK).strip()
        span = (m.end, m.end + len(segment.rstrip()))
        if m.key in checkboxes:
            out.append((m, tick_state(value or (mark or "")), span))
        else:
            out.append((m, value, span))
    return out


def _trailing_mark(text: str) -> str | None:
    """The box mark that ends ``text`` as a word of its own (``■`` in ``… ■``), if any."""
    stripped = text.rstrip()
    if not stripped:
        return None
    last = stripped[-1]
    alone = len(stripped) == 1 or stripped[-2].isspace() or last not in "vVxXレ"
    return last if is_mark(last) and alone else None


def _with_continuation(
    value: str, labelled: Line, match: Match, lines: Sequence[Line], n: int, index: LabelIndex
) -> tuple[str, list[int]]:
    """``value`` with the lines that continue it below, in its value column (and their indexes)."""
    layout = labelled.layout()
    start = match.end + len(layout.text[match.end :]) - len(layout.text[match.end :].lstrip(LEADING_JUNK))
    column = layout.xs[start] if value and start < len(layout.xs) else layout.xs[match.end - 1]
    previous = labelled
    parts = [value] if value else []
    used: list[int] = []
    for k in range(n + 1, len(lines)):
        line = lines[k]
        if line.x0 < column - 0.6 * line.height or gap(previous, line) > 1.5 * line.height:
            break
        if line.page != previous.page and line.x0 > column + 0.6 * line.height:
            break  # over a page break only a line that starts in the value column goes on (not "2／2")
        next_layout = line.layout()
        if skipped(next_layout.text) or index.matches(next_layout):
            break
        parts.append(next_layout.text.strip())
        used.append(k)
        previous = line
    return join_lines(parts), used
