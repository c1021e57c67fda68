"""Verified TLS to the servers we log in to: a real Dovecot (imaps and STARTTLS) and a real aiosmtpd
(implicit TLS), each with a self-signed certificate, refused by default and accepted when its CA is
configured (``imap_ca_file``, ``smtp_ca_file``) — through the settings, as an operator configures it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from forms.deliver import make_transport
from forms.errors import DeliveryError, ImapError
from forms.intake.imap import FileSeenKeys, ImapPoller
from forms.intake.spool import Spool
from forms.mailroom.serve import imap_config
from tests.support.dovecot import Dovecot, running_dovecot
from tests.support.settings import make_settings
from tests.support.smtp_sink import LoopbackController, Recorder
from tests.support.tls import Certificate, self_signed

MAIL = b"From: kaigai@bank.example.co.jp\r\nSubject: t\r\nMessage-ID: <tls-1@bank.example.co.jp>\r\n\r\n.\r\n"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def dovecot(certificate: Certificate) -> Iterator[Dovecot]:
    with running_dovecot(tls=certificate) as server:
        yield server


def imap_poller(server: Dovecot, home: Path, mode: str, ca_file: Path | None) -> ImapPoller:
    env = {
        "FORMS_IMAP_HOST": server.host,
        "FORMS_IMAP_PORT": str(server.tls_port if mode == "imaps" else server.port),
        "FORMS_IMAP_USERNAME": server.username,
        "FORMS_IMAP_PASSWORD": server.password,
        "FORMS_IMAP_SSL": "true" if mode == "imaps" else "false",
        "FORMS_IMAP_STARTTLS": "true" if mode == "starttls" else "false",
        **({"FORMS_IMAP_CA_FILE": str(ca_file)} if ca_file else {}),
    }
    spool = Spool(home / "spool")
    return ImapPoller(imap_config(make_settings(home, **env)), spool, seen=FileSeenKeys(home / "seen"))


@pytest.mark.parametrize("mode", ["imaps", "starttls"])
def test_imap_refuses_an_unknown_certificate_and_accepts_it_with_its_ca(
    dovecot: Dovecot, certificate: Certificate, tmp_path: Path, mode: str
) -> None:
    server = dovecot.as_user("mailroom01" if mode == "imaps" else "mailroom02")
    server.append(MAIL)
    untrusting = imap_poller(server, tmp_path / "default", mode, None)
    with pytest.raises(ImapError, match="CERTIFICATE_VERIFY_FAILED"):
        untrusting.poll_once()
    assert server.uids("INBOX") == [1], "the poller never logged in: nothing was filed"
    trusting = imap_poller(server, tmp_path / "with-ca", mode, certificate.cert)
    assert trusting.poll_once() == 1
    assert [e.channel for e in Spool(tmp_path / "with-ca" / "spool").entries()] == ["imap"]


def smtp_send(home: Path, port: int, ca_file: Path | None) -> None:
    env = {
        "FORMS_TRANSPORT": "smtp",
        "FORMS_SMTP_HOST": "127.0.0.1",
        "FORMS_SMTP_PORT": str(port),
        "FORMS_SMTP_SECURITY": "tls",
        **({"FORMS_SMTP_CA_FILE": str(ca_file)} if ca_file else {}),
    }
    transport = make_transport(make_settings(home, **env))

    async def send() -> None:
        try:
            await transport.send("mailroom@example.jp", ["bank@example.jp"], MAIL, "<tls-1@forms.example.jp>")
        finally:
            await transport.close()

    asyncio.run(send())


def test_smtp_out_refuses_an_unknown_certificate_and_accepts_it_with_its_ca(
    certificate: Certificate, tmp_path: Path
) -> None:
    handler = Recorder()
    controller = LoopbackController(handler, ssl_context=certificate.server_context())
    controller.start()
    try:
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED") as refused:
            smtp_send(tmp_path, controller.port, None)
        assert refused.value.permanent is False, "retried once an operator has fixed the trust"
        assert handler.received == []
        smtp_send(tmp_path, controller.port, certificate.cert)
    finally:
        controller.stop()
    assert [r[0] for r in handler.received] == ["mailroom@example.jp"]
