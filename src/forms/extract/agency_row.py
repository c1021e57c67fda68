"""The agency row: the four agencies' names on the labelled line and the lines that continue it (above
and below, in its value column), each with the mark the text puts before it, and the sites whose ink
decides the names that have none."""

from __future__ import annotations

import re
from collections.abc import Sequence

from forms.extract.label_index import LabelIndex, Match, State, normal_with_origin, skipped, x_at
from forms.extract.marks import Site
from forms.extract.textlayer import Line, LineLayout
from forms.extract.ticks import AGENCY_ALIASES, AgencyName, find_names, is_mark, normal

_ROW_PUNCTUATION = frozenset("（）()、,，・/／:：")
_CJK_START = 0x2E80  # kana, kanji and full-width forms: the words of names, never a tick's glyph


def read_agency_row(
    state: State,
    lines: Sequence[Line],
    n: int,
    at: tuple[LineLayout, Match, tuple[int, int], float],
    index: LabelIndex,
) -> None:
    """The agencies named on the agency row and on the lines that continue it in its value column."""
    layout, m, segment, limit = at
    line = lines[n]
    state.found.add("agency")
    column = x_at(layout, line, m.end)
    rows = [(line, layout, segment)]
    for step in (-1, 1):
        near = line
        for k in range(n + step, n + 4 * step, step):
            if not 0 <= k < len(lines) or k in state.labelled:
                break
            other, other_layout = lines[k], lines[k].layout()
            gap = other.bottom - near.top if step < 0 else near.bottom - other.top
            if other.page != line.page or gap > 0.8 * other.height or other.x0 < column - 0.5 * other.height:
                break
            if skipped(other_layout.text) or index.matches(other_layout):
                break
            rows.append((other, other_layout, (0, len(other_layout.text))))
            state.consumed.add(k)
            near = other
    rows.sort(key=lambda r: -r[0].top)
    found = _names_on(rows, limit)
    keep = [k for row, row_layout, at in rows for k in _unexplained(row, row_layout, at, found)]
    state.names = tuple(found)
    state.agency_written = " ".join(r[1].text[r[2][0] : r[2][1]].strip() for r in rows)
    state.sites.extend(Site(f"agency_{x.agency}", x.page, x.bottom, x.top, x.x0, x.x1, limit, tuple(keep))
                       for x in state.names if x.mark is None)  # fmt: skip


def _unexplained(
    line: Line, layout: LineLayout, at: tuple[int, int], names: Sequence[AgencyName]
) -> list[tuple[float, float]]:
    """x ranges of the chars on the agency row that are neither a name, a mark nor punctuation (a glyph
    such as a dingbat tick without a Unicode map): their ink is read, not masked."""
    text = layout.text
    latin_names = {i for m in re.finditer("jetro", text.casefold()) for i in range(m.start(), m.end())}
    out = []
    for i in range(*at):
        ch = text[i]  # the char's x asked only of what its kind does not explain (CJK first: most are)
        if ord(ch) >= _CJK_START or ch.isspace() or ch in _ROW_PUNCTUATION or is_mark(ch) or i in latin_names:
            continue
        x = x_at(layout, line, i)
        if not any(n.x0 <= x < n.x1 for n in names):
            out.append((x, x_at(layout, line, i + 1)))
    return out


def _names_on(rows: Sequence[tuple[Line, LineLayout, tuple[int, int]]], limit: float) -> list[AgencyName]:
    """The agencies named on the row's lines, read as one text (a name may wrap onto the next line)."""
    norm, where = "", []
    for r, (_, layout, (a, z)) in enumerate(rows):
        part, origin = normal_with_origin(layout.text[a:z])
        norm += part
        where.extend((r, a + i) for i in origin)
    out = []
    for agency, (pos, mark) in find_names(norm).items():
        (r, first), (r_last, last) = (
            where[pos],
            where[min(len(where) - 1, pos + _name_length(norm, pos, agency) - 1)],
        )
        line, layout, _ = rows[r]
        x1 = x_at(layout, line, last + 1) if r_last == r else line.spans[-1].x1
        out.append(
            AgencyName(
                agency, mark, line.page, line.bottom, line.top, x_at(layout, line, first), min(x1, limit)
            )
        )
    return out


def _name_length(norm: str, pos: int, agency: str) -> int:
    return max(len(normal(n)) for n in AGENCY_ALIASES[agency] if norm.startswith(normal(n), pos))
