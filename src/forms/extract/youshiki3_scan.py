"""Reading a returned 様式3 on paper: page images (a scan, a fax, a photo) of the 様式3 this service
issued, printed, answered by hand and sent back.

    page images ──straighten, find each row (youshiki3_geometry)──▶ rows placed on the pages
        ├─ the lists of choices (融資の状況, 海外展開の状況): the ink of □, ○ and 取消線 (youshiki3_marks)
        ├─ the written values (融資実行日, 融資実行額, メニュー, コメント) and the typed ones (企業名,
        │  法人番号, 支援機関, 照会番号): cut into lines (scan_cells) and read twice (scan_text), each
        │  in its alphabet and grammar (a date, yen, a 法人番号's check digit, a reference number)
        └─ each field's certainty from its evidence (certainty.is_certain) ──▶ ReturnedYoushiki3 | problems

The answer carries every field's certainty; which unsure fields stop it (a clerk reads the paper) is
the rulebook's (``youshiki3.unsure_stops``). Only the bank's own mistakes read with certainty are
problems here: several choices marked, 実行済 with its date or amount left blank.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
from collections.abc import Iterable, Mapping, Sequence

import cv2
import numpy as np

from forms import model
from forms.certainty import is_certain
from forms.errors import Code
from forms.extract import youshiki3 as y3
from forms.extract import youshiki3_marks as marks
from forms.extract.ocr_engine import OcrEngine
from forms.extract.reference import parse_reference
from forms.extract.scan_cells import crop, significant_ink, text_cell
from forms.extract.scan_text import read_text, same_reading
from forms.extract.youshiki3_geometry import (
    ROW_LABELS,
    Blank,
    Found,
    find_rows,
    load_blank,
    print_scale,
    rescaled,
    straighten,
)  # fmt: skip
from forms.extract.youshiki3_layout import label_form
from forms.normalize import nfkc_text, parse_date, parse_yen
from forms.spec import FieldSpec

E = model.Evidence
MAX_PAGES = 10
#: How each written or typed field is read (the FieldSpec's type gives its alphabet and grammar).
SPECS: Mapping[str, FieldSpec] = {
    key: FieldSpec(key, ROW_LABELS.get(key, "照会番号"), kind, (), "youshiki3")
    for key, kind in (
        ("company_name", "text"), ("corporate_number", "corporate_number"), ("disbursed_on", "date"),
        ("amount_yen", "yen"), ("menu", "text"), ("comments", "text"), ("agency", "text"),
        ("reference", "reference"), ("planned_menu", "text"),
    )
}  # fmt: skip
CHOICES: Mapping[str, Mapping[str, str]] = {
    "loan_status": y3.LOAN_STATUSES,
    "expansion_status": y3.EXPANSION_STATUSES,
}
#: An agency's name read: this close to one agency's printed name, and this far from every other's.
AGENCY_MATCH, AGENCY_OTHER = 0.8, 0.6
_MARGIN = 10  # pixels round a cell looked at with it (a ring round its last choice)
_SLACK = 6  # pixels the print of a cell is looked for either way from where its row was found
#: The cells the bank writes in: blank unless they hold ink the form does not print (令和 年 月 日, 円).
_WRITTEN = frozenset({"disbursed_on", "amount_yen", "menu", "comments"})
#: Free text in a hand: two readings that agree are not enough (a small ・ is lost in both); certain
#: when blank, or when the form says the same elsewhere (the menu the 様式1 gave).
_LOOSE = frozenset({"menu", "comments"})
#: Typed by the service on every 様式3 it issues: never blank where the row is found.
_PRINTED = frozenset({"company_name", "reference"})


def read_page_images(
    images: Iterable[np.ndarray],
    engine: OcrEngine,
    *,
    dpi: int,
    agencies: Mapping[str, Sequence[str]],
    two_readings: bool = True,
) -> y3.ReadResult:
    """The answers on the page images (grayscale uint8 at ``dpi``) of a returned 様式3; never raises
    for bad input. ``two_readings``: whether two readings that agree are evidence (not on a
    standard-resolution fax, whose lost strokes both readings miss alike)."""
    blank = load_blank(dpi)
    try:
        pages = [straighten(image) for image in itertools.islice(images, MAX_PAGES)]
        pages, found = _locate(pages, blank)
    except (cv2.error, ValueError) as exc:
        return (model.problem(Code.FORM_UNREADABLE, None, detail="ocr_failed", error=str(exc)[:200]),)
    if not {"loan_status", "expansion_status"} <= set(found):
        return (model.problem(Code.FORM_NOT_FOUND, None, form="youshiki3"),)
    values: dict[str, model.RawValue] = {}
    several: list[str] = []
    for key in (*CHOICES, *(k for k in SPECS if k != "planned_menu")):
        place = found.get(key)
        if place is None:
            values[key] = model.RawValue("", 0.0, (E.UNREAD,))
        elif key in CHOICES:
            reading = _choice(pages[place.image], blank, place, CHOICES[key])
            values[key] = model.RawValue(reading.chosen or "", 0.99, reading.evidence)
            several += [key] if reading.several else []
        else:
            values[key] = _text(pages[place.image], blank, place, key, dpi, engine, agencies)
    if "reference" not in found:
        values["reference"] = model.RawValue("", 0.99, (E.BLANK,))  # an issued 様式3 without its number
    planned = found.get("planned_menu")
    if str(values["menu"].value).strip() and planned is not None:
        printed = _text(pages[planned.image], blank, planned, "planned_menu", dpi, engine, agencies)
        values["menu"] = _as_applied(values["menu"], printed)
    if not two_readings:
        values = {k: dataclasses.replace(v, evidence=tuple(e for e in v.evidence if e is not E.TWO_READINGS))
                  for k, v in values.items()}  # fmt: skip
    return _answers(values, several)


def _as_applied(menu: model.RawValue, planned: model.RawValue) -> model.RawValue:
    """The menu written, with AS_APPLIED when it is (in one of its readings) the menu the 様式1 gave."""
    if E.TWO_READINGS not in planned.evidence:
        return menu
    for text in (str(menu.value), *menu.alternatives):
        if same_reading(text, str(planned.value), SPECS["menu"]):
            return dataclasses.replace(menu, value=text, evidence=(E.AS_APPLIED,))
    return menu


def _locate(pages: list[np.ndarray], blank: Blank) -> tuple[list[np.ndarray], dict[str, Found]]:
    """The pages (at the blank's scale, turned upright) and the rows found on them."""
    scale = print_scale(pages, blank)
    pages = [rescaled(p, scale) for p in pages]
    found = find_rows(pages, blank, blank.rows)
    if "loan_status" not in found:
        turned = [np.ascontiguousarray(p[::-1, ::-1]) for p in pages]
        found_turned = find_rows(turned, blank, blank.rows)
        if len(found_turned) > len(found):
            return turned, found_turned
    return pages, found


def _ink_level(image: np.ndarray) -> float:
    sample = image[::4, ::4]
    return (float(np.percentile(sample, 90)) + float(np.percentile(sample, 0.5))) / 2


# ── the cells, aligned with the blank's ───────────────────────────────────────────────────────
def _aligned(page: np.ndarray, blank: Blank, place: Found) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """(the scan's cell, the blank's, where the blank's starts on its page): the cell and a margin,
    the scan's aligned with the blank's to the pixel (the print matched a few pixels either way)."""
    row = place.row
    x0, y0, x1, y1 = (round(v) for v in row.cell)
    x0, y0, x1, y1 = max(0, x0 - _MARGIN), max(0, y0 - _MARGIN), x1 + _MARGIN, y1 + _MARGIN
    printed = blank.pages[row.page][y0:y1, x0:x1]
    dx, dy = (round(v) for v in place.offset)
    around = crop(page, (x0 + dx - _SLACK, y0 + dy - _SLACK, x1 + dx + _SLACK, y1 + dy + _SLACK))
    if around.shape[0] < printed.shape[0] or around.shape[1] < printed.shape[1] or printed.size == 0:
        return np.zeros((0, 0), np.uint8), printed, (x0, y0)
    _, _, _, (ax, ay) = cv2.minMaxLoc(cv2.matchTemplate(around, printed, cv2.TM_CCOEFF_NORMED))
    return around[ay : ay + printed.shape[0], ax : ax + printed.shape[1]], printed, (x0, y0)


def _new_ink(page: np.ndarray, blank: Blank, place: Found) -> bool:
    """Whether the cell holds ink the blank does not print there (beyond specks)."""
    scan, printed, _ = _aligned(page, blank, place)
    if scan.size == 0:
        return True
    mask = cv2.dilate((printed < 160).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    new = significant_ink(scan < _ink_level(page), 8) & ~mask
    return bool(new[_MARGIN:-_MARGIN, _MARGIN:-_MARGIN].sum() > 40)


def _choice(page: np.ndarray, blank: Blank, place: Found, choices: Mapping[str, str]) -> marks.ListReading:
    """The marks of a list, on the cell aligned with the blank's."""
    scan, printed, (x0, y0) = _aligned(page, blank, place)
    found = {c.key: c for c in place.row.choices}
    keys = [k for k in choices if k in found]
    if scan.size == 0 or len(keys) != len(choices):
        return marks.ListReading(None, (E.UNREAD,))

    def local(rect: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        return (rect[0] - x0, rect[1] - y0, rect[2] - x0, rect[3] - y0)

    ink_below = _ink_level(page)
    measured = [
        marks.measure(scan, printed, ink_below, local(found[k].box), local(found[k].word)) for k in keys
    ]
    reading = marks.decide(keys, measured)
    if reading.evidence == (E.BLANK,) and _new_ink(page, blank, place):  # a mark no measure saw
        return marks.ListReading(None, (E.MARKS_UNCLEAR,))
    return reading


# ── written and typed values ──────────────────────────────────────────────────────────────────
def _text(page: np.ndarray, blank: Blank, place: Found, key: str, dpi: int, engine: OcrEngine,
          agencies: Mapping[str, Sequence[str]]) -> model.RawValue:  # fmt: skip
    rect = place.place(place.row.cell)
    h, w = page.shape
    region = tuple(round(v, 4) for v in (rect[0] / w, rect[1] / h, rect[2] / w, rect[3] / h))
    if key in _WRITTEN and not _new_ink(page, blank, place):
        return model.RawValue("", 0.99, (E.BLANK,), (), (place.image, *region))  # type: ignore[arg-type]
    raw = read_text(text_cell(page, _ink_level(page), rect, dpi), SPECS[key], engine)
    if key == "agency":
        raw = _agency(raw, agencies)
    elif key in _PRINTED and E.BLANK in raw.evidence:  # every issued 様式3 prints it: not found there
        raw = model.RawValue("", 0.0, (E.UNREAD,))
    return model.RawValue(raw.value, raw.confidence, raw.evidence, raw.alternatives, (place.image, *region))  # type: ignore[arg-type]


def _agency(raw: model.RawValue, agencies: Mapping[str, Sequence[str]]) -> model.RawValue:
    """The 支援機関 row read as the one agency whose printed name it is (typed by the service)."""
    texts = [str(raw.value), *raw.alternatives]
    scores = {
        key: max(_similar(t, n) for t in texts for n in names if n)
        for key, names in agencies.items()
        if names
    }
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if ranked and ranked[0][1] >= AGENCY_MATCH and all(s <= AGENCY_OTHER for _, s in ranked[1:]):
        return model.RawValue(ranked[0][0], raw.confidence, (E.AGENCY_NAME,))
    return model.RawValue("", raw.confidence, (*raw.evidence, E.UNREAD))


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, label_form(a), label_form(b)).ratio()


# ── the answer ────────────────────────────────────────────────────────────────────────────────
def _answers(values: Mapping[str, model.RawValue], several: Sequence[str]) -> y3.ReadResult:
    """The answer with each field's certainty, or the bank's own mistakes read with certainty."""
    certainty = {
        key: model.FieldCertainty(is_certain(key, raw.evidence, loose_text=key in _LOOSE), raw.evidence)
        for key, raw in values.items()
    }
    text = {key: str(raw.value) for key, raw in values.items()}
    day = parse_date(text["disbursed_on"]) if text["disbursed_on"].strip() else None
    amount = parse_yen(text["amount_yen"]) if text["amount_yen"].strip() else None
    problems = [
        model.problem(Code.FIELD_INVALID, key, label=y3.LABELS[key], detail="several choices")
        for key in several
    ]
    sure = {key for key, c in certainty.items() if c.certain}
    if "loan_status" in sure and not text["loan_status"]:
        problems.append(model.problem(Code.FIELD_MISSING, "loan_status", label=y3.LABELS["loan_status"]))
    if {"loan_status"} <= sure and text["loan_status"] == "disbursed":
        for key, value in (("disbursed_on", day), ("amount_yen", amount)):
            if value is None and key in sure and not text[key].strip():
                problems.append(model.problem(Code.FIELD_MISSING, key, label=y3.LABELS[key]))
    if problems:
        return tuple(problems)
    return y3.ReturnedYoushiki3(
        company_name=nfkc_text(text["company_name"]),
        corporate_number="".join(ch for ch in nfkc_text(text["corporate_number"]) if ch.isdigit()),
        agency=text["agency"],
        loan_status=text["loan_status"],
        disbursed_on=day,
        amount_yen=amount if amount is not None and amount > 0 else None,
        menu=nfkc_text(text["menu"]),
        expansion_status=text["expansion_status"] or None,
        comments=text["comments"],
        reference=parse_reference(text["reference"]) or "",
        certainty=certainty,
    )
