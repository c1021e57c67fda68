"""The documents the service issues: 様式2 支援内容報告書 and 様式3 融資及び海外展開の状況報告.

    ledger records / 様式1 fields / rulebook / dates ──youshiki2_data, youshiki3_data──▶ Youshiki2, Youshiki3
    Youshiki2 / Youshiki3 + templates/documents/*.docx|*.html ──render──▶ .docx bytes / PDF bytes
    many documents ──batch──▶ files in a folder, both cores busy, with a progress bar

The builders (``youshiki2``, ``youshiki3``) are pure: every value a document shows is a field of a
frozen dataclass (amounts as integer yen, dates as ``datetime.date``); the templates format them with
the ``yen`` and ``wareki`` filters. This module holds the parties both documents name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from forms.rules.schema import Rulebook


def text_of(fields: Mapping[str, object], key: str) -> str:
    """A 様式1 field as text for a document ('' when absent)."""
    value = fields.get(key)
    return "" if value is None or isinstance(value, bool) else str(value).strip()


@dataclass(frozen=True)
class CompanyInfo:
    """The company a document is about, as 様式1 names it."""

    name: str
    corporate_number: str = ""
    representative: str = ""
    postal_code: str = ""
    address: str = ""

    @classmethod
    def from_fields(cls, fields: Mapping[str, object]) -> CompanyInfo:
        """From the normalised fields of a 様式1 (``Decision.fields``)."""
        return cls(
            name=text_of(fields, "company_name"),
            corporate_number=text_of(fields, "corporate_number"),
            representative=text_of(fields, "representative"),
            postal_code=text_of(fields, "hq_postal_code"),
            address=text_of(fields, "hq_address"),
        )


@dataclass(frozen=True)
class BankInfo:
    """The introducing bank (金融機関) and its branch and officer, as 様式1 names them."""

    name: str
    branch: str = ""
    officer: str = ""
    phone: str = ""
    email: str = ""

    @classmethod
    def from_fields(cls, fields: Mapping[str, object]) -> BankInfo | None:
        """From the normalised fields of a 様式1; None when the form names no bank."""
        name = text_of(fields, "bank_name")
        if not name:
            return None
        return cls(
            name=name,
            branch=text_of(fields, "bank_branch"),
            officer=text_of(fields, "bank_officer"),
            phone=text_of(fields, "bank_phone"),
            email=text_of(fields, "bank_email"),
        )


@dataclass(frozen=True)
class Issuer:
    """The issuing agency with its return address (from the rulebook's agency table)."""

    key: str
    name: str
    short_name: str
    post: str = ""
    fax: str = ""
    email: str = ""

    @classmethod
    def from_rulebook(cls, rulebook: Rulebook, agency: str) -> Issuer:
        """The agency ``agency`` of ``rulebook``; ValueError when the rulebook has no such agency."""
        found = rulebook.agency(agency)
        if found is None:
            raise ValueError(f"rulebook {rulebook.id} has no agency {agency!r}")
        return cls(
            key=agency,
            name=found.name,
            short_name=found.short_name,
            post=found.post or "",
            fax=found.fax or "",
            email=found.email or "",
        )
