"""Tables to files: CSV (UTF-8 with BOM, CRLF, every field quoted) and .xlsx (openpyxl).

A table is ``(title, header, rows)``; a cell is text, an integer, a boolean, a date or None.

CSV: a text cell that Excel (or another spreadsheet) would read as a formula — starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return — gets an apostrophe in front (OWASP, "CSV Injection");
numbers stay numbers. .xlsx: text is always written as a string cell (never ``<f>``), so the value read
back is the value written (an empty text: an empty cell); characters XML cannot carry (C0 controls)
become U+FFFD.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

Cell = str | int | bool | dt.date | None
Table = tuple[str, Sequence[str], Sequence[Sequence[Cell]]]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def csv_text(value: Cell) -> str:
    """One cell as CSV text: a formula-looking text neutralised with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """UTF-8 with a BOM and CRLF line ends, every field quoted: what Excel opens as Japanese text."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([csv_text(h) for h in header])
    writer.writerows([csv_text(v) for v in row] for row in rows)
    return (BOM + out.getvalue()).encode("utf-8")


def _xlsx_value(value: Cell) -> Cell:
    """An empty text is an empty cell (as a spreadsheet has no other); XML's forbidden characters U+FFFD."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) or None
    return value


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """One sheet per table, the header in bold-free first row, frozen; text cells always strings."""
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in tables:
        sheet = book.create_sheet(title=title[:31])
        for r, row in enumerate([header, *rows], start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c, value=_xlsx_value(value))
                if isinstance(value, str) and value:
                    cell.data_type = "s"  # '=1+1' stays text, never a formula
                elif isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "A2"
        for c, name in enumerate(header, start=1):
            sheet.column_dimensions[get_column_letter(c)].width = max(10, min(40, len(str(name)) * 2 + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
