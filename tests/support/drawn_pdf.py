"""Small PDFs drawn with reportlab for the readers' unit tests: text in IPAex Gothic, boxes, ticks and
rulings as vector paths (what Ghostscript, cairo and browsers leave of a checkbox), one page or more."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT_DIRS = ("/usr/share/fonts/opentype/ipaexfont-gothic", "/usr/share/fonts/truetype/ipaexfont-gothic")
FONT = next((Path(d) / "ipaexg.ttf" for d in FONT_DIRS if (Path(d) / "ipaexg.ttf").exists()), None)
SIZE = 9.0  # the text size: a label of n kanji is 9·n points wide

Draw = Callable[[canvas.Canvas], None]


def pdf(*pages: Sequence[Draw]) -> bytes:
    """A PDF of A4 pages, each drawn by its operations in order."""
    if "IPAexG" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("IPAexG", str(FONT)))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=True)
    for ops in pages:
        c.setFont("IPAexG", SIZE)
        for op in ops:
            op(c)
        c.showPage()
    c.save()
    return out.getvalue()


def text(x: float, y: float, s: str) -> Draw:
    return lambda c: c.drawString(x, y, s)


def box(x: float, y: float, size: float = SIZE, *, filled: bool = False) -> Draw:
    """A square with its lower left corner at (x, y)."""

    def draw(c: canvas.Canvas) -> None:
        c.setLineWidth(0.8)
        c.rect(x, y, size, size, stroke=1, fill=1 if filled else 0)

    return draw


def tick(x: float, y: float, size: float = SIZE) -> Draw:
    """A ✓ stroke in the square of side ``size`` at (x, y)."""

    def draw(c: canvas.Canvas) -> None:
        c.setLineWidth(size / 7)
        path = c.beginPath()
        path.moveTo(x + 0.15 * size, y + 0.5 * size)
        path.lineTo(x + 0.4 * size, y + 0.15 * size)
        path.lineTo(x + 0.9 * size, y + 0.9 * size)
        c.drawPath(path, stroke=1, fill=0)

    return draw


def dot(x: float, y: float, side: float) -> Draw:
    """A small filled square (a speck of ink)."""
    return lambda c: c.rect(x, y, side, side, stroke=0, fill=1)


def rule(x0: float, y0: float, x1: float, y1: float, width: float = 0.6) -> Draw:
    """A straight line (a table's ruling)."""

    def draw(c: canvas.Canvas) -> None:
        c.setLineWidth(width)
        c.line(x0, y0, x1, y1)

    return draw
