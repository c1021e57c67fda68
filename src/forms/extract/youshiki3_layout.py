"""A returned 様式3 laid out as label/value rows: from the .docx (python-docx) or a PDF of it (pdfplumber).

    .docx bytes ──python-docx──┐
                               ├─▶ Layout: rows (label → value lines, each character with its strike)
    PDF bytes ──pdfplumber─────┘           and the whole text

Nothing raises on bad input: a file that cannot be laid out gives None (a PDF the guards of
:mod:`forms.extract.pdf` and :mod:`forms.extract.streams` refuse, their Problem). What the rows mean is
:mod:`forms.extract.youshiki3`'s job.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from forms import model

if TYPE_CHECKING:  # python-docx, lxml, pdfplumber and qpdf are imported when a .docx or a PDF is read
    import pdfplumber
    from lxml import etree

MAX_PAGES = 10
_MAX_UNZIPPED = 100 * 1024 * 1024
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Line:
    """One line of a cell: its text and, per character, whether it is struck through."""

    text: str
    struck: tuple[bool, ...]

    @classmethod
    def of(cls, pieces: Iterable[tuple[str, bool]]) -> Line:
        text, struck = "", []
        for piece, is_struck in pieces:
            form = unicodedata.normalize("NFKC", piece)
            text += form
            struck += [is_struck] * len(form)
        return cls(text, tuple(struck))


@dataclass(frozen=True)
class Layout:
    """A document as label/value rows (first occurrence of each label) and its whole text."""

    rows: Mapping[str, tuple[Line, ...]]
    text: str


def label_form(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


# ── .docx ─────────────────────────────────────────────────────────────────────────────────────
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"  # python-docx's qn("w:…")


def _is_on(element: etree._Element | None) -> bool:
    return element is not None and element.get(_W + "val", "true") not in ("false", "0", "off")


def _run_pieces(paragraph: etree._Element) -> Iterable[tuple[str, bool]]:
    """The text of a paragraph's runs (tracked insertions and content controls included, tracked
    deletions left out), each with whether the run is struck through."""
    for run in paragraph.iter(_W + "r"):
        if any(a.tag == _W + "del" for a in run.iterancestors()):
            continue
        rpr = run.find(_W + "rPr")
        struck = rpr is not None and any(_is_on(rpr.find(_W + s)) for s in ("strike", "dstrike"))
        for child in run:
            if child.tag == _W + "t":
                yield child.text or "", struck
            elif child.tag in (_W + "tab", _W + "br"):
                yield " ", False
            elif child.tag == _W + "sym":  # Wingdings ticks and boxes inserted as symbols
                yield ("✓" if child.get(_W + "char", "").upper() in ("F0FC", "F0FE") else "□"), False


def docx_layout(data: bytes) -> Layout | None:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > _MAX_UNZIPPED:
                return None
        doc = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError):
        return None
    rows: dict[str, tuple[Line, ...]] = {}
    texts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            cells = row.cells
            if len(cells) < 2 or cells[0]._tc is cells[1]._tc:
                continue
            label = label_form(cells[0].text)
            rows.setdefault(label, tuple(Line.of(_run_pieces(p._p)) for p in cells[1].paragraphs))
            texts.append(cells[0].text)
    return Layout(rows, "\n".join(texts))


# ── PDF ───────────────────────────────────────────────────────────────────────────────────────
Bbox = tuple[float, float, float, float]
Stroke = tuple[float, float, float]
#: A row border spans a cell at least; a stroke through a word is shorter and must not split a cell.
_MIN_ROW_BORDER = 100.0


def _table_settings(page: pdfplumber.page.Page) -> dict[str, Any]:
    borders = [e for e in page.edges if e["orientation"] == "h" and e["x1"] - e["x0"] >= _MIN_ROW_BORDER]
    return {"horizontal_strategy": "explicit", "explicit_horizontal_lines": borders}


def _strokes(page: pdfplumber.page.Page) -> list[Stroke]:
    """Horizontal strokes (x0, x1, y) of a page: lines, and rectangles thinner than 1.5 pt."""
    found = [(ln["x0"], ln["x1"], ln["top"]) for ln in page.lines if abs(ln["top"] - ln["bottom"]) < 1]
    found += [(r["x0"], r["x1"], (r["top"] + r["bottom"]) / 2) for r in page.rects if r["height"] < 1.5]
    return found


def _is_struck(char: Mapping[str, Any], strokes: Sequence[Stroke]) -> bool:
    """A stroke through the middle band of the character (not its underline or the cell's border)."""
    height = char["bottom"] - char["top"]
    low, high = char["top"] + 0.3 * height, char["bottom"] - 0.25 * height
    middle = (char["x0"] + char["x1"]) / 2
    return any(x0 <= middle <= x1 and low <= y <= high for x0, x1, y in strokes)


def _inside(bbox: Bbox) -> Callable[[Mapping[str, Any]], bool]:
    """Objects whose centre is in ``bbox`` (a character straddling a border belongs to one cell)."""
    x0, top, x1, bottom = bbox

    def test(obj: Mapping[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return False
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return x0 <= x <= x1 and top <= y <= bottom

    return test


def _pdf_cell(page: pdfplumber.page.Page, bbox: Bbox, strokes: Sequence[Stroke]) -> tuple[Line, ...]:
    lines = page.filter(_inside(bbox)).extract_text_lines(return_chars=True, strip=False)
    return tuple(Line.of(_char_pieces(ln["chars"], strokes)) for ln in lines)


def _char_pieces(chars: Sequence[Mapping[str, Any]], strokes: Sequence[Stroke]) -> Iterable[tuple[str, bool]]:
    """The characters of a line with their strikes; a gap wider than a quarter of a character is a space."""
    previous: Mapping[str, Any] | None = None
    for char in chars:
        if previous is not None and char["x0"] - previous["x1"] > 0.25 * float(char.get("size") or 10):
            yield " ", False
        yield char["text"], _is_struck(char, strokes)
        previous = char


def pdf_row_cells(page: pdfplumber.page.Page) -> list[tuple[str, Bbox, Bbox]]:
    """Each table row of a page with a label and a value cell: (label, label cell, value cell), the
    cells as (x0, top, x1, bottom) in points."""
    out: list[tuple[str, Bbox, Bbox]] = []
    settings = _table_settings(page)
    if len(settings["explicit_horizontal_lines"]) < 2:
        return out  # no ruled table on the page (a 決算書, a letter, page images): no rows, not a broken file
    for table in page.find_tables(settings):
        for row in table.rows:
            cells = [c for c in row.cells if c is not None]
            if len(cells) >= 2:
                label = label_form("".join(line.text for line in _pdf_cell(page, cells[0], ())))
                out.append((label, cells[0], cells[1]))
    return out


def _page_rows(page: pdfplumber.page.Page, rows: dict[str, tuple[Line, ...]]) -> None:
    strokes = _strokes(page)
    for label, _, value in pdf_row_cells(page):
        rows.setdefault(label, _pdf_cell(page, value, strokes))


def pdf_layout(data: bytes, *, inflate_budget: int | None = None) -> Layout | model.Problem | None:
    """The rows of a PDF, once qpdf found it whole, short enough and its streams within
    ``inflate_budget`` bytes (``streams.check``, its default when None: pdfminer inflates every stream
    it reads whole); the Problem when it is not, None when pdfminer cannot lay it out."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfplumber.utils.exceptions import PdfminerException

    from forms.extract import pdf as pdf_guards
    from forms.extract import streams

    budget = streams.DEFAULT_BUDGET_MB << 20 if inflate_budget is None else inflate_budget
    opened = pdf_guards.open_pdf(data, max_pages=MAX_PAGES)
    if isinstance(opened, model.Problem):
        return opened
    try:
        refused = streams.check(opened.pdf, budget=budget)
    finally:
        opened.close()
    if refused is not None:
        return refused
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            rows: dict[str, tuple[Line, ...]] = {}
            texts: list[str] = []
            for page in pdf.pages:
                texts.append(page.extract_text() or "")
                _page_rows(page, rows)
    except (PdfminerException, PDFSyntaxError, ValueError, KeyError, TypeError, AttributeError):
        return None  # pdfminer's many ways of failing on a broken file
    return Layout(rows, "\n".join(texts))
