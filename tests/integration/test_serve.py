"""`forms serve` as an operator runs it: mail in over SMTP, answers out over SMTP, a clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import aiosmtplib
import pytest

from tests.support.mailroom import mailroom_env, received_by
from tests.support.paths import FORMS, SAMPLES
from tests.support.ports import free_port, listening
from tests.support.processes import processes_with, wait_until
from tests.support.smtp_sink import smtp_sink

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")


def test_serve_receives_decides_answers_and_stops_cleanly(tmp_path: Path) -> None:
    listen = free_port()
    with smtp_sink() as (sink, recorder):
        env = {**os.environ, **mailroom_env(tmp_path, sink.port), "FORMS_SMTP_LISTEN": f"127.0.0.1:{listen}"}
        serve = subprocess.Popen([str(FORMS), "serve"], env=env, stderr=subprocess.PIPE, text=True)
        try:
            assert wait_until(lambda: listening(listen), 60), "the SMTP listener came up"
            data = (SAMPLES / "scb-shinkin.eml").read_bytes()
            sender, rcpt = "shiro.mihon@sample-shinkin.example.jp", ["mailroom@example.jp"]
            send = aiosmtplib.send(data, sender=sender, recipients=rcpt, hostname="127.0.0.1", port=listen)
            asyncio.run(send)
            assert wait_until(lambda: len(recorder.received) >= 2, 120), "forward and receipt arrived"
        finally:
            serve.send_signal(signal.SIGTERM)
            _, log = serve.communicate(timeout=60)
    assert serve.returncode == 0, log
    assert set(received_by(recorder)) == {"scb@agency.example.jp", "shiro.mihon@sample-shinkin.example.jp"}
    assert "decided routed" in log, "the log says what happened to the message"
    assert wait_until(lambda: processes_with(f"FORMS_HOME={tmp_path}") == [], 10), "no process left behind"
