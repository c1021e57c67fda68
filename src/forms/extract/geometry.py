"""Where things are on the official blank 様式1, and how a scanned page maps onto it.

The blank form (``forms/data/youshiki1.pdf``) gives, per page, the widget rectangle of every
AcroForm field and the box of every printed label, in PDF points (origin bottom left).
A scanned page is registered against it in three cheap steps, none of which needs OCR:

1. de-skew: the angle that makes the dark pixels' row profile sharpest (table rulings, text lines);
2. coarse shift: phase correlation of the de-skewed page with the blank page, at low resolution;
3. anchors: each printed label is looked for (template matching against the blank's rendering)
   near where the coarse shift puts it; the labels found are the anchors of a robust (RANSAC)
   fit of scale, rotation and translation from blank pixels to scan pixels.

The labels found also say whether the page is a 様式1 page at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

import cv2
import numpy as np
import pypdfium2 as pdfium
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from forms.errors import FormsError
from forms.spec import AGENCY_FIELDS, FormSpec, data_path, load_spec

#: A rectangle (x0, y0, x1, y1). In PDF points y grows upwards; in image pixels, downwards.
Rect = tuple[float, float, float, float]

_MULTILINE_FLAG = 1 << 12
_LABEL_PAD_PX = 3  # blank pixels kept around a label's template
_MATCH_MIN = 0.45  # normalised correlation at which a label counts as found
_SEARCH_PX = 36  # how far from the coarse position a label is looked for, at 200 dpi


@dataclass(frozen=True)
class Widget:
    """One AcroForm widget of the blank: ``kind`` is "text", "multiline" or "checkbox"."""

    name: str
    page: int
    rect: Rect
    kind: str


@dataclass(frozen=True)
class Label:
    """A printed label of the blank: ``name`` is the AcroForm name it labels (or "agency")."""

    name: str
    text: str
    page: int
    rect: Rect


@dataclass(frozen=True)
class Option:
    """A printed choice in a choice field's label cell (（法人／個人事業者／組合 のいずれかを記入）): what
    a writer may circle instead of writing the word in the value cell."""

    field: str
    label: str
    page: int
    rect: Rect


@dataclass(frozen=True)
class FormGeometry:
    page_sizes: tuple[tuple[float, float], ...]  # (width, height) in points
    widgets: Mapping[str, Widget]
    labels: tuple[Label, ...]
    options: tuple[Option, ...] = ()

    def options_of(self, field: str) -> tuple[Option, ...]:
        return tuple(o for o in self.options if o.field == field)

    def widgets_on(self, page: int) -> tuple[Widget, ...]:
        return tuple(w for w in self.widgets.values() if w.page == page)

    def labels_on(self, page: int) -> tuple[Label, ...]:
        return tuple(lb for lb in self.labels if lb.page == page)

    def to_pixels(self, page: int, rect: Rect, dpi: int) -> Rect:
        """A rectangle in points (origin bottom left) as pixels of the page rendered at ``dpi``."""
        s = dpi / 72.0
        height = self.page_sizes[page][1]
        x0, y0, x1, y1 = rect
        return (x0 * s, (height - y1) * s, x1 * s, (height - y0) * s)


@dataclass(frozen=True)
class Registration:
    """How one scanned page maps onto a blank page.

    ``transform`` is the 2×3 similarity from blank pixels (at the scan's dpi) to pixels of the
    de-skewed scan; ``labels_found`` the printed labels found where they belong.
    """

    page: int
    transform: np.ndarray
    labels_found: int
    labels_expected: int

    def map_rect(self, rect_px: Rect) -> Rect:
        x0, y0, x1, y1 = rect_px
        corners = np.array([[x0, y0, 1.0], [x1, y0, 1.0], [x1, y1, 1.0], [x0, y1, 1.0]])
        pts = corners @ self.transform.T
        return (
            float(pts[:, 0].min()),
            float(pts[:, 1].min()),
            float(pts[:, 0].max()),
            float(pts[:, 1].max()),
        )


# ── the blank form ────────────────────────────────────────────────────────────────────────────
@cache
def load_geometry(path: Path | None = None) -> FormGeometry:
    """Widgets and labels of the blank 様式1 (by default the copy shipped in ``forms/data``)."""
    p = Path(path or data_path("youshiki1.pdf"))
    try:
        widgets = _read_widgets(PdfReader(p))
        doc = pdfium.PdfDocument(p)
        try:
            sizes = tuple((float(doc[i].get_width()), float(doc[i].get_height())) for i in range(len(doc)))
            labels = _find_labels(doc, widgets, load_spec())
            options = _find_options(doc, widgets, load_spec())
        finally:
            doc.close()
    except (OSError, PyPdfError, pdfium.PdfiumError, KeyError, ValueError) as exc:
        raise FormsError(f"blank form {p}: cannot read its geometry: {exc}") from exc
    return FormGeometry(sizes, MappingProxyType(widgets), labels, options)


def _read_widgets(reader: PdfReader) -> dict[str, Widget]:
    widgets: dict[str, Widget] = {}
    for page_no, page in enumerate(reader.pages):
        for ref in page.get("/Annots", []) or []:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Widget" or "/T" not in annot:
                continue
            x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
            if annot.get("/FT") == "/Btn":
                kind = "checkbox"
            elif int(annot.get("/Ff", 0)) & _MULTILINE_FLAG:
                kind = "multiline"
            else:
                kind = "text"
            name = str(annot["/T"])
            widgets[name] = Widget(name, page_no, (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), kind)
    return widgets


def _label_texts(spec: FormSpec) -> dict[str, str]:
    """AcroForm name (or "agency") → the printed text that labels it."""
    out = {key: f.label for key, f in spec.fields.items()}
    out.update({name: spec.label_of(name) for name in AGENCY_FIELDS})
    return out


def _find_labels(doc: pdfium.PdfDocument, widgets: Mapping[str, Widget], spec: FormSpec) -> tuple[Label, ...]:
    labels: list[Label] = []
    for name, text in _label_texts(spec).items():
        widget = widgets.get("agency_jetro" if name == "agency" else name)
        if widget is None:
            continue
        textpage = doc[widget.page].get_textpage()
        boxes = _search_boxes(textpage, text)
        if not boxes:
            continue
        wy = (widget.rect[1] + widget.rect[3]) / 2
        best = min(boxes, key=lambda b: abs((b[1] + b[3]) / 2 - wy))
        labels.append(Label(name, text, widget.page, best))
    return tuple(labels)


def _find_options(
    doc: pdfium.PdfDocument, widgets: Mapping[str, Widget], spec: FormSpec
) -> tuple[Option, ...]:
    """Each choice printed in its field's label cell: inside the line （A／B／C のいずれかを記入） nearest
    the field's value cell."""
    options: list[Option] = []
    for key, field in spec.fields.items():
        widget = widgets.get(key)
        if field.type != "choice" or widget is None:
            continue
        textpage = doc[widget.page].get_textpage()
        listed = "（" + "／".join(field.choices.values()) + " のいずれかを記入）"
        lines = _search_boxes(textpage, listed)
        if not lines:
            continue
        wy = (widget.rect[1] + widget.rect[3]) / 2
        lx0, ly0, lx1, ly1 = min(lines, key=lambda b: abs((b[1] + b[3]) / 2 - wy))
        for label in field.choices.values():
            inside = [
                b for b in _search_boxes(textpage, label) if lx0 <= b[0] and b[2] <= lx1 and ly0 - 1 <= b[1]
            ]
            inside = [b for b in inside if b[3] <= ly1 + 1]
            if len(inside) == 1:
                options.append(Option(key, label, widget.page, inside[0]))
    return tuple(options)


def _search_boxes(textpage: pdfium.PdfTextPage, text: str) -> list[Rect]:
    searcher = textpage.search(text, match_case=True)
    boxes: list[Rect] = []
    while (hit := searcher.get_next()) is not None:
        start, count = hit
        chars = [textpage.get_charbox(i) for i in range(start, start + count)]
        chars = [c for c in chars if c[2] > c[0]]  # spaces have empty boxes
        if chars:
            boxes.append(
                (
                    min(c[0] for c in chars),
                    min(c[1] for c in chars),
                    max(c[2] for c in chars),
                    max(c[3] for c in chars),
                )
            )
    return boxes


@cache
def blank_page_image(page: int, dpi: int, path: Path | None = None) -> np.ndarray:
    """The blank page rendered in grayscale at ``dpi`` (uint8, H×W), slightly blurred like a scan."""
    p = Path(path or data_path("youshiki1.pdf"))
    try:
        doc = pdfium.PdfDocument(p)
        try:
            bitmap = doc[page].render(scale=dpi / 72.0, grayscale=True)
            image = np.array(bitmap.to_numpy(), copy=True)
        finally:
            doc.close()
    except (OSError, pdfium.PdfiumError) as exc:
        raise FormsError(f"blank form {p}: cannot render page {page + 1}: {exc}") from exc
    if image.ndim == 3:
        image = image[..., 0]
    return cv2.GaussianBlur(image, (0, 0), 0.6)


# ── registering a scanned page ────────────────────────────────────────────────────────────────
def estimate_skew(image: np.ndarray, max_angle: float = 2.0) -> float:
    """How far (degrees, counter-clockwise) the page is rotated: the angle whose row profile of dark
    pixels is sharpest, i.e. that lines up the rulings and text lines."""
    small = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    ys, xs = np.nonzero(small < _ink_threshold(small))
    if len(ys) < 100:
        return 0.0
    if len(ys) > 120_000:
        keep = np.linspace(0, len(ys) - 1, 120_000).astype(np.int64)
        ys, xs = ys[keep], xs[keep]
    xs = xs.astype(np.float32) - small.shape[1] / 2
    ys = ys.astype(np.float32)
    best = _best_angle(xs, ys, np.arange(-max_angle, max_angle + 1e-6, 0.2))
    best = _best_angle(xs, ys, np.arange(best - 0.2, best + 0.2 + 1e-6, 0.025))
    return float(best)


def _best_angle(xs: np.ndarray, ys: np.ndarray, angles: np.ndarray) -> float:
    scores = []
    for a in angles:
        rows = np.round(ys + xs * np.tan(np.radians(a))).astype(np.int64)
        rows -= rows.min()
        counts = np.bincount(rows).astype(np.float64)
        scores.append(float((counts * counts).sum()))
    return float(angles[int(np.argmax(scores))])


def deskew(image: np.ndarray, skew: float) -> np.ndarray:
    """The page rotated back by ``skew`` degrees about its centre, the corners filled with paper."""
    if abs(skew) < 0.01:
        return image
    h, w = image.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -skew, 1.0)
    paper = int(np.percentile(image[::8, ::8], 90))
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=paper)


