"""Text not drawn while the ink beside the checkboxes is read (forms.extract.hidden_text): only what the
ink reader's masks clear anyway, so that every pixel it looks at is the same."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen import canvas

from forms.extract import hidden_text, marks, printed
from forms.extract.pdf import Pages
from forms.extract.textlayer import read_text_layer
from tests.support.drawn_pdf import FONT, Draw, box, pdf, rule, text, tick

pytestmark = pytest.mark.skipif(FONT is None, reason="IPAex Gothic not installed")

Y = 700.0
BAND = (30.0, Y - 14, 560.0, Y + 22)  # left, bottom, right, top: the label's line and a line either side
LABEL = "暴力団員等に該当しないことの表明"


def in_a_form(x: float, y: float, s: str) -> Draw:
    """Text drawn inside a form XObject placed with a slight shift (its objects' bounds are the form's,
    a little off the page's)."""

    def draw(c: canvas.Canvas) -> None:
        c.beginForm("shifted")
        c.setFont("IPAexG", 9)
        c.drawString(x, y, s)
        c.endForm()
        c.saveState()
        c.translate(0.2, 0)
        c.doForm("shifted")
        c.restoreState()

    return draw


def stroked(x: float, y: float, s: str) -> Draw:
    """Text outlined (render mode 1), thinly: its stroke reaches beyond the glyphs' outlines."""

    def draw(c: canvas.Canvas) -> None:
        c.setLineWidth(0.1)
        t = c.beginText(x, y)
        t.setFont("IPAexG", 9)
        t.setTextRenderMode(1)
        t.textOut(s)
        c.drawText(t)

    return draw


def helvetica(x: float, y: float, s: str) -> Draw:
    """Text in a standard font PDFium does not find embedded (it draws a substitute)."""

    def draw(c: canvas.Canvas) -> None:
        c.setFont("Helvetica", 9)
        c.drawString(x, y, s)
        c.setFont("IPAexG", 9)

    return draw


def looked_at(
    ops: Sequence[Draw], keep: tuple[tuple[float, float], ...] = ()
) -> tuple[np.ndarray, np.ndarray, int]:
    """The band's ink after the reader's masks, drawn in full and with its hidden text; how many text
    objects were hidden."""
    doc = pdfium.PdfDocument(pdf(ops))
    try:
        with Pages(doc) as pages:
            layer = read_text_layer(pages)
            boxes = printed._text_boxes(layer).get(0, [])
            with pages.page(0) as page:
                full, drawn = ink(page, boxes, keep), drawn_pixels(page)
                looks = [hidden_text.Look(BAND, keep)]
                with hidden_text.hidden(pages.kept_textpage(0), layer.runs, boxes, looks) as count:
                    less = ink(page, boxes, keep)
                    assert (drawn_pixels(page) < drawn) == (count > 0)  # hidden glyphs are not drawn
                return full, less, count
    finally:
        doc.close()


def drawn_pixels(page: pdfium.PdfPage) -> int:
    return int((marks._render(page, BAND, 1.0) < 150).sum())


def ink(
    page: pdfium.PdfPage, boxes: Sequence[tuple[float, float, float, float]], keep: Sequence
) -> np.ndarray:
    pictures = []
    for scale in (1.0, marks.SCALE):
        image = marks._render(page, BAND, scale) < 150
        marks._mask_text(image, boxes, keep, (BAND[0], BAND[1], BAND[3], scale))
        pictures.append(image)
    return np.concatenate([p.ravel() for p in pictures])


def test_text_inside_the_masks_is_not_drawn_and_the_ink_looked_at_is_the_same() -> None:
    ops = (text(40, Y, LABEL), text(40, Y + 14, "上の行"), text(40, Y - 12, "下の行"), box(200, Y - 1),
           tick(200, Y - 1), rule(30, Y - 3, 560, Y - 3), rule(190, Y - 20, 190, Y + 20))  # fmt: skip
    full, less, count = looked_at(ops)
    assert count == 3
    assert (full == less).all() and full.any()


def test_text_in_a_kept_range_is_drawn() -> None:
    full, less, count = looked_at((text(40, Y, LABEL), text(300, Y, "◆")), keep=((295.0, 320.0),))
    assert count == 1  # the label; the unexplained glyph the reader keeps is drawn
    assert (full == less).all() and full.any()


def test_text_in_a_shifted_form_outlined_or_in_a_substituted_font_is_drawn() -> None:
    assert looked_at((in_a_form(40, Y, LABEL),))[2] == 0
    assert looked_at((stroked(40, Y, LABEL),))[2] == 0
    assert looked_at((helvetica(40, Y, "Declaration"),))[2] == 0
    assert looked_at((text(40, Y, LABEL), helvetica(300, Y, "Declaration")))[2] == 1


def test_text_between_two_bands_of_one_picture_is_not_drawn_and_text_by_a_band_without_a_mask_is() -> None:
    doc = pdfium.PdfDocument(pdf((text(40, Y, LABEL), text(40, Y - 68, "帯のそばの行"))))
    try:
        with Pages(doc) as pages:
            layer = read_text_layer(pages)
            looks = [
                hidden_text.Look((30.0, Y - 80, 560.0, Y - 70), ()),
                hidden_text.Look((30.0, Y + 30, 560.0, Y + 40), ()),
            ]
            with hidden_text.hidden(pages.kept_textpage(0), layer.runs, [], looks) as count:
                assert count == 1  # the label, far from both bands; not the line by the lower one
    finally:
        doc.close()
