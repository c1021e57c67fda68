"""Reading a scanned 様式1 (pages that are only images) with OCR.

For each page image: de-skew → register against the official blank form (``geometry``: printed
labels found by template matching, a robust similarity fit) → for every field of the page, the
widget's rectangle mapped into the image:

- a checkbox is decided by the ink inside the printed square (``scan_cells``), not by OCR;
- a text field's cell is cut into text lines by its ink and read twice, independently
  (``scan_text``), each value with the evidence its reading gives and the region it was read from.

Values are the text as read (no normalisation). A page none of whose labels are found is skipped
(a cover letter); a document with no 様式1 page is FORM_NOT_FOUND.

``read_page_images`` is the entry for any carrier of page images (a PDF's pages, a fax, a photo);
``read_scanned`` rasterises a PDF's pages into it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import MappingProxyType

import cv2
import numpy as np
import pypdfium2 as pdfium

from forms import model
from forms.errors import Code, OcrError
from forms.extract import geometry as geo
from forms.extract.ocr_engine import OcrEngine
from forms.extract.scan_cells import circled_choice, read_checkbox, text_cell
from forms.extract.scan_text import BLANK_CONFIDENCE, field_confidence, fix_lookalikes, read_text
from forms.spec import FormSpec, load_spec

E = model.Evidence

__all__ = ["BLANK_CONFIDENCE", "OcrEngine", "field_confidence", "fix_lookalikes", "rasterise",
           "read_page_images", "read_scanned"]  # fmt: skip

#: A page counts as a 様式1 page when at least this share of its printed labels is found.
PAGE_LABEL_SHARE = 0.5
MAX_PAGES = 10  # only the first pages are looked at for the form's two pages
#: Largest page image read (pixels): A3 at 200 dpi is 7.8 Mpx; a page drawn larger is refused
#: before PDFium allocates its bitmap (4 bytes a pixel).
MAX_RENDER_PIXELS = 40_000_000


@dataclass(frozen=True)
class _Page:
    image: np.ndarray  # de-skewed grayscale
    ink_below: float  # pixel values under this are ink
    registration: geo.Registration
    index: int  # which of the page images it is


def read_scanned(doc: pdfium.PdfDocument, engine: OcrEngine, *, dpi: int = 200) -> model.ExtractResult:
    """The 様式1 on the page images of ``doc``, every value with its evidence; never raises."""

    def pages() -> Iterator[np.ndarray]:
        for index in range(min(len(doc), MAX_PAGES)):
            yield rasterise(doc[index], dpi)

    return read_page_images(pages(), engine, dpi=dpi, page_count=len(doc))


def read_page_images(
    images: Iterable[np.ndarray],
    engine: OcrEngine,
    *,
    dpi: int,
    page_count: int | None = None,
    shape: model.Shape = model.Shape.SCANNED,
) -> model.ExtractResult:
    """The 様式1 on grayscale uint8 page images at ``dpi`` (the first MAX_PAGES are looked at; a lazy
    iterable stops being read once both pages of the form are found); never raises."""
    geometry = geo.load_geometry()
    try:
        pages, seen = _registered_pages(images, geometry, dpi)
    except PageTooLarge:
        return model.problem(Code.FORM_UNREADABLE, None, detail="page_too_large")
    except (pdfium.PdfiumError, cv2.error, ValueError) as exc:
        return model.problem(Code.FORM_UNREADABLE, None, detail="ocr_failed", error=str(exc)[:200])
    if not pages:
        return model.problem(Code.FORM_NOT_FOUND, None, detail="not_youshiki1")
    spec = load_spec()
    values: dict[str, model.RawValue] = {}
    try:
        for page in pages:
            values.update(_read_page(page, geometry, spec, engine, dpi))
    except (OcrError, cv2.error, ValueError) as exc:
        return model.problem(Code.FORM_UNREADABLE, None, detail="ocr_failed", error=str(exc)[:200])
    notes = tuple(
        f"scan page {p.registration.page + 1}: {p.registration.labels_found}/"
        f"{p.registration.labels_expected} labels"
        for p in pages
    )
    return model.Extraction(
        shape=shape,
        values=MappingProxyType(values),
        pages=page_count if page_count is not None else seen,
        labels_found=sum(p.registration.labels_found for p in pages),
        notes=notes,
    )


# ── pages ─────────────────────────────────────────────────────────────────────────────────────
class PageTooLarge(ValueError):
    """A page whose image at the reading resolution would pass MAX_RENDER_PIXELS."""


def rasterise(page: pdfium.PdfPage, dpi: int) -> np.ndarray:
    """A PDF page as a grayscale uint8 image at ``dpi`` (rendered in colour: pdfium's own grayscale
    path is three times slower); a page larger than MAX_RENDER_PIXELS raises PageTooLarge."""
    width, height = page.get_size()
    if width * height * (dpi / 72.0) ** 2 > MAX_RENDER_PIXELS:
        raise PageTooLarge(f"{width:.0f}×{height:.0f} pt")
    image = page.render(scale=dpi / 72.0).to_numpy()
    if image.ndim == 2:
        return np.ascontiguousarray(image)
    return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY)


def _registered_pages(
    images: Iterable[np.ndarray], geometry: geo.FormGeometry, dpi: int
) -> tuple[list[_Page], int]:
    """Each blank page found among the page images, at most once, in the order of the form; and how
    many images were looked at."""
    found: dict[int, _Page] = {}
    seen = 0
    for index, image in enumerate(images):
        seen += 1
        page = _match_page(image, index, geometry, dpi, taken=set(found))
        if page is not None:
            found[page.registration.page] = page
        if len(found) == len(geometry.page_sizes) or seen >= MAX_PAGES:
            break
    return [found[k] for k in sorted(found)], seen


def _match_page(
    image: np.ndarray, index: int, geometry: geo.FormGeometry, dpi: int, taken: set[int]
) -> _Page | None:
    """The page image registered on the blank page it shows (tried upright, then upside down)."""
    candidates = [p for p in range(len(geometry.page_sizes)) if p not in taken]
    candidates.sort(key=lambda p: p != min(index, len(geometry.page_sizes) - 1))
    for upright in (image, image[::-1, ::-1]):
        straight = geo.deskew(upright, geo.estimate_skew(upright))
        straight = np.ascontiguousarray(straight)
        for blank_page in candidates:
            reg = geo.register(straight, blank_page, geometry, dpi)
            if reg.labels_found >= max(3, PAGE_LABEL_SHARE * reg.labels_expected):
                return _Page(straight, _ink_level(straight), reg, index)
    return None


def _ink_level(image: np.ndarray) -> float:
    sample = image[::4, ::4]
    paper = float(np.percentile(sample, 90))
    ink = float(np.percentile(sample, 0.5))
    return (paper + ink) / 2


def _circled(
    page: _Page, geometry: geo.FormGeometry, field: str, dpi: int, *, struck: bool = False
) -> model.RawValue | None:
    """A choice answered by a ring round one of its printed words (the value cell left blank, or what
    was written there struck through)."""
    options = geometry.options_of(field)
    rects = [page.registration.map_rect(geometry.to_pixels(o.page, o.rect, dpi)) for o in options]
    h, w = page.image.shape
    blank = cv2.warpAffine(
        geo.blank_page_image(page.registration.page, dpi),
        page.registration.transform,
        (w, h),
        borderValue=255,
    )
    chosen = circled_choice(page.image, blank, page.ink_below, rects)
    if chosen is None:
        return None
    found = (E.CHOICE_CIRCLED, E.STRUCK_CORRECTED) if struck else (E.CHOICE_CIRCLED,)
    return model.RawValue(options[chosen].label, 0.99, found)


# ── fields ────────────────────────────────────────────────────────────────────────────────────
def _read_page(
    page: _Page, geometry: geo.FormGeometry, spec: FormSpec, engine: OcrEngine, dpi: int
) -> dict[str, model.RawValue]:
    values: dict[str, model.RawValue] = {}
    h, w = page.image.shape
    for widget in geometry.widgets_on(page.registration.page):
        rect = page.registration.map_rect(geometry.to_pixels(widget.page, widget.rect, dpi))
        if widget.kind == "checkbox":
            raw = read_checkbox(page.image, page.ink_below, rect)
        else:
            cell = text_cell(page.image, page.ink_below, rect, dpi)
            raw = read_text(cell, spec.fields.get(widget.name), engine)
            if not raw.value and {E.BLANK, E.STRUCK} & set(raw.evidence) and geometry.options_of(widget.name):
                raw = _circled(page, geometry, widget.name, dpi, struck=E.STRUCK in raw.evidence) or raw
        region = (page.index, rect[0] / w, rect[1] / h, rect[2] / w, rect[3] / h)
        values[widget.name] = model.RawValue(
            raw.value,
            raw.confidence,
            raw.evidence,
            raw.alternatives,
            tuple(round(v, 4) for v in region),  # type: ignore[arg-type]
        )
    return values
