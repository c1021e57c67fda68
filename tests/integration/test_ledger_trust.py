"""Only the bank a 様式3 was sent to changes the ledger by mail: forged answers and re-applications are
held for a clerk (SENDER_UNKNOWN). Real mail in through the SMTP listener on loopback, the real
mailroom worker, real 様式1 PDFs and a 様式3 .docx filled as a bank fills it."""

from __future__ import annotations

import datetime as dt
import email.policy
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from forms.intake.smtp import start_smtp_listener
from forms.ledger import SupportRecord
from forms.mailroom.worker import Mailroom
from forms.model import OutgoingMessage
from forms.store import IntakeRow
from tests.support.paths import SAMPLES
from tests.support.settings import make_settings
from tests.support.youshiki1 import filled_pdf, jetro_values
from tests.support.youshiki3 import BANK, DUE, ISSUED, KEY, filled_docx, mail_bytes, routed_youshiki1

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")
FORGER = "kaigai@mihon-bank.example.jp.attacker.example.jp"
REASON = "前回は北米向け、今回は東南アジアでの新規販路開拓のため"


class Bank:
    """The mailroom with its SMTP listener; mail sent in is decided at once (``drain``)."""

    def __init__(self, room: Mailroom) -> None:
        self.room = room

    def send(self, raw: bytes, sender: str) -> IntakeRow:
        listener = start_smtp_listener(
            self.room.spool,
            host="127.0.0.1",
            port=0,
            mailroom_addresses=["mailroom@example.jp"],
            max_bytes=10**7,
        )
        try:
            with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client:
                client.sendmail(sender, ["mailroom@example.jp"], raw)
        finally:
            listener.stop()
        self.room.drain()
        return self.room.store.intakes.latest(limit=1)[0]


def youshiki1_mail(pdf: Path, sender: str, n: int) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, "mailroom@example.jp"
    msg["Subject"], msg["Message-ID"] = "海外展開支援の申込み", f"<y1-{n}@example.jp>"
    msg.set_content("様式1を送付します。")
    msg.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename="様式1.pdf")
    return msg.as_bytes(policy=email.policy.SMTP)


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[Bank]:
    room = Mailroom.open(make_settings(tmp_path / "home", FORMS_OUTBOX_DIR=str(tmp_path / "outbox")))
    try:
        yield Bank(room)
    finally:
        room.close()


def issued_youshiki3(bank: Bank, tmp_path: Path) -> int:
    """The bank's 様式1 is routed to jetro; a 様式3 is issued from it to the bank's address."""
    first = bank.send(youshiki1_mail(filled_pdf(jetro_values(), tmp_path / "y1.pdf"), BANK, 1), BANK)
    assert first.status == "routed"
    return bank.room.store.youshiki3.record_issued(
        key=KEY, company_name="株式会社サンプル精機", bank_name="みほん銀行", agency="jetro",
        intake_id=first.id, issued_on=ISSUED, due_on=DUE, files=["youshiki3.docx"],
    )  # fmt: skip


def test_a_forged_returned_youshiki3_records_nothing_and_waits_for_a_clerk(
    bank: Bank, tmp_path: Path
) -> None:
    issued_youshiki3(bank, tmp_path)
    forged = bank.send(
        mail_bytes(filled_docx(), "様式3.docx", "<forged@attacker.example.jp>", FORGER), FORGER
    )
    assert forged.status == "needs_review"
    assert [r["code"] for r in (forged.decision or {})["reasons"]] == ["SENDER_UNKNOWN"]
    assert bank.room.ledger is not None and bank.room.ledger.company(KEY).loans == ()
    assert bank.room.store.youshiki3.issued(key=KEY)[0].answered_on is None, "still awaiting the bank"
    genuine = bank.send(mail_bytes(filled_docx(), "様式3.docx"), BANK)
    assert genuine.status == "routed"
    assert [(r.date, r.amount) for r in bank.room.ledger.company(KEY).loans] == [
        (dt.date(2026, 9, 10), 30_000_000)
    ]


def test_with_an_allow_list_the_bank_address_must_be_on_it_too(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", FORMS_ALLOWED_SENDER_DOMAINS="other-bank.example.jp")
    room = Mailroom.open(settings)
    try:
        room.store.youshiki3.record_issued(  # the 様式1 came in when no allow-list was configured
            key=KEY, company_name="株式会社サンプル精機", bank_name="みほん銀行", agency="jetro",
            intake_id=routed_youshiki1(room.store), issued_on=ISSUED, due_on=DUE, files=["youshiki3.docx"],
        )  # fmt: skip
        answer = Bank(room).send(mail_bytes(filled_docx(), "様式3.docx"), BANK)
    finally:
        room.close()
    assert answer.status == "needs_review"
    assert [r["code"] for r in (answer.decision or {})["reasons"]] == ["SENDER_UNKNOWN"]


def test_a_reapplication_grants_its_frame_only_from_the_bank(bank: Bank, tmp_path: Path) -> None:
    issued_youshiki3(bank, tmp_path)
    ledger = bank.room.ledger
    assert ledger is not None
    ledger.add_support(KEY, SupportRecord("jetro", dt.date(2026, 6, 10), "海外ミニ調査サービス", 1_000_000))
    bank.send(
        mail_bytes(filled_docx(), "様式3.docx"), BANK
    )  # 実行済 on 2026-09-10: a re-application is valid
    assert ledger.company(KEY).disbursed_since_last_frame() and ledger.company(KEY).remaining == 0
    again = filled_pdf(jetro_values(reapplication=True, reapplication_reason=REASON), tmp_path / "again.pdf")
    forged = bank.send(youshiki1_mail(again, FORGER, 2), FORGER)
    assert forged.status == "needs_review"
    assert "SENDER_UNKNOWN" in [r["code"] for r in (forged.decision or {})["reasons"]]
    assert ledger.company(KEY).frames == 1, "no frame from a forged re-application"
    genuine = bank.send(youshiki1_mail(again, BANK, 3), BANK)
    assert genuine.status == "routed"
    assert (ledger.company(KEY).frames, ledger.company(KEY).remaining) == (2, 1_000_000)


def test_a_mailed_youshiki3_is_answered_only_from_the_address_it_was_mailed_to(tmp_path: Path) -> None:
    """Mailed to another officer of the bank than the one on the 様式1: that officer's answer counts."""
    officer = "hanako.rei@mihon-bank.example.jp"
    room = Mailroom.open(make_settings(tmp_path / "home", FORMS_OUTBOX_DIR=str(tmp_path / "outbox")))
    try:
        mailed = OutgoingMessage(
            "youshiki3", "<y3-mail@forms.example.jp>", (officer,), "mailroom@example.jp", b"x"
        )
        room.store.youshiki3.record_issued(
            key=KEY, company_name="株式会社サンプル精機", bank_name="みほん銀行", agency="jetro",
            intake_id=routed_youshiki1(room.store), issued_on=ISSUED, due_on=DUE, files=["youshiki3.docx"],
            outgoing=[mailed],
        )  # fmt: skip
        bank = Bank(room)
        from_the_form = bank.send(mail_bytes(filled_docx(), "様式3.docx"), BANK)
        answered = bank.send(
            mail_bytes(filled_docx(), "様式3.docx", "<y3-2@mihon-bank.example.jp>", officer), officer
        )
    finally:
        room.close()
    assert from_the_form.status == "needs_review" and answered.status == "routed"
