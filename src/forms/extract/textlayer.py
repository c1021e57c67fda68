"""A PDF's text layer as lines of positioned spans, read with PDFium.

PDFium gives the page text in content order, with a generated ``\\r\\n`` wherever the next char
is not on the same line. Each such piece is one run of text on one baseline; we ask PDFium for
the boxes of its first and last chars only (and of the chars around its spaces, to split it at
wide gaps), which keeps a page at about a millisecond. Pieces whose vertical extents overlap
form a line; the spans of a line are ordered left to right.

Coordinates are PDF points, origin bottom left (``top`` > ``bottom``). ``flowing`` lets the pages flow
into one column (``Line.shift``): a page's first line follows the last line of the page before it, as the
text of a table row that a page break cut in two goes on at the top of the next page (``gap``).
"""

from __future__ import annotations

import ctypes
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from forms.extract import charkinds
from forms.extract.pdf import Pages, address, by_address

#: A gap wider than this share of the text height splits a run into two spans.
SPAN_GAP = 0.8
#: Spans closer than this share of the height are joined without a space.
JOIN_GAP = 0.25
#: Share of undecodable chars (U+FFFD, controls, private use, unassigned) above which a
#: text layer is garbage (fonts without a ToUnicode map, mis-mapped CMaps).
MAX_BAD_SHARE = 0.05
#: Chars further left than this share of the height than the char written before them are out of order.
_BACKWARDS = 0.5
#: A generated space no wider than this share of the height between a wide char and an ASCII letter or
#: digit is only spacing (word processors' autospace), not a space.
_SPACING = 0.35
#: In the flow of pages, a page's first line lies this share of its height below the last line before it.
PAGE_JOIN = 0.4
_BREAK = "\r\n"  # what PDFium puts between two lines of text
_SPACES = re.compile(r"\s+")  # what str.isspace() calls a space
_FIRST = frozenset((0,))  # the span starts of a line of one span
_X0 = attrgetter("x0")  # a span's sort key
_RECT, _SIDE = ctypes.POINTER(pdfium_c.FS_RECTF), ctypes.POINTER(ctypes.c_double)
_loose = by_address(pdfium_c.FPDFText_GetLooseCharBox, ctypes.c_int, ctypes.c_void_p, ctypes.c_int, _RECT)
_box = by_address(pdfium_c.FPDFText_GetCharBox, ctypes.c_int, ctypes.c_void_p, ctypes.c_int, *[_SIDE] * 4)


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    x0: float
    x1: float


@dataclass(frozen=True)
class Fragment:
    """The part of a wrapped label that a page break carried onto the next page (wrapped.py)."""

    page: int
    bottom: float
    top: float
    x0: float
    x1: float


@dataclass(frozen=True)
class Line:
    """Spans that share a baseline on one page, left to right."""

    page: int
    top: float
    bottom: float
    spans: tuple[Span, ...]
    block_bottom: float | None = None  # a label wrapped onto the lines below ends here (wrapped.py)
    shift: float = 0.0  # added to top and bottom, it puts the line in the flow of pages
    continued: tuple[Fragment, ...] = ()  # the label's rest on the next page (wrapped.py)

    @property
    def height(self) -> float:  # max(…, 1.0) written out: asked ~150 times a form
        return 1.0 if self.top - self.bottom < 1.0 else self.top - self.bottom

    @property
    def x0(self) -> float:
        return self.spans[0].x0

    @property
    def text(self) -> str:
        return self.layout().text

    def layout(self) -> LineLayout:
        """The line's text, spans joined by a space across a gap (made once: cached_property locks)."""
        made = self.__dict__.get("_layout")
        if made is None:
            made = self.__dict__["_layout"] = _layout_of(self.spans, JOIN_GAP * self.height)
        return made

    def shifted(self, shift: float) -> Line:
        """The line at ``shift`` in the flow of pages, its text kept: its fields copied (replace: ~4 µs)."""
        moved = object.__new__(Line)
        moved.__dict__.update(self.__dict__, shift=shift)
        return moved


