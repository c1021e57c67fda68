"""An .xlsx 様式1 as lines of text for the label reader: each row of each visible sheet is a line.

The SpreadsheetML parts are read with lxml directly (no entity expansion, no network, no DTD) —
workbook, relationships, shared strings, the styles' number formats and the sheets, streamed —
rather than through openpyxl's whole workbook model: a form costs a fraction of an openpyxl load
(bench/intake.py). openpyxl's own rules are used for what a number format means (its date-format
test and its serial-date conversion). Drawings, images, charts and other parts are never read.

- A cell becomes a span at its column, so a label in one cell and its value in the next read as on a
  printed form; a merged cell's value sits in its top-left cell (the others are empty).
- The value read is the one Excel saved: a formula is never evaluated (its cached value is read; an
  uncalculated one is empty). Hidden sheets are not read; phonetic guides (ふりがな, ``rPh``) are not
  part of a cell's text.
- Typed cells are written back as text the normaliser reads: a date (whatever its format shows, 令和
  included) as an ISO date, a whole number as its digits (zero-padded when its format is all zeros,
  as a postal code or phone number kept in a number cell), TRUE/FALSE as ■/□.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

from forms.extract.textlayer import Line, Span
from forms.extract.word import CHAR_PT, COLUMN_PT, LINE_HEIGHT, LINE_STEP, join_lines

#: Only so much of a workbook is looked at (a 様式1 fits in far less): rows, columns, sheets.
MAX_ROWS, MAX_COLUMNS, MAX_SHEETS = 400, 60, 8
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_C, _ROW, _V, _IS, _T, _RPH = (f"{{{S}}}{t}" for t in ("c", "row", "v", "is", "t", "rPh"))
#: Built-in number formats of East Asian Excel (和暦 and 年月日 dates) that are not written out in styles.xml.
_EAST_ASIAN_DATES = frozenset({*range(27, 37), *range(50, 59)})
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class SpreadsheetError(ValueError):
    """A workbook part is missing or is not SpreadsheetML we can read."""


@dataclass(frozen=True)
class _Book:
    strings: list[str]
    formats: list[str]  # number format code of each cell style (cellXfs index)
    epoch: dt.datetime


def xlsx_lines(package: zipfile.ZipFile, workbook_part: str) -> tuple[list[Line], int]:
    """The lines of every visible sheet (each sheet a page), and how many sheets were read."""
    workbook = _xml(package, workbook_part)
    rels = _relationships(package, workbook_part)
    pr = workbook.find(f"{{{S}}}workbookPr")
    date1904 = pr is not None and pr.get("date1904", "0") in ("1", "true")
    epoch = MAC_EPOCH if date1904 else WINDOWS_EPOCH
    book = _Book(_shared_strings(package, rels), _formats(package, rels), epoch)
    sheets = [
        rels.get(sheet.get(f"{{{R}}}id", ""), "")
        for sheet in workbook.iterfind(f"{{{S}}}sheets/{{{S}}}sheet")
        if sheet.get("state", "visible") == "visible"
    ][:MAX_SHEETS]
    lines: list[Line] = []
    for page, part in enumerate(sheets):
        if part not in package.namelist():
            raise SpreadsheetError(f"sheet part {part!r} is missing")
        lines.extend(_sheet_lines(page, package.read(part), book))
    return lines, len(sheets)


def _xml(package: zipfile.ZipFile, part: str) -> etree._Element:
    try:
        root = etree.fromstring(package.read(part), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SpreadsheetError(f"{part}: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise SpreadsheetError(f"{part} declares a DOCTYPE")
    return root


def _relationships(package: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id (and type's last word, for shared strings and styles) → the target part."""
    folder, name = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels_part not in package.namelist():
        return {}
    out: dict[str, str] = {}
    for rel in _xml(package, rels_part).iter(_REL):
        target = rel.get("Target") or ""
        absolute = target.startswith("/")
        path = target.lstrip("/") if absolute else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id") or ""] = path
        out[(rel.get("Type") or "").rpartition("/")[2]] = path
    return out


def _text_of(element: etree._Element) -> str:
    """A string item's text without its phonetic guides (rPh)."""
    return "".join(t.text or "" for t in element.iter(_T) if t.getparent().tag != _RPH)


