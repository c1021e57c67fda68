"""Ticks read from the ink beside a label (forms.extract.marks), on PDFs drawn with reportlab: boxes,
ticks and rulings as vector paths, as Ghostscript, cairo and browsers leave a checkbox."""

from __future__ import annotations

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from forms.extract import marks, printed
from forms.extract.marks import Mark, Site
from forms.extract.pdf import Pages
from forms.extract.textlayer import read_text_layer
from tests.support.drawn_pdf import FONT, SIZE, Draw, box, dot, pdf, rule, text, tick

pytestmark = pytest.mark.skipif(FONT is None, reason="IPAex Gothic not installed")

LABEL = "暴力団員等に該当しないことの表明"  # 16 kanji: 40 → 184 points
Y = 700.0  # the label's baseline
BOX_X = 200.0  # the box in the value column, on the label's line
FAR = 10_000.0
NOTHING, EMPTY, TICKED, UNSURE = Mark(False, True, False), Mark(False, True, True), Mark(True, True, True), \
    Mark(False, False, True)  # fmt: skip


def read(*ops: Draw, sites: tuple[tuple[str, float, float, float], ...] = ()) -> dict[str, Mark]:
    """The marks of ``sites`` (key, label x0, x1, limit) on the first line of a page drawn by ``ops``
    (without sites: LABEL's, drawn first)."""
    if not sites:
        ops, sites = (text(40, Y, LABEL), *ops), (("k", 40.0, 184.0, FAR),)
    doc = pdfium.PdfDocument(pdf(ops))
    try:
        with Pages(doc) as pages:
            layer = read_text_layer(pages)
            line = layer.lines[0]
            found = [Site(key, 0, line.bottom, line.top, x0, x1, limit) for key, x0, x1, limit in sites]
            return marks.read_marks(pages, found, printed._text_boxes(layer), layer.runs)
    finally:
        doc.close()


def at_box(*ops: Draw) -> Mark:
    return read(*ops)["k"]


def test_nothing_beside_the_label_is_unticked_and_its_text_is_not_ink() -> None:
    assert at_box() == NOTHING


def test_an_empty_box_is_unticked_and_drawn() -> None:
    assert at_box(box(BOX_X, Y - 1)) == EMPTY


def test_a_box_with_a_tick_is_ticked() -> None:
    assert at_box(box(BOX_X, Y - 1), tick(BOX_X, Y - 1)) == TICKED


def test_a_tick_without_a_box_and_a_filled_box_are_ticked() -> None:
    assert at_box(tick(BOX_X, Y - 1)) == TICKED
    assert at_box(box(BOX_X, Y - 1, filled=True)) == TICKED


def test_a_speck_inside_a_box_is_neither_empty_nor_ticked() -> None:
    assert at_box(box(BOX_X, Y - 1), dot(BOX_X + 4, Y + 3, 1.0)) == UNSURE


def test_two_marks_for_one_box_are_unsure() -> None:
    assert at_box(box(BOX_X, Y - 1), tick(BOX_X + 40, Y - 1)) == UNSURE


def test_a_mark_far_bigger_than_the_text_is_unsure() -> None:
    assert at_box(tick(BOX_X, Y - 12, size=3.6 * SIZE)) == UNSURE  # a scribble over three lines


def test_ink_on_the_lines_above_and_below_is_not_this_line_s() -> None:
    # small ticks whose middles lie a line height above and below the label's line, inside the crop
    assert at_box(tick(BOX_X, Y + 13.5, size=5), tick(BOX_X + 20, Y - 12.5, size=5)) == NOTHING
    assert at_box(tick(BOX_X, Y - 0.5, size=5)) == TICKED  # the same tick on the line


def test_table_rulings_around_the_cell_are_not_marks() -> None:
    row = (rule(30, Y + 14, 560, Y + 14), rule(30, Y - 8, 560, Y - 8))  # the row's top and bottom
    cell = (*row, *(rule(x, Y - 40, x, Y + 40) for x in (30, 190, 560)))
    assert at_box(*cell) == NOTHING
    assert at_box(*cell, box(BOX_X, Y - 1), tick(BOX_X, Y - 1)) == TICKED


def test_a_ruling_cut_short_by_a_page_break_is_not_a_tick() -> None:
    # the row goes on on the next page: its borders on this one end a line height below the text
    assert at_box(rule(190, Y - 10, 190, Y + 1.5), rule(30, Y - 10, 30, Y + 1.5)) == NOTHING


def test_a_box_in_front_of_a_label_is_that_label_s() -> None:
    sites = (("yes", 52.0, 70.0, 120.0), ("no", 132.0, 159.0, FAR))
    got = read(box(40, Y - 1), text(52, Y, "はい"), box(120, Y - 1), tick(120, Y - 1), text(132, Y, "いいえ"),
               sites=sites)  # fmt: skip
    assert got == {"yes": EMPTY, "no": TICKED}


def test_one_checkbox_read_at_two_sites_takes_the_one_with_a_box() -> None:
    assert marks.combined([TICKED, NOTHING]) == TICKED
    assert marks.combined([NOTHING, EMPTY]) == EMPTY
    assert marks.combined([NOTHING, NOTHING]) == NOTHING
    assert marks.combined([TICKED, EMPTY]) == UNSURE  # two boxes for one label
    assert marks.combined([TICKED, UNSURE]) == UNSURE


def test_rulings_are_taken_out_as_an_opening_by_a_line_would() -> None:
    # the long-run finder stands in for OpenCV's morphological opening by a 1 × n line (odd n: OpenCV
    # shifts even ones by a pixel), on random ink crossed by a full row and a full column
    rng = np.random.default_rng(7)
    for _ in range(100):
        ink = rng.random((40, 200)) < rng.choice([0.05, 0.5, 0.95])
        ink[rng.integers(40), :] = ink[:, rng.integers(200)] = True
        run = int(rng.integers(3, 60)) | 1
        for image, kernel in ((ink, (1, run)), (ink.T, (1, run))):
            opened = cv2.morphologyEx(image.astype(np.uint8), cv2.MORPH_OPEN, np.ones(kernel, np.uint8),
                                      borderType=cv2.BORDER_CONSTANT, borderValue=0)  # fmt: skip
            assert (marks._long_runs(image, run) == opened.astype(bool)).all()


def test_a_band_is_drawn_as_pypdfium2_renders_it() -> None:
    # the picture made by PDFium's own calls is pypdfium2's render(crop=…, grayscale=True), pixel for
    # pixel: bands inside the page, at its edges and past them, at the quick and the close scale
    doc = pdfium.PdfDocument(pdf((text(40, Y, LABEL), box(BOX_X, Y - 1), tick(BOX_X, Y - 1),
                                  rule(30, Y - 3, 560, Y - 3))))  # fmt: skip
    try:
        page = doc[0]
        width, height = page.get_size()
        for box_ in ((30.0, Y - 14, 560.0, Y + 22), (0.0, Y - 10.3, 217.7, Y + 9.9),
                     (312.4, 0.0, width, 40.2), (-5.0, height - 30, width + 5, height + 5)):  # fmt: skip
            for scale in (marks.QUICK[0], marks.SCALE):
                crop = (box_[0], box_[1], width - box_[2], height - box_[3])
                bare = page.render(scale=scale, crop=tuple(max(0.0, c) for c in crop), grayscale=True)
                assert np.array_equal(marks._render(page, box_, scale), bare.to_numpy())
    finally:
        doc.close()
