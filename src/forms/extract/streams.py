"""A PDF's streams measured before any library inflates them: decompression bombs refused early.

PDFium and pdfminer inflate a stream whole into memory when they use it: a content stream of 2 MB
that inflates to 2 GiB costs 2 GiB (and more) before anything can look at it, and the reader's
memory limit would be what stops it. Before either library opens a PDF, :func:`check` measures every
stream from qpdf's raw (still compressed) bytes:

- an **image** (``/Subtype /Image``) by what it declares — ``/Width`` × ``/Height`` (at most
  ``max_pixels``) and the bytes they decode to (× components × bits per component; at most
  ``budget``); PDFium decodes an image into a buffer of that size whatever its data inflate to. A
  JPEG's own frame header is read too (PDFium decodes by it, not by the dictionary);
- **any other stream** (page contents, forms, fonts, CMaps …) by running its ``/Filter`` chain in
  1 MiB pieces, counting the output and dropping it, and stopping as soon as the streams together
  pass ``budget``. FlateDecode, ASCIIHexDecode, ASCII85Decode and RunLengthDecode are decoded so;
  LZWDecode (and a filter we do not know) counts as its worst case, 4,096 bytes a byte.

Most PDFs need no decoding at all: each filter inflates by at most a known ratio (deflate 1,032:1,
its longest match in two bits; run length 64:1; ASCII85 4:1; ASCIIHex less than 1:1), so when the
streams' raw sizes times their chains' ratios stay within ``budget``, what they inflate to does too
and none is decoded (a 様式1 of 200 KB bounds at ~200 MB of a 256 MiB budget). Only a PDF whose bound
passes the budget has its streams counted as above. A stream's raw size in the bound is its /Length
when qpdf read the file without a warning (it checks each /Length against ``endstream``), else the
length of its raw bytes.

Pure: a pikepdf document in, a Problem or None out; it never raises on bad input (a stream that does
not decode is left to the reader, which refuses it as corrupt).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable, Iterable, Iterator

import pikepdf

from forms import model
from forms.errors import Code

STREAM_TOO_LARGE = "stream_too_large"
IMAGE_TOO_LARGE = "image_too_large"
#: Largest image a page may show (pixels). An A4 scan at 600 dpi is ~35 Mpx; more is a bomb.
MAX_IMAGE_PIXELS = 100_000_000
#: What the readers may inflate by default (MiB): the reader processes' memory limit is 1,024 MiB.
DEFAULT_BUDGET_MB = 256
_PIECE = 1024 * 1024
_WORST_RATIO = 4096
_IMAGE = pikepdf.Name.Image  # (a new Name each time it is asked for)
_COMPONENTS = {"/DeviceGray": 1, "/CalGray": 1, "/DeviceRGB": 3, "/CalRGB": 3, "/Lab": 3, "/DeviceCMYK": 4}


class _Over(Exception):
    """The budget is passed: stop decoding."""


def _refused(detail: str, **params: object) -> model.Problem:
    return model.problem(Code.FORM_UNREADABLE, None, detail=detail, **params)


def check(
    pdf: pikepdf.Pdf,
    *,
    budget: int = DEFAULT_BUDGET_MB << 20,
    max_pixels: int = MAX_IMAGE_PIXELS,
    repaired: bool = True,
) -> model.Problem | None:
    """None when every stream of ``pdf`` stays within the limits; else FORM_UNREADABLE
    (``image_too_large`` or ``stream_too_large``). ``repaired``: qpdf warned opening the file
    (``pdf.OpenedPdf.repaired``); unless it did, the streams' raw sizes may be their /Length
    (``_length``). Asks qpdf for its warnings, which empties its list."""
    left = budget
    try:
        every = _streams(pdf)
        size = _raw_size if repaired or pdf.get_warnings() else _length
        counted = sum(_bound(obj, size) for obj, image in every if not image) > budget
        for obj, image in every:
            if image:
                found = _image_problem(obj, budget, max_pixels)
                if found is not None:
                    return found
            elif counted:  # the bound passes the budget: count what each stream inflates to
                left -= _inflated_size(obj, left)
                if left < 0:
                    return _refused(STREAM_TOO_LARGE, limit_mb=budget >> 20)
    except _Over:
        return _refused(STREAM_TOO_LARGE, limit_mb=budget >> 20)
    except (pikepdf.PdfError, ValueError, TypeError, RuntimeError, OverflowError):
        return None  # a structure qpdf cannot walk: the reader finds it corrupt on its own
    return None


def _streams(pdf: pikepdf.Pdf) -> list[tuple[pikepdf.Stream, bool]]:
    """Every stream of ``pdf`` once, in object order, and whether it is an image; those before the
    object qpdf cannot walk, in a damaged file (they are measured, the rest left to the reader)."""
    out: list[tuple[pikepdf.Stream, bool]] = []
    seen = set()
    try:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Stream) or obj.objgen in seen:
                continue
            seen.add(obj.objgen)
            out.append((obj, _get(obj, "/Subtype") == _IMAGE))
    except (pikepdf.PdfError, ValueError, TypeError, RuntimeError, OverflowError):
        pass
    return out


def _get(stream: pikepdf.Stream, key: str) -> object:
    """``stream.get(key)``, asked first whether the key is there: pikepdf's ``get`` of a key that is not
    costs an exception inside (~2 µs; most streams have no /Subtype, some no /Filter)."""
    return stream[key] if key in stream else None  # noqa: SIM401 (the point: not get)


# -- images -------------------------------------------------------------------------------------


def _components(space: object) -> int:
    """Colour components of a /ColorSpace (4, the most, when it cannot be told)."""
    if isinstance(space, pikepdf.Name):
        return _COMPONENTS.get(str(space), 4)
    if isinstance(space, pikepdf.Array) and len(space) > 0:
        family = str(space[0])
        if family in ("/Indexed", "/Separation", "/Pattern"):
            return 1
        if family == "/ICCBased" and len(space) > 1 and isinstance(space[1], pikepdf.Stream):
            return max(1, min(int(space[1].get("/N", 4)), 32))
        if family == "/DeviceN" and len(space) > 1 and isinstance(space[1], pikepdf.Array):
            return max(1, min(len(space[1]), 32))
        return _COMPONENTS.get(family, 4)
    return 4


def _image_problem(image: pikepdf.Stream, budget: int, max_pixels: int) -> model.Problem | None:
    width, height = int(image.get("/Width", 0)), int(image.get("/Height", 0))
    if _filters(image)[:1] == ["/DCTDecode"]:
        frame = jpeg_size(image.read_raw_bytes()[:256 * 1024])
        if frame is not None:
            width, height = max(width, frame[0]), max(height, frame[1])
    if width * height > max_pixels:
        return _refused(IMAGE_TOO_LARGE, pixels=width * height)
    mask = bool(image.get("/ImageMask", False))
    bits = 1 if mask else max(8, int(image.get("/BitsPerComponent", 8)))
    components = 1 if mask else _components(image.get("/ColorSpace"))
    if width * height * components * bits // 8 > budget:
        return _refused(IMAGE_TOO_LARGE, pixels=width * height)
    return None


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's frame header (SOF0–SOF15 but DHT, JPG, DAC); None if not found."""
    at = 2 if data[:2] == b"\xff\xd8" else -1
    while 0 <= at < len(data) - 9:
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:
            at += 1
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(data[at + 7 : at + 9], "big"), int.from_bytes(data[at + 5 : at + 7], "big")
        at += 2 + length
    return None


