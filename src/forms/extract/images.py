"""Page images out of image files (Pillow), for the scan reader: grayscale, square pixels, 200 dpi.

Every size is checked before a pixel is decoded (``MAX_IMAGE_PIXELS``, as for a PDF's images), and
Pillow's own decompression-bomb check is made an error at the same limit. Pillow's exceptions are
translated here (``ImageError``); nothing above sees a Pillow type.

Fax pages are not square: 204 × 98 dpi ("standard") or 204 × 196 dpi ("fine"). Each page is resampled
to ``DPI`` on both axes before OCR — the form's geometry is in points, read at one scale — and a
1-bit page, enlarged, is smoothed so that the recogniser sees strokes rather than stair steps.
"""

from __future__ import annotations

import dataclasses
import io
import warnings
from collections.abc import Iterator

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from forms import model
from forms.extract import geometry
from forms.extract.streams import MAX_IMAGE_PIXELS

#: The resolution the scan reader reads page images at.
DPI = 200
#: The longest side of a page image handed on (an A3 page at 200 dpi is 3,307 pixels).
MAX_SIDE = 4200
#: Fax widths at 8 dots per mm (A4 1728, B4 2048, A3 2432): a TIFF this wide without resolution tags is a fax.
FAX_WIDTHS = (1728, 2048, 2432)


class ImageError(ValueError):
    """An image file that cannot be decoded (damaged, truncated, or not what its header says)."""


class ImageTooLarge(ImageError):
    """An image whose header declares more than MAX_IMAGE_PIXELS (a decompression bomb)."""


#: What Pillow and its codecs raise on a damaged file.
_FAULTS = (OSError, SyntaxError, ValueError, EOFError, UnidentifiedImageError)
_BOMBS = (Image.DecompressionBombError, Image.DecompressionBombWarning)


def opened(data: bytes) -> Image.Image:
    """The image opened lazily (only its header read); ImageError when Pillow cannot."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except _BOMBS as exc:
        raise ImageTooLarge(str(exc)) from exc
    except _FAULTS as exc:
        raise ImageError(f"{type(exc).__name__}: {exc}") from exc


def gray(image: Image.Image) -> np.ndarray:
    """The decoded image as grayscale uint8 (EXIF orientation applied)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upright = ImageOps.exif_transpose(image) or image
            return np.asarray(upright.convert("L"))
    except _BOMBS as exc:
        raise ImageTooLarge(str(exc)) from exc
    except _FAULTS as exc:
        raise ImageError(f"{type(exc).__name__}: {exc}") from exc


def tiff_page_images(data: bytes, dpis: list[tuple[float, float] | None], limit: int) -> Iterator[np.ndarray]:
    """The first ``limit`` pages of a TIFF, each resampled to ``DPI`` × ``DPI``."""
    image = opened(data)
    for index, dpi in enumerate(dpis[:limit]):
        try:
            image.seek(index)
        except _FAULTS as exc:
            raise ImageError(f"page {index + 1}: {exc}") from exc
        page = gray(image)
        yield at_dpi(page, dpi or assumed_dpi(page.shape), binary=image.mode == "1")


def assumed_dpi(shape: tuple[int, ...]) -> tuple[float, float]:
    """A page without resolution tags: a fax by its width (standard or fine by its height), else DPI."""
    height, width = shape[0], shape[1]
    if width in FAX_WIDTHS:
        return 204.0, 98.0 if height < width else 196.0  # A4: 1,143 lines standard, 2,287 fine
    return float(DPI), float(DPI)


def at_dpi(page: np.ndarray, dpi: tuple[float, float], *, binary: bool) -> np.ndarray:
    """``page`` resampled from ``dpi`` (x, y) to ``DPI`` on both axes, its longest side at most MAX_SIDE."""
    height, width = page.shape
    fx, fy = DPI / dpi[0], DPI / dpi[1]
    fit = min(1.0, MAX_SIDE / max(width * fx, height * fy))
    fx, fy = fx * fit, fy * fit
    if abs(fx - 1) < 0.01 and abs(fy - 1) < 0.01:
        return np.ascontiguousarray(page)
    how = cv2.INTER_LINEAR if fx * fy > 1.0 else cv2.INTER_AREA
    out = cv2.resize(page, None, fx=fx, fy=fy, interpolation=how)
    if binary and max(fx, fy) > 1.3:
        out = cv2.GaussianBlur(out, (3, 3), 0.8)  # stair steps of a 1-bit page enlarged
    return np.ascontiguousarray(out)


def with_unread_pages(result: model.ExtractResult) -> model.ExtractResult:
    """A reading in which a page of the form was not found among the pictures: that page's fields are
    unread (empty, no confidence), so that the intake goes to a clerk — not rejected for blanks the bank
    filled in on a page we could not find (a photo of it too dark, cut off, or not sent)."""
    if not isinstance(result, model.Extraction):
        return result
    form = geometry.load_geometry()
    widgets = [w for page in range(len(form.page_sizes)) for w in form.widgets_on(page)]
    missing = {
        w.name: model.RawValue(False if w.kind == "checkbox" else "", 0.0, (model.Evidence.UNREAD,))
        for w in widgets
        if w.name not in result.values
    }
    if not missing:
        return result
    note = f"{len(missing)} fields on a page not found: unread"
    return dataclasses.replace(result, values={**result.values, **missing}, notes=(*result.notes, note))
