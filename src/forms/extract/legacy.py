"""Reading a 様式1 sent as a 97–2003 Office file (.doc, .xls): an OLE compound file, looked into, then
converted by LibreOffice and read as the .docx/.xlsx it becomes.

The container (``D0 CF 11 E0``) is opened with olefile (its directory and allocation tables checked as
they are read: a sector chain out of the file or in a loop is an error, never a hang) after a size cap,
and what it holds decides:

- an encrypted .docx/.xlsx (``EncryptionInfo`` + ``EncryptedPackage``) → FORM_UNREADABLE ``encrypted``;
- a VBA project (``Macros``, ``_VBA_PROJECT_CUR``, ``VBA`` storages, a ``_VBA_PROJECT`` stream) → ``macro``;
- a stream whose sector chain loops or leaves the file, or an allocation table larger than the
  file → ``corrupt``;
- ``WordDocument`` with the FIB's fEncrypted bit set → ``encrypted``;
- ``Workbook`` / ``Book`` with a FilePass record right after the first BOF (a password) → ``encrypted``;
  with an Excel 4 macro sheet or a VBA module sheet among its sheets → ``macro``;
- a Word 97 document / an Excel 97 workbook → converted (``soffice``), read by ``office.read_office``;
  its shape is ``doc`` / ``xls``;
- anything else (PowerPoint, an installer …), or LibreOffice not installed → ``legacy_office``.

Nothing here runs the file: macros are refused before LibreOffice sees it, and LibreOffice runs with
macros disabled all the same.
"""

from __future__ import annotations

import dataclasses
import io
import struct
from enum import StrEnum

import olefile

from forms import model
from forms.errors import Code
from forms.extract import office
from forms.extract.soffice import Converter

MAX_OLE = 16 * 1024 * 1024  # a 様式1 .doc/.xls is tens of KiB
LEGACY_OFFICE, ENCRYPTED, MACRO, CORRUPT = "legacy_office", "encrypted", "macro", "corrupt"
_MACRO_STORAGES = frozenset({"macros", "_vba_project_cur", "vba", "_vba_project"})
_WORD_MAGIC = 0xA5EC  # the FIB's wIdent
_F_ENCRYPTED = 0x0100  # FibBase flags: fEncrypted
_BOF, _FILEPASS, _BOUNDSHEET, _EOF = 0x0809, 0x002F, 0x0085, 0x000A
_MACRO_SHEETS = frozenset({1, 6})  # BoundSheet8.dt: Excel 4 macro sheet, VBA module (Excel 5)
_RECORDS_LOOKED_AT = 100_000
#: What olefile and struct raise on a damaged container or stream.
_FAULTS = (OSError, ValueError, IndexError, KeyError, TypeError, struct.error, EOFError, OverflowError,
           RecursionError)  # fmt: skip


class Kind(StrEnum):
    """What an OLE file holds, as far as the mailroom cares."""

    DOC = "doc"
    XLS = "xls"


#: (suffix LibreOffice is given, what it converts to, the shape read) per kind converted.
_CONVERSIONS = {
    Kind.DOC: (".doc", "docx:MS Word 2007 XML", model.Shape.DOC),
    Kind.XLS: (".xls", "xlsx:Calc MS Excel 2007 XML", model.Shape.XLS),
}


def unreadable(detail: str) -> model.Problem:
    return model.problem(Code.FORM_UNREADABLE, None, detail=detail)


def inspect(data: bytes) -> Kind | model.Problem:
    """What the OLE file ``data`` is, or the Problem that refuses it unread."""
    if len(data) > MAX_OLE:
        return unreadable("too_large")
    try:
        ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)
    except _FAULTS:
        return unreadable(CORRUPT)
    try:
        return _look_into(ole, len(data))
    except _FAULTS:
        return unreadable(CORRUPT)
    finally:
        ole.close()


