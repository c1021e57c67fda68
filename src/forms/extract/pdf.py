"""Opening a PDF safely: the guards every reader passes before it looks at a page.

qpdf (pikepdf) opens the file first: it is cheap (lazy, ~0.3 ms), tells encrypted from corrupt,
reports whether it had to repair the file, and counts pages without touching their content.
PDFium (pypdfium2) opens the same bytes only when a text layer or the page images are needed, and
only once every stream has been measured (:mod:`forms.extract.streams`): nothing PDFium inflates
can pass the inflate budget.

Library exceptions are translated here into ``FORM_UNREADABLE`` problems; nothing above this
module sees a pikepdf or pypdfium2 exception type.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf
import pypdfium2 as pdfium

from forms import model
from forms.errors import Code
from forms.extract import streams

#: ``FORM_UNREADABLE`` details (stable: they are shown to clerks and counted in logs).
CORRUPT = "corrupt"
ENCRYPTED = "encrypted"
TOO_MANY_PAGES = "too_many_pages"
OCR_UNAVAILABLE = "ocr_unavailable"
NO_PAGES = "no_pages"


def unreadable(detail: str) -> model.Problem:
    return model.problem(Code.FORM_UNREADABLE, None, detail=detail)


@dataclass(frozen=True)
class OpenedPdf:
    """A PDF that passed the guards. ``repaired``: qpdf had to rebuild a damaged file."""

    pdf: pikepdf.Pdf
    pages: int
    repaired: bool

    def close(self) -> None:
        self.pdf.close()


def open_pdf(data: bytes, *, max_pages: int) -> OpenedPdf | model.Problem:
    """Open ``data`` with qpdf; encrypted, corrupt, empty or too long documents are problems.

    A PDF encrypted with an empty user password opens and is read normally. The page count is
    checked before any per-page work.
    """
    if b"%PDF-" not in data[:1024]:
        return unreadable(CORRUPT)
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        return unreadable(ENCRYPTED)
    except (pikepdf.PdfError, ValueError, RuntimeError, OSError):
        return unreadable(CORRUPT)
    try:
        pages = len(pdf.pages)
        repaired = bool(pdf.get_warnings())
    except (pikepdf.PdfError, ValueError, RuntimeError):
        pdf.close()
        return unreadable(CORRUPT)
    guard = _page_guard(pages, max_pages)
    if guard is not None:
        pdf.close()
        return guard
    return OpenedPdf(pdf=pdf, pages=pages, repaired=repaired)


def _page_guard(pages: int, max_pages: int) -> model.Problem | None:
    if pages == 0:
        return unreadable(NO_PAGES)
    if pages > max_pages:
        return unreadable(TOO_MANY_PAGES)
    return None


def open_pdfium(
    data: bytes, opened: OpenedPdf, *, inflate_budget: int = streams.DEFAULT_BUDGET_MB << 20
) -> pdfium.PdfDocument | model.Problem:
    """The same bytes opened with PDFium (empty user password tried, as qpdf does), once their
    streams passed :func:`streams.check` (``inflate_budget`` bytes)."""
    refused = streams.check(opened.pdf, budget=inflate_budget)
    if refused is not None:
        return refused
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        return unreadable(ENCRYPTED if "password" in str(exc).lower() else CORRUPT)
    except (ValueError, OSError):
        return unreadable(CORRUPT)
