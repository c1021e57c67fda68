"""Strike-outs (取消線) through a value written in a text cell, found in the ink alone.

A writer who makes a mistake strikes it through with one or two lines (二重線) and writes the right
value beside it or above it in the same cell. A value cell is blank on the printed form, so there is no
print to subtract: a strike is told from writing by its length and straightness — a run of ink within
about 3° of the horizontal (a pixel's gap closed) through the middle of a line of text, in one piece
with the glyphs it crosses, longer than the strokes of writing (``STRIKE_CLEAR`` line heights; two
touching glyphs of the corpus give up to 1.6), with writing above and below it and, along most of it, no
thicker than a pen's stroke (a run along the blurred print of a photo is).

What a strike crosses is struck: each part of the ink (the strike's own pixels left out) that lies
within the strike's span; the rest of the cell stands. A cell is then

- **unstruck**: read as it is;
- **corrected**: struck, and ink stands apart from it (to one side of the struck span on the same
  line, or on another line): the standing ink is the value, the struck ink is painted over;
- **struck bare**: struck with nothing standing — no value, and not a blank cell either;
- **unclear**: a straight run longer than a glyph's stroke but shorter than a clear strike, a part of
  the ink half inside the struck span, ink standing on both sides of it: a doubt for a clerk.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: A run of ink along a nearly horizontal line, in line heights of its text: from the first a strike,
#: up to the second a glyph's stroke (一, ー, the bar of 7); in between it is not clear which.
STRIKE_CLEAR, STROKE_MOST = 2.0, 1.75
#: Slopes looked at (a strike drawn by hand leans a few degrees; the page is already de-skewed).
_SLOPES = np.arange(-0.06, 0.0601, 0.02)
#: A strike runs through the text: between these shares of its line's height from the top.
_LEVELS = (0.2, 0.85)
#: At least this share of a strike's columns has writing under it (a dash written as "none" has none).
_UNDER_SHARE = 0.4
#: ... and along this share of its columns it is no thicker than a pen's stroke.
_THIN_SHARE = 0.5
_MAX_STRIKES = 4


@dataclass(frozen=True)
class Run:
    """A straight run of ink: from column x0 to x1, at row y0 + slope × (x − x0)."""

    x0: int
    x1: int
    y0: float
    slope: float
    top: int  # the text line it runs through: its rows [top, bottom)
    bottom: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def length(self) -> int:
        return self.x1 - self.x0 + 1

    def y_at(self, x: float | np.ndarray) -> float | np.ndarray:
        return self.y0 + self.slope * (x - self.x0)


@dataclass(frozen=True)
class Strikes:
    """What the strikes in one cell leave: ``standing`` the ink to read (the struck ink removed)."""

    runs: tuple[Run, ...]
    standing: np.ndarray  # bool, the cell's shape
    struck_any: bool  # some ink is struck
    clear: bool  # every strike clear, every part of the ink struck or standing apart, one side only

    @property
    def bare(self) -> bool:
        return self.struck_any and not self.standing.any()


def find_strikes(ink: np.ndarray, bands: list[tuple[int, int]], px: float) -> Strikes:
    """The strikes through the text ``bands`` (row ranges) of a cell's ``ink`` (specks and rulings
    already removed); ``px`` is the page's pixels per 1/200 inch."""
    runs: list[Run] = []
    unclear = False
    rest = ink.copy()
    for _ in range(_MAX_STRIKES):
        run = _longest_run(rest, bands, px)
        if run is None or run.length < STROKE_MOST * run.height:
            break
        rest &= ~_line_mask(ink.shape, run, px, wide=True)
        if not _has_writing_under(ink, run, px) or any(_along(run, r) for r in runs):
            continue  # a long dash, not a strike of anything; or what is left of a strike found
        if run.length < STRIKE_CLEAR * run.height:
            unclear = True
            continue
        runs.append(run)
    if not runs:
        return Strikes((), ink, False, not unclear)
    return _split(ink, tuple(runs), px, unclear)


