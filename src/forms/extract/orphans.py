"""Text no label claims: whose value it is, or which fields it makes unsure."""

from __future__ import annotations

from collections.abc import Sequence

from forms.extract.label_index import MULTILINE_FIELDS, LabelIndex, Match, State, join_lines, x_at
from forms.extract.textlayer import Line, Span, gap

#: Lines of one paragraph lie at most this share of a line height apart, their left edges aligned.
PARAGRAPH_GAP = 0.5


def from_orphans(state: State, lines: Sequence[Line], index: LabelIndex) -> None:
    """Text no label claims, in the value column of a labelled line right above or below it (a value
    centred in a taller row): each paragraph of such lines belongs to the labelled line it is clearly
    nearer to (touching it, the other a line away) — taken as the value when that label has none,
    put before or after a multi-line value — and otherwise makes the labels around it unsure (the text
    may be the value of either)."""
    orphans = frozenset(state.orphans)
    for run in _paragraphs(state.orphans, lines):
        above = _labelled_near(state, lines, run[0], -1, orphans)
        below = _labelled_near(state, lines, run[-1], +1, orphans)
        groups: dict[tuple[str | None, str | None], dict[int, list[Span]]] = {}
        for n in run:
            for span in lines[n].spans:
                up, down = _owner_of(state, lines, above, span.x0), _owner_of(state, lines, below, span.x0)
                up, down = (m if m is None or _holds_text(state, m.key) else None for m in (up, down))
                if up is not None or down is not None:
                    group = groups.setdefault((up.key if up else None, down.key if down else None), {})
                    group.setdefault(n, []).append(span)
        for (up_key, down_key), by_line in groups.items():
            text = join_lines([_text(lines[n], spans) for n, spans in sorted(by_line.items())])
            owner = _nearer(state, lines, run, (above, up_key), (below, down_key))
            if owner == "":
                continue
            if owner is None or not _give(state, owner, text, above_it=owner == down_key):
                state.unsure.update(k for k in (up_key, down_key) if k is not None)


def _paragraphs(orphans: Sequence[int], lines: Sequence[Line]) -> list[list[int]]:
    """The orphan lines in runs of one paragraph each (next in order, close below, left-aligned)."""
    runs: list[list[int]] = []
    for n in orphans:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and n == last + 1
            and lines[n].page == lines[last].page
            and gap(lines[last], lines[n]) <= PARAGRAPH_GAP * lines[n].height
            and abs(lines[last].x0 - lines[n].x0) <= PARAGRAPH_GAP * lines[n].height
        ):
            runs[-1].append(n)
        else:
            runs.append([n])
    return runs


def _text(line: Line, spans: Sequence[Span]) -> str:
    return Line(line.page, line.top, line.bottom, tuple(spans)).text.strip()


def _nearer(
    state: State,
    lines: Sequence[Line],
    run: Sequence[int],
    up: tuple[int | None, str | None],
    down: tuple[int | None, str | None],
) -> str | None:
    """The label the orphan paragraph ``run`` belongs to: the one whose line it touches (less than a
    third of a line height away) while the other is more than 0.8 of one away, else a blank one within
    0.8 of a line height above; "" when it belongs to neither (a heading, a page number), None when it
    cannot be told."""
    top, bottom = lines[run[0]], lines[run[-1]]
    height = max(lines[n].height for n in run)
    apart = [
        (gap(lines[up[0]], top) if up[0] is not None else None, up[1]),
        (gap(bottom, lines[down[0]]) if down[0] is not None else None, down[1]),
    ]
    known = [(d, key) for d, key in apart if d is not None and key is not None]
    near = [key for d, key in known if d < height / 3]
    if len(near) == 1 and all(d > 0.8 * height or key in near for d, key in known):
        return near[0]
    if near:
        return None
    blank_above = [key for d, key in known if key == up[1] and d <= 0.8 * height]
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


def _labelled_near(
    state: State, lines: Sequence[Line], n: int, step: int, orphans: frozenset[int]
) -> int | None:
    """The labelled line next to line ``n`` (above: step -1, below: +1), over orphan lines only (the
    state's, as a set), within 1.5 line heights of each other, on the same page (text at the top of a
    page is never given to a label at the bottom of the page before: a running header or a page number
    may stand there)."""
    k, here = n + step, lines[n]
    while 0 <= k < len(lines):
        other = lines[k]
        apart = gap(other, here) if step < 0 else gap(here, other)
        if other.page != here.page or apart > 1.5 * here.height:
            return None
        if k in state.labelled:
            return k
        if k not in orphans:
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
