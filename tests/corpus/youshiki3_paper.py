"""Returned 様式3 on paper: the issued PDF printed, answered by hand (or typed on it), then scanned.

A bank prints the 様式3 the service issued (WeasyPrint's PDF of templates/documents/youshiki3.html),
answers it, and scans or faxes it back. The answers are drawn over the issued PDF where its text layer
puts the printed words (pdfplumber), in one of two hands:

- ``hand``: the bank officer's pen — digits and words in a handwriting-style font with per-glyph jitter
  (``handwriting``), a レ or ✓ stroke in the box, a ring (○) round the chosen word, the other choices
  struck through with one or two slanted strokes;
- ``typed``: answers typed on the PDF before printing (IPAex Gothic, ■ over the box, straight strike
  lines, a drawn ellipse).

The page may then be printed "fit to page" (shrunk 2–4 % about its centre) and is scanned by fill.py's
scan (200 dpi, rotation, noise, specks, JPEG). How far from real paper: see ``handwriting``; a pen's
ring or strike is drawn as one clean stroke, a real one wobbles, is doubled or overshoots more.
"""

from __future__ import annotations

import io
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pdfplumber
from pypdf import PdfReader, PdfWriter, Transformation
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from tests.corpus import handwriting
from tests.corpus.handwriting import PEN, _draw_text, _draw_tick, _font

#: A rectangle in PDF points, origin bottom left: (x0, y0, x1, y1).
Rect = tuple[float, float, float, float]
TYPED_FONT = "Y3Typed"
LOAN_CHOICES = ("実行済", "未実行", "謝絶・取下げ")
EXPANSION_CHOICES = ("検討中", "計画策定済", "進出済", "断念")
#: How a choice list is answered: the chosen box ticked, the chosen word ringed, the others struck
#: through, or two of these; "two" ticks two boxes (the bank's mistake).
MARKS = ("box", "ring", "strike", "ring+strike", "box+strike", "two")


@dataclass(frozen=True)
class Reply:
    """What the bank writes on the paper: choices as printed, the date's three numbers, the amount as
    written before the printed 円 (``30,000,000`` or ``3,000万``)."""

    loan: str | None
    day: tuple[int, int, int] | None = None  # (令和 year, month, day)
    amount: str = ""
    menu: str = ""
    expansion: str | None = None
    comments: str = ""
    loan_mark: str = "box"
    expansion_mark: str = "box"
    strokes: int = 1  # lines in each strike-through


@dataclass(frozen=True)
class Places:
    """Where the issued PDF prints what the bank answers around (points, origin bottom left)."""

    pages: int
    page_of: Mapping[str, int]  # row label → page index
    words: Mapping[str, Rect]  # option word, or "date:令和|年|月|日", "amount:円" → its box
    boxes: Mapping[str, Rect]  # option word → its □
    rows: Mapping[str, Rect]  # row label → the value cell's first line (x from the cell's text start)


_ROWS = ("融資の状況", "融資実行日", "融資実行額", "実行した融資のメニュー", "海外展開の状況", "コメント")


def places(pdf: bytes) -> Places:
    """The printed words a bank answers around, from the issued PDF's text layer."""
    page_of: dict[str, int] = {}
    words: dict[str, Rect] = {}
    boxes: dict[str, Rect] = {}
    rows: dict[str, Rect] = {}
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for index, page in enumerate(doc.pages):
            height = float(page.height)
            found = page.extract_words(keep_blank_chars=False)

            def rect(w: Mapping[str, Any], h: float = height) -> Rect:
                return (float(w["x0"]), h - float(w["bottom"]), float(w["x1"]), h - float(w["top"]))

            for w in found:
                if w["text"] in _ROWS and float(w["x0"]) < 100 and w["text"] not in page_of:
                    page_of[w["text"]] = index
                    _, y0, _, y1 = rect(w)
                    rows[w["text"]] = (194.0, y0, 530.0, y1)
            for i, w in enumerate(found):
                if w["text"] in (*LOAN_CHOICES, *EXPANSION_CHOICES) and float(w["x0"]) > 150:
                    words[w["text"]] = rect(w)
                    if i and found[i - 1]["text"] == "□":
                        boxes[w["text"]] = rect(found[i - 1])
            _date_and_yen(found, rect, rows, words)
        pages = len(doc.pages)
    return Places(pages, page_of, words, boxes, rows)


