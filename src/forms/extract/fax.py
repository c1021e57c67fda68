"""A fax (or a scanner's TIFF): its pages read by the scan reader.

Fax-to-mail gateways deliver the pages as one multi-page TIFF — 1-bit, CCITT Group 3 or 4, 204 × 98
("standard") or 204 × 196 dpi ("fine") — often with the sender's cover sheet (送付状) in front. The
directory is checked first (``tiff``: page count, page sizes), the pages decoded and brought to
square 200-dpi pixels (``images``), then handed to the scan reader, which registers each page image
against the official blank form: the cover sheet and any other page that is not the form are
skipped, the 様式1's two pages found wherever they are among the first ten.

The shape is ``fax`` when the pages are fax pages (1-bit CCITT, or a fax resolution), else ``scanned``.

A standard-resolution fax (98 lines per inch) has lost strokes for good: horizontal strokes thinner
than a line, and the voicing marks of kana (゛ ゜). A second reading of the same pixels, however
prepared, agrees with the first on the same wrong character, so two readings of a field written in
words are not evidence there (``at_standard_resolution``: TWO_READINGS becomes LOW_RESOLUTION). Measured
by ``bench/fax_evidence.py`` over 145 standard faxes of the corpus (58 cases, three seeds each): the two
readings agreed on a wrong value for 21 of 145 company names (サンブル for サンプル: 45 of 224 プ read ブ,
14 of 98 ブ read プ), 43 フリガナ, 16 addresses (束 for 東, 人 for 大, 出 for 田), 5 業種, 25 and 23 of the
two e-mail addresses (c for e, a letter or the @ lost), 2 bank telephone numbers (a dash lost), and never
for a value of digits — postal code, 法人番号, amounts, counts, dates: 0 of 870. Those keep their two
readings (``LEGIBLE_TYPES``); every other field is certain only by what the form and the domain say (the
postal code against the address, a person's name in an e-mail address …), else a clerk reads it.
"""

from __future__ import annotations

import dataclasses

import cv2

from forms import model
from forms.extract import images, scan, tiff
from forms.extract.ocr_engine import OcrEngine
from forms.extract.pdf import OCR_UNAVAILABLE, unreadable
from forms.extract.streams import MAX_IMAGE_PIXELS
from forms.spec import FieldSpec, load_spec

#: Only so many pages are looked at for the form's two (a cover sheet and other papers first).
PAGES_LOOKED_AT = 10
#: Lines per inch under which a fax page is "standard" (98); "fine" is 196.
FINE_LINES = 150.0
#: Field types written in digits (and the few signs and kanji of amounts and dates) whose two readings
#: stay evidence on a standard fax: the second reading knows only the type's alphabet (see the module).
LEGIBLE_TYPES = frozenset({"postal_code", "corporate_number", "yen", "integer", "date"})


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
    return images.with_unread_pages(at_standard_resolution(result) if standard else result)


def lines_per_inch(page: tiff.TiffPage) -> float:
    return page.dpi[1] if page.dpi else images.assumed_dpi((page.height, page.width))[1]


def at_standard_resolution(result: model.ExtractResult) -> model.ExtractResult:
    """A standard-resolution fax's reading: the fields not written in digits lose their TWO_READINGS
    evidence, and every value read among them is marked LOW_RESOLUTION (see the module)."""
    if not isinstance(result, model.Extraction):
        return result
    fields = load_spec().fields
    values = {key: _at_standard_resolution(raw, fields.get(key)) for key, raw in result.values.items()}
    note = "standard-resolution fax: two readings counted only for values of digits"
    return dataclasses.replace(result, values=values, notes=(*result.notes, note))


def _at_standard_resolution(raw: model.RawValue, field: FieldSpec | None) -> model.RawValue:
    E = model.Evidence
    if isinstance(raw.value, bool) or (field is not None and field.type in LEGIBLE_TYPES):
        return raw
    if not str(raw.value).strip():
        return raw
    kept = tuple(e for e in raw.evidence if e is not E.TWO_READINGS)
    return dataclasses.replace(raw, evidence=(*kept, E.LOW_RESOLUTION))
