"""The transport the settings name: the file transport (default: nothing leaves the machine), or SMTP
when an operator configured ``transport = "smtp"``."""

from __future__ import annotations

from pathlib import Path

from forms.config import Settings
from forms.deliver.smtp import SmtpTransport
from forms.deliver.transport import FileTransport, Transport
from forms.tls import client_context


def make_transport(settings: Settings) -> Transport:
    if settings.transport == "smtp":
        return SmtpTransport(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            starttls=settings.smtp_security == "starttls",
            use_tls=settings.smtp_security == "tls",
            max_concurrency=settings.smtp_concurrency,
            timeout=settings.smtp_timeout_s,
            tls_context=client_context(settings.smtp_ca_file),  # verifying, always
        )
    return FileTransport(settings.outbox_dir or Path("outbox"))
