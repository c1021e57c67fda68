"""The console's page images: drawn at the asked resolution, or lower when the page is huge."""

from __future__ import annotations

import io

import pikepdf
from PIL import Image

from forms.review.original import MAX_PAGE_PIXELS, render_page


def one_page(width: float, height: float) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(width, height))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def size(png: bytes | None) -> tuple[int, int]:
    assert png is not None
    with Image.open(io.BytesIO(png)) as image:
        return image.size


def test_an_a4_page_is_drawn_at_the_asked_resolution() -> None:
    assert size(render_page(one_page(595, 842), 1, dpi=110)) == (910, 1287)  # 595 × 110 / 72, rounded up


def test_a_page_box_of_200_inches_is_drawn_within_the_pixel_cap() -> None:
    """14,400 pt square at 110 dpi would be 22,000 px square (1.9 GB to draw)."""
    width, height = size(render_page(one_page(14_400, 14_400), 1, dpi=110))
    assert width * height <= MAX_PAGE_PIXELS and width >= 2_900
