"""What a clerk sees of a company's ledger, within their scope (``forms.access.scope``).

An unscoped person (an admin, a clerk of every agency) sees every company whole. A scoped clerk sees
a company only when one of their agencies has dealt with it — a support it recorded, a 様式3 it
issued, a 様式1 routed to it — or when they came from an intake they may see; otherwise the company
is "not found", as another agency's intake is. Of a company they may see, a scoped clerk gets:

- the support rows of their own agencies (the others' are counted, not listed);
- the shared cap, what is used and what remains, the frames and the loans only when one of their
  agencies is capped (jetro, scb share the cap, and 様式2 prints it); a kosha clerk sees its own rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from forms.access.scope import Scope
from forms.ledger import CompanyKey, CompanyLedger, LoanRecord, SupportRecord
from forms.review.desk import Desk


@dataclass(frozen=True)
class CompanyView:
    key: CompanyKey
    ledger: CompanyLedger | None  # the whole figures; None when the scope has no capped agency
    supports: tuple[SupportRecord, ...]  # the rows the scope may see, by date
    loans: tuple[LoanRecord, ...]  # by date; empty without the figures
    hidden: int  # support rows of other agencies, not listed


class Companies:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk
        self._store = desk.store

    def view(self, key: CompanyKey, scope: Scope, *, from_intake: bool = False) -> CompanyView | None:
        """The company as ``scope`` may see it; None when it may not (see the module text).
        ``from_intake``: the key was read from an intake the clerk may see."""
        whole = self._desk.ledger.company(key)
        if not (scope.is_every or from_intake or self._dealt_with(key, whole, scope)):
            return None
        shown = tuple(sorted((s for s in whole.supports if scope.allows(s.agency)), key=lambda s: s.date))
        capped = self._desk.rulebooks.newest.capped_agencies
        figures = scope.is_every or any(scope.allows(a) for a in capped)
        return CompanyView(
            key=key,
            ledger=whole if figures else None,
            supports=shown,
            loans=tuple(sorted(whole.loans, key=lambda r: r.date)) if figures else (),
            hidden=len(whole.supports) - len(shown),
        )

    def _dealt_with(self, key: CompanyKey, whole: CompanyLedger, scope: Scope) -> bool:
        agencies = sorted(scope.agencies or ())
        if not agencies:
            return False
        if any(s.agency in agencies for s in whole.supports):
            return True
        if any(scope.allows(i.agency) for i in self._store.youshiki3.issued(key=key)):
            return True
        return self._store.youshiki3.latest_routed(key, agencies) is not None
