"""What a clerk reads: the review queue, one intake with its reading and corrections, its page images,
the contact deadlines, the decided intakes of a status and the outbox. Nothing here writes."""

from __future__ import annotations

import datetime as dt

from forms.access.scope import Scope
from forms.decide import Context, apply_corrections, read_fields
from forms.jp.business_days import add_business_days
from forms.jp.wareki import date_in_japan
from forms.model import Shape
from forms.review.desk import Desk
from forms.review.original import render_page
from forms.review.values import DeadlineRow, IntakeView, raw_values, regions, stored_decision
from forms.store import OutboxItem
from forms.store.queue import QueueFilter, QueueRow

EVERY = Scope.every()
#: Shapes read from their text, without page images (the console shows none).
OFFICE_SHAPES = frozenset({Shape.DOCX, Shape.XLSX, Shape.DOC, Shape.XLS})


class Queue:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk
        self._store = desk.store

    def page(self, f: QueueFilter, *, limit: int = 50, offset: int = 0) -> tuple[list[QueueRow], int]:
        """One page of the review queue (newest first) and the total the filter finds."""
        return self._store.queue.page(f, limit=limit, offset=offset)

    def view(self, intake_id: int, *, scope: Scope = EVERY) -> IntakeView | None:
        """One intake as a clerk sees it; None when there is none or it is outside ``scope``."""
        row = self._store.intakes.get(intake_id)
        if row is None or not scope.allows(row.agency):
            return None
        record = self._store.queue.review_record(intake_id)
        extraction = self._desk.stored_reading(intake_id)
        corrections = self._desk.corrections(intake_id)
        decision = stored_decision(row)
        fields, low, certainty = dict(decision.fields), frozenset[str](), dict(decision.certainty)
        if extraction is not None:
            corrected = apply_corrections(extraction, corrections)
            ctx = Context(
                rulebook=self._desk.rulebooks.in_force_at(row.received_at),
                spec=self._desk.spec,
                correspondents=self._store.correspondents,
                min_confidence=self._desk.settings.ocr_min_confidence,
            )
            n = read_fields(corrected, ctx, sender=row.sender)
            fields, low, certainty = dict(n.fields), n.low_confidence, dict(n.certainty)
        return IntakeView(
            row=row,
            decision=decision,
            fields=fields,
            raw=raw_values(extraction),
            low_confidence=low,
            corrections=corrections,
            events=self._store.events.of(intake_id),
            pages=extraction.pages if extraction and extraction.shape not in OFFICE_SHAPES else 0,
            shape=str(extraction.shape) if extraction else None,
            handled_at=record.handled_at if record else None,
            handled_by=record.handled_by if record else None,
            certainty=certainty,
            regions=regions(extraction),
        )

    def page_png(self, intake_id: int, page: int, *, dpi: int = 110) -> bytes | None:
        """Page ``page`` (1-based) of the intake's original 様式1 as PNG; None when there is none."""
        row = self._store.intakes.get(intake_id)
        if row is None:
            return None
        form = self._desk.original(row).form_bytes
        if form is None:
            return None
        return render_page(form, page, dpi=dpi, max_pages=self._desk.settings.max_pages)

    def deadlines(self, today: dt.date, *, scope: Scope = EVERY) -> list[DeadlineRow]:
        """Routed intakes of the agencies bound to the contact deadline (rule 11) that no clerk has
        marked handled, soonest due first."""
        books = self._desk.rulebooks
        agencies = scope.within(books.newest.contact_sla.agencies)
        rows = []
        for r in self._store.queue.routed_unhandled(agencies):
            received_on = date_in_japan(r.received_at)
            book = books.for_date(received_on)
            due = add_business_days(received_on, book.contact_sla.business_days)
            days_left = (due - today).days
            rows.append(
                DeadlineRow(
                    r.id, r.reference, r.agency, r.company_name, received_on, due, today > due, days_left
                )
            )
        return sorted(rows, key=lambda d: (d.due, d.intake_id))

    def decided_ids(self, status: str) -> list[int]:
        """Every decided intake with this decision, oldest first (what a reprocess by status takes)."""
        return self._store.queue.ids_with_status(status)

    def outbox(self, state: str | None = None) -> list[OutboxItem]:
        return self._store.outbox.items(state=state)
