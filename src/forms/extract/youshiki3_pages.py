"""The page images of a returned 様式3 on paper, whatever carries them, read by ``youshiki3_scan``.

| carrier | its pages |
|---|---|
| a PDF of page images (a scan, a fax gateway's PDF of CCITT pages) | rendered at 200 dpi |
| TIFF (a fax gateway, a scanner) | checked (``tiff``), decoded, at square 200-dpi pixels (``images``) |
| JPEG, PNG, or the pictures of one mail | the page found, flattened, its lighting evened out (``photo``) |

The same guards as a 様式1's: page count and pixel count before anything is decoded, PDF streams
measured before they are inflated. A standard-resolution fax (98 lines per inch) has lost strokes for
good, so its two readings are no evidence (``fax``): its written values are certain only by what the
form says of them, and a 実行済 answer goes to a clerk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import cv2

from forms import model
from forms.errors import Code
from forms.extract import document, fax, images, pdf, photo, scan, streams, tiff, youshiki3_scan
from forms.extract.carrier import Carrier, sniff, unpack_pages
from forms.extract.ocr_engine import OcrEngine
from forms.extract.youshiki3 import ReadResult

MAX_PAGES = 10


def read_paper(
    data: bytes, *, agencies: Mapping[str, Sequence[str]], inflate_budget: int | None, ocr: OcrEngine | None
) -> ReadResult:
    """The answers on a 様式3's page images, or why a clerk must read them; never raises for bad input."""
    carrier = sniff(data)
    if ocr is None:
        return (pdf.unreadable(pdf.OCR_UNAVAILABLE),)
    try:
        if carrier is Carrier.PDF:
            return _pdf(data, agencies, inflate_budget, ocr)
        if carrier is Carrier.TIFF:
            return _tiff(data, agencies, ocr)
        if carrier in (Carrier.JPEG, Carrier.PNG, Carrier.PAGES):
            return _pictures(data, agencies, ocr)
    except images.ImageTooLarge:
        return (pdf.unreadable(streams.IMAGE_TOO_LARGE),)
    except (images.ImageError, cv2.error):
        return (pdf.unreadable(pdf.CORRUPT),)
    return (model.problem(Code.FORM_NOT_FOUND, None, form="youshiki3"),)


def _pdf(data: bytes, agencies: Mapping[str, Sequence[str]], inflate_budget: int | None,
         ocr: OcrEngine) -> ReadResult:  # fmt: skip
    opened = pdf.open_pdf(data, max_pages=MAX_PAGES)
    if isinstance(opened, model.Problem):
        return (opened,)
    try:
        budget = streams.DEFAULT_BUDGET_MB << 20 if inflate_budget is None else inflate_budget
        doc = pdf.open_pdfium(data, opened, inflate_budget=budget)
        if isinstance(doc, model.Problem):
            return (doc,)
        try:
            pages = (scan.rasterise(doc[i], images.DPI) for i in range(len(doc)))
            lines = document.fax_lines(data)
            return youshiki3_scan.read_page_images(
                pages,
                ocr,
                dpi=images.DPI,
                agencies=agencies,
                two_readings=lines is None or lines >= fax.FINE_LINES,
            )
        except scan.PageTooLarge:
            return (model.problem(Code.FORM_UNREADABLE, None, detail="page_too_large"),)
        finally:
            doc.close()
    finally:
        opened.close()


def _tiff(data: bytes, agencies: Mapping[str, Sequence[str]], ocr: OcrEngine) -> ReadResult:
    pages = tiff.tiff_pages(data, max_pages=MAX_PAGES, max_pixels=streams.MAX_IMAGE_PIXELS)
    if isinstance(pages, model.Problem):
        return (pages,)
    standard = any(p.is_fax for p in pages) and min(fax.lines_per_inch(p) for p in pages) < fax.FINE_LINES
    page_images = images.tiff_page_images(data, [p.dpi for p in pages], MAX_PAGES)
    return youshiki3_scan.read_page_images(
        page_images, ocr, dpi=images.DPI, agencies=agencies, two_readings=not standard
    )


def _pictures(data: bytes, agencies: Mapping[str, Sequence[str]], ocr: OcrEngine) -> ReadResult:
    files = [d for _, d in unpack_pages(data) or []] if sniff(data) is Carrier.PAGES else [data]
    if not files or len(files) > MAX_PAGES:
        return (pdf.unreadable("too_many_pages" if files else pdf.CORRUPT),)
    sizes = [images.opened(d).size for d in files]
    if any(w * h > streams.MAX_IMAGE_PIXELS for w, h in sizes):
        return (pdf.unreadable(streams.IMAGE_TOO_LARGE),)
    pages = [d for d, (w, h) in zip(files, sizes, strict=True) if w * h >= photo.MIN_PAGE_PIXELS]
    if not pages:
        return (model.problem(Code.FORM_NOT_FOUND, None, form="youshiki3"),)
    flat = (photo.flatten_page(images.gray(images.opened(d))) for d in pages)
    return youshiki3_scan.read_page_images(flat, ocr, dpi=images.DPI, agencies=agencies)
