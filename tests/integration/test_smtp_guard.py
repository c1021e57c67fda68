"""The SMTP listener held and filled on purpose (the real aiosmtpd listener on loopback, raw sockets and
smtplib): connections over the cap or too often from one address get 421, a session that never ends
is cut, a low disk answers 452, STARTTLS with the configured certificate and AUTH when configured."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from forms.intake.smtp import ListenerAuth, ListenerLimits, start_smtp_listener
from forms.intake.spool import Spool
from tests.support.mailroom import bank_mail, mailroom_env
from tests.support.paths import FORMS, SAMPLES
from tests.support.ports import free_port, listening
from tests.support.processes import wait_until
from tests.support.smtp_sink import smtp_sink
from tests.support.tls import Certificate, self_signed

MAILROOM, SENDER = "mailroom@example.jp", "kaigai@bank.example.co.jp"
MAIL = b"From: kaigai@bank.example.co.jp\r\nSubject: guard\r\n\r\nbody\r\n"


def listen(spool: Spool, **options: object) -> Controller:
    return start_smtp_listener(
        spool,
        host="127.0.0.1",
        port=0,
        mailroom_addresses=[MAILROOM],
        max_bytes=10**6,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool")


@pytest.fixture
def opened() -> Iterator[list[socket.socket]]:
    sockets: list[socket.socket] = []
    yield sockets
    for s in sockets:
        s.close()


def greeting(port: int, sockets: list[socket.socket]) -> bytes:
    """Connect and read the first line the listener says (b"" when it closed without a word)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    sockets.append(s)
    return s.makefile("rb").readline()


def test_connections_over_the_cap_get_421_and_a_freed_place_is_taken_again(
    spool: Spool, opened: list[socket.socket]
) -> None:
    listener = listen(spool, limits=ListenerLimits(max_connections=5, per_ip_per_minute=0))
    try:
        assert [greeting(listener.port, opened)[:3] for _ in range(5)] == [b"220"] * 5
        for _ in range(20):  # many more than the cap
            line = greeting(listener.port, opened)
            assert line.startswith(b"421 4.7.0 Too many connections"), line
            assert opened[-1].recv(1) == b"", "closed after the 421"
        opened.pop(0).close()
        assert wait_until(lambda: listener.gate.open == 4, 30)  # type: ignore[attr-defined]
        assert greeting(listener.port, opened).startswith(b"220")
    finally:
        listener.stop()


def test_connections_too_often_from_one_address_get_421(spool: Spool, opened: list[socket.socket]) -> None:
    listener = listen(spool, limits=ListenerLimits(max_connections=50, per_ip_per_minute=3))
    try:
        answers = []
        for _ in range(8):  # one after another, each closed at once: never more than one open
            answers.append(greeting(listener.port, opened)[:3])
            opened.pop().close()
        first_refusal = answers.index(b"421")
        assert 1 <= answers.count(b"220") <= 3, answers  # (aiosmtpd's own start-up check connects too)
        assert answers[first_refusal:] == [b"421"] * (8 - first_refusal)
    finally:
        listener.stop()


def test_a_session_that_sends_noop_forever_is_cut(spool: Spool, opened: list[socket.socket]) -> None:
    listener = listen(spool, limits=ListenerLimits(session_s=1.0, idle_s=30))
    try:
        assert greeting(listener.port, opened).startswith(b"220")
        conn, lines = opened[-1], []
        reader = conn.makefile("rb")
        for _ in range(600):  # NOOP every 0.1 s: each within the idle limit
            try:
                conn.sendall(b"NOOP\r\n")
            except OSError:
                break
            line = reader.readline()
            lines.append(line)
            if not line or line.startswith(b"421"):
                break
            time.sleep(0.1)
        assert any(line.startswith(b"421 4.4.2 Session time limit exceeded") for line in lines), lines[-3:]
        assert reader.readline() == b"", "and the connection is closed"
    finally:
        listener.stop()


def test_a_low_disk_answers_452_and_nothing_is_spooled(spool: Spool) -> None:
    listener = listen(spool, limits=ListenerLimits(min_free_bytes=2**62))
    try:
        with (
            smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client,
            pytest.raises(smtplib.SMTPSenderRefused) as refused,
        ):
            client.sendmail(SENDER, [MAILROOM], MAIL)
        assert refused.value.smtp_code == 452
        assert spool.entries() == []
    finally:
        listener.stop()


def test_starttls_with_the_configured_certificate_and_auth_when_configured(
    spool: Spool, tmp_path: Path
) -> None:
    certificate: Certificate = self_signed(tmp_path / "tls")
    auth = ListenerAuth("relay", "relay-password-0123")
    listener = listen(spool, tls=certificate.server_context(), auth=auth)
    try:
        with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client:
            client.ehlo("relay.example.jp")
            assert client.has_extn("starttls")
            assert client.mail(SENDER)[0] == 530, "no mail before AUTH"
            client.rset()
            with pytest.raises(smtplib.SMTPException):
                client.login("relay", "relay-password-0123")  # AUTH is not offered before TLS
            client.starttls(context=certificate.client_context())
            client.ehlo("relay.example.jp")
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.login("relay", "wrong password")
            client.login("relay", "relay-password-0123")
            client.sendmail(SENDER, [MAILROOM], MAIL)
        assert [e.channel for e in spool.entries()] == ["smtp"]
    finally:
        listener.stop()


def test_a_full_listener_starves_neither_the_console_nor_the_sender_of_forms_serve(
    tmp_path: Path, opened: list[socket.socket]
) -> None:
    """`forms serve` with its listener held at the cap by idle clients: the console in the same process
    answers, a mail from the Maildir is decided and sent, and the listener takes mail once freed."""
    smtp, web = free_port(), free_port()
    with smtp_sink() as (sink, recorder):
        env = {
            **os.environ,
            **mailroom_env(tmp_path, sink.port),
            "FORMS_SMTP_LISTEN": f"127.0.0.1:{smtp}",
            "FORMS_CONSOLE_LISTEN": f"127.0.0.1:{web}",
            "FORMS_LISTEN_MAX_CONNECTIONS": "5",
            "FORMS_LISTEN_PER_IP_PER_MINUTE": "0",
            "FORMS_POLL_INTERVAL_S": "1",
        }
        serve = subprocess.Popen([str(FORMS), "serve"], env=env, stderr=subprocess.PIPE, text=True)
        try:
            assert wait_until(lambda: listening(smtp) and listening(web), 60), "listener and console came up"
            assert [greeting(smtp, opened)[:3] for _ in range(5)] == [b"220"] * 5
            assert all(greeting(smtp, opened).startswith(b"421") for _ in range(30))
            with urllib.request.urlopen(f"http://127.0.0.1:{web}/signin", timeout=30) as page:
                assert page.status == 200 and "サインイン" in page.read().decode()
            eml = bank_mail(
                SAMPLES / "jetro-fillable.pdf", "kaigai@mihon-bank.example.jp", "<guard-1@example.jp>"
            )
            (tmp_path / "mailroom" / "new" / "guard-1.eml").write_bytes(eml)
            assert wait_until(lambda: len(recorder.received) >= 2, 120), "decided and sent meanwhile"
            for s in opened:
                s.close()
            opened.clear()
            assert wait_until(lambda: greeting(smtp, opened).startswith(b"220"), 30), (
                "a freed listener takes mail"
            )
        finally:
            serve.send_signal(signal.SIGTERM)
            _, log = serve.communicate(timeout=60)
    assert serve.returncode == 0, log
    assert "Too many connections" in log
