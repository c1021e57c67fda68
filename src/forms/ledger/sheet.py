"""The rows of the spreadsheets agencies keep (CSV or .xlsx), and the values of their cells.

Pure: bytes in, a Sheet or the Problem that says why there is none. CSV is UTF-8 (± BOM) or CP932.
An .xlsx is read from its first sheet; numbers convert exactly (300000.0 is 300,000 yen, 300000.5 is
refused); a formula gives the value Excel saved, never evaluated. A file's problems name their row
(1-based, the header is row 1; 0 is the file itself) and column (its header as written) in the
Problem's params ``row`` and ``column``, with the Japanese ``message`` (:func:`problem_text`).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError

from forms.errors import Code
from forms.model import Problem, problem
from forms.normalize import parse_date, parse_yen


@dataclass(frozen=True)
class UncalculatedFormula:
    """An .xlsx formula cell saved without its value (the file was never calculated by Excel)."""

    formula: str


#: What one cell of a sheet holds: CSV gives text; .xlsx also numbers, dates and booleans.
CellValue = str | int | float | bool | dt.date | UncalculatedFormula | None


@dataclass(frozen=True)
class Sheet:
    """The header row and the data rows of a file, each row with its 1-based number in the file."""

    header: tuple[CellValue, ...]
    header_row: int
    rows: tuple[tuple[int, tuple[CellValue, ...]], ...]


def sheet_problem(row: int, column: str, code: Code, message: str, field: str | None = None) -> Problem:
    """A bad value of a sheet: its row (0 = the file itself), its column as written, a Japanese message."""
    return problem(code, field, row=row, column=column, message=message)


def problem_text(p: Problem) -> str:
    """「3行目「経費（税抜）」: …」, or 「ファイル: …」 for the file itself."""
    row, column = int(p.param("row", 0)), str(p.param("column", ""))
    where = f"{row}行目" + (f"「{column}」" if column else "") if row else "ファイル"
    return f"{where}: {p.param('message', '')}"


_PLAIN_INTEGER = re.compile(r"[0-9]+")
_SHOWN_VALUE_LEN = 40
#: Characters no CSV of text holds: NUL (UTF-16, binary) and what CP932 maps stray bytes to (private use).
_NOT_TEXT = re.compile("[\x00\ue000-\uf8ff]")


# ── reading a file ────────────────────────────────────────────────────────────────────────────
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
#: What openpyxl raises on a file that is not a readable workbook (with its InvalidFileException).
_XLSX_FAULTS = (zipfile.BadZipFile, ParseError, LookupError, ValueError, OSError)
#: Largest spreadsheet read, and the most an .xlsx may unpack to (a zip bomb is refused unread).
MAX_SHEET_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNPACKED = 200 * 1024 * 1024


def _file_problem(message: str) -> Problem:
    return sheet_problem(0, "", Code.FIELD_INVALID, message)


def decode_csv(data: bytes) -> str | None:
    """The text of a CSV file: UTF-8 with or without BOM, else CP932; None when it is neither (or binary)."""
    for encoding in ("utf-8-sig", "cp932"):
        with contextlib.suppress(UnicodeDecodeError):
            text = data.decode(encoding)
            return None if _NOT_TEXT.search(text) else text
    return None


def _csv_sheet(text: str) -> Sheet | Problem:
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        return _file_problem(f"CSVとして読めません（{exc}）")
    return _sheet(enumerate(records, start=1))


def _sheet(numbered: Iterable[tuple[int, Sequence[CellValue]]]) -> Sheet | Problem:
    rows = [(n, tuple(cells)) for n, cells in numbered if not all(is_blank(c) for c in cells)]
    if not rows:
        return _file_problem("見出し行がありません（空のファイルです）")
    (header_row, header), data = rows[0], rows[1:]
    return Sheet(header, header_row, tuple(data))


def _xlsx_cells(values: Sequence[Any], formulas: Sequence[Any]) -> tuple[CellValue, ...]:
    cells: list[CellValue] = []
    for i, value in enumerate(values):
        formula = formulas[i] if i < len(formulas) else None
        is_formula = isinstance(formula, str) and formula.startswith("=")
        cells.append(UncalculatedFormula(formula) if value is None and is_formula else value)
    return tuple(cells)


def _xlsx_sheet(data: bytes) -> Sheet | Problem:
    """The first sheet: the values Excel saved, and which empty cells are uncalculated formulas."""
    # start-up: openpyxl takes most of a second to import; only reading an .xlsx pays for it
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        saved = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        written = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        value_rows = list(saved.worksheets[0].iter_rows(values_only=True))
        formula_rows = list(written.worksheets[0].iter_rows(values_only=True))
    except (InvalidFileException, *_XLSX_FAULTS) as exc:
        return _file_problem(f"Excelファイル（.xlsx）として読めません（{type(exc).__name__}）")
    numbered = (
        (n, _xlsx_cells(values, formula_rows[n - 1] if n <= len(formula_rows) else ()))
        for n, values in enumerate(value_rows, start=1)
    )
    return _sheet(numbered)


def _unpacked_size(data: bytes) -> int | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def read_sheet(data: bytes) -> Sheet | Problem:
    """The rows of a CSV or .xlsx file (told apart by their first bytes, not their names)."""
    if len(data) > MAX_SHEET_BYTES:
        return _file_problem(
            f"ファイルが大きすぎます（{MAX_SHEET_BYTES // 1024 // 1024}MBまで）。分けて取り込んでください"
        )
    if data.startswith(_XLSX_MAGIC):
        unpacked = _unpacked_size(data)
        if unpacked is not None and unpacked > MAX_XLSX_UNPACKED:
            return _file_problem("Excelファイルの展開後の大きさが上限を超えています。内容を確認してください")
        return _xlsx_sheet(data)
    if data.startswith(_OLE_MAGIC):
        return _file_problem("旧形式のExcelファイル（.xls）は読めません。.xlsx 又は CSV で保存してください")
    text = decode_csv(data)
    if text is None:
        return _file_problem("文字コードを読めません。UTF-8 又は Shift_JIS（CP932）のCSVで保存してください")
    return _csv_sheet(text)


# ── values ────────────────────────────────────────────────────────────────────────────────────
def is_blank(cell: CellValue) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def shown(cell: CellValue) -> str:
    """A value as the operator wrote it, shortened for a message."""
    text = cell.formula if isinstance(cell, UncalculatedFormula) else str(cell)
    return text if len(text) <= _SHOWN_VALUE_LEN else text[: _SHOWN_VALUE_LEN - 1] + "…"


def yen_value(cell: CellValue) -> int | None:
    """Integer yen from a cell: 300000, 300000.0, "300,000", "30万円"; None for 300000.5, -1, TRUE …"""
    number = parse_yen(cell) if isinstance(cell, str) else whole_number(cell)
    return number if number is not None and number >= 0 else None


def plain_yen(text: str) -> int | None:
    """Integer yen as a command-line option takes it: digits only (no commas, units or fractions)."""
    t = text.strip()
    return int(t) if _PLAIN_INTEGER.fullmatch(t) else None


def date_value(cell: CellValue) -> dt.date | None:
    """A date from a cell: an .xlsx date, or text (2026-06-10, 2026/6/10, 令和8年6月10日, R8.6.10)."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if isinstance(cell, str):
        return parse_date(cell)
    return None


def text_value(cell: CellValue) -> str:
    """Text kept as written (trimmed); a number or date cell as its text."""
    if is_blank(cell) or isinstance(cell, UncalculatedFormula):
        return ""
    return str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell).strip()


def whole_number(cell: CellValue) -> int | None:
    whole = isinstance(cell, int | float) and not isinstance(cell, bool) and float(cell).is_integer()
    return int(cell) if whole else None  # type: ignore[arg-type]


def digits_text(cell: CellValue, width: int = 0) -> str:
    """A code kept in a number cell (4010001234567, 1440052) as its digits, zero-padded to ``width``."""
    number = whole_number(cell)
    return text_value(cell) if number is None else str(number).zfill(width)
