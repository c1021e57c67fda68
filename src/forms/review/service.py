"""The Review service: what a clerk does to intakes, over the store (see the package text).

A clerk's decision (preview, fix, route) is made from the reading stored with the intake — the PDF is
not read again — with the clerk's corrections over it, by the normal normalize → validate → decide,
with two differences, because a clerk has looked at the form: the values read are taken as confirmed
(no LOW_CONFIDENCE for a value that was read, only for one that could not be read as its type), and
the sender allow-list is not applied (the clerk vouches for the sender by acting). Bulk reprocessing
is the machine's decision again: the original bytes are read again (so a code change counts too) and
judged like a new intake, with the clerks' corrections.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from forms.config import Settings
from forms.decide import Candidate, Context, apply_corrections, decide
from forms.errors import INFO_CODES, ReviewError, StoreError
from forms.jp.business_days import add_business_days
from forms.jp.wareki import JST
from forms.ledger import LedgerView
from forms.mailroom.worker import frame_for
from forms.model import Decision, Extraction, Status
from forms.normalize import normalize
from forms.pipeline import Outcome, Pipeline, extraction_from_json, extraction_to_json
from forms.review.original import Original, original, render_page
from forms.review.values import DeadlineRow, IntakeView, outcome_text, raw_values, stored_decision
from forms.route import MailTemplates, RouteContext, clerk_rejection, route, route_context
from forms.rules.loader import Rulebook, load_rulebooks
from forms.spec import load_spec
from forms.store import IntakeRow, OutboxItem, Store, StoreLedger
from forms.store.queue import ClerkDecision, QueueFilter, QueueRow

#: Decisions a clerk may still change by routing or rejecting.
OPEN = frozenset({"needs_review", "rejected"})
Progress = Callable[[int, int], None]


class Review:
    """The clerks' operations. Thread-safe; ``close`` stops the readers a reprocess started."""

    def __init__(self, store: Store, settings: Settings, *, pipeline: Pipeline | None = None) -> None:
        self.store = store
        self.settings = settings
        self.rulebooks = pipeline.rulebooks if pipeline else load_rulebooks(settings.rulebook_dir)
        self.spec = pipeline.spec if pipeline else load_spec()
        newest = max(self.rulebooks, key=lambda b: b.effective_from)
        ledger = pipeline.ledger if pipeline else None
        self.ledger: LedgerView = ledger or StoreLedger(
            store, newest.shared_cap.cap_per_frame_yen, newest.capped_agencies
        )
        self.templates = MailTemplates.for_settings(settings)
        self._pipeline, self._owns_pipeline = pipeline, False
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            if self._owns_pipeline and self._pipeline is not None:
                self._pipeline.close()
                self._pipeline, self._owns_pipeline = None, False

    # -- reading --------------------------------------------------------------------------------

    def queue(self, f: QueueFilter, *, limit: int = 50, offset: int = 0) -> tuple[list[QueueRow], int]:
        """One page of the review queue (newest first) and the total the filter finds."""
        return self.store.queue.page(f, limit=limit, offset=offset)

    def view(self, intake_id: int, *, scope: str | None = None) -> IntakeView | None:
        """One intake as a clerk sees it; None when there is none or it is outside ``scope``."""
        row = self.store.intakes.get(intake_id)
        if row is None or (scope is not None and row.agency != scope):
            return None
        record = self.store.queue.review_record(intake_id)
        extraction = extraction_from_json(record.extraction if record else None)
        corrections = self._corrections(intake_id)
        decision = stored_decision(row)
        fields, low = dict(decision.fields), frozenset[str]()
        if extraction is not None:
            corrected = apply_corrections(extraction, corrections)
            n = normalize(corrected, self.spec, min_confidence=self.settings.ocr_min_confidence)
            fields, low = dict(n.fields), n.low_confidence
        return IntakeView(
            row=row,
            decision=decision,
            fields=fields,
            raw=raw_values(extraction),
            low_confidence=low,
            corrections=corrections,
            events=self.store.events.of(intake_id),
            pages=extraction.pages if extraction else 0,
            shape=str(extraction.shape) if extraction else None,
            handled_at=record.handled_at if record else None,
            handled_by=record.handled_by if record else None,
        )

    def page_png(self, intake_id: int, page: int, *, dpi: int = 110) -> bytes | None:
        """Page ``page`` (1-based) of the intake's original 様式1 as PNG; None when there is none."""
        row = self.store.intakes.get(intake_id)
        if row is None:
            return None
        form = self._original(row).form_bytes
        if form is None:
            return None
        return render_page(form, page, dpi=dpi, max_pages=self.settings.max_pages)

    def deadlines(self, today: date, *, scope: str | None = None) -> list[DeadlineRow]:
        """Routed intakes of the agencies bound to the contact deadline (rule 11) that no clerk has
        marked handled, soonest due first."""
        newest = max(self.rulebooks, key=lambda b: b.effective_from)
        agencies = [a for a in newest.contact_sla.agencies if scope is None or a == scope]
        rows = []
        for r in self.store.queue.routed_unhandled(agencies):
            received_on = r.received_at.astimezone(JST).date()
            book = self.rulebooks.for_date(r.received_at.date())
            due = add_business_days(received_on, book.contact_sla.business_days)
            rows.append(
                DeadlineRow(
                    r.id,
                    r.reference,
                    r.agency,
                    r.company_name,
                    received_on,
                    due,
                    today > due,
                    (due - today).days,
                )
            )
        return sorted(rows, key=lambda d: (d.due, d.intake_id))

    def decided_ids(self, status: str) -> list[int]:
        """Every decided intake with this decision, oldest first (what a reprocess by status takes)."""
        return self.store.queue.ids_with_status(status)

    def outbox(self, state: str | None = None) -> list[OutboxItem]:
        return self.store.outbox.items(state=state)

    # -- corrections and the clerk's decision ---------------------------------------------------

    def preview(self, intake_id: int, corrections: Mapping[str, str]) -> Decision:
        """The decision the intake would get with its stored corrections and these; nothing is written."""
        row = self._row(intake_id)
        self._check_corrections(corrections)
        return self._clerk_decision(row, {**self._corrections(intake_id), **corrections})

    def fix(self, intake_id: int, corrections: Mapping[str, str], *, actor: str) -> Decision:
        """Store the corrections (each an event 'corrected' by ``actor``); the decision they give."""
        row = self._row(intake_id)
        self._check_corrections(corrections)
        if row.status not in OPEN:
            raise ReviewError(f"申込み {intake_id} は {row.status or row.state} のため訂正できません")
        self._reading(row)
        for key, value in corrections.items():
            self.store.intakes.add_correction(intake_id, key, value, actor=actor)
        return self._clerk_decision(row, self._corrections(intake_id))

    def route(self, intake_id: int, *, actor: str) -> Decision:
        """Decide again with the stored corrections; when that routes, forward to the agency and send
        the bank its receipt (same reference), record it (event 'routed_by_clerk'). Refused, with the
        reasons, when it does not route."""
        row = self._open_row(intake_id)
        corrections = self._corrections(intake_id)
        decision = self._clerk_decision(row, corrections)
        if decision.status is not Status.ROUTED:
            reasons = "／".join(f"[{r.code}] {r.message}" for r in decision.reasons)
            raise ReviewError(f"申込み {intake_id} は転送できません（判定: {decision.status}）: {reasons}")
        book, ctx = self._route_context(row)
        made = route(decision, self._original(row).mail, self._original(row).pdf, ctx, self.templates)
        records = made
        clerk = ClerkDecision(
            "routed", decision.agency, decision.to_json(), records, None, True, frame_for(decision, book)
        )
        detail = {"previous_status": row.status, "reference": row.reference, "corrections": corrections}
        self._record(intake_id, clerk, row.status, "routed_by_clerk", actor, detail)
        return decision

    def reject(self, intake_id: int, *, actor: str, message: str | None = None) -> None:
        """Reject: the bank gets the rejection mail with the clerk's text (one numbered point per line;
        default: the reasons' messages), status 'rejected', handled, event 'rejected_by_clerk'."""
        row = self._open_row(intake_id)
        decision = stored_decision(row)
        if extraction_from_json(self._record_of(intake_id)) is not None:
            decision = self._clerk_decision(row, self._corrections(intake_id))
        decision = dataclasses.replace(decision, status=Status.REJECTED)
        default = [r.message for r in decision.reasons if r.code not in INFO_CODES]
        lines = [s.strip() for s in (message.splitlines() if message is not None else default) if s.strip()]
        if not lines:
            raise ReviewError(f"申込み {intake_id}: 差戻しの理由がありません（理由の文面を入力してください）")
        _, ctx = self._route_context(row)
        orig = self._original(row)
        records = clerk_rejection(decision, orig.mail, orig.pdf, ctx, lines, self.templates)
        clerk = ClerkDecision("rejected", decision.agency, decision.to_json(), records, None, True)
        detail = {"previous_status": row.status, "message": "\n".join(lines), "sent": bool(records)}
        self._record(intake_id, clerk, row.status, "rejected_by_clerk", actor, detail)

    def mark_handled(self, intake_id: int, *, actor: str, note: str = "") -> None:
        """A clerk has dealt with the intake: it leaves the queue and the deadline list (event 'handled')."""
        self._row(intake_id)
        self.store.queue.set_handled(intake_id, actor=actor, handled=True, note=note)

    def retry(self, intake_id: int, *, actor: str) -> None:
        """Put a failed (or decided) intake back in the workers' queue; its corrections apply."""
        try:
            self.store.intakes.retry(intake_id, actor=actor)
        except StoreError as exc:
            raise ReviewError(f"申込み {intake_id} は再実行できません: {exc}") from exc
        record = self.store.queue.review_record(intake_id)
        if record is not None and record.handled_at is not None:
            self.store.queue.set_handled(intake_id, actor=actor, handled=False, note="retry")

    def retry_message(self, outbox_id: int, *, actor: str) -> None:
        """Send a dead letter again."""
        try:
            self.store.outbox.requeue_dead(outbox_id, actor=actor)
        except StoreError as exc:
            raise ReviewError(f"送信メッセージ {outbox_id} は再送できません: {exc}") from exc

    # -- bulk reprocessing ----------------------------------------------------------------------

    def reprocess(
        self, ids: Sequence[int], *, apply: bool, actor: str, progress: Progress | None = None
    ) -> list[tuple[int, str, str]]:
        """Read and decide the intakes again; (id, before, after) for each, as ``outcome_text``.
        A dry run (``apply`` False) writes nothing but one event; ``apply`` records every changed
        decision (event 'reprocessed') and queues its messages (a message sent before is not sent again).
        Intakes that are not decided, and duplicates, are skipped."""
        pipeline = self._reader()
        rows = [self.store.intakes.get(i) for i in ids]
        todo = [r for r in rows if r is not None and r.state == "decided" and r.status != "duplicate"]
        done = 0

        def examine(row: IntakeRow) -> Outcome:
            outcome = pipeline.examine(
                self.store.intakes.blob(row.sha256),
                source=row.source or f"intake {row.id}",
                received_at=row.received_at,
                corrections=self._corrections(row.id),
            )
            nonlocal done
            with self._lock:
                done += 1
                if progress is not None:
                    progress(done, len(todo))
            return outcome

        with ThreadPoolExecutor(max_workers=self.settings.worker_count) as pool:
            outcomes = dict(zip([r.id for r in todo], pool.map(examine, todo), strict=True))
        results = []
        for intake_id, row in zip(ids, rows, strict=True):
            results.append(self._reprocessed(intake_id, row, outcomes.get(intake_id), apply, actor))
        changed = sum(1 for _, before, after in results if before != after and not after.startswith("("))
        kind = "reprocess_applied" if apply else "reprocess_previewed"
        self.store.events.add(None, kind, actor=actor, detail={"intakes": len(ids), "changed": changed})
        return results

    def _reprocessed(
        self, intake_id: int, row: IntakeRow | None, outcome: Outcome | None, apply: bool, actor: str
    ) -> tuple[int, str, str]:
        if row is None or outcome is None:
            state = "absent" if row is None else row.status if row.status == "duplicate" else row.state
            return intake_id, outcome_text(row.decision if row else None), f"(skipped: {state})"
        before, after = outcome_text(row.decision), outcome_text(outcome.decision)
        if not apply or before == after:
            return intake_id, before, after
        book, ctx = self._route_context(row)
        pdf = (outcome.form_name or "youshiki1.pdf", outcome.form_bytes) if outcome.form_bytes else None
        made = route(outcome.decision, outcome.mail, pdf, ctx, self.templates)
        clerk = ClerkDecision(
            str(outcome.decision.status),
            outcome.decision.agency,
            outcome.decision.to_json(),
            made,
            extraction_to_json(outcome.extraction) if outcome.extraction else None,
            False,
            frame_for(outcome.decision, book),
        )
        self._record(intake_id, clerk, row.status, "reprocessed", actor, {"before": before, "after": after})
        return intake_id, before, after

    def _reader(self) -> Pipeline:
        """The pipeline that reads PDFs again, started on first use (reader processes)."""
        with self._lock:
            if self._pipeline is None:
                self._pipeline = Pipeline(self.settings, ledger=self.ledger, rulebooks=self.rulebooks)
                self._owns_pipeline = True
            return self._pipeline

    # -- internals ------------------------------------------------------------------------------

    def _row(self, intake_id: int) -> IntakeRow:
        row = self.store.intakes.get(intake_id)
        if row is None:
            raise ReviewError(f"申込み {intake_id} はありません")
        return row

    def _open_row(self, intake_id: int) -> IntakeRow:
        """An intake a clerk may route or reject: decided needs_review or rejected, not handled yet."""
        row = self._row(intake_id)
        if row.state != "decided" or row.status not in OPEN:
            state = row.status or row.state
            raise ReviewError(f"申込み {intake_id} は {state} のため、転送も差戻しもできません")
        record = self.store.queue.review_record(intake_id)
        if record is not None and record.handled_at is not None:
            raise ReviewError(f"申込み {intake_id} は {record.handled_by} が処理済みです")
        return row

    def _corrections(self, intake_id: int) -> dict[str, str]:
        return {k: str(v) for k, v in self.store.intakes.corrections(intake_id).items()}

    def _check_corrections(self, corrections: Mapping[str, str]) -> None:
        unknown = sorted(k for k in corrections if k not in self.spec.fields)
        if unknown:
            raise ReviewError(f"様式1にない項目です: {', '.join(unknown)}")
        wrong = sorted(k for k, v in corrections.items() if not isinstance(v, str))
        if wrong:
            raise ReviewError(f"訂正は文字で入力してください: {', '.join(wrong)}")

    def _record_of(self, intake_id: int) -> dict | None:
        record = self.store.queue.review_record(intake_id)
        return dict(record.extraction) if record and record.extraction else None

    def _reading(self, row: IntakeRow) -> Extraction:
        extraction = extraction_from_json(self._record_of(row.id))
        if extraction is None:
            raise ReviewError(
                f"申込み {row.id} には読み取れた様式1がないため、項目を訂正できません"
                "（差戻しか処理済みにしてください）"
            )
        return extraction

    def _clerk_decision(self, row: IntakeRow, corrections: Mapping[str, str]) -> Decision:
        extraction = apply_corrections(self._reading(row), corrections)
        stored = row.decision or {}
        ctx = Context(
            rulebook=self.rulebooks.for_date(row.received_at.date()),
            spec=self.spec,
            ledger=self.ledger,
            min_confidence=0.0,
        )
        source = stored.get("source") or row.source or f"intake {row.id}"
        return decide(source, [Candidate(stored.get("attachment"), extraction)], ctx)

    def _original(self, row: IntakeRow) -> Original:
        return original(
            self.store.intakes.blob(row.sha256),
            form_sha256=row.form_sha256,
            decision=row.decision,
            max_part_bytes=self.settings.max_pdf_bytes,
        )

    def _route_context(self, row: IntakeRow) -> tuple[Rulebook, RouteContext]:
        book = self.rulebooks.for_date(row.received_at.date())
        reference = row.reference or f"{book.id}-{row.id:06d}"
        ctx = route_context(self.settings, book, reference, row.received_at)
        return book, dataclasses.replace(ctx, sent_at=self.store.now())

    def _record(
        self, intake_id: int, made: ClerkDecision, expected: str | None, kind: str, actor: str, detail: dict
    ) -> None:
        try:
            self.store.queue.record_clerk_decision(
                intake_id,
                made,
                expected_status=expected,
                kind=kind,
                actor=actor,
                detail=detail,
            )
        except StoreError as exc:
            raise ReviewError(f"申込み {intake_id}: {exc}") from exc
