"""What kind of file a 様式1 came in, told by its bytes (magic numbers), never by its name or type.

Banks send the form as a PDF, a TIFF from a fax-to-mail gateway, a JPEG or PNG (a phone photo, a
scanner's e-mail), or re-typed in Word or Excel (a ZIP package). ``sniff`` looks at the first bytes
only: it is cheap enough for the mailroom to run on every attachment, and it opens nothing. What a
ZIP holds (.docx, .xlsx, a macro-enabled file, or none of them) is decided in a reader process
(``forms.extract.office``), behind the zip-bomb guard; what an OLE file holds (.doc, .xls, an encrypted
or macro-carrying file, or none of them) likewise (``forms.extract.legacy``).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from enum import StrEnum


class Carrier(StrEnum):
    """A kind of file the readers take (or refuse with a reason)."""

    PDF = "pdf"
    TIFF = "tiff"  # fax-to-mail gateways (CCITT G3/G4), some scanners
    JPEG = "jpeg"  # phone photos, scanners
    PNG = "png"  # scanners, screenshots
    ZIP = "zip"  # Office Open XML (.docx, .xlsx, macro-enabled .docm/.xlsm) or another ZIP
    OLE = "ole"  # legacy .doc/.xls, or a password-protected Office file
    PAGES = "pages"  # the pictures of one form's pages, sent as several images (``pack_pages``)
    UNKNOWN = "unknown"


_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF, both byte orders
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PAGES_MAGIC = b"\x00forms:pages\x00"

#: The MIME type and file suffix of each carrier, for forwarding the original as it came.
CONTENT_TYPES = {
    Carrier.PDF: ("application/pdf", ".pdf"),
    Carrier.TIFF: ("image/tiff", ".tif"),
    Carrier.JPEG: ("image/jpeg", ".jpg"),
    Carrier.PNG: ("image/png", ".png"),
    Carrier.ZIP: ("application/zip", ".zip"),
    Carrier.OLE: ("application/octet-stream", ".bin"),
    Carrier.PAGES: ("application/octet-stream", ".bin"),
    Carrier.UNKNOWN: ("application/octet-stream", ".bin"),
}
#: Office documents, by the shape their reading gave (model.Shape values).
OFFICE_TYPES = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}
#: 97–2003 Office documents (OLE), by the shape their reading gave.
LEGACY_TYPES = {"doc": ("application/msword", ".doc"), "xls": ("application/vnd.ms-excel", ".xls")}


def sniff(data: bytes) -> Carrier:
    """The carrier ``data`` is, from its first bytes ("%PDF-" anywhere in the first KiB, as readers
    accept PDFs with leading junk)."""
    head = data[:8]
    if head.startswith(_TIFF_MAGICS):
        return Carrier.TIFF
    if head.startswith(_JPEG_MAGIC):
        return Carrier.JPEG
    if head.startswith(_PNG_MAGIC):
        return Carrier.PNG
    if head.startswith(_ZIP_MAGIC):
        return Carrier.ZIP
    if head.startswith(_OLE_MAGIC):
        return Carrier.OLE
    if data.startswith(_PAGES_MAGIC):
        return Carrier.PAGES
    if b"%PDF-" in data[:1024]:
        return Carrier.PDF
    return Carrier.UNKNOWN


def is_document(data: bytes) -> bool:
    """Whether ``data`` is a file the readers look at (rather than a mail or something else)."""
    return sniff(data) is not Carrier.UNKNOWN


def is_image(data: bytes) -> bool:
    return sniff(data) in (Carrier.TIFF, Carrier.JPEG, Carrier.PNG)


#: Suffixes a sender may have written for the same kind of file, and ones that say nothing.
_SAME_SUFFIX = {".tif": (".tiff",), ".jpg": (".jpeg", ".jpe")}
_NO_SUFFIX = (".bin", ".dat", ".octet-stream")


def file_type(data: bytes, shape: str | None = None, name: str = "") -> tuple[str, str]:
    """(MIME type, suffix) for forwarding ``data``: by its bytes; a ZIP or an OLE file by the shape its
    reading gave, else by the suffix of its name."""
    carrier = sniff(data)
    types = {Carrier.ZIP: OFFICE_TYPES, Carrier.OLE: LEGACY_TYPES}.get(carrier)
    if types is not None:
        if shape in types:
            return types[shape]
        for content_type, suffix in types.values():
            if name.lower().endswith(suffix):
                return content_type, suffix
    return CONTENT_TYPES[carrier]


def forwarded_name(name: str, suffix: str) -> str:
    """``name`` ending in ``suffix`` (the one the bytes call for): a wrong or empty suffix replaced."""
    stem, dot, written = name.rpartition(".")
    written = f".{written.lower()}" if dot else ""
    if written == suffix or written in _SAME_SUFFIX.get(suffix, ()):
        return name
    known = {s for _, s in (*CONTENT_TYPES.values(), *OFFICE_TYPES.values(), *LEGACY_TYPES.values())}
    known |= set(_NO_SUFFIX)
    known |= {alias for aliases in _SAME_SUFFIX.values() for alias in aliases}
    return (stem if dot and written in known else name) + suffix


def pack_pages(files: Sequence[tuple[str, bytes]]) -> bytes:
    """Several pictures of one form's pages (name, bytes), in order, as one document for a reader."""
    out = [_PAGES_MAGIC, struct.pack(">I", len(files))]
    for name, data in files:
        encoded = name.encode("utf-8")
        out.append(struct.pack(">HQ", len(encoded), len(data)) + encoded + data)
    return b"".join(out)


def unpack_pages(data: bytes) -> list[tuple[str, bytes]] | None:
    """The pictures ``pack_pages`` put together; None when ``data`` is not such a document."""
    if not data.startswith(_PAGES_MAGIC):
        return None
    at = len(_PAGES_MAGIC)
    try:
        (count,) = struct.unpack_from(">I", data, at)
        at += 4
        files = []
        for _ in range(count):
            name_len, size = struct.unpack_from(">HQ", data, at)
            at += 10
            name = data[at : at + name_len].decode("utf-8", "replace")
            files.append((name, data[at + name_len : at + name_len + size]))
            at += name_len + size
            if at > len(data):
                return None
    except struct.error:
        return None
    return files
