"""A valid normalised 様式1 (the jetro-fillable sample) to vary, and a ledger to judge it by."""

from __future__ import annotations

import datetime as dt

from forms.errors import Code
from forms.ledger import CompanyKey, FrameGrant, LoanRecord, MemoryLedger, SupportRecord
from forms.model import FieldValue, Normalized, Problem
from forms.rules.loader import load_rulebooks
from forms.rules.schema import Rulebook
from forms.spec import FormSpec, load_spec
from forms.validate import validate

RB: Rulebook = load_rulebooks().for_date(dt.date(2026, 5, 1))
SPEC: FormSpec = load_spec()
NUMBER = "4010001234567"
KEY = CompanyKey.for_corporation(NUMBER)

#: A complete, valid jetro 様式1 (the jetro-fillable sample), normalised.
BASE: dict[str, FieldValue] = {
    "applied_on": dt.date(2026, 5, 12),
    "company_name": "株式会社サンプル精機",
    "entity_type": "corporation",
    "corporate_number": NUMBER,
    "representative": "代表取締役 見本 太郎",
    "hq_postal_code": "144-0052",
    "hq_address": "東京都大田区蒲田9丁目8番7号",
    "industry_category": "manufacturing_other",
    "industry_detail": "精密金属部品製造業(切削加工)",
    "capital_yen": 30_000_000,
    "employees": 45,
    "contact_name": "見本 花子",
    "contact_phone": "03-1234-5678",
    "contact_email": "hanako@sample.example.co.jp",
    "loan_status": "planned",
    "declaration_antisocial": True,
    "consent_sharing": True,
    "bank_name": "みほん銀行",
    "bank_type": "bank",
    "bank_branch": "蒲田支店",
    "bank_officer": "例示 一郎",
    "bank_phone": "03-9876-5432",
    "bank_email": "kaigai@mihon-bank.example.jp",
    "loan_menu": "経営一般",
    "loan_amount_yen": 50_000_000,
    "req_tokyo_office": True,
    "req_license": True,
    "req_tax": True,
    "req_antisocial": True,
    "scb_customer": False,
    "reapplication": False,
}


def form(
    *agencies: str,
    problems: tuple[Problem, ...] = (),
    low_confidence: frozenset[str] = frozenset(),
    **changes: FieldValue,
) -> Normalized:
    """A normalised form: BASE with ``changes`` (None removes a field), for the ticked ``agencies``."""
    agencies = agencies or ("jetro",)
    fields = {**BASE, **changes}
    if "scb" in agencies and "scb_customer" not in changes:
        fields["scb_customer"] = True
    if "scb" in agencies and "bank_type" not in changes:
        fields["bank_type"] = "shinkin"
    fields = {k: v for k, v in fields.items() if v is not None}
    if len(agencies) == 1:
        fields["agency"] = agencies[0]
    return Normalized(fields, tuple(agencies), raw={}, problems=problems, low_confidence=low_confidence)


def check(n: Normalized, ledger: MemoryLedger | None = None) -> list[tuple[Code, str | None]]:
    return [(p.code, p.field) for p in validate(n, RB, SPEC, ledger)]


def codes(n: Normalized, ledger: MemoryLedger | None = None) -> set[Code]:
    return {c for c, _ in check(n, ledger)}


def ledger(
    used: int, loan: dt.date | None = None, grants: tuple[FrameGrant, ...] = (), key: CompanyKey = KEY
) -> MemoryLedger:
    supports = [SupportRecord("jetro", dt.date(2026, 6, 1), "支援ナビゲーター", used)] if used else []
    supports.append(SupportRecord("kosha", dt.date(2026, 6, 1), "越境EC出品支援", 500_000))
    loans = [LoanRecord(loan, 50_000_000)] if loan else []
    return MemoryLedger(1_000_000, supports={key: supports}, loans={key: loans}, grants={key: list(grants)})
