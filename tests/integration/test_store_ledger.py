"""The store's ledger tables on a real SQLite file: read back like the memory ledger, frames, imports."""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from forms.ledger import CompanyKey, FrameGrant, LoanRecord, MemoryLedger, SupportRecord
from forms.store import Store, StoreLedger
from tests.support.store_rows import add, kinds

# -- ledger -------------------------------------------------------------------------------------

CAP = 1_000_000
D = functools.partial(dt.date, 2026)
CORP = CompanyKey.for_corporation("4010001234567")
SOLE = CompanyKey.for_sole_proprietor("見本商店", "144-0052")


def test_store_ledger_reads_what_was_added_like_the_memory_ledger(store: Store) -> None:
    ledger = StoreLedger(store, CAP)
    assert ledger.company(CORP) == MemoryLedger(CAP).company(CORP)
    supports = [
        SupportRecord("jetro", D(6, 10), "海外ミニ調査", 300_000, 30_000),
        SupportRecord("kosha", D(6, 11), "相談", 9),
    ]
    for record in supports:
        ledger.add_support(CORP, record)
    loan = LoanRecord(D(7, 1), 5_000_000_000, "海外展開")  # beyond 32 bits: BIGINT
    ledger.add_loan(CORP, loan)
    assert ledger.add_frame(CORP, D(8, 1), intake_id=None)
    ledger.add_support(SOLE, SupportRecord("scb", D(6, 12), "支援ナビゲーター", 100_000))
    expected = MemoryLedger(
        CAP, supports={CORP: supports}, loans={CORP: [loan]}, grants={CORP: [FrameGrant(D(8, 1))]}
    ).company(CORP)
    got = ledger.company(CORP)
    assert got == expected
    assert (got.used, got.frames, got.remaining) == (300_000, 2, 1_700_000)
    assert isinstance(got.loans[0].amount, int)
    assert ledger.company(SOLE).used == 100_000
    assert ledger.company(CompanyKey.for_sole_proprietor("見本商店", "100-0001")).supports == ()


def test_a_frame_is_granted_once_per_intake(store: Store) -> None:
    ledger = StoreLedger(store, CAP)
    intake_id = add(store, "a")
    assert ledger.add_frame(CORP, D(8, 1), intake_id=intake_id)
    assert not ledger.add_frame(CORP, D(8, 2), intake_id=intake_id)
    assert ledger.company(CORP).frames == 2
    assert "frame_granted" in kinds(store, intake_id)


def test_an_import_with_a_bad_row_adds_nothing(store: Store) -> None:
    ledger = StoreLedger(store, CAP)
    good = (CORP, SupportRecord("jetro", D(6, 10), "相談", 100_000))
    with pytest.raises(ValueError):
        ledger.add_supports([good, (CompanyKey(), good[1])])
    assert ledger.company(CORP).supports == ()
    assert ledger.add_supports([good, good]) == 2
    assert ledger.company(CORP).used == 200_000
