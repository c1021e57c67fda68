"""Paper that came by post or by a fax machine: handed in on the console (``/paper``) or with
``forms intake --channel``, it becomes an intake of that channel, and the bank is answered at the
金融機関E-mail written on the form (real console over HTTP, real mailroom, real SMTP sink on loopback)."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
from pathlib import Path

import pytest

from forms.access.accounts import Users
from forms.mailroom.worker import Mailroom
from forms.review import Review
from forms.store import Store
from tests.corpus import mails, office
from tests.support.console import FAST_ARGON2, World, client_for, sign_in
from tests.support.mailroom import mailroom_env, received_by
from tests.support.paths import FORMS, SAMPLES
from tests.support.settings import make_settings
from tests.support.smtp_sink import Recorder
from tests.support.youshiki1 import jetro_values

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")
FORM = SAMPLES / "jetro-fillable.pdf"  # its 金融機関E-mail: kaigai@mihon-bank.example.jp
BANK = "kaigai@mihon-bank.example.jp"


def world(home: Path, port: int) -> World:
    env = mailroom_env(home, port)
    settings = make_settings(home, **{k: v for k, v in env.items() if k != "FORMS_HOME"})
    store = Store.open(settings.store_url)
    users = Users(store, hasher=FAST_ARGON2)
    users.add("mailroom-clerk", role="clerk", all_agencies=True, password="correct horse battery staple")
    users.add("jetro-clerk", role="clerk", agency="jetro", password="correct horse battery staple")
    return World(settings, store, Review(store, settings), users, {})


def test_a_posted_form_handed_in_on_the_console_is_answered_at_the_bank_on_the_form(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    port, recorder = sink
    w = world(tmp_path, port)
    client = client_for(w)
    token = sign_in(client, "mailroom-clerk")
    files = {"file": ("scan0001.pdf", FORM.read_bytes(), "application/pdf")}
    response = client.post("/paper", data={"csrf": token, "channel": "post"}, files=files)
    assert response.status_code == 303 and "/paper?done=" in response.headers["location"]
    assert "受け付けました" in client.get(response.headers["location"]).text
    room = Mailroom.open(w.settings)
    try:
        assert room.drain()["decided"] == 1
        row = room.store.intakes.get(1)
        events = [(e.kind, e.actor) for e in room.store.events.of(1)]
    finally:
        room.close()
    assert row is not None and (row.channel, row.status, row.source) == ("post", "routed", "scan0001.pdf")
    assert events[0] == ("received", "post")
    got = received_by(recorder)
    assert set(got) == {BANK, "jetro@agency.example.jp"}
    assert "R8-000001" in got[BANK][0]["Subject"]


def test_only_the_mailrooms_clerks_hand_in_paper_and_only_documents(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    w = world(tmp_path, sink[0])
    agency = client_for(w)
    token = sign_in(agency, "jetro-clerk")
    files = {"file": ("scan.pdf", FORM.read_bytes(), "application/pdf")}
    assert agency.post("/paper", data={"csrf": token, "channel": "post"}, files=files).status_code == 403
    clerk = client_for(w)
    token = sign_in(clerk, "mailroom-clerk")
    letter = {"file": ("letter.txt", "様式1を送ります".encode(), "text/plain")}
    refused = clerk.post("/paper", data={"csrf": token, "channel": "post"}, files=letter)
    assert refused.status_code == 400 and "PDF又は画像" in refused.text
    wrong = clerk.post("/paper", data={"csrf": token, "channel": "email"}, files=files)
    assert wrong.status_code == 400 and "受付経路" in wrong.text
    assert not any((tmp_path / "spool" / "new").glob("*"))


def test_forms_intake_with_a_channel_answers_the_bank_on_the_form(tmp_path: Path) -> None:
    outbox_dir = tmp_path / "outbox"
    env = {
        **os.environ,
        "FORMS_HOME": str(tmp_path),
        "FORMS_WORKERS": "1",
        "FORMS_OUTBOX_DIR": str(outbox_dir),
    }
    run = subprocess.run(
        [str(FORMS), "intake", "--channel", "fax", "--json", str(FORM)], env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    store = Store.open(f"sqlite:///{tmp_path / 'forms.db'}")
    try:
        row = store.intakes.get(1)
    finally:
        store.close()
    assert row is not None and row.channel == "fax"
    outbox = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in tmp_path.rglob("*.eml")
    ]
    receipts = [m for m in outbox if "R8-000001" in str(m["Subject"]) and m["To"] == BANK]
    assert len(receipts) == 1 and receipts[0]["In-Reply-To"] is None


def test_a_word_form_on_the_console_shows_no_page_images(tmp_path: Path, sink: tuple[int, Recorder]) -> None:
    w = world(tmp_path, sink[0])
    room = Mailroom.open(w.settings)
    try:
        form = office.docx_table(jetro_values(agency="kosha"))  # kosha: no loan or requirements needed
        room.spool.put(
            mails.octet_stream(mails.MailInput("w-1", jetro_values(), form, "様式1.docx", b"")),
            channel="smtp",
        )
        room.drain()
    finally:
        room.close()
    client = client_for(w)
    sign_in(client, "mailroom-clerk")
    page = client.get("/intakes/1").text
    assert "Word・Excelのファイルで届いた様式1" in page and "/intakes/1/pages/1.png" not in page
