"""The legacy Office guards that need no LibreOffice: an Excel 97 workbook's records (FilePass, macro
sheets), a Word 97 FIB's encryption bit, the container's size cap and damage, and how the original is
forwarded. The same guards on real files, and the conversion, are in
tests/integration/test_legacy_office.py."""

from __future__ import annotations

import struct

from forms import model
from forms.errors import Code
from forms.extract import legacy
from forms.extract.carrier import file_type, forwarded_name
from forms.extract.document import read_document
from tests.support.converters import NoConversion

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def record(kind: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


BOF = record(0x0809, struct.pack("<HH", 0x0600, 0x0005) + bytes(12))  # BIFF8, workbook globals
EOF = record(0x000A)


def sheet(dt: int) -> bytes:  # BoundSheet8: lbPlyPos, hsState, dt, then the name
    return record(0x0085, struct.pack("<IBB", 2048, 0, dt) + b"\x02\x00Sh")


def detail(result: object) -> tuple[Code, str] | object:
    return (result.code, dict(result.params)["detail"]) if isinstance(result, model.Problem) else result


def test_a_workbook_is_read_unless_a_password_or_a_macro_sheet_says_otherwise() -> None:
    assert legacy._workbook(BOF + sheet(0) + EOF + sheet(1)) is legacy.Kind.XLS  # after the globals: data
    assert detail(legacy._workbook(BOF + record(0x002F, bytes(54)) + sheet(0) + EOF)) == (
        Code.FORM_UNREADABLE,
        "encrypted",
    )
    for dt in (1, 6):  # an Excel 4 macro sheet, a VBA module sheet
        assert detail(legacy._workbook(BOF + sheet(0) + sheet(dt) + EOF)) == (Code.FORM_UNREADABLE, "macro")
    assert detail(legacy._workbook(record(0x0085) + BOF)) == (Code.FORM_UNREADABLE, "legacy_office")
    assert detail(legacy._workbook(b"\x09")) == (Code.FORM_UNREADABLE, "corrupt")


def test_a_word_document_is_refused_by_its_fib_encryption_bit() -> None:
    fib = struct.pack("<HHHHHH", 0xA5EC, 0x00C1, 0, 0x0411, 0, 0x1200) + bytes(52)
    assert legacy._word(fib) is legacy.Kind.DOC
    encrypted = fib[:10] + struct.pack("<H", 0x1200 | 0x0100) + fib[12:]
    assert detail(legacy._word(encrypted)) == (Code.FORM_UNREADABLE, "encrypted")
    assert detail(legacy._word(bytes(64))) == (Code.FORM_UNREADABLE, "legacy_office")


def test_a_damaged_or_oversized_container_is_refused_unconverted() -> None:
    damaged = read_document(OLE + bytes(1024), converter=NoConversion())
    assert detail(damaged) == (Code.FORM_UNREADABLE, "corrupt")
    huge = OLE + bytes(legacy.MAX_OLE)
    assert detail(read_document(huge, converter=NoConversion())) == (Code.FORM_UNREADABLE, "too_large")


def test_a_legacy_original_is_forwarded_as_what_its_reading_found() -> None:
    data = OLE + bytes(1024)
    assert file_type(data, "xls") == ("application/vnd.ms-excel", ".xls")
    assert file_type(data, "doc") == ("application/msword", ".doc")
    assert file_type(data, None, "申込書.DOC") == ("application/msword", ".doc")
    assert file_type(data, None, "form.bin") == ("application/octet-stream", ".bin")
    assert forwarded_name("様式1.dat", ".xls") == "様式1.xls"
