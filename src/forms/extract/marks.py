"""Ticks that the text layer does not tell: the ink beside a checkbox's label, looked at as a scan would.

A PDF printed through Ghostscript or cairo keeps a filled checkbox only as the drawing of its
appearance (a vector tick in a square); a browser draws ``<input type=checkbox>`` as paths; a dingbat
font without a Unicode map gives a glyph whose text means nothing. When the text beside a checkbox
label says nothing certain, the band of that line is rendered (PDFium, a small crop at 4× scale) and
its ink read (a crop reaching 1.2 line heights above and below, so a box taller than the text fits):

- text is masked out (every span of the text layer on the band, except the unexplained marks);
- table rulings are removed (horizontal and vertical runs longer than a mark can be, and what is left
  of a cell's border where the crop or the page cuts it: a thin straight stroke a line height long);
- what is left falls into connected parts: specks are dropped; a *frame* (ink on all four sides of
  its box: a square, a circle) is ticked when its inside holds ink and empty when it does not; any
  other part of a mark's size is a mark (a tick, a cross, a filled square).

Each part is given to one site (a checkbox label or an agency's name) on the band: the site it
stands right before (a box in front of its label), else the nearest site to its left. A site with
nothing is unticked, with one frame or mark it is what that says; anything else (two parts, a
half-filled frame, a part too big for a mark) is *unsure*: confidence 0, a clerk decides.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from forms import model
from forms.extract import hidden_text, seen_ink
from forms.extract.pdf import Pages
from forms.extract.textlayer import Run

SCALE = 4.0  # render scale (288 dpi): a 9 pt line is ~36 px high
#: The quick look at 72 dpi, where any darkening is ink: a band that shows nothing but clean empty
#: boxes (or nothing) is decided from it; anything else is looked at closely, at FULL.
QUICK, FULL = (1.0, 250), (SCALE, 150)
REACH = 1.2  # the crop reaches this many line heights above and below the line
INK_BELOW = 150  # gray level under which a pixel is ink
#: A frame's inside (inset 25 %) under this share of ink is empty, at or over TICKED_SHARE ticked.
EMPTY_SHARE, TICKED_SHARE = 0.02, 0.06
SIDE_COVER = 0.6  # share of a side's length that must be inked for the part to be a frame
PREFIX_GAP = 1.5  # a part at most this many line heights before a site stands in front of it
MIN_MARK, MAX_MARK = 0.3, 2.5  # a mark's size in line heights (smaller: a speck; larger: not a mark)
RULE_WIDTH = 0.15  # a stroke at most this thick (line heights) and a line height long is a ruling
SURE, UNSURE = 1.0, 0.0
#: How pypdfium2's ``render(grayscale=True)`` asks PDFium to draw: on white, in gray, annotations too.
_WHITE, _GRAY = 0xFFFFFFFF, pdfium_c.FPDF_GRAYSCALE | pdfium_c.FPDF_ANNOT
_SEEN = seen_ink.SeenInk()  # what this reader found in the bands it looked at last


@dataclass(frozen=True)
class Site:
    """Where one checkbox's mark would be: beside ``x0``–``x1`` (its label, or an agency's name),
    on the band ``bottom``–``top`` of page ``page`` (a wrapped label's whole block), in PDF points;
    ``limit`` bounds the search to the right (the next label); ``keep`` are x ranges of text that is
    not masked (unexplained glyphs)."""

    key: str
    page: int
    bottom: float
    top: float
    x0: float
    x1: float
    limit: float
    keep: tuple[tuple[float, float], ...] = ()
    height: float = 0.0  # the text's line height (0: top - bottom)

    @property
    def line_height(self) -> float:
        return self.height or max(self.top - self.bottom, 1.0)


@dataclass(frozen=True)
class Mark:
    """What the ink beside one site says: ``ticked``; ``sure`` (else a clerk decides); ``drawn``:
    there was a box or a mark at all (an empty box is drawn, unticked and sure)."""

    ticked: bool
    sure: bool
    drawn: bool

    def raw(self) -> model.RawValue:
        return model.RawValue(self.ticked, SURE if self.sure else UNSURE)


@dataclass
class _Part:
    x0: float  # points
    x1: float
    frame: bool
    inside: float  # share of ink inside (frames)
    size: float  # larger side, in line heights
    sites: list[str] = field(default_factory=list)


#: Text boxes (x0, x1, bottom, top) per page: what is masked before the ink is read.
TextBoxes = Mapping[int, Sequence[tuple[float, float, float, float]]]


def read_marks(
    pages: Pages, sites: Sequence[Site], text_boxes: TextBoxes, runs: Sequence[Run] = ()
) -> dict[str, Mark]:
    """The state of every site's checkbox: ticked or not (sure), or unsure (a clerk decides). A key
    with several sites (a label a page break cut in two) is read on each (``combined``). The text of
    ``runs`` (the text layer's) that the masks would clear anyway is not drawn (``hidden_text``)."""
    read: dict[str, list[Mark]] = {}
    groups: dict[tuple[int, float, float], list[Site]] = {}
    for site in sites:
        groups.setdefault((site.page, round(site.bottom, 1), round(site.top, 1)), []).append(site)
    for page_no in sorted({page_no for page_no, _, _ in groups}):
        on_page = [group for (p, _, _), group in sorted(groups.items()) if p == page_no]
        text = (pages.kept_textpage(page_no), [r for r in runs if r[0] == page_no])
        with pages.page(page_no) as page:
            for key, mark in _read_page(page, on_page, text_boxes.get(page_no, ()), text).items():
                read.setdefault(key, []).append(mark)
    return {key: combined(found) for key, found in read.items()}


def combined(found: Sequence[Mark]) -> Mark:
    """One checkbox read at several sites: sure when each site is and at most one shows a box or a
    mark (that one decides; none: unticked); two boxes for one label cannot be told apart."""
    drawn = [m for m in found if m.drawn]
    if not all(m.sure for m in found) or len(drawn) > 1:
        return Mark(False, False, True)
    return drawn[0] if drawn else Mark(False, True, False)


@dataclass(frozen=True)
class _Band:
    """The region looked at for the sites of one line: ``line`` (bottom, top) with REACH above and
    below, from before the first label to the furthest limit."""

    sites: tuple[Site, ...]
    height: float
    line: tuple[float, float]
    box: tuple[float, float, float, float]  # left, bottom, right, top

    @property
    def keep(self) -> list[tuple[float, float]]:
        return [k for s in self.sites for k in s.keep]


def _read_page(
    page: pdfium.PdfPage,
    groups: Sequence[Sequence[Site]],
    boxes: Sequence[tuple[float, float, float, float]],
    text: tuple[pdfium.PdfTextPage | None, Sequence[Run]],
) -> dict[str, Mark]:
    """The marks of the sites on one page: every band first at a quick look (one picture for them all);
    a band showing anything but clean empty boxes is looked at closely. ``text``: the page's text page
    and runs, whose masked text is not drawn."""
    out: dict[str, Mark] = {}
    bands = []
    for sites in groups:
        band = None if page.get_rotation() % 360 else _band(page, sites)
        if band is None:
            out.update({s.key: Mark(False, False, True) for s in sites})
        else:
            bands.append(band)
    if not bands:
        return out
    whole = tuple(f(b.box[i] for b in bands) for i, f in enumerate((min, min, max, max)))
    with hidden_text.hidden(*text, boxes, [hidden_text.Look(b.box, b.keep) for b in bands]):
        picture = (_render(page, whole, QUICK[0]), whole)
        for band in bands:
            quick = _look(page, band, boxes, QUICK, picture)
            if not all(p.frame and p.inside == 0.0 and p.size <= MAX_MARK for p in quick):
                quick = _look(page, band, boxes, FULL)  # anything but clean boxes (or nothing at all)
            out.update(_decide(band.sites, quick, band.height))
    return out


def _band(page: pdfium.PdfPage, sites: Sequence[Site]) -> _Band | None:
    height = max(s.line_height for s in sites)
    line = (min(s.bottom for s in sites), max(s.top for s in sites))
    bottom, top = line[0] - REACH * height, line[1] + REACH * height
    left = max(0.0, min(s.x0 for s in sites) - (PREFIX_GAP + 1.5) * height)
    width, page_height = page.get_size()
    right = min(width, max(s.limit for s in sites))
    left_box, bottom_box = page.get_bbox()[:2]
    off_page = min(left - left_box, bottom - bottom_box, page_height - top) < -1
    if right - left < 1 or top - bottom < 1 or off_page:
        return None
    return _Band(tuple(sites), height, line, (max(left, left_box), max(bottom, bottom_box), right,
                                              min(top, page_height)))  # fmt: skip


def _render(page: pdfium.PdfPage, box: tuple[float, float, float, float], scale: float) -> np.ndarray:
    """The gray picture of ``box`` (left, bottom, right, top, in points) at ``scale``: what pypdfium2's
    ``page.render(scale=scale, crop=…, grayscale=True)`` draws, by PDFium's own calls into a numpy array
    (its helper costs ~40 µs a picture around them)."""
    left, bottom, right, top = box
    width, height = page.get_size()
    left_box, bottom_box = page.get_bbox()[:2]
    crop = [math.ceil(max(0.0, c) * scale) for c in (left - left_box, bottom - bottom_box, width - right,
                                                      height - top)]  # fmt: skip
    full_w, full_h = math.ceil(width * scale), math.ceil(height * scale)
    w, h = full_w - crop[0] - crop[2], full_h - crop[1] - crop[3]
    if w < 1 or h < 1:
        raise ValueError("crop exceeds the page")
    image = np.empty((h, w), np.uint8)
    bitmap = pdfium_c.FPDFBitmap_CreateEx(w, h, pdfium_c.FPDFBitmap_Gray, image.ctypes.data, w)
    try:
        pdfium_c.FPDFBitmap_FillRect(bitmap, 0, 0, w, h, _WHITE)
        pdfium_c.FPDF_RenderPageBitmap(bitmap, page.raw, -crop[0], -crop[3], full_w, full_h, 0, _GRAY)
    finally:
        pdfium_c.FPDFBitmap_Destroy(bitmap)
    return image


def _look(
    page: pdfium.PdfPage,
    band: _Band,
    boxes: Sequence[tuple[float, float, float, float]],
    how: tuple[float, int],
    picture: tuple[np.ndarray, tuple[float, float, float, float]] | None = None,
) -> list[_Part]:
    """The parts of the band's ink at ``how`` = (scale, the gray level under which a pixel is ink),
    cut from ``picture`` (an image of a larger box) when given; those of ink seen before (``seen_ink``)."""
    scale, ink_below = how
    left, bottom, right, top = band.box
    if picture is None:
        image = _render(page, band.box, scale)
    else:
        whole, (w_left, _, _, w_top) = picture
        r0, c0 = round((w_top - top) * scale), round((left - w_left) * scale)
        image = whole[r0 : r0 + round((top - bottom) * scale), c0 : c0 + round((right - left) * scale)]
    ink = image < ink_below
    _mask_text(ink, boxes, band.keep, (left, bottom, top, scale))
    key = _SEEN.key(ink, (band.height, left, top, scale, band.line))
    found = _SEEN.get(key)
    if found is None:
        parts = _parts(_without_rulings(ink, band.height * scale), band.height, (left, top, scale), band.line)
        found = _SEEN.put(key, tuple((p.x0, p.x1, p.frame, p.inside, p.size) for p in parts))
    return [_Part(*part) for part in found]


def _mask_text(
    ink: np.ndarray,
    boxes: Iterable[tuple[float, float, float, float]],
    keep: Sequence[tuple[float, float]],
    origin: tuple[float, float, float, float],
) -> None:
    """Clear the ink of every text box (x0, x1, bottom, top) on the band, except the kept x ranges."""
    left, bottom, top, scale = origin
    h, w = ink.shape
    for x0, x1, b, t in boxes:
        if t < bottom or b > top:
            continue
        for a, z in _minus((x0, x1), keep) if keep else ((x0, x1),):
            c0, c1 = max(0, int((a - left) * scale) - 1), min(w, int((z - left) * scale) + 2)
            r0, r1 = max(0, int((top - t) * scale) - 1), min(h, int((top - b) * scale) + 2)
            if c1 > c0 and r1 > r0:
                ink[r0:r1, c0:c1] = False


def _minus(span: tuple[float, float], holes: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    pieces = [span]
    for h0, h1 in holes:
        pieces = [p for a, z in pieces for p in ((a, min(z, h0)), (max(a, h1), z)) if p[1] > p[0]]
    return pieces


def _without_rulings(ink: np.ndarray, px: float) -> np.ndarray:
    """Ink less the horizontal and vertical runs longer than a mark (table rulings); ``px``: the line
    height in pixels."""
    run = max(3, int(MAX_MARK * px))
    rulings = _long_runs(ink, run) | _long_runs(ink.T, run).T
    return ink & ~rulings


def _long_runs(ink: np.ndarray, run: int) -> np.ndarray:
    """The pixels of every row's runs of ink at least ``run`` long: a morphological opening by a
    1 × run line — where the line fits wholly in ink (erosion anchored at its first pixel, nothing
    outside the image), then every pixel such a place covers (dilation anchored at its last) —
    computed on the few rows that hold that much ink."""
    out = np.zeros_like(ink)
    rows = np.flatnonzero(_row_counts(ink) >= run)
    if rows.size == 0:
        return out
    line, edge = np.ones((1, run), np.uint8), {"borderType": cv2.BORDER_CONSTANT, "borderValue": 0}
    fits = cv2.erode(ink[rows].view(np.uint8), line, anchor=(0, 0), **edge)
    out[rows] = cv2.dilate(fits, line, anchor=(run - 1, 0), **edge) > 0
    return out


def _row_counts(ink: np.ndarray) -> np.ndarray:
    """The inked pixels of each row, summed by OpenCV (numpy's count_nonzero along an axis: ~5× slower);
    a transposed picture's are its columns'."""
    if ink.size and ink.flags.c_contiguous:
        return cv2.reduce(ink.view(np.uint8), 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
    if ink.size and ink.T.flags.c_contiguous:
        return cv2.reduce(ink.T.view(np.uint8), 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
    return np.count_nonzero(ink, axis=1)


def _parts(
    ink: np.ndarray, height: float, origin: tuple[float, float, float], line: tuple[float, float]
) -> list[_Part]:
    """The parts whose middle lies on the line (others belong to the lines above and below); a part
    cut by the crop's edge cannot be judged (``cut``)."""
    left, top, scale = origin
    px = height * scale
    parts: list[_Part] = []
    for (x, y, w, h), part in _components(ink):
        middle = top - (y + h / 2) / scale
        if max(w, h) < MIN_MARK * px or not line[0] - 0.5 * height <= middle <= line[1] + 0.5 * height:
            continue  # a speck, an anti-aliasing crumb, or ink of another line
        if min(w, h) <= RULE_WIDTH * px and max(w, h) >= px:
            continue  # a straight stroke a line long: the piece of a ruling a page break or the crop left
        inside = _inside_share(ink[y : y + h, x : x + w])
        cut = y == 0 or y + h >= ink.shape[0]
        size = max(w, h) / px if not cut else MAX_MARK + 1
        parts.append(_Part(left + x / scale, left + (x + w) / scale, _is_frame(part), inside, size))
    return _merge_contained(parts)


def _components(ink: np.ndarray) -> list[tuple[tuple[int, int, int, int], np.ndarray]]:
    """Each connected part of the ink: its box (x, y, w, h) and its own pixels in that box. Labelled
    island by island (runs of inked columns): OpenCV's statistics cost as much for empty pixels as
    for ink, and a band is mostly empty."""
    out = []
    columns = np.flatnonzero(ink.any(axis=0))
    for island in np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1) if columns.size else ():
        c0, c1 = int(island[0]), int(island[-1]) + 1
        rows = np.flatnonzero(ink[:, c0:c1].any(axis=1))
        r0, r1 = int(rows[0]), int(rows[-1]) + 1
        piece = np.ascontiguousarray(ink[r0:r1, c0:c1]).view(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(piece, 8, cv2.CV_32S)
        for i in range(1, count):
            x, y, w, h = (int(v) for v in stats[i, :4])
            out.append(((c0 + x, r0 + y, w, h), labels[y : y + h, x : x + w] == i))
    return out


def _is_frame(part: np.ndarray) -> bool:
    """Ink along all four sides of the part's box (a square or a circle), its middle open."""
    h, w = part.shape
    if h < 6 or w < 6 or not 0.5 <= w / h <= 2.0:
        return False
    bh, bw = max(1, h // 5), max(1, w // 5)
    sides = (
        part[:bh].any(axis=0),
        part[-bh:].any(axis=0),
        part[:, :bw].any(axis=1),
        part[:, -bw:].any(axis=1),
    )
    return all(_share(s) >= SIDE_COVER for s in sides)


def _inside_share(box: np.ndarray) -> float:
    h, w = box.shape
    inner = box[h // 4 : h - h // 4, w // 4 : w - w // 4]
    return _share(inner) if inner.size else 0.0


def _share(ink: np.ndarray) -> float:
    """The share of ``ink`` inked (its mean, without numpy's general mean around it)."""
    return np.count_nonzero(ink) / ink.size


def _merge_contained(parts: list[_Part]) -> list[_Part]:
    """A mark drawn inside a frame is part of that frame (its ink already counts in ``inside``)."""
    frames = [p for p in parts if p.frame]
    return [p for p in parts if p.frame or not any(f.x0 <= p.x0 and p.x1 <= f.x1 for f in frames)]


def _decide(sites: Sequence[Site], parts: Sequence[_Part], height: float) -> dict[str, Mark]:
    for part in parts:
        site = _owner(sites, part, height)
        if site is not None:
            part.sites.append(site.key)
    return {s.key: _state([p for p in parts if s.key in p.sites]) for s in sites}


def _owner(sites: Sequence[Site], part: _Part, height: float) -> Site | None:
    """The site the part stands right in front of, else the nearest site to its left."""
    before = [s for s in sites if 0 <= s.x0 - part.x1 <= PREFIX_GAP * height]
    if before:
        return min(before, key=lambda s: s.x0 - part.x1)
    left = [s for s in sites if s.x1 <= part.x0 + 0.5 * height and part.x1 <= s.limit + 0.5 * height]
    return max(left, key=lambda s: s.x1) if left else None


def _state(parts: Sequence[_Part]) -> Mark:
    if not parts:
        return Mark(False, True, False)
    part = parts[0]
    if len(parts) > 1 or part.size > MAX_MARK:
        return Mark(False, False, True)
    if not part.frame:
        return Mark(True, True, True)
    if part.inside < EMPTY_SHARE:
        return Mark(False, True, True)
    return Mark(True, True, True) if part.inside >= TICKED_SHARE else Mark(False, False, True)
