"""Labels that a narrow table column wrapped onto the next lines, put back on one line.

Word, LibreOffice and browsers wrap a long label (東京都・支援機関・金融機関間の情報共有への同意) inside
its cell: the line holds the label's start, the lines below its rest, each starting at the same x.
A span that is the start of a label (and not a whole label by itself) is joined with the span right
below it, left-aligned within half a line height and at most 1.5 line heights lower, for as long as
the joined text stays the start of a label (lines in between with nothing at that x, such as a value
centred beside the label, are stepped over); when the join gives a whole label, the span becomes that
label, the line's ``block_bottom`` the bottom of its last piece, and the pieces below are taken out of
their lines. Otherwise nothing changes. A label goes on over a page break (the pages flow into one
column, ``textlayer.gap``): the pieces on the next page become the line's ``continued`` fragments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from forms.extract.textlayer import Fragment, Line, Span, gap

MAX_LINES = 4  # a label wraps onto at most this many lines
MIN_START = 2  # a span this short is not taken for the start of a wrapped label


def join_wrapped_labels(
    lines: Sequence[Line], is_label: Callable[[str], bool], is_label_start: Callable[[str], bool]
) -> list[Line]:
    """``lines`` with every wrapped label joined (``is_label``: the text is a whole label;
    ``is_label_start``: it is the start of one)."""
    out = list(lines)
    for n in range(len(out)):
        for k, span in enumerate(out[n].spans):
            joined = _join(out, n, span, is_label, is_label_start)
            if joined is None:
                continue
            text, used = joined
            spans = list(out[n].spans)
            spans[k] = replace(span, text=text)
            here = [out[m].bottom for m, _ in used if out[m].page == out[n].page]
            block_bottom = min(here) if here else None
            continued = tuple(
                Fragment(out[m].page, out[m].bottom, out[m].top, piece.x0, piece.x1)
                for m, piece in used
                if out[m].page != out[n].page
            )
            out[n] = replace(out[n], spans=tuple(spans), block_bottom=block_bottom, continued=continued)
            for m, piece in used:
                out[m] = replace(out[m], spans=tuple(s for s in out[m].spans if s is not piece))
    return [line for line in out if line.spans]


def _join(
    lines: list[Line],
    n: int,
    span: Span,
    is_label: Callable[[str], bool],
    is_label_start: Callable[[str], bool],
) -> tuple[str, list[tuple[int, Span]]] | None:
    text = span.text  # not the start of a label first: most spans are values (a whole label is a start)
    if len(text.strip()) < MIN_START or not is_label_start(text) or is_label(text):
        return None
    used: list[tuple[int, Span]] = []
    above = lines[n]
    for m in range(n + 1, min(len(lines), n + 2 * MAX_LINES)):
        below = lines[m]
        if gap(above, below) > 1.5 * below.height:
            return None
        piece = next((s for s in below.spans if abs(s.x0 - span.x0) <= 0.5 * below.height), None)
        if piece is None:
            continue  # a line of the value cell beside the label (a value centred in a taller row)
        text += piece.text
        used.append((m, piece))
        if is_label(text):
            return text, used
        if not is_label_start(text):
            return None
        above = below
    return None
