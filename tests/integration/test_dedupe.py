"""Two copies of one submission decided at the same time: the store lets only the first be routed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from forms.model import OutgoingMessage
from forms.store import Store


def outgoing(ref: str) -> list[OutgoingMessage]:
    return [OutgoingMessage("agency_forward", f"<{ref}.agency_forward@forms.example.jp>", ("a@x.example.jp",),
                           "mailroom@example.jp", b"raw")]  # fmt: skip


def test_the_copy_decided_second_is_recorded_as_a_duplicate_and_queues_nothing(tmp_path: Path) -> None:
    store = Store.open(Store.default_url(tmp_path))
    now = dt.datetime.now(dt.UTC)
    for i in (1, 2):
        store.intakes.add(data=b"same mail " + bytes([i]), channel="smtp", received_at=now, spool_id=f"s{i}")
    first = store.intakes.claim_next("w1")
    second = store.intakes.claim_next("w2")
    assert first is not None and second is not None
    common = {"agency": "jetro", "message_id": "<m@bank.example.jp>", "sender": "o@bank.example.jp",
              "form_sha256": "abc"}  # fmt: skip
    # both workers found no earlier decided copy (they ran side by side) and both decided "routed"
    routed = {"status": "routed", "decision": {"status": "routed"}}
    got_second = store.intakes.record_decision(
        second.id, reference="R8-2", outgoing=outgoing("R8-2"), actor="w2", **routed, **common
    )
    got_first = store.intakes.record_decision(
        first.id, reference="R8-1", outgoing=outgoing("R8-1"), actor="w1", **routed, **common
    )
    assert (got_second, got_first) == ("routed", "duplicate")
    assert [o.message_id for o in store.outbox.items()] == ["<R8-2.agency_forward@forms.example.jp>"]
    row = store.intakes.get(first.id)
    assert row is not None and row.status == "duplicate" and row.decision == {"status": "duplicate"}
    store.close()


def test_a_repeat_is_found_by_message_id_or_by_form_from_the_same_sender(tmp_path: Path) -> None:
    store = Store.open(Store.default_url(tmp_path))
    now = dt.datetime.now(dt.UTC)
    ids = [
        store.intakes.add(data=bytes([i]), channel="smtp", received_at=now, spool_id=f"s{i}")
        for i in range(6)
    ]
    decided = [  # (message_id, sender, form_sha256, status); the last one stays undecided
        ("<a@bank.example.jp>", "o@bank.example.jp", "f1", "routed"),
        ("<b@bank.example.jp>", "o@bank.example.jp", "f2", "duplicate"),
        ("<c@bank.example.jp>", "o@bank.example.jp", "f2", "rejected"),
        ("<d@bank.example.jp>", "p@bank.example.jp", "f3", "routed"),
        ("<e@bank.example.jp>", "o@bank.example.jp", "f3", "routed"),
    ]
    for mid, sender, sha, status in decided:
        claimed = store.intakes.claim_next("w")
        assert claimed is not None
        store.intakes.record_decision(
            claimed.id, status=status, agency=None, reference=f"R{claimed.id}", decision={"status": status},
            message_id=mid, sender=sender, form_sha256=sha, outgoing=(), actor="w",
        )  # fmt: skip
    last = ids[-1]
    assert last is not None

    def find(mid: str | None, sender: str | None, sha: str | None) -> int | None:
        return store.intakes.find_duplicate(message_id=mid, sender=sender, form_sha256=sha, before_id=last)

    assert find("<a@bank.example.jp>", "x@bank.example.jp", "zz") == ids[0]  # same Message-ID
    assert find("<new@bank.example.jp>", "o@bank.example.jp", "f1") == ids[0]  # same form, same sender
    # not the copy recorded a duplicate
    assert find("<new@bank.example.jp>", "o@bank.example.jp", "f2") == ids[2]
    assert find("<new@bank.example.jp>", "o@bank.example.jp", "f3") == ids[4]  # not p@'s copy
    assert find("<e@bank.example.jp>", "p@bank.example.jp", "f3") == ids[3]  # the earlier of the two keys
    assert find("<new@bank.example.jp>", "q@bank.example.jp", "f1") is None  # another sender's form
    assert find(None, None, None) is None
    before_d = ids[3]
    assert before_d is not None  # only earlier intakes count:
    assert store.intakes.find_duplicate(message_id="<d@bank.example.jp>", sender=None, form_sha256=None,
                                before_id=before_d) is None  # fmt: skip
    store.close()


def test_each_key_is_looked_up_through_its_own_index_not_by_walking_the_decided_intakes(
    tmp_path: Path,
) -> None:
    """Each key is looked up through its own index: with the intake's state in the WHERE clause,
    SQLite walked every decided intake (ix_intakes_state_id), a cost growing with the store."""
    from itertools import product

    from forms.store.dedupe import _query

    store = Store.open(Store.default_url(tmp_path))
    with store.db.engine.connect() as conn:
        for by_message_id, by_form, earlier_only in product((True, False), repeat=3):
            if not (by_message_id or by_form):
                continue
            sql = _query(by_message_id, by_form, earlier_only).compile(dialect=conn.dialect)
            params = {name: "k" for name in sql.params}
            plan = conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {sql}", tuple(params[n] for n in sql.positiontup or ())
            )
            steps = [row[-1] for row in plan]
            used = {step.split(" USING INDEX ")[1].split(" ")[0] for step in steps if " USING INDEX " in step}
            expected = {"ix_intakes_message_id"} if by_message_id else set()
            expected |= {"ix_intakes_sender_form"} if by_form else set()
            assert used == expected, steps
            assert not any(step.startswith("SCAN") for step in steps), steps
    store.close()
