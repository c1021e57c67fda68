"""Text no label claims: whose value it is, or which fields it makes unsure."""

from __future__ import annotations

from collections.abc import Sequence

from forms.extract.label_index import MULTILINE_FIELDS, LabelIndex, Match, State, join_lines, x_at
from forms.extract.textlayer import Line, Span


def from_orphans(state: State, lines: Sequence[Line], index: LabelIndex) -> None:
    """Text no label claims, in the value column of a labelled line right above or below it (a value
    centred in a taller row): it belongs to the line it is clearly nearer to (touching it, the other
    a line away) — taken as the value when that label has none, added to a multi-line value —
    and otherwise makes the labels around it unsure (the text may be the value of either)."""
    for n in state.orphans:
        line = lines[n]
        above, below = _labelled_near(state, lines, n, -1), _labelled_near(state, lines, n, +1)
        groups: dict[tuple[str | None, str | None], list[Span]] = {}
        for span in line.spans:
            up, down = _owner_of(state, lines, above, span.x0), _owner_of(state, lines, below, span.x0)
            up, down = (m if m is None or _holds_text(state, m.key) else None for m in (up, down))
            if up is not None or down is not None:
                key = (up.key if up else None, down.key if down else None)
                groups.setdefault(key, []).append(span)
        for (up_key, down_key), spans in groups.items():
            text = Line(line.page, line.top, line.bottom, tuple(spans)).text.strip()
            owner = _nearer(state, lines, n, (above, up_key), (below, down_key))
            if owner == "":
                continue
            if owner is None or not _give(state, owner, text, above_it=owner == down_key):
                state.unsure.update(k for k in (up_key, down_key) if k is not None)


def _nearer(
    state: State,
    lines: Sequence[Line],
    n: int,
    up: tuple[int | None, str | None],
    down: tuple[int | None, str | None],
) -> str | None:
    """The label the orphan line ``n`` belongs to: the one whose line it touches (less than a third of a
    line height away) while the other is more than 0.8 of one away, else a blank one within 0.8 of a line
    height above; "" when it belongs to neither (a heading), None when it cannot be told."""
    line = lines[n]
    gaps = [
        (lines[up[0]].bottom - line.top if up[0] is not None else None, up[1]),
        (line.bottom - lines[down[0]].top if down[0] is not None else None, down[1]),
    ]
    gaps = [(gap, key) for gap, key in gaps if gap is not None and key is not None]
    near = [key for gap, key in gaps if gap < line.height / 3]
    if len(near) == 1 and all(gap > 0.8 * line.height or key in near for gap, key in gaps):
        return near[0]
    if near:
        return None
    blank_above = [key for gap, key in gaps if key == up[1] and gap <= 0.8 * line.height]
    return blank_above[0] if blank_above and not state.values.get(blank_above[0]) else ""


def _holds_text(state: State, key: str) -> bool:
    return key not in state.checkboxes and key != "agency"


def _give(state: State, key: str, text: str, *, above_it: bool) -> bool:
    """``text`` as the value (or more of the multi-line value) of ``key``; False when it cannot be."""
    if key in state.checkboxes or key == "agency":
        return False
    old = state.values.get(key)
    if not old:
        state.put(key, text)
        return True
    if key not in MULTILINE_FIELDS or not isinstance(old, str):
        return False
    state.values[key] = join_lines([text, old] if above_it else [old, text])
    return True


def _labelled_near(state: State, lines: Sequence[Line], n: int, step: int) -> int | None:
    """The labelled line next to line ``n`` (above: step -1, below: +1), over orphan lines only, within
    1.5 line heights of each other, on the same page."""
    k, here = n + step, lines[n]
    while 0 <= k < len(lines):
        other = lines[k]
        gap = other.bottom - here.top if step < 0 else here.bottom - other.top
        if other.page != here.page or gap > 1.5 * here.height:
            return None
        if k in state.labelled:
            return k
        if k not in state.orphans:
            return None
        here, k = other, k + step
    return None


def _owner_of(state: State, lines: Sequence[Line], n: int | None, x: float) -> Match | None:
    """The label of line ``n`` whose value column holds ``x`` (the rightmost label ending left of it)."""
    if n is None:
        return None
    layout, matches = state.labelled[n]
    line = lines[n]
    owners = [m for m in matches if x_at(layout, line, m.end) <= x + 0.5 * line.height]
    return owners[-1] if owners else None
