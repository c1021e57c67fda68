"""Rows for the store tests: a clock the test moves, intakes, outgoing messages and decisions at T0."""

from __future__ import annotations

import datetime as dt

from alembic.config import Config
from alembic.script import ScriptDirectory

from forms.model import OutgoingMessage
from forms.store import Store
from forms.store.engine import MIGRATIONS

T0 = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.7\n% a form\n"
BANK = "bank@mihon-bank.example.jp"


class FakeClock:
    """The store's clock, moved by the test."""

    now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def add(store: Store, spool_id: str, data: bytes = PDF, **kw: object) -> int:
    intake_id = store.intakes.add(data=data, channel="smtp", received_at=T0, spool_id=spool_id, **kw)
    assert intake_id is not None
    return intake_id


def message(n: int | str, kind: str = "receipt") -> OutgoingMessage:
    raw = b"From: mailroom@example.jp\r\n\r\nbody\r\n"
    return OutgoingMessage(kind, f"<{kind}-{n}@mailroom.example.jp>", (BANK,), "mailroom@example.jp", raw)


def decide(store: Store, intake_id: int, worker: str, *, status: str = "routed", **kw: object) -> None:
    keys = {"message_id": None, "sender": None, "form_sha256": None, "outgoing": (message(intake_id),)}
    decision = {"status": status, "fields": {"capital_yen": 30_000_000}}
    reference = kw.pop("reference", None) or store.intakes.next_reference("R8")
    store.intakes.record_decision(
        intake_id,
        status=status,
        agency="jetro",
        reference=reference,
        decision=decision,
        actor=worker,
        **{**keys, **kw},
    )  # type: ignore[arg-type]


def kinds(store: Store, intake_id: int) -> list[str]:
    return [e.kind for e in store.events.of(intake_id)]


def newest_migration() -> str:
    """The head revision of the migrations shipped with the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head
