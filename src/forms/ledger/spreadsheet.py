"""Supports from the spreadsheets agencies keep (CSV or .xlsx), and the values the ledger commands take.

Pure: bytes in, records and problems out. A file with any bad row imports nothing; :func:`parse_supports`
names every bad row (1-based, the header is row 1) and column (its header as written). CSV is UTF-8
(± BOM) or CP932. An .xlsx is read from its first sheet; numbers convert exactly (300000.0 is 300,000
yen, 300000.5 is refused); a formula gives the value Excel saved, never evaluated. Amounts: integer yen.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError

from forms.errors import Code, InvalidChecksum, InvalidCorporateNumber
from forms.jp import corporate_number as corpnum
from forms.ledger import CompanyKey, SupportRecord
from forms.normalize import nfkc_text, parse_choice, parse_date, parse_postal_code, parse_yen


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


@dataclass(frozen=True)
class RowProblem:
    """One bad value: the row (0 = the file itself), the column header as written, a Japanese message."""

    row: int
    column: str
    code: Code
    message: str

    def __str__(self) -> str:
        where = f"{self.row}行目" + (f"「{self.column}」" if self.column else "")
        return f"{where if self.row else 'ファイル'}: {self.message}"


@dataclass(frozen=True)
class SupportImport:
    """What a file holds: its supports when every row is good, else its problems (and no supports)."""

    supports: tuple[tuple[CompanyKey, SupportRecord], ...]
    problems: tuple[RowProblem, ...]


# ── columns ───────────────────────────────────────────────────────────────────────────────────
#: Column key → the header names accepted (English key, Japanese label); the first Japanese one names
#: a missing column in messages. Compared after NFKC, case folding and without spaces.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "agency": ("agency", "支援機関"),
    "corporate_number": ("corporate_number", "法人番号"),
    "company_name": ("company_name", "企業名", "企業名（屋号）"),
    "postal_code": ("postal_code", "郵便番号"),
    "date": ("date", "支援日"),
    "service": ("service", "支援内容"),
    "summary": ("summary", "概要"),
    "cost_excl_tax": ("cost_excl_tax", "経費（税抜）"),
    "tax": ("tax", "消費税"),
}
REQUIRED_COLUMNS = ("agency", "date", "service", "cost_excl_tax")
_SPACES = re.compile(r"\s+")
_PLAIN_INTEGER = re.compile(r"[0-9]+")
_SHOWN_VALUE_LEN = 40
#: Characters no CSV of text holds: NUL (UTF-16, binary) and what CP932 maps stray bytes to (private use).
_NOT_TEXT = re.compile("[\x00\ue000-\uf8ff]")


def _header_form(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


_HEADER_KEYS = {_header_form(name): key for key, names in COLUMNS.items() for name in names}


# ── reading a file ────────────────────────────────────────────────────────────────────────────
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
#: What openpyxl raises on a file that is not a readable workbook (with its InvalidFileException).
_XLSX_FAULTS = (zipfile.BadZipFile, ParseError, LookupError, ValueError, OSError)


def _file_problem(message: str) -> RowProblem:
    return RowProblem(0, "", Code.FIELD_INVALID, message)


def decode_csv(data: bytes) -> str | None:
    """The text of a CSV file: UTF-8 with or without BOM, else CP932; None when it is neither (or binary)."""
    for encoding in ("utf-8-sig", "cp932"):
        with contextlib.suppress(UnicodeDecodeError):
            text = data.decode(encoding)
            return None if _NOT_TEXT.search(text) else text
    return None


def _csv_sheet(text: str) -> Sheet | RowProblem:
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        return _file_problem(f"CSVとして読めません（{exc}）")
    return _sheet(enumerate(records, start=1))


def _sheet(numbered: Iterable[tuple[int, Sequence[CellValue]]]) -> Sheet | RowProblem:
    rows = [(n, tuple(cells)) for n, cells in numbered if not all(_is_blank(c) for c in cells)]
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


def _xlsx_sheet(data: bytes) -> Sheet | RowProblem:
    """The first sheet: the values Excel saved, and which empty cells are uncalculated formulas."""
    # openpyxl takes most of a second to import: only reading an .xlsx pays for it, not every command
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


#: Largest spreadsheet read, and the most an .xlsx may unpack to (a zip bomb is refused unread).
MAX_SHEET_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNPACKED = 200 * 1024 * 1024


def _unpacked_size(data: bytes) -> int | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def read_sheet(data: bytes) -> Sheet | RowProblem:
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
def _is_blank(cell: CellValue) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def shown(cell: CellValue) -> str:
    """A value as the operator wrote it, shortened for a message."""
    text = cell.formula if isinstance(cell, UncalculatedFormula) else str(cell)
    return text if len(text) <= _SHOWN_VALUE_LEN else text[: _SHOWN_VALUE_LEN - 1] + "…"


def yen_value(cell: CellValue) -> int | None:
    """Integer yen from a cell: 300000, 300000.0, "300,000", "30万円"; None for 300000.5, -1, TRUE …"""
    number = parse_yen(cell) if isinstance(cell, str) else _whole_number(cell)
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
    if _is_blank(cell) or isinstance(cell, UncalculatedFormula):
        return ""
    return str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell).strip()


def _whole_number(cell: CellValue) -> int | None:
    whole = isinstance(cell, int | float) and not isinstance(cell, bool) and float(cell).is_integer()
    return int(cell) if whole else None  # type: ignore[arg-type]


def _digits_text(cell: CellValue, width: int = 0) -> str:
    """A code kept in a number cell (4010001234567, 1440052) as its digits, zero-padded to ``width``."""
    number = _whole_number(cell)
    return text_value(cell) if number is None else str(number).zfill(width)


def agency_value(text: str, agencies: Mapping[str, str]) -> str | None:
    """The key of ``agencies`` ({key: name}) that ``text`` names: jetro, JETRO, ジェトロ, 信金中央金庫 …"""
    return parse_choice(text, agencies)


# ── companies ─────────────────────────────────────────────────────────────────────────────────
#: A problem before it knows its row: (column key, code, Japanese message).
Finding = tuple[str, Code, str]
_CORPNUM = "corporate_number"
_BLANK = "値が入力されていません"


def unreadable(key: str, what: str, value: CellValue) -> Finding:
    return key, Code.FIELD_INVALID, f"{what}として読めません（{shown(value)}）"


def corporate_number_finding(text: str) -> str | Finding:
    """The compact 法人番号, or why ``text`` is not one."""
    try:
        return corpnum.validate(text)
    except InvalidChecksum:
        return _CORPNUM, Code.CORPORATE_NUMBER_INVALID, f"チェックデジットが一致しません（{shown(text)}）"
    except InvalidCorporateNumber:
        return _CORPNUM, Code.FIELD_INVALID, f"法人番号は13桁の数字です（{shown(text)}）"


def company_key(corporate_number: str, company_name: str, postal_code: str) -> CompanyKey | list[Finding]:
    """The company a row or a command names: its 法人番号, else (個人事業者) its name and postal code."""
    if corporate_number.strip():
        number = corporate_number_finding(corporate_number)
        return CompanyKey.for_corporation(number) if isinstance(number, str) else [number]
    if not company_name.strip() and not postal_code.strip():
        return [(_CORPNUM, Code.FIELD_MISSING, "法人番号、又は企業名と郵便番号を入力してください")]
    findings: list[Finding] = []
    if not company_name.strip():
        findings.append(("company_name", Code.FIELD_MISSING, "個人事業者は企業名（屋号）を入力してください"))
    postal = parse_postal_code(postal_code) if postal_code.strip() else None
    if not postal_code.strip():
        findings.append(("postal_code", Code.FIELD_MISSING, "個人事業者は郵便番号を入力してください"))
    elif postal is None:
        findings.append(unreadable("postal_code", "郵便番号", postal_code))
    if findings or postal is None:
        return findings
    return CompanyKey.for_sole_proprietor(nfkc_text(company_name), postal)


# ── rows ──────────────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class _Columns:
    index: Mapping[str, int]  # column key → position in the row
    written: Mapping[str, str]  # column key → its header as written

    def name(self, key: str) -> str:
        return self.written.get(key) or COLUMNS[key][1]


def _read_header(sheet: Sheet) -> _Columns | list[RowProblem]:
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    problems: list[RowProblem] = []
    row = sheet.header_row
    known = "、".join(names[1] for names in COLUMNS.values())
    for i, cell in enumerate(sheet.header):
        title = text_value(cell)
        if not title:
            continue
        key = _HEADER_KEYS.get(_header_form(title))
        if key is None:
            problems.append(RowProblem(row, title, Code.FIELD_INVALID, f"不明な列名です（{known}）"))
        elif key in index:
            problems.append(RowProblem(row, title, Code.FIELD_INVALID, f"「{written[key]}」と同じ列です"))
        else:
            index[key], written[key] = i, title
    company_columns = "corporate_number" in index or {"company_name", "postal_code"} <= set(index)
    missing = [k for k in REQUIRED_COLUMNS if k not in index]
    missing += [] if company_columns else ["corporate_number"]
    problems.extend(RowProblem(row, COLUMNS[k][1], Code.FIELD_MISSING, "列がありません") for k in missing)
    return problems or _Columns(index, written)


class _Row:
    """Reads the cells of one row by column key, collecting what is wrong with them."""

    def __init__(self, cells: tuple[CellValue, ...], columns: _Columns) -> None:
        self.cells, self.columns = cells, columns
        self.findings: list[Finding] = []

    def cell(self, key: str) -> CellValue:
        i = self.columns.index.get(key)
        cell = self.cells[i] if i is not None and i < len(self.cells) else None
        if isinstance(cell, UncalculatedFormula):
            self.findings.append((key, Code.FIELD_INVALID, f"数式の値が保存されていません（{shown(cell)}）"))
            return None
        return cell

    def text(self, key: str, *, required: bool = False) -> str:
        value = text_value(self.cell(key))
        if required and not value:
            self.findings.append((key, Code.FIELD_MISSING, _BLANK))
        return value

    def parsed(self, key: str, parse: Callable[[CellValue], Any], what: str, *, default: Any = None) -> Any:
        cell = self.cell(key)
        if _is_blank(cell):
            if default is None:
                self.findings.append((key, Code.FIELD_MISSING, _BLANK))
            return default
        value = parse(cell)
        if value is None:
            self.findings.append(unreadable(key, what, cell))
        return value


def _agency(row: _Row, agencies: Mapping[str, str]) -> str | None:
    text = row.text("agency", required=True)
    if not text:
        return None
    key = agency_value(text, agencies)
    if key is None:
        message = f"支援機関「{shown(text)}」は登録されていません（{'、'.join(agencies)} のいずれか）"
        row.findings.append(("agency", Code.FIELD_INVALID, message))
    return key


def _row_support(
    number: int, cells: tuple[CellValue, ...], columns: _Columns, agencies: Mapping[str, str]
) -> tuple[CompanyKey, SupportRecord] | list[RowProblem]:
    row = _Row(cells, columns)
    agency = _agency(row, agencies)
    company = company_key(
        _digits_text(row.cell("corporate_number")),
        row.text("company_name"),
        _digits_text(row.cell("postal_code"), width=7),
    )
    if not isinstance(company, CompanyKey):
        row.findings.extend(company)
    day = row.parsed("date", date_value, "日付（2026-06-10 又は 令和8年6月10日）")
    service = row.text("service", required=True)
    cost = row.parsed("cost_excl_tax", yen_value, "金額（円、整数）")
    tax = row.parsed("tax", yen_value, "金額（円、整数）", default=0)
    summary = row.text("summary")
    if row.findings or agency is None or not isinstance(company, CompanyKey) or day is None or cost is None:
        return [RowProblem(number, columns.name(k), code, message) for k, code, message in row.findings]
    return company, SupportRecord(agency, day, service, cost, tax, summary)


def parse_supports(
    sheet: Sheet, agencies: Mapping[str, str], *, on_row: Callable[[], object] | None = None
) -> SupportImport:
    """Every row of ``sheet`` as a support, or every problem of every row (then no supports).

    ``agencies`` maps each agency key to its name; ``on_row`` is called once per row (a progress bar).
    """
    columns = _read_header(sheet)
    if not isinstance(columns, _Columns):
        return SupportImport((), tuple(columns))
    supports: list[tuple[CompanyKey, SupportRecord]] = []
    problems: list[RowProblem] = []
    for number, cells in sheet.rows:
        result = _row_support(number, cells, columns, agencies)
        if isinstance(result, list):
            problems.extend(result)
        else:
            supports.append(result)
        if on_row is not None:
            on_row()
    if not supports and not problems:
        problems.append(RowProblem(sheet.header_row + 1, "", Code.FIELD_MISSING, "支援の行がありません"))
    return SupportImport(() if problems else tuple(supports), tuple(problems))
