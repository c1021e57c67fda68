"""AcroForm field values of a fillable 様式1, read with qpdf (pikepdf).

Walks ``/AcroForm /Fields`` including ``/Kids``; a field's name is its terminal ``/T``, its value
``/V`` (inherited from the parent when a widget has none). Checkboxes are ticked when ``/V`` (or,
without ``/V``, the widget's ``/AS``) is a state other than ``/Off``. Which of our fields are
checkboxes comes from the form spec, not from the PDF.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pikepdf

from forms import spec

#: A fillable PDF is taken for a 様式1 when at least this many of its field names are ours.
MIN_FIELDS = 20
_MAX_DEPTH = 8
_OFF = ("/Off", "")


@dataclass(frozen=True)
class FormFields:
    """What the AcroForm holds, limited to our field names."""

    values: Mapping[str, str | bool]
    total: int  # every terminal field of the PDF, ours or not

    @property
    def found(self) -> int:
        return len(self.values)

    @property
    def is_youshiki1(self) -> bool:
        return self.found >= MIN_FIELDS

    @property
    def has_values(self) -> bool:
        return any(v is True or (isinstance(v, str) and v.strip()) for v in self.values.values())

    def is_complete(self, form: spec.FormSpec) -> bool:
        return self.found == len(form.acroform_names)


def read_fields(pdf: pikepdf.Pdf, form: spec.FormSpec) -> FormFields:
    """Values of our fields in ``pdf``'s AcroForm (an empty FormFields when there is none)."""
    raw: dict[str, object] = {}
    try:
        acroform = pdf.Root.get("/AcroForm")
        fields = acroform.get("/Fields") if isinstance(acroform, pikepdf.Dictionary) else None
        if isinstance(fields, pikepdf.Array):
            _walk(fields, raw, None, 0, set())
    except (pikepdf.PdfError, ValueError, RuntimeError, TypeError, AttributeError):
        pass  # a damaged form reads as what could be read; the caller judges completeness
    names = set(form.acroform_names)
    checkboxes = _checkbox_names(form)
    values: dict[str, str | bool] = {}
    for name, value in raw.items():
        if name in names:
            values[name] = _checked(value) if name in checkboxes else _text(value)
        elif name == "agency" and isinstance(value, pikepdf.Name):
            _agency_radio(str(value), values)  # a bank tool that made the agency a radio group
    return FormFields(values=values, total=len(raw))


def _walk(kids: pikepdf.Array, out: dict[str, object], inherited: object, depth: int, seen: set) -> None:
    """Terminal fields' values into ``out`` (the first of a name wins); a parent is walked once (``seen``:
    a field listed twice would add nothing, as its first reading stays)."""
    if depth > _MAX_DEPTH:
        return
    for item in kids:
        if not isinstance(item, pikepdf.Dictionary):
            continue
        value = _get(item, "/V", inherited)
        sub = _get(item, "/Kids")
        if isinstance(sub, pikepdf.Array) and len(sub) and _has_named_kid(sub):
            key = item.objgen
            if key in seen:
                continue
            if key != (0, 0):
                seen.add(key)
            _walk(sub, out, value, depth + 1, seen)
            continue
        name = item.get("/T")  # every field has one: get is cheapest for a key that is there
        if name is None:
            continue
        if value is None:
            value = _widget_state(item, sub)
        out.setdefault(str(name), value)


def _get(item: pikepdf.Dictionary, key: str, default: object = None) -> object:
    """``item.get(key, default)``, asked first whether the key is there: pikepdf's ``get`` of a key
    that is not costs an exception inside (~2 µs; a field walk asks for ``/Kids`` of every field)."""
    return item[key] if key in item else default  # noqa: SIM401 (the point: not get)


def _has_named_kid(kids: pikepdf.Array) -> bool:
    return any(isinstance(k, pikepdf.Dictionary) and "/T" in k for k in kids)


def _widget_state(field: pikepdf.Dictionary, kids: object) -> object:
    """``/AS`` of the field's widget(s), for a checkbox written without ``/V``."""
    widgets = list(kids) if isinstance(kids, pikepdf.Array) else [field]
    for w in widgets:
        state = w.get("/AS") if isinstance(w, pikepdf.Dictionary) else None
        if isinstance(state, pikepdf.Name) and str(state) not in _OFF:
            return state
    return None


def _checked(value: object) -> bool:
    if isinstance(value, pikepdf.Name):
        return str(value) not in _OFF
    if isinstance(value, pikepdf.String):
        return str(value).strip() not in ("", "Off")
    return False


def _text(value: object) -> str:
    if isinstance(value, pikepdf.String):
        return str(value)
    if isinstance(value, pikepdf.Name):
        return str(value).removeprefix("/")
    if isinstance(value, pikepdf.Array):
        return ", ".join(_text(v) for v in value)
    return ""


def _agency_radio(state: str, values: dict[str, str | bool]) -> None:
    chosen = state.removeprefix("/")
    for agency in spec.AGENCIES:
        values[f"agency_{agency}"] = agency == chosen


def _checkbox_names(form: spec.FormSpec) -> frozenset[str]:
    return frozenset(f.key for f in form.of_type("checkbox")) | frozenset(spec.AGENCY_FIELDS)
