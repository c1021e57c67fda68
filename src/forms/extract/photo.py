"""Photos and image scans of a paper 様式1 (JPEG, PNG): each page found in the picture, straightened,
its lighting evened out, then read by the scan reader.

A phone photo shows the sheet askew on a desk, in perspective, lit unevenly; a scanner's e-mail shows
the page itself. For each image (the pages of one form may come as one image each, in order):

1. the size is checked before anything is decoded (a decompression bomb is refused); an image too small
   to hold a page (a logo in a signature) is skipped;
2. the page is found: the largest bright four-sided shape (the sheet against its background), its
   corners refined on the full image; without one, the whole image is the page (a scan);
3. the page is warped onto an A4 sheet at 200 dpi (``warpPerspective``), landscape turned upright;
4. the lighting is evened out: each pixel divided by the paper's local brightness (a closing of the
   image, blurred), so shadows and a gradient from a window become white paper again.

The scan reader then registers each page against the official blank form (and tries it upside down).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from forms import model
from forms.errors import Code
from forms.extract import images, scan
from forms.extract.ocr_engine import OcrEngine
from forms.extract.pdf import OCR_UNAVAILABLE, unreadable
from forms.extract.streams import IMAGE_TOO_LARGE, MAX_IMAGE_PIXELS

#: A4 portrait at the scan reader's resolution.
PAGE_SIZE = (round(210 / 25.4 * images.DPI), round(297 / 25.4 * images.DPI))  # (width, height)
#: An image with fewer pixels holds no readable page (a logo, an icon).
MIN_PAGE_PIXELS = 600_000
#: The sheet must cover at least this share of the picture to be taken for the page.
MIN_PAGE_SHARE = 0.2
PAGES_LOOKED_AT = 10
_DETECT_SIDE = 900  # the page is looked for on the picture scaled down to this longest side


def read_photos(files: Sequence[bytes], *, ocr: OcrEngine | None) -> model.ExtractResult:
    """The 様式1 on the pictures ``files`` (its pages, in order), or why there is none."""
    sizes = []
    for data in files[:PAGES_LOOKED_AT]:
        try:
            sizes.append(images.opened(data).size)
        except images.ImageTooLarge:
            return unreadable(IMAGE_TOO_LARGE)
        except images.ImageError:
            return unreadable("corrupt")
    if any(w * h > MAX_IMAGE_PIXELS for w, h in sizes):
        return unreadable(IMAGE_TOO_LARGE)
    pages = [data for data, (w, h) in zip(files, sizes, strict=False) if w * h >= MIN_PAGE_PIXELS]
    if not pages:
        return model.problem(Code.FORM_NOT_FOUND, None, detail="image_too_small")
    if ocr is None:
        return unreadable(OCR_UNAVAILABLE)
    try:
        flat = [flatten_page(images.gray(images.opened(data))) for data in pages]
    except (images.ImageError, cv2.error):
        return unreadable("corrupt")
    result = scan.read_page_images(flat, ocr, dpi=images.DPI, page_count=len(pages), shape=model.Shape.PHOTO)
    return images.with_unread_pages(result)


def flatten_page(picture: np.ndarray) -> np.ndarray:
    """The page in ``picture`` (grayscale) as an upright A4 image at 200 dpi, evenly lit."""
    corners = find_page(picture)
    return even_lighting(_fit(picture) if corners is None else _warp(picture, corners))


def find_page(picture: np.ndarray) -> np.ndarray | None:
    """The four corners of the sheet (tl, tr, br, bl, in picture pixels), or None when no sheet stands
    out from a background (the picture is the page).

    The sheet's outline is looked for by its edges (a shadow across the sheet has soft edges, the
    sheet's border a sharp one), then by its brightness; the first outline that is a plausible sheet wins.
    """
    height, width = picture.shape
    scale = min(1.0, _DETECT_SIDE / max(height, width))
    small = cv2.resize(picture, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (5, 5), 0)
    for outline in (_by_edges(small), _by_brightness(small)):
        quad = _sheet(outline, small)
        if quad is not None:
            return _ordered(quad / scale)
    return None


def _by_edges(small: np.ndarray) -> np.ndarray:
    edges = cv2.Canny(small, 30, 90)
    return cv2.dilate(edges, np.ones((5, 5), np.uint8))


def _by_brightness(small: np.ndarray) -> np.ndarray:
    _, bright = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))  # text inside the sheet


def _sheet(outline: np.ndarray, small: np.ndarray) -> np.ndarray | None:
    """The largest four-cornered shape of ``outline`` that may be an A4 sheet seen in perspective, lying
    on a darker background (not a box printed on the page)."""
    contours, _ = cv2.findContours(outline, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        hull = cv2.convexHull(contour)
        share = cv2.contourArea(hull) / small.size
        if share < MIN_PAGE_SHARE:
            return None
        if share > 0.97:
            continue  # the whole picture: no background around a sheet
        quad = _quadrilateral(hull)
        if _plausible(quad) and _on_background(small, quad):
            return quad
    return None


def _on_background(small: np.ndarray, quad: np.ndarray) -> bool:
    """Whether what lies just outside ``quad`` is clearly darker than its inside: a sheet on a desk, not a
    table's border on a white page."""
    inside = np.zeros(small.shape, np.uint8)
    cv2.fillConvexPoly(inside, quad.astype(np.int32), 255)
    band = max(3, round(0.03 * max(small.shape)))
    kernel = np.ones((band, band), np.uint8)
    outer = cv2.dilate(inside, kernel) & ~inside
    inner = inside & ~cv2.erode(inside, kernel)
    if not outer.any() or not inner.any():
        return False
    return float(np.median(small[inner > 0])) - float(np.median(small[outer > 0])) > 25


