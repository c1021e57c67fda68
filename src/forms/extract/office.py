"""Reading a 様式1 re-typed in Word (.docx) or Excel (.xlsx): the package guards, then the labels.

An Office Open XML file is a ZIP package. Before anything is inflated, its directory is checked:

- **zip bombs**: too many parts, a part or the whole unpacking past a limit, or a part that
  inflates more than ``MAX_RATIO`` times → FORM_UNREADABLE ``zip_bomb`` (the sizes read are the ones
  the directory declares; Python's zipfile never inflates a part past its declared size);
- **macros** (.docm/.xlsm, ``vbaProject.bin``, Excel 4 macro sheets, ActiveX controls, a
  macro-enabled content type): never opened, never forwarded → FORM_UNREADABLE ``macro``;
- encrypted parts → FORM_UNREADABLE ``encrypted`` (a password-protected Office file is an OLE file,
  refused by ``forms.extract.document``).

The main part named by the package's relationships says which it is (``word/document.xml`` or
``xl/workbook.xml``); its lines are read by ``word`` or ``excel`` and the values by their printed
labels (``labels.read_labels``), as for a re-typed PDF. Library exceptions are translated here.
"""

from __future__ import annotations

import io
import re
import zipfile
from types import MappingProxyType

from lxml import etree

from forms import model, spec
from forms.errors import Code
from forms.extract import excel, labels, printed, word

MAX_PARTS = 2_000
MAX_UNPACKED = 64 * 1024 * 1024  # the whole package, inflated
MAX_PART = 16 * 1024 * 1024  # one part, inflated
MAX_RATIO = 200  # inflated / compressed, for parts over a MiB (XML compresses 5–30 times)
ZIP_BOMB, MACRO, ENCRYPTED, CORRUPT = "zip_bomb", "macro", "encrypted", "corrupt"
_MACRO_PARTS = re.compile(
    r"vbaproject\.bin|vbadata\.xml|(^|/)macrosheets/|(^|/)activex/|\.(xlsm|docm|pptm|xlam|dotm|xltm)$"
)
_MACRO_TYPES = re.compile(rb"macroEnabled|vbaProject|ms-office\.activeX", re.IGNORECASE)
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
#: What the libraries raise on a damaged package or part.
_FAULTS = (zipfile.BadZipFile, zipfile.LargeZipFile, etree.XMLSyntaxError, word.WordError,
           excel.SpreadsheetError, KeyError, ValueError, TypeError, IndexError, AttributeError, OverflowError,
           OSError, EOFError)  # fmt: skip


def unreadable(detail: str) -> model.Problem:
    return model.problem(Code.FORM_UNREADABLE, None, detail=detail)


def read_office(data: bytes) -> model.ExtractResult:
    """The 様式1 in a .docx or .xlsx package, or the Problem that says why there is none."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return unreadable(CORRUPT)
    try:
        refused = package_problem(package)
        if refused is not None:
            return refused
        main = _main_part(package)
        if main == "word/document.xml" or main.endswith("/document.xml"):
            return _reading(model.Shape.DOCX, word.docx_lines(package.read(main)), 1)
        if main.endswith("workbook.xml"):
            lines, sheets = excel.xlsx_lines(package, main)
            return _reading(model.Shape.XLSX, lines, sheets)
        return model.problem(Code.FORM_NOT_FOUND, None, detail="not_youshiki1")
    except _FAULTS:
        return unreadable(CORRUPT)
    finally:
        package.close()


def package_problem(package: zipfile.ZipFile) -> model.Problem | None:
    """Why a package is refused unread (zip bomb, macros, encryption), or None."""
    parts = package.infolist()
    if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > MAX_UNPACKED:
        return unreadable(ZIP_BOMB)
    for part in parts:
        if part.file_size > MAX_PART or (
            part.file_size > 1024 * 1024 and part.file_size > MAX_RATIO * max(part.compress_size, 1)
        ):
            return unreadable(ZIP_BOMB)
        if _MACRO_PARTS.search(part.filename.casefold()):
            return unreadable(MACRO)
        if part.flag_bits & 0x1:
            return unreadable(ENCRYPTED)
    if "[Content_Types].xml" in package.namelist() and _MACRO_TYPES.search(
        package.read("[Content_Types].xml")
    ):
        return unreadable(MACRO)
    return None


def _main_part(package: zipfile.ZipFile) -> str:
    """The part the package's relationships name as its office document (its usual name otherwise)."""
    names = set(package.namelist())
    if "_rels/.rels" in names:
        root = etree.fromstring(package.read("_rels/.rels"), _PARSER)
        for rel in root.iter(_RELS):
            target = (rel.get("Target") or "").lstrip("/")
            if rel.get("Type") == _OFFICE_DOCUMENT and target in names:
                return target
    for usual in ("word/document.xml", "xl/workbook.xml"):
        if usual in names:
            return usual
    return ""


def _reading(shape: model.Shape, lines: list, pages: int) -> model.ExtractResult:
    reading = labels.read_labels(lines, spec.load_spec())
    if reading.labels_found < labels.MIN_LABELS:
        return model.problem(Code.FORM_NOT_FOUND, None, detail="not_youshiki1")
    values = printed.reading_values(reading, spec.load_spec())
    return model.Extraction(
        shape=shape,
        values=MappingProxyType(values),
        pages=pages,
        labels_found=reading.labels_found,
        notes=(str(shape),),
    )
