"""様式1 re-typed by a bank in Word or Excel: the printed labels of youshiki1.json, another layout.

Drawn with reportlab and the IPAex fonts (labels in Mincho, values in Gothic). Each layout differs from
the official form in row order, pairs per line, how ticks are written (■/□, レ, ✓) and how the agency
is written (its name, or a ■/□ list of the four). ``strip_tounicode`` removes every font's /ToUnicode
map so that a PDF's text no longer decodes (it must then be read as a scan).
"""

from __future__ import annotations

import io
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from forms.spec import AGENCIES, FieldSpec, load_spec

FONT_DIRS = tuple(Path(f"/usr/share/fonts/{kind}/ipaexfont-{family}")
                  for kind in ("opentype", "truetype") for family in ("gothic", "mincho"))  # fmt: skip
LABEL_FONT, VALUE_FONT = "RetypedMincho", "RetypedGothic"
MARGIN, TOP, BOTTOM = 40.0, 800.0, 40.0
LINE = 12.0  # baseline distance inside a cell
PAD = 4.0
#: Fields given a whole line even when a layout puts two pairs per line.
FULL_LINE = frozenset({"agency", "hq_address", "tokyo_office_address", "requested_services", "consultation",
                       "reapplication_reason", "target_countries"})  # fmt: skip
WRAPPED = frozenset({"consultation", "reapplication_reason"})


@dataclass(frozen=True)
class Layout:
    order: str  # spec | shuffled | bank_first
    per_line: int  # label/value pairs per line
    ticks: tuple[str, str]  # (ticked, unticked)
    agency: str  # name | boxes
    sections: bool  # print the section headings


LAYOUTS: Mapping[str, Layout] = {
    "table_reordered": Layout("shuffled", 1, ("■", "□"), "name", sections=False),
    "two_per_line": Layout("spec", 2, ("レ", ""), "boxes", sections=True),
    "sections_checkmarks": Layout("bank_first", 1, ("✓", ""), "name", sections=True),
}


def _font(name: str) -> Path:
    for d in FONT_DIRS:
        if (d / name).exists():
            return d / name
    raise FileNotFoundError(f"{name}: install Debian fonts-ipaexfont-gothic and fonts-ipaexfont-mincho")


def register_fonts() -> None:
    if VALUE_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(VALUE_FONT, str(_font("ipaexg.ttf"))))
        pdfmetrics.registerFont(TTFont(LABEL_FONT, str(_font("ipaexm.ttf"))))


def _ordered(fields: list[FieldSpec], order: str) -> list[FieldSpec | str]:
    """The rows: field specs, with section names (str) before each section."""
    sections = {"header": "申込欄", "company": "企業記入欄", "bank": "金融機関記入欄"}
    if order == "shuffled":
        shuffled = list(fields)
        random.Random(7).shuffle(shuffled)
        return list(shuffled)
    names = ["bank", "company", "header"] if order == "bank_first" else ["header", "company", "bank"]
    rows: list[FieldSpec | str] = []
    for name in names:
        rows.append(sections[name])
        rows.extend(f for f in fields if f.section == name)
    return rows


def agency_text(chosen: Any, style: str, choices: Mapping[str, str]) -> str:
    ticked = [] if chosen in (None, "") else [chosen] if isinstance(chosen, str) else list(chosen)
    if style == "name":
        return " ".join(choices[a] for a in AGENCIES if a in ticked)
    return " ".join(("■" if a in ticked else "□") + choices[a] for a in AGENCIES)


def value_text(spec: FieldSpec, values: Mapping[str, Any], layout: Layout) -> str:
    if spec.key == "agency":
        return agency_text(values.get("agency"), layout.agency, spec.choices)
    v = values.get(spec.key)
    if spec.type == "checkbox":
        return layout.ticks[0] if v else layout.ticks[1]
    return "" if v is None else str(v)


