"""Support records from an agency's spreadsheet (a Sheet of ``ledger.sheet``): all rows or none.

Pure: a Sheet in, the supports or every problem out. A file with any bad row imports nothing;
:func:`parse_supports` names every bad row and column (``sheet.problem_text``). The header row is
English or Japanese (DOMAIN.md "Ledger operations"); amounts are integer yen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from forms.errors import Code
from forms.ledger.company import CompanyKey, SupportRecord
from forms.ledger.naming import company_key, finding, unreadable
from forms.ledger.sheet import (
    CellValue,
    Sheet,
    UncalculatedFormula,
    date_value,
    digits_text,
    is_blank,
    sheet_problem,
    shown,
    text_value,
    yen_value,
)
from forms.model import Problem
from forms.normalize import parse_choice


@dataclass(frozen=True)
class SupportImport:
    """What a file holds: its supports when every row is good, else its problems (and no supports)."""

    supports: tuple[tuple[CompanyKey, SupportRecord], ...]
    problems: tuple[Problem, ...]


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
_BLANK = "値が入力されていません"


def _header_form(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


_HEADER_KEYS = {_header_form(name): key for key, names in COLUMNS.items() for name in names}


def agency_value(text: str, agencies: Mapping[str, str]) -> str | None:
    """The key of ``agencies`` ({key: name}) that ``text`` names: jetro, JETRO, ジェトロ, 信金中央金庫 …"""
    return parse_choice(text, agencies)


@dataclass(frozen=True)
class _Columns:
    index: Mapping[str, int]  # column key → position in the row
    written: Mapping[str, str]  # column key → its header as written

    def name(self, key: str) -> str:
        return self.written.get(key) or COLUMNS[key][1]


def _read_header(sheet: Sheet) -> _Columns | list[Problem]:
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    problems: list[Problem] = []
    row = sheet.header_row
    known = "、".join(names[1] for names in COLUMNS.values())
    for i, cell in enumerate(sheet.header):
        title = text_value(cell)
        if not title:
            continue
        key = _HEADER_KEYS.get(_header_form(title))
        if key is None:
            problems.append(sheet_problem(row, title, Code.FIELD_INVALID, f"不明な列名です（{known}）"))
        elif key in index:
            problems.append(
                sheet_problem(row, title, Code.FIELD_INVALID, f"「{written[key]}」と同じ列です", key)
            )
        else:
            index[key], written[key] = i, title
    company_columns = "corporate_number" in index or {"company_name", "postal_code"} <= set(index)
    missing = [k for k in REQUIRED_COLUMNS if k not in index]
    missing += [] if company_columns else ["corporate_number"]
    problems.extend(
        sheet_problem(row, COLUMNS[k][1], Code.FIELD_MISSING, "列がありません", k) for k in missing
    )
    return problems or _Columns(index, written)


class _Row:
    """Reads the cells of one row by column key, collecting what is wrong with them."""

    def __init__(self, cells: tuple[CellValue, ...], columns: _Columns) -> None:
        self.cells, self.columns = cells, columns
        self.findings: list[Problem] = []

    def cell(self, key: str) -> CellValue:
        i = self.columns.index.get(key)
        cell = self.cells[i] if i is not None and i < len(self.cells) else None
        if isinstance(cell, UncalculatedFormula):
            self.findings.append(
                finding(key, Code.FIELD_INVALID, f"数式の値が保存されていません（{shown(cell)}）")
            )
            return None
        return cell

    def text(self, key: str, *, required: bool = False) -> str:
        value = text_value(self.cell(key))
        if required and not value:
            self.findings.append(finding(key, Code.FIELD_MISSING, _BLANK))
        return value

    def parsed(self, key: str, parse: Callable[[CellValue], Any], what: str, *, default: Any = None) -> Any:
        cell = self.cell(key)
        if is_blank(cell):
            if default is None:
                self.findings.append(finding(key, Code.FIELD_MISSING, _BLANK))
            return default
        value = parse(cell)
        if value is None:
            self.findings.append(unreadable(key, what, cell))
        return value

    def problems(self, number: int) -> list[Problem]:
        """The findings of this row, each placed at its row and column."""
        return [
            sheet_problem(number, self.columns.name(p.field or ""), p.code, p.param("message", ""), p.field)
            for p in self.findings
        ]


def _agency(row: _Row, agencies: Mapping[str, str]) -> str | None:
    text = row.text("agency", required=True)
    if not text:
        return None
    key = agency_value(text, agencies)
    if key is None:
        message = f"支援機関「{shown(text)}」は登録されていません（{'、'.join(agencies)} のいずれか）"
        row.findings.append(finding("agency", Code.FIELD_INVALID, message))
    return key


def _row_support(
    number: int, cells: tuple[CellValue, ...], columns: _Columns, agencies: Mapping[str, str]
) -> tuple[CompanyKey, SupportRecord] | list[Problem]:
    row = _Row(cells, columns)
    agency = _agency(row, agencies)
    company = company_key(
        digits_text(row.cell("corporate_number")),
        row.text("company_name"),
        digits_text(row.cell("postal_code"), width=7),
    )
    if not isinstance(company, CompanyKey):
        row.findings.extend(company)
    day = row.parsed("date", date_value, "日付（2026-06-10 又は 令和8年6月10日）")
    service = row.text("service", required=True)
    cost = row.parsed("cost_excl_tax", yen_value, "金額（円、整数）")
    tax = row.parsed("tax", yen_value, "金額（円、整数）", default=0)
    summary = row.text("summary")
    if row.findings or agency is None or not isinstance(company, CompanyKey) or day is None or cost is None:
        return row.problems(number)
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
    problems: list[Problem] = []
    for number, cells in sheet.rows:
        result = _row_support(number, cells, columns, agencies)
        if isinstance(result, list):
            problems.extend(result)
        else:
            supports.append(result)
        if on_row is not None:
            on_row()
    if not supports and not problems:
        problems.append(sheet_problem(sheet.header_row + 1, "", Code.FIELD_MISSING, "支援の行がありません"))
    return SupportImport(() if problems else tuple(supports), tuple(problems))