def _plausible(quad: np.ndarray) -> bool:
    """A sheet in perspective: opposite sides of similar length, about A4's proportions either way."""
    tl, tr, br, bl = _ordered(quad)
    top, bottom = np.linalg.norm(tr - tl), np.linalg.norm(br - bl)
    left, right = np.linalg.norm(bl - tl), np.linalg.norm(br - tr)
    if min(top, bottom, left, right) <= 0:
        return False
    similar = max(top, bottom) / min(top, bottom) < 1.5 and max(left, right) / min(left, right) < 1.5
    ratio = max(left + right, top + bottom) / min(left + right, top + bottom)
    return similar and 1.1 < ratio < 1.9


def _quadrilateral(contour: np.ndarray) -> np.ndarray:
    """Four corners of a contour: its polygon approximation when that has four, else its min-area box."""
    perimeter = cv2.arcLength(contour, True)
    for share in (0.02, 0.03, 0.04, 0.05):
        approx = cv2.approxPolyDP(contour, share * perimeter, True)
        if len(approx) == 4 and cv2.isContourConvex(approx):
            return approx.reshape(4, 2).astype(np.float32)
    return cv2.boxPoints(cv2.minAreaRect(contour)).astype(np.float32)


def _ordered(quad: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    sums, diffs = quad.sum(axis=1), np.diff(quad, axis=1).ravel()
    corners = (np.argmin(sums), np.argmin(diffs), np.argmax(sums), np.argmax(diffs))
    return np.array([quad[k] for k in corners], dtype=np.float32)


def _warp(picture: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The quadrilateral ``corners`` warped onto an A4 page; a landscape quadrilateral turned upright
    (one way; the scan reader also tries the page upside down)."""
    tl, tr, br, bl = corners
    across = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    down = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    if across > down:
        corners = np.array([tr, br, bl, tl], dtype=np.float32)  # the sheet lies on its side
    width, height = PAGE_SIZE
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target)
    return cv2.warpPerspective(picture, matrix, (width, height), flags=cv2.INTER_AREA, borderValue=255)


def _fit(picture: np.ndarray) -> np.ndarray:
    """A picture that is the page itself, scaled to the A4 width at 200 dpi (its aspect kept)."""
    height, width = picture.shape
    if height < width:
        picture = cv2.rotate(picture, cv2.ROTATE_90_CLOCKWISE)
        height, width = width, height
    factor = PAGE_SIZE[0] / width
    how = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return cv2.resize(picture, (PAGE_SIZE[0], max(1, round(height * factor))), interpolation=how)


def even_lighting(page: np.ndarray) -> np.ndarray:
    """``page`` divided by its paper's local brightness: shadows and gradients become white paper."""
    paper = cv2.morphologyEx(page, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (25, 25)))
    paper = cv2.GaussianBlur(paper, (0, 0), 12)
    flat = cv2.divide(page, np.maximum(paper, 1), scale=255)
    return np.ascontiguousarray(flat)
