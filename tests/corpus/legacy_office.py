"""Hostile 97–2003 Office files (OLE compound files): each must end in FORM_UNREADABLE before LibreOffice
converts it. Each starts from a real 様式1 written by LibreOffice (office.py's ``xls_grid``/``doc_table``),
so a reader that skipped a guard would convert it, read it and route it.

- ``encrypted_xls``: saved by LibreOffice with a password to open (RC4 CryptoAPI, a FilePass record after
  the BOF): LibreOffice is driven by a Basic macro in a throwaway profile (``storeToURL`` with
  ``Password``), as ``--convert-to`` takes no password.
- ``encrypted_doc``: LibreOffice 7.4 saves no password-protected .doc, so its .doc with the FIB's
  fEncrypted bit set, as Word sets it (the reader looks at that bit only).
- ``encrypted_ooxml``: the .xlsx encrypted by msoffcrypto-tool (ECMA-376 agile): an OLE file holding
  ``EncryptionInfo`` and ``EncryptedPackage``, as Excel saves a .xlsx with a password.
- ``vba_xls``: LibreOffice's .xls with a ``_VBA_PROJECT_CUR`` storage in its directory (one entry renamed
  and made a storage: LibreOffice writes no VBA project of its own into .xls).
- ``excel4_macro_xls``: LibreOffice's .xls whose sheet is declared an Excel 4 macro sheet (BoundSheet8).
- ``corrupt_xls``: LibreOffice's .xls cut after its first 4 KiB.
- ``ole_fat_loop``: the Workbook stream's sector chain made a loop (``doc_table_loop``: a .doc's 1Table
  stream's, which holds its text's pieces); ``ole_fat_bomb``: the header declares 2³¹ FAT sectors.
- ``ole_other``: the Workbook stream renamed ``PowerPoint Document``: an OLE file that is no Word or
  Excel document.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import msoffcrypto
import olefile

from tests.corpus import office

_MODULE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" \
script:language="StarBasic">
Sub SaveAs
  Dim hidden(0) As New com.sun.star.beans.PropertyValue
  hidden(0).Name = "Hidden"
  hidden(0).Value = True
  oDoc = StarDesktop.loadComponentFromURL(ConvertToURL(Environ("LO_SRC")), "_blank", 0, hidden())
  Dim args(1) As New com.sun.star.beans.PropertyValue
  args(0).Name = "FilterName"
  args(0).Value = Environ("LO_FILTER")
  args(1).Name = "Password"
  args(1).Value = Environ("LO_PASSWORD")
  oDoc.storeToURL(ConvertToURL(Environ("LO_DST")), args())
  oDoc.close(True)
  StarDesktop.terminate()
End Sub
</script:module>
"""
PASSWORD = "himitsu"
_SECTOR = 512


