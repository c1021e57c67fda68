"""A 様式1 whose company part is written by hand, the bank part typed, then scanned.

How far this is from real hands: the glyphs come from two handwriting-style fonts (Debian's
fonts-seto, fonts-yozvox-yozfont), one per form as one person writes the whole company part; each glyph
gets its own size (±8 %), rotation (±4°), baseline (±0.8 pt) and spacing (−4…+18 % of an em) from the
seed, in a blue-black pen. Ticks are drawn as pen strokes — a レ or a ✓ of varying size and slant, not
a font's glyph. Real hands differ more: connected and cursive strokes, characters that touch or leave
the box, corrections, pressure and pen changes, a personal way of writing each kanji. About half
the choices are answered with a ring (○) round the printed choice in the label cell, not the word.
The figures on this shape are an upper bound for real handwriting, not a measurement of it.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONTS = (
    Path("/usr/share/fonts/truetype/seto/setofont.ttf"),
    Path("/usr/share/fonts/truetype/yozvox-yozfont/YOzRN_.ttf"),
)
#: The sections written by the company (by hand); the bank's section stays typed.
HAND_SECTIONS = ("header", "company")
PEN = (0.08, 0.1, 0.3)


def available() -> bool:
    return all(f.exists() for f in FONTS)


@cache
def _font(index: int) -> str:
    name = f"Hand{index}"
    pdfmetrics.registerFont(TTFont(name, str(FONTS[index])))
    return name


def split_values(
    values: Mapping[str, Any], spec_sections: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the company writes by hand, what the bank types) of fill.py-format values."""
    hand_keys = {k for s in HAND_SECTIONS for k in spec_sections[s]}
    hand = {k: v for k, v in values.items() if k in hand_keys or k.startswith("agency")}
    typed = {k: v for k, v in values.items() if k not in hand}
    return hand, typed


def _draw_text(
    c: canvas.Canvas, rng: random.Random, font: str, rect: list[float], text: str, multi: bool
) -> None:
    x0, y0, x1, y1 = rect
    width, height = x1 - x0 - 6, y1 - y0
    size = 10.5 if not multi else 8.5
    advance = sum(pdfmetrics.stringWidth(ch, font, size) * 1.07 for ch in text)
    lines = 1
    if multi:
        lines = max(1, math.ceil(advance / width))
        while lines * size * 1.3 > height - 2 and size > 5:
            size -= 0.25
            advance = sum(pdfmetrics.stringWidth(ch, font, size) * 1.07 for ch in text)
            lines = max(1, math.ceil(advance / width))
    elif advance > width:
        size *= width / advance
    x, line = x0 + 3 + rng.uniform(0, 3), 0
    base = (y1 - 3 - size) if multi else (y0 + height / 2 - 0.35 * size)
    for ch in text:
        glyph = size * rng.uniform(0.92, 1.08)
        w = pdfmetrics.stringWidth(ch, font, glyph)
        if multi and x + w > x1 - 3:
            line, x = line + 1, x0 + 3
        c.saveState()
        c.translate(x, base - line * size * 1.3 + rng.uniform(-0.8, 0.8))
        c.rotate(rng.uniform(-4, 4))
        c.setFont(font, glyph)
        c.drawString(0, 0, ch)
        c.restoreState()
        x += w + size * rng.uniform(-0.04, 0.18) * (0.4 if ch.isascii() else 1.0)


def _draw_tick(c: canvas.Canvas, rng: random.Random, rect: list[float]) -> None:
    """A レ or a ✓ drawn with a pen: two strokes, the second longer, slanted."""
    x0, y0, x1, y1 = rect
    s = (x1 - x0) * rng.uniform(0.9, 1.3)
    cx, cy = (x0 + x1) / 2 + rng.uniform(-1, 1), (y0 + y1) / 2 + rng.uniform(-1, 1)
    c.setStrokeColorRGB(*PEN)
    c.setLineWidth(rng.uniform(0.9, 1.4))
    c.setLineCap(1)
    path = c.beginPath()
    if rng.random() < 0.5:  # レ: down, then up to the right
        path.moveTo(cx - 0.35 * s, cy + 0.45 * s)
        path.lineTo(cx - 0.25 * s, cy - 0.35 * s)
        path.lineTo(cx + 0.5 * s, cy + 0.3 * s)
    else:  # ✓: a short stroke down, a long one up
        path.moveTo(cx - 0.45 * s, cy)
        path.lineTo(cx - 0.1 * s, cy - 0.4 * s)
        path.lineTo(cx + 0.55 * s, cy + 0.55 * s)
    c.drawPath(path, stroke=1, fill=0)


