"""Scopes: which agencies' intakes, documents and ledger rows someone may see and act on.

    Scope.every()        admins, and clerks given every agency on purpose (``--all-agencies``)
    Scope.of("jetro")    a clerk of one agency
    Scope.nothing()      a clerk whose agency is not set yet (an admin sets it): sees nothing

An intake belongs to the agency of its decision; one with no agency (no 様式1 found, no box ticked)
belongs to no agency, so only an unscoped person sees it. A scoped person acting on an intake may not
move it to an agency outside the scope (a corrected agency field), and sees a company's ledger only
when one of the scope's agencies has dealt with the company (``forms.review.companies``). The same
rules serve the console and any other way in (an agency's API tokens).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """``agencies`` None: every agency (and intakes of none); otherwise exactly those agencies."""

    agencies: frozenset[str] | None = None

    @classmethod
    def every(cls) -> Scope:
        return cls(None)

    @classmethod
    def of(cls, *agencies: str) -> Scope:
        return cls(frozenset(agencies))

    @classmethod
    def nothing(cls) -> Scope:
        return cls(frozenset())

    @property
    def is_every(self) -> bool:
        return self.agencies is None

    @property
    def is_nothing(self) -> bool:
        return self.agencies is not None and not self.agencies

    def allows(self, agency: str | None) -> bool:
        """Whether an intake, document or record of ``agency`` (None: of no agency) is within the scope."""
        return self.agencies is None or (agency is not None and agency in self.agencies)

    def within(self, agencies: Iterable[str]) -> list[str]:
        """Those of ``agencies`` the scope allows, in their order."""
        return [a for a in agencies if self.allows(a)]

    def label(self) -> str:
        """The scope in words for people (Japanese): すべての支援機関 / jetro・scb / なし."""
        if self.agencies is None:
            return "すべての支援機関"
        return "・".join(sorted(self.agencies)) or "なし（管理者の設定待ち）"
