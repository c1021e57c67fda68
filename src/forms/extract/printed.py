"""A printed 様式1 (a text layer) read by its labels, its silent ticks read from the ink, and every
field the reading cannot be sure of handed to a clerk (confidence 0 → LOW_CONFIDENCE).

A field is unsure when:
- its label is not found although some agency requires it (a label the reader could not put back
  together must not become FIELD_MISSING or DECLARATION_MISSING);
- it was read twice with two different values, or text no label claims lies where its value would be;
- it is a checkbox (or the agency row) whose text says nothing certain and whose ink is unclear;
- it is a choice whose text holds the printed hint or several of the choices (a wrapped option list).
"""

from __future__ import annotations

from collections.abc import Mapping

from forms import model, spec
from forms.extract import labels, marks, ticks
from forms.extract.pdf import Pages
from forms.extract.textlayer import TextLayer

UNSURE = 0.0
_HINT = "のいずれか"


def read_printed(layer: TextLayer, form: spec.FormSpec) -> labels.LabelReading | None:
    """The labels read from the text layer, or None when too few are found for a 様式1."""
    reading = labels.read_labels(layer.lines, form)
    return reading if reading.labels_found >= labels.MIN_LABELS else None


def values_of(
    pages: Pages, layer: TextLayer, reading: labels.LabelReading, form: spec.FormSpec
) -> dict[str, model.RawValue]:
    """Every value read, the ticks the text leaves open read from the ink, unsure ones at confidence 0."""
    ink = marks.read_marks(pages, reading.sites, _text_boxes(layer), layer.runs) if reading.sites else {}
    return reading_values(reading, form, ink)


def reading_values(
    reading: labels.LabelReading, form: spec.FormSpec, ink: Mapping[str, marks.Mark] | None = None
) -> dict[str, model.RawValue]:
    """The values of a reading by labels, unsure ones at confidence 0. Without ``ink`` (a Word or Excel
    file: its text is all there is), a blank checkbox is unticked and one with text that is neither a
    mark nor yes/no is unsure; agencies named without a mark are decided by the others' marks."""
    if ink is None:
        ink = {s.key: marks.Mark(False, not s.keep, bool(s.keep)) for s in reading.sites}
    values = {
        key: model.RawValue(value, UNSURE if key in reading.unsure or _polluted(key, value, form) else 1.0)
        for key, value in reading.values.items()
    }
    values.update({key: mark.raw() for key, mark in ink.items() if key in reading.values})
    values.update(_agencies(reading, ink))
    for key in _missing(reading, form):
        values[key] = model.RawValue(False if key in labels.LabelIndex.of(form).checkboxes else "", UNSURE)
    return values


def _text_boxes(layer: TextLayer) -> dict[int, list[tuple[float, float, float, float]]]:
    """Every span's box (x0, x1, bottom, top), by page (a list made per line: ~3× faster than a generator
    extending the page's)."""
    out: dict[int, list[tuple[float, float, float, float]]] = {}
    for line in layer.lines:
        boxes = out.get(line.page)
        if boxes is None:
            boxes = out[line.page] = []
        bottom, top = line.bottom, line.top
        boxes += [(s.x0, s.x1, bottom, top) for s in line.spans]
    return out


def _agencies(reading: labels.LabelReading, ink: Mapping[str, marks.Mark]) -> dict[str, model.RawValue]:
    if reading.agency_written is None:
        return {name: model.RawValue(False, UNSURE) for name in spec.AGENCY_FIELDS}
    by_agency = {key.removeprefix("agency_"): (m.ticked, m.sure, m.drawn) for key, m in ink.items()}
    decided = ticks.decide_agencies(reading.agency_names, by_agency)
    if not reading.agency_names and ticks.normal(reading.agency_written):
        decided = None  # text on the agency row that names no agency
    if decided is None:
        return {name: model.RawValue(False, UNSURE) for name in spec.AGENCY_FIELDS}
    return {name: model.RawValue(ticked) for name, ticked in decided.items()}


def _missing(reading: labels.LabelReading, form: spec.FormSpec) -> list[str]:
    """Fields some agency requires whose label was not found at all."""
    return [
        f.key
        for f in form.fields.values()
        if f.key != "agency"
        and f.key not in reading.found
        and f.required
        and not str(f.required).startswith("when")
    ]


def _polluted(key: str, value: str | bool, form: spec.FormSpec) -> bool:
    """A choice written with the form's hint, or naming two or more of its choices: a wrapped option list."""
    f = form.fields.get(key)
    if f is None or f.type != "choice" or not isinstance(value, str):
        return False
    written = ticks.normal(value)
    named = sum(1 for label in f.choices.values() if ticks.normal(label) in written)
    return _HINT in written or named >= 2
