"""Validation (pure): a normalised 様式1 + the rulebook in force + a ledger view → Problems.

Every rule is evaluated and every failure reported, one Problem per failure, naming the field it
concerns, so that a bank fixes everything in one round. When several agencies are ticked the
agency-scoped rules run for each of them and identical (code, field) problems are reported once.
Messages are not made here: a Problem carries the parameters its message needs (the decision
stage adds the field's printed label).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from forms.errors import Code
from forms.jp import corporate_number as corpnum
from forms.ledger import CompanyKey, LedgerView
from forms.model import FieldValue, Normalized, Problem, problem
from forms.rules.schema import Rulebook, RuleName
from forms.spec import FormSpec

BASIC_REQUIREMENTS = ("req_tokyo_office", "req_license", "req_tax", "req_antisocial")
DECLARATIONS = ("declaration_antisocial", "consent_sharing")
SCB_CUSTOMER = "scb_customer"
SHINKIN = "shinkin"
SOLE_PROPRIETOR = "sole_proprietor"


@dataclass(frozen=True)
class Check:
    """One form judged for one ticked agency (``agency`` is None when none is ticked)."""

    n: Normalized
    rulebook: Rulebook
    spec: FormSpec
    ledger: LedgerView | None
    agency: str | None

    def applies(self, rule: RuleName) -> bool:
        return self.rulebook.applies(rule, self.agency)

    def value(self, key: str) -> FieldValue:
        return self.n.fields.get(key)

    def text(self, key: str) -> str | None:
        """The field's text, or None when it is blank or not text."""
        v = self.value(key)
        return v if isinstance(v, str) and v.strip() else None

    def number(self, key: str) -> int | None:
        v = self.value(key)
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    def ticked(self, key: str) -> bool:
        return self.value(key) is True

    def blank(self, key: str) -> bool:
        v = self.value(key)
        return v is None or (isinstance(v, str) and not v.strip())

    @cached_property
    def flagged(self) -> frozenset[str]:
        """Fields normalisation already reported (FIELD_INVALID …) or read with low confidence."""
        return frozenset(p.field for p in self.n.problems if p.field) | self.n.low_confidence

    def choice_label(self, key: str) -> str:
        v = self.value(key)
        return self.spec[key].choices.get(str(v), str(v)) if key in self.spec.fields else str(v)

    @property
    def agency_name(self) -> str:
        return self.rulebook.agency_name(self.agency or "")


Rule = Callable[[Check], list[Problem]]


# ── rule 1: the agency ───────────────────────────────────────────────────────────────────────
def agency_count(n: Normalized, rulebook: Rulebook) -> list[Problem]:
    """Exactly one agency is ticked (run once per form, not per agency)."""
    if not n.agencies:
        flagged = "agency" in n.low_confidence or any(p.field == "agency" for p in n.problems)
        return [] if flagged else [problem(Code.AGENCY_MISSING, "agency")]
    if len(n.agencies) > 1:
        names = "、".join(rulebook.agency_name(a) for a in n.agencies)
        return [problem(Code.AGENCY_MULTIPLE, "agency", agencies=names)]
    return []


def direct_only(c: Check) -> list[Problem]:
    """An agency that takes no applications through banks (smrj): the company applies itself."""
    agency = c.rulebook.agency(c.agency or "")
    if agency is None or agency.takes_bank_applications:
        return []
    return [problem(Code.SMRJ_DIRECT_ONLY, "agency", agency=agency.short_name, url=agency.guidance_url)]


# ── required fields and ticks ────────────────────────────────────────────────────────────────
def required_fields(c: Check) -> list[Problem]:
    """FIELD_MISSING for each blank field youshiki1.json requires (checkboxes have their own codes)."""
    entity = c.text("entity_type")
    reapplication = c.ticked("reapplication")
    out = []
    for key, fs in c.spec.fields.items():
        if key == "agency" or fs.type == "checkbox" or key in c.flagged:
            continue
        if fs.required_for(c.agency, entity, reapplication) and c.blank(key):
            out.append(problem(Code.FIELD_MISSING, key))
    return out


