"""The pure end of the pipeline: readings of one intake → one Decision.

    candidates (one ExtractResult per PDF) ─┐
    mail (sender)                           ├─▶ choose the 様式1 → normalize → validate → decide
    rulebook, ledger view                   ┘

No I/O here: the pipeline hands in what the edges read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from forms.certainty import assess
from forms.correspondents import Correspondents
from forms.errors import INFO_CODES, REVIEW_CODES, Code
from forms.ledger import LedgerView
from forms.model import (
    Decision,
    Evidence,
    Extraction,
    ExtractResult,
    FieldValue,
    Normalized,
    Problem,
    RawValue,
    Reason,
    Status,
    problem,
)
from forms.normalize import normalize
from forms.rules.loader import Rulebook
from forms.spec import AGENCY_FIELDS, FormSpec
from forms.validate import validate


@dataclass(frozen=True)
class Candidate:
    """One PDF of an intake and what reading it gave."""

    name: str | None  # attachment name as written (e-mail), or None for a file
    result: ExtractResult


@dataclass(frozen=True)
class Context:
    """What the decision depends on besides the form itself."""

    rulebook: Rulebook
    spec: FormSpec
    ledger: LedgerView | None = None
    correspondents: Correspondents | None = None  # values earlier intakes made known (certainty evidence)
    min_confidence: float = 0.9
    allowed_sender_domains: tuple[str, ...] = ()
    clerk_checked: bool = False  # a clerk looked at the reading: every value is taken as read


def apply_corrections(extraction: Extraction, corrections: Mapping[str, str]) -> Extraction:
    """The reading with a clerk's corrections over it: each is the text as the clerk typed it, keyed by
    youshiki1.json key, read as ``RawValue(text, 1.0)``; a corrected ``agency`` replaces the four
    agency boxes. The original reading is not changed (a new Extraction is returned)."""
    if not corrections:
        return extraction
    values = dict(extraction.values)
    for key, text in corrections.items():
        if key == "agency":
            for name in AGENCY_FIELDS:
                values.pop(name, None)
        values[key] = RawValue(text, 1.0)
    return dataclasses.replace(extraction, values=values)


def sender_problems(sender: str | None, allowed: Sequence[str]) -> list[Problem]:
    """SENDER_UNKNOWN when an allow-list of bank domains is configured and the sender is not on it."""
    if not allowed:
        return []
    domain = (sender or "").rpartition("@")[2].lower().strip()
    ok = any(domain == d.lower() or domain.endswith("." + d.lower()) for d in allowed)
    return [] if ok else [problem(Code.SENDER_UNKNOWN, None, sender=sender or "")]


def choose_form(candidates: Sequence[Candidate]) -> tuple[Candidate | None, list[Problem]]:
    """The first candidate that is a 様式1; otherwise why none is (one problem per unreadable PDF)."""
    for c in candidates:
        if isinstance(c.result, Extraction):
            return c, []
    unreadable = [
        _with_file(c.result, c.name)
        for c in candidates
        if isinstance(c.result, Problem) and c.result.code is Code.FORM_UNREADABLE
    ]
    if unreadable:
        return None, unreadable
    return None, [problem(Code.FORM_NOT_FOUND, None, files=len(candidates))]


def _with_file(p: Problem, name: str | None) -> Problem:
    return p if name is None else Problem(p.code, p.field, (*p.params, ("filename", name)))


def low_confidence_problems(n: Normalized, spec: FormSpec, rulebook: Rulebook | None = None) -> list[Problem]:
    """LOW_CONFIDENCE for each unsure field an intake cannot be decided without (see ``unsure``)."""
    return unsure(n, spec, rulebook)[0]


def unsure(n: Normalized, spec: FormSpec, rulebook: Rulebook | None) -> tuple[list[Problem], tuple[str, ...]]:
    """The unsure fields an intake stops on (LOW_CONFIDENCE), and those it forwards marked 要確認.

    A field stops the intake when it is needed (required for the ticked agency, or no agency is known)
    and either the rulebook says it must be certain (``certainty.stop``, unless ``certainty.forward_when``'s
    evidence vouches for the part a rule judges) or it does not read as a value
    of its type. Every other unsure field is forwarded, marked."""
    agency = n.fields.get("agency")
    entity = n.fields.get("entity_type")
    reapp = bool(n.fields.get("reapplication"))
    out: list[Problem] = []
    forwarded: list[str] = []
    for key in sorted(n.low_confidence, key=_field_order(spec)):
        fs = spec.fields.get(key)
        if fs is None:  # an agency checkbox: the agency itself is uncertain
            if key.startswith("agency_"):
                out.append(problem(Code.LOW_CONFIDENCE, "agency"))
            continue
        required = fs.required_for(agency if isinstance(agency, str) else None, _str(entity), reapp)
        evidence = n.certainty[key].evidence if key in n.certainty else ()
        stops = rulebook is None or rulebook.stops_when_unsure(key, evidence) or not _has_value(n, key)
        if key == "agency" or ((required or agency is None) and stops):
            out.append(problem(Code.LOW_CONFIDENCE, key))
        else:
            forwarded.append(key)
    return _dedupe(out), tuple(forwarded)


def _rejected_without(
    stops: Sequence[Problem], n: Normalized, others: Sequence[Problem], rulebook: Rulebook | None
) -> bool:
    """Whether the rules reject the intake and every field it stops on is one only a routed intake needs
    (``certainty.routed_only``: nothing of it goes into the reply to the bank), read as a value of its
    type: then nothing holds it up, and those fields are recorded marked 要確認."""
    if not stops or rulebook is None or status_of(others) is not Status.REJECTED:
        return False
    fields = [p.field for p in stops]
    return all(f is not None and rulebook.routed_only(f) and _has_value(n, f) for f in fields)


def _has_value(n: Normalized, key: str) -> bool:
    """A value read as its type, or a cell left blank (ink would have been read; what was written and
    struck through is no blank: the writer may have meant another value)."""
    raw = n.raw.get(key)
    if key in n.fields or raw is None:
        return True
    found = n.certainty.get(key) if n.certainty else None
    struck = found is not None and Evidence.STRUCK in found.evidence
    return isinstance(raw, str) and not raw.strip() and not struck


def _str(v: object) -> str | None:
    return v if isinstance(v, str) else None


def _field_order(spec: FormSpec) -> Callable[[str], int]:
    order = {k: i for i, k in enumerate(spec.acroform_names)}
    return lambda k: order.get(k, len(order))


def _dedupe(problems: Sequence[Problem]) -> list[Problem]:
    seen: set[tuple[Code, str | None]] = set()
    out: list[Problem] = []
    for p in problems:
        if (p.code, p.field) not in seen:
            seen.add((p.code, p.field))
            out.append(p)
    return out


def status_of(problems: Sequence[Problem]) -> Status:
    codes = {p.code for p in problems}
    if codes & REVIEW_CODES:
        return Status.NEEDS_REVIEW
    if codes - INFO_CODES:
        return Status.REJECTED
    return Status.ROUTED


def render(p: Problem, ctx: Context) -> Reason:
    """A Reason with its Japanese message from the rulebook's message table."""
    label = ""
    if p.field:
        try:
            label = ctx.spec.label_of(p.field)
        except KeyError:
            label = p.field
    return Reason(p.code, p.field, ctx.rulebook.message(p.code, label=label, **dict(p.params)))


