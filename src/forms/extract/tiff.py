"""A TIFF's pages as its directory declares them, read before any pixel is decoded.

A TIFF is a chain of image file directories (IFDs), one per page. Walking the chain with ``struct``
(not Pillow) tells, for each page, its size, bits per sample, compression and resolution — so that a
file with 100,000 pages, a page of 10⁹ pixels, a loop in the chain or a directory pointing outside the
file is refused (FORM_UNREADABLE) before Pillow decodes anything. Classic TIFF only (BigTIFF is not
what fax gateways and scanners send).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from forms import model
from forms.errors import Code

#: Tags read from each directory.
WIDTH, LENGTH, BITS, COMPRESSION, X_RES, Y_RES, RES_UNIT = 256, 257, 258, 259, 282, 283, 296
#: CCITT compressions: modified Huffman (2), T.4 / Group 3 (3), T.6 / Group 4 (4).
CCITT = frozenset({2, 3, 4})
_TYPES = {3: ("H", 2), 4: ("I", 4), 5: ("II", 8), 16: ("Q", 8)}  # SHORT, LONG, RATIONAL, LONG8


@dataclass(frozen=True)
class TiffPage:
    width: int
    height: int
    bits: int
    compression: int
    dpi: tuple[float, float] | None  # (x, y) dots per inch, when the directory says

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def is_fax(self) -> bool:
        """1-bit CCITT, or a fax resolution (about 204 × 98 or 204 × 196 dpi)."""
        dpi = self.dpi or (0.0, 0.0)
        fax_resolution = 195 <= dpi[0] <= 210 and abs(dpi[0] - dpi[1]) > 20
        return (self.bits == 1 and self.compression in CCITT) or fax_resolution


def unreadable(detail: str) -> model.Problem:
    return model.problem(Code.FORM_UNREADABLE, None, detail=detail)


def tiff_pages(data: bytes, *, max_pages: int, max_pixels: int) -> list[TiffPage] | model.Problem:
    """Every page of a classic TIFF, or why it is refused (too many pages, a page too large, corrupt)."""
    if data[:4] not in (b"II*\x00", b"MM\x00*"):
        return unreadable("corrupt")  # BigTIFF or not a TIFF
    order = "<" if data[:2] == b"II" else ">"
    offset = struct.unpack_from(f"{order}I", data, 4)[0]
    pages: list[TiffPage] = []
    seen: set[int] = set()
    while offset:
        if offset in seen or offset + 2 > len(data):
            return unreadable("corrupt")  # a loop in the chain, or a directory outside the file
        seen.add(offset)
        if len(pages) == max_pages:
            return unreadable("too_many_pages")
        try:
            page, offset = _directory(data, order, offset)
        except (struct.error, ValueError, ZeroDivisionError):
            return unreadable("corrupt")
        if page.width <= 0 or page.height <= 0:
            return unreadable("corrupt")
        if page.pixels > max_pixels:
            return unreadable("image_too_large")
        pages.append(page)
    return pages or unreadable("no_pages")


def _directory(data: bytes, order: str, offset: int) -> tuple[TiffPage, int]:
    """The page one directory describes, and the offset of the next directory (0 at the end)."""
    (count,) = struct.unpack_from(f"{order}H", data, offset)
    tags: dict[int, tuple[float, ...]] = {}
    for k in range(count):
        tag, kind, n, raw_at = struct.unpack_from(f"{order}HHI4s", data, offset + 2 + 12 * k)
        if tag in (WIDTH, LENGTH, BITS, COMPRESSION, X_RES, Y_RES, RES_UNIT) and kind in _TYPES:
            tags[tag] = _value(data, order, kind, min(n, 4), raw_at)
    (following,) = struct.unpack_from(f"{order}I", data, offset + 2 + 12 * count)
    page = TiffPage(
        width=int(tags.get(WIDTH, (0,))[0]),
        height=int(tags.get(LENGTH, (0,))[0]),
        bits=int(tags.get(BITS, (1,))[0]),
        compression=int(tags.get(COMPRESSION, (1,))[0]),
        dpi=_dpi(tags),
    )
    return page, following


def _value(data: bytes, order: str, kind: int, n: int, raw: bytes) -> tuple[float, ...]:
    fmt, size = _TYPES[kind]
    where = raw if size * n <= 4 else data[int.from_bytes(raw, "little" if order == "<" else "big") :]
    numbers = struct.unpack_from(f"{order}{fmt * n}", where, 0)
    if kind == 5:  # RATIONAL: numerator / denominator pairs
        pairs = zip(numbers[::2], numbers[1::2], strict=True)
        return tuple(num / den if den else 0.0 for num, den in pairs)
    return tuple(float(x) for x in numbers)


def _dpi(tags: dict[int, tuple[float, ...]]) -> tuple[float, float] | None:
    x, y = tags.get(X_RES, (0.0,))[0], tags.get(Y_RES, (0.0,))[0]
    if x <= 0 or y <= 0:
        return None
    unit = int(tags.get(RES_UNIT, (2,))[0])
    if unit == 1:
        return None  # a ratio only, no absolute size
    per_inch = 2.54 if unit == 3 else 1.0  # 3: centimetres; 2 (or none given): inches
    return x * per_inch, y * per_inch
