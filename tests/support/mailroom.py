"""The mailroom as tests run it: its environment, a bank's mail, a fax gateway's, what the agency sink
received."""

from __future__ import annotations

import tempfile
from email.message import EmailMessage
from pathlib import Path

from forms.config import Settings
from tests.corpus import faxes, mails
from tests.support.settings import make_settings
from tests.support.smtp_sink import Recorder, parsed
from tests.support.youshiki1 import fill_module

INBOXES = "jetro=jetro@agency.example.jp,scb=scb@agency.example.jp,kosha=kosha@agency.example.jp"


def mailroom_env(home: Path, sink_port: int, **extra: str) -> dict[str, str]:
    return {
        "FORMS_HOME": str(home),
        "FORMS_TRANSPORT": "smtp",
        "FORMS_SMTP_HOST": "127.0.0.1",
        "FORMS_SMTP_PORT": str(sink_port),
        "FORMS_SMTP_SECURITY": "none",
        "FORMS_AGENCY_INBOXES": INBOXES,
        "FORMS_MAILDIR": str(home / "mailroom"),
        "FORMS_WORKERS": "1",
        **extra,
    }


def settings_for(home: Path, sink_port: int, **extra: str) -> Settings:
    """The settings of ``mailroom_env`` as an in-process mailroom takes them."""
    env = mailroom_env(home, sink_port, **extra)
    return make_settings(home, **{k: v for k, v in env.items() if k != "FORMS_HOME"})


def bank_mail(pdf: Path | None, sender: str, message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, "mailroom@example.jp"
    msg["Subject"], msg["Message-ID"] = "様式1の送付", message_id
    msg.set_content("様式1を送付します。")
    if pdf is not None:
        msg.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename=pdf.name)
    return msg.as_bytes()


def received_by(recorder: Recorder) -> dict[str, list[EmailMessage]]:
    out: dict[str, list[EmailMessage]] = {}
    for _, rcpts, raw, _ in recorder.received:
        for r in rcpts:
            out.setdefault(r, []).append(parsed(raw))
    return out


def fax_mail(name: str, values: dict, *, cover: bool, form: bool = True, mode: str = "fine") -> bytes:
    """A fax gateway's mail carrying the printed 様式1 faxed in ``mode`` (or only the cover sheet)."""
    folder = Path(tempfile.mkdtemp(prefix="fax-"))
    printed = folder / "printed.pdf"
    fill_module().flatten(values, str(printed))
    pages = faxes.cover_sheet(values, 1) if not form else printed.read_bytes()
    tiff = faxes.fax_tiff(pages, values, mode, cover=cover and form, seed=3)
    mail = mails.fax_gateway(mails.MailInput(name, values, tiff, "FAX_20260615_101203.tif", b""))
    marked = b"\r\nAuto-Submitted: auto-generated\r\nSubject:"  # as gateways mark their mail
    return mail.replace(b"\r\nSubject:", marked, 1)