def saved_with_password(data: bytes, suffix: str, filter_name: str) -> bytes:
    """``data`` (a file ending in ``suffix``) saved by LibreOffice with ``filter_name`` and PASSWORD."""
    if office.SOFFICE is None:
        raise RuntimeError("LibreOffice (soffice) is needed for the encrypted corpus cases")
    with tempfile.TemporaryDirectory(prefix="corpus-lo-") as tmp:
        folder = Path(tmp)
        source, target, profile = folder / f"form{suffix}", folder / "locked.bin", folder / "profile"
        source.write_bytes(data)
        run = [office.SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless"]
        subprocess.run([*run, "--terminate_after_init"], check=True, capture_output=True, timeout=300)
        (profile / "user" / "basic" / "Standard" / "Module1.xba").write_text(_MODULE, encoding="utf-8")
        env = {**os.environ, "LO_SRC": str(source), "LO_DST": str(target), "LO_FILTER": filter_name,
               "LO_PASSWORD": PASSWORD}  # fmt: skip
        subprocess.run([*run, "macro:///Standard.Module1.SaveAs"], env=env, check=True, capture_output=True,
                       timeout=300)  # fmt: skip
        return target.read_bytes()


def _entry(data: bytes, name: str) -> int:
    """The offset in ``data`` of the directory entry called ``name``."""
    ole = olefile.OleFileIO(io.BytesIO(data))
    try:
        sid = ole._find(name)
        sector_size, first = ole.sectorsize, ole.first_dir_sector
        chain = [first]
        while len(chain) * sector_size // 128 <= sid:
            chain.append(ole.fat[chain[-1]])
    finally:
        ole.close()
    per_sector = sector_size // 128
    return (chain[sid // per_sector] + 1) * sector_size + (sid % per_sector) * 128


def _renamed(data: bytes, name: str, new: str, storage: bool = False) -> bytes:
    out = bytearray(data)
    at = _entry(data, name)
    encoded = new.encode("utf-16-le") + b"\x00\x00"
    out[at : at + 64] = encoded.ljust(64, b"\x00")
    struct.pack_into("<H", out, at + 64, len(encoded))
    if storage:
        out[at + 66] = 1  # STGTY_STORAGE
        struct.pack_into("<IQ", out, at + 116, 0, 0)  # a storage has no sectors of its own
    return bytes(out)


def _xls(values: Mapping[str, Any]) -> bytes:
    return office.as_xls(office.xlsx_grid(values))


def encrypted_xls(values: Mapping[str, Any]) -> tuple[bytes, str]:
    return saved_with_password(office.xlsx_grid(values), ".xlsx", "MS Excel 97"), ".xls"


def encrypted_doc(values: Mapping[str, Any]) -> tuple[bytes, str]:
    data = bytearray(office.as_doc(office.docx_table(values)))
    ole = olefile.OleFileIO(io.BytesIO(bytes(data)))
    start = ole.root.kids_dict["worddocument"].isectStart
    ole.close()
    flags_at = (start + 1) * _SECTOR + 10  # FibBase: wIdent, nFib, unused, lid, pnNext, then the flags
    data[flags_at + 1] |= 0x01  # fEncrypted (0x0100)
    return bytes(data), ".doc"


def encrypted_ooxml(values: Mapping[str, Any]) -> tuple[bytes, str]:
    out = io.BytesIO()
    msoffcrypto.OfficeFile(io.BytesIO(office.xlsx_grid(values))).encrypt(PASSWORD, out)
    return out.getvalue(), ".xlsx"


def vba_xls(values: Mapping[str, Any]) -> tuple[bytes, str]:
    return _renamed(_xls(values), "\x01Ole", "_VBA_PROJECT_CUR", storage=True), ".xls"


def excel4_macro_xls(values: Mapping[str, Any]) -> tuple[bytes, str]:
    data = _xls(values)
    ole = olefile.OleFileIO(io.BytesIO(data))
    start, stream = ole.root.kids_dict["workbook"].isectStart, ole.openstream("Workbook").read()
    ole.close()
    at = 0
    while struct.unpack_from("<H", stream, at)[0] != 0x0085:  # BoundSheet8
        at += 4 + struct.unpack_from("<H", stream, at + 2)[0]
    out = bytearray(data)
    out[(start + 1) * _SECTOR + at + 4 + 5] = 1  # its dt: an Excel 4 macro sheet (the stream runs on)
    return bytes(out), ".xls"


def corrupt_xls(values: Mapping[str, Any]) -> tuple[bytes, str]:
    return _xls(values)[:4096], ".xls"


def _looped(data: bytes, stream: str) -> bytes:
    """``data`` whose ``stream``'s first sector is followed, in the allocation table, by itself."""
    ole = olefile.OleFileIO(io.BytesIO(data))
    start = ole.root.kids_dict[stream.casefold()].isectStart
    ole.close()
    first_fat = struct.unpack_from("<I", data, 0x4C)[0]  # the header's first DIFAT entry
    out = bytearray(data)
    struct.pack_into("<I", out, (first_fat + 1) * _SECTOR + 4 * start, start)
    return bytes(out)


def ole_fat_loop(values: Mapping[str, Any]) -> tuple[bytes, str]:
    return _looped(_xls(values), "Workbook"), ".xls"


def doc_table_loop(values: Mapping[str, Any]) -> tuple[bytes, str]:
    return _looped(office.as_doc(office.docx_table(values)), "1Table"), ".doc"


def ole_fat_bomb(values: Mapping[str, Any]) -> tuple[bytes, str]:
    out = bytearray(_xls(values))
    struct.pack_into("<I", out, 0x2C, 0x8000_0000)  # csectFat: 2³¹ sectors of allocation table
    return bytes(out), ".xls"


def ole_other(values: Mapping[str, Any]) -> tuple[bytes, str]:
    return _renamed(_xls(values), "Workbook", "PowerPoint Document"), ".ppt"


BUILDERS: dict[str, Callable[[Mapping[str, Any]], tuple[bytes, str]]] = {
    "encrypted_xls": encrypted_xls,
    "encrypted_doc": encrypted_doc,
    "encrypted_ooxml": encrypted_ooxml,
    "vba_xls": vba_xls,
    "excel4_macro_xls": excel4_macro_xls,
    "corrupt_xls": corrupt_xls,
    "ole_fat_loop": ole_fat_loop,
    "doc_table_loop": doc_table_loop,
    "ole_fat_bomb": ole_fat_bomb,
    "ole_other": ole_other,
}
#: The detail each builder's file is refused with (FORM_UNREADABLE).
DETAILS = {"encrypted_xls": "encrypted", "encrypted_doc": "encrypted", "encrypted_ooxml": "encrypted",
           "vba_xls": "macro", "excel4_macro_xls": "macro", "corrupt_xls": "corrupt",
           "ole_fat_loop": "corrupt", "doc_table_loop": "corrupt", "ole_fat_bomb": "corrupt",
           "ole_other": "legacy_office"}  # fmt: skip
SUFFIXES = {"encrypted_xls": ".xls", "encrypted_doc": ".doc", "encrypted_ooxml": ".xlsx", "vba_xls": ".xls",
            "excel4_macro_xls": ".xls", "corrupt_xls": ".xls", "ole_fat_loop": ".xls",
            "doc_table_loop": ".doc", "ole_fat_bomb": ".xls", "ole_other": ".ppt"}  # fmt: skip
