"""Sending like an MTA, against a real aiosmtpd server on loopback: no answer after the final dot is
"may have been delivered" (recorded, retried with the same Message-ID), temporary failures are retried
for days before a dead letter, and clerks requeue dead letters in bulk (``forms review requeue``, the
console's outbox page)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Sequence
from pathlib import Path

import pytest

from forms.access.accounts import Users
from forms.cli import main as cli
from forms.config import load_settings
from forms.deliver import SmtpTransport, build_message
from forms.deliver.retry import RetryPolicy
from forms.deliver.sender import Sender
from forms.errors import DeliveryError
from forms.model import OutgoingMessage
from forms.review import Review
from forms.store import Store
from tests.support.console import FAST_ARGON2, PASSWORD, World, client_for, csrf_of, sign_in
from tests.support.smtp_sink import Recorder, parsed
from tests.support.store_rows import T0, FakeClock, add, kinds

BANK = "officer@bank.example.jp"
MINUTE = dt.timedelta(minutes=1)


def outgoing(n: int) -> OutgoingMessage:
    mid = f"<R8-{n:06d}.bank_receipt@forms.example.jp>"
    raw = build_message(
        sender="mailroom@example.jp", recipients=[BANK], subject="受付", body="受付", message_id=mid, date=T0
    )
    return OutgoingMessage("bank_receipt", mid, (BANK,), "mailroom@example.jp", raw)


def queue(store: Store, n: int, agency: str = "jetro") -> int:
    """A decided intake of ``agency`` with one message queued; returns the message's outbox id."""
    intake_id = add(store, f"spool-{n}")
    store.intakes.claim_next("w")
    store.intakes.record_decision(
        intake_id, status="routed", agency=agency, reference=f"R8-{n:06d}", decision={"status": "routed"},
        message_id=None, sender=None, form_sha256=None, outgoing=[outgoing(n)], actor="w",
    )  # fmt: skip
    return next(m.id for m in store.outbox.items() if m.intake_id == intake_id)


def smtp(port: int) -> SmtpTransport:
    return SmtpTransport("127.0.0.1", port, timeout=0.5)


# -- no answer after the final dot --------------------------------------------------------------


def test_no_answer_after_the_final_dot_may_have_delivered(sink: tuple[int, Recorder]) -> None:
    port, recorder = sink
    recorder.stall_after_data = 3.0  # takes the message, then never answers
    message = outgoing(1)
    with pytest.raises(DeliveryError) as failed:
        asyncio.run(_send_once(smtp(port), message))
    assert failed.value.unconfirmed and not failed.value.permanent
    assert "may have been delivered" in str(failed.value)
    assert [parsed(raw)["Message-ID"] for _, _, raw, _ in recorder.received] == [message.message_id]


def test_a_server_silent_before_the_final_dot_delivered_nothing(sink: tuple[int, Recorder]) -> None:
    port, recorder = sink
    recorder.rcpt_delay = 3.0
    with pytest.raises(DeliveryError) as failed:
        asyncio.run(_send_once(smtp(port), outgoing(1)))
    assert not failed.value.unconfirmed and not failed.value.permanent
    assert recorder.received == []


async def _send_once(transport: SmtpTransport, m: OutgoingMessage) -> None:
    try:
        await transport.send(m.sender, m.recipients, m.raw, m.message_id)
    finally:
        await transport.close()


def test_the_outbox_records_it_and_sends_it_again_with_the_same_message_id(
    store: Store, clock: FakeClock, sink: tuple[int, Recorder]
) -> None:
    port, recorder = sink
    outbox_id = queue(store, 1)
    sender = Sender(store, smtp(port), worker="s1", retry=RetryPolicy(), lease_s=60)

    async def scenario() -> list[int]:
        try:
            recorder.stall_after_data = 3.0
            first = await sender.deliver_due()
            clock.advance(5 * 60 - 1)
            too_early = await sender.deliver_due()
            recorder.stall_after_data, _ = 0.0, clock.advance(1)
            return [first, too_early, await sender.deliver_due()]
        finally:
            await sender.close()

    assert asyncio.run(scenario()) == [0, 0, 1]
    item = store.outbox.items()[0]
    assert (item.id, item.state, item.attempts, item.unconfirmed_at) == (outbox_id, "sent", 1, T0)
    assert kinds(store, item.intake_id)[-2:] == ["send_unconfirmed", "sent"]  # type: ignore[arg-type]
    ids = [parsed(raw)["Message-ID"] for _, _, raw, _ in recorder.received]
    assert ids == [item.message_id, item.message_id]  # the same message twice: its Message-ID says so


# -- days of retries, a dead letter, a bulk requeue ----------------------------------------------


class Refusing:
    """A Transport whose server answers 451 to everything (our interface, not a patched library)."""

    def __init__(self, *, unconfirmed: bool = False) -> None:
        self.tries: list[tuple[str, dt.datetime]] = []
        self.clock: FakeClock | None = None
        self.unconfirmed = unconfirmed  # as if no answer came after the final dot

    async def send(self, sender: str, recipients: Sequence[str], raw: bytes, message_id: str) -> None:
        self.tries.append((message_id, self.clock.now if self.clock else T0))
        text = f"{message_id}: server answered 451 try again later"
        raise DeliveryError(text, permanent=False, code=451, unconfirmed=self.unconfirmed)

    async def close(self) -> None:
        return None


