"""Reading one document of an intake, whatever carries it: the readers' single entry.

The carrier is told by the bytes (``carrier.sniff``), never by a file name or a Content-Type:

| carrier | reader |
|---|---|
| PDF | ``reader.read_pdf``: fillable, printed, scanned (a scan whose pages are 1-bit CCITT images, as
fax-to-mail gateways make them, is a fax) |
| TIFF | ``fax.read_tiff``: fax pages (G3/G4, non-square fax resolutions) or scanner pages |
| JPEG, PNG (one, or the pages of one form as several: ``carrier.pack_pages``) | ``photo.read_photos`` |
| ZIP | ``office.read_office``: .docx and .xlsx; zip bombs and macros refused unread |
| OLE | ``legacy.read_legacy``: a .doc/.xls converted by LibreOffice, read as .docx/.xlsx; encrypted files,
macros and other OLE files refused |

Runs in a reader process (``forms.extract.reader_process``) with its time and memory limits; never
raises for bad input.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator

import pikepdf

from forms import model
from forms.errors import Code
from forms.extract import fax, legacy, office, photo, reader, streams
from forms.extract.carrier import Carrier, sniff, unpack_pages
from forms.extract.scan import OcrEngine
from forms.extract.soffice import Converter
from forms.model import Shape

LEGACY_OFFICE = legacy.LEGACY_OFFICE
PAGES_LOOKED_AT = 10
_FAX_FILTERS = frozenset({"/CCITTFaxDecode", "/JBIG2Decode"})


def read_document(
    data: bytes,
    *,
    max_pages: int = 50,
    ocr: OcrEngine | None = None,
    inflate_budget: int = streams.DEFAULT_BUDGET_MB << 20,
    converter: Converter | None = None,
) -> model.ExtractResult:
    """The 様式1 in ``data``, or the Problem that says why there is none (``inflate_budget``: what a
    PDF's streams may inflate to, ``streams.check``; ``converter``: LibreOffice for .doc/.xls, None
    refuses them)."""
    carrier = sniff(data)
    if carrier is Carrier.PDF:
        result = reader.read_pdf(data, max_pages=max_pages, ocr=ocr, inflate_budget=inflate_budget)
        scanned = isinstance(result, model.Extraction) and result.shape is Shape.SCANNED
        lines = fax_lines(data) if scanned else None
        if lines is None:
            return result
        faxed = dataclasses.replace(result, shape=Shape.FAX)
        return fax.at_standard_resolution(faxed) if lines < fax.FINE_LINES else faxed
    if carrier is Carrier.TIFF:
        return fax.read_tiff(data, max_pages=max_pages, ocr=ocr)
    if carrier in (Carrier.JPEG, Carrier.PNG):
        return photo.read_photos([data], ocr=ocr)
    if carrier is Carrier.PAGES:
        pages = unpack_pages(data) or []
        if not pages or len(pages) > max_pages:
            return model.problem(Code.FORM_UNREADABLE, None, detail="too_many_pages" if pages else "corrupt")
        return photo.read_photos([page for _, page in pages], ocr=ocr)
    if carrier is Carrier.ZIP:
        return office.read_office(data)
    if carrier is Carrier.OLE:
        return legacy.read_legacy(data, converter)
    return model.problem(Code.FORM_NOT_FOUND, None, detail="not_a_document")


def fax_lines(data: bytes) -> float | None:
    """The fewest lines per inch of the PDF's page images when they are all fax pages (1-bit, CCITT or
    JBIG2 coded, each filling its page), else None."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            images = list(_images(pdf))
            if not images or not all(_is_fax_image(image) for _, image in images):
                return None
            return min(int(image.get("/Height", 0)) / max(height / 72, 0.01) for height, image in images)
    except (pikepdf.PdfError, ValueError, TypeError):
        return None


def _images(pdf: pikepdf.Pdf) -> Iterator[tuple[float, pikepdf.Stream]]:
    """(page height in points, image) for every image of the first pages."""
    for page in list(pdf.pages)[:PAGES_LOOKED_AT]:
        resources = page.obj.get("/Resources")
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        box = [float(v) for v in page.mediabox]
        if isinstance(xobjects, pikepdf.Dictionary):
            for _, image in xobjects.items():
                if isinstance(image, pikepdf.Stream) and image.get("/Subtype") == pikepdf.Name.Image:
                    yield abs(box[3] - box[1]), image


def _is_fax_image(image: pikepdf.Stream) -> bool:  # 1-bit, CCITT or JBIG2
    filters = image.get("/Filter")
    names = {str(f) for f in filters} if isinstance(filters, pikepdf.Array) else {str(filters)}
    return bool(names & _FAX_FILTERS) or int(image.get("/BitsPerComponent", 8)) == 1