# -- other streams ------------------------------------------------------------------------------


def _filters(stream: pikepdf.Stream) -> list[str]:
    found = _get(stream, "/Filter")
    if isinstance(found, pikepdf.Array):
        return [str(f) for f in found]
    return [str(found)] if found is not None else []


def _inflated_size(stream: pikepdf.Stream, left: int) -> int:
    """What ``stream`` inflates to, counted up to ``left`` bytes (raises _Over past it)."""
    pieces: Iterable[bytes] = (stream.read_raw_bytes(),)
    ratio = 1
    for name in _filters(stream):
        decode = _DECODERS.get(name)
        if decode is None:  # not decoded here: its worst case, and the rest of the chain is not ours
            ratio = _WORST_RATIO if name in _EXPANDING else 1
            break
        pieces = decode(pieces)
    return _count(pieces, left // ratio) * ratio


def _bound(stream: pikepdf.Stream, size_of: Callable[[pikepdf.Stream], int]) -> float:
    """The most ``stream`` can inflate to, as ``_inflated_size`` counts it: its raw size (``size_of``)
    times each decoded filter's largest ratio (infinite when its raw bytes cannot be had: then it is
    counted)."""
    try:
        size = float(size_of(stream))
        for name in _filters(stream):
            if name not in _DECODERS:
                return size * (_WORST_RATIO if name in _EXPANDING else 1)
            size *= _RATIOS[_DECODERS[name]]
    except (pikepdf.PdfError, ValueError, TypeError, RuntimeError, OverflowError):
        return float("inf")
    return size


def _raw_size(stream: pikepdf.Stream) -> int:
    return len(stream.read_raw_bytes())


def _length(stream: pikepdf.Stream) -> int:
    """The size of the stream's raw bytes without copying them (~4 passes over a printed 様式1's
    185 KB, ~50 µs): its /Length, which qpdf checked when it read the stream from the file — it looks
    for ``endstream`` right after that many bytes and, when it is not there, warns and reads up to
    where it is instead (its /Length left as it was). So ``check`` trusts /Length only of a file
    opened without a warning whose walk added none; decrypted AES data is shorter than its /Length
    (an IV and padding less), which only raises the bound. A stream without one is measured."""
    length = _get(stream, "/Length")
    return length if isinstance(length, int) and length >= 0 else _raw_size(stream)


def _count(pieces: Iterable[bytes], left: int) -> int:
    total = 0
    try:
        for piece in pieces:
            total += len(piece)
            if total > left:
                raise _Over
    except (zlib.error, ValueError, binascii.Error):
        pass  # does not decode past here: the readers stop there too
    return total


def _inflate(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """FlateDecode in pieces of at most 1 MiB (a zlib header, or raw deflate as PDFium takes it)."""
    inflater: zlib._Decompress | None = None
    for piece in pieces:
        if inflater is None:
            raw = len(piece) >= 2 and (piece[0] & 0x0F != 8 or (piece[0] << 8 | piece[1]) % 31)
            inflater = zlib.decompressobj(-15 if raw else 15)
        data = piece
        while data and not inflater.eof:
            yield inflater.decompress(data, _PIECE)
            data = inflater.unconsumed_tail
        if inflater.eof:
            return
    if inflater is not None:
        yield inflater.flush()


def _hex(pieces: Iterable[bytes]) -> Iterator[bytes]:
    text = b"".join(pieces).split(b">", 1)[0]
    digits = bytes(c for c in text if c not in b" \t\r\n\f\0")
    yield binascii.a2b_hex(digits + b"0" * (len(digits) % 2))


def _a85(pieces: Iterable[bytes]) -> Iterator[bytes]:
    text = b"".join(pieces).split(b"~>", 1)[0]
    yield base64.a85decode(text.removeprefix(b"<~"), ignorechars=b" \t\r\n\f\0")


def _run_length(pieces: Iterable[bytes]) -> Iterator[bytes]:
    data, at, out = b"".join(pieces), 0, bytearray()
    while at < len(data):
        length = data[at]
        if length == 128:
            break
        if length < 128:
            out += data[at + 1 : at + 2 + length]
            at += 2 + length
        else:
            out += data[at + 1 : at + 2] * (257 - length)
            at += 2
        if len(out) >= _PIECE:
            yield bytes(out)
            out.clear()
    yield bytes(out)


_DECODERS = {
    "/FlateDecode": _inflate,
    "/Fl": _inflate,
    "/ASCIIHexDecode": _hex,
    "/AHx": _hex,
    "/ASCII85Decode": _a85,
    "/A85": _a85,
    "/RunLengthDecode": _run_length,
    "/RL": _run_length,
}
_EXPANDING = frozenset({"/LZWDecode", "/LZW"})
#: The most a byte decodes to: deflate's longest match (258 bytes) in two bits; a run-length pair
#: (128 bytes from 2); ASCII85's ``z`` (four zeros); ASCIIHex (two digits a byte; +1 for an odd digit).
_RATIOS = {_inflate: 1032, _run_length: 64, _a85: 4, _hex: 1}
