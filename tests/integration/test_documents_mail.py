"""様式2 and 様式3 mailed (DOMAIN "What goes out, to whom"): issued by `forms youshiki2|youshiki3 --send`,
sent by `forms process` to a real SMTP sink, their attachments read back with pypdf and python-docx;
a bank's answer matched by the reference number; exactly once across a SIGKILL of the sender."""

from __future__ import annotations

import collections
import hashlib
import io
import signal
import time
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from forms.store import Store
from tests.support.paths import SAMPLES
from tests.support.post import (
    SEIKI,
    SEIKI_BANK,
    SEIKI_MAIL,
    SHOJI,
    SHOJI_BANK,
    SHOJI_MAIL,
    answer,
    attachments,
    office,
)
from tests.support.youshiki3 import fill_youshiki3

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")
PERIOD = ("--from", "2026-06-01", "--to", "2026-08-31", "--issued", "2026-09-01")
REFERENCES = ("R8-Y3-000001", "R8-Y3-000002")


def pdf_text(data: bytes) -> str:
    """The PDF's text without white space (the titles are letter-spaced)."""
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return "".join(text.split())


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_youshiki2_goes_to_the_company_and_for_scb_a_copy_to_the_bank(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with office(tmp_path, FORMS_YOUSHIKI2_MAIL_FORMATS="pdf,docx") as o:
        assert o.forms(monkeypatch, "youshiki2", SEIKI, "--agency", "jetro", *PERIOD, "--send") == 0
        assert o.forms(monkeypatch, "youshiki2", SHOJI, "--agency", "scb", *PERIOD, "--send") == 0
        assert o.forms(monkeypatch, "process") == 0
        (jetro,) = o.mails_to(SEIKI_MAIL, "youshiki2")
        assert jetro["To"] == SEIKI_MAIL and jetro["Cc"] is None
        assert "R8-Y2-000001" in str(jetro["Subject"])
        files = attachments(jetro)
        (pdf,) = [v for k, v in files.items() if k.endswith(".pdf")]
        (docx,) = [v for k, v in files.items() if k.endswith(".docx")]
        for text in (pdf_text(pdf), docx_text(docx)):
            assert "支援内容報告書" in text and "株式会社サンプル精機" in text and "R8-Y2-000001" in text
        assert "海外ミニ調査サービス" in docx_text(docx)
        (scb,) = o.mails_to(SHOJI_MAIL, "youshiki2")
        assert (scb["To"], scb["Cc"]) == (SHOJI_MAIL, SHOJI_BANK)
        (copy,) = o.mails_to(SHOJI_BANK, "youshiki2")  # one message, both on its envelope
        assert copy["Message-ID"] == scb["Message-ID"] and len(o.mails_to(SHOJI_MAIL)) == 1
        scb_pdf = next(v for k, v in attachments(scb).items() if k.endswith(".pdf"))
        assert "見本商事株式会社" in pdf_text(scb_pdf) and "（写）" in pdf_text(scb_pdf)


def test_jetro_youshiki3_goes_to_the_bank_with_youshiki1_and_youshiki2_and_its_answer_closes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with office(tmp_path) as o:
        for issued in ("2026-09-01", "2026-09-02"):  # two open 様式3: the answer names the second
            argv = ("youshiki3", SEIKI, "--agency", "jetro", "--issued", issued, "--send")
            assert o.forms(monkeypatch, *argv) == 0
        assert o.forms(monkeypatch, "process") == 0
        mailed = o.mails_to(SEIKI_BANK, "youshiki3")  # sent at once: in either order
        by_reference = {ref: [m for m in mailed if ref in str(m["Subject"])] for ref in REFERENCES}
        assert len(mailed) == 2 and all(len(found) == 1 for found in by_reference.values())
        (first,), (second,) = by_reference["R8-Y3-000001"], by_reference["R8-Y3-000002"]
        files = attachments(second)
        youshiki3_docx = next(
            v for k, v in files.items() if k.startswith("youshiki3") and k.endswith(".docx")
        )
        youshiki3_pdf = next(v for k, v in files.items() if k.startswith("youshiki3") and k.endswith(".pdf"))
        youshiki1 = next(v for k, v in files.items() if k.startswith("youshiki1"))
        youshiki2 = next(v for k, v in files.items() if k.startswith("youshiki2"))
        assert "R8-Y3-000002" in docx_text(youshiki3_docx) and "R8-Y3-000002" in pdf_text(youshiki3_pdf)
        assert "融資及び海外展開の状況報告" in pdf_text(youshiki3_pdf)
        original = (SAMPLES / "jetro-fillable.pdf").read_bytes()
        assert hashlib.sha256(youshiki1).digest() == hashlib.sha256(original).digest()
        assert "支援内容報告書" in pdf_text(youshiki2) and "海外ミニ調査サービス" in pdf_text(youshiki2)
        reply = answer(
            second, {"様式3.docx": fill_youshiki3(youshiki3_docx)}, SEIKI_BANK, "<a1@mihon-bank.example.jp>"
        )
        (o.home / "mailroom" / "new").mkdir(parents=True, exist_ok=True)
        (o.home / "mailroom" / "new" / "answer.eml").write_bytes(reply)
        assert o.forms(monkeypatch, "process") == 0
        with Store.open(o.settings.store_url) as store:
            issued = {i.reference: i for i in store.youshiki3.issued()}
            loans = store.ledger.records(issued["R8-Y3-000002"].company)[1]
        assert issued["R8-Y3-000001"].answered_on is None  # the older one stays open
        assert issued["R8-Y3-000002"].answered_on is not None
        assert issued["R8-Y3-000002"].recipients == (SEIKI_BANK,)
        assert [(str(r.date), r.amount) for r in loans] == [("2026-09-10", 30_000_000)]
        assert first["Message-ID"] != second["Message-ID"]


def test_a_mailed_document_arrives_exactly_once_across_a_sigkill_of_the_sender(tmp_path: Path) -> None:
    with office(tmp_path, FORMS_CLAIM_LEASE_S="1") as o:
        issued = o.child("youshiki2", SEIKI, "--agency", "jetro", *PERIOD, "--send")
        assert issued.returncode == 0, issued.stderr
        crashed = o.child("process", FORMS_FAILPOINT="mid_send")
        assert crashed.returncode == -signal.SIGKILL, crashed.stderr
        assert o.mails_to(SEIKI_MAIL) == []
        time.sleep(1.5)  # the dead sender's claim expires
        for _ in range(2):  # restarted, and once more: nothing left to send
            again = o.child("process")
            assert again.returncode == 0, again.stderr
        delivered = collections.Counter(str(m["Message-ID"]) for m in o.mails_to(SEIKI_MAIL))
        assert delivered == {"<R8-Y2-000001.youshiki2@forms.example.jp>": 1}
        with Store.open(o.settings.store_url) as store:
            (row,) = [i for i in store.outbox.items() if i.kind == "youshiki2"]
        assert row.state == "sent"
