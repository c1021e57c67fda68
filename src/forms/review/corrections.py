"""What a clerk does to one intake: preview corrections, commit them, route, reject, mark it handled,
put it back in the workers' queue, send a dead letter again. Every action writes an event with who
did it; the original bytes are never changed."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from forms.access.scope import Scope
from forms.errors import INFO_CODES, ReviewError, StoreError
from forms.ledger import frame_for
from forms.model import Decision, Status
from forms.review.desk import EVERY, OPEN, Desk
from forms.review.values import stored_decision
from forms.route import clerk_rejection, route
from forms.store.queue import ClerkDecision


class Corrections:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk
        self._store = desk.store

    def preview(self, intake_id: int, corrections: Mapping[str, str], *, scope: Scope = EVERY) -> Decision:
        """The decision the intake would get with its stored corrections and these; nothing is written."""
        row = self._desk.row(intake_id, scope)
        self._check(corrections)
        return self._desk.clerk_decision(row, {**self._desk.corrections(intake_id), **corrections})

    def fix(
        self, intake_id: int, corrections: Mapping[str, str], *, actor: str, scope: Scope = EVERY
    ) -> Decision:
        """Store the corrections (each an event 'corrected' by ``actor``); the decision they give.
        Refused when they would take the intake outside ``scope`` (a corrected agency)."""
        row = self._desk.row(intake_id, scope)
        self._check(corrections)
        if row.status not in OPEN:
            raise ReviewError(f"申込み {intake_id} は {row.status or row.state} のため訂正できません")
        self._desk.reading(row)
        after = self._desk.clerk_decision(row, {**self._desk.corrections(intake_id), **corrections})
        self._desk.keep_in_scope(intake_id, after, scope)
        for key, value in corrections.items():
            self._store.intakes.add_correction(intake_id, key, value, actor=actor)
        return self._desk.clerk_decision(row, self._desk.corrections(intake_id))

    def route(self, intake_id: int, *, actor: str, scope: Scope = EVERY) -> Decision:
        """Decide again with the stored corrections; when that routes, forward to the agency and send
        the bank its receipt (same reference), record it (event 'routed_by_clerk'). Refused, with the
        reasons, when it does not route, or when it would go to an agency outside ``scope``."""
        row = self._desk.open_row(intake_id, scope)
        corrections = self._desk.corrections(intake_id)
        decision = self._desk.clerk_decision(row, corrections)
        self._desk.keep_in_scope(intake_id, decision, scope)
        if decision.status is not Status.ROUTED:
            reasons = "／".join(f"[{r.code}] {r.message}" for r in decision.reasons)
            raise ReviewError(f"申込み {intake_id} は転送できません（判定: {decision.status}）: {reasons}")
        book, ctx = self._desk.route_context(row)
        orig = self._desk.original(row)
        made = route(decision, orig.mail, orig.pdf, ctx, self._desk.templates)
        grants = frame_for(decision, book.capped_agencies)
        clerk = ClerkDecision("routed", decision.agency, decision.to_json(), made, None, True, grants)
        detail = {"previous_status": row.status, "reference": row.reference, "corrections": corrections}
        self._desk.record(intake_id, clerk, row.status, "routed_by_clerk", actor, detail)
        return decision

    def reject(self, intake_id: int, *, actor: str, message: str | None = None, scope: Scope = EVERY) -> None:
        """Reject: the bank gets the rejection mail with the clerk's text (one numbered point per line;
        default: the reasons' messages), status 'rejected', handled, event 'rejected_by_clerk'."""
        row = self._desk.open_row(intake_id, scope)
        decision = stored_decision(row)
        if self._desk.stored_reading(intake_id) is not None:
            decision = self._desk.clerk_decision(row, self._desk.corrections(intake_id))
        decision = dataclasses.replace(decision, status=Status.REJECTED)
        default = [r.message for r in decision.reasons if r.code not in INFO_CODES]
        lines = [s.strip() for s in (message.splitlines() if message is not None else default) if s.strip()]
        if not lines:
            raise ReviewError(f"申込み {intake_id}: 差戻しの理由がありません（理由の文面を入力してください）")
        _, ctx = self._desk.route_context(row)
        orig = self._desk.original(row)
        records = clerk_rejection(decision, orig.mail, orig.pdf, ctx, lines, self._desk.templates)
        clerk = ClerkDecision("rejected", decision.agency, decision.to_json(), records, None, True)
        detail = {"previous_status": row.status, "message": "\n".join(lines), "sent": bool(records)}
        self._desk.record(intake_id, clerk, row.status, "rejected_by_clerk", actor, detail)

    def mark_handled(self, intake_id: int, *, actor: str, note: str = "", scope: Scope = EVERY) -> None:
        """A clerk has dealt with the intake: it leaves the queue and the deadline list (event 'handled')."""
        self._desk.row(intake_id, scope)
        self._store.queue.set_handled(intake_id, actor=actor, handled=True, note=note)

    def retry(self, intake_id: int, *, actor: str, scope: Scope = EVERY) -> None:
        """Put a failed (or decided) intake back in the workers' queue; its corrections apply."""
        self._desk.row(intake_id, scope)
        try:
            self._store.intakes.retry(intake_id, actor=actor)
        except StoreError as exc:
            raise ReviewError(f"申込み {intake_id} は再実行できません: {exc}") from exc
        record = self._store.queue.review_record(intake_id)
        if record is not None and record.handled_at is not None:
            self._store.queue.set_handled(intake_id, actor=actor, handled=False, note="retry")

    def retry_message(self, outbox_id: int, *, actor: str) -> None:
        """Send a dead letter again."""
        try:
            self._store.outbox.requeue_dead(outbox_id, actor=actor)
        except StoreError as exc:
            raise ReviewError(f"送信メッセージ {outbox_id} は再送できません: {exc}") from exc

    def requeue_dead_letters(
        self, outbox_ids: Sequence[int] | None, *, actor: str, scope: Scope = EVERY
    ) -> list[int]:
        """Send dead letters again in bulk: those of ``outbox_ids``, or (None) every one; a scoped clerk
        only those of the agency's intakes. Each is tried again at once, and for the full time before
        the outbox gives up (event 'requeued' each). Returns the ids requeued."""
        if outbox_ids is not None and not outbox_ids:
            raise ReviewError("再送するメッセージを選んでください")
        return self._store.outbox.requeue_dead_letters(outbox_ids, actor=actor, scope=scope.agencies)

    def _check(self, corrections: Mapping[str, str]) -> None:
        unknown = sorted(k for k in corrections if k not in self._desk.spec.fields)
        if unknown:
            raise ReviewError(f"様式1にない項目です: {', '.join(unknown)}")
        wrong = sorted(k for k, v in corrections.items() if not isinstance(v, str))
        if wrong:
            raise ReviewError(f"訂正は文字で入力してください: {', '.join(wrong)}")
