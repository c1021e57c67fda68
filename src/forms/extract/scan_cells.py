"""The ink of one field's cell on a registered page image: checkboxes, and text cut into lines.

No OCR here: a checkbox is decided by the ink inside its printed square, a text cell is cleaned of
rulings and specks, of what is struck through (``strikes``), and cut into the line images the
recogniser reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from forms import model
from forms.extract import geometry as geo
from forms.extract.strikes import find_strikes

#: Checkbox: share of the square's interior covered by ink at which the box counts as ticked.
TICK_SHARE = 0.06
#: A box is clearly ticked from this share of ink (a small pen tick covers ~0.1), clearly empty up to
#: the second (specks are dropped first); in between it is ambiguous.
TICK_CLEAR = 0.09
EMPTY_CLEAR = 0.02


@dataclass(frozen=True)
class Cell:
    """One text cell: the grayscale crop and the line images cut from it (top to bottom)."""

    image: np.ndarray
    lines: tuple[np.ndarray, ...]
    obscured: bool = False  # a solid blot of ink no text is made of (a stain, a filled-over value)
    #: "" nothing struck; "corrected": struck ink left out, the lines are what stands apart from it;
    #: "bare": struck with nothing standing; "unclear": a strike, or its extent, is not clear (all read)
    struck: str = ""


def crop(image: np.ndarray, rect: geo.Rect) -> np.ndarray:
    h, w = image.shape
    x0, y0 = max(0, round(rect[0])), max(0, round(rect[1]))
    x1, y1 = min(w, round(rect[2])), min(h, round(rect[3]))
    return image[y0:y1, x0:x1] if x1 > x0 and y1 > y0 else image[0:0, 0:0]


def without_rulings(ink: np.ndarray) -> np.ndarray:
    """Ink with the table rulings that crept into a cell (rows or columns mostly inked) removed."""
    out = ink.copy()
    out[ink.mean(axis=1) > 0.6, :] = False
    out[:, ink.mean(axis=0) > 0.6] = False
    return out


def significant_ink(ink: np.ndarray, min_extent: int) -> np.ndarray:
    """Ink without specks: connected parts smaller than ``min_extent`` pixels each way are dropped."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]) >= min_extent
    return keep[labels]


def text_bands(ink: np.ndarray, min_height: int) -> list[tuple[int, int]]:
    """Row ranges [top, bottom) holding a line of text each."""
    rows = ink.any(axis=1)
    bands: list[tuple[int, int]] = []
    start = None
    for y, on in enumerate(np.append(rows, False)):
        if on and start is None:
            start = y
        elif not on and start is not None:
            if bands and start - bands[-1][1] <= 2:
                start = bands.pop()[0]
            bands.append((start, y))
            start = None
    return [(t, b) for t, b in bands if b - t >= min_height]


