"""Supports from agencies' spreadsheets: CSV encodings, real .xlsx cells, row/column problems, all or none."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import Any

import pytest
from openpyxl import Workbook

from forms.errors import Code
from forms.ledger import CompanyKey, SupportRecord
from forms.ledger.naming import company_key
from forms.ledger.sheet import (
    MAX_XLSX_UNPACKED,
    Sheet,
    UncalculatedFormula,
    decode_csv,
    plain_yen,
    problem_text,
    read_sheet,
    yen_value,
)
from forms.ledger.supports_import import SupportImport, parse_supports
from forms.model import Problem

AGENCIES = {"jetro": "日本貿易振興機構（ジェトロ）", "scb": "信金中央金庫", "kosha": "東京都中小企業振興公社"}
ACME = "4010001234567"
OTHER = "1010001765432"
JA_HEADER = [
    "支援機関",
    "法人番号",
    "企業名",
    "郵便番号",
    "支援日",
    "支援内容",
    "概要",
    "経費（税抜）",
    "消費税",
]
EN_HEADER = ["agency", "corporate_number", "company_name", "postal_code", "date", "service", "summary",
             "cost_excl_tax", "tax"]  # fmt: skip


def csv_bytes(rows: Sequence[Sequence[str]], encoding: str = "utf-8-sig") -> bytes:
    return "\r\n".join(",".join(f'"{c}"' if "," in c else c for c in r) for r in rows).encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read(data: bytes) -> SupportImport:
    sheet = read_sheet(data)
    assert isinstance(sheet, Sheet), sheet
    return parse_supports(sheet, AGENCIES)


def where(result: SupportImport) -> set[tuple[int, str]]:
    return {(p.param("row"), p.param("column")) for p in result.problems}


GOOD_ROWS = [
    [
        "jetro",
        ACME,
        "株式会社見本",
        "",
        "2026-06-10",
        "海外ミニ調査サービス",
        "ベトナム市場",
        "300,000",
        "30000",
    ],
    ["信金中央金庫", OTHER, "", "", "令和8年6月12日", "商談会", "", "30万円", ""],
    ["kosha", "", "見本商店", "１４４００５２", "2026/6/15", "専門家派遣", "", "100000", "10000"],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_every_encoding_gives_the_same_supports(encoding: str) -> None:
    result = read(csv_bytes([JA_HEADER, *GOOD_ROWS], encoding))
    assert result.problems == ()
    assert [key for key, _ in result.supports] == [
        CompanyKey.for_corporation(ACME),
        CompanyKey.for_corporation(OTHER),
        CompanyKey.for_sole_proprietor("見本商店", "144-0052"),
    ]
    first, second, third = (record for _, record in result.supports)
    assert first == SupportRecord(
        "jetro", dt.date(2026, 6, 10), "海外ミニ調査サービス", 300000, 30000, "ベトナム市場"
    )
    assert (second.agency, second.date, second.cost_excl_tax, second.tax) == (
        "scb",
        dt.date(2026, 6, 12),
        300000,
        0,
    )
    assert (third.agency, third.date, third.cost_excl_tax) == ("kosha", dt.date(2026, 6, 15), 100000)


def test_english_header_and_case_and_width_of_header_names() -> None:
    header = [h.upper() for h in EN_HEADER]
    header[7] = "経費(税抜)"  # half-width parentheses name the same column
    result = read(csv_bytes([header, *GOOD_ROWS]))
    assert result.problems == ()
    assert len(result.supports) == 3


def test_decode_csv_refuses_bytes_in_no_known_encoding() -> None:
    assert decode_csv("支援機関".encode("cp932")) == "支援機関"
    assert decode_csv(b"\xff\xfe\x00") is None
    problem = read_sheet(b"\x81\xff\xfe")
    assert isinstance(problem, Problem) and problem.param("row") == 0
    assert "文字コード" in str(problem)


def test_every_bad_row_and_column_is_named_and_nothing_is_returned() -> None:
    rows = [
        JA_HEADER,
        GOOD_ROWS[0],
        ["foo", "4010001234568", "", "", "2026-13-01", "", "", "300000.5", "-1"],  # row 3
        GOOD_ROWS[1],
        ["", "", "見本商店", "", "2026-06-10", "調査", "", "", ""],  # row 5
        ["jetro", "12345", "", "", "R8.6.1", "調査", "", "１０万円", ""],  # row 6
    ]
    result = read(csv_bytes(rows))
    assert result.supports == ()
    assert where(result) == {
        (3, "支援機関"), (3, "法人番号"), (3, "支援日"), (3, "支援内容"), (3, "経費（税抜）"), (3, "消費税"),
        (5, "支援機関"), (5, "郵便番号"), (5, "経費（税抜）"),
        (6, "法人番号"),
    }  # fmt: skip
    codes = {(p.param("row"), p.param("column")): p.code for p in result.problems}
    assert codes[(3, "法人番号")] == Code.CORPORATE_NUMBER_INVALID
    assert codes[(6, "法人番号")] == Code.FIELD_INVALID
    assert codes[(5, "郵便番号")] == Code.FIELD_MISSING
    assert codes[(3, "経費（税抜）")] == Code.FIELD_INVALID
    text = "\n".join(problem_text(p) for p in result.problems)
    assert "3行目「法人番号」" in text and "4010001234568" in text and "300000.5" in text


def test_columns_are_named_as_written_in_the_header() -> None:
    header = [*EN_HEADER]
    result = read(csv_bytes([header, ["jetro", ACME, "", "", "someday", "調査", "", "1", ""]]))
    assert where(result) == {(2, "date")}


def test_header_problems_unknown_duplicate_and_missing_columns() -> None:
    header = ["支援機関", "法人番号", "支援日", "支援内容", "agency", "消費税額"]
    result = read(csv_bytes([header, ["jetro", ACME, "2026-06-10", "調査", "jetro", "0"]]))
    assert result.supports == ()
    assert where(result) == {(1, "agency"), (1, "消費税額"), (1, "経費（税抜）")}


def test_company_columns_may_be_name_and_postal_code_instead_of_corporate_number() -> None:
    header = ["支援機関", "企業名", "郵便番号", "支援日", "支援内容", "経費（税抜）"]
    result = read(csv_bytes([header, ["kosha", "見本商店", "144-0052", "2026-06-10", "調査", "1000"]]))
    assert result.problems == ()
    result = read(csv_bytes([["支援機関", "企業名", "支援日", "支援内容", "経費（税抜）"]]))
    assert where(result) == {(1, "法人番号")}


def test_blank_rows_are_skipped_and_rows_keep_their_numbers() -> None:
    rows = [[], JA_HEADER, GOOD_ROWS[0], [""] * 9, ["jetro", ACME, "", "", "x", "調査", "", "1", ""]]
    result = read(csv_bytes(rows))
    assert where(result) == {(5, "支援日")}


def test_a_file_of_only_a_header_or_nothing_is_a_problem() -> None:
    assert where(read(csv_bytes([JA_HEADER]))) == {(2, "")}
    problem = read_sheet(b"")
    assert isinstance(problem, Problem) and problem.param("row") == 0


def test_xlsx_cells_numbers_dates_and_floats_are_converted_exactly() -> None:
    rows = [
        JA_HEADER,
        ["jetro", 4010001234567, None, None, dt.datetime(2026, 6, 10), "調査", None, 300000.0, 30000],
        ["kosha", None, "見本商店", 1440052, dt.date(2026, 6, 11), "派遣", None, 120000, None],
    ]
    result = read(xlsx_bytes(rows))
    assert result.problems == ()
    (k1, r1), (k2, r2) = result.supports
    assert k1 == CompanyKey.for_corporation(ACME)
    assert k2 == CompanyKey.for_sole_proprietor("見本商店", "144-0052")
    assert (r1.date, r1.cost_excl_tax, r1.tax) == (dt.date(2026, 6, 10), 300000, 30000)
    assert type(r1.cost_excl_tax) is int and type(r1.tax) is int
    assert r2.tax == 0


def test_xlsx_bad_cells_are_named_by_row_and_column() -> None:
    rows = [
        JA_HEADER,
        ["jetro", ACME, None, None, 46183, "調査", None, 300000.5, True],  # row 2: a date serial, ½ yen, TRUE
        ["scb", OTHER, None, None, dt.date(2026, 6, 1), "調査", None, "=B3*2", None],  # row 3: no saved value
    ]
    sheet = read_sheet(xlsx_bytes(rows))
    assert isinstance(sheet, Sheet)
    assert isinstance(sheet.rows[1][1][7], UncalculatedFormula)
    result = parse_supports(sheet, AGENCIES)
    assert result.supports == ()
    assert where(result) == {(2, "支援日"), (2, "経費（税抜）"), (2, "消費税"), (3, "経費（税抜）")}
    assert "=B3*2" in "\n".join(problem_text(p) for p in result.problems)


def test_a_title_row_above_the_header_is_reported_not_guessed() -> None:
    result = read(xlsx_bytes([["支援実績管理表"], JA_HEADER, GOOD_ROWS[0]]))
    assert result.supports == ()
    assert (1, "支援実績管理表") in where(result)


def test_broken_xlsx_and_old_xls_are_file_problems() -> None:
    for data in (b"PK\x03\x04 not a zip", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel"):
        problem = read_sheet(data)
        assert isinstance(problem, Problem) and problem.param("row") == 0


def test_text_that_looks_like_a_formula_is_kept_literally() -> None:
    result = read(csv_bytes([JA_HEADER, ["jetro", ACME, "", "", "2026-06-10", "=1+1", "{{ x }}", "1", ""]]))
    ((_, record),) = result.supports
    assert (record.service, record.summary) == ("=1+1", "{{ x }}")


def test_yen_values() -> None:
    assert [yen_value(v) for v in (300000, 300000.0, "300,000", "30万円", "¥1,000")] == [
        300000, 300000, 300000, 300000, 1000,
    ]  # fmt: skip
    assert [yen_value(v) for v in (300000.5, -1, True, dt.date(2026, 1, 1), "abc", None)] == [None] * 6
    assert [plain_yen(v) for v in ("300000", " 0 ", "300,000", "30万", "1.0", "-5")] == [
        300000, 0, None, None, None, None,
    ]  # fmt: skip


def test_company_key_findings() -> None:
    assert company_key(ACME, "", "") == CompanyKey.for_corporation(ACME)
    assert company_key("", "㈱見本", "〒144-0052") == CompanyKey.for_sole_proprietor("見本", "144-0052")
    assert [(p.field, p.code) for p in company_key("", "", "")] == [("corporate_number", Code.FIELD_MISSING)]  # type: ignore[union-attr]
    found = company_key("", "見本商店", "14400")
    assert isinstance(found, list) and [(p.field, p.code) for p in found] == [
        ("postal_code", Code.FIELD_INVALID)
    ]


def test_an_xlsx_that_would_unpack_to_gigabytes_is_refused_unread() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (MAX_XLSX_UNPACKED + 1))
    got = read_sheet(buf.getvalue())
    assert isinstance(got, Problem) and got.param("row") == 0 and "展開後" in got.param("message")
