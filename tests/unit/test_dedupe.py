"""Two copies of one submission decided at the same time: the store lets only the first be routed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from forms.store import Store
from forms.store.records import OutgoingRecord


def outgoing(ref: str) -> list[OutgoingRecord]:
    return [OutgoingRecord("agency_forward", f"<{ref}.agency_forward@forms.example.jp>", ("a@x.example.jp",),
                           "mailroom@example.jp", b"raw")]  # fmt: skip


def test_the_copy_decided_second_is_recorded_as_a_duplicate_and_queues_nothing(tmp_path: Path) -> None:
    store = Store.open(Store.default_url(tmp_path))
    now = dt.datetime.now(dt.UTC)
    for i in (1, 2):
        store.add_intake(data=b"same mail " + bytes([i]), channel="smtp", received_at=now, spool_id=f"s{i}")
    first = store.claim_next_intake("w1")
    second = store.claim_next_intake("w2")
    assert first is not None and second is not None
    common = {"agency": "jetro", "message_id": "<m@bank.example.jp>", "sender": "o@bank.example.jp",
              "form_sha256": "abc"}  # fmt: skip
    # both workers found no earlier decided copy (they ran side by side) and both decided "routed"
    routed = {"status": "routed", "decision": {"status": "routed"}}
    got_second = store.record_decision(
        second.id, reference="R8-2", outgoing=outgoing("R8-2"), actor="w2", **routed, **common
    )
    got_first = store.record_decision(
        first.id, reference="R8-1", outgoing=outgoing("R8-1"), actor="w1", **routed, **common
    )
    assert (got_second, got_first) == ("routed", "duplicate")
    assert [o.message_id for o in store.outbox()] == ["<R8-2.agency_forward@forms.example.jp>"]
    row = store.intake(first.id)
    assert row is not None and row.status == "duplicate" and row.decision == {"status": "duplicate"}
    store.close()