def read_checkbox(image: np.ndarray, ink_below: float, rect: geo.Rect) -> model.RawValue:
    """Ticked when ink covers enough of the square's interior; certain when the share is far from the
    threshold (a tick, or an empty square), the confidence growing with that margin."""
    x0, y0, x1, y1 = rect
    inset_x, inset_y = (x1 - x0) * 0.2, (y1 - y0) * 0.2
    cell = crop(image, (x0 + inset_x, y0 + inset_y, x1 - inset_x, y1 - inset_y))
    if cell.size == 0:
        return model.RawValue(False, 0.0, (model.Evidence.UNREAD,))
    ink = significant_ink(cell < ink_below, min_extent=max(3, cell.shape[0] // 5))
    share = float(ink.mean())
    ticked = share >= TICK_SHARE
    margin = abs(share - TICK_SHARE) / TICK_SHARE  # 0 at the threshold, 1 at twice (or none of) it
    clear = share >= TICK_CLEAR or share <= EMPTY_CLEAR
    evidence = model.Evidence.INK_CLEAR if clear else model.Evidence.INK_AMBIGUOUS
    return model.RawValue(ticked, round(min(1.0, 0.5 + 0.5 * min(margin, 1.0)), 3), (evidence,))


def text_cell(image: np.ndarray, ink_below: float, rect: geo.Rect, dpi: int) -> Cell | None:
    """The cell of a text field cut into line images (what is struck through left out); None when the
    cell is off the page."""
    px = dpi / 200.0
    x0, y0, x1, y1 = rect
    cell = crop(image, (x0 + 2 * px, y0 - 2 * px, x1 - 2 * px, y1 + 2 * px))
    if cell.size == 0:
        return None
    obscured = has_blot(cell < ink_below, int(16 * px), int(32 * px))  # before rulings go: blots fill columns
    ink = significant_ink(without_rulings(cell < ink_below), min_extent=int(6 * px))
    bands = text_bands(ink, min_height=int(7 * px))
    strikes = find_strikes(ink, bands, px)
    struck = ""
    if strikes.struck_any or not strikes.clear:
        struck = "unclear" if not strikes.clear else "bare" if strikes.bare else "corrected"
    if strikes.struck_any and strikes.clear:  # unclear: all of it read, for the clerk to judge
        cell = _painted_over(cell, cell < ink_below, strikes.standing)
        ink = strikes.standing
        bands = text_bands(ink, min_height=int(7 * px))
    lines = []
    for top, bottom in bands:
        cols = np.nonzero(ink[top:bottom].any(axis=0))[0]
        pad_x, pad_y = int(8 * px), int(5 * px)
        line = cell[
            max(0, top - pad_y) : bottom + pad_y, max(0, int(cols[0]) - pad_x) : int(cols[-1]) + 1 + pad_x
        ]
        lines.append(np.ascontiguousarray(line))
    return Cell(cell, tuple(lines), obscured, struck)


def _painted_over(cell: np.ndarray, ink: np.ndarray, standing: np.ndarray) -> np.ndarray:
    """The cell with every ink but ``standing`` painted the paper's shade (a pixel round it too: the
    pen's grey edge)."""
    grow = np.ones((3, 3), np.uint8)
    gone = cv2.dilate((ink & ~standing).astype(np.uint8), grow).astype(bool)
    gone &= ~cv2.dilate(standing.astype(np.uint8), grow).astype(bool)
    out = cell.copy()
    out[gone] = np.uint8(np.percentile(cell, 90))
    return out


def has_blot(ink: np.ndarray, height: int, width: int) -> bool:
    """Whether the ink holds a solid blot: what is left after eroding it by a ``height`` × ``width``
    rectangle, about half a line high and a glyph and a half wide (strokes of writing, even a dense kanji
    blurred by the scanner, vanish; a stain or a filled-over value does not)."""
    kernel = np.ones((height, width), np.uint8)
    return bool(cv2.erode(ink.astype(np.uint8), kernel).any())


def second_look(line: np.ndarray) -> np.ndarray:
    """The same line prepared another way for an independent reading: binarised (Otsu) after a
    light blur, rescaled to a 40-pixel ink height, with a wider margin of paper."""
    blurred = cv2.GaussianBlur(line, (3, 3), 0)
    _, binary = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    rows = np.nonzero((binary < 128).any(axis=1))[0]
    height = int(rows[-1] - rows[0] + 1) if len(rows) else line.shape[0]
    scale = max(0.5, min(3.0, 40.0 / max(1, height)))
    resized = cv2.resize(
        binary, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    )
    return cv2.copyMakeBorder(resized, 8, 8, 16, 16, cv2.BORDER_CONSTANT, value=255)


#: A printed choice counts as circled when new ink covers this share of the bands above and below it,
#: and three times what the next choice has.
CIRCLE_SHARE = 0.04


def circled_choice(
    image: np.ndarray, blank: np.ndarray, ink_below: float, rects: list[geo.Rect]
) -> int | None:
    """Which of the printed choices (their rectangles on ``image``) has a ring drawn round it: new ink
    (not on the registered ``blank``) in the bands just above and below the word. None when none or
    more than one stands out."""
    scores = []
    for x0, y0, x1, y1 in rects:
        h = y1 - y0
        bands = [(x0, y0 - 0.9 * h, x1, y0 - 0.1 * h), (x0, y1 + 0.1 * h, x1, y1 + 0.9 * h)]
        new = [_new_ink(crop(image, b), crop(blank, b), ink_below) for b in bands]
        scores.append(float(np.mean([n.mean() for n in new if n.size])) if any(n.size for n in new) else 0.0)
    if not scores:
        return None
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    best = order[0]
    runner_up = scores[order[1]] if len(order) > 1 else 0.0
    return best if scores[best] >= CIRCLE_SHARE and scores[best] >= 3 * runner_up else None


def _new_ink(scan: np.ndarray, blank: np.ndarray, ink_below: float) -> np.ndarray:
    """Ink on the scan that the blank form does not print there (its print widened by 3 pixels)."""
    if scan.size == 0 or scan.shape != blank.shape:
        return np.zeros((0,), bool)
    printed = cv2.dilate((blank < 160).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    return significant_ink(scan < ink_below, min_extent=4) & ~printed
