"""Automatic mail through the real ways in (the SMTP listener, the Maildir): a bounce, an out-of-office
and list mail get no reply and never reach the clerks' 様式1 queue; a delivery report about a message we
sent (to an aiosmtpd server on loopback) marks it bounced, visible in ``forms review outbox`` and on the
console; hostile and broken reports mark nothing and crash nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller

from forms.access.accounts import Users
from forms.cli import main as cli
from forms.intake.maildir import sweep_maildir
from forms.intake.smtp import start_smtp_listener
from forms.mailroom.worker import Mailroom
from forms.review import QueueFilter, Review
from forms.store import OutboxItem
from tests.support.automatic_mail import dsn, list_mail, out_of_office
from tests.support.console import FAST_ARGON2, PASSWORD, World, client_for, sign_in
from tests.support.mailroom import settings_for
from tests.support.paths import SAMPLES
from tests.support.settings import make_settings
from tests.support.smtp_sink import Recorder

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")

MAILROOM = "mailroom@example.jp"
BANK = "kaigai@mihon-bank.example.jp"


@pytest.fixture
def room(tmp_path: Path, sink: tuple[int, Recorder]) -> Iterator[Mailroom]:
    r = Mailroom.open(settings_for(tmp_path, sink[0]))
    yield r
    r.close()


@pytest.fixture
def listener(room: Mailroom) -> Iterator[Controller]:
    controller = start_smtp_listener(
        room.spool, host="127.0.0.1", port=0, mailroom_addresses=[MAILROOM], max_bytes=10**7
    )
    yield controller
    controller.stop()


def smtp_in(listener: Controller, data: bytes, *, sender: str, to: str = MAILROOM) -> None:
    """Send as an MTA does; ``sender`` "" is the null reverse-path (MAIL FROM:<>)."""

    async def send() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=listener.port)
        await client.connect()
        try:
            await client.sendmail(sender, [to], data)
        finally:
            await client.quit()

    asyncio.run(send())


def maildir_in(room: Mailroom, name: str, data: bytes, *, return_path: str, to: str = MAILROOM) -> None:
    """As postfix's local delivery writes a message into a Maildir: Return-Path and Delivered-To first."""
    folder = room.settings.maildir or Path("mailroom")
    (folder / "new").mkdir(parents=True, exist_ok=True)
    head = f"Return-Path: <{return_path}>\r\nDelivered-To: {to}\r\n".encode()
    (folder / "new" / name).write_bytes(head + data)
    sweep_maildir(folder, room.spool)


OFFICER = "officer@bank.example.jp"
AUTOMATIC = {  # name → (envelope sender, the mail)
    "bounce": ("", dsn(to=MAILROOM, recipient=OFFICER, returned=b"Message-ID: <x@y>\r\n\r\n")),
    "out_of_office": (OFFICER, out_of_office(sender=OFFICER, to=MAILROOM)),
    "list": ("kaigai-news-bounces@lists.example.jp", list_mail(to=MAILROOM)),
}


@pytest.mark.parametrize("way_in", ["smtp", "maildir"])
def test_automatic_mail_gets_no_reply_and_stays_out_of_the_queue(
    way_in: str, room: Mailroom, listener: Controller, sink: tuple[int, Recorder]
) -> None:
    for name, (sender, data) in AUTOMATIC.items():
        if way_in == "smtp":
            smtp_in(listener, data, sender=sender)
        else:
            maildir_in(room, name, data, return_path=sender)
    counts = room.drain()
    assert counts == {"received": 3, "decided": 3, "sent": 0}
    assert sink[1].received == []  # no reply to anyone
    rows = room.store.intakes.latest()
    assert [r.status for r in rows] == ["automatic"] * 3
    codes = sorted(r.decision["reasons"][0]["code"] for r in rows if r.decision)
    assert codes == ["AUTOMATIC_MAIL", "AUTOMATIC_MAIL", "REPORT_UNMATCHED"]  # the bounce is not about ours
    review = Review(room.store, room.settings)
    assert review.queue.page(QueueFilter())[1] == 0  # the clerks' open queue
    assert review.queue.page(QueueFilter(status="automatic"))[1] == 3
    assert all(room.store.queue.review_record(r.id).handled_at is not None for r in rows)  # type: ignore[union-attr]
    bounce = next(r for r in rows if r.decision and r.decision["reasons"][0]["code"] == "REPORT_UNMATCHED")
    assert bounce.envelope_from == ("" if way_in == "smtp" else None)


# -- a report about one of our messages ----------------------------------------------------------


def sent_receipt(room: Mailroom, recorder: Recorder) -> tuple[OutboxItem, str, bytes]:
    """A bank's mail decided and answered: the receipt's outbox row, its envelope sender, its bytes."""
    room.spool.put((SAMPLES / "jetro-bank.eml").read_bytes(), channel="smtp", meta={"mail_from": BANK})
    assert room.drain()["sent"] == 2
    item = next(m for m in room.store.outbox.items() if m.kind == "bank_receipt")
    envelope, _, raw, _ = next(r for r in recorder.received if BANK in r[1])
    return item, envelope, raw


