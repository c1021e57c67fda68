"""様式3 融資及び海外展開の状況報告: the agency asks the bank how the loan and the expansion went.

Pure: the 様式1's normalised fields, the rulebook and dates in; a frozen :class:`Youshiki3` of every
value the report shows out. Pre-filled from 様式1: bank, branch, officer, company and what 様式1
said of the loan (menu, amount, date). The bank fills the blanks (loan status, disbursement date and
amount, menu, expansion status, comments) and returns it to the issuing agency's address by the
回答期日: by default the rulebook's ``youshiki3_due`` (R8: the last day of the month after issue).
jetro sends it with 様式1 and 様式2 enclosed.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from forms.documents import BankInfo, CompanyInfo, Issuer, text_of
from forms.rules.schema import Rulebook, Youshiki3Due
from forms.spec import load_spec

#: What the bank ticks (DOMAIN "The forms").
LOAN_STATUSES: tuple[str, ...] = ("実行済", "未実行", "謝絶・取下げ")
EXPANSION_STATUSES: tuple[str, ...] = ("検討中", "計画策定済", "進出済", "断念")
#: Documents enclosed with 様式3, by issuing agency.
ENCLOSURES: Mapping[str, tuple[str, ...]] = {
    "jetro": ("様式1 海外展開支援（案内）申込書", "様式2 支援内容報告書"),
}


@dataclass(frozen=True)
class Youshiki3:
    """Every value 様式3 shows (templates/documents/README.md lists them as template variables)."""

    issued_on: dt.date
    due_on: dt.date
    issuer: Issuer
    bank: BankInfo
    company: CompanyInfo
    applied_on: dt.date | None
    loan_status: str  # 様式1's 制度融資の利用状況, as printed (利用中 / 利用予定 …) or ''
    loan_menu: str
    loan_amount: int | None
    loan_date: dt.date | None
    enclosures: tuple[str, ...]
    loan_statuses: tuple[str, ...] = LOAN_STATUSES
    expansion_statuses: tuple[str, ...] = EXPANSION_STATUSES
    reference: str = ""  # the reference number it prints (R8-Y3-000007); empty when not recorded
    document: str = "様式3"
    title: str = "融資及び海外展開の状況報告"


def due_date(issued_on: dt.date, rule: Youshiki3Due) -> dt.date:
    """The 回答期日: ``months_after_issue`` months after the issue month, on its last day or on
    day ``day`` (the month's last day when it is shorter)."""
    months = issued_on.year * 12 + issued_on.month - 1 + rule.months_after_issue
    year, month = divmod(months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    day = last if rule.day == "last" else min(int(rule.day), last)
    return dt.date(year, month + 1, day)


def _date_of(value: object) -> dt.date | None:
    """A date field as the decision holds it: a date, or its ISO text (decision.json)."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _yen_of(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def youshiki3_data(
    *,
    youshiki1_fields: Mapping[str, object],
    agency: str,
    rulebook: Rulebook,
    issued_on: dt.date,
    due_on: dt.date | None = None,
    reference: str = "",
) -> Youshiki3:
    """The 様式3 ``agency`` sends to the bank of the 様式1 whose normalised fields are given.

    ``due_on`` overrides the rulebook's 回答期日. ValueError when the agency is not in the rulebook.
    """
    fields = youshiki1_fields
    status_key = text_of(fields, "loan_status")
    status_label = load_spec()["loan_status"].choices.get(status_key, status_key)
    return Youshiki3(
        issued_on=issued_on,
        due_on=due_on or due_date(issued_on, rulebook.youshiki3_due),
        issuer=Issuer.from_rulebook(rulebook, agency),
        bank=BankInfo.from_fields(fields) or BankInfo(name=""),
        company=CompanyInfo.from_fields(fields),
        applied_on=_date_of(fields.get("applied_on")),
        loan_status=status_label,
        loan_menu=text_of(fields, "loan_menu"),
        loan_amount=_yen_of(fields.get("loan_amount_yen")),
        loan_date=_date_of(fields.get("loan_date")),
        enclosures=ENCLOSURES.get(agency, ()),
        reference=reference,
    )
