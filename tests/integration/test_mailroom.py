"""The mailroom end to end: real SMTP in (aiosmtpd listener), real SMTP out (an agency sink on loopback)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import aiosmtplib
import pytest

from forms.intake.smtp import start_smtp_listener
from forms.mailroom.worker import Mailroom
from tests.support.dovecot import running_dovecot
from tests.support.mailroom import bank_mail, mailroom_env, received_by, settings_for
from tests.support.paths import FORMS, SAMPLES
from tests.support.smtp_sink import Recorder

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")


def test_routed_mail_reaches_the_agency_and_the_bank_gets_a_receipt(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    port, recorder = sink
    room = Mailroom.open(settings_for(tmp_path, port))
    try:
        listener = start_smtp_listener(
            room.spool, host="127.0.0.1", port=0, mailroom_addresses=["mailroom@example.jp"], max_bytes=10**7
        )
        data = (SAMPLES / "jetro-bank.eml").read_bytes()
        try:
            asyncio.run(
                aiosmtplib.send(
                    data,
                    sender="kaigai@mihon-bank.example.jp",
                    recipients=["mailroom@example.jp"],
                    hostname="127.0.0.1",
                    port=listener.port,
                )
            )
        finally:
            listener.stop()
        counts = room.drain()
        events = [e.kind for e in room.store.events.of(1)]
    finally:
        room.close()
    assert counts == {"received": 1, "decided": 1, "sent": 2}
    got = received_by(recorder)
    forward = got["jetro@agency.example.jp"][0]
    attachments = {p.get_filename(): p for p in forward.iter_attachments()}
    original_pdf = (SAMPLES / "jetro-fillable.pdf").read_bytes()
    assert attachments["様式1_株式会社サンプル精機.pdf"].get_content() == original_pdf
    decision = json.loads(attachments["decision.json"].get_content())
    assert decision["status"] == "routed" and decision["fields"]["capital_yen"] == 30000000
    assert "株式会社サンプル精機" in forward.get_body(("plain",)).get_content()
    receipt = got["kaigai@mihon-bank.example.jp"][0]
    assert "R8-000001" in receipt["Subject"]
    assert receipt["In-Reply-To"] == "<sample-jetro-bank@mihon-bank.example.jp>"
    assert "7営業日" in receipt.get_body(("plain",)).get_content()
    assert events[:3] == ["received", "decided", "sent"]


def test_rejected_form_gets_a_reply_listing_what_to_fix(tmp_path: Path, sink: tuple[int, Recorder]) -> None:
    port, recorder = sink
    room = Mailroom.open(settings_for(tmp_path, port))
    try:
        mail = bank_mail(
            SAMPLES / "smrj-fillable.pdf",
            "kuko.reiji@mihon-bank.example.jp",
            "<smrj-1@mihon-bank.example.jp>",
        )
        room.spool.put(mail, channel="smtp")
        assert room.drain()["sent"] == 1
    finally:
        room.close()
    got = received_by(recorder)
    assert set(got) == {"kuko.reiji@mihon-bank.example.jp"}, "nothing goes to an agency"
    body = got["kuko.reiji@mihon-bank.example.jp"][0].get_body(("plain",)).get_content()
    assert "smrj.go.jp" in body and "申込WEBフォーム" in body


def test_unreadable_mail_is_kept_for_review_and_the_bank_told(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    port, recorder = sink
    room = Mailroom.open(settings_for(tmp_path, port))
    try:
        room.spool.put(bank_mail(None, "officer@bank.example.jp", "<none-1@bank.example.jp>"), channel="smtp")
        room.drain()
        row = room.store.intakes.latest()[0]
    finally:
        room.close()
    assert row.status == "needs_review"
    assert row.decision is not None and row.decision["reasons"][0]["code"] == "FORM_NOT_FOUND"
    assert list(received_by(recorder)) == ["officer@bank.example.jp"]


def test_the_same_submission_twice_is_a_duplicate_and_sends_nothing_again(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    port, recorder = sink
    room = Mailroom.open(settings_for(tmp_path, port))
    try:
        data = (SAMPLES / "scb-shinkin.eml").read_bytes()
        room.spool.put(data, channel="smtp")
        room.drain()
        room.spool.put(data, channel="imap")  # the same mail, fetched again another way
        again = room.drain()
        statuses = sorted(r.status or "" for r in room.store.intakes.latest())
    finally:
        room.close()
    assert statuses == ["duplicate", "routed"]
    assert again["sent"] == 0
    assert len(recorder.received) == 2


def test_a_refused_message_ends_as_a_dead_letter_a_clerk_can_see(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    port, recorder = sink
    settings = settings_for(tmp_path, port, FORMS_AGENCY_INBOXES="jetro=nobody@agency.example.jp")
    room = Mailroom.open(settings)
    try:
        room.spool.put((SAMPLES / "jetro-bank.eml").read_bytes(), channel="smtp")
        room.drain()
        dead = room.store.outbox.items(state="dead")
        sent = room.store.outbox.items(state="sent")
    finally:
        room.close()
    assert [d.kind for d in dead] == ["agency_forward"], "550 is permanent: no retries"
    assert dead[0].last_error and "550" in dead[0].last_error
    assert [s.kind for s in sent] == ["bank_receipt"]
    assert list(received_by(recorder)) == ["kaigai@mihon-bank.example.jp"]


def test_imap_mail_is_processed_by_forms_process(tmp_path: Path, sink: tuple[int, Recorder]) -> None:
    port, recorder = sink
    with running_dovecot() as imap:
        imap.append((SAMPLES / "kosha-scanned.eml").read_bytes())
        env = {
            **os.environ,
            **mailroom_env(tmp_path, port),
            "FORMS_IMAP_HOST": imap.host,
            "FORMS_IMAP_PORT": str(imap.port),
            "FORMS_IMAP_USERNAME": imap.username,
            "FORMS_IMAP_PASSWORD": imap.password,
            "FORMS_IMAP_SSL": "false",
        }
        r = subprocess.run([str(FORMS), "process"], env=env, capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stderr
        left_in_inbox = imap.uids("INBOX")
    counts = json.loads(r.stdout.strip().splitlines()[-1])
    assert counts["swept"] == 1 and counts["decided"] == 1
    assert left_in_inbox == [], "handled mail is moved out of the inbox"
    got = received_by(recorder)
    assert set(got) == {"kosha@agency.example.jp", "nanami@reiji-shinkumi.example.jp"}