def _date_and_yen(found: Sequence[Mapping[str, Any]], rect: Any, rows: Mapping[str, Rect],
                  words: dict[str, Rect]) -> None:  # fmt: skip
    for w in found:
        r = rect(w)
        for label, pieces in (("融資実行日", ("令和", "年", "月", "日")), ("融資実行額", ("円",))):
            row = rows.get(label)
            if row is not None and w["text"] in pieces and abs(r[1] - row[1]) < 2 and r[0] > 150:
                words.setdefault(f"{label}:{w['text']}", r)


# ── drawing ───────────────────────────────────────────────────────────────────────────────────
@cache
def _typed_font() -> str:
    from tests.corpus.retyped import _font as ipaex

    pdfmetrics.registerFont(TTFont(TYPED_FONT, str(ipaex("ipaexg.ttf"))))
    return TYPED_FONT


class Pen:
    """Draws one reply in one hand (``hand`` or ``typed``) on a reportlab canvas."""

    def __init__(self, c: canvas.Canvas, hand: str, seed: int) -> None:
        self.c, self.hand, self.rng = c, hand, random.Random(seed)
        self.font = _font(seed % len(handwriting.FONTS)) if hand == "hand" else _typed_font()

    def text(self, rect: Rect, text: str, *, multi: bool = False) -> None:
        if not text:
            return
        self.c.setFillColorRGB(*(PEN if self.hand == "hand" else (0, 0, 0)))
        if self.hand == "hand":
            _draw_text(self.c, self.rng, self.font, list(rect), text, multi)
            return
        x0, y0, _, y1 = rect
        self.c.setFont(self.font, 10.0)
        for k, line in enumerate(text.split("\n")):
            self.c.drawString(x0 + 2, (y0 + y1) / 2 - 3.5 - 12 * k, line)

    def tick(self, box: Rect) -> None:
        if self.hand == "hand":
            _draw_tick(self.c, self.rng, list(box))
            return
        x0, y0, x1, y1 = box
        self.c.setFillColorRGB(0, 0, 0)
        self.c.rect(x0 + 1.2, y0 + 0.6, x1 - x0 - 2.4, y1 - y0 - 1.2, stroke=0, fill=1)  # ■

    def ring(self, word: Rect) -> None:
        x0, y0, x1, y1 = word
        rng = self.rng
        pad_x, pad_y = (rng.uniform(2.0, 4.0), rng.uniform(1.5, 2.8)) if self.hand == "hand" else (3.0, 2.0)
        dx, dy = (rng.uniform(-1.0, 1.0), rng.uniform(-0.5, 0.5)) if self.hand == "hand" else (0.0, 0.0)
        self._pen(rng.uniform(0.8, 1.2) if self.hand == "hand" else 0.8)
        self.c.ellipse(x0 - pad_x + dx, y0 - pad_y + dy, x1 + pad_x + dx, y1 + pad_y + dy, stroke=1, fill=0)

    def strike(self, word: Rect, strokes: int) -> None:
        x0, y0, x1, y1 = word
        h = y1 - y0
        rng = self.rng
        hand = self.hand == "hand"
        levels = (0.5,) if strokes == 1 else (0.38, 0.62)
        for level in levels:
            self._pen(rng.uniform(0.8, 1.3) if hand else 0.8)
            y = y0 + level * h + (rng.uniform(-0.08, 0.08) * h if hand else 0.0)
            lean = rng.uniform(-0.12, 0.12) * h if hand else 0.0
            over = (rng.uniform(1.0, 4.0), rng.uniform(1.0, 4.0)) if hand else (2.0, 2.0)
            self.c.line(x0 - over[0], y - lean, x1 + over[1], y + lean)

    def _pen(self, width: float) -> None:
        self.c.setStrokeColorRGB(*(PEN if self.hand == "hand" else (0, 0, 0)))
        self.c.setLineWidth(width)
        self.c.setLineCap(1)