def _layout_of(spans: tuple[Span, ...], join: float) -> LineLayout:
    if len(spans) == 1:  # most lines: the span's text as it is
        return LineLayout(spans[0].text, _FIRST, spans, join)
    texts: list[str] = []
    starts: list[int] = []
    at, before = 0, None
    for span in spans:
        if before is not None and span.x0 - before.x1 > join:
            texts.append(" ")
            at += 1
        starts.append(at)
        texts.append(span.text)
        at += len(span.text)
        before = span
    return LineLayout("".join(texts), frozenset(starts), spans, join)


def gap(upper: Line, lower: Line) -> float:
    """How far ``lower`` lies below ``upper`` in the flow of pages (negative: they overlap)."""
    return (upper.bottom + upper.shift) - (lower.top + lower.shift)


@dataclass(frozen=True)
class LineLayout:
    """A line's text: its spans joined, with a space where the gap between two is wider than ``join``."""

    text: str
    span_starts: frozenset[int]  # indexes where a span begins
    spans: tuple[Span, ...]
    join: float

    @cached_property
    def xs(self) -> tuple[float, ...]:
        """The left edge of each char (interpolated inside a span): asked of a few lines only."""
        xs: list[float] = []
        before = None
        for span in self.spans:
            if before is not None and span.x0 - before.x1 > self.join:
                xs.append(before.x1)
            size, x0 = len(span.text), span.x0
            step = (span.x1 - x0) / max(size, 1)
            xs.extend([x0 + step * i for i in range(size)])
            before = span
        return tuple(xs)


#: A run of text between two of PDFium's line breaks: (page, its first and last char's index in the
#: page's text page, bottom, top).
Run = tuple[int, int, int, float, float]


@dataclass(frozen=True)
class TextLayer:
    lines: tuple[Line, ...]
    chars: int  # visible chars (whitespace excluded)
    bad_chars: int
    japanese_chars: int  # kana and kanji
    image_pages: int  # pages without a single visible char but with an image (scanned pages)
    runs: tuple[Run, ...] = ()  # where the lines' chars are in the text pages (marks.py hides them)

    @property
    def has_text(self) -> bool:
        return self.chars > 0

    @property
    def decodable(self) -> bool:
        return self.chars > 0 and self.bad_chars <= MAX_BAD_SHARE * self.chars


@dataclass
class _Piece:
    top: float
    bottom: float
    spans: list[Span]


def read_text_layer(doc: pdfium.PdfDocument | Pages) -> TextLayer:
    """Lines of every page of ``doc``, top to bottom, with counts that tell garbage from text (a
    document's ``Pages`` keep their first pages loaded for the next reader)."""
    if isinstance(doc, pdfium.PdfDocument):
        with Pages(doc) as pages:
            return read_text_layer(pages)
    lines: list[Line] = []
    runs: list[Run] = []
    chars = bad = japanese = images = 0
    for index in range(len(doc)):
        with doc.page(index) as page, doc.textpage(index) as textpage:
            text = textpage.get_text_range()
            pieces = _pieces(textpage, text, runs, index)
            stats = charkinds.char_stats(text)
            images += stats[0] == 0 and _has_image(page)
        chars, bad, japanese = chars + stats[0], bad + stats[1], japanese + stats[2]
        lines.extend(_lines(index, pieces))
    return TextLayer(tuple(lines), chars, bad, japanese, images, tuple(runs))


def flowing(lines: Sequence[Line]) -> list[Line]:
    """``lines`` (page by page, top to bottom) with each page shifted to follow the page before it:
    its first line PAGE_JOIN of a line height below the lowest of that page's last lines."""
    out: list[Line] = []
    shift = 0.0
    for line in lines:
        if out and line.page != out[-1].page:
            end = min(prev.bottom for prev in out[-3:] if prev.page == out[-1].page) + shift
            shift = end - PAGE_JOIN * line.height - line.top
        out.append(line.shifted(shift) if shift else line)
    return out


def _has_image(page: pdfium.PdfPage) -> bool:
    return any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3))


Box = tuple[float, float, float, float]


