"""Bulk reprocessing: the machine's decision again on intakes already decided.

The original bytes are read again (so a change of the readers or the rules counts too) and judged
like a new intake, with the clerks' corrections; the reading runs in the pipeline's reader
processes, one intake per reader at a time. A dry run writes nothing but one event; applied, every
changed decision is recorded (event 'reprocessed') with its messages queued — a message sent before
is not sent again (same Message-ID).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from forms.model import Outcome
from forms.pipeline import Pipeline
from forms.review.desk import Desk
from forms.review.values import outcome_text
from forms.route import routed
from forms.store import IntakeRow
from forms.store.queue import ClerkDecision

Progress = Callable[[int, int], None]
#: Decisions a reprocess leaves as they are: a copy of another intake, automatic mail (a bounce is
#: recorded on the message it reports on once).
_KEPT = ("duplicate", "automatic")


class Reprocess:
    """Thread-safe; ``close`` stops the reader processes a run started."""

    def __init__(self, desk: Desk, pipeline: Pipeline | None = None) -> None:
        self._desk = desk
        self._pipeline, self._owns_pipeline = pipeline, False
        self._lock = threading.Lock()

    def run(
        self, ids: Sequence[int], *, apply: bool, actor: str, progress: Progress | None = None
    ) -> list[tuple[int, str, str]]:
        """Read and decide the intakes again; (id, before, after) for each, as ``outcome_text``.
        Intakes that are not decided, duplicates and automatic mail are skipped."""
        store = self._desk.store
        rows = [store.intakes.get(i) for i in ids]
        todo = [r for r in rows if r is not None and r.state == "decided" and r.status not in _KEPT]
        outcomes = self._examine(todo, progress)
        results = [
            self._recorded(i, row, outcomes.get(i), apply, actor) for i, row in zip(ids, rows, strict=True)
        ]
        changed = sum(1 for _, before, after in results if before != after and not after.startswith("("))
        kind = "reprocess_applied" if apply else "reprocess_previewed"
        store.events.add(None, kind, actor=actor, detail={"intakes": len(ids), "changed": changed})
        return results

    def _examine(self, todo: list[IntakeRow], progress: Progress | None) -> dict[int, Outcome]:
        pipeline, store, done = self._reader(), self._desk.store, [0]

        def examine(row: IntakeRow) -> Outcome:
            outcome = pipeline.examine(
                store.intakes.blob(row.sha256),
                source=row.source or f"intake {row.id}",
                received_at=row.received_at,
                corrections=self._desk.corrections(row.id),
                channel=row.channel,
            )
            with self._lock:
                done[0] += 1
                if progress is not None:
                    progress(done[0], len(todo))
            return outcome

        with ThreadPoolExecutor(max_workers=self._desk.settings.worker_count) as pool:
            return dict(zip([r.id for r in todo], pool.map(examine, todo), strict=True))

    def _recorded(
        self, intake_id: int, row: IntakeRow | None, outcome: Outcome | None, apply: bool, actor: str
    ) -> tuple[int, str, str]:
        if row is None or outcome is None:
            state = "absent" if row is None else row.status if row.status in _KEPT else row.state
            return intake_id, outcome_text(row.decision if row else None), f"(skipped: {state})"
        before, after = outcome_text(row.decision), outcome_text(outcome.decision)
        if not apply or before == after:
            return intake_id, before, after
        book, ctx = self._desk.route_context(row)
        ctx = dataclasses.replace(ctx, channel=outcome.channel or ctx.channel)
        made = routed(outcome, ctx, self._desk.templates, book.capped_agencies)
        decision = made.decision
        clerk = ClerkDecision(
            str(decision.status), decision.agency, decision.to_json(), made.outgoing, made.extraction, False,
            made.frame_for,
        )  # fmt: skip
        self._desk.record(
            intake_id, clerk, row.status, "reprocessed", actor, {"before": before, "after": after}
        )
        return intake_id, before, after

    def _reader(self) -> Pipeline:
        """The pipeline that reads PDFs again, started on first use (reader processes)."""
        with self._lock:
            if self._pipeline is None:
                desk = self._desk
                self._pipeline = Pipeline(
                    desk.settings,
                    ledger=desk.ledger,
                    correspondents=desk.store.correspondents,
                    rulebooks=desk.rulebooks,
                )
                self._owns_pipeline = True
            return self._pipeline

    def close(self) -> None:
        with self._lock:
            if self._owns_pipeline and self._pipeline is not None:
                self._pipeline.close()
                self._pipeline, self._owns_pipeline = None, False
