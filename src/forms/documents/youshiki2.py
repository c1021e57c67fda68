"""様式2 支援内容報告書: what jetro or scb gave a company in a period, and where its cap stands.

Pure: ledger records, the company, the bank, the rulebook and dates in; a frozen :class:`Youshiki2`
of every value the report shows out. The cap arithmetic is the ledger's (``CompanyLedger``):

    total      = Σ cost excluding tax of this report's rows
    cumulative = ledger.used       (jetro + scb, every frame)
    cap        = ledger.cap        (frames × cap per frame)
    remaining  = cap − cumulative, shown as 0 when the support went over the cap; ``over_cap`` says by
                 how much (the report then says so in words) — never a negative amount in the text.

jetro issues it to the company; scb to the company with a copy to the bank (``copy_to_bank``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from forms.documents import BankInfo, CompanyInfo, Issuer
from forms.ledger import CompanyLedger, SupportRecord
from forms.rules.schema import Rulebook
from forms.spec import ISSUERS

#: The agencies that issue 様式2 (DOMAIN "The forms").
#: Agencies whose 様式2 goes to the company with a copy to the bank.
COPY_TO_BANK = frozenset({"scb"})


@dataclass(frozen=True)
class SupportRow:
    """One row of the report: one support given."""

    number: int
    date: dt.date
    service: str
    summary: str
    cost_excl_tax: int


@dataclass(frozen=True)
class Youshiki2:
    """Every value 様式2 shows (templates/documents/README.md lists them as template variables)."""

    issued_on: dt.date
    issuer: Issuer
    company: CompanyInfo
    bank: BankInfo | None
    period_from: dt.date
    period_to: dt.date
    rows: tuple[SupportRow, ...]
    total: int
    cumulative: int
    cap: int
    cap_per_frame: int
    frames: int
    remaining: int
    over_cap: int
    navigator: str
    copy_to_bank: bool
    reference: str = ""  # the reference number it prints (R8-Y2-000003); empty when not recorded
    document: str = "様式2"
    title: str = "支援内容報告書"


def supports_for_report(
    ledger: CompanyLedger, agency: str, period: tuple[dt.date, dt.date]
) -> tuple[SupportRecord, ...]:
    """The supports ``agency`` gave in ``period`` (both days included), by date."""
    start, end = period
    chosen = (s for s in ledger.supports if s.agency == agency and start <= s.date <= end)
    return tuple(sorted(chosen, key=lambda s: s.date))


def youshiki2_data(
    *,
    company: CompanyInfo,
    bank: BankInfo | None,
    agency: str,
    rulebook: Rulebook,
    ledger: CompanyLedger,
    supports: Sequence[SupportRecord],
    period: tuple[dt.date, dt.date],
    issued_on: dt.date,
    navigator: str,
    reference: str = "",
) -> Youshiki2:
    """The 様式2 of ``agency`` for ``company``: one row per support in ``supports`` (by date).

    ``ledger`` is the company's ledger as the report should state it (its ``used``, ``cap``,
    ``frames``); ``supports`` are this report's rows, normally :func:`supports_for_report`.
    ValueError for an agency that does not issue 様式2 or a period that ends before it starts.
    """
    if agency not in ISSUERS:
        raise ValueError(f"様式2 is issued by {', '.join(sorted(ISSUERS))}, not {agency!r}")
    start, end = period
    if end < start:
        raise ValueError(f"support period ends ({end}) before it starts ({start})")
    ordered = sorted(supports, key=lambda s: s.date)
    rows = tuple(
        SupportRow(i, s.date, s.service, s.summary, s.cost_excl_tax) for i, s in enumerate(ordered, start=1)
    )
    remaining = ledger.remaining
    return Youshiki2(
        issued_on=issued_on,
        issuer=Issuer.from_rulebook(rulebook, agency),
        company=company,
        bank=bank,
        period_from=start,
        period_to=end,
        rows=rows,
        total=sum(r.cost_excl_tax for r in rows),
        cumulative=ledger.used,
        cap=ledger.cap,
        cap_per_frame=ledger.cap_per_frame,
        frames=ledger.frames,
        remaining=max(0, remaining),
        over_cap=max(0, -remaining),
        navigator=navigator,
        copy_to_bank=agency in COPY_TO_BANK and bank is not None,
        reference=reference,
    )