def run_cli(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    parsed = cli.build_parser().parse_args(list(args))
    capsys.readouterr()
    assert parsed.func(parsed, make_settings(home)) == 0
    return capsys.readouterr().out


def test_a_report_to_the_return_path_marks_the_message_bounced(
    tmp_path: Path, room: Mailroom, listener: Controller, sink: tuple[int, Recorder],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    receipt, envelope, raw = sent_receipt(room, sink[1])
    assert envelope == f"mailroom+bounce-{receipt.return_token}@example.jp"
    smtp_in(listener, dsn(to=envelope, recipient=BANK, returned=raw), sender="", to=envelope)
    assert room.drain() == {"received": 1, "decided": 1, "sent": 0}
    bounced = {m.id: m for m in room.store.outbox.items(state="bounced")}
    assert list(bounced) == [receipt.id] and bounced[receipt.id].bounce_status == "5.1.1"
    assert "User unknown" in (bounced[receipt.id].bounce_diagnostic or "")
    assert [m.state for m in room.store.outbox.items() if m.kind == "agency_forward"] == ["sent"]
    report = room.store.intakes.latest()[0]
    assert report.status == "automatic" and report.decision["reasons"][0]["code"] == "BOUNCE_RECORDED"  # type: ignore[index]
    event = [e for e in room.store.events.of(receipt.intake_id) if e.kind == "bounced"]  # type: ignore[arg-type]
    assert event[0].detail["matched_by"] == "return_path" and event[0].detail["report_intake_id"] == report.id
    listed = run_cli(tmp_path, capsys, "review", "outbox", "--state", "bounced")
    assert listed.startswith("1件") and "5.1.1" in listed and BANK in listed
    assert "5.1.1" in console_outbox(room, "bounced") and "User unknown" in console_outbox(room, "bounced")
    assert len(sink[1].received) == 2  # nothing sent for the report


def console_outbox(room: Mailroom, state: str) -> str:
    users = Users(room.store, hasher=FAST_ARGON2)
    if users.get("admin") is None:
        users.add("admin", role="admin", password=PASSWORD)
    client = client_for(World(room.settings, room.store, Review(room.store, room.settings), users, {}))
    sign_in(client, "admin")
    return client.get(f"/outbox?state={state}").text


def test_without_return_paths_a_report_in_the_maildir_is_matched_by_message_id(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    room = Mailroom.open(settings_for(tmp_path, sink[0], FORMS_VERP="false"))
    try:
        receipt, envelope, raw = sent_receipt(room, sink[1])
        assert envelope == MAILROOM
        report = dsn(to=MAILROOM, recipient=BANK, returned=raw, as_whole_message=True)
        maildir_in(room, "bounce", report, return_path="")
        room.drain()
        bounced = room.store.outbox.items(state="bounced")
        assert [(m.id, m.bounce_status) for m in bounced] == [(receipt.id, "5.1.1")]
        (event,) = [e for e in room.store.events.of(receipt.intake_id) if e.kind == "bounced"]  # type: ignore[arg-type]
        assert event.detail["matched_by"] == "message_id"
    finally:
        room.close()


# -- hostile and broken reports -----------------------------------------------------------------


def test_hostile_and_broken_reports_mark_nothing(
    room: Mailroom, listener: Controller, sink: tuple[int, Recorder]
) -> None:
    receipt, envelope, raw = sent_receipt(room, sink[1])
    forward = next(m for m in room.store.outbox.items() if m.kind == "agency_forward")
    forward_raw = next(r[2] for r in sink[1].received if BANK not in r[1])
    reports = {  # what each is → (the report, where it is sent, why it marks nothing)
        "no original id": (dsn(to=MAILROOM, recipient=BANK, returned=None), MAILROOM, "書かれていない"),
        "forged: the receipt's return path, the forward's id": (
            dsn(to=envelope, recipient=BANK, returned=forward_raw), envelope, "示すメールと、通知の中のメール"
        ),
        "forged: the forward's id, the receipt's recipient": (
            dsn(to=MAILROOM, recipient=BANK, returned=forward_raw), MAILROOM, "宛先と一致しない"
        ),
        "broken": (BROKEN, MAILROOM, "書かれていない"),
        "a delay": (
            dsn(to=envelope, recipient=BANK, returned=raw, action="delayed", status="4.4.7"), envelope, "遅延"
        ),
    }
    for n, (data, to, _) in enumerate(reports.values()):
        smtp_in(listener, data.replace(b"bounce.1@", f"bounce.{n}@".encode()), sender="", to=to)
    assert room.drain() == {"received": len(reports), "decided": len(reports), "sent": 0}
    assert {m.id: m.state for m in room.store.outbox.items()} == {receipt.id: "sent", forward.id: "sent"}
    rows = sorted(room.store.intakes.latest(limit=len(reports)), key=lambda r: r.id)
    for (what, (_, _, why)), row in zip(reports.items(), rows, strict=True):
        assert row.status == "automatic" and row.decision is not None, what
        (reason,) = row.decision["reasons"]
        assert reason["code"] == "REPORT_UNMATCHED" and why in reason["message"], (what, reason)
    assert len(sink[1].received) == 2


BROKEN = b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\n\x00\xff"
