"""What an agency reads: the submissions routed to it, with their contact deadline (DOMAIN rule 11).

    Submissions.page(agency, since, until, limit, offset)   routed to ``agency``, received in the
                                                           period (days in Japan), oldest first
    Submissions.get(ref)                                   one, by reference number or intake id
    Submissions.original(submission)                       its 様式1 as the bank sent it (PDF bytes)

Used by the exports (``forms export``, the console) and the agencies' API; who may read which agency
is the caller's scope (``forms.access.scope``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from forms.jp.business_days import add_business_days
from forms.jp.wareki import date_in_japan
from forms.review.desk import Desk
from forms.store import IntakeRow

#: The deadline's state as the exports and the API name it, and its Japanese label.
DEADLINE_STATUS: Mapping[str, str] = {
    "contacted": "連絡済み",
    "overdue": "期限超過",
    "due_today": "本日期限",
    "open": "期限内",
    "none": "期限なし",
}


@dataclass(frozen=True)
class Submission:
    """A routed submission as an agency sees it (``fields``: the decision's normalised fields)."""

    intake_id: int
    reference: str | None
    agency: str
    received_at: dt.datetime
    received_on: dt.date
    decided_at: dt.datetime | None
    contact_due: dt.date | None  # None: the agency is not bound to the contact deadline (kosha)
    contacted_at: dt.datetime | None
    contacted_by: str | None
    deadline_status: str  # a key of DEADLINE_STATUS
    decision: Mapping[str, Any]
    has_original: bool

    @property
    def fields(self) -> Mapping[str, Any]:
        return dict(self.decision.get("fields") or {})


class Submissions:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk
        self._store = desk.store

    def _view(self, row: IntakeRow, today: dt.date) -> Submission:
        received_on = date_in_japan(row.received_at)
        book = self._desk.rulebooks.for_date(received_on)
        due = None
        if row.agency in book.contact_sla.agencies:
            due = add_business_days(received_on, book.contact_sla.business_days)
        if row.contacted_at is not None:
            status = "contacted"
        elif due is None:
            status = "none"
        else:
            status = "overdue" if today > due else "due_today" if today == due else "open"
        return Submission(
            intake_id=row.id,
            reference=row.reference,
            agency=row.agency or "",
            received_at=row.received_at,
            received_on=received_on,
            decided_at=row.decided_at,
            contact_due=due,
            contacted_at=row.contacted_at,
            contacted_by=row.contacted_by,
            deadline_status=status,
            decision=dict(row.decision or {}),
            has_original=row.form_sha256 is not None,
        )

    def page(
        self,
        agency: str,
        *,
        since: dt.date | None,
        until: dt.date | None,
        today: dt.date,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[list[Submission], int]:
        """One page of the submissions routed to ``agency`` received in [since, until], and the total."""
        rows, total = self._store.queue.routed_to(
            agency, since=since, until=until, limit=limit, offset=offset
        )
        return [self._view(r, today) for r in rows], total

    def get(self, ref: str, today: dt.date) -> Submission | None:
        """A routed submission by reference number (R8-000042) or intake id; None when there is none."""
        text = ref.strip()
        row = self._store.intakes.get(int(text)) if text.isdigit() else self._store.intakes.by_reference(text)
        if row is None or row.status != "routed":
            return None
        return self._view(row, today)

    def original(self, submission: Submission) -> bytes | None:
        """The 様式1 PDF of the submission as the bank sent it."""
        row = self._store.intakes.get(submission.intake_id)
        return None if row is None else self._desk.original(row).form_bytes
