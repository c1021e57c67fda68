"""The original of an intake as it was received (never changed): the mail, the 様式1 document in it
(PDF, image or Office file), and its pages as images for the clerk (pypdfium2).

Rendering happens in this process: the PDF is one the reader processes already read without
failing (its streams measured, ``extract.streams``), the size and page limits of the settings are
applied again before it is opened, and a page is drawn at most MAX_PAGE_PIXELS (a larger one at a
lower resolution), whatever size its page box says.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
from PIL import Image

from forms.extract.images import DPI
from forms.extract.page_images import page_image
from forms.intake.mime import parse_mail
from forms.model import Mail
from forms.pipeline import documents_of, looks_like_document, looks_like_pdf

#: Largest page image drawn for the console (pixels; 4 bytes each while drawing): A4 at 300 dpi.
MAX_PAGE_PIXELS = 9_000_000


@dataclass(frozen=True)
class Original:
    """What was received: ``mail`` (None for a PDF given directly) and the 様式1's name and bytes
    (None when no 様式1 was found in it)."""

    mail: Mail | None
    form_name: str | None
    form_bytes: bytes | None

    @property
    def pdf(self) -> tuple[str, bytes] | None:
        """The form as route() attaches it."""
        return None if self.form_bytes is None else (self.form_name or "youshiki1.pdf", self.form_bytes)


def original(
    data: bytes, *, form_sha256: str | None, decision: Mapping[str, Any] | None, max_part_bytes: int
) -> Original:
    """The mail and its 様式1 from the stored bytes: the attachment whose SHA-256 the worker recorded,
    else the one the decision names."""
    if looks_like_document(data):
        return Original(None, None, data if form_sha256 is not None else None)
    mail = parse_mail(data, max_part_bytes=max_part_bytes)
    documents = documents_of(mail.attachments)
    named = (decision or {}).get("attachment")
    chosen = next((a for a in documents if hashlib.sha256(a.data).hexdigest() == form_sha256), None)
    chosen = chosen or next((a for a in documents if named and a.filename == named), None)
    if chosen is None:
        return Original(mail, None, None)
    return Original(mail, chosen.filename, chosen.data)


def render_page(pdf: bytes, page: int, *, dpi: int = 110, max_pages: int = 50) -> bytes | None:
    """Page ``page`` (1-based) of the 様式1 (a PDF, a fax, pictures) as PNG, at ``dpi`` or less
    (MAX_PAGE_PIXELS); None when there is no such page or it cannot be drawn (a .docx or .xlsx has no
    page images)."""
    if page < 1 or not 20 <= dpi <= 300:
        return None
    if not looks_like_pdf(pdf):
        return _picture_png(pdf, page, dpi, max_pages)
    try:
        doc = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError:
        return None
    try:
        if page > min(len(doc), max_pages):
            return None
        drawn = doc[page - 1]
        width, height = drawn.get_size()
        scale = min(dpi / 72, math.sqrt(MAX_PAGE_PIXELS / max(width * height, 1.0)))
        image = drawn.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=False)
        return out.getvalue()
    except (pdfium.PdfiumError, OSError, ValueError):
        return None
    finally:
        doc.close()


def _picture_png(data: bytes, page: int, dpi: int, max_pages: int) -> bytes | None:
    """A page of a fax or of a form's pictures as the reader saw it (at 200 dpi), scaled to ``dpi``."""
    image = page_image(data, page - 1, max_pages=max_pages)
    if image is None:
        return None
    height, width = image.shape
    scale = min(dpi / DPI, math.sqrt(MAX_PAGE_PIXELS / max(width * height, 1)))
    scaled = Image.fromarray(image).resize(
        (max(1, round(width * scale)), max(1, round(height * scale))), Image.LANCZOS
    )
    out = io.BytesIO()
    scaled.save(out, format="PNG", optimize=False)
    return out.getvalue()