def _draw_ring(c: canvas.Canvas, rng: random.Random, rect: tuple[float, float, float, float]) -> None:
    """A ○ drawn round a printed choice: an ellipse a little larger than the word, slightly off."""
    x0, y0, x1, y1 = rect
    pad_x, pad_y = rng.uniform(2.0, 4.0), rng.uniform(2.0, 3.0)
    dx, dy = rng.uniform(-1.0, 1.0), rng.uniform(-0.6, 0.6)
    c.setStrokeColorRGB(*PEN)
    c.setLineWidth(rng.uniform(0.8, 1.2))
    c.ellipse(x0 - pad_x + dx, y0 - pad_y + dy, x1 + pad_x + dx, y1 + pad_y + dy, stroke=1, fill=0)


def circled_choices(hand: Mapping[str, Any], seed: int) -> dict[str, tuple[float, float, float, float]]:
    """The choice fields answered with a ring round the printed word (about half of them, by the seed),
    each with the word's rectangle in points; their value cells stay blank."""
    from forms.extract.geometry import load_geometry

    rng = random.Random(seed * 7 + 1)
    out = {}
    for option in load_geometry().options:
        if hand.get(option.field) == option.label and rng.random() < 0.5:
            out[option.field] = option.rect
    return out


def overlay(hand: Mapping[str, Any], widgets: Mapping[str, Any], seed: int) -> bytes:
    """The handwritten values as a two-page PDF to lay over the typed form."""
    rng = random.Random(seed)
    font = _font(seed % len(FONTS))
    rings = circled_choices(hand, seed)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    for page in range(2):
        c.setFillColorRGB(*PEN)
        for name, value in hand.items():
            widget = widgets.get(name)
            if widget is None or widget["page"] != page:
                continue
            if name in rings:
                _draw_ring(c, rng, rings[name])
            elif widget["kind"] == "check":
                if value:
                    _draw_tick(c, rng, widget["rect"])
            elif value:
                _draw_text(c, rng, font, widget["rect"], str(value), widget["kind"] == "multi")
        c.showPage()
    c.save()
    return buf.getvalue()


def handwritten_pdf(fill: Any, values: Mapping[str, Any], seed: int, out: Path) -> None:
    """The form with the company part written by hand and the bank part typed, scanned (fill.scan)."""
    sections = _sections()
    agency = values.get("agency")
    agencies = agency if isinstance(agency, list) else [agency] if agency else []
    hand, typed = split_values(values, sections)
    hand = {k: v for k, v in hand.items() if k != "agency"}
    hand.update({f"agency_{a}": a in agencies for a in ("jetro", "scb", "kosha", "smrj")})
    flat = out.with_suffix(".typed.tmp")
    fill.flatten(typed, str(flat))
    writer = PdfWriter(clone_from=PdfReader(flat))
    layer = PdfReader(io.BytesIO(overlay(hand, fill.form_widgets(), seed)))
    for page, over in zip(writer.pages, layer.pages, strict=True):
        page.merge_page(over)
    merged = io.BytesIO()
    writer.write(merged)
    flat.unlink()
    fill.scan(merged.getvalue(), str(out), seed=seed)


@cache
def _sections() -> dict[str, tuple[str, ...]]:
    from forms.spec import load_spec

    spec = load_spec()
    return {
        s: tuple(k for k, f in spec.fields.items() if f.section == s) for s in ("header", "company", "bank")
    }
