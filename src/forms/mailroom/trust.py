"""Who may change the ledger by mail (DOMAIN.md, "Trust").

A mail that would change the ledger — a returned 様式3 (its answer, and a disbursement marked 実行済)
or a routed re-application (the new frame of 1,000,000 yen it grants) — is taken as written only from
the bank a 様式3 was sent to: its sender is an address that 様式3 was mailed to, or, for one not
mailed by the service, the 金融機関E-mail of the 様式1 it was made from (``store.youshiki3.sent_to``);
and, when ``allowed_sender_domains`` is configured, its domain is on that list too. Anything else
waits for a clerk with SENDER_UNKNOWN; a clerk who routes it vouches for it. A form without a sender
(a file handed to ``forms intake``, a scan of paper) waits too.

The sender compared is the From address. Mail from the internet should reach the mailroom through
a relay that rejects mail failing the sender domain's SPF/DMARC (README, "Deploying"), so that a From
naming a bank was sent by that bank's servers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence

from forms.decide import sender_problems
from forms.errors import Code
from forms.ledger import frame_for
from forms.model import Outcome, Reason, Status
from forms.rules.schema import Rulebook
from forms.store import Store


def trusted(sender: str | None, sent_to: Collection[str], allowed_domains: Sequence[str]) -> bool:
    """Whether ``sender`` is one of the addresses ``sent_to`` (and on the allow-list, when there is one)."""
    address = (sender or "").strip().lower()
    return bool(address) and address in sent_to and not sender_problems(address, allowed_domains)


def frame_sender_trusted(
    store: Store, outcome: Outcome, capped_agencies: frozenset[str], allowed_domains: Sequence[str]
) -> bool:
    """Whether the outcome may grant its frame as written: it grants none, or it came from an address a
    様式3 of that company was sent to."""
    key = frame_for(outcome.decision, capped_agencies)
    if key is None:
        return True
    return trusted(outcome.sender, store.youshiki3.sent_to(store.youshiki3.issued(key=key)), allowed_domains)


def held_for_clerk(outcome: Outcome, rulebook: Rulebook) -> Outcome:
    """The outcome waiting for a clerk: needs_review, with SENDER_UNKNOWN beside its other reasons."""
    decision = outcome.decision
    reason = Reason(
        Code.SENDER_UNKNOWN, None, rulebook.message(Code.SENDER_UNKNOWN, sender=outcome.sender or "")
    )
    held = dataclasses.replace(decision, status=Status.NEEDS_REVIEW, reasons=(*decision.reasons, reason))
    return dataclasses.replace(outcome, decision=held)