def _unticked(c: Check, keys: Iterable[str], code: Code) -> list[Problem]:
    return [problem(code, k) for k in keys if not c.ticked(k) and k not in c.flagged]


def basic_requirements(c: Check) -> list[Problem]:
    """Rule 3: the bank confirms basic requirements (1)–(4) (jetro, scb)."""
    if not c.applies("basic_requirements"):
        return []
    return _unticked(c, BASIC_REQUIREMENTS, Code.BASIC_REQUIREMENT_UNCONFIRMED)


def declarations(c: Check) -> list[Problem]:
    """Rule 10: declaration_antisocial and consent_sharing are ticked (every form)."""
    return _unticked(c, DECLARATIONS, Code.DECLARATION_MISSING)


def scb_customer(c: Check) -> list[Problem]:
    """Rule 2: the company is (or may become) a 信用金庫 customer."""
    return _unticked(c, (SCB_CUSTOMER,), Code.SCB_NOT_CUSTOMER) if c.applies("scb_customer") else []


# ── rules 2–6: who may apply ─────────────────────────────────────────────────────────────────
def scb_requires_shinkin(c: Check) -> list[Problem]:
    """Rule 2: scb only through a 信用金庫 (a blank 業態 is FIELD_MISSING)."""
    bank_type = c.text("bank_type")
    if not c.applies("scb_requires_shinkin") or bank_type is None or bank_type == SHINKIN:
        return []
    return [problem(Code.SCB_REQUIRES_SHINKIN, "bank_type", value=c.choice_label("bank_type"))]


def loan_scheme(c: Check) -> list[Problem]:
    """Rule 3: the company uses or plans the Tokyo loan scheme (a blank status is FIELD_MISSING)."""
    status = c.text("loan_status")
    if not c.applies("loan_scheme") or status is None or status in c.rulebook.loan_scheme.eligible_statuses:
        return []
    label = c.choice_label("loan_status")
    return [problem(Code.LOAN_STATUS_INELIGIBLE, "loan_status", agency=c.agency_name, value=label)]


def in_tokyo(c: Check) -> list[Problem]:
    """Rule 4: the head office or a Tokyo office is in Tokyo."""
    keys = ("hq_address", "tokyo_office_address")
    if not c.applies("in_tokyo") or any(k in c.flagged for k in keys):
        return []
    addresses = [a for a in (c.text(k) for k in keys) if a is not None]
    if not addresses or any(c.rulebook.is_tokyo_address(a) for a in addresses):
        return []
    return [problem(Code.NOT_IN_TOKYO, "hq_address", agency=c.agency_name, value=addresses[0])]


def guarantee_industry(c: Check) -> list[Problem]:
    """Rule 5: the business is one the credit guarantee covers (judged by what it IS)."""
    detail = c.text("industry_detail")
    if not c.applies("guarantee_industry") or detail is None:
        return []
    industry = c.rulebook.industry_of(detail)
    if industry is None or not industry.excluded:
        return []
    return [problem(Code.EXCLUDED_INDUSTRY, "industry_detail", value=detail, industry=industry.name)]


def sme(c: Check) -> list[Problem]:
    """Rule 6: capital OR employees at or under the limit of the industry (個人事業者: employees only)."""
    entity = c.text("entity_type")
    if not c.applies("sme") or entity in c.rulebook.sme_limits.exempt_entity_types:
        return []
    category = c.text("industry_category")
    limit, employees = c.rulebook.sme_limit(category), c.number("employees")
    if limit is None or employees is None or employees <= limit.employees:
        return []
    capital = c.number("capital_yen")
    if entity != SOLE_PROPRIETOR and (capital is None or capital <= limit.capital_yen):
        return []  # an unknown capital is FIELD_MISSING / FIELD_INVALID, not a refusal
    field = "employees" if entity == SOLE_PROPRIETOR else "capital_yen"
    return [
        problem(
            Code.NOT_SME,
            field,
            category=c.choice_label("industry_category"),
            capital_limit=limit.capital_yen,
            employee_limit=limit.employees,
            capital=capital,
            employees=employees,
        )
    ]


