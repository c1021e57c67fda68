"""What every clerk's operation works with: the store, the rulebooks, the ledger, the mail templates,
and the look-ups they share (an intake a clerk may act on, its corrections, its reading, its original,
the decision a clerk's corrections give, the routing context of its reference).

A clerk's decision is made from the reading stored with the intake — the PDF is not read again —
with the clerk's corrections over it, by the normal normalize → validate → decide, with two
differences, because a clerk has looked at the form: the values read are taken as confirmed (no
LOW_CONFIDENCE for a value that was read, only for one that could not be read as its type), and the
sender allow-list is not applied (the clerk vouches for the sender by acting).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from forms.access.scope import Scope
from forms.config import Settings
from forms.decide import Candidate, Context, apply_corrections, decide
from forms.errors import ReviewError, StoreError
from forms.ledger import LedgerView
from forms.model import Decision, Extraction, extraction_from_json
from forms.review.original import Original, original
from forms.route import MailTemplates, RouteContext, reference_number, route_context
from forms.rules.loader import Rulebook, Rulebooks
from forms.spec import FormSpec
from forms.store import IntakeRow, Store
from forms.store.queue import ClerkDecision

EVERY = Scope.every()
#: Decisions a clerk may still change by routing or rejecting.
OPEN = frozenset({"needs_review", "rejected"})


@dataclasses.dataclass
class Desk:
    """The clerks' desk: shared by the queue, the corrections and the reprocessing of one Review."""

    store: Store
    settings: Settings
    rulebooks: Rulebooks
    spec: FormSpec
    ledger: LedgerView
    templates: MailTemplates

    def row(self, intake_id: int, scope: Scope = EVERY) -> IntakeRow:
        """The intake, when it exists and is within ``scope`` (another agency's is "not there")."""
        row = self.store.intakes.get(intake_id)
        if row is None or not scope.allows(row.agency):
            raise ReviewError(f"申込み {intake_id} はありません（又は担当外です）")
        return row

    def open_row(self, intake_id: int, scope: Scope = EVERY) -> IntakeRow:
        """An intake a clerk may route or reject: decided needs_review or rejected, not handled yet."""
        row = self.row(intake_id, scope)
        if row.state != "decided" or row.status not in OPEN:
            state = row.status or row.state
            raise ReviewError(f"申込み {intake_id} は {state} のため、転送も差戻しもできません")
        record = self.store.queue.review_record(intake_id)
        if record is not None and record.handled_at is not None:
            raise ReviewError(f"申込み {intake_id} は {record.handled_by} が処理済みです")
        return row

    def corrections(self, intake_id: int) -> dict[str, str]:
        return {k: str(v) for k, v in self.store.intakes.corrections(intake_id).items()}

    def stored_reading(self, intake_id: int) -> Extraction | None:
        record = self.store.queue.review_record(intake_id)
        return extraction_from_json(dict(record.extraction) if record and record.extraction else None)

    def reading(self, row: IntakeRow) -> Extraction:
        extraction = self.stored_reading(row.id)
        if extraction is None:
            raise ReviewError(
                f"申込み {row.id} には読み取れた様式1がないため、項目を訂正できません"
                "（差戻しか処理済みにしてください）"
            )
        return extraction

    def clerk_decision(self, row: IntakeRow, corrections: Mapping[str, str]) -> Decision:
        """The decision the stored reading gives with ``corrections`` over it (see the module text)."""
        extraction = apply_corrections(self.reading(row), corrections)
        stored = row.decision or {}
        ctx = Context(
            rulebook=self.rulebooks.in_force_at(row.received_at),
            spec=self.spec,
            ledger=self.ledger,
            min_confidence=0.0,
            clerk_checked=True,
        )
        source = stored.get("source") or row.source or f"intake {row.id}"
        return decide(source, [Candidate(stored.get("attachment"), extraction)], ctx)

    @staticmethod
    def keep_in_scope(intake_id: int, decision: Decision, scope: Scope) -> None:
        """Refused when a clerk's corrections would take the intake to an agency outside their scope."""
        if not scope.allows(decision.agency):
            where = decision.agency or "未定"
            raise ReviewError(
                f"申込み {intake_id}: 訂正後の申込先（{where}）は担当外のため、この訂正はできません"
            )

    def original(self, row: IntakeRow) -> Original:
        return original(
            self.store.intakes.blob(row.sha256),
            form_sha256=row.form_sha256,
            decision=row.decision,
            max_part_bytes=self.settings.max_pdf_bytes,
        )

    def route_context(self, row: IntakeRow) -> tuple[Rulebook, RouteContext]:
        """The rulebook the intake is judged by and its routing context, dated now (a clerk's act)."""
        book = self.rulebooks.in_force_at(row.received_at)
        reference = row.reference or reference_number(book, row.id)
        ctx = route_context(self.settings, book, reference, row.received_at, row.channel)
        return book, dataclasses.replace(ctx, sent_at=self.store.now())

    def record(
        self, intake_id: int, made: ClerkDecision, expected: str | None, kind: str, actor: str, detail: dict
    ) -> None:
        """Record a clerk's (or a reprocess's) decision over the one stored, if it is still ``expected``."""
        try:
            self.store.queue.record_clerk_decision(
                intake_id, made, expected_status=expected, kind=kind, actor=actor, detail=detail
            )
        except StoreError as exc:
            raise ReviewError(f"申込み {intake_id}: {exc}") from exc
