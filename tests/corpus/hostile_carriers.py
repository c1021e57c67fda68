"""Hostile files of the carriers other than PDF: each must end in FORM_UNREADABLE within the reader's
time and memory limits (hostile.py has the PDFs).

Office packages start from a real 様式1 made by office.py (so a reader that skipped its guards would
read a form and route it): a part declared to inflate to 1 GiB, a part that lies about its size, a
macro-enabled package (vbaProject.bin, macro content types) with or without the .xlsm/.docm name; the
97–2003 (OLE) ones are legacy_office.py's. TIFFs are written by hand: 100,000 pages, a page of
10⁹ pixels, directories in a loop; a JPEG declaring 65,000² pixels, a PNG inflating to 900 MB.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from PIL import Image

from tests.corpus import hostile, legacy_office, office

BOMB_BYTES = 1024**3  # what the bomb part inflates to
TIFF_PAGES = 100_000
PNG_BOMB_SIDE = 30_000
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


# -- images ------------------------------------------------------------------------------------


def _ifd(entries: list[tuple[int, int, int, int]], following: int) -> bytes:
    """A little-endian TIFF directory: (tag, type, count, value) entries, sorted, then the next offset."""
    body = b"".join(struct.pack("<HHII", *e) for e in sorted(entries))
    return struct.pack("<H", len(entries)) + body + struct.pack("<I", following)


def _bilevel(width: int, height: int, strip_at: int, strip_bytes: int, compression: int = 1) -> list:
    return [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 1), (259, 3, 1, compression),
            (262, 3, 1, 0), (273, 4, 1, strip_at), (278, 4, 1, height), (279, 4, 1, strip_bytes)]  # fmt: skip


def tiff_many_pages(values: Mapping[str, Any] | None = None) -> tuple[bytes, str]:
    """100,000 one-pixel pages, each its own directory, all sharing one strip (10 MB)."""
    strip_at, first = 8, 16
    size = 2 + 8 * 12 + 4
    directories = [
        _ifd(_bilevel(1, 1, strip_at, 1), first + (k + 1) * size if k + 1 < TIFF_PAGES else 0)
        for k in range(TIFF_PAGES)
    ]
    return b"II*\x00" + struct.pack("<I", first) + b"\x00" * 8 + b"".join(directories), ".tif"


def tiff_gigapixel(values: Mapping[str, Any] | None = None) -> tuple[bytes, str]:
    """One G4 page declared 40,000 × 25,000 (10⁹ pixels) over a few hundred bytes of data."""
    strip = b"\x00" * 256
    head = b"II*\x00" + struct.pack("<I", 8 + len(strip))
    return head + strip + _ifd(_bilevel(40_000, 25_000, 8, len(strip), compression=4), 0), ".tif"


def tiff_loop(values: Mapping[str, Any] | None = None) -> tuple[bytes, str]:
    """Two directories that point at each other, for ever."""
    a, size = 16, 2 + 8 * 12 + 4
    b = a + size
    body = _ifd(_bilevel(1, 1, 8, 1), b) + _ifd(_bilevel(1, 1, 8, 1), a)
    return b"II*\x00" + struct.pack("<I", a) + b"\x00" * 8 + body, ".tif"


def jpeg_bomb(values: Mapping[str, Any] | None = None) -> tuple[bytes, str]:
    """A small JPEG whose frame header (SOF0) declares 65,000 × 65,000 pixels (4.2 × 10⁹)."""
    out = io.BytesIO()
    Image.new("L", (64, 64), 200).save(out, format="JPEG", quality=80)
    data = bytearray(out.getvalue())
    at = data.find(b"\xff\xc0")
    data[at + 5 : at + 9] = struct.pack(">HH", 65_000, 65_000)
    return bytes(data), ".jpg"


def png_bomb(values: Mapping[str, Any] | None = None) -> tuple[bytes, str]:
    """A 30,000 × 30,000 grayscale PNG of zeros: under a megabyte, 900 MB once inflated."""
    side = PNG_BOMB_SIDE
    idat = hostile.zeros_flate((side + 1) * side, chunk=(side + 1) * 100)  # a filter byte before each row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""), ".png"


BUILDERS: dict[str, Callable[[Mapping[str, Any]], tuple[bytes, str]]] = {
    "zip_bomb_xlsx": zip_bomb_xlsx,
    "zip_bomb_docx": zip_bomb_docx,
    "lying_zip_docx": lying_zip_docx,
    "macro_xlsm": macro_xlsm,
    "macro_docm_as_docx": macro_docm_as_docx,
    "tiff_many_pages": tiff_many_pages,
    "tiff_gigapixel": tiff_gigapixel,
    "tiff_loop": tiff_loop,
    "jpeg_bomb": jpeg_bomb,
    "png_bomb": png_bomb,
    **legacy_office.BUILDERS,
}
#: The suffix of each builder's file.
SUFFIXES = {"zip_bomb_xlsx": ".xlsx", "zip_bomb_docx": ".docx", "lying_zip_docx": ".docx",
            "macro_xlsm": ".xlsm", "macro_docm_as_docx": ".docx",
            "tiff_many_pages": ".tif", "tiff_gigapixel": ".tif", "tiff_loop": ".tif", "jpeg_bomb": ".jpg",
            "png_bomb": ".png", **legacy_office.SUFFIXES}  # fmt: skip


def build(kind: str, values: Mapping[str, Any]) -> tuple[bytes, str]:
    return BUILDERS[kind](values)
