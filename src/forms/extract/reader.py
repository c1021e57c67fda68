"""Reading one PDF into a 様式1 extraction: fillable, then printed, then scanned.

1. **fillable**: the AcroForm (qpdf) holds enough of our field names and at least one value.
2. **printed**: the text layer (PDFium) decodes and at least ``labels.MIN_LABELS`` labels are found;
   ticks the text does not show are read from the ink (``printed``, ``marks``).
3. **scanned**: no usable text (image-only pages, or a text layer that does not decode) → OCR.

A text layer that decodes but carries no labels is not a 様式1 (FORM_NOT_FOUND, never OCR'd).
Every library exception is translated here or in :mod:`forms.extract.pdf`; ``read_pdf`` never
raises for bad input.
"""

from __future__ import annotations

from collections.abc import Mapping

import pikepdf
import pypdfium2 as pdfium

from forms import model, spec
from forms.errors import Code
from forms.extract import acroform, pdf, printed, scan, streams, textlayer

NOT_YOUSHIKI1 = "not_youshiki1"
#: What the libraries raise on damaged input once a document is open (translated to "corrupt").
_LIBRARY_ERRORS = (
    pikepdf.PdfError,
    pdfium.PdfiumError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    RuntimeError,
    OSError,
)


def read_pdf(
    data: bytes,
    *,
    max_pages: int = 50,
    ocr: scan.OcrEngine | None = None,
    inflate_budget: int = streams.DEFAULT_BUDGET_MB << 20,
) -> model.ExtractResult:
    """The 様式1 in ``data``, or the Problem that says why there is none. ``inflate_budget``: the
    bytes its streams may inflate to before PDFium opens it (``streams.check``)."""
    opened = pdf.open_pdf(data, max_pages=max_pages)
    if isinstance(opened, model.Problem):
        return opened
    try:
        return _read(data, opened, ocr, inflate_budget)
    except _LIBRARY_ERRORS:
        return pdf.unreadable(pdf.CORRUPT)
    finally:
        pdf.close_soon(opened.close)


def _read(
    data: bytes, opened: pdf.OpenedPdf, ocr: scan.OcrEngine | None, inflate_budget: int
) -> model.ExtractResult:
    form = spec.load_spec()
    fields = acroform.read_fields(opened.pdf, form)
    if opened.repaired and fields.found and not fields.is_complete(form):
        return pdf.unreadable(pdf.CORRUPT)  # a damaged fillable: what is left cannot be trusted
    if fields.is_youshiki1 and fields.has_values:
        return model.Extraction(
            shape=model.Shape.FILLABLE,
            values=_raw(fields.values),
            pages=opened.pages,
            labels_found=fields.found,
            notes=("acroform",),
        )
    doc = pdf.open_pdfium(data, opened, inflate_budget=inflate_budget)
    if isinstance(doc, model.Problem):
        return doc
    pages = pdf.Pages(doc)
    try:
        return _read_pages(pages, opened, fields.is_youshiki1, ocr)
    finally:
        pdf.close_soon(pages.close)
        pdf.close_soon(doc.close)


def _read_pages(
    pages: pdf.Pages, opened: pdf.OpenedPdf, blank_form: bool, ocr: scan.OcrEngine | None
) -> model.ExtractResult:
    layer = textlayer.read_text_layer(pages)
    if layer.decodable:
        form = spec.load_spec()
        reading = printed.read_printed(layer, form)
        if reading is not None:
            return model.Extraction(
                shape=model.Shape.PRINTED,
                values=printed.values_of(pages, layer, reading, form),
                pages=opened.pages,
                labels_found=reading.labels_found,
                notes=("acroform blank: text layer",) if blank_form else ("text layer",),
            )
        if not _looks_scanned(layer):
            return model.problem(Code.FORM_NOT_FOUND, None, detail=NOT_YOUSHIKI1)
    if opened.repaired and not layer.has_text:
        return pdf.unreadable(pdf.CORRUPT)
    pages.close()  # the scan reader renders each page once, at its own scale
    return _read_scan(pages.doc, layer, ocr)


def _looks_scanned(layer: textlayer.TextLayer) -> bool:
    """Text that decodes but has no labels is OCR'd only when some pages are images without text
    (a typed cover sheet before a scanned form) or when none of it is Japanese (mis-mapped fonts)."""
    return layer.image_pages > 0 or layer.japanese_chars == 0


def _read_scan(
    doc: pdfium.PdfDocument, layer: textlayer.TextLayer, ocr: scan.OcrEngine | None
) -> model.ExtractResult:
    if ocr is None:
        return pdf.unreadable(pdf.OCR_UNAVAILABLE)
    result = scan.read_scanned(doc, ocr)
    if isinstance(result, model.Extraction) and layer.has_text and not layer.decodable:
        note = "text layer undecodable: OCR"
        return model.Extraction(
            result.shape, result.values, result.pages, result.labels_found, (*result.notes, note)
        )
    return result


def _raw(values: Mapping[str, str | bool]) -> dict[str, model.RawValue]:
    return {name: model.RawValue(value) for name, value in values.items()}
