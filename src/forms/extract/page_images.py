"""The page images of a fax or a set of pictures as the reader saw them, for the clerk's page view.

The same steps as the readers (``fax``, ``photo``): a TIFF's pages at square 200-dpi pixels, a
picture's page found, straightened and evened out — so that the regions the scan reader recorded for
each field (fractions of the page image they were read from) outline the right place. Every guard of
the readers applies again (page count, pixel count) before anything is decoded.
"""

from __future__ import annotations

import cv2
import numpy as np

from forms.extract import images, photo, tiff
from forms.extract.carrier import Carrier, sniff, unpack_pages
from forms.extract.streams import MAX_IMAGE_PIXELS


def page_image(data: bytes, index: int, *, max_pages: int) -> np.ndarray | None:
    """Page ``index`` (0-based) of a TIFF, a picture or the pictures of one form, as the reader saw it;
    None when there is no such page, the document is no image, or it cannot be drawn."""
    carrier = sniff(data)
    try:
        if carrier is Carrier.TIFF:
            pages = tiff.tiff_pages(data, max_pages=max_pages, max_pixels=MAX_IMAGE_PIXELS)
            if not isinstance(pages, list) or not 0 <= index < len(pages):
                return None
            return list(images.tiff_page_images(data, [p.dpi for p in pages], index + 1))[index]
        pictures = [d for _, d in unpack_pages(data) or []] if carrier is Carrier.PAGES else [data]
        if carrier not in (Carrier.JPEG, Carrier.PNG, Carrier.PAGES):
            return None
        sizes = [images.opened(d).size for d in pictures[:max_pages]]
        if any(w * h > MAX_IMAGE_PIXELS for w, h in sizes):
            return None
        pages = [d for d, (w, h) in zip(pictures, sizes, strict=False) if w * h >= photo.MIN_PAGE_PIXELS]
        if not 0 <= index < len(pages):
            return None
        return photo.flatten_page(images.gray(images.opened(pages[index])))
    except (images.ImageError, cv2.error, IndexError):
        return None