def _look_into(ole: olefile.OleFileIO, size: int) -> Kind | model.Problem:
    names = {part.casefold() for path in ole.listdir(streams=True, storages=True) for part in path}
    if ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage"):
        return unreadable(ENCRYPTED)
    if names & _MACRO_STORAGES:
        return unreadable(MACRO)
    streams = ("WordDocument", "Workbook", "Book")
    main = next((n for n in streams if ole.get_type(n) == olefile.STGTY_STREAM), None)
    if main is None:
        return unreadable(LEGACY_OFFICE)
    chained = (olefile.STGTY_STREAM, olefile.STGTY_ROOT)
    if not all(_sound(ole, e, size) for e in ole.direntries if e is not None and e.entry_type in chained):
        return unreadable(CORRUPT)
    if main == "WordDocument":
        return _word(ole.openstream(main).read(64))
    return _workbook(ole.openstream(main).read())


def _sound(ole: olefile.OleFileIO, entry: olefile.olefile.OleDirectoryEntry, size: int) -> bool:
    """Whether the container's allocation table fits in the file and a stream's (or the mini stream's,
    the root's) sector chain runs once through sectors of the file, as long as the stream says
    (olefile reads a chain in a loop round and round up to the declared size; LibreOffice must never
    be given such a file)."""
    if ole.num_fat_sectors * ole.sectorsize > size:
        return False
    if entry.entry_type != olefile.STGTY_ROOT and entry.size < ole.minisectorcutoff:
        return True  # in the mini stream, whose own chain is the root's
    seen: set[int] = set()
    sector = entry.isectStart
    while sector != olefile.ENDOFCHAIN:
        if sector in seen or sector >= len(ole.fat) or (sector + 1) * ole.sectorsize > size:
            return False
        seen.add(sector)
        sector = ole.fat[sector]
    return len(seen) == -(-entry.size // ole.sectorsize)


def _word(fib: bytes) -> Kind | model.Problem:
    """A Word 97 document by its FIB (File Information Block): refused when encrypted."""
    ident, flags = struct.unpack_from("<H", fib, 0)[0], struct.unpack_from("<H", fib, 10)[0]
    if ident != _WORD_MAGIC:
        return unreadable(LEGACY_OFFICE)
    return unreadable(ENCRYPTED) if flags & _F_ENCRYPTED else Kind.DOC


def _workbook(stream: bytes) -> Kind | model.Problem:
    """An Excel 97 workbook by its records (BIFF8): refused when a FilePass follows the first BOF
    (a password) or a sheet is a macro sheet."""
    at, seen = 0, 0
    while at + 4 <= len(stream) and seen < _RECORDS_LOOKED_AT:
        kind, size = struct.unpack_from("<HH", stream, at)
        body = stream[at + 4 : at + 4 + size]
        if seen == 0 and kind != _BOF:
            return unreadable(LEGACY_OFFICE)
        if kind == _FILEPASS:
            return unreadable(ENCRYPTED)
        if kind == _BOUNDSHEET and len(body) >= 6 and body[5] in _MACRO_SHEETS:
            return unreadable(MACRO)
        if kind == _EOF:  # the end of the workbook's globals: every sheet has been named
            return Kind.XLS
        at, seen = at + 4 + size, seen + 1
    return Kind.XLS if seen else unreadable(CORRUPT)


def read_legacy(data: bytes, converter: Converter | None) -> model.ExtractResult:
    """The 様式1 in a .doc or .xls, or the Problem that says why there is none. Without a converter
    (LibreOffice not installed) the file is refused as before: ``legacy_office``."""
    kind = inspect(data)
    if isinstance(kind, model.Problem):
        return kind
    if converter is None or not converter.available():
        return unreadable(LEGACY_OFFICE)
    suffix, target, shape = _CONVERSIONS[kind]
    converted = converter.convert(data, suffix, target)
    if isinstance(converted, model.Problem):
        return converted
    result = office.read_office(converted)
    if isinstance(result, model.Extraction):
        return dataclasses.replace(result, shape=shape, notes=(*result.notes, f"{shape}: LibreOffice"))
    return result
