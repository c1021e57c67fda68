"""Returned 様式3 on paper (slow: OCR): the issued 様式3 printed, answered with a pen (a tick, a ring, the
other choices struck through) or typed on, then scanned, faxed or photographed (tests/support/
paper_youshiki3.py). Read as the mailroom reads them, their status and amounts are recorded only when
certain, else a clerk reads the page; never a silently wrong answer. bench/scan_accuracy.py runs every
case of every shape and prints the figures."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from forms.errors import Code
from forms.extract.ocr_engine import rapidocr_available
from forms.extract.reader_process import InlineReader
from forms.intake.mime import parse_mail
from forms.intake.smtp import start_smtp_listener
from forms.mailroom.returned_youshiki3 import ReturnedOutcome, ReturnedStatus, record_returned
from forms.mailroom.worker import Mailroom
from forms.model import Mail
from forms.store import Store
from forms.store.ledger import StoreLedger
from tests.corpus.youshiki3_paper import Reply
from tests.support import paper_youshiki3 as paper
from tests.support import scan_corpus
from tests.support.settings import make_settings
from tests.support.youshiki3 import BANK, KEY, RULEBOOK, issue, mail_bytes

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not paper.available(), reason="needs ../shared/forms/fill.py and handwriting fonts"),
    pytest.mark.skipif(not rapidocr_available(), reason="needs rapidocr and onnxruntime"),
]
READER = InlineReader(max_pages=50)
#: 実行済 on the 様式3 issued to 株式会社サンプル精機 (R8-Y3-000007), as the bank writes it by hand.
DISBURSED = Reply("実行済", day=(8, 9, 10), amount="30,000,000", menu="海外展開事業化支援融資",
                  expansion="検討中", loan_mark="ring+strike", expansion_mark="box")  # fmt: skip
REFERENCE = paper.ISSUED[0][1]


def _report(scored: list[scan_corpus.Scored]) -> str:
    return "\n".join(
        f"{s.outcome} {s.shape}/{s.name}: {'; '.join(s.why)}" for s in scored if s.outcome != "auto"
    )


@pytest.mark.parametrize(
    ("shape", "least_auto"),
    # fax: half the faxes are standard resolution, whose written date and amount a clerk reads
    [("youshiki3_scanned", 0.95), ("youshiki3_handwritten", 0.9), ("youshiki3_fax", 0.5),
     ("youshiki3_photo", 0.9)],
)  # fmt: skip
def test_returned_youshiki3_on_paper_are_never_silently_wrong(shape: str, least_auto: float) -> None:
    scored = paper.measure([shape], paper.test_cases(), workers=2)
    row = scan_corpus.summary(scored)["shapes"][shape]
    print(f"\n{shape}: {row}\n{_report(scored)}")
    assert row["wrong"] == 0, _report(scored)
    assert row["auto_rate"] >= least_auto, _report(scored)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """The store the mailroom of these tests opens (its settings name the file), on the real clock."""
    with Store.open(f"sqlite:///{tmp_path / 'forms.db'}") as s:
        yield s


def _paper(shape: str, reply: Reply, seed: int) -> bytes:
    return paper.case_file(shape, paper.PaperCase(f"mail-{seed}", 0, reply, seed)).read_bytes()


def _mail(data: bytes, filename: str, sender: str = f"例示 一郎 <{BANK}>") -> Mail:
    return parse_mail(mail_bytes(data, filename, sender=sender))


def _record(store: Store, ledger: StoreLedger, mail: Mail) -> ReturnedOutcome:
    return record_returned(store, ledger, mail, rulebook=RULEBOOK, reader=READER)


def test_a_handwritten_answer_scanned_by_the_bank_is_recorded_with_its_certainty(
    store: Store, ledger: StoreLedger
) -> None:
    issued_id = issue(store, reference=REFERENCE)
    scan = _paper("youshiki3_handwritten", DISBURSED, 500)
    outcome = _record(store, ledger, _mail(scan, "scan0001.pdf"))
    assert (outcome.status, outcome.issued_id) == (ReturnedStatus.RECORDED, issued_id)
    assert outcome.loan_recorded
    assert [(r.date, r.amount) for r in ledger.company(KEY).loans] == [(dt.date(2026, 9, 10), 30_000_000)]
    decision = outcome.to_decision("<y3-1@mihon-bank.example.jp>").to_json()
    loan = decision["certainty"]["loan_status"]
    assert loan == {"certain": True, "evidence": ["choice_circled", "others_struck"]}
    assert decision["certainty"]["amount_yen"]["certain"]


def test_paper_from_another_address_waits_for_a_clerk(store: Store, ledger: StoreLedger) -> None:
    issue(store, reference=REFERENCE)
    mail = _mail(_paper("youshiki3_handwritten", DISBURSED, 500), "scan.pdf", sender="someone@example.jp")
    outcome = _record(store, ledger, mail)
    assert outcome.status is ReturnedStatus.NEEDS_REVIEW
    assert [r.code for r in outcome.reasons] == [Code.SENDER_UNKNOWN]
    assert outcome.answer is not None and outcome.answer.amount_yen == 30_000_000
    assert ledger.company(KEY).loans == ()


def test_a_standard_fax_whose_amount_is_not_certain_goes_to_a_clerk_and_records_nothing(
    store: Store, ledger: StoreLedger
) -> None:
    """At 98 lines per inch strokes are lost for good: two readings that agree are no evidence, and an
    amount the form says nothing of is not certain."""
    issue(store, reference=REFERENCE)
    tiff = _paper("youshiki3_fax", DISBURSED, 302)  # seed 302: standard resolution, no cover sheet
    assert paper.variant("youshiki3_fax", paper.PaperCase("", 0, DISBURSED, 302)) == "standard"
    outcome = _record(store, ledger, _mail(tiff, "fax.tif"))
    assert outcome.status is ReturnedStatus.NEEDS_REVIEW
    held = {r.field: r.message for r in outcome.reasons if r.code is Code.LOW_CONFIDENCE}
    assert "amount_yen" in held and "「融資実行額」を確実に読み取れませんでした" in held["amount_yen"]
    assert ledger.company(KEY).loans == ()
    assert store.youshiki3.issued(key=KEY)[0].answered_on is None


def test_a_fax_gateways_mail_that_holds_no_youshiki1_is_read_as_a_returned_youshiki3(
    store: Store, ledger: StoreLedger, tmp_path: Path
) -> None:
    """「FAX受信」 says nothing of 様式3: the mailroom finds no 様式1 in it and reads it as one; from the
    gateway's address (not the bank's) its answer waits for a clerk, read (SENDER_UNKNOWN)."""
    issue(store, reference=REFERENCE)
    room = Mailroom.open(make_settings(tmp_path, FORMS_OUTBOX_DIR=str(tmp_path / "outbox")))
    try:
        listener = start_smtp_listener(
            room.spool, host="127.0.0.1", port=0, mailroom_addresses=["mailroom@example.jp"], max_bytes=10**7
        )
        try:
            fax = _paper("youshiki3_fax", DISBURSED, 300)
            gateway = "fax-gateway@fax.example.jp"
            message = mail_bytes(fax, "0312345678.tif", sender=gateway, subject="FAX受信 03-1234-5678")
            with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client:
                client.sendmail(gateway, ["mailroom@example.jp"], message)
        finally:
            listener.stop()
        room.drain()
        (row,) = room.store.intakes.latest(status="needs_review")
    finally:
        room.close()
    assert row.decision is not None and row.decision["fields"]["document"] == "youshiki3_returned"
    assert [r["code"] for r in row.decision["reasons"]] == ["SENDER_UNKNOWN"]
    assert row.decision["fields"]["amount_yen"] == 30_000_000
    assert ledger.company(KEY).loans == ()