def _shared_strings(package: zipfile.ZipFile, rels: Mapping[str, str]) -> list[str]:
    part = rels.get("sharedStrings")
    if not part or part not in package.namelist():
        return []
    return [_text_of(si) for si in _xml(package, part)]


def _formats(package: zipfile.ZipFile, rels: Mapping[str, str]) -> list[str]:
    part = rels.get("styles")
    if not part or part not in package.namelist():
        return []
    styles = _xml(package, part)
    custom = {
        int(f.get("numFmtId", "0")): f.get("formatCode", "General")
        for f in styles.iterfind(f"{{{S}}}numFmts/{{{S}}}numFmt")
    }
    out = []
    for xf in styles.iterfind(f"{{{S}}}cellXfs/{{{S}}}xf"):
        number = int(xf.get("numFmtId", "0") or 0)
        builtin = "yyyy/m/d" if number in _EAST_ASIAN_DATES else BUILTIN_FORMATS.get(number, "General")
        out.append(custom.get(number, builtin))
    return out


def _sheet_lines(page: int, xml: bytes, book: _Book) -> Iterator[Line]:
    rows: dict[int, list[Span]] = {}
    for number, column, text in _cells(xml, book):
        x = (column - 1) * COLUMN_PT
        rows.setdefault(number, []).append(Span(text, x, x + CHAR_PT * len(text)))
    for number in sorted(rows):
        top = -(number - 1) * LINE_STEP
        yield Line(page, top, top - LINE_HEIGHT, tuple(sorted(rows[number], key=lambda s: s.x0)))


def _cells(xml: bytes, book: _Book) -> Iterator[tuple[int, int, str]]:
    """(row, column, text) of each non-empty cell of a sheet, streamed, within the limits."""
    events = etree.iterparse(io.BytesIO(xml), events=("start", "end"), tag=(_C, _ROW), **_ITERPARSE)
    row, column = 0, 0
    try:
        for event, element in events:
            if element.tag == _ROW:
                if event == "start":
                    row, column = int(element.get("r") or row + 1), 0
                    if row > MAX_ROWS:
                        return
                else:
                    element.clear()
                continue
            if event == "start":
                continue
            column = _column(element.get("r"), column + 1)
            text = _cell_text(element, book)
            element.clear()
            if text and column <= MAX_COLUMNS:
                yield row, column, text
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise SpreadsheetError(f"sheet: {exc}") from exc


_ITERPARSE = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


def _column(ref: str | None, following: int) -> int:
    """The column number of a cell reference (B3 → 2); the next column when the cell has none."""
    match = _CELL_REF.match(ref or "")
    if match is None:
        return following
    number = 0
    for ch in match.group(1):
        number = number * 26 + ord(ch) - 64
    return number


def _cell_text(c: etree._Element, book: _Book) -> str:
    kind = c.get("t", "n")
    if kind == "inlineStr":
        inline = c.find(_IS)
        return join_lines(_text_of(inline).splitlines()) if inline is not None else ""
    v = c.find(_V)
    if v is None or v.text is None:
        return ""  # empty, or a formula never calculated
    raw = v.text
    if kind == "s":
        strings = book.strings
        index = int(raw)
        return join_lines(strings[index].splitlines()) if 0 <= index < len(strings) else ""
    if kind in ("str", "d"):
        return join_lines(raw.splitlines())
    if kind == "b":
        return "■" if raw.strip() in ("1", "true") else "□"
    if kind == "e":
        return ""
    style = int(c.get("s", "0") or 0)
    number_format = book.formats[style] if 0 <= style < len(book.formats) else "General"
    return number_text(float(raw), number_format, book.epoch)


def number_text(value: float, number_format: str, epoch: dt.datetime = WINDOWS_EPOCH) -> str:
    """A number cell as text: a date when its format shows one, else its digits (see the module text)."""
    if is_date_format(number_format):
        when = from_excel(value, epoch)
        if isinstance(when, dt.datetime):
            return when.date().isoformat() if when.time() == dt.time() else when.isoformat(" ")
        return when.isoformat() if isinstance(when, dt.date | dt.time) else str(value)
    if not value.is_integer():
        return repr(value)
    digits = str(int(value))
    fmt = (number_format or "").strip()
    if fmt and set(fmt) == {"0"} and value >= 0:
        return digits.zfill(len(fmt))  # 0000000: a postal code or phone number kept as a number
    return digits
