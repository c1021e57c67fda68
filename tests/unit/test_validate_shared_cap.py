"""Rule 8, the shared cap: jetro + scb spend at most the cap; a valid re-application adds a frame."""

from __future__ import annotations

import datetime as dt

from forms.errors import Code
from forms.ledger import CompanyKey, FrameGrant, MemoryLedger, SupportRecord
from forms.validate import validate
from tests.support.normalized import RB, SPEC, check, form, ledger

REASON = "当初は東南アジア向け部品輸出、今回は欧州での現地法人設立"


def test_remaining_one_yen_passes_zero_is_exhausted() -> None:
    assert check(form(), ledger(999_999)) == []
    assert check(form(), ledger(1_000_000)) == [(Code.BUDGET_EXHAUSTED, None)]
    assert check(form("scb"), ledger(1_200_000)) == [(Code.BUDGET_EXHAUSTED, None)]


def test_budget_message_has_the_figures() -> None:
    p = validate(form(), RB, SPEC, ledger(1_000_000))[0]
    assert "1,000,000円" in RB.message(p.code, label="", **dict(p.params))


def test_kosha_and_smrj_spending_never_counts_and_kosha_is_not_capped() -> None:
    assert check(form(), ledger(0)) == []  # 500,000 of kosha support recorded
    assert check(form("kosha"), ledger(1_000_000)) == []


def test_valid_reapplication_passes_when_the_cap_is_used() -> None:
    n = form(reapplication=True, reapplication_reason=REASON)
    assert check(n, ledger(1_000_000, loan=dt.date(2026, 7, 1))) == []


def test_reapplication_without_disbursement() -> None:
    n = form(reapplication=True, reapplication_reason=REASON)
    assert check(n, ledger(1_000_000, loan=dt.date(2026, 5, 1))) == [
        (Code.REAPPLICATION_INVALID, "reapplication"),
        (Code.BUDGET_EXHAUSTED, None),
    ]
    assert check(n, ledger(300_000)) == [(Code.REAPPLICATION_INVALID, "reapplication")]


def test_reapplication_must_follow_the_last_frame() -> None:
    n = form(reapplication=True, reapplication_reason=REASON)
    after_frame = ledger(2_000_000, loan=dt.date(2026, 7, 1), grants=(FrameGrant(dt.date(2026, 8, 1)),))
    assert check(n, after_frame) == [
        (Code.REAPPLICATION_INVALID, "reapplication"),
        (Code.BUDGET_EXHAUSTED, None),
    ]


def test_reapplication_without_reason() -> None:
    n = form(reapplication=True)
    assert check(n, ledger(1_000_000, loan=dt.date(2026, 7, 1))) == [
        (Code.FIELD_MISSING, "reapplication_reason"),
        (Code.BUDGET_EXHAUSTED, None),
    ]
    assert check(n, None) == [(Code.FIELD_MISSING, "reapplication_reason")]


def test_no_ledger_no_cap_rule() -> None:
    assert check(form(reapplication=True, reapplication_reason=REASON), None) == []


def test_sole_proprietor_found_by_name_and_postal_code() -> None:
    key = CompanyKey.for_sole_proprietor("見本商店", "144-0052")
    view = MemoryLedger(
        1_000_000, supports={key: [SupportRecord("scb", dt.date(2026, 6, 1), "伴走支援", 1_000_000)]}
    )
    n = form(
        "jetro",
        entity_type="sole_proprietor",
        corporate_number=None,
        capital_yen=None,
        company_name="見本 商店",
    )
    assert check(n, view) == [(Code.BUDGET_EXHAUSTED, None)]


def test_reapplication_from_a_company_with_no_recorded_support() -> None:
    """Nothing to re-apply for: ticked, a reason given, no support of any agency recorded (DOMAIN.md)."""
    n = form(reapplication=True, reapplication_reason=REASON)
    for agency in ("jetro", "scb"):
        ticked = form(agency, reapplication=True, reapplication_reason=REASON)
        assert check(ticked, MemoryLedger(1_000_000)) == [(Code.REAPPLICATION_INVALID, "reapplication")]
    found = validate(n, RB, SPEC, MemoryLedger(1_000_000))
    assert "支援の記録がない場合" in RB.message(found[0].code, label="", **dict(found[0].params))
    assert check(form(), MemoryLedger(1_000_000)) == []  # not ticked: a first application, routed


def test_reapplication_from_a_company_with_no_recorded_support_is_invalid() -> None:
    """DOMAIN.md: with no support recorded at all there is nothing to re-apply for."""
    n = form(reapplication=True, reapplication_reason=REASON)
    empty = MemoryLedger(1_000_000)
    assert check(n, empty) == [(Code.REAPPLICATION_INVALID, "reapplication")]
    assert check(form("scb", reapplication=True, reapplication_reason=REASON), empty) == [
        (Code.REAPPLICATION_INVALID, "reapplication")
    ]
    assert check(form("kosha", reapplication=True, reapplication_reason=REASON), empty) == []
    p = validate(n, RB, SPEC, empty)[0]
    assert "支援の記録がない" in RB.message(p.code, label="", **dict(p.params))
