"""The agency's contact with the company (DOMAIN rule 11): agency staff mark a routed submission
"contacted" (the console's deadlines page, ``forms review contacted REF``); a contacted submission
leaves the deadline list and the morning digest. A clerk scoped to an agency marks only its own."""

from __future__ import annotations

from forms.access.scope import Scope
from forms.errors import ReviewError, StoreError
from forms.review.desk import EVERY, Desk
from forms.store import IntakeRow


class Contacts:
    def __init__(self, desk: Desk) -> None:
        self._store = desk.store

    def find(self, ref: str) -> IntakeRow:
        """The intake of a reference number (R8-000042) or an intake id (42)."""
        text = ref.strip()
        row = self._store.intakes.get(int(text)) if text.isdigit() else self._store.intakes.by_reference(text)
        if row is None:
            raise ReviewError(f"申込み {text} はありません")
        return row

    def mark(self, ref: str, *, actor: str, scope: Scope = EVERY) -> IntakeRow:
        """Mark the routed submission ``ref`` contacted by ``actor``; ReviewError when it is not routed,
        is another agency's (``scope``), or was marked before."""
        row = self.find(ref)
        if not scope.allows(row.agency):
            raise ReviewError(f"申込み {ref} は他の支援機関の申込みです")
        if row.status != "routed":
            raise ReviewError(
                f"申込み {ref} は支援機関へ転送した申込みではありません（{row.status or row.state}）"
            )
        try:
            self._store.queue.set_contacted(row.id, actor=actor)
        except StoreError as exc:
            raise ReviewError(f"申込み {ref} は既に連絡済みです") from exc
        return row
