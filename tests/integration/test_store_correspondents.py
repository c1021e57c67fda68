"""The values earlier intakes made known, kept in the store (SQLite file): learned with the decision that
gives them, in its transaction; an address a delivery report bounced known no more; and the decisions
recorded before the table existed learned by its migration. A clerk's decision teaches what it confirms."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config

from forms.correspondents import BANK_EMAIL, COMPANY_NAME, CONTACT_EMAIL
from forms.model import OutgoingMessage
from forms.store import Store
from forms.store.engine import MIGRATIONS, transaction, writer
from forms.store.queue import ClerkDecision
from tests.support.store_rows import add
from tests.support.youshiki1 import sample_values

KOSHA = sample_values("kosha-scanned")
NUMBER = KOSHA["corporate_number"]
BANK = KOSHA["bank_email"]


def record(store: Store, spool_id: str, status: str, outgoing: tuple[OutgoingMessage, ...] = ()) -> int:
    intake_id = add(store, spool_id)
    claimed = store.intakes.claim_next("w1")
    assert claimed is not None and claimed.id == intake_id
    decision: dict[str, Any] = {"status": status, "fields": dict(KOSHA)}
    store.intakes.record_decision(
        intake_id, status=status, agency="kosha", reference=f"R8-{intake_id}", decision=decision,
        message_id=None, sender=None, form_sha256=None, outgoing=outgoing, actor="w1",
    )  # fmt: skip
    return intake_id


def known(store: Store) -> dict[str, bool]:
    k = store.correspondents
    return {
        "bank": k.is_known(BANK_EMAIL, "", BANK.upper()),  # as compared: an address in any case
        "name": k.is_known(COMPANY_NAME, NUMBER, KOSHA["company_name"]),
        "contact": k.is_known(CONTACT_EMAIL, NUMBER, KOSHA["contact_email"]),
    }


def test_a_routed_decision_makes_its_values_known_and_one_for_a_clerk_does_not(store: Store) -> None:
    record(store, "review", "needs_review")
    assert known(store) == {"bank": False, "name": False, "contact": False}
    record(store, "routed", "routed")
    assert known(store) == {"bank": True, "name": True, "contact": True}
    assert not store.correspondents.is_known(COMPANY_NAME, "1234567890123", KOSHA["company_name"])


def test_a_clerks_decision_makes_the_values_it_confirms_known(store: Store) -> None:
    intake_id = record(store, "review", "needs_review")
    confirmed = ClerkDecision("routed", "kosha", {"status": "routed", "fields": dict(KOSHA)})
    store.queue.record_clerk_decision(
        intake_id, confirmed, expected_status="needs_review", kind="routed_by_clerk", actor="clerk", detail={}
    )
    assert known(store) == {"bank": True, "name": True, "contact": True}


def test_an_address_a_delivery_report_bounced_is_known_no_more(store: Store) -> None:
    reply = OutgoingMessage("receipt", "<r-1@mailroom.example.jp>", (BANK,), "mailroom@example.jp", b"x\r\n")
    record(store, "routed", "routed", (reply,))
    item = store.outbox.claim_one("sender", store.db.now())
    assert item is not None
    store.outbox.mark_bounced(item.id, status="5.1.1", diagnostic="no such user", actor="t", detail={})
    assert known(store) == {"bank": False, "name": True, "contact": True}
    record(store, "again", "routed")  # given again: a bounced address stays unknown
    assert known(store)["bank"] is False


def test_the_migration_learns_the_decisions_recorded_before_it(store: Store) -> None:
    record(store, "routed", "routed")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with transaction(writer(store.db.engine)) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0011")
        command.upgrade(config, "head")
    assert known(store) == {"bank": True, "name": True, "contact": True}
