"""Reading one document of an intake, whatever carries it: the readers' single entry.

The carrier is told by the bytes (``carrier.sniff``), never by a file name or a Content-Type:

| carrier | reader |
|---|---|
| PDF | ``reader.read_pdf``: fillable, printed, scanned (a PDF of fax pages is a fax) |
| TIFF | ``fax.read_tiff``: fax pages (G3/G4, non-square fax resolutions) or scanner pages |
| JPEG, PNG | ``photo.read_photo``: the page found in the picture, straightened and evened out |
| ZIP | ``office.read_office``: .docx and .xlsx; zip bombs and macros refused unread |
| OLE | refused: a legacy .doc/.xls or a password-protected Office file |

Runs in a reader process (``forms.extract.reader_process``) with its time and memory limits; never
raises for bad input.
"""

from __future__ import annotations

from forms import model
from forms.errors import Code
from forms.extract import office, reader, streams
from forms.extract.carrier import Carrier, sniff
from forms.extract.scan import OcrEngine

LEGACY_OFFICE = "legacy_office"


def read_document(
    data: bytes,
    *,
    max_pages: int = 50,
    ocr: OcrEngine | None = None,
    inflate_budget: int = streams.DEFAULT_BUDGET_MB << 20,
) -> model.ExtractResult:
    """The 様式1 in ``data``, or the Problem that says why there is none (``inflate_budget``: what a
    PDF's streams may inflate to, ``streams.check``)."""
    carrier = sniff(data)
    if carrier is Carrier.PDF:
        return reader.read_pdf(data, max_pages=max_pages, ocr=ocr, inflate_budget=inflate_budget)
    if carrier is Carrier.ZIP:
        return office.read_office(data)
    if carrier is Carrier.OLE:
        return model.problem(Code.FORM_UNREADABLE, None, detail=LEGACY_OFFICE)
    return model.problem(Code.FORM_NOT_FOUND, None, detail="not_a_document")
