"""The 様式1 field list (youshiki1.json) as typed values.

The project keeps its own copies of the official ``youshiki1.json`` and ``youshiki1.pdf`` under
``forms/data/`` (a test checks they match ../shared/forms when that folder is present).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType

AGENCIES: tuple[str, ...] = ("jetro", "scb", "kosha", "smrj")
AGENCY_FIELDS: tuple[str, ...] = tuple(f"agency_{a}" for a in AGENCIES)
#: The agencies that issue 様式2 and 様式3 (DOMAIN.md "Who sends what to whom").
ISSUERS: tuple[str, ...] = ("jetro", "scb")
#: Entity types counted as "corporations" by youshiki1.json's "all corporations".
CORPORATE_ENTITIES = frozenset({"corporation", "cooperative"})


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    type: str  # text date choice yen integer phone email postal_code corporate_number checkbox
    required: str | tuple[str, ...]  # "all", "all corporations", "when reapplication is checked", or agencies
    section: str
    choices: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def required_for(self, agency: str | None, entity_type: str | None, reapplication: bool) -> bool:
        """Whether this field must be filled on a form for ``agency``."""
        req = self.required
        if req == "all":
            return True
        if req == "all corporations":
            return entity_type in CORPORATE_ENTITIES
        if req == "when reapplication is checked":
            return reapplication
        if isinstance(req, tuple):
            return agency in req
        return False


@dataclass(frozen=True)
class FormSpec:
    title: str
    version: str
    fields: Mapping[str, FieldSpec]

    def __getitem__(self, key: str) -> FieldSpec:
        return self.fields[key]

    def of_type(self, *types: str) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields.values() if f.type in types)

    @property
    def acroform_names(self) -> tuple[str, ...]:
        """Field names of the fillable PDF: the keys, with ``agency`` as four checkboxes."""
        names: list[str] = []
        for key in self.fields:
            names.extend(AGENCY_FIELDS if key == "agency" else (key,))
        return tuple(names)

    def label_of(self, name: str) -> str:
        """Printed label of a field or AcroForm name (agency_jetro → the agency's printed name)."""
        if name in self.fields:
            return self.fields[name].label
        if name in AGENCY_FIELDS:
            return self.fields["agency"].choices[name.removeprefix("agency_")]
        raise KeyError(name)


def data_path(name: str) -> Path:
    """Path of a file shipped in ``forms/data``."""
    return Path(str(resources.files("forms") / "data" / name))


def parse_spec(doc: dict) -> FormSpec:
    fields: dict[str, FieldSpec] = {}
    for section in doc["sections"]:
        for fd in section["fields"]:
            req = fd.get("required", [])
            fields[fd["key"]] = FieldSpec(
                key=fd["key"],
                label=fd["label"],
                type=fd["type"],
                required=req if isinstance(req, str) else tuple(req),
                section=section["section"],
                choices=MappingProxyType(dict(fd.get("choices", {}))),
            )
    return FormSpec(title=doc["title"], version=doc["version"], fields=MappingProxyType(fields))


@cache
def load_spec(path: Path | None = None) -> FormSpec:
    """The form spec; by default the copy shipped with the package."""
    p = path or data_path("youshiki1.json")
    return parse_spec(json.loads(Path(p).read_text(encoding="utf-8")))
