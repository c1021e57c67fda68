"""Where things are on the 様式3 this service issues, and where they are on a page image of it.

The blank is the issued document itself: ``templates/documents/youshiki3.html`` rendered by
``forms.documents`` with no company, bank or answer (the same template every issued 様式3 is made
from, so an edited template moves the blank with it). From its text layer (pdfplumber) come, per row
of the tables, the label cell and the value cell, and in the answer cells each printed choice (□ and
its word) and the printed parts (令和 年 月 日, 円).

What the rows hold varies from one issued 様式3 to another (a long address wraps, the answer block may
start on the second page), so a page image is not registered as one piece: each row is found by its
label cell — the printed label with the cell's rulings round it, unique on the form (融資実行日 and
融資実行日（予定日） differ by their right halves) — by template matching down the page's whole height,
at most a little off its printed column. The rows found on a page give, by a robust fit, the scale the
page was printed at (a print "fit to page" shrinks it by a few per cent); the page is brought back to
the blank's scale and the rows found again, each with its own offset from the blank.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

import cv2
import numpy as np
import pypdfium2 as pdfium

from forms.extract.geometry import Rect, deskew, estimate_skew
from forms.extract.youshiki3_layout import label_form, pdf_row_cells

#: Field → the label printed in its row (youshiki3.LABELS, with the reference line).
ROW_LABELS: Mapping[str, str] = {
    "company_name": "企業名",
    "corporate_number": "法人番号",
    "loan_status": "融資の状況",
    "disbursed_on": "融資実行日",
    "amount_yen": "融資実行額",
    "menu": "実行した融資のメニュー",
    "planned_menu": "制度融資メニュー",
    "expansion_status": "海外展開の状況",
    "comments": "コメント",
    "agency": "支援機関",
}
REFERENCE_MARK = "照会番号："
#: Rows that move together: consecutive rows of one table whose cells print nothing that varies.
RIGID = (("loan_status", "disbursed_on", "amount_yen", "menu"), ("expansion_status", "comments"))
_MATCH_MIN = 0.55  # normalised correlation at which a row's label cell counts as found
_REACH_X = 0.05  # how far (share of the page width) a label cell may be off its printed column
_COARSE_MIN = 0.35  # correlation at a quarter of the resolution worth a closer look
_PAD = 3  # pixels kept round a template
_FINE = 12  # pixels either side of the coarse match searched at full resolution
_COARSE = 0.5  # the resolution places are first looked for at
_PLACES = 10  # places looked at closely per row and page (a score's peak is narrow: label cells alike)


@dataclass(frozen=True)
class Choice:
    """One printed choice of an answer cell: its key, word, and the pixels of its □ and its word."""

    key: str
    label: str
    box: Rect
    word: Rect


@dataclass(frozen=True)
class Row:
    """One row of the blank, in pixels of its page image (origin top left): the template that finds it
    (``head``: the label cell's first line with its rulings), the value cell, and what it prints."""

    field: str
    page: int
    head: Rect
    cell: Rect
    choices: tuple[Choice, ...] = ()
    printed: tuple[Rect, ...] = ()


@dataclass(frozen=True)
class Blank:
    dpi: int
    pages: tuple[np.ndarray, ...]  # grayscale page images
    rows: Mapping[str, Row]

    def template(self, row: Row) -> np.ndarray:
        x0, y0, x1, y1 = (round(v) for v in row.head)
        return self.pages[row.page][y0:y1, x0:x1]


@dataclass(frozen=True)
class Found:
    """A row found on a page image: which image, the offset (dx, dy) from the blank, the match score."""

    row: Row
    image: int
    offset: tuple[float, float]
    score: float

    def place(self, rect: Rect) -> Rect:
        dx, dy = self.offset
        return (rect[0] + dx, rect[1] + dy, rect[2] + dx, rect[3] + dy)


# ── the blank ─────────────────────────────────────────────────────────────────────────────────
def blank_pdf() -> bytes:
    """The 様式3 the service issues, with nothing in it but what every copy prints."""
    # forms.documents (WeasyPrint) is imported only by the reader that meets a 様式3 on paper
    import datetime as dt

    from forms.documents import BankInfo, CompanyInfo, Issuer
    from forms.documents.batch import render
    from forms.documents.youshiki3 import Youshiki3

    day = dt.date(2026, 4, 1)
    data = Youshiki3(
        issued_on=day, due_on=day, issuer=Issuer("blank", "　", "　"), bank=BankInfo(name="　"),
        company=CompanyInfo(name=""), applied_on=None, loan_status="", loan_menu="", loan_amount=None,
        loan_date=None, enclosures=(), reference="R8-Y3-000000",
    )  # fmt: skip
    return render(data, "pdf")


@cache
def load_blank(dpi: int = 200) -> Blank:
    """The blank's rows and page images at ``dpi`` (made once per process)."""
    pdf = blank_pdf()
    rows = _rows(pdf, dpi / 72.0)
    doc = pdfium.PdfDocument(pdf)
    try:
        pages = tuple(_gray(doc[i].render(scale=dpi / 72.0).to_numpy()) for i in range(len(doc)))
    finally:
        doc.close()
    return Blank(dpi, pages, MappingProxyType(rows))


def _gray(image: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
    return cv2.GaussianBlur(gray, (0, 0), 0.6)  # like a scan


def _rows(pdf: bytes, scale: float) -> dict[str, Row]:
    import pdfplumber  # the reader process's PDF library, imported when a 様式3 on paper is read

    by_label = {label_form(v): k for k, v in ROW_LABELS.items()}
    rows: dict[str, Row] = {}
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for index, page in enumerate(doc.pages):
            words = page.extract_words(keep_blank_chars=False)
            for label, head_cell, value_cell in pdf_row_cells(page):
                key = by_label.get(label_form(label))
                if key is None or key in rows:
                    continue
                rows[key] = _row(key, index, head_cell, value_cell, words, scale)
            reference = _reference(page, index, scale)
            if reference is not None:
                rows.setdefault("reference", reference)
    return rows


def _px(box: Sequence[float], scale: float) -> Rect:
    return (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)


def _row(key: str, page: int, head_cell: Rect, value_cell: Rect, words: Sequence[Mapping[str, object]],
         scale: float) -> Row:  # fmt: skip
    from forms.extract.youshiki3 import EXPANSION_STATUSES, LOAN_STATUSES

    x0, top, x1, _ = head_cell
    line = 9.5 * 1.45 + 2 * 3.4  # the label's first line and the cell's padding (points)
    head = (x0 * scale - _PAD, top * scale - _PAD, x1 * scale + _PAD, (top + line) * scale + _PAD)
    inside = [w for w in words if _within(w, value_cell)]
    choices: list[Choice] = []
    options = {"loan_status": LOAN_STATUSES, "expansion_status": EXPANSION_STATUSES}.get(key, {})
    for i, w in enumerate(inside):
        choice = next((k for k, v in options.items() if v == w["text"]), None)
        if choice is not None and i and inside[i - 1]["text"] == "□":
            box = _px(_box(inside[i - 1]), scale)
            choices.append(Choice(choice, str(w["text"]), box, _px(_box(w), scale)))
    printed = tuple(_px(_box(w), scale) for w in inside if not choices)
    return Row(key, page, head, _px(value_cell, scale), tuple(choices), printed)


def _box(word: Mapping[str, object]) -> tuple[float, float, float, float]:
    return (float(word["x0"]), float(word["top"]), float(word["x1"]), float(word["bottom"]))  # type: ignore[arg-type]


def _within(word: Mapping[str, object], cell: Rect) -> bool:
    x0, top, x1, bottom = _box(word)
    return cell[0] <= (x0 + x1) / 2 <= cell[2] and cell[1] <= (top + bottom) / 2 <= cell[3]


def _reference(page: object, index: int, scale: float) -> Row | None:
    """The reference line: 照会番号： (the head) and the number right of it, to the page's margin."""
    chars = page.chars  # type: ignore[attr-defined]
    text = "".join(c["text"] for c in chars)
    at = text.find(REFERENCE_MARK)
    if at < 0:
        return None
    mark = chars[at : at + len(REFERENCE_MARK)]
    x0, top = min(c["x0"] for c in mark), min(c["top"] for c in mark)
    x1, bottom = max(c["x1"] for c in mark), max(c["bottom"] for c in mark)
    head = (x0 * scale - _PAD, top * scale - _PAD, x1 * scale + _PAD, bottom * scale + _PAD)
    right = float(page.width) - 12  # type: ignore[attr-defined]
    cell = (x1 * scale, (top - 3) * scale, right * scale, (bottom + 3) * scale)
    return Row("reference", index, head, cell)


# ── finding the rows on page images ───────────────────────────────────────────────────────────
def straighten(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(deskew(image, estimate_skew(image)))


def _peaks(scores: np.ndarray, count: int, apart: tuple[int, int]) -> list[tuple[int, int]]:
    """The ``count`` best places of a score map, at least ``apart`` (dy, dx) from each other."""
    scores = scores.copy()
    out = []
    for _ in range(count):
        _, best, _, (x, y) = cv2.minMaxLoc(scores)
        if best < _COARSE_MIN:
            break
        out.append((x, y))
        scores[max(0, y - apart[0]) : y + apart[0] + 1, max(0, x - apart[1]) : x + apart[1] + 1] = -1.0
    return out


def _candidates(image: np.ndarray, template: np.ndarray, head: Rect) -> list[tuple[float, float, float]]:
    """Where ``template`` may be in the column of ``head`` (a little either side), down the page's
    whole height: (score, x, y of the top-left corner) of the few best places. Looked for at a quarter
    of the resolution, each place then settled at full resolution."""
    w = image.shape[1]
    reach = int(_REACH_X * w)
    sx0, sx1 = max(0, round(head[0]) - reach), min(w, round(head[2]) + reach)
    strip = image[:, sx0:sx1]
    th, tw = template.shape
    if template.size == 0 or strip.shape[0] < th or strip.shape[1] < tw:
        return []
    small = cv2.resize(strip, None, fx=_COARSE, fy=_COARSE, interpolation=cv2.INTER_AREA)
    tiny = cv2.resize(template, None, fx=_COARSE, fy=_COARSE, interpolation=cv2.INTER_AREA)
    coarse = cv2.matchTemplate(small, tiny, cv2.TM_CCOEFF_NORMED)
    out = []
    for cx, cy in _peaks(coarse, _PLACES, (max(1, int(th * _COARSE / 2)), max(1, int(tw * _COARSE / 2)))):
        x0, y0 = max(0, round(cx / _COARSE) - _FINE), max(0, round(cy / _COARSE) - _FINE)
        window = strip[y0 : y0 + th + 2 * _FINE, x0 : x0 + tw + 2 * _FINE]
        if window.shape[0] < th or window.shape[1] < tw:
            continue
        _, best, _, (bx, by) = cv2.minMaxLoc(cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED))
        if best >= _MATCH_MIN:
            out.append((float(best), float(sx0 + x0 + bx), float(y0 + by)))
    return out


def find_rows(images: Sequence[np.ndarray], blank: Blank, fields: Iterable[str]) -> dict[str, Found]:
    """Each row of ``fields`` where a page image shows it: of the places its label cell matches, the
    one whose offset from the blank most other rows share (rows of one table move together), then the
    best match. The rows of a rigid group (``RIGID``) are placed together: where most of them are
    found at one offset, each is taken there (or dropped when it matches nowhere near)."""
    places: dict[str, list[Found]] = {}
    for key in fields:
        row = blank.rows.get(key)
        if row is None:
            continue
        template = blank.template(row)
        for index, image in enumerate(images):
            for score, x, y in _candidates(image, template, row.head):
                offset = (x - round(row.head[0]), y - round(row.head[1]))
                places.setdefault(key, []).append(Found(row, index, offset, score))
    found = {key: max(options, key=lambda f: _support(f, key, places)) for key, options in places.items()}
    for group in RIGID:
        _place_together([k for k in group if k in places], places, found)
    return found


def _same_place(a: Found, b: Found) -> bool:
    return a.image == b.image and max(abs(a.offset[0] - b.offset[0]), abs(a.offset[1] - b.offset[1])) <= 3


def _support(place: Found, key: str, places: Mapping[str, list[Found]]) -> float:
    agreeing = sum(any(_same_place(place, o) for o in opts) for k, opts in places.items() if k != key)
    return place.score + 0.03 * min(agreeing, 3)


def _place_together(group: Sequence[str], places: Mapping[str, list[Found]], found: dict[str, Found]) -> None:
    """The rows of ``group`` at the offset most of them match at (the best match there), when at least
    two agree on one; a row with no match there is dropped (it was taken for another row)."""
    ballots = [f for k in group for f in places[k]]
    votes = [(sum(any(_same_place(b, f) for f in places[k]) for k in group), b.score, b) for b in ballots]
    if not votes:
        return
    count, _, where = max(votes, key=lambda v: (v[0], v[1]))
    if count < 2:
        return
    for key in group:
        there = [f for f in places[key] if _same_place(f, where)]
        if there:
            found[key] = max(there, key=lambda f: f.score)
        else:
            found.pop(key, None)


def table_span(image: np.ndarray) -> tuple[int, int] | None:
    """The leftmost and rightmost long vertical rulings of a page (its tables' outer borders), in
    pixels, the page's own edges aside (a photo's dark surround); None when it has none (a cover sheet)."""
    h, w = image.shape
    ink = (image < _ink_threshold(image)).astype(np.uint8)
    tall = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(8, h // 40), 1), np.uint8))
    edge = w // 30
    cols = np.nonzero(tall[:, edge : w - edge].sum(axis=0) > h // 20)[0] + edge
    return (int(cols[0]), int(cols[-1])) if len(cols) >= 2 and cols[-1] - cols[0] > h // 4 else None


def print_scale(images: Sequence[np.ndarray], blank: Blank) -> float:
    """The scale the pages were printed at (a print "fit to page" shrinks them by a few per cent): the
    width of their tables against the blank's (1.0 when no page shows a table)."""
    spans = [s for s in map(table_span, images) if s is not None]
    reference = table_span(blank.pages[0])
    if not spans or reference is None:
        return 1.0
    scale = float(np.median([(right - left) / (reference[1] - reference[0]) for left, right in spans]))
    return scale if 0.85 < scale < 1.15 else 1.0


def _ink_threshold(image: np.ndarray) -> float:
    sample = image[::4, ::4]
    return (float(np.percentile(sample, 90)) + float(np.percentile(sample, 0.5))) / 2


def rescaled(image: np.ndarray, scale: float) -> np.ndarray:
    """The page image brought back to the blank's scale (``scale``: what it was printed at)."""
    if abs(scale - 1.0) < 0.004:
        return image
    paper = int(np.percentile(image[::8, ::8], 90))
    h, w = image.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, 1.0 / scale)
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=paper)
