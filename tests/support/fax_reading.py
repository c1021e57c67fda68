"""A 様式1's values as a standard-resolution fax's reading would give them (for certainty tests)."""

from __future__ import annotations

from typing import Any

from forms import model
from forms.extract.fax import at_standard_resolution
from forms.spec import AGENCY_FIELDS, load_spec

E = model.Evidence


def faxed(values: dict[str, Any], **read_as: str) -> model.Extraction:
    """The values as a standard fax's reading, two readings agreeing on each (some read as ``read_as``)."""
    spec = load_spec()
    raw: dict[str, model.RawValue] = {}
    for name in spec.acroform_names:
        value = values.get(name)
        if name in AGENCY_FIELDS:
            raw[name] = model.RawValue(name == f"agency_{values.get('agency')}", 0.99, (E.INK_CLEAR,))
        elif isinstance(value, bool):
            raw[name] = model.RawValue(value, 0.99, (E.INK_CLEAR,))
        elif value and name in spec.fields and spec.fields[name].type == "choice":
            raw[name] = model.RawValue(str(value), 0.95, (E.CHOICE_EXACT,))
        elif value:
            raw[name] = model.RawValue(read_as.get(name, str(value)), 0.95, (E.GRAMMAR, E.TWO_READINGS))
        else:
            raw[name] = model.RawValue("", 0.99, (E.BLANK,))
    standard = at_standard_resolution(model.Extraction(model.Shape.FAX, raw, 2))
    assert isinstance(standard, model.Extraction)
    return standard
