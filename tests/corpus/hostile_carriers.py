"""Hostile files of the carriers other than PDF: each must end in FORM_UNREADABLE within the reader's
time and memory limits (hostile.py has the PDFs).

Office packages start from a real 様式1 made by office.py (so a reader that skipped its guards would
read a form and route it): a part declared to inflate to 1 GiB, a part that lies about its size, a
macro-enabled package (vbaProject.bin, macro content types) with or without the .xlsm/.docm name, a
legacy .xls written by LibreOffice (an OLE file).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

from tests.corpus import office

BOMB_BYTES = 1024**3  # what the bomb part inflates to
FAKE_VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b'Attribute VB_Name = "ThisWorkbook"\r\n'


def rewritten(
    package: bytes,
    replace: Mapping[str, bytes | None],
    add: Mapping[str, bytes] | None = None,
) -> bytes:
    """``package`` with parts replaced (None drops one) and added, everything else as it was."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    dst.writestr(info.filename, replace[info.filename])
                continue
            dst.writestr(info, src.read(info.filename))
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def _with_bomb(package: bytes, part: str) -> bytes:
    """``package`` with ``part`` replaced by 1 GiB of spaces (declared in the directory, ~1 MB packed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != part:
                dst.writestr(info, src.read(info.filename))
        bomb = zipfile.ZipInfo(part, date_time=(2026, 6, 1, 9, 0, 0))
        bomb.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(bomb, "w") as f:
            chunk = b" " * (4 * 1024 * 1024)
            for _ in range(BOMB_BYTES // len(chunk)):
                f.write(chunk)
    return out.getvalue()


def _lying(package: bytes, part: str) -> bytes:
    """``package`` whose ``part`` inflates to 64 MiB while its headers say 2 KiB."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != part:
                dst.writestr(info, src.read(info.filename))
        dst.writestr(part, b" " * (64 * 1024 * 1024))
    data = bytearray(out.getvalue())
    name, declared = part.encode(), (2048).to_bytes(4, "little")
    for header, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        for m in re.finditer(re.escape(header), bytes(data)):
            if data[m.start() + name_at :].startswith(name):
                data[m.start() + size_at : m.start() + size_at + 4] = declared
    return bytes(data)


def _macro_enabled(package: bytes, folder: str, main_type: str, macro_type: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        types = z.read("[Content_Types].xml").decode()
        rels_name = f"{folder}/_rels/{'workbook' if folder == 'xl' else 'document'}.xml.rels"
        rels = z.read(rels_name).decode()
    types = types.replace(main_type, macro_type).replace(
        "</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'
    )
    rels = rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/'
        'office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
    )
    return rewritten(
        package,
        {"[Content_Types].xml": types.encode(), rels_name: rels.encode()},
        {f"{folder}/vbaProject.bin": FAKE_VBA},
    )


XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def zip_bomb_xlsx(values: Mapping[str, Any]) -> tuple[bytes, str]:
    return _with_bomb(office.xlsx_grid(values), "xl/worksheets/sheet1.xml"), ".xlsx"


def zip_bomb_docx(values: Mapping[str, Any]) -> tuple[bytes, str]:
    return _with_bomb(office.docx_table(values), "word/document.xml"), ".docx"


def lying_zip_docx(values: Mapping[str, Any]) -> tuple[bytes, str]:
    return _lying(office.docx_table(values), "word/document.xml"), ".docx"


def macro_xlsm(values: Mapping[str, Any]) -> tuple[bytes, str]:
    return _macro_enabled(
        office.xlsx_grid(values), "xl", XLSX_MAIN, "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    ), ".xlsm"


def macro_docm_as_docx(values: Mapping[str, Any]) -> tuple[bytes, str]:
    return _macro_enabled(
        office.docx_table(values), "word", DOCX_MAIN, "application/vnd.ms-word.document.macroEnabled.main+xml"
    ), ".docx"


def legacy_xls(values: Mapping[str, Any]) -> tuple[bytes, str]:
    """The 様式1 workbook saved by LibreOffice as Excel 97–2003 (.xls, an OLE compound file)."""
    return office.converted_by_libreoffice(office.xlsx_grid(values), ".xlsx", "xls:MS Excel 97"), ".xls"


BUILDERS: dict[str, Callable[[Mapping[str, Any]], tuple[bytes, str]]] = {
    "zip_bomb_xlsx": zip_bomb_xlsx,
    "zip_bomb_docx": zip_bomb_docx,
    "lying_zip_docx": lying_zip_docx,
    "macro_xlsm": macro_xlsm,
    "macro_docm_as_docx": macro_docm_as_docx,
    "legacy_xls": legacy_xls,
}
SUFFIXES = {
    "zip_bomb_xlsx": ".xlsx",
    "zip_bomb_docx": ".docx",
    "lying_zip_docx": ".docx",
    "macro_xlsm": ".xlsm",
    "macro_docm_as_docx": ".docx",
    "legacy_xls": ".xls",
}


def build(kind: str, values: Mapping[str, Any]) -> tuple[bytes, str]:
    return BUILDERS[kind](values)
