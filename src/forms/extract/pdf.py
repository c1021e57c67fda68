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

import contextlib
import ctypes
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

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


#: What a reader process closes once its answer is written (``closed_after``); None: close at once.
_AFTER: list[Callable[[], object]] | None = None


def close_soon(close: Callable[[], object]) -> None:
    """``close()`` now, or within ``closed_after`` (a reader process) once the answer is written."""
    if _AFTER is None:
        close()
    else:
        _AFTER.append(close)


@contextlib.contextmanager
def closed_after() -> Iterator[list[Callable[[], object]]]:
    """Within the block, ``close_soon`` keeps what it is given, in order, in the list yielded for the
    caller to run once it has answered: a reader process writes its answer before it closes a printed
    様式1's pages, PDFium document and qpdf file (~0.2 ms), which it then does while the decider works
    on the answer. Nothing is held past the next request: the process closes them before reading it."""
    global _AFTER
    outer, _AFTER = _AFTER, []
    try:
        yield _AFTER
    finally:
        _AFTER = outer


def unreadable(detail: str) -> model.Problem:
    return model.problem(Code.FORM_UNREADABLE, None, detail=detail)


@dataclass(frozen=True)
class OpenedPdf:
    """A PDF that passed the guards. ``repaired``: qpdf had to rebuild a damaged file."""

    pdf: pikepdf.Pdf
    pages: int
    repaired: bool
    source: BinaryIO | None = None  # the file qpdf reads (closed with the PDF)

    def close(self) -> None:
        self.pdf.close()
        if self.source is not None:
            _release(self.source)


def open_pdf(data: bytes, *, max_pages: int) -> OpenedPdf | model.Problem:
    """Open ``data`` with qpdf; encrypted, corrupt, empty or too long documents are problems.

    A PDF encrypted with an empty user password opens and is read normally. The page count is
    checked before any per-page work.
    """
    if b"%PDF-" not in data[:1024]:
        return unreadable(CORRUPT)
    source, mode = _memory_file(data)
    opened = _guarded(source, mode, max_pages)
    if isinstance(opened, model.Problem):
        source.close()
    return opened


#: Memory files kept for the next PDF (a reader reads one PDF at a time; threads each take their own).
_SPARE: list[BinaryIO] = []
_SPARES = 2
#: A spare larger than this is emptied before it is kept (a big PDF's pages are given back).
_SPARE_BYTES = 4 << 20


def _memory_file(data: bytes) -> tuple[BinaryIO, pikepdf.AccessMode]:
    """``data`` as a file qpdf maps into memory (a Linux memfd): it reads a BytesIO through calls into
    Python, twice as slowly (~0.7 against ~0.35 ms for a fillable 様式1). The memfd of the PDF read
    before is written over (a new one costs ~60 µs more: the kernel allocates and clears its pages)."""
    try:
        source = _SPARE.pop()
    except IndexError:
        try:
            source = os.fdopen(os.memfd_create("pdf", os.MFD_CLOEXEC), "w+b")
        except (AttributeError, OSError):
            return io.BytesIO(data), pikepdf.AccessMode.default
    try:
        source.seek(0)
        source.write(data)
        source.truncate()
        source.seek(0)
    except OSError:
        source.close()
        return io.BytesIO(data), pikepdf.AccessMode.default
    return source, pikepdf.AccessMode.mmap


def _release(source: BinaryIO) -> None:
    """Keep a memfd qpdf no longer maps for the next PDF; close anything else."""
    if isinstance(source, io.BytesIO) or len(_SPARE) >= _SPARES:
        source.close()
        return
    try:
        if source.seek(0, io.SEEK_END) > _SPARE_BYTES:
            source.truncate(0)
    except OSError:
        source.close()
        return
    _SPARE.append(source)


def _guarded(source: BinaryIO, mode: pikepdf.AccessMode, max_pages: int) -> OpenedPdf | model.Problem:
    try:
        pdf = pikepdf.open(source, access_mode=mode)
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
    return OpenedPdf(pdf=pdf, pages=pages, repaired=repaired, source=source)


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
    refused = streams.check(opened.pdf, budget=inflate_budget, repaired=opened.repaired)
    if refused is not None:
        return refused
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        return unreadable(ENCRYPTED if "password" in str(exc).lower() else CORRUPT)
    except (ValueError, OSError):
        return unreadable(CORRUPT)


class Pages:
    """A PDFium document's pages, each loaded once: the first KEEP stay loaded for the next reader
    (the text layer, then the ink beside the checkboxes; loading a page parses its content again),
    with their text pages, until ``close``."""

    KEEP = 4

    def __init__(self, doc: pdfium.PdfDocument) -> None:
        self.doc = doc
        self._kept: dict[int, pdfium.PdfPage] = {}
        self._texts: dict[int, pdfium.PdfTextPage] = {}

    def __len__(self) -> int:
        return len(self.doc)

    @contextlib.contextmanager
    def page(self, index: int) -> Iterator[pdfium.PdfPage]:
        if index in self._kept:
            yield self._kept[index]
            return
        page = self.doc[index]
        if index < self.KEEP:
            self._kept[index] = page
            yield page
            return
        try:
            yield page
        finally:
            page.close()

    @contextlib.contextmanager
    def textpage(self, index: int) -> Iterator[pdfium.PdfTextPage]:
        """The page's text, kept with a kept page (the ink reader asks it which text object a char is in)."""
        if index in self._texts:
            yield self._texts[index]
            return
        with self.page(index) as page:
            textpage = page.get_textpage()
            if index in self._kept:
                self._texts[index] = textpage
                yield textpage
                return
            try:
                yield textpage
            finally:
                textpage.close()

    def kept_textpage(self, index: int) -> pdfium.PdfTextPage | None:
        return self._texts.get(index)

    def close(self) -> None:
        for textpage in self._texts.values():
            textpage.close()
        self._texts.clear()
        for page in self._kept.values():
            page.close()
        self._kept.clear()

    def __enter__(self) -> Pages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def by_address(function: object, restype: object, *argtypes: object) -> Callable[..., Any]:
    """PDFium's ``function`` (of ``pypdfium2.raw``) called with ``argtypes``, a handle typed
    ``ctypes.c_void_p``: passed and returned as a plain address. The bindings' typed pointers cost a
    conversion each way and an ``addressof`` to compare two (~0.1–0.4 µs a call; the text layer and the
    ink reader make a few hundred a page)."""
    entry = ctypes.cast(function, ctypes.c_void_p).value
    return cast(Callable[..., Any], ctypes.CFUNCTYPE(restype, *argtypes)(entry))


def address(handle: object) -> int | None:
    """A PDFium handle (``PdfTextPage.raw`` …) as the address ``by_address`` functions take."""
    return ctypes.cast(handle, ctypes.c_void_p).value
