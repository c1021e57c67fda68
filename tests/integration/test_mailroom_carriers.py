"""The carriers other than PDF through the whole mailroom (spool → store → decide → SMTP out to a sink on
loopback): what is forwarded to the agency (the original file, as its bytes call for) and who is answered
(a fax gateway's mail: the bank on the form, never the gateway)."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

import pytest

from forms.mailroom.worker import Mailroom
from forms.review.original import original
from forms.store import Store
from tests.corpus import hostile_carriers, legacy_office, mails, office
from tests.support.mailroom import fax_mail, mailroom_env, received_by
from tests.support.paths import SAMPLES
from tests.support.settings import make_settings
from tests.support.smtp_sink import Recorder

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def values(base: str) -> dict:
    return json.loads((SAMPLES / f"{base}.values.json").read_text(encoding="utf-8"))


def drained(home: Path, port: int, mail: bytes, **extra: str) -> tuple[dict[str, int], dict]:
    env = mailroom_env(home, port, **extra)
    room = Mailroom.open(make_settings(home, **{k: v for k, v in env.items() if k != "FORMS_HOME"}))
    try:
        room.spool.put(mail, channel="smtp")
        counts = room.drain()
        row = room.store.intakes.get(1)
        assert row is not None and row.decision is not None
        return counts, dict(row.decision)
    finally:
        room.close()


def attachments(message: EmailMessage) -> dict[str, EmailMessage]:
    return {str(p.get_filename()): p for p in message.iter_attachments()}  # type: ignore[misc]


def test_an_xlsx_behind_a_kessansho_is_forwarded_as_the_xlsx_it_is(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    """Sent as application/pdf after a 決算書: recognised by its bytes, read, forwarded as .xlsx."""
    port, recorder = sink
    form = values("scb-shinkin-flattened")
    xlsx = office.xlsx_two_per_row(form)
    mail = mails.two_pdfs(mails.MailInput("xlsx-1", form, xlsx, "様式1_見本商事.xlsx", mails.kessansho_pdf()))
    counts, decision = drained(tmp_path, port, mail)
    assert (decision["status"], decision["agency"], decision["attachment"]) == (
        "routed",
        "scb",
        "様式1_見本商事.xlsx",
    )
    assert counts["sent"] == 2
    got = received_by(recorder)
    forwarded = attachments(got["scb@agency.example.jp"][0])["様式1_見本商事.xlsx"]
    assert forwarded.get_content_type() == XLSX_TYPE and forwarded.get_content() == xlsx
    assert form["bank_email"] in got  # the receipt answers the bank's mail


def test_a_docx_behind_a_kessansho_is_a_youshiki1_not_a_returned_youshiki3(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    """A .docx makes the mailroom look for a returned 様式3 first; a 決算書 PDF (no ruled table) in front
    of it is no 様式3 — not an unreadable one — and the .docx is read as the 様式1 it is."""
    form = values("jetro-fillable")
    docx = office.docx_table(form)
    mail = mails.two_pdfs(mails.MailInput("docx-2", form, docx, "様式1.docx", mails.kessansho_pdf()))
    _, decision = drained(tmp_path, sink[0], mail)
    assert (decision["status"], decision["attachment"]) == ("routed", "様式1.docx"), decision["reasons"]


def test_a_docx_sent_as_octet_stream_named_bin_goes_on_as_docx(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    port, recorder = sink
    form = values("jetro-fillable")
    docx = office.docx_table(form)
    mail = mails.octet_stream(mails.MailInput("docx-1", form, docx, "youshiki1.bin", b""))
    _, decision = drained(tmp_path, port, mail)
    assert decision["status"] == "routed"
    forwarded = attachments(received_by(recorder)["jetro@agency.example.jp"][0])
    assert forwarded["youshiki1.docx"].get_content_type() == DOCX_TYPE
    assert forwarded["youshiki1.docx"].get_content() == docx


@pytest.mark.slow  # LibreOffice converts the .xls
def test_an_xls_sent_as_octet_stream_is_read_and_forwarded_as_the_xls_it_is(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    port, recorder = sink
    form = values("scb-shinkin-flattened")
    xls = office.as_xls(office.xlsx_two_per_row(form))
    mail = mails.octet_stream(mails.MailInput("xls-1", form, xls, "申込書.dat", b""))
    _, decision = drained(tmp_path, port, mail)
    assert (decision["status"], decision["agency"]) == ("routed", "scb")
    forwarded = attachments(received_by(recorder)["scb@agency.example.jp"][0])
    assert forwarded["申込書.xls"].get_content_type() == "application/vnd.ms-excel"  # named by its reading
    assert forwarded["申込書.xls"].get_content() == xls


def test_a_macro_workbook_is_held_unread_and_never_forwarded(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    port, recorder = sink
    form = values("jetro-fillable")
    xlsm, _ = hostile_carriers.macro_xlsm(form)
    mail = mails.utf8_qp(mails.MailInput("xlsm-1", form, xlsm, "様式1.xlsm", b""))
    _, decision = drained(tmp_path, port, mail)
    assert decision["status"] == "needs_review"
    assert [r["code"] for r in decision["reasons"]] == ["FORM_UNREADABLE"]
    assert "マクロ" in decision["reasons"][0]["message"]
    got = received_by(recorder)
    assert "jetro@agency.example.jp" not in got and list(got) == [form["bank_email"]]


@pytest.mark.slow  # LibreOffice converts the .doc: first looked at as a returned 様式3 (a .doc might be one)
def test_a_doc_youshiki1_is_not_taken_for_a_returned_youshiki3_and_goes_on_as_a_doc(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    port, recorder = sink
    form = values("kosha-scanned")
    doc = office.as_doc(office.docx_table(form))
    mail = mails.octet_stream(mails.MailInput("doc-1", form, doc, "申込書.doc", b""))
    _, decision = drained(tmp_path, port, mail)
    assert (decision["status"], decision["agency"]) == ("routed", "kosha"), decision["reasons"]
    forwarded = attachments(received_by(recorder)["kosha@agency.example.jp"][0])
    assert forwarded["申込書.doc"].get_content_type() == "application/msword"
    assert forwarded["申込書.doc"].get_content() == doc


@pytest.mark.slow  # LibreOffice saves the .xls with its password
def test_a_password_protected_xls_is_held_for_a_clerk_kept_and_never_forwarded(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    port, recorder = sink
    form = values("jetro-fillable")
    xls, _ = legacy_office.encrypted_xls(form)
    mail = mails.octet_stream(mails.MailInput("xls-2", form, xls, "様式1.xls", b""))
    _, decision = drained(tmp_path, port, mail)
    codes = [r["code"] for r in decision["reasons"]]
    assert (decision["status"], codes) == ("needs_review", ["FORM_UNREADABLE"])
    assert "パスワード" in decision["reasons"][0]["message"]
    got = received_by(recorder)
    assert "jetro@agency.example.jp" not in got and list(got) == [form["bank_email"]]
    store = Store.open(make_settings(tmp_path).store_url)
    try:
        row = store.intakes.get(1)
        assert row is not None
        kept = original(store.intakes.blob(row.sha256), form_sha256=row.form_sha256, decision=row.decision,
                        max_part_bytes=1 << 24)  # fmt: skip
    finally:
        store.close()
    assert kept.mail is not None and [a.data for a in kept.mail.attachments] == [xls]  # kept as it came


@pytest.mark.slow
def test_a_gateways_fax_is_recorded_as_fax_and_answered_at_the_bank_on_the_form(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    port, recorder = sink
    form = values("jetro-fillable")
    counts, decision = drained(
        tmp_path, port, fax_mail("fax-1", form, cover=True), FORMS_FAX_GATEWAYS=mails.GATEWAY
    )
    assert (decision["status"], decision["agency"]) == ("routed", "jetro"), decision["reasons"]
    got = received_by(recorder)
    assert set(got) == {"jetro@agency.example.jp", form["bank_email"]} and counts["sent"] == 2
    forwarded = attachments(got["jetro@agency.example.jp"][0])["FAX_20260615_101203.tif"]
    assert forwarded.get_content_type() == "image/tiff"
    receipt = got[form["bank_email"]][0]
    assert receipt["In-Reply-To"] is None and "R8-000001" in receipt["Subject"]
    store = Store.open(make_settings(tmp_path).store_url)
    try:
        row = store.intakes.get(1)
        decided = [e for e in store.events.of(1) if e.kind == "decided"]
    finally:
        store.close()
    assert row is not None and row.channel == "fax" and decided[0].detail["channel"] == "fax"


@pytest.mark.slow
def test_a_gateways_mail_without_a_form_answers_nobody(tmp_path: Path, sink: tuple[int, Recorder]) -> None:
    """Only a cover sheet: kept for a clerk; the gateway is never written to (nor anyone else)."""
    port, recorder = sink
    form = values("jetro-fillable")
    counts, decision = drained(tmp_path, port, fax_mail("fax-2", form, cover=True, form=False),
                               FORMS_FAX_GATEWAYS=mails.GATEWAY)  # fmt: skip
    assert decision["status"] == "needs_review" and [r["code"] for r in decision["reasons"]] == [
        "FORM_NOT_FOUND"
    ]
    assert counts["sent"] == 0 and received_by(recorder) == {}