class _Boxes:
    """A text page's char boxes asked of PDFium (get_charbox makes its structures at each call: +0.2 µs)."""

    def __init__(self, textpage: pdfium.PdfTextPage) -> None:
        self._page, self._rect = address(textpage.raw), pdfium_c.FS_RECTF()
        self._sides = [ctypes.c_double() for _ in range(4)]

    def loose(self, index: int) -> Box:  # (left, bottom, right, top) of the char's font box
        rect = self._rect
        if not _loose(self._page, index, rect):
            raise pdfium.PdfiumError("no box for a char")
        return rect.left, rect.bottom, rect.right, rect.top

    def width(self, index: int) -> float:  # of the glyph (0 for a space PDFium made up)
        left, right, bottom, top = self._sides
        if not _box(self._page, index, left, right, bottom, top):
            raise pdfium.PdfiumError("no box for a char")
        return right.value - left.value


def _pieces(textpage: pdfium.PdfTextPage, text: str, runs: list[Run], page: int) -> list[_Piece]:
    """One piece per run between PDFium's generated line breaks (each run put in ``runs``). A run of
    one span (no space in it, its chars left to right: most runs) is made here, ``_piece`` inlined."""
    pieces: list[_Piece] = []
    count, boxes = textpage.count_chars(), _Boxes(textpage)
    raw, rect, loose = address(textpage.raw), pdfium_c.FS_RECTF(), _loose
    start, space = 0, _SPACES.search
    for run in text.split(_BREAK):  # max() and min() written out: ~0.1 µs a call, three a run
        end = start + len(run)
        stripped = run.strip()
        first = start if stripped is run else end - len(run.lstrip())
        last = first + len(stripped) - 1
        if stripped and end <= count and space(stripped) is None and loose(raw, first, rect):
            x0, bottom, top = rect.left, rect.bottom, rect.top
            if loose(raw, last, rect):
                r_bottom, right, r_top = rect.bottom, rect.right, rect.top
                top, bottom = r_top if r_top > top else top, r_bottom if r_bottom < bottom else bottom
                height = top - bottom
                if right >= x0 - _BACKWARDS * (1.0 if height < 1.0 else height):
                    pieces.append(_Piece(top, bottom, [Span(stripped, x0, right)]))
                    runs.append((page, start, end - 1, bottom, top))
                    start = end + 2  # len(_BREAK)
                    continue
        made = _piece(boxes, text, (run, start, end), count)
        if len(made) == 1:
            pieces.append(made[0])
            runs.append((page, start, end - 1, made[0].bottom, made[0].top))
        elif made:
            pieces.extend(made)
            runs.append((page, start, end - 1, min(p.bottom for p in made), max(p.top for p in made)))
        start = end + len(_BREAK)
    return pieces


def _piece(boxes: _Boxes, text: str, at: tuple[str, int, int], count: int) -> list[_Piece]:
    """The piece of the run ``at`` = (its text, start, end in ``text``): one span when it holds no
    space (most runs), else split at its gaps."""
    run, start, end = at
    stripped = run.strip()
    if not stripped or end > count:
        return []
    first = start + (len(run) - len(run.lstrip()))
    last = first + len(stripped) - 1
    left, right = boxes.loose(first), boxes.loose(last)
    top, bottom = max(left[3], right[3]), min(left[1], right[1])
    height = max(top - bottom, 1.0)
    spans = None
    if right[2] >= left[0] - _BACKWARDS * height:
        if _SPACES.search(stripped) is None:
            return [_Piece(top=top, bottom=bottom, spans=[Span(stripped, left[0], right[2])])]
        spans = _split_at_gaps(boxes, text, first, last, (left[0], right[2]), height)
    if spans is None:  # chars out of reading order (a fallback font's glyphs written last, lines run on)
        return _pieces_by_chars(boxes, text, first, last)
    return [_Piece(top=top, bottom=bottom, spans=spans)]


def _pieces_by_chars(boxes: _Boxes, text: str, first: int, last: int) -> list[_Piece]:
    """A run whose chars are not written left to right: every char's box, in rows of chars that share
    half their height (PDFium may join two lines with a space instead of a line break)."""
    chars = [(boxes.loose(i), text[i]) for i in range(first, last + 1)]
    rows: list[list[tuple[Box, str]]] = []
    for box, ch in sorted(((b, c) for b, c in chars if b[2] > b[0]), key=lambda c: -c[0][3]):
        row = rows[-1] if rows else None
        if row is not None and min(b[1] for b, _ in row) - box[1] < 0.5 * (box[3] - box[1]):
            row.append((box, ch))
        else:
            rows.append([(box, ch)])
    return [_row_piece(row) for row in rows]