def retry_until_dead(store: Store, clock: FakeClock, transport: Refusing) -> None:
    """Run the sender at each message's next attempt until nothing is pending."""
    sender = Sender(store, transport, worker="s1", retry=RetryPolicy(), lease_s=60)
    while pending := store.outbox.items(state="pending"):
        clock.now = max(clock.now, min(m.next_attempt_at for m in pending))
        asyncio.run(sender.deliver_due())


def test_temporary_failures_are_retried_for_five_days_then_a_dead_letter(
    store: Store, clock: FakeClock
) -> None:
    transport = Refusing()
    transport.clock = clock
    outbox_id = queue(store, 1)
    retry_until_dead(store, clock, transport)
    times = [at - T0 for _, at in transport.tries]
    assert times[:5] == [dt.timedelta(0), 5 * MINUTE, 15 * MINUTE, 35 * MINUTE, 75 * MINUTE]
    assert max(b - a for a, b in itertools.pairwise(times)) == dt.timedelta(hours=4)
    assert times[-1] == dt.timedelta(days=5) and len(times) == 36
    dead = store.outbox.items(state="dead")
    assert [(m.id, m.attempts) for m in dead] == [(outbox_id, 36)]
    assert kinds(store, dead[0].intake_id).count("send_failed") == 35  # type: ignore[arg-type]


def run_cli(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    parsed_args = cli.build_parser().parse_args(list(args))
    capsys.readouterr()
    assert parsed_args.func(parsed_args, load_settings(env={"FORMS_HOME": str(home)})) == 0
    return capsys.readouterr().out


def dead_letters(store: Store, clock: FakeClock, *agencies: str, unconfirmed: bool = False) -> list[int]:
    ids = [queue(store, n, agency) for n, agency in enumerate(agencies, start=1)]
    retry_until_dead(store, clock, Refusing(unconfirmed=unconfirmed))
    assert sorted(m.id for m in store.outbox.items(state="dead")) == ids
    return ids


def test_forms_review_lists_dead_letters_and_requeues_them_in_bulk(
    tmp_path: Path, store: Store, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second, third = dead_letters(store, clock, "jetro", "jetro", "scb")
    home = tmp_path / "home"
    listed = run_cli(home, capsys, "review", "outbox")
    assert listed.startswith("3件") and "451 try again later" in listed and "可能性" not in listed
    out = run_cli(home, capsys, "review", "requeue", str(first), "999", "--actor", "suzuki")
    assert f"1件の送信不能メッセージを再送キューに入れました（{first}）" in out and "999" in out
    run_cli(home, capsys, "review", "requeue", "--all", "--actor", "suzuki")
    requeued = {m.id: m for m in store.outbox.items(state="pending")}
    assert sorted(requeued) == [first, second, third]
    assert all(m.attempts == 0 and m.queued_at == m.next_attempt_at for m in requeued.values())
    assert requeued[first].queued_at < requeued[second].queued_at  # requeued by the first command
    assert kinds(store, requeued[first].intake_id)[-1] == "requeued"  # type: ignore[arg-type]


def test_a_scoped_requeue_leaves_other_agencies_dead_letters(store: Store, clock: FakeClock) -> None:
    jetro, scb = dead_letters(store, clock, "jetro", "scb")
    assert store.outbox.requeue_dead_letters(None, actor="scb-clerk", scope={"scb"}) == [scb]
    assert [m.id for m in store.outbox.items(state="dead")] == [jetro]


def test_the_console_requeues_ticked_or_all_dead_letters(
    tmp_path: Path, store: Store, clock: FakeClock
) -> None:
    first, second, third = dead_letters(store, clock, "jetro", "scb", "kosha", unconfirmed=True)
    settings = load_settings(env={"FORMS_HOME": str(tmp_path / "home")})
    users = Users(store, hasher=FAST_ARGON2)
    users.add("admin", role="admin", password=PASSWORD)
    client = client_for(World(settings, store, Review(store, settings), users, {}))
    token = sign_in(client, "admin")
    page = client.get("/outbox?state=dead").text
    assert page.count('name="ids"') == 3 and "送信不能をすべて再送する" in page
    assert page.count("届いた可能性あり") == 3  # each had a hand-over with no answer after the final dot
    assert client.post("/outbox/requeue", data={"ids": [str(first)]}).status_code == 403  # no CSRF token
    ticked = client.post("/outbox/requeue", data={"csrf": token, "ids": [str(first), str(third)]})
    assert ticked.status_code == 303 and "requeued=2" in ticked.headers["location"]
    assert [m.id for m in store.outbox.items(state="dead")] == [second]
    assert "2件を送信待ちに戻しました" in client.get(ticked.headers["location"]).text
    csrf = csrf_of(client.get("/outbox").text)
    assert client.post("/outbox/requeue", data={"csrf": csrf, "all": "1"}).status_code == 303
    assert store.outbox.items(state="dead") == []
