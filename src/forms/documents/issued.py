"""The documents issued from the store, as the console and the commands use them: the routed 様式1
a document is made from, the 様式3 awaiting an answer or overdue, the batch of 様式3, and the record
of each document handed out (an event with who did it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from forms.documents.batch import FORMATS, IssuedBatch, issue_youshiki3_batch
from forms.ledger import CompanyKey
from forms.rules.schema import Rulebook
from forms.spec import ISSUERS
from forms.store import Store
from forms.store.youshiki3 import IssuedYoushiki3, RoutedForm

__all__ = ["ISSUERS", "IssuedDocuments", "IssuedYoushiki3", "RoutedForm"]


class IssuedDocuments:
    def __init__(self, store: Store) -> None:
        self._store = store

    def routed_form(self, key: CompanyKey, agency: str) -> RoutedForm | None:
        """The company's newest routed 様式1 to ``agency``, else to any agency that issues documents."""
        records = self._store.youshiki3
        return records.latest_routed(key, (agency,)) or records.latest_routed(key, ISSUERS)

    def unanswered(self) -> list[IssuedYoushiki3]:
        """様式3 sent to banks and not answered yet, the earliest 回答期日 first."""
        found = (i for i in self._store.youshiki3.issued() if i.answered_on is None)
        return sorted(found, key=lambda i: (i.due_on, i.id))

    def overdue(self, today: dt.date) -> list[IssuedYoushiki3]:
        return self._store.youshiki3.overdue(today)

    def record_youshiki3(self, **issued: Any) -> int | None:
        """Record one issued 様式3 (``Youshiki3Records.record_issued``'s keywords)."""
        return self._store.youshiki3.record_issued(**issued)

    def handed_out(self, kind: str, *, intake_id: int | None, actor: str, detail: dict[str, Any]) -> None:
        """A document a clerk downloaded (``youshiki2_issued``, ``youshiki3_issued``), in the event log."""
        self._store.events.add(intake_id, kind, actor=actor, detail=detail)

    def batch(
        self,
        *,
        agencies: Sequence[str],
        rulebook: Rulebook,
        issued_on: dt.date,
        out_dir: Path,
        formats: Sequence[str] = FORMATS,
        font_dir: Path | None = None,
        workers: int = 0,
        progress: bool = False,
        on_progress: Any = None,
        actor: str = "cli",
    ) -> IssuedBatch:
        """One 様式3 per routed 様式1 of ``agencies`` without one (``batch.issue_youshiki3_batch``);
        a batch that found nothing is an event too."""
        done = issue_youshiki3_batch(
            self._store,
            agencies=agencies,
            rulebook=rulebook,
            issued_on=issued_on,
            out_dir=out_dir,
            formats=formats,
            font_dir=font_dir,
            workers=workers,
            progress=progress,
            on_progress=on_progress,
            actor=actor,
        )
        if not done.count:  # record_many records the event only when something was issued
            detail = {"count": 0, "agencies": list(agencies)}
            self._store.events.add(None, "youshiki3_issued_batch", actor=actor, detail=detail)
        return done