def _row_piece(row: list[tuple[Box, str]]) -> _Piece:
    """One row of chars put in order by x, split where the gap is wider than SPAN_GAP."""
    chars = sorted(row, key=lambda c: c[0][0])
    top, bottom = max(b[3] for b, _ in chars), min(b[1] for b, _ in chars)
    height = max(top - bottom, 1.0)
    spans: list[Span] = []
    start = 0
    for k in range(1, len(chars) + 1):
        if k == len(chars) or chars[k][0][0] - chars[k - 1][0][2] > SPAN_GAP * height:
            run = chars[start:k]
            spans.append(Span("".join(ch for _, ch in run).strip(), run[0][0][0], run[-1][0][2]))
            start = k
    return _Piece(top=top, bottom=bottom, spans=[s for s in spans if s.text])


def _split_at_gaps(
    boxes: _Boxes, text: str, first: int, last: int, xs: tuple[float, float], height: float
) -> list[Span] | None:
    """Split the run ``text[first:last+1]`` where spaces stand for a gap wider than SPAN_GAP, or None
    when the chars around a space go backwards (they are not in reading order).

    PDFium generates a zero-width space for a gap between text objects; a space that was written
    (U+3000 in 代表取締役\u3000見本) has its own width and does not split a value.
    """
    spans: list[Span] = []
    dropped: set[int] = set()
    span_start, span_x0 = first, xs[0]
    for space in _SPACES.finditer(text, first, last + 1):  # first and last are not spaces
        i, j = space.span()
        before = boxes.loose(i - 1)[2]
        after = boxes.loose(j)[0]
        if after < before - _BACKWARDS * height:
            return None
        drawn = boxes.width(i) if j == i + 1 else sum(map(boxes.width, range(i, j)))  # real spaces, not gaps
        if not drawn and after - before <= _SPACING * height and _mixed(text[i - 1], text[j]):
            dropped.update(range(i, j))  # the spacing a word processor puts between kanji and digits
        if after - before - drawn > SPAN_GAP * height:
            spans.append(Span(_kept(text, span_start, i, dropped), span_x0, before))
            span_start, span_x0 = j, after
    spans.append(Span(_kept(text, span_start, last + 1, dropped), span_x0, xs[1]))
    return spans


def _kept(text: str, start: int, end: int, dropped: set[int]) -> str:
    return "".join(text[k] for k in range(start, end) if k not in dropped) if dropped else text[start:end]


def _mixed(a: str, b: str) -> bool:
    """A wide (Japanese) char next to an ASCII letter or digit."""
    wide = [unicodedata.east_asian_width(c) in ("W", "F") for c in (a, b)]
    narrow = b if wide[0] else a
    return wide[0] != wide[1] and narrow.isascii() and narrow.isalnum()


def _lines(page: int, pieces: Sequence[_Piece]) -> list[Line]:
    """Group pieces whose vertical extents overlap by half the smaller height (a group begins as its
    first piece, which is this page's own, made for this)."""
    groups: list[_Piece] = []
    for piece in sorted(pieces, key=_minus_top):
        group = _overlapping(groups, piece)
        if group is None:
            groups.append(piece)
        else:
            group.spans.extend(piece.spans)
            group.top, group.bottom = max(group.top, piece.top), min(group.bottom, piece.bottom)
    return [
        Line(page, g.top, g.bottom, (g.spans[0],) if len(g.spans) == 1 else tuple(sorted(g.spans, key=_X0)))
        for g in sorted(groups, key=_minus_top)
    ]


def _minus_top(piece: _Piece) -> float:
    return -piece.top


def _overlapping(groups: Sequence[_Piece], piece: _Piece) -> _Piece | None:
    """The group (searched from the lowest up) sharing half its height with ``piece``."""
    top, bottom = piece.top, piece.bottom  # min() and max() written out: ~100 pieces a form
    for group in reversed(groups):
        g_top, g_bottom = group.top, group.bottom
        if g_bottom > top + g_top - g_bottom:
            return None  # this group and every earlier one lie well above the piece
        overlap = (top if top < g_top else g_top) - (bottom if bottom > g_bottom else g_bottom)
        if overlap >= 0.5 * (top - bottom if top - bottom < g_top - g_bottom else g_top - g_bottom):
            return group
    return None
