"""Spreadsheets out (forms.export.files): CSV in UTF-8 with a BOM whose formula-looking texts are
neutralised (OWASP), .xlsx whose texts are always string cells — read back with the csv module and
openpyxl, the sheet's XML checked for formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from forms.export.files import csv_text, to_csv, to_xlsx

HOSTILE = [
    "=1+1",
    '=HYPERLINK("http://evil.example.jp","x")',
    "+81-3-1234",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_formula_looking_text_is_neutralised_in_csv(text: str) -> None:
    assert csv_text(text) == "'" + text
    assert csv_text(-5) == "-5" and csv_text(True) == "TRUE" and csv_text(None) == ""


def test_csv_has_a_bom_and_reads_back() -> None:
    rows = [["株式会社見本", 30_000_000, dt.date(2026, 5, 12), False, None, 'a,"b"\nc', *HOSTILE]]
    data = to_csv(["企業名", "資本金", "申込日", "再申請", "空", "改行", *("h" * len(HOSTILE))], rows)
    assert data.startswith("\ufeff".encode())
    header, row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert header[0] == "企業名"
    assert row[:6] == ["株式会社見本", "30000000", "2026-05-12", "FALSE", "", 'a,"b"\nc']
    assert row[6:] == ["'" + t for t in HOSTILE]


def test_xlsx_keeps_texts_as_strings_and_never_writes_a_formula() -> None:
    values = ["株式会社見本", 30_000_000, True, dt.date(2026, 5, 12), None, "bell\x07", *HOSTILE]
    data = to_xlsx([("申込み", [f"c{i}" for i in range(len(values))], [values])])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet
    book = openpyxl.load_workbook(io.BytesIO(data))
    (row,) = book["申込み"].iter_rows(min_row=2, values_only=True)
    assert row[:3] == ("株式会社見本", 30_000_000, True)
    assert row[3].date() == dt.date(2026, 5, 12) and row[4] is None  # type: ignore[union-attr]
    assert row[5] == "bell\ufffd"
    assert list(row[6:]) == HOSTILE