def decide(
    source: str,
    candidates: Sequence[Candidate],
    ctx: Context,
    *,
    sender: str | None = None,
    pre_problems: Sequence[Problem] = (),
) -> Decision:
    """One decision for one intake (DOMAIN.md "Decisions")."""
    problems: list[Problem] = [*pre_problems, *sender_problems(sender, ctx.allowed_sender_domains)]
    chosen, form_problems = choose_form(candidates)
    if any(p.code in (Code.FORM_UNREADABLE, Code.TOO_MANY_ATTACHMENTS) for p in pre_problems):
        form_problems = [p for p in form_problems if p.code is not Code.FORM_NOT_FOUND]
    problems.extend(form_problems)
    if chosen is None or not isinstance(chosen.result, Extraction):
        return _decision(source, problems, ctx, fields={}, agency=None)
    n = read_fields(chosen.result, ctx, sender=sender)
    stops, forwarded = unsure(n, ctx.spec, ctx.rulebook)
    judged = [*n.problems, *validate(n, ctx.rulebook, ctx.spec, ctx.ledger)]
    if _rejected_without(stops, n, [*problems, *judged], ctx.rulebook):
        marked = {*forwarded, *(p.field for p in stops if p.field)}
        stops, forwarded = [], tuple(sorted(marked, key=_field_order(ctx.spec)))
    problems.extend(stops)
    problems.extend(judged)
    agency = n.agencies[0] if len(n.agencies) == 1 else None
    d = _decision(source, problems, ctx, fields=dict(n.fields), agency=agency)
    return dataclasses.replace(
        d, attachment=chosen.name, shape=chosen.result.shape, unsure=forwarded, certainty=n.certainty
    )


def read_fields(extraction: Extraction, ctx: Context, *, sender: str | None = None) -> Normalized:
    """The form's fields in normal form; for an OCR reading, each with its certainty from the evidence
    (forms.certainty: the reading it confirms may replace the reader's first choice)."""
    book, known = ctx.rulebook, ctx.correspondents
    assessed = None if ctx.clerk_checked else assess(extraction, ctx.spec, book, sender=sender, known=known)
    if assessed is None:
        return normalize(extraction, ctx.spec, min_confidence=ctx.min_confidence)
    return normalize(
        assessed.extraction, ctx.spec, min_confidence=ctx.min_confidence, certainty=assessed.fields
    )


def automatic(source: str, finding: Problem, ctx: Context) -> Decision:
    """The decision on automatic mail (``intake.automatic``): status 'automatic', one reason
    (AUTOMATIC_MAIL, BOUNCE_RECORDED or REPORT_UNMATCHED); no 様式1 is looked for, nothing is sent."""
    return Decision(source, Status.AUTOMATIC, None, (render(finding, ctx),), rulebook=ctx.rulebook.id)


def _decision(
    source: str, problems: list[Problem], ctx: Context, *, fields: dict[str, FieldValue], agency: str | None
) -> Decision:
    problems = _dedupe(problems)
    reasons = tuple(render(p, ctx) for p in problems)
    return Decision(source, status_of(problems), agency, reasons, fields, rulebook=ctx.rulebook.id)
