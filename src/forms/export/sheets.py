"""Submissions and a company's ledger as tables of cells (pure). Header names are Japanese, what agency
staff read; field columns are 様式1's printed labels, in the form's order, holding the normalised values
as the decision stores them (ISO dates, integer yen and counts, booleans, choice keys)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from forms.export.files import Cell, Table
from forms.jp.wareki import JST
from forms.review.companies import CompanyView
from forms.review.submissions import DEADLINE_STATUS, Submission
from forms.spec import FormSpec

SUBMISSION_COLUMNS = (
    "受付番号",
    "申込み番号",
    "支援機関",
    "受付日",
    "判定日時",
    "連絡期限",
    "連絡状況",
    "連絡日時",
)


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | bool):
        return value
    return json.dumps(value, ensure_ascii=False)


def _when(value: object) -> str | None:
    return None if value is None else value.astimezone(JST).strftime("%Y-%m-%d %H:%M")  # type: ignore[attr-defined]


def submissions_table(subs: Sequence[Submission], spec: FormSpec, names: Mapping[str, str]) -> Table:
    """One row per submission: reference, dates, deadline status, then every 様式1 field."""
    keys = list(spec.fields)
    header = [*SUBMISSION_COLUMNS, *(spec.fields[k].label for k in keys)]
    rows = []
    for s in subs:
        fields = s.fields
        rows.append(
            [
                s.reference,
                s.intake_id,
                names.get(s.agency, s.agency),
                s.received_on,
                _when(s.decided_at),
                s.contact_due,
                DEADLINE_STATUS[s.deadline_status],
                _when(s.contacted_at),
                *(_cell(fields.get(k)) for k in keys),
            ]
        )
    return "申込み", header, rows


def ledger_tables(view: CompanyView, name: str, names: Mapping[str, str]) -> list[Table]:
    """A company's ledger as ``view`` shows it (``review.companies``): the cap's figures (blank when the
    viewer's scope has no capped agency), the supports it may see, the loans."""
    key, ledger = view.key, view.ledger
    figures = [ledger.cap, ledger.used, ledger.remaining, ledger.frames] if ledger else [None] * 4
    summary = (
        "概要",
        ["法人番号", "企業名（屋号）", "上限額", "利用済額", "利用可能残額", "枠数"],
        [[key.corporate_number or str(key), name, *figures]],
    )
    supports = (
        "支援",
        ["支援日", "支援機関", "支援内容", "概要", "経費（税抜）", "消費税"],
        [
            [s.date, names.get(s.agency, s.agency), s.service, s.summary, s.cost_excl_tax, s.tax]
            for s in sorted(view.supports, key=lambda s: s.date)
        ],
    )
    loans = (
        "融資",
        ["融資実行日", "融資額", "メニュー"],
        [[r.date, r.amount, r.menu] for r in sorted(view.loans, key=lambda r: r.date)],
    )
    return [summary, supports, loans]
