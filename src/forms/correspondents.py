"""Who the mailroom has dealt with before: evidence from earlier intakes (pure).

A bank faxes the same officers' addresses, a company sends the same name and contact address, form
after form. Once an intake was decided with a value certain — typed (a fillable or printed PDF, an
office file), read with evidence, or confirmed by a clerk — the value is *known*: the bank's e-mail
address, and, under the company's 法人番号, its name and its contact's e-mail address. A later OCR
reading that is exactly a known value is vouched for by it (``certainty``: KNOWN_ADDRESS, KNOWN_COMPANY):
a misread would have to land on the very string an earlier form of the same bank or company gave.

A company's known values are looked up by its 法人番号 only when that number is itself certain (its
check digit holds and nothing doubts it); a 個人事業者, keyed by its name, is not looked up (the name would
vouch for itself). An address a delivery report said failed is known no more (``store.correspondents``).
Unknown is no evidence either way: a bank's first fax is decided on the form's own evidence, or a clerk.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from forms.jp import corporate_number
from forms.normalize import parse_email

#: The kinds of known value, as kept in the store.
BANK_EMAIL = "bank_email"
COMPANY_NAME = "company_name"
CONTACT_EMAIL = "contact_email"
#: Decisions whose values are known afterwards: the form was decided, not handed to a clerk.
_DECIDED = frozenset({"routed", "rejected"})


@dataclass(frozen=True)
class KnownValue:
    """One value an earlier certain intake gave: its kind, the company's 法人番号 ('' for a bank's
    address) and the value in its compared form (``comparable``)."""

    kind: str
    company: str
    value: str


class Correspondents(Protocol):
    """Read access to the known values (``store.correspondents`` keeps them)."""

    def is_known(self, kind: str, company: str, value: str) -> bool: ...


@dataclass(frozen=True)
class MemoryCorrespondents:
    """Known values held in memory (tests, the benches)."""

    values: frozenset[KnownValue] = field(default_factory=frozenset)

    @classmethod
    def from_decisions(cls, decisions: Iterable[Mapping[str, Any]]) -> MemoryCorrespondents:
        return cls(frozenset(v for d in decisions for v in known_from(d)))

    def is_known(self, kind: str, company: str, value: str) -> bool:
        return KnownValue(kind, company, comparable(kind, value)) in self.values


def comparable(kind: str, value: str) -> str:
    """A value as it is compared: NFKC, no spaces; an e-mail address in lower case."""
    text = "".join(unicodedata.normalize("NFKC", value).split())
    return text.lower() if kind != COMPANY_NAME else text


def company_of(number: str) -> str | None:
    """The key a company's known values are kept under: its 法人番号 when the check digit holds."""
    return corporate_number.compact(number) if corporate_number.is_valid(number) else None


def known_from(decision: Mapping[str, Any]) -> list[KnownValue]:
    """What a decision (``model.Decision.to_json``) makes known: its certain values of a routed or
    rejected 様式1 — the bank's e-mail address, and under a valid 法人番号 the company's name and contact
    address. A value forwarded 要確認 or read without certainty teaches nothing."""
    if decision.get("status") not in _DECIDED:
        return []
    fields = decision.get("fields") or {}
    unsure = set(decision.get("unsure") or ())
    certainty = decision.get("certainty") or {}

    def certain(key: str) -> str | None:
        value = fields.get(key)
        if not isinstance(value, str) or not value.strip() or key in unsure:
            return None
        return value if certainty.get(key, {"certain": True}).get("certain") else None

    out: list[KnownValue] = []
    bank_email = certain(BANK_EMAIL)
    if bank_email and parse_email(bank_email):
        out.append(KnownValue(BANK_EMAIL, "", comparable(BANK_EMAIL, bank_email)))
    number = certain("corporate_number")
    company = company_of(number) if number else None
    if company is None:
        return out
    name, contact = certain(COMPANY_NAME), certain(CONTACT_EMAIL)
    if name:
        out.append(KnownValue(COMPANY_NAME, company, comparable(COMPANY_NAME, name)))
    if contact and parse_email(contact):
        out.append(KnownValue(CONTACT_EMAIL, company, comparable(CONTACT_EMAIL, contact)))
    return out
