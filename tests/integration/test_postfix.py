"""Debian's postfix in front of `forms serve`, as the README deploys it: a bank's mail submitted to
postfix is relayed to the listener on loopback, decided, and its forward reaches the agency's server;
mail that comes while the mailroom is down waits in postfix's queue; postfix relays nothing else (no
open relay, nothing leaves the machine)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import aiosmtplib
import pytest

from forms.store import Store
from tests.support.mailroom import mailroom_env, received_by
from tests.support.paths import FORMS, SAMPLES
from tests.support.ports import free_port, listening
from tests.support.postfix import running_postfix
from tests.support.processes import wait_until
from tests.support.smtp_sink import smtp_sink

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo"),
]
BANK = "kaigai@mihon-bank.example.jp"


def submit(port: int, data: bytes, recipient: str = "mailroom@example.jp") -> None:
    asyncio.run(aiosmtplib.send(data, sender=BANK, recipients=[recipient], hostname="127.0.0.1", port=port))


def test_a_mail_submitted_to_postfix_is_decided_and_forwarded(tmp_path: Path) -> None:
    listen = free_port()
    env = {**os.environ, "FORMS_SMTP_LISTEN": f"127.0.0.1:{listen}", "FORMS_LISTEN_PER_IP_PER_MINUTE": "0"}
    with smtp_sink() as (sink, recorder), running_postfix(listen) as postfix:
        submit(postfix.port, (SAMPLES / "jetro-bank.eml").read_bytes())  # the mailroom is not up yet
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):  # not ours: relay access denied
            submit(postfix.port, b"Subject: x\r\n\r\nx\r\n", "someone@elsewhere.example.org")
        assert wait_until(lambda: "status=deferred" in postfix.log(), 30), postfix.log()
        serve = subprocess.Popen([str(FORMS), "serve"], env={**env, **mailroom_env(tmp_path, sink.port)},
                                 stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            assert wait_until(lambda: listening(listen), 60)
            postfix.flush()
            arrived = wait_until(lambda: len(recorder.received) >= 2, 120)
            assert arrived, postfix.log()
        finally:
            serve.send_signal(signal.SIGTERM)
            _, log = serve.communicate(timeout=90)
        maillog = postfix.log()
    assert serve.returncode == 0, log
    assert set(received_by(recorder)) == {"jetro@agency.example.jp", BANK}
    assert f"relay=127.0.0.1[127.0.0.1]:{listen}" in maillog and "status=sent (250 OK queued as" in maillog
    assert "Relay access denied" in maillog
    with Store.open(f"sqlite:///{tmp_path / 'forms.db'}") as store:
        (row,) = store.intakes.latest()
    assert (row.status, row.agency) == ("routed", "jetro")
