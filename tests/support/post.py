"""The agencies' side as tests run it: a mailroom whose routed 様式1 came from the real samples, a
real SMTP sink for what it sends, the `forms` command in this process or as a child, and a bank
that fills the 様式3 it received and answers the mail."""

from __future__ import annotations

import datetime as dt
import email.policy
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from forms.cli.main import main as forms_main
from forms.config import Settings, load_settings
from forms.ledger import CompanyKey, SupportRecord
from forms.mailroom.worker import Mailroom
from tests.support.mailroom import mailroom_env
from tests.support.paths import FORMS, SAMPLES
from tests.support.smtp_sink import Recorder, parsed, smtp_sink

FONTS = Path(__file__).resolve().parents[1] / "artifacts" / "fonts"
SEIKI = "4010001234567"  # jetro-fillable.pdf: 株式会社サンプル精機, みほん銀行
SHOJI = "1010001765432"  # scb-shinkin-flattened.pdf: 見本商事株式会社, a 信用金庫
SEIKI_MAIL, SEIKI_BANK = "hanako.mihon@sample-seiki.example.co.jp", "kaigai@mihon-bank.example.jp"
SHOJI_MAIL, SHOJI_BANK = "saburo.shiken@mihon-shoji.example.co.jp", "shiro.mihon@sample-shinkin.example.jp"


@dataclass
class Office:
    home: Path
    env: dict[str, str]
    recorder: Recorder

    @property
    def settings(self) -> Settings:
        return load_settings(env=self.env)

    def forms(self, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
        """`forms ARGV` in this process, with the office's environment."""
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        return forms_main(list(argv))

    def child(self, *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
        """`forms ARGV` as a child process (what a SIGKILL can hit)."""
        env = {**os.environ, **self.env, **extra}
        return subprocess.run([str(FORMS), *argv], env=env, capture_output=True, text=True, timeout=240)

    def spawn(self, *argv: str) -> subprocess.Popen[str]:
        """`forms ARGV` started as a child, not waited for."""
        env = {**os.environ, **self.env}
        pipe = subprocess.PIPE
        return subprocess.Popen([str(FORMS), *argv], env=env, stdout=pipe, stderr=pipe, text=True)

    def mails_to(self, address: str, kind: str | None = None) -> list[EmailMessage]:
        found = [parsed(raw) for _, rcpts, raw, _ in self.recorder.received if address in rcpts]
        return [m for m in found if kind is None or f".{kind}@" in str(m["Message-ID"])]


@contextmanager
def office(tmp_path: Path, **extra: str) -> Iterator[Office]:
    """The samples' jetro and scb 様式1 routed (their forwards sent to the sink), supports recorded."""
    home = tmp_path / "home"
    home.mkdir()
    FONTS.mkdir(parents=True, exist_ok=True)
    shutil.copytree(FONTS, home / "fonts")  # the PDF font's cut, made once for the whole suite
    with smtp_sink() as (controller, recorder):
        env = mailroom_env(home, controller.port, **extra)
        room = Mailroom.open(load_settings(env=env))
        try:
            for name in ("jetro-fillable.pdf", "scb-shinkin-flattened.pdf"):
                room.spool.put((SAMPLES / name).read_bytes(), channel="cli", meta={"source": name})
            room.drain()
            assert room.ledger is not None
            add = room.ledger.add_support
            add(
                CompanyKey.for_corporation(SEIKI),
                SupportRecord("jetro", dt.date(2026, 6, 10), "海外ミニ調査サービス", 300_000),
            )
            add(
                CompanyKey.for_corporation(SHOJI),
                SupportRecord("scb", dt.date(2026, 6, 12), "海外展開相談", 200_000),
            )
        finally:
            room.close()
        yield Office(home, env, recorder)


def attachments(msg: EmailMessage) -> dict[str, bytes]:
    return {str(p.get_filename()): bytes(p.get_content()) for p in msg.iter_attachments()}


def answer(original: EmailMessage, files: Mapping[str, bytes], sender: str, message_id: str) -> bytes:
    """The bank's reply to ``original`` (its subject kept, ``Re:`` before it) with ``files``."""
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, str(original["From"])
    msg["Subject"] = f"Re: {original['Subject']}"
    msg["Message-ID"], msg["In-Reply-To"] = message_id, str(original["Message-ID"])
    msg["Date"] = "Thu, 10 Sep 2026 10:00:00 +0900"
    msg.set_content("様式3を返送いたします。")
    for name, data in files.items():
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes(policy=email.policy.SMTP)
