"""Returned 様式3 for the tests: the issued .docx filled in as a bank fills it in Word (python-docx),
mailed back in a real MIME message; and the routed 様式1 an issued 様式3 is made from."""

from __future__ import annotations

import datetime as dt
import email.policy
import io
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from docx import Document

from forms.documents.batch import render
from forms.documents.youshiki3 import youshiki3_data
from forms.ledger import CompanyKey
from forms.rules.loader import load_rulebooks
from forms.store import Store
from tests.support.store_rows import T0

RULEBOOK = load_rulebooks().for_date(dt.date(2026, 8, 1))
NUMBER = "4010001234567"
KEY = CompanyKey.for_corporation(NUMBER)
BANK = "kaigai@mihon-bank.example.jp"  # the 金融機関E-mail of the jetro sample's 様式1
FIELDS: dict[str, Any] = {
    "company_name": "株式会社サンプル精機",
    "corporate_number": NUMBER,
    "bank_name": "みほん銀行",
    "bank_branch": "蒲田支店",
    "bank_officer": "例示 一郎",
    "bank_email": BANK,
    "loan_status": "planned",
    "loan_amount_yen": 50_000_000,
}
ISSUED, DUE = dt.date(2026, 8, 3), dt.date(2026, 9, 30)


def filled_docx(
    *, loan: str | None = "実行済", day: str = "令和8年9月10日", amount: str = "3,000万円"
) -> bytes:
    """The 様式3 issued from FIELDS, with the loan's status ticked and its date and amount written."""
    data = youshiki3_data(youshiki1_fields=FIELDS, agency="jetro", rulebook=RULEBOOK, issued_on=ISSUED)
    return fill_youshiki3(render(data, "docx"), loan=loan, day=day, amount=amount)


def fill_youshiki3(
    docx: bytes, *, loan: str | None = "実行済", day: str = "令和8年9月10日", amount: str = "3,000万円"
) -> bytes:
    """The 様式3 .docx as a bank fills it in Word: a choice ticked (none when ``loan`` is None), the date
    and amount written."""
    doc = Document(io.BytesIO(docx))
    cells = {row.cells[0].text: row.cells[1] for table in doc.tables for row in table.rows}
    if loan is not None:
        line = next(p for p in cells["融資の状況"].paragraphs if loan in p.text)
        line.runs[0].text = line.runs[0].text.replace("□", "■")
    cells["融資実行日"].paragraphs[0].runs[0].text = day
    cells["融資実行額"].paragraphs[0].runs[0].text = amount
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def mail_bytes(
    attachment: bytes,
    filename: str,
    message_id: str = "<y3-1@mihon-bank.example.jp>",
    sender: str = f"例示 一郎 <{BANK}>",
    subject: str = "様式3のご返送（株式会社サンプル精機）",
) -> bytes:
    """A bank's mail returning ``attachment`` (a .docx, a PDF, a fax's TIFF …) to the mailroom."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "mailroom@example.jp"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = "Thu, 10 Sep 2026 10:00:00 +0900"
    msg.set_content("様式3を返送いたします。")
    maintype, subtype = (
        ("application", "pdf") if filename.endswith(".pdf") else ("application", "octet-stream")
    )
    msg.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=email.policy.SMTP)


def routed_youshiki1(store: Store, fields: Mapping[str, Any] = FIELDS, *, agency: str = "jetro") -> int:
    """A routed 様式1 with ``fields`` in the store (as the worker records one); its intake id."""
    intake_id = store.intakes.add(data=b"%PDF-1.7\n", channel="smtp", received_at=T0, spool_id=f"y1-{agency}")
    assert intake_id is not None
    claimed = store.intakes.claim_next("test-worker", 300)
    assert claimed is not None and claimed.id == intake_id
    decision = {"status": "routed", "agency": agency, "fields": dict(fields)}
    store.intakes.record_decision(
        intake_id,
        status="routed",
        agency=agency,
        reference=store.intakes.next_reference("R8"),
        decision=decision,
        message_id=None,
        sender=None,
        form_sha256=None,
        outgoing=(),
        actor="test-worker",
    )
    return intake_id


def issue(store: Store, agency: str = "jetro", reference: str | None = None) -> int:
    """A 様式3 issued to the bank of FIELDS, made from a routed 様式1 (so its address is known), printing
    ``reference``."""
    return store.youshiki3.record_issued(
        key=KEY,
        company_name=FIELDS["company_name"],
        bank_name=FIELDS["bank_name"],
        agency=agency,
        intake_id=routed_youshiki1(store, agency=agency),
        issued_on=ISSUED,
        due_on=DUE,
        files=["youshiki3.docx"],
        reference=reference,
    )
