"""The carriers other than PDF through the whole mailroom (spool → store → decide → SMTP out to a sink on
loopback): what is forwarded to the agency (the original file, as its bytes call for) and who is answered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from forms.mailroom.worker import Mailroom
from tests.corpus import hostile_carriers, mails, office
from tests.support.mailroom import mailroom_env, received_by
from tests.support.paths import SAMPLES
from tests.support.settings import make_settings
from tests.support.smtp_sink import Recorder, smtp_sink

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def values(base: str) -> dict:
    return json.loads((SAMPLES / f"{base}.values.json").read_text(encoding="utf-8"))


@pytest.fixture
def sink() -> Iterator[tuple[int, Recorder]]:
    with smtp_sink() as (controller, recorder):
        yield controller.port, recorder


def drained(home: Path, port: int, mail: bytes) -> tuple[dict[str, int], dict]:
    env = mailroom_env(home, port)
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
