"""The pure ledger: company keys, the shared cap, frames, disbursements, the in-memory view."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from forms.ledger import (
    CompanyKey,
    CompanyLedger,
    FrameGrant,
    LedgerView,
    LoanRecord,
    MemoryLedger,
    SupportRecord,
)

CAP = 1_000_000
D = dt.date


JUNE_10 = D(2026, 6, 10)


def support(agency: str, cost: int, day: dt.date = JUNE_10, tax: int = 0) -> SupportRecord:
    return SupportRecord(agency, day, "海外ミニ調査サービス", cost, tax)


def company(supports=(), loans=(), grants=()) -> CompanyLedger:
    return CompanyLedger(tuple(supports), tuple(loans), tuple(grants), CAP)


def test_empty_ledger() -> None:
    c = company()
    assert (c.frames, c.cap, c.used, c.remaining) == (1, CAP, 0, CAP)
    assert not c.disbursed_since_last_frame()


def test_only_jetro_and_scb_count_toward_the_cap() -> None:
    c = company(
        [
            support("jetro", 300_000, tax=30_000),
            support("scb", 200_000),
            support("kosha", 900_000),
            support("smrj", 900_000),
        ]
    )
    assert (c.used, c.remaining) == (500_000, 500_000)


def test_cap_used_exactly() -> None:
    c = company([support("jetro", 600_000), support("scb", 400_000)])
    assert c.remaining == 0


def test_granted_frames_raise_the_cap() -> None:
    c = company([support("jetro", 1_000_000)], grants=[FrameGrant(D(2026, 9, 1)), FrameGrant(D(2027, 1, 5))])
    assert (c.frames, c.cap, c.remaining) == (3, 3 * CAP, 2 * CAP)


@pytest.mark.parametrize(
    ("loan_day", "grants", "expected"),
    [
        (D(2026, 6, 11), (), True),  # after the first support
        (D(2026, 6, 10), (), False),  # the same day is not after
        (D(2026, 5, 1), (), False),  # before the first support
        (D(2026, 8, 1), (FrameGrant(D(2026, 9, 1)),), False),  # before the last frame
        (D(2026, 9, 2), (FrameGrant(D(2026, 9, 1)),), True),
    ],
)
def test_disbursed_since_last_frame(
    loan_day: dt.date, grants: tuple[FrameGrant, ...], expected: bool
) -> None:
    c = company(
        [support("jetro", 100_000, D(2026, 6, 10)), support("scb", 100_000, D(2026, 7, 1))],
        [LoanRecord(loan_day, 50_000_000)],
        grants,
    )
    assert c.disbursed_since_last_frame() is expected


def test_a_loan_without_any_support_is_no_basis() -> None:
    assert not company(loans=[LoanRecord(D(2026, 6, 1), 1)]).disbursed_since_last_frame()


def test_to_json() -> None:
    c = company([support("jetro", 300_000)], [LoanRecord(D(2026, 7, 1), 50_000_000, "経営一般")])
    out = json.loads(json.dumps(c.to_json()))
    assert {k: out[k] for k in ("cap", "used", "remaining", "frames")} == {
        "cap": CAP,
        "used": 300_000,
        "remaining": 700_000,
        "frames": 1,
    }
    assert out["supports"][0]["date"] == "2026-06-10" and out["loans"][0]["amount"] == 50_000_000
    assert all(isinstance(v, int) for v in (out["cap"], out["used"], out["remaining"], out["frames"]))


@pytest.mark.parametrize("bad", [1000.0, "1000", True])
def test_yen_are_integers_only(bad: object) -> None:
    with pytest.raises(TypeError):
        SupportRecord("jetro", D(2026, 6, 1), "x", bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        LoanRecord(D(2026, 6, 1), bad)  # type: ignore[arg-type]


def test_negative_cost_is_refused() -> None:
    with pytest.raises(ValueError):
        SupportRecord("jetro", D(2026, 6, 1), "x", -1)


# ── company keys ─────────────────────────────────────────────────────────────────────────────
def test_key_by_corporate_number() -> None:
    key = CompanyKey.from_fields(
        {
            "corporate_number": "4010001234567",
            "company_name": "株式会社サンプル精機",
            "hq_postal_code": "144-0052",
        }
    )
    assert key == CompanyKey(corporate_number="4010001234567")


def test_key_of_a_sole_proprietor_by_name_and_postal_code() -> None:
    key = CompanyKey.from_fields({"company_name": "見本 商店", "hq_postal_code": "144-0052"})
    assert key == CompanyKey.for_sole_proprietor("見本商店", "〒１４４－００５２")
    assert key is not None and key.corporate_number is None and key.postal_code == "144-0052"
    assert key != CompanyKey.for_sole_proprietor("見本商店", "144-0053")


def test_legal_form_words_do_not_change_the_key() -> None:
    assert CompanyKey.for_sole_proprietor("株式会社 見本", "1440052") == CompanyKey.for_sole_proprietor(
        "見本㈱", "144-0052"
    )


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"company_name": "見本商店"},
        {"hq_postal_code": "144-0052"},
        {"corporate_number": "", "company_name": " ", "hq_postal_code": "144-0052"},
    ],
)
def test_no_key_without_number_or_name_and_postal_code(fields: dict) -> None:
    assert CompanyKey.from_fields(fields) is None


# ── the in-memory view ───────────────────────────────────────────────────────────────────────
def test_memory_ledger_is_a_ledger_view() -> None:
    a, b = CompanyKey.for_corporation("4010001234567"), CompanyKey.for_sole_proprietor("見本商店", "144-0052")
    view: LedgerView = MemoryLedger(
        CAP,
        supports={a: [support("jetro", 700_000)], b: [support("scb", 100_000)]},
        loans={a: [LoanRecord(D(2026, 7, 1), 10_000_000)]},
        grants={a: [FrameGrant(D(2026, 6, 30))]},
    )
    assert (view.company(a).used, view.company(a).frames, view.company(a).remaining) == (
        700_000,
        2,
        1_300_000,
    )
    assert view.company(a).disbursed_since_last_frame()
    assert view.company(b).remaining == 900_000
    unknown = view.company(CompanyKey.for_corporation("1010001765432"))
    assert (unknown.used, unknown.frames, unknown.remaining) == (0, 1, CAP)
