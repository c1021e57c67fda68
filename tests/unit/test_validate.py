"""validate(): every rule of DOMAIN.md, its boundaries, its scope, and all failures reported at once."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from forms.errors import Code
from forms.ledger import CompanyKey, MemoryLedger
from forms.model import FieldValue, Normalized, problem
from forms.validate import validate
from tests.support.normalized import BASE, RB, SPEC, check, codes, form, ledger

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"


# ── a valid form of each agency passes ───────────────────────────────────────────────────────
@pytest.mark.parametrize("agency", ["jetro", "scb", "kosha"])
def test_valid_form_passes(agency: str) -> None:
    assert check(form(agency)) == []


def test_smrj_is_refused_with_the_url() -> None:
    found = validate(form("smrj"), RB, SPEC, None)
    assert [(p.code, p.field) for p in found] == [(Code.SMRJ_DIRECT_ONLY, "agency")]
    assert found[0].param("url") == "https://www.smrj.go.jp/sme/overseas/consulting/advice/index.html"


def _sample_form(doc: dict[str, Any]) -> Normalized:
    fields: dict[str, FieldValue] = {}
    for key, value in doc["fields"].items():
        is_date = key in SPEC.fields and SPEC[key].type == "date"
        fields[key] = dt.date.fromisoformat(value) if is_date else value
    return Normalized(fields, (doc["fields"]["agency"],), raw={})


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not present")
@pytest.mark.parametrize(
    "name", sorted(p.name for p in SAMPLES.glob("*.expected.json")) if SAMPLES.is_dir() else []
)
def test_the_samples_get_their_expected_reasons(name: str) -> None:
    doc = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    expected = [(Code(r["code"]), r["field"]) for r in doc["reasons"]]
    assert check(_sample_form(doc), MemoryLedger(1_000_000)) == expected


# ── rule 1: the agency ───────────────────────────────────────────────────────────────────────
def test_no_agency_and_the_form_wide_rules_still_run() -> None:
    n = Normalized({**BASE, "declaration_antisocial": False, "loan_amount_yen": 280_000_001}, (), raw={})
    assert check(n) == [
        (Code.AGENCY_MISSING, "agency"),
        (Code.LOAN_AMOUNT_OVER_LIMIT, "loan_amount_yen"),
        (Code.DECLARATION_MISSING, "declaration_antisocial"),
    ]


def test_an_unreadable_agency_is_not_reported_missing() -> None:
    n = Normalized(dict(BASE), (), raw={}, low_confidence=frozenset({"agency"}))
    assert (Code.AGENCY_MISSING, "agency") not in check(n)


def test_several_agencies_each_judged_and_deduplicated() -> None:
    n = form("jetro", "scb", bank_type="bank", loan_menu=None, scb_customer=False)
    found = check(n)
    assert found.count((Code.FIELD_MISSING, "loan_menu")) == 1
    assert (Code.AGENCY_MULTIPLE, "agency") in found
    assert (Code.SCB_REQUIRES_SHINKIN, "bank_type") in found and (
        Code.SCB_NOT_CUSTOMER,
        "scb_customer",
    ) in found
    assert len(found) == len(set(found))


def test_several_agencies_run_each_agencys_rules() -> None:
    found = check(form("kosha", "smrj", loan_status="none"))
    assert found[0] == (Code.AGENCY_MULTIPLE, "agency")
    assert (Code.SMRJ_DIRECT_ONLY, "agency") in found
    assert Code.LOAN_STATUS_INELIGIBLE not in {c for c, _ in found}  # neither kosha nor smrj needs the loan
    assert (Code.LOAN_STATUS_INELIGIBLE, "loan_status") in check(form("jetro", "kosha", loan_status="none"))


def test_multiple_agencies_message_names_them() -> None:
    p = validate(form("jetro", "scb"), RB, SPEC, None)[0]
    assert "日本貿易振興機構" in RB.message(p.code, label="申込先支援機関", **dict(p.params))


# ── required fields and ticks ────────────────────────────────────────────────────────────────
def test_required_fields_per_agency() -> None:
    assert check(form("jetro", loan_menu=None, bank_email=None)) == [
        (Code.FIELD_MISSING, "bank_email"),
        (Code.FIELD_MISSING, "loan_menu"),
    ]
    assert check(form("kosha", loan_menu=None, loan_amount_yen=None)) == []
    assert check(form("kosha", bank_email=None)) == [(Code.FIELD_MISSING, "bank_email")]
    assert check(form("smrj", bank_name=None, bank_type=None))[1:] == []


def test_corporations_need_capital_and_number_sole_proprietors_do_not() -> None:
    assert check(form(corporate_number=None, capital_yen=None)) == [
        (Code.FIELD_MISSING, "corporate_number"),
        (Code.FIELD_MISSING, "capital_yen"),
    ]
    assert check(form(entity_type="sole_proprietor", corporate_number=None, capital_yen=None)) == []
    assert check(form(entity_type="cooperative", corporate_number=None)) == [
        (Code.FIELD_MISSING, "corporate_number")
    ]


def test_a_field_normalisation_flagged_is_not_reported_missing() -> None:
    invalid = problem(Code.FIELD_INVALID, "contact_email", value="hanako.example")
    assert check(form(contact_email=None, problems=(invalid,))) == []
    assert check(form(applied_on=None, low_confidence=frozenset({"applied_on"}))) == []


def test_unticked_boxes_have_their_own_codes_never_field_missing() -> None:
    unticked = {
        k: False
        for k in (
            "req_tokyo_office",
            "req_license",
            "req_tax",
            "req_antisocial",
            "declaration_antisocial",
            "consent_sharing",
            "scb_customer",
        )
    }
    assert check(form("scb", **unticked)) == [
        (Code.SCB_NOT_CUSTOMER, "scb_customer"),
        (Code.BASIC_REQUIREMENT_UNCONFIRMED, "req_tokyo_office"),
        (Code.BASIC_REQUIREMENT_UNCONFIRMED, "req_license"),
        (Code.BASIC_REQUIREMENT_UNCONFIRMED, "req_tax"),
        (Code.BASIC_REQUIREMENT_UNCONFIRMED, "req_antisocial"),
        (Code.DECLARATION_MISSING, "declaration_antisocial"),
        (Code.DECLARATION_MISSING, "consent_sharing"),
    ]
    assert codes(form("jetro", **unticked)) == {Code.BASIC_REQUIREMENT_UNCONFIRMED, Code.DECLARATION_MISSING}
    assert codes(form("kosha", **unticked)) == {Code.DECLARATION_MISSING}
    assert codes(form("smrj", **unticked)) == {Code.SMRJ_DIRECT_ONLY, Code.DECLARATION_MISSING}


def test_absent_checkbox_counts_as_unticked() -> None:
    assert check(form("jetro", req_tax=None)) == [(Code.BASIC_REQUIREMENT_UNCONFIRMED, "req_tax")]


def test_an_unreadable_tick_is_not_reported_unticked() -> None:
    assert check(form("jetro", req_tax=False, low_confidence=frozenset({"req_tax"}))) == []


# ── rules 2 and 3 ────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("bank_type", ["bank", "shinkumi", "other"])
def test_scb_only_through_a_shinkin(bank_type: str) -> None:
    assert check(form("scb", bank_type=bank_type)) == [(Code.SCB_REQUIRES_SHINKIN, "bank_type")]
    assert check(form("jetro", bank_type=bank_type)) == []


def test_scb_blank_bank_type_is_missing_not_ineligible() -> None:
    assert check(form("scb", bank_type=None)) == [(Code.FIELD_MISSING, "bank_type")]


@pytest.mark.parametrize(("status", "ok"), [("using", True), ("planned", True), ("none", False)])
@pytest.mark.parametrize("agency", ["jetro", "scb"])
def test_loan_status(agency: str, status: str, ok: bool) -> None:
    assert check(form(agency, loan_status=status)) == (
        [] if ok else [(Code.LOAN_STATUS_INELIGIBLE, "loan_status")]
    )


def test_loan_status_blank_is_missing_and_kosha_needs_none() -> None:
    assert check(form("jetro", loan_status=None)) == [(Code.FIELD_MISSING, "loan_status")]
    assert check(form("kosha", loan_status="none")) == []
    assert check(form("kosha", loan_status=None)) == []


# ── rule 4: Tokyo ────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("agency", ["jetro", "scb", "kosha"])
def test_not_in_tokyo(agency: str) -> None:
    assert check(form(agency, hq_address="大阪府大阪市北区梅田1-1-1")) == [(Code.NOT_IN_TOKYO, "hq_address")]
    assert check(form(agency, hq_address="大阪市北区梅田1-1-1")) == [(Code.NOT_IN_TOKYO, "hq_address")]


def test_a_tokyo_office_is_enough() -> None:
    n = form("jetro", hq_address="神奈川県横浜市西区1-1", tokyo_office_address="港区赤坂1-12-32")
    assert check(n) == []


@pytest.mark.parametrize(
    "address", ["北区赤羽1-1", "八王子市元本郷町3-24-1", "西多摩郡奥多摩町氷川1", "小笠原村父島"]
)
def test_tokyo_without_prefecture(address: str) -> None:
    assert check(form("kosha", hq_address=address)) == []


def test_smrj_has_no_tokyo_rule_and_blank_address_is_missing_only() -> None:
    assert check(form("smrj", hq_address="大阪府大阪市北区梅田1-1-1")) == [(Code.SMRJ_DIRECT_ONLY, "agency")]
    assert check(form("jetro", hq_address=None)) == [(Code.FIELD_MISSING, "hq_address")]


# ── rule 5: industry ─────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(
    ("detail", "excluded"),
    [
        ("農業", True),
        ("林業", True),
        ("漁業", True),
        ("酪農業", True),
        ("水産養殖業", True),
        ("銀行業", True),
        ("農業用機械器具製造業", False),
        ("水産物卸売業", False),
        ("菓子製造業", False),
        ("損害保険代理業", False),
    ],
)
def test_excluded_industry(detail: str, excluded: bool) -> None:
    expected = [(Code.EXCLUDED_INDUSTRY, "industry_detail")] if excluded else []
    assert check(form("jetro", industry_detail=detail)) == expected
    assert check(form("kosha", industry_detail=detail)) == []


# ── rule 6: 中小企業者 and 小規模企業者 ──────────────────────────────────────────────────────────
LIMITS = [
    ("manufacturing_other", 300_000_000, 300),
    ("wholesale", 100_000_000, 100),
    ("retail", 50_000_000, 50),
    ("service", 50_000_000, 100),
]


@pytest.mark.parametrize(("category", "capital", "employees"), LIMITS)
def test_sme_capital_or_employees_at_the_limit(category: str, capital: int, employees: int) -> None:
    def sme(cap: int, emp: int) -> set[Code]:
        return codes(form("jetro", industry_category=category, capital_yen=cap, employees=emp)) - {
            Code.SMALL_BUSINESS
        }

    assert sme(capital, employees + 1) == set()  # capital at the limit qualifies
    assert sme(capital + 1, employees) == set()  # employees at the limit qualify
    assert sme(capital + 1, employees + 1) == {Code.NOT_SME}


def test_not_sme_field_and_message() -> None:
    found = validate(form("scb", capital_yen=300_000_001, employees=301), RB, SPEC, None)
    assert [(p.code, p.field) for p in found] == [(Code.NOT_SME, "capital_yen")]
    text = RB.message(found[0].code, label="資本金（円）", **dict(found[0].params))
    assert "300,000,000円" in text and "300人" in text and "{" not in text


def test_sole_proprietor_is_judged_by_employees_only() -> None:
    base = {"entity_type": "sole_proprietor", "corporate_number": None, "capital_yen": None}
    assert check(form("jetro", employees=300, **base)) == []
    assert check(form("jetro", employees=301, **base)) == [(Code.NOT_SME, "employees")]


def test_cooperative_is_always_sme_and_kosha_is_not_checked() -> None:
    assert check(form("jetro", entity_type="cooperative", capital_yen=900_000_000, employees=900)) == []
    assert check(form("kosha", capital_yen=900_000_000, employees=900)) == []


def test_unknown_capital_is_not_a_refusal() -> None:
    assert check(form("jetro", capital_yen=None, employees=301)) == [(Code.FIELD_MISSING, "capital_yen")]


@pytest.mark.parametrize(
    ("category", "limit"), [("manufacturing_other", 20), ("wholesale", 5), ("retail", 5), ("service", 5)]
)
def test_small_business_is_information(category: str, limit: int) -> None:
    assert check(form("jetro", industry_category=category, employees=limit)) == [
        (Code.SMALL_BUSINESS, "employees")
    ]
    assert check(form("jetro", industry_category=category, employees=limit + 1)) == []
    assert check(form("kosha", industry_category=category, employees=limit)) == []


# ── rule 7: loan limit ───────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize(
    ("entity", "amount", "over"),
    [
        ("corporation", 280_000_000, False),
        ("corporation", 280_000_001, True),
        ("sole_proprietor", 280_000_001, True),
        ("cooperative", 480_000_000, False),
        ("cooperative", 480_000_001, True),
    ],
)
@pytest.mark.parametrize("agency", ["jetro", "kosha"])
def test_loan_limit(agency: str, entity: str, amount: int, over: bool) -> None:
    extra: dict[str, FieldValue] = (
        {"corporate_number": None, "capital_yen": None} if entity == "sole_proprietor" else {}
    )
    found = check(form(agency, entity_type=entity, loan_amount_yen=amount, **extra))
    assert found == ([(Code.LOAN_AMOUNT_OVER_LIMIT, "loan_amount_yen")] if over else [])


# ── rule 9: 法人番号 ─────────────────────────────────────────────────────────────────────────
def test_corporate_number_check_digit() -> None:
    assert check(form(corporate_number="5010001234567")) == [
        (Code.CORPORATE_NUMBER_INVALID, "corporate_number")
    ]
    assert check(form("smrj", corporate_number="5010001234567"))[1:] == [
        (Code.CORPORATE_NUMBER_INVALID, "corporate_number")
    ]


def test_malformed_corporate_number() -> None:
    assert check(form(corporate_number="401000123456")) == [(Code.FIELD_INVALID, "corporate_number")]
    flagged = problem(Code.FIELD_INVALID, "corporate_number", value="401000123456")
    assert check(form(corporate_number="401000123456", problems=(flagged,))) == []


# ── all at once ──────────────────────────────────────────────────────────────────────────────
def test_every_failure_is_reported_in_one_round_and_every_message_renders() -> None:
    n = form(
        "scb",
        bank_type="bank",
        scb_customer=False,
        loan_status="none",
        req_tax=False,
        consent_sharing=False,
        hq_address="大阪府大阪市北区1-1",
        industry_detail="酪農業",
        capital_yen=50_000_001,
        employees=101,
        industry_category="service",
        loan_amount_yen=280_000_001,
        corporate_number="5010001234567",
        contact_email=None,
        reapplication=True,
    )
    found = validate(n, RB, SPEC, ledger(1_000_000, key=CompanyKey.for_corporation("5010001234567")))
    assert {p.code for p in found} == {
        Code.FIELD_MISSING,
        Code.SCB_REQUIRES_SHINKIN,
        Code.SCB_NOT_CUSTOMER,
        Code.LOAN_STATUS_INELIGIBLE,
        Code.BASIC_REQUIREMENT_UNCONFIRMED,
        Code.NOT_IN_TOKYO,
        Code.EXCLUDED_INDUSTRY,
        Code.NOT_SME,
        Code.LOAN_AMOUNT_OVER_LIMIT,
        Code.CORPORATE_NUMBER_INVALID,
        Code.DECLARATION_MISSING,
        Code.REAPPLICATION_INVALID,
        Code.BUDGET_EXHAUSTED,
    }
    assert len(found) == len({(p.code, p.field) for p in found}) == 14  # 2 FIELD_MISSING
    assert all(p.field is not None for p in found if p.code is not Code.BUDGET_EXHAUSTED)
    for p in found:
        label = SPEC.label_of(p.field) if p.field else ""
        text = RB.message(p.code, label=label, **dict(p.params))
        assert "{" not in text, (p, text)
