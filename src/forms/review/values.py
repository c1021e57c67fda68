"""The values the review gives out: one intake as a clerk sees it, a contact deadline, and the
review's error. Pure: built from store records and readings, nothing read here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from forms import model
from forms.spec import AGENCY_FIELDS
from forms.store import EventRow, IntakeRow


@dataclass(frozen=True)
class IntakeView:
    """One intake for a clerk.

    ``decision`` is the stored decision (an intake not decided yet — received, processing, failed —
    shows as needs_review without reasons; ``row.state`` tells which). ``fields`` are the normalised
    fields with the clerk's corrections applied; ``raw`` is the reading as the readers gave it, keyed by
    AcroForm name (the agency as ``agency_jetro`` …), each (value, confidence); ``low_confidence`` the
    fields read under the OCR threshold (``agency`` for the agency boxes); ``corrections`` the clerk's,
    as typed. ``handled_at``/``handled_by``: when and by whom a clerk dealt with it. For an OCR reading,
    ``certainty`` says of each field (youshiki1.json key) whether it is certain and why, ``regions``
    where on the page it was read.
    """

    row: IntakeRow
    decision: model.Decision
    fields: Mapping[str, model.FieldValue]
    raw: dict[str, tuple[str | bool, float]]
    low_confidence: frozenset[str]
    corrections: dict[str, str]
    events: list[EventRow]
    pages: int
    shape: str | None
    handled_at: dt.datetime | None = None
    handled_by: str | None = None
    certainty: Mapping[str, model.FieldCertainty] = field(default_factory=dict)
    regions: Mapping[str, model.Region] = field(default_factory=dict)


@dataclass(frozen=True)
class DeadlineRow:
    """A routed intake the agency must contact the company about (DOMAIN rule 11)."""

    intake_id: int
    reference: str | None
    agency: str
    company_name: str | None
    received_on: dt.date
    due: dt.date
    overdue: bool
    days_left: int  # calendar days until ``due`` (negative when overdue)


def stored_decision(row: IntakeRow) -> model.Decision:
    """The decision as stored; an undecided intake as needs_review without reasons."""
    if row.decision is not None:
        return model.decision_from_json(row.decision)
    return model.Decision(row.source or f"intake {row.id}", model.Status.NEEDS_REVIEW, row.agency, ())


def outcome_text(decision: model.Decision | Mapping[str, Any] | None) -> str:
    """A decision in one short line for tables: the status and its reason codes, e.g.
    ``rejected NOT_IN_TOKYO,FIELD_MISSING``."""
    if decision is None:
        return "-"
    d = decision if isinstance(decision, model.Decision) else model.decision_from_json(decision)
    codes = ",".join(str(r.code) for r in d.reasons)
    return f"{d.status} {codes}" if codes else str(d.status)


def regions(extraction: model.Extraction | None) -> dict[str, model.Region]:
    """Where each field (youshiki1.json key) was read on its page; the agency: the four boxes' row."""
    if extraction is None:
        return {}
    out = {name: raw.region for name, raw in extraction.values.items() if raw.region is not None}
    boxes = [out.pop(name) for name in AGENCY_FIELDS if name in out]
    if boxes:
        page = boxes[0][0]
        x0, y0 = min(b[1] for b in boxes), min(b[2] for b in boxes)
        out["agency"] = (page, x0, y0, max(b[3] for b in boxes), max(b[4] for b in boxes))
    return out


def raw_values(extraction: model.Extraction | None) -> dict[str, tuple[str | bool, float]]:
    if extraction is None:
        return {}
    return {name: (raw.value, raw.confidence) for name, raw in extraction.values.items()}
