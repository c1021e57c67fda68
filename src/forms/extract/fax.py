"""A fax (or a scanner's TIFF): its pages read by the scan reader.

Fax-to-mail gateways deliver the pages as one multi-page TIFF — 1-bit, CCITT Group 3 or 4, 204 × 98
("standard") or 204 × 196 dpi ("fine") — often with the sender's cover sheet (送付状) in front. The
directory is checked first (``tiff``: page count, page sizes), the pages decoded and brought to
square 200-dpi pixels (``images``), then handed to the scan reader, which registers each page image
against the official blank form: the cover sheet and any other page that is not the form are
skipped, the 様式1's two pages found wherever they are among the first ten.

The shape is ``fax`` when the pages are fax pages (1-bit CCITT, or a fax resolution), else ``scanned``.

A standard-resolution fax (98 lines per inch) has lost strokes of small kanji for good: a second
reading of the same pixels, however prepared, agrees with the first on the same wrong character
(菓 read 菜, プ read ブ). Two readings of such a page are not independent evidence, so they are not
counted (``without_two_readings``): its fields are certain only by what the form and the domain say
(a check digit, the postal code against the address …), else a clerk reads them.
"""

from __future__ import annotations

import dataclasses

import cv2

from forms import model
from forms.extract import images, scan, tiff
from forms.extract.ocr_engine import OcrEngine
from forms.extract.pdf import OCR_UNAVAILABLE, unreadable
from forms.extract.streams import MAX_IMAGE_PIXELS

#: Only so many pages are looked at for the form's two (a cover sheet and other papers first).
PAGES_LOOKED_AT = 10
#: Lines per inch under which a fax page is "standard" (98); "fine" is 196.
FINE_LINES = 150.0


def read_tiff(data: bytes, *, max_pages: int, ocr: OcrEngine | None) -> model.ExtractResult:
    """The 様式1 in a TIFF, or the Problem that says why there is none; never raises for bad input."""
    pages = tiff.tiff_pages(data, max_pages=max_pages, max_pixels=MAX_IMAGE_PIXELS)
    if isinstance(pages, model.Problem):
        return pages
    if ocr is None:
        return unreadable(OCR_UNAVAILABLE)
    shape = model.Shape.FAX if any(p.is_fax for p in pages) else model.Shape.SCANNED
    try:
        page_images = list(images.tiff_page_images(data, [p.dpi for p in pages], PAGES_LOOKED_AT))
    except (images.ImageError, cv2.error):
        return unreadable("corrupt")
    result = scan.read_page_images(page_images, ocr, dpi=images.DPI, page_count=len(pages), shape=shape)
    standard = shape is model.Shape.FAX and min(lines_per_inch(p) for p in pages) < FINE_LINES
    return images.with_unread_pages(without_two_readings(result) if standard else result)


def lines_per_inch(page: tiff.TiffPage) -> float:
    return page.dpi[1] if page.dpi else images.assumed_dpi((page.height, page.width))[1]


def without_two_readings(result: model.ExtractResult) -> model.ExtractResult:
    """A standard-resolution fax's reading: its fields' TWO_READINGS evidence dropped (see the module)."""
    if not isinstance(result, model.Extraction):
        return result
    two = model.Evidence.TWO_READINGS
    values = {
        key: dataclasses.replace(raw, evidence=tuple(e for e in raw.evidence if e is not two))
        for key, raw in result.values.items()
    }
    note = "standard-resolution fax: two readings not counted"
    return dataclasses.replace(result, values=values, notes=(*result.notes, note))
