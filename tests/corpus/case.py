"""A corpus case as data (``Case``) and the helpers the case lists are written with.

A form case starts from a shared sample's values (``../shared/samples/BASE.values.json``) and changes one
thing (``changes``, fill.py format). Its expected fields are the sample's normalised ones (BASE.expected.json)
minus the changed keys, plus those in the expectation (``rejected("NOT_SME:capital_yen", capital_yen=…)``).
Reasons read ``"CODE:field"`` or ``"CODE"``. make_corpus.py resolves it all into NAME.expected.json.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Any

JETRO, SCB, KOSHA, SMRJ = "jetro-fillable", "scb-shinkin-flattened", "kosha-scanned", "smrj-fillable"
F, P = "fillable", "printed"
RECEIVED_AT = "2026-06-15T10:00:00+09:00"  # R8 rules in force
AUTO = "auto"  # expected agency: the one ticked on the form (None when none or several)
SHAPES = (F, P, "scanned", "retyped", "producer", "email", "hostile", "docx", "xlsx", "doc", "xls", "fax",
          "photo")
#: Fields compared for OCR-read cases: the union of the fields required for jetro, scb and kosha.
REQUIRED_KEYS = (
    "applied_on", "agency", "company_name", "entity_type", "corporate_number", "representative",
    "hq_postal_code", "hq_address", "industry_category", "industry_detail", "capital_yen", "employees",
    "contact_name", "contact_phone", "contact_email", "loan_status", "declaration_antisocial",
    "consent_sharing", "bank_name", "bank_type", "bank_branch", "bank_officer", "bank_phone", "bank_email",
    "loan_menu", "loan_amount_yen", "req_tokyo_office", "req_license", "req_tax", "req_antisocial",
    "scb_customer",
)  # fmt: skip
EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Expect:
    status: str
    reasons: tuple[tuple[str, str | None], ...] = ()
    fields: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    agency: str | None = AUTO


def _expect(status: str, *reasons: str, agency: str | None = AUTO, **fields: Any) -> Expect:
    parsed = tuple((code, fld or None) for code, _, fld in (r.partition(":") for r in reasons))
    return Expect(status, parsed, MappingProxyType(fields), agency)


routed = partial(_expect, "routed")
rejected = partial(_expect, "rejected")
review = partial(_expect, "needs_review")
kept = partial(_expect, "automatic")  # automatic mail: kept, never answered


@dataclass(frozen=True)
class Case:
    name: str
    shape: str  # one of SHAPES
    about: str
    expect: Expect
    base: str | None = None  # a shared sample whose values.json the form starts from
    changes: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    builder: str | None = None  # retyped layout, mail kind, hostile kind, or "blot:FIELD" for a scan
    pdf_shape: str = "fillable"  # e-mails: the shape of the 様式1 they carry
    ledger: Mapping[str, Any] | None = None
    settings: Mapping[str, str] = field(default_factory=lambda: EMPTY)  # Settings field name → env value
    received_at: str = RECEIVED_AT
    slow: bool = False
    accept_low_confidence: bool = False
    seed: int = 0
    attachment: str | None = None
    compare: str = "all"  # which base fields are compared: all | required | none

    def values(self, base_values: Mapping[str, Any]) -> dict[str, Any]:
        """The values written on the form (fill.py format)."""
        return {**base_values, **self.changes}

    @property
    def agency(self) -> str | None:
        if self.expect.agency != AUTO:
            return self.expect.agency
        if "agency" in self.changes:
            chosen = self.changes["agency"]
            return chosen if isinstance(chosen, str) else None
        return self.base.split("-")[0] if self.base else None

    @property
    def blotted(self) -> str | None:  # the field a scan's blot covers
        return self.builder.removeprefix("blot:") if self.builder and self.builder[:5] == "blot:" else None

    def expected_fields(self, base_fields: Mapping[str, Any]) -> dict[str, Any]:
        if self.compare == "none" or self.base is None:
            return dict(self.expect.fields)
        out = {k: v for k, v in base_fields.items() if k not in self.changes and k != self.blotted}
        if isinstance(self.changes.get("agency"), str):
            out["agency"] = self.changes["agency"]
        out.update(self.expect.fields)
        if self.compare == "required":
            out = {k: v for k, v in out.items() if k in REQUIRED_KEYS}
        return out

    def expected_json(self, base_fields: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "shape": self.shape, "about": self.about,
            "status": self.expect.status, "agency": self.agency,
            "reasons": [{"code": c, "field": f} for c, f in self.expect.reasons],
            "fields": self.expected_fields(base_fields),
            "received_at": self.received_at, "settings": dict(self.settings),
            "ledger": dict(self.ledger) if self.ledger else None,
            "slow": self.slow, "accept_low_confidence": self.accept_low_confidence,
        }  # fmt: skip
        if self.attachment is not None:
            out["attachment"] = self.attachment
        return out


def case(name: str, shape: str, base: str | None, about: str, expect: Expect, **kw: Any) -> Case:
    changes = MappingProxyType(dict(kw.pop("changes", {})))
    return Case(name, shape, about, expect, base=base, changes=changes, **kw)


def sup(agency: str, date: str, cost: int) -> dict[str, Any]:
    return {"agency": agency, "date": date, "service": "海外ミニ調査サービス", "cost_excl_tax": cost}


def ledger(supports: list[dict], loans: tuple[str, ...] = (), frames: tuple[str, ...] = ()) -> dict:
    return {"supports": supports, "loans": [{"date": d, "amount": 50_000_000} for d in loans],
            "frames": [{"date": d} for d in frames]}  # fmt: skip