def _longest_run(ink: np.ndarray, bands: list[tuple[int, int]], px: float) -> Run | None:
    """The longest nearly horizontal run crossing the middle of a text band (its ends may lean out of
    it), within one connected part of the ink (a strike joins what it crosses; glyphs of writing stand
    apart, so no run is pieced together from strokes of neighbouring glyphs)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    close = np.ones((1, max(1, round(px)) + 1), np.uint8)
    best: Run | None = None
    for top, bottom in bands:
        h = bottom - top
        lo, hi = max(0, top - h // 4), min(ink.shape[0], bottom + h // 4)
        middle = (top + _LEVELS[0] * h, top + _LEVELS[1] * h)
        for i in range(1, count):
            x, y, w, ch = (int(v) for v in stats[i, :4])
            if w < max(STROKE_MOST * h, best.length if best else 0) or y >= bottom or y + ch <= top:
                continue
            part = labels[:, x : x + w] == i
            for slope in _SLOPES:
                sheared, first = _shear(part, slope, lo, hi)
                thick = sheared.copy()
                thick[1:] |= sheared[:-1]
                thick[:-1] |= sheared[1:]
                closed = cv2.morphologyEx(thick.astype(np.uint8), cv2.MORPH_CLOSE, close).astype(bool)
                for row in np.nonzero(closed.sum(axis=1) > (best.length if best else STROKE_MOST * h))[0]:
                    x0, x1 = _longest_true(closed[row])
                    run = Run(
                        x + x0, x + x1, float(first + row + slope * (x0 - w / 2)), float(slope), top, bottom
                    )
                    if (best is None or run.length > best.length) and middle[0] <= run.y_at(
                        (run.x0 + run.x1) / 2
                    ) <= middle[1]:
                        best = run
    return best


def _shear(ink: np.ndarray, slope: float, lo: int, hi: int) -> tuple[np.ndarray, int]:
    """The ink of rows lo..hi sheared so that each line of ``slope`` is a row (ink outside those rows
    left out), and the row of the original at the sheared image's first row and the cell's middle."""
    w = ink.shape[1]
    offsets = np.round(slope * (np.arange(w) - w / 2)).astype(int)
    first = lo - int(offsets.max())
    rows = np.arange(first, hi - int(offsets.min()))[:, None] + offsets[None, :]
    valid = (rows >= lo) & (rows < hi)
    out = np.zeros(rows.shape, bool)
    cols = np.broadcast_to(np.arange(w), rows.shape)
    out[valid] = ink[rows[valid], cols[valid]]
    return out, first


def _longest_true(row: np.ndarray) -> tuple[int, int]:
    padded = np.concatenate(([False], row, [False])).astype(np.int8)
    edges = np.diff(padded)
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    i = int(np.argmax(ends - starts))
    return int(starts[i]), int(ends[i] - 1)


def _line_mask(shape: tuple[int, ...], run: Run, px: float, *, wide: bool = False) -> np.ndarray:
    """The pixels of the strike itself: its line, as thick as a pen's stroke and a little more (``wide``:
    more still, so that no sliver of it is found again as a run of its own)."""
    mask = np.zeros(shape, np.uint8)
    a = (run.x0, round(run.y_at(run.x0)))
    b = (run.x1, round(run.y_at(run.x1)))
    cv2.line(mask, a, b, 1, thickness=max(3, round((7 if wide else 5) * px)))
    return mask.astype(bool)


def _along(run: Run, strike: Run) -> bool:
    """Whether ``run`` lies along ``strike`` (a sliver of its stroke): within its span, a few pixels off."""
    inside = run.x0 >= strike.x0 - 0.1 * strike.height and run.x1 <= strike.x1 + 0.1 * strike.height
    mid = (run.x0 + run.x1) / 2
    return inside and abs(run.y_at(mid) - strike.y_at(mid)) <= 0.2 * strike.height


def _has_writing_under(ink: np.ndarray, run: Run, px: float) -> bool:
    """Whether the run is a pen's stroke drawn through writing: the glyphs it crosses have ink beyond its
    stroke in at least ``_UNDER_SHARE`` of its columns (a long dash has none), on either side of it (a
    run along the foot of touching glyphs has ink above only), and along most of its length the ink
    there is no thicker than a pen's stroke (through the bodies of a photo's blurred print it is)."""
    reach = max(3, round(0.45 * run.height))
    clearance = max(2, round(3 * px))
    xs = np.arange(run.x0, run.x1 + 1)
    ys = np.round(run.y_at(xs)).astype(int)
    above = np.zeros(len(xs), bool)
    below = np.zeros(len(xs), bool)
    h = ink.shape[0]
    for d in range(clearance, reach):
        above |= ink[np.clip(ys - d, 0, h - 1), xs] & (ys - d >= 0)
        below |= ink[np.clip(ys + d, 0, h - 1), xs] & (ys + d < h)
    crossed = float((above | below).mean()) >= _UNDER_SHARE
    sides = min(float(above.mean()), float(below.mean())) >= _UNDER_SHARE / 2
    return crossed and sides and _thin_share(ink, xs, ys, max(6 * px, 0.3 * run.height)) >= _THIN_SHARE


def _thin_share(ink: np.ndarray, xs: np.ndarray, ys: np.ndarray, most: float) -> float:
    """The share of the columns ``xs`` whose ink at row ``ys`` (or a pixel off) is a vertical run of at
    most ``most`` pixels."""
    h = ink.shape[0]
    thin = 0
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        column = ink[:, x]
        at = next((r for r in (y, y - 1, y + 1) if 0 <= r < h and column[r]), None)
        if at is None:
            continue
        top = at
        while top > 0 and column[top - 1]:
            top -= 1
        bottom = at
        while bottom < h - 1 and column[bottom + 1]:
            bottom += 1
        thin += bottom - top + 1 <= most
    return thin / len(xs) if len(xs) else 0.0


def _split(ink: np.ndarray, runs: tuple[Run, ...], px: float, unclear: bool) -> Strikes:
    """The ink split into struck (the strikes and the parts within their spans) and standing."""
    lines = np.zeros(ink.shape, bool)
    for run in runs:
        lines |= _line_mask(ink.shape, run, px)
    rest = ink & ~lines
    count, labels, stats, _ = cv2.connectedComponentsWithStats(rest.astype(np.uint8), connectivity=8)
    struck = np.zeros(count, bool)
    sides: set[str] = set()
    for i in range(1, count):
        x, y, w, h = (int(v) for v in stats[i, :4])
        placed = _place(runs, x, y, x + w - 1, y + h - 1)
        if placed == "inside":
            struck[i] = True
        elif placed == "across":
            unclear = True
        elif placed in ("left", "right"):
            sides.add(placed)
    standing = rest & ~struck[labels]
    standing &= ~cv2.dilate(lines.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return Strikes(runs, standing, True, not unclear and len(sides) < 2)


def _place(runs: tuple[Run, ...], x0: int, y0: int, x1: int, y1: int) -> str:
    """Where a part of the ink (its bounding box) is against the strikes: inside one's span, across its
    end, to its left or right on its line, or on another line ("apart")."""
    for run in runs:
        if not run.top <= (y0 + y1) / 2 < run.bottom:
            continue  # not on this strike's line of text
        tol = 0.15 * run.height
        if x0 >= run.x0 - tol and x1 <= run.x1 + tol:
            return "inside"
        if x1 < run.x0 - tol:
            return "left"
        if x0 > run.x1 + tol:
            return "right"
        return "across"
    return "apart"