def small_business(c: Check) -> list[Problem]:
    """Rule 6 (information): 小規模企業者 are reported, never refused."""
    limit = c.rulebook.small_business_limit(c.text("industry_category"))
    employees = c.number("employees")
    if not c.applies("small_business") or limit is None or employees is None or employees > limit:
        return []
    category = c.choice_label("industry_category")
    return [problem(Code.SMALL_BUSINESS, "employees", category=category, limit=limit)]


# ── rules 7, 9: values that are written ──────────────────────────────────────────────────────
def loan_limit(c: Check) -> list[Problem]:
    """Rule 7: the loan amount is at most the limit (組合: the higher one)."""
    amount = c.number("loan_amount_yen")
    limit = c.rulebook.loan_limit(c.text("entity_type"))
    if amount is None or amount <= limit:
        return []
    return [problem(Code.LOAN_AMOUNT_OVER_LIMIT, "loan_amount_yen", value=amount, limit=limit)]


def corporate_number(c: Check) -> list[Problem]:
    """Rule 9: a well-formed 法人番号 carries its check digit (malformed is FIELD_INVALID)."""
    number = c.text("corporate_number")
    if number is None or "corporate_number" in c.flagged or corpnum.is_valid(number):
        return []
    code = Code.CORPORATE_NUMBER_INVALID if corpnum.is_well_formed(number) else Code.FIELD_INVALID
    return [problem(code, "corporate_number", value=number)]


# ── rule 8: the shared cap ───────────────────────────────────────────────────────────────────
def shared_cap(c: Check) -> list[Problem]:
    """Rule 8: jetro + scb spend at most the cap; a valid re-application grants one more frame."""
    key = CompanyKey.from_fields(c.n.fields)
    if not c.applies("shared_cap") or c.ledger is None or key is None:
        return []
    ledger = c.ledger.company(key)
    reapplication = c.ticked("reapplication")
    disbursed = ledger.disbursed_since_last_frame()
    out = []
    if reapplication and c.blank("reapplication_reason") and "reapplication_reason" not in c.flagged:
        out.append(problem(Code.FIELD_MISSING, "reapplication_reason"))
    if reapplication and not disbursed:
        out.append(problem(Code.REAPPLICATION_INVALID, "reapplication"))
    valid_reapplication = reapplication and disbursed and not c.blank("reapplication_reason")
    if ledger.remaining <= 0 and not valid_reapplication:
        out.append(
            problem(Code.BUDGET_EXHAUSTED, None, cap=ledger.cap, used=ledger.used, remaining=ledger.remaining)
        )
    return out


#: The rules run for each ticked agency, in the order their problems are reported.
RULES: tuple[Rule, ...] = (
    direct_only,
    required_fields,
    scb_requires_shinkin,
    scb_customer,
    loan_scheme,
    basic_requirements,
    in_tokyo,
    guarantee_industry,
    sme,
    small_business,
    loan_limit,
    corporate_number,
    declarations,
    shared_cap,
)


def validate(n: Normalized, rulebook: Rulebook, spec: FormSpec, ledger: LedgerView | None) -> list[Problem]:
    """Every failure of every rule, once per (code, field)."""
    problems = agency_count(n, rulebook)
    for agency in n.agencies or (None,):
        check = Check(n, rulebook, spec, ledger, agency)
        for rule in RULES:
            problems.extend(rule(check))
    return dedupe(problems)


def dedupe(problems: Sequence[Problem]) -> list[Problem]:
    """The first problem of each (code, field), in order."""
    seen: set[tuple[Code, str | None]] = set()
    out = []
    for p in problems:
        if (p.code, p.field) not in seen:
            seen.add((p.code, p.field))
            out.append(p)
    return out
