"""Reading a scanned 様式1 (pages that are only images) with OCR.

For each page image: rasterise (pypdfium2) → de-skew → register against the official blank form
(``geometry``: printed labels found by template matching, a robust similarity fit) → for every
field of the page, the widget's rectangle mapped into the image:

- a checkbox is decided by the ink inside the printed square (not by OCR), its confidence by how
  far that ink is from the threshold;
- a text field's cell is cut into text lines by its ink, each line read by the OCR engine, and
  the field's confidence computed from the engine's character scores, lowered when the text
  cannot be what the field holds (a date that does not parse, a 法人番号 whose check digit fails,
  a choice that is none of the printed choices).

Values are the text as read (no normalisation). A page none of whose labels are found is
skipped (a cover letter); a document with no 様式1 page is FORM_NOT_FOUND.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import cv2
import numpy as np
import pypdfium2 as pdfium

from forms import model
from forms.errors import Code, OcrError
from forms.extract import geometry as geo
from forms.extract.ocr_engine import OcrEngine, OcrLine
from forms.jp import corporate_number as corpnum
from forms.normalize import PARSERS, nfkc_text, parse_choice
from forms.spec import FieldSpec, FormSpec, load_spec

#: A page counts as a 様式1 page when at least this share of its printed labels is found.
PAGE_LABEL_SHARE = 0.5
#: Confidence of a cell with no ink at all (read as blank).
BLANK_CONFIDENCE = 0.99
#: Highest confidence of a value that cannot be what its field holds.
IMPLAUSIBLE_CAP = 0.5
#: Highest confidence of a choice field read as something other than one of its printed choices.
LOOSE_CHOICE_CAP = 0.8
#: Lowest confidence of a choice read as exactly one of its printed choices.
EXACT_CHOICE_FLOOR = 0.95
#: A line whose weakest character scores under this is read a second time, enlarged 1.5×.
SECOND_READING_BELOW = 0.9
SECOND_READING_SCALE = 1.5
#: Checkbox: share of the square's interior covered by ink at which the box counts as ticked.
TICK_SHARE = 0.06

_MAX_PAGES = 10  # only the first pages are looked at for the form's two pages
#: Types whose value is a number: only their digits' scores count, the rest is checked by parsing.
_DIGIT_TYPES = frozenset({"date", "yen", "integer", "phone", "postal_code", "corporate_number"})
#: Parsers of the typed fields (forms.normalize): a value they cannot read is implausible.
_TYPED: Mapping[str, Callable[[str], object]] = {
    t: PARSERS[t] for t in ("date", "yen", "integer", "phone", "postal_code", "email")
}


@dataclass(frozen=True)
class _Page:
    image: np.ndarray  # de-skewed grayscale
    ink_below: float  # pixel values under this are ink
    registration: geo.Registration


def read_scanned(doc: pdfium.PdfDocument, engine: OcrEngine, *, dpi: int = 200) -> model.ExtractResult:
    """The 様式1 on the page images of ``doc``, every value with a confidence; never raises."""
    geometry = geo.load_geometry()
    try:
        pages = _registered_pages(doc, geometry, dpi)
    except (pdfium.PdfiumError, cv2.error, ValueError) as exc:
        return model.problem(Code.FORM_UNREADABLE, None, detail="ocr_failed", error=str(exc)[:200])
    labels_found = sum(p.registration.labels_found for p in pages)
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
        shape=model.Shape.SCANNED,
        values=MappingProxyType(values),
        pages=len(doc),
        labels_found=labels_found,
        notes=notes,
    )


# ── pages ─────────────────────────────────────────────────────────────────────────────────────
def rasterise(page: pdfium.PdfPage, dpi: int) -> np.ndarray:
    """A PDF page as a grayscale uint8 image at ``dpi`` (rendered in colour: pdfium's own grayscale
    path is three times slower)."""
    image = page.render(scale=dpi / 72.0).to_numpy()
    if image.ndim == 2:
        return np.ascontiguousarray(image)
    return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY)


def _registered_pages(doc: pdfium.PdfDocument, geometry: geo.FormGeometry, dpi: int) -> list[_Page]:
    """Each blank page found among the page images, at most once, in the order of the form."""
    found: dict[int, _Page] = {}
    for index in range(min(len(doc), _MAX_PAGES)):
        if len(found) == len(geometry.page_sizes):
            break
        image = rasterise(doc[index], dpi)
        page = _match_page(image, index, geometry, dpi, taken=set(found))
        if page is not None:
            found[page.registration.page] = page
    return [found[k] for k in sorted(found)]


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
                return _Page(straight, _ink_level(straight), reg)
    return None


def _ink_level(image: np.ndarray) -> float:
    sample = image[::4, ::4]
    paper = float(np.percentile(sample, 90))
    ink = float(np.percentile(sample, 0.5))
    return (paper + ink) / 2


# ── fields ────────────────────────────────────────────────────────────────────────────────────
def _read_page(
    page: _Page, geometry: geo.FormGeometry, spec: FormSpec, engine: OcrEngine, dpi: int
) -> dict[str, model.RawValue]:
    values: dict[str, model.RawValue] = {}
    for widget in geometry.widgets_on(page.registration.page):
        rect = page.registration.map_rect(geometry.to_pixels(widget.page, widget.rect, dpi))
        if widget.kind == "checkbox":
            values[widget.name] = _read_checkbox(page, rect)
        else:
            field_spec = spec.fields.get(widget.name)
            values[widget.name] = _read_text(page, rect, field_spec, engine, dpi)
    return values


def _read_checkbox(page: _Page, rect: geo.Rect) -> model.RawValue:
    """Ticked when ink covers enough of the square's interior; the confidence grows with the margin."""
    x0, y0, x1, y1 = rect
    inset_x, inset_y = (x1 - x0) * 0.2, (y1 - y0) * 0.2
    cell = _crop(page.image, (x0 + inset_x, y0 + inset_y, x1 - inset_x, y1 - inset_y))
    if cell.size == 0:
        return model.RawValue(False, 0.0)
    ink = _significant_ink(cell < page.ink_below, min_extent=max(3, cell.shape[0] // 5))
    share = float(ink.mean())
    ticked = share >= TICK_SHARE
    margin = abs(share - TICK_SHARE) / TICK_SHARE  # 0 at the threshold, 1 at twice (or none of) it
    return model.RawValue(ticked, round(min(1.0, 0.5 + 0.5 * min(margin, 1.0)), 3))


def _read_text(
    page: _Page, rect: geo.Rect, field_spec: FieldSpec | None, engine: OcrEngine, dpi: int
) -> model.RawValue:
    px = dpi / 200.0
    x0, y0, x1, y1 = rect
    cell = _crop(page.image, (x0 + 2 * px, y0 - 2 * px, x1 - 2 * px, y1 + 2 * px))
    if cell.size == 0:
        return model.RawValue("", 0.0)
    ink = _significant_ink(_without_rulings(cell < page.ink_below), min_extent=int(6 * px))
    bands = _text_bands(ink, min_height=int(7 * px))
    if not bands:
        return model.RawValue("", BLANK_CONFIDENCE)
    lines: list[OcrLine] = []
    for top, bottom in bands:
        cols = np.nonzero(ink[top:bottom].any(axis=0))[0]
        pad_x, pad_y = int(8 * px), int(5 * px)
        line_img = cell[
            max(0, top - pad_y) : bottom + pad_y, max(0, int(cols[0]) - pad_x) : int(cols[-1]) + 1 + pad_x
        ]
        lines.extend(_read_line(engine, np.ascontiguousarray(line_img)))
    text = fix_lookalikes("".join(ln.text for ln in lines))
    if not text.strip():
        return model.RawValue("", 0.3)  # ink, but nothing the engine could read
    if field_spec is not None and field_spec.type == "postal_code":
        text = _POSTAL_MARK.sub("〒", text)
    if field_spec is not None and field_spec.key in _ADDRESS_FIELDS:
        text = _CHOME.sub("丁目", text)
    return model.RawValue(text, round(field_confidence(text, lines, field_spec), 3))


def _read_line(engine: OcrEngine, image: np.ndarray) -> list[OcrLine]:
    """One text line read by the engine; an unsure reading is checked by a second, enlarged one.

    Thin glyphs (i, l, ・) often score low at 200 dpi although they are read right. When a second
    reading of the line enlarged 1.5× gives the same text, its (usually higher) scores stand; when it
    gives another text, the line keeps the lower of the two scores, so the field goes to review.
    """
    first = sorted(engine.recognize(image), key=lambda ln: ln.box[0])
    if not first or _weakest_of(first) >= SECOND_READING_BELOW:
        return first
    big = cv2.resize(
        image, None, fx=SECOND_READING_SCALE, fy=SECOND_READING_SCALE, interpolation=cv2.INTER_CUBIC
    )
    second = sorted(engine.recognize(big), key=lambda ln: ln.box[0])
    if "".join(ln.text for ln in second) != "".join(ln.text for ln in first):
        floor = min(_weakest_of(first), _weakest_of(second) if second else 0.0)
        return [dataclasses.replace(ln, score=min(ln.score, floor)) for ln in first]
    if _weakest_of(second) <= _weakest_of(first):
        return first
    scale = 1 / SECOND_READING_SCALE
    return [
        dataclasses.replace(
            ln, box=(ln.box[0] * scale, ln.box[1] * scale, ln.box[2] * scale, ln.box[3] * scale)
        )
        for ln in second
    ]


def _weakest_of(lines: list[OcrLine]) -> float:
    return min(_weakest(ln, digits_only=False) for ln in lines)


def _crop(image: np.ndarray, rect: geo.Rect) -> np.ndarray:
    h, w = image.shape
    x0, y0 = max(0, round(rect[0])), max(0, round(rect[1]))
    x1, y1 = min(w, round(rect[2])), min(h, round(rect[3]))
    return image[y0:y1, x0:x1] if x1 > x0 and y1 > y0 else image[0:0, 0:0]


def _without_rulings(ink: np.ndarray) -> np.ndarray:
    """Ink with the table rulings that crept into a cell (rows or columns mostly inked) removed."""
    out = ink.copy()
    out[ink.mean(axis=1) > 0.6, :] = False
    out[:, ink.mean(axis=0) > 0.6] = False
    return out


def _significant_ink(ink: np.ndarray, min_extent: int) -> np.ndarray:
    """Ink without specks: connected parts smaller than ``min_extent`` pixels each way are dropped."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]) >= min_extent
    return keep[labels]


def _text_bands(ink: np.ndarray, min_height: int) -> list[tuple[int, int]]:
    """Row ranges [top, bottom) holding a line of text each."""
    rows = ink.any(axis=1)
    bands: list[tuple[int, int]] = []
    start = None
    for y, on in enumerate(np.append(rows, False)):
        if on and start is None:
            start = y
        elif not on and start is not None:
            if bands and start - bands[-1][1] <= 2:
                start = bands.pop()[0]
            bands.append((start, y))
            start = None
    return [(t, b) for t, b in bands if b - t >= min_height]


# ── what the recogniser confuses ──────────────────────────────────────────────────────────────
#: Kanji that look like a katakana (and back): 夕イ is タイ, 南大沢ー丁目 is 南大沢一丁目.
_KANJI_TO_KANA = {
    "夕": "タ",
    "口": "ロ",
    "力": "カ",
    "工": "エ",
    "二": "ニ",
    "八": "ハ",
    "卜": "ト",
    "一": "ー",
}
_KANA_TO_KANJI = {kana: kanji for kanji, kana in _KANJI_TO_KANA.items()}
#: A postal mark read as a letter or a lookalike: T144-0052 is 〒144-0052.
_POSTAL_MARK = re.compile(r"^\s*[^\d〒\s](?=\s*[0-9０-９]{3})")


#: 丁目 in an address read as 丁自 / 丁日 (目 has a lookalike in each): addresses never say 丁自.
_CHOME = re.compile(r"丁[自日]")
_ADDRESS_FIELDS = frozenset({"hq_address", "tokyo_office_address"})


def _is_katakana(ch: str | None) -> bool:
    return ch is not None and "\u30a1" <= ch <= "\u30fc" and ch != "・"


def _is_kanji(ch: str | None) -> bool:
    return ch is not None and ("\u4e00" <= ch <= "\u9fff" or ch == "々")


def fix_lookalikes(text: str) -> str:
    """Kanji/katakana lookalikes put right by their neighbours (only when both agree on the script)."""
    out = list(text)
    for i, ch in enumerate(text):
        around = (text[i - 1] if i > 0 else None, text[i + 1] if i + 1 < len(text) else None)
        kana = any(_is_katakana(c) for c in around)
        kanji = any(_is_kanji(c) for c in around)
        if ch in _KANJI_TO_KANA and kana and not kanji:
            out[i] = _KANJI_TO_KANA[ch]
        elif ch in _KANA_TO_KANJI and kanji and not kana:
            out[i] = _KANA_TO_KANJI[ch]
    return "".join(out)


def _in_japanese_charset(text: str) -> bool:
    """Whether every character is one of Japanese office text (JIS X 0208 and the Windows
    extensions: cp932, or shift_jis for ¥); the recogniser also knows Chinese forms such as 壳."""
    for ch in text:
        for charset in ("cp932", "shift_jis"):
            try:
                ch.encode(charset)
                break
            except UnicodeEncodeError:
                continue
        else:
            return False
    return True


# ── confidence ────────────────────────────────────────────────────────────────────────────────
def field_confidence(text: str, lines: list[OcrLine], field_spec: FieldSpec | None) -> float:
    """How sure we are that ``text`` is what is written: the engine's weakest character, lowered
    when the text cannot be a value of the field's type."""
    typed = field_spec is not None and field_spec.type in _DIGIT_TYPES
    scores = [_weakest(ln, digits_only=typed) for ln in lines]
    weakest = min(scores) if scores else 0.0
    mean = sum(ln.score for ln in lines) / len(lines) if lines else 0.0
    confidence = min(mean, weakest**0.5)
    if not _in_japanese_charset(text):
        confidence = min(confidence, IMPLAUSIBLE_CAP)
    if field_spec is not None:
        cap = _type_cap(text, field_spec)
        if field_spec.type == "choice" and cap == 1.0:
            confidence = max(confidence, EXACT_CHOICE_FLOOR)  # one of a few printed words, read exactly
        confidence = min(confidence, cap)
    return max(0.0, min(1.0, confidence))


def _weakest(line: OcrLine, *, digits_only: bool) -> float:
    """The engine's lowest character score in ``line`` (only its digits for a number: the rest of a
    typed value is checked by its parser)."""
    if not line.char_scores or len(line.char_scores) != len(line.text):
        return line.score
    pairs = list(zip(line.text, line.char_scores, strict=True))
    if digits_only and any(ch.isdigit() for ch, _ in pairs):
        pairs = [(ch, s) for ch, s in pairs if ch.isdigit()]
    return min(s for _, s in pairs)


def _type_cap(text: str, field_spec: FieldSpec) -> float:
    if field_spec.type == "choice":
        return _choice_cap(text, field_spec.choices)
    if field_spec.type == "corporate_number":
        digits = corpnum.compact(text)
        return 1.0 if corpnum.is_valid(digits) else IMPLAUSIBLE_CAP
    if field_spec.type in _TYPED and _TYPED[field_spec.type](text) is None:
        return IMPLAUSIBLE_CAP
    return 1.0


def _choice_cap(text: str, choices: Mapping[str, str]) -> float:
    written = nfkc_text(text).replace(" ", "")
    if any(written == nfkc_text(label).replace(" ", "") for label in choices.values()):
        return 1.0
    return LOOSE_CHOICE_CAP if parse_choice(text, choices) is not None else IMPLAUSIBLE_CAP