def _ink_threshold(image: np.ndarray) -> float:
    sample = image[::4, ::4]
    paper = float(np.percentile(sample, 90))
    ink = float(np.percentile(sample, 0.5))
    return (paper + ink) / 2 if paper - ink > 40 else ink - 1


def coarse_shift(scan: np.ndarray, page: int, dpi: int) -> tuple[float, float]:
    """(dx, dy) in pixels that moves the blank ``page`` onto the scan: phase correlation at ¼ scale."""
    blank = _blank_quarter(page, dpi)
    h, w = blank_page_image(page, dpi).shape
    small = cv2.resize(_fit_to(scan, (h, w)), (blank.shape[1], blank.shape[0]), interpolation=cv2.INTER_AREA)
    (dx, dy), _ = cv2.phaseCorrelate(blank, (255 - small).astype(np.float32), _window(blank.shape))
    return dx * w / blank.shape[1], dy * h / blank.shape[0]


@cache
def _blank_quarter(page: int, dpi: int) -> np.ndarray:
    blank = blank_page_image(page, dpi)
    h, w = blank.shape
    return (255 - cv2.resize(blank, (w // 4, h // 4), interpolation=cv2.INTER_AREA)).astype(np.float32)


@cache
def _window(shape: tuple[int, int]) -> np.ndarray:
    return cv2.createHanningWindow((shape[1], shape[0]), cv2.CV_32F)


def _fit_to(image: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if image.shape == shape:
        return image
    h, w = shape
    out = np.full((h, w), int(np.percentile(image[::8, ::8], 90)), np.uint8)
    ih, iw = min(h, image.shape[0]), min(w, image.shape[1])
    out[:ih, :iw] = image[:ih, :iw]
    return out


def register(scan: np.ndarray, page: int, geometry: FormGeometry, dpi: int) -> Registration:
    """Fit the blank ``page`` onto the de-skewed ``scan`` from the printed labels found on it."""
    blank = blank_page_image(page, dpi)
    dx, dy = coarse_shift(scan, page, dpi)
    labels = geometry.labels_on(page)
    src: list[tuple[float, float]] = []
    dst: list[tuple[float, float]] = []
    reach = int(_SEARCH_PX * dpi / 200)
    for label in labels:
        found = _locate(scan, blank, geometry.to_pixels(page, label.rect, dpi), (dx, dy), reach)
        if found is not None:
            src.append(found[0])
            dst.append(found[1])
    transform, inliers = _fit_similarity(src, dst, (dx, dy))
    return Registration(page, transform, inliers, len(labels))


def _locate(
    scan: np.ndarray, blank: np.ndarray, rect_px: Rect, shift: tuple[float, float], reach: int
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Where the label in ``rect_px`` of the blank is on the scan: (blank point, scan point)."""
    x0, y0 = int(rect_px[0]) - _LABEL_PAD_PX, int(rect_px[1]) - _LABEL_PAD_PX
    x1, y1 = int(np.ceil(rect_px[2])) + _LABEL_PAD_PX, int(np.ceil(rect_px[3])) + _LABEL_PAD_PX
    template = blank[max(y0, 0) : y1, max(x0, 0) : x1]
    sx0, sy0 = round(x0 + shift[0]) - reach, round(y0 + shift[1]) - reach
    sx1, sy1 = sx0 + template.shape[1] + 2 * reach, sy0 + template.shape[0] + 2 * reach
    if template.size == 0 or sx0 < 0 or sy0 < 0 or sx1 > scan.shape[1] or sy1 > scan.shape[0]:
        return None
    if float(template.std()) < 1.0:
        return None
    scores = cv2.matchTemplate(scan[sy0:sy1, sx0:sx1], template, cv2.TM_CCOEFF_NORMED)
    _, best, _, (bx, by) = cv2.minMaxLoc(scores)
    if best < _MATCH_MIN:
        return None
    return (float(max(x0, 0)), float(max(y0, 0))), (float(sx0 + bx), float(sy0 + by))


def _fit_similarity(
    src: Sequence[tuple[float, float]], dst: Sequence[tuple[float, float]], shift: tuple[float, float]
) -> tuple[np.ndarray, int]:
    """The similarity blank → scan from label anchors (RANSAC), or the coarse shift when too few."""
    fallback = np.array([[1.0, 0.0, shift[0]], [0.0, 1.0, shift[1]]])
    if len(src) < 3:
        return fallback, len(src)
    m, mask = cv2.estimateAffinePartial2D(
        np.array(src, np.float32), np.array(dst, np.float32), method=cv2.RANSAC, ransacReprojThreshold=4.0
    )
    if m is None or mask is None:
        return fallback, 0
    scale = float(np.hypot(m[0, 0], m[1, 0]))
    if not 0.85 < scale < 1.15:
        return fallback, 0
    return m.astype(np.float64), int(mask.sum())
