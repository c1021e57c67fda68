"""A returned 様式3 recorded on a real store: a real MIME mail carrying the filled .docx (python-docx,
as a bank fills it in Word), parsed by the mailroom's own MIME reader, recorded by ``record_returned``."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from forms.errors import Code
from forms.extract.reader_process import InlineReader
from forms.intake.mime import parse_mail
from forms.intake.smtp import start_smtp_listener
from forms.ledger import SupportRecord
from forms.mailroom.returned_youshiki3 import (
    ReturnedOutcome,
    ReturnedStatus,
    might_be_returned,
    record_returned,
)
from forms.mailroom.worker import Mailroom
from forms.model import Mail
from forms.store import Store
from forms.store.ledger import StoreLedger
from tests.corpus import office
from tests.support.settings import make_settings
from tests.support.youshiki3 import KEY, RULEBOOK, filled_docx, issue, mail_bytes

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
#: Reads in this process: these tests are about recording (the mailroom reads in reader processes).
READER = InlineReader(max_pages=50)


def record(store: Store, ledger: StoreLedger, mail: Mail) -> ReturnedOutcome:
    return record_returned(store, ledger, mail, rulebook=RULEBOOK, reader=READER)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """The store the mailroom of these tests opens (its settings name the file), on the real clock."""
    with Store.open(f"sqlite:///{tmp_path / 'forms.db'}") as s:
        yield s


def mail_with(attachment: bytes, filename: str) -> Mail:
    return parse_mail(mail_bytes(attachment, filename))


def test_a_returned_disbursement_is_recorded_once_and_makes_a_reapplication_valid(
    store: Store, ledger: StoreLedger
) -> None:
    ledger.add_support(KEY, SupportRecord("jetro", dt.date(2026, 6, 10), "海外ミニ調査サービス", 1_000_000))
    assert not ledger.company(KEY).disbursed_since_last_frame()
    issued_id = issue(store)
    mail = mail_with(filled_docx(), "様式3_株式会社サンプル精機.docx")
    assert might_be_returned(mail)
    outcome = record(store, ledger, mail)
    assert (outcome.status, outcome.issued_id, outcome.loan_recorded) == (
        ReturnedStatus.RECORDED,
        issued_id,
        True,
    )
    after = ledger.company(KEY)
    assert [(r.date, r.amount) for r in after.loans] == [(dt.date(2026, 9, 10), 30_000_000)]
    assert after.disbursed_since_last_frame()
    (row,) = store.youshiki3.issued(key=KEY)
    assert row.answered_on == dt.date(2026, 9, 10)
    assert row.answer is not None and row.answer["loan_status"] == "disbursed"
    assert store.youshiki3.overdue(dt.date(2026, 10, 31)) == []
    again = record(store, ledger, mail)  # the same mail processed again
    assert (again.status, again.loan_recorded) == (ReturnedStatus.RECORDED, False)
    assert len(ledger.company(KEY).loans) == 1


def test_not_disbursed_is_recorded_without_a_loan(store: Store, ledger: StoreLedger) -> None:
    issue(store)
    outcome = record(store, ledger, mail_with(filled_docx(loan="未実行"), "y3.docx"))
    assert (outcome.status, outcome.loan_recorded) == (ReturnedStatus.RECORDED, False)
    assert ledger.company(KEY).loans == ()
    assert store.youshiki3.issued(key=KEY)[0].answered_on is not None


def test_an_unreadable_answer_goes_to_the_clerks_and_records_nothing(
    store: Store, ledger: StoreLedger
) -> None:
    issue(store)
    outcome = record(store, ledger, mail_with(filled_docx(loan=None), "y3.docx"))
    assert outcome.status is ReturnedStatus.NEEDS_REVIEW
    assert [(r.code, r.field) for r in outcome.reasons] == [(Code.FIELD_MISSING, "loan_status")]
    assert "融資の状況" in outcome.reasons[0].message
    broken = record(store, ledger, mail_with(b"PK\x03\x04broken", "y3.docx"))
    assert [r.code for r in broken.reasons] == [Code.FORM_UNREADABLE]
    assert ledger.company(KEY).loans == ()
    assert store.youshiki3.issued(key=KEY)[0].answered_on is None


def test_an_answer_no_issued_youshiki3_awaits_goes_to_the_clerks(store: Store, ledger: StoreLedger) -> None:
    issue(store, agency="scb")  # issued by scb, answered as jetro's
    outcome = record(store, ledger, mail_with(filled_docx(), "y3.docx"))
    assert outcome.status is ReturnedStatus.NEEDS_REVIEW
    assert outcome.answer is not None and outcome.answer.loan_status == "disbursed"
    assert ledger.company(KEY).loans == ()


def test_a_youshiki1_is_not_a_returned_youshiki3(store: Store, ledger: StoreLedger) -> None:
    mail = mail_with((SAMPLES / "jetro-fillable.pdf").read_bytes(), "様式1.pdf")
    outcome = record(store, ledger, mail)
    assert outcome.status is ReturnedStatus.NOT_A_YOUSHIKI3


def test_a_returned_youshiki3_mailed_to_the_smtp_listener_ends_as_a_recorded_disbursement(
    store: Store, ledger: StoreLedger, tmp_path: Path
) -> None:
    """Real SMTP on loopback into the spool, then the mailroom worker: the answer lands in the ledger."""
    ledger.add_support(KEY, SupportRecord("scb", dt.date(2026, 6, 1), "海外展開相談", 400_000))
    issue(store)
    room = Mailroom.open(make_settings(tmp_path, FORMS_OUTBOX_DIR=str(tmp_path / "outbox")))
    try:
        listener = start_smtp_listener(
            room.spool, host="127.0.0.1", port=0, mailroom_addresses=["mailroom@example.jp"], max_bytes=10**7
        )
        try:
            with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client:
                message = mail_bytes(filled_docx(), "様式3.docx")
                client.sendmail("kaigai@mihon-bank.example.jp", ["mailroom@example.jp"], message)
        finally:
            listener.stop()
        counts = room.drain()
        (row,) = [r for r in room.store.intakes.latest(status="routed") if r.message_id]
    finally:
        room.close()
    assert counts == {"received": 1, "decided": 1, "sent": 0}, "an answer is recorded, nothing is sent"
    assert row.decision is not None and row.decision["fields"]["document"] == "youshiki3_returned"
    assert [(r.date, r.amount) for r in ledger.company(KEY).loans] == [(dt.date(2026, 9, 10), 30_000_000)]
    assert ledger.company(KEY).disbursed_since_last_frame()
    assert store.youshiki3.issued()[0].answered_on is not None


def test_the_outcome_as_the_decision_the_store_keeps(store: Store, ledger: StoreLedger) -> None:
    issue(store)
    review = record(store, ledger, mail_with(filled_docx(loan=None), "y3.docx"))
    held = review.to_decision("<y3-1@mihon-bank.example.jp>").to_json()
    assert (held["status"], held["fields"]["document"]) == ("needs_review", "youshiki3_returned")
    assert [r["code"] for r in held["reasons"]] == ["FIELD_MISSING"]
    recorded = record(store, ledger, mail_with(filled_docx(), "y3.docx"))
    done = recorded.to_decision("<y3-1@mihon-bank.example.jp>").to_json()
    assert (done["status"], done["agency"], done["fields"]["amount_yen"]) == ("routed", "jetro", 30_000_000)
    assert done["fields"]["disbursed_on"] == "2026-09-10" and done["attachment"] == "y3.docx"


@pytest.mark.slow  # LibreOffice converts the .doc
def test_a_youshiki3_returned_as_a_word_97_doc_is_recorded_as_its_docx_would_be(
    store: Store, ledger: StoreLedger
) -> None:
    issued_id = issue(store)
    doc = office.as_doc(filled_docx())  # the filled .docx saved as Word 97–2003 by LibreOffice
    mail = parse_mail(mail_bytes(doc, "houkoku.doc", subject="ご報告（株式会社サンプル精機）"))
    assert might_be_returned(mail)  # by the .doc alone: neither the subject nor the name says 様式3
    outcome = record(store, ledger, mail)
    assert (outcome.status, outcome.issued_id) == (ReturnedStatus.RECORDED, issued_id), outcome.reasons
    assert [(r.date, r.amount) for r in ledger.company(KEY).loans] == [(dt.date(2026, 9, 10), 30_000_000)]
