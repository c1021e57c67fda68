"""The support ledger of one company, as pure values (the store that persists records comes later).

A company is named by its 法人番号, or for a 個人事業者 by normalised name + postal code. What
jetro and scb spend on a company together is capped per frame (1,000,000 yen excluding tax in R8);
kosha and smrj support is recorded but never counted. A valid re-application grants one more
frame. Amounts are integer yen; there are no floats anywhere.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from forms.model import Decision, Status
from forms.normalize import normalize_company_name

#: Agencies whose support counts toward the shared cap unless told otherwise (the rulebook says).
DEFAULT_CAPPED_AGENCIES = frozenset({"jetro", "scb"})
_DIGITS = re.compile(r"[0-9]")


def _require_yen(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be integer yen, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must not be negative: {value}")


@dataclass(frozen=True)
class SupportRecord:
    """One support given to a company (a row of 様式2)."""

    agency: str
    date: dt.date
    service: str
    cost_excl_tax: int
    tax: int = 0
    summary: str = ""

    def __post_init__(self) -> None:
        _require_yen("cost_excl_tax", self.cost_excl_tax)
        _require_yen("tax", self.tax)

    def to_json(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "date": self.date.isoformat(),
            "service": self.service,
            "cost_excl_tax": self.cost_excl_tax,
            "tax": self.tax,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class LoanRecord:
    """A disbursement (資金交付) of a loan under the Tokyo scheme."""

    date: dt.date
    amount: int
    menu: str = ""

    def __post_init__(self) -> None:
        _require_yen("amount", self.amount)

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "amount": self.amount, "menu": self.menu}


@dataclass(frozen=True)
class FrameGrant:
    """One more frame granted by a routed, valid re-application."""

    date: dt.date


def postal_key(postal_code: str) -> str:
    """144-0052, 〒1440052, １４４－００５２ → 144-0052 (anything else: its digits)."""
    digits = "".join(_DIGITS.findall(unicodedata.normalize("NFKC", postal_code)))
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 else digits


@dataclass(frozen=True)
class CompanyKey:
    """Who a company is: its 法人番号, else (個人事業者) normalised name + postal code."""

    corporate_number: str | None = None
    name_key: str | None = None
    postal_code: str | None = None

    @classmethod
    def for_corporation(cls, corporate_number: str) -> CompanyKey:
        return cls(corporate_number=corporate_number.strip())

    @classmethod
    def for_sole_proprietor(cls, company_name: str, postal_code: str) -> CompanyKey:
        return cls(name_key=normalize_company_name(company_name), postal_code=postal_key(postal_code))

    @classmethod
    def from_fields(cls, fields: Mapping[str, object]) -> CompanyKey | None:
        """The key of a 様式1's company, or None when the form names it neither way."""
        number = fields.get("corporate_number")
        if isinstance(number, str) and number.strip():
            return cls.for_corporation(number)
        name, postal = fields.get("company_name"), fields.get("hq_postal_code")
        if isinstance(name, str) and isinstance(postal, str) and name.strip() and postal.strip():
            return cls.for_sole_proprietor(name, postal)
        return None

    def __str__(self) -> str:
        return self.corporate_number or f"{self.name_key} {self.postal_code}"


@dataclass(frozen=True)
class CompanyLedger:
    """What one company has received: supports, loan disbursements, granted frames."""

    supports: Sequence[SupportRecord]
    loans: Sequence[LoanRecord]
    grants: Sequence[FrameGrant]
    cap_per_frame: int
    capped_agencies: frozenset[str] = DEFAULT_CAPPED_AGENCIES

    def __post_init__(self) -> None:
        _require_yen("cap_per_frame", self.cap_per_frame)

    @property
    def frames(self) -> int:
        """1, plus one per granted re-application."""
        return 1 + len(self.grants)

    @property
    def cap(self) -> int:
        return self.frames * self.cap_per_frame

    @property
    def used(self) -> int:
        """Σ cost excluding tax of the supports of the capped agencies (jetro + scb)."""
        return sum(s.cost_excl_tax for s in self.supports if s.agency in self.capped_agencies)

    @property
    def remaining(self) -> int:
        return self.cap - self.used

    def disbursed_since_last_frame(self) -> bool:
        """A loan dated after the last granted frame, or (no frame granted yet) after the first support."""
        if self.grants:
            since = max(g.date for g in self.grants)
        elif self.supports:
            since = min(s.date for s in self.supports)
        else:
            return False
        return any(loan.date > since for loan in self.loans)

    def to_json(self) -> dict[str, Any]:
        return {
            "cap": self.cap,
            "used": self.used,
            "remaining": self.remaining,
            "frames": self.frames,
            "disbursed_since_last_frame": self.disbursed_since_last_frame(),
            "supports": [s.to_json() for s in sorted(self.supports, key=lambda s: s.date)],
            "loans": [loan.to_json() for loan in sorted(self.loans, key=lambda r: r.date)],
            "frame_grants": [g.date.isoformat() for g in sorted(self.grants, key=lambda g: g.date)],
        }


class LedgerView(Protocol):
    """Read access to the ledger: one company's records (an unknown company has an empty ledger)."""

    def company(self, key: CompanyKey) -> CompanyLedger: ...


def _frozen_lists(m: Mapping[CompanyKey, Sequence[Any]]) -> Mapping[CompanyKey, tuple[Any, ...]]:
    return MappingProxyType({k: tuple(v) for k, v in m.items()})


@dataclass(frozen=True)
class MemoryLedger:
    """A LedgerView over records held in memory (tests, the CLI's dry runs)."""

    cap_per_frame: int
    supports: Mapping[CompanyKey, Sequence[SupportRecord]] = field(default_factory=dict)
    loans: Mapping[CompanyKey, Sequence[LoanRecord]] = field(default_factory=dict)
    grants: Mapping[CompanyKey, Sequence[FrameGrant]] = field(default_factory=dict)
    capped_agencies: frozenset[str] = DEFAULT_CAPPED_AGENCIES

    def __post_init__(self) -> None:
        for name in ("supports", "loans", "grants"):
            object.__setattr__(self, name, _frozen_lists(getattr(self, name)))

    def company(self, key: CompanyKey) -> CompanyLedger:
        return CompanyLedger(
            supports=self.supports.get(key, ()),
            loans=self.loans.get(key, ()),
            grants=self.grants.get(key, ()),
            cap_per_frame=self.cap_per_frame,
            capped_agencies=self.capped_agencies,
        )


def frame_for(decision: Decision, capped_agencies: frozenset[str]) -> CompanyKey | None:
    """The company a decision grants its next frame: a routed, valid re-application to a capped
    agency (the ledger's rule 8 let it through), once it is recorded; None for any other decision."""
    if decision.status is not Status.ROUTED or decision.agency not in capped_agencies:
        return None
    if decision.fields.get("reapplication") is not True:
        return None
    return CompanyKey.from_fields(decision.fields)
