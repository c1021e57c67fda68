"""The marks a bank makes on a printed list of choices (□ 実行済 / □ 未実行 …), read from the ink.

Each choice of a list is looked at in three ways, on the ink the blank form does not print there:

- **box**: ink inside its □ (■, a レ or ✓ stroke): the share of its middle covered by strokes, and the
  share of the whole box (its outline aside) holding any new ink — a tick drawn mostly over the
  outline shows in the second only;
- **ring**: a ○ round its word — ink on every side of the word (above, below, left and right) in a
  band round it; a neighbour's ring passes above or below the word, never on all four sides;
- **strike**: a line through its word (取消線, one or two) — along some nearly horizontal line across
  the word's middle, the share of its columns inked beyond what the printed word inks there.

Each measure is clear one way or the other, or ambiguous between. The list's answer: the one choice
marked (ticked or ringed), or, when none is marked, the one left standing with every other struck
through; nothing when the cell has no new ink at all (``youshiki3_scan`` looks at the whole cell).
Anything else — a measure not clear, a choice both marked and struck, every choice struck — is a
doubt for a clerk; several choices clearly marked is the bank's own mistake (``several``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from forms import model
from forms.extract.geometry import Rect
from forms.extract.scan_cells import significant_ink

E = model.Evidence
#: A box: this share of its interior inked is clearly a tick (a small pen tick covers 0.07), up to the
#: second clearly empty (the print is not counted, specks are dropped).
TICK_CLEAR, EMPTY_CLEAR = 0.05, 0.015
#: The same for any new ink inside the box (its outline left out): a pen tick drawn mostly over the
#: outline leaves 0.03 or more there, an empty box nothing.
TICK_INK, EMPTY_INK = 0.03, 0.008
#: A ring: every side of the word at least this inked (share of its angular bins), clearly none below
#: the second.
RING_CLEAR, RING_NONE = 0.6, 0.25
#: A strike: along its line, this share of the columns the print leaves free inked; none below the second.
STRIKE_CLEAR, STRIKE_NONE = 0.7, 0.35
_BINS = 24


@dataclass(frozen=True)
class Marks:
    """What the ink says of one choice: each measure and whether it is clearly one way."""

    box: float
    ring: float
    strike: float
    box_ink: float = 0.0  # any new ink in the box, a tick's or not

    @property
    def ticked(self) -> bool:
        return self.box >= TICK_CLEAR or self.box_ink >= TICK_INK

    @property
    def box_empty(self) -> bool:
        return self.box <= EMPTY_CLEAR and self.box_ink <= EMPTY_INK

    @property
    def ringed(self) -> bool:
        return self.ring >= RING_CLEAR

    @property
    def struck(self) -> bool:
        return self.strike >= STRIKE_CLEAR

    @property
    def marked(self) -> bool:
        return self.ticked or self.ringed

    @property
    def clear(self) -> bool:
        return (
            (self.ticked or self.box_empty)
            and (self.ring >= RING_CLEAR or self.ring <= RING_NONE)
            and (self.strike >= STRIKE_CLEAR or self.strike <= STRIKE_NONE)
        )

    @property
    def blank(self) -> bool:
        return self.box_empty and self.ring <= RING_NONE and self.strike <= STRIKE_NONE


@dataclass(frozen=True)
class ListReading:
    """The answer of one list: the chosen key (None: nothing chosen), its evidence, and ``several``
    when more than one choice is clearly marked."""

    chosen: str | None
    evidence: tuple[model.Evidence, ...]
    several: bool = False


def measure(scan: np.ndarray, blank: np.ndarray, ink_below: float, box: Rect, word: Rect) -> Marks:
    """The marks of one choice; ``scan`` and ``blank`` are the same region, aligned, the rectangles in
    its pixels."""
    ink = scan < ink_below
    printed = blank < 160
    mask = cv2.dilate(printed.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    new = significant_ink(ink, 4) & ~mask
    ring = _ring(new, mask, box, word)
    return Marks(
        _box_share(new, box),
        ring,
        _strike(ink, printed, word, overshoot=ring <= RING_NONE),
        _box_ink(new, box),
    )


def _box_ink(new: np.ndarray, box: Rect) -> float:
    """The share of the box (its outline left out) holding new ink of any shape: a tick the stroke
    measure does not take for one (short, or mostly outside) still leaves the box not clearly empty."""
    x0, y0, x1, y1 = box
    inset_x, inset_y = (x1 - x0) * 0.15, (y1 - y0) * 0.15
    inside = _sub(new, (x0 + inset_x, y0 + inset_y, x1 - inset_x, y1 - inset_y))
    return float(inside.mean()) if inside.size else 0.0


def _sub(image: np.ndarray, rect: Rect) -> np.ndarray:
    h, w = image.shape
    x0, y0 = max(0, round(rect[0])), max(0, round(rect[1]))
    x1, y1 = min(w, round(rect[2])), min(h, round(rect[3]))
    return image[y0:y1, x0:x1] if x1 > x0 and y1 > y0 else image[0:0, 0:0]


def _box_share(new: np.ndarray, box: Rect) -> float:
    """The share of the box's interior covered by strokes at least a third as long as the box is wide (a
    tick, a ■ — what the print's mask leaves of one is under half the box; not a speck, nor what is
    left of the print where a fax page moved a pixel)."""
    x0, y0, x1, y1 = box
    pad = (x1 - x0) * 0.3
    around = _sub(new, (x0 - pad, y0 - pad, x1 + pad, y1 + pad))
    strokes = significant_ink(around, round(0.33 * (x1 - x0)))
    inset_x, inset_y = (x1 - x0) * 0.25, (y1 - y0) * 0.25
    ox, oy = max(0, round(x0 - pad)), max(0, round(y0 - pad))
    inside = _sub(strokes, (x0 + inset_x - ox, y0 + inset_y - oy, x1 - inset_x - ox, y1 - inset_y - oy))
    return float(inside.mean()) if inside.size else 0.0


def _ring(new: np.ndarray, mask: np.ndarray, box: Rect, word: Rect) -> float:
    """The least inked side of the word: its angular bins (round the middle of □ and word) that hold new
    ink within a band round the word, the word itself left out. A ring passing over the □ beside the word
    leaves a gap there: bins the □'s print covers, between inked ones, count as inked (not those of the
    words above and below, which a strike's ends would otherwise join into a ring)."""
    h = word[3] - word[1]
    x0, x1 = min(box[0], word[0]), word[2]
    cx, cy = (x0 + x1) / 2, (word[1] + word[3]) / 2
    a, b = (x1 - x0) / 2 + 0.9 * h, h / 2 + 0.6 * h
    area = (cx - a, cy - b, cx + a, cy + b)
    inked = _bins(_sub(new, area), area, word, h)
    if not inked.any():
        return 0.0
    bins = _bridged(inked, _bins(_sub(_only(mask, box, pad=3), area), area, word, h))
    sides = np.roll(bins, _BINS // 8).reshape(4, _BINS // 4)  # left, top, right, bottom (90° each)
    return float(sides.mean(axis=1).min())


def _only(image: np.ndarray, rect: Rect, *, pad: int) -> np.ndarray:
    """``image`` with everything outside ``rect`` (and ``pad`` pixels round it) cleared."""
    out = np.zeros_like(image)
    h, w = image.shape
    x0, y0 = max(0, round(rect[0]) - pad), max(0, round(rect[1]) - pad)
    x1, y1 = min(w, round(rect[2]) + pad), min(h, round(rect[3]) + pad)
    out[y0:y1, x0:x1] = image[y0:y1, x0:x1]
    return out


def _bins(image: np.ndarray, area: Rect, word: Rect, h: float) -> np.ndarray:
    """The angular bins of the ellipse inscribed in ``area`` holding ink of ``image`` (its crop), the
    word itself left out."""
    cx, cy = (area[0] + area[2]) / 2, (area[1] + area[3]) / 2
    a, b = (area[2] - area[0]) / 2, (area[3] - area[1]) / 2
    ys, xs = np.nonzero(image)
    xs = xs + max(0, round(area[0])) - cx
    ys = ys + max(0, round(area[1])) - cy
    inside_ellipse = (xs / a) ** 2 + (ys / b) ** 2 <= 1.0
    in_word = (np.abs(ys) < h / 2 - 1) & (xs > word[0] - cx + 1) & (xs < word[2] - cx - 1)
    keep = inside_ellipse & ~in_word
    angles = np.arctan2(ys[keep], xs[keep] * (b / a))  # round the ellipse as if it were a circle
    bins = np.zeros(_BINS, bool)
    bins[((angles + math.pi) / (2 * math.pi) * _BINS).astype(int) % _BINS] = True
    return bins


def _bridged(inked: np.ndarray, printed: np.ndarray) -> np.ndarray:
    """``inked`` with each run of empty bins the print covers throughout, between two inked bins and at
    most a quarter turn long, filled."""
    out = inked.copy()
    start = int(np.argmax(inked))  # an inked bin: runs are walked from it, round the circle
    run: list[int] = []
    for step in range(1, _BINS + 1):
        i = (start + step) % _BINS
        if inked[i]:
            if run and len(run) <= _BINS // 4 and all(printed[j] for j in run):
                out[run] = True
            run = []
        else:
            run.append(i)
    return out


def _strike(ink: np.ndarray, printed: np.ndarray, word: Rect, *, overshoot: bool) -> float:
    """The best line through the word's middle: of the columns where the print leaves the line free
    (the word, and with ``overshoot`` a little either side, where a pen's stroke overshoots — not where
    a ring's sides pass), the share inked near the line, in the worse of the word's two halves (a line
    crosses the whole word, a neighbour's ring or a tick a part of it); lines along which either half
    is nearly all print are not looked at."""
    x0, y0, x1, y1 = word
    h, w = y1 - y0, x1 - x0
    reach = 0.15 * h if overshoot else -0.03 * w
    cols = np.arange(round(x0 - reach), round(x1 + reach))
    if w < 8 or h < 4:
        return 0.0
    wide = cv2.dilate(printed.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    new = significant_ink(ink, 4) & ~wide
    half = cols < (x0 + x1) / 2
    best = 0.0
    for slope in (-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3):
        lean = slope * h * (cols - cols.mean()) / w
        for level in np.arange(0.15, 0.86, 0.05):
            rows = np.round(y0 + level * h + lean).astype(int)
            free, hit = ~_near(wide, rows, cols), _near(new, rows, cols)
            if (free & half).sum() >= 3 and (free & ~half).sum() >= 3:
                best = max(best, min(hit[free & half].mean(), hit[free & ~half].mean()))
    return float(best)


def _near(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Per column, whether the image is inked within a pixel of the line (rows[i] at cols[i])."""
    h, w = image.shape
    ok = (cols >= 0) & (cols < w)
    hit = np.zeros(len(cols), bool)
    for d in (-1, 0, 1):
        r = np.clip(rows + d, 0, h - 1)
        hit[ok] |= image[r[ok], cols[ok]]
    return hit


def decide(keys: Sequence[str], marks: Sequence[Marks]) -> ListReading:
    """The list's answer from each choice's marks (see the module)."""
    if all(m.blank for m in marks):
        return ListReading(None, (E.BLANK,))
    doubts = [] if all(m.clear for m in marks) else [E.INK_AMBIGUOUS]
    if any(m.marked and m.struck for m in marks):
        doubts.append(E.MARKS_UNCLEAR)
    marked = [k for k, m in zip(keys, marks, strict=True) if m.marked and not m.struck]
    standing = [k for k, m in zip(keys, marks, strict=True) if not m.struck]
    others_struck = len(standing) == 1 and len(keys) > 1
    if len(marked) > 1:
        return ListReading(marked[0], (*doubts, E.MARKS_UNCLEAR) if doubts else (), several=not doubts)
    if len(marked) == 1:
        m = marks[keys.index(marked[0])]
        found = [E.INK_CLEAR] if m.ticked else []
        found += [E.CHOICE_CIRCLED] if m.ringed else []
        found += [E.OTHERS_STRUCK] if others_struck and standing == marked else []
        return ListReading(marked[0], (*found, *doubts))
    if others_struck:
        return ListReading(standing[0], (E.OTHERS_STRUCK, *doubts))
    return ListReading(None, (*doubts, E.MARKS_UNCLEAR) if not doubts else tuple(doubts))