def _fit(text: str, font: str, width: float, size: float, smallest: float = 4.5) -> float:
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width - 2 * PAD:
        size -= 0.25
    return size


def _wrap(text: str, width: float, size: float) -> list[str]:
    lines, cur = [], ""
    for ch in text.replace("\n", ""):
        if cur and pdfmetrics.stringWidth(cur + ch, VALUE_FONT, size) > width - 2 * PAD:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    return [*lines, cur]


@dataclass(frozen=True)
class Cell:
    label: str
    lines: tuple[str, ...]
    wrapped: bool


def _lines(rows: list[FieldSpec | str], values: Mapping[str, Any], layout: Layout) -> list[list[Cell] | str]:
    out: list[list[Cell] | str] = []
    pending: list[Cell] = []
    for row in rows:
        if isinstance(row, str):
            out.extend([pending, row] if pending else [row])
            pending = []
            continue
        cell = Cell(row.label, (value_text(row, values, layout),), row.key in WRAPPED)
        if row.key in FULL_LINE or layout.per_line == 1:
            out.extend([pending, [cell]] if pending else [[cell]])
            pending = []
            continue
        pending.append(cell)
        if len(pending) == layout.per_line:
            out.append(pending)
            pending = []
    return out + ([pending] if pending else [])


def _draw_line(c: canvas.Canvas, cells: list[Cell], y: float) -> float:
    """Draw one line of label/value cells whose top is at y; return the line's height."""
    width = (A4[0] - 2 * MARGIN) / len(cells)
    label_w = width * (0.38 if len(cells) == 1 else 0.55)
    value_w = width - label_w
    texts = [_wrap(cell.lines[0], value_w, 9.0) if cell.wrapped else [cell.lines[0]] for cell in cells]
    height = LINE * max(len(t) for t in texts) + 6
    for i, (cell, text) in enumerate(zip(cells, texts, strict=True)):
        x = MARGIN + i * width
        c.rect(x, y - height, label_w, height)
        c.rect(x + label_w, y - height, value_w, height)
        base = y - LINE
        c.setFont(LABEL_FONT, _fit(cell.label, LABEL_FONT, label_w, 8.5))
        c.drawString(x + PAD, base, cell.label)
        for k, line in enumerate(text):
            c.setFont(VALUE_FONT, 9.0 if cell.wrapped else _fit(line, VALUE_FONT, value_w, 9.0))
            c.drawString(x + label_w + PAD, base - k * LINE, line)
    return height


def draw(values: Mapping[str, Any], layout: Layout) -> bytes:
    """The re-typed 様式1 as PDF bytes (deterministic)."""
    register_fonts()
    spec = load_spec()
    lines = _lines(_ordered(list(spec.fields.values()), layout.order), values, layout)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle("海外展開支援（案内）申込書")
    c.setFont(LABEL_FONT, 10)
    c.drawString(MARGIN, TOP + 12, "（様式1）")
    c.setFont(LABEL_FONT, 15)
    c.drawCentredString(A4[0] / 2, TOP - 10, "海外展開支援（案内）申込書")
    y = TOP - 30
    for line in lines:
        if isinstance(line, str):
            if not layout.sections:
                continue
            c.setFont(LABEL_FONT, 10)
            c.drawString(MARGIN, y - 14, line)
            y -= 20
            continue
        if y - LINE * 4 < BOTTOM:
            c.showPage()
            y = TOP
        y -= _draw_line(c, line, y)
    c.showPage()
    c.save()
    return buf.getvalue()


def build(layout_name: str, values: Mapping[str, Any]) -> bytes:
    return draw(values, LAYOUTS[layout_name])


def strip_tounicode(pdf_bytes: bytes) -> bytes:
    """The same PDF with every font's /ToUnicode map removed: its text no longer decodes."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and "/ToUnicode" in obj:
                del obj["/ToUnicode"]
        pdf.save(out, deterministic_id=True)
    return out.getvalue()