def _answer_choices(pen: Pen, where: Places, choices: Sequence[str], chosen: str | None, mark: str,
                    strokes: int) -> None:  # fmt: skip
    if chosen is None:
        return
    others = [c for c in choices if c != chosen]
    if mark in ("box", "box+strike", "two"):
        pen.tick(where.boxes[chosen])
    if mark == "two":
        pen.tick(where.boxes[others[-1]])
    if mark in ("ring", "ring+strike"):
        pen.ring(where.words[chosen])
    if mark in ("strike", "ring+strike", "box+strike"):
        for other in others:
            pen.strike(where.words[other], strokes)


def _gap(where: Places, left: str, right: str) -> Rect:
    a, b = where.words[f"融資実行日:{left}"], where.words[f"融資実行日:{right}"]
    return (a[2] - 1, a[1] - 3, b[0] + 1, a[3] + 3)


def draw_reply(c: canvas.Canvas, where: Places, reply: Reply, hand: str, seed: int) -> None:
    """Every page of the reply over the issued PDF's pages (``where``)."""
    pen = Pen(c, hand, seed)
    for page in range(where.pages):
        on = {label for label, p in where.page_of.items() if p == page}
        if "融資の状況" in on:
            _answer_choices(pen, where, LOAN_CHOICES, reply.loan, reply.loan_mark, reply.strokes)
        if "融資実行日" in on and reply.day is not None:
            for (left, right), number in zip(
                (("令和", "年"), ("年", "月"), ("月", "日")), reply.day, strict=True
            ):
                pen.text(_gap(where, left, right), str(number))
        if "融資実行額" in on and reply.amount:
            yen = where.words["融資実行額:円"]
            width = pdfmetrics.stringWidth(reply.amount, pen.font, 10.5) * 1.15 + 6
            pen.text((yen[0] - width - 2, yen[1] - 3, yen[0] - 1, yen[3] + 3), reply.amount)
        if "実行した融資のメニュー" in on and reply.menu:
            x0, y0, x1, y1 = where.rows["実行した融資のメニュー"]
            pen.text((x0, y0 - 3, x1, y1 + 3), reply.menu)
        if "海外展開の状況" in on:
            _answer_choices(
                pen, where, EXPANSION_CHOICES, reply.expansion, reply.expansion_mark, reply.strokes
            )
        if "コメント" in on and reply.comments:
            x0, _, x1, y1 = where.rows["コメント"]
            pen.text((x0, y1 - 60, x1, y1 + 2), reply.comments, multi=True)
        c.showPage()


def answered_pdf(issued: bytes, reply: Reply, hand: str, seed: int, *, shrink: float = 1.0) -> bytes:
    """The issued PDF with the reply drawn over it, shrunk by ``shrink`` about each page's centre (a
    print "fit to page")."""
    where = places(issued)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    draw_reply(c, where, reply, hand, seed)
    c.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(issued)))
    for page, over in zip(writer.pages, PdfReader(io.BytesIO(buf.getvalue())).pages, strict=True):
        page.merge_page(over)
        if shrink != 1.0:
            w, h = float(page.mediabox.width), float(page.mediabox.height)
            page.add_transformation(
                Transformation().translate(-w / 2, -h / 2).scale(shrink, shrink).translate(w / 2, h / 2)
            )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def scanned(fill: Any, answered: bytes, out: Path, seed: int) -> None:
    """The answered paper through fill.py's office-scanner simulation."""
    fill.scan(answered, str(out), seed=seed)
