"""The IMAP poller against a real Dovecot on loopback (tests/dovecot.py)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from forms.errors import ImapError
from forms.intake.imap import FileSeenKeys, ImapConfig, ImapPoller
from forms.intake.spool import Spool
from tests.support.dovecot import SPARE_USERS, Dovecot, running_dovecot

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "samples"
HANDLED = "forms.handled"  # "forms/handled" in Dovecot's Maildir++ hierarchy (delimiter ".")
PLAIN = (
    b"From: kaigai@bank.example.co.jp\r\nTo: mailroom@example.jp\r\nSubject: =?UTF-8?B?5qeY5byPMQ==?=\r\n"
    b"Message-ID: <plain-1@bank.example.co.jp>\r\n\r\nThe form follows by post.\r\n"
)


_USERS = iter(SPARE_USERS)


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _mail(n: int, body: bytes = b"hello", message_id: str | None = None) -> bytes:
    mid = message_id or f"<m{n}@bank.example.co.jp>"
    head = f"From: a@bank.example.co.jp\r\nSubject: {n}\r\nMessage-ID: {mid}\r\n\r\n"
    return head.encode() + body + b"\r\n"


@pytest.fixture(scope="module")
def dovecot_server() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


@pytest.fixture
def dovecot(dovecot_server: Dovecot) -> Iterator[Dovecot]:
    """The module's server as a user of this test alone (an empty INBOX)."""
    yield dovecot_server.as_user(next(_USERS))


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool")


def _poller(server: Dovecot, spool: Spool, **cfg: object) -> ImapPoller:
    config = ImapConfig(server.host, server.port, server.username, server.password, **cfg)  # type: ignore[arg-type]
    return ImapPoller(config, spool, seen=FileSeenKeys(spool.folder / "seen-keys"))


def test_poll_spools_every_mail_and_files_all_of_them(dovecot: Dovecot, spool: Spool) -> None:
    mails = [_crlf((SAMPLES / n).read_bytes()) for n in ("jetro-bank.eml", "scb-shinkin.eml")] + [PLAIN]
    for mail in mails:
        dovecot.append(mail)
    poller = _poller(dovecot, spool)

    assert poller.poll_once() == 3
    entries = spool.entries()
    assert [spool.read(e) for e in entries] == mails  # the one without attachment too
    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids(HANDLED)) == 3
    assert [e.meta["uid"] for e in entries] == ["1", "2", "3"]
    assert {e.meta["uidvalidity"] for e in entries} == {str(dovecot.uidvalidity())}
    assert entries[2].meta["message_id"] == "<plain-1@bank.example.co.jp>"
    assert {e.channel for e in entries} == {"imap"}

    assert poller.poll_once() == 0
    assert len(spool.entries()) == 3


def test_a_held_mailbox_lock_makes_a_second_poll_return_at_once(dovecot: Dovecot, spool: Spool) -> None:
    dovecot.append(_mail(1))
    poller = _poller(dovecot, spool)
    poller.lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(poller.lock_path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert poller.poll_once() == 0
        assert dovecot.uids("INBOX") == [1]
    finally:
        os.close(fd)
    assert poller.poll_once() == 1


def test_overlapping_polls_in_threads_never_spool_a_mail_twice(dovecot: Dovecot, spool: Spool) -> None:
    for n in range(15):
        dovecot.append(_mail(n))
    start, counts = threading.Barrier(3), []

    def poll() -> None:
        poller = _poller(dovecot, Spool(spool.folder))
        start.wait()
        counts.append(poller.poll_once())

    threads = [threading.Thread(target=poll) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 15
    assert sorted(counts)[:2] == [0, 0]
    assert sorted(spool.read(e) for e in spool.entries()) == sorted(_mail(n) for n in range(15))


_POLL_PROCESS = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from forms.intake.imap import FileSeenKeys, ImapConfig, ImapPoller
    from forms.intake.spool import Spool
    port, folder, go = int(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    spool = Spool(folder)
    poller = ImapPoller(ImapConfig("127.0.0.1", port, sys.argv[4], sys.argv[5]), spool,
                        seen=FileSeenKeys(folder / "seen-keys"))
    time.sleep(max(0.0, go - time.time()))
    print(poller.poll_once())
    """
)


def test_overlapping_polls_in_processes_never_spool_a_mail_twice(dovecot: Dovecot, spool: Spool) -> None:
    for n in range(15):
        dovecot.append(_mail(n))
    go = time.time() + 1.5
    args = [str(dovecot.port), str(spool.folder), str(go), dovecot.username, dovecot.password]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    children = [
        subprocess.Popen([sys.executable, "-c", _POLL_PROCESS, *args], stdout=subprocess.PIPE, env=env)
        for _ in range(2)
    ]
    counts = [int(child.communicate(timeout=60)[0]) for child in children]
    assert sum(counts) == 15
    assert sorted(spool.read(e) for e in spool.entries()) == sorted(_mail(n) for n in range(15))


def test_uidvalidity_and_content_keys(dovecot: Dovecot, spool: Spool) -> None:
    box = "mailroom"
    dovecot.client().create(box)
    poller = _poller(dovecot, spool, mailbox=box)
    first = _mail(1)
    dovecot.append(first, box)
    assert poller.poll_once() == 1

    # Re-created mailbox: the same bytes come back as UID 1 under a new UIDVALIDITY: not spooled again.
    validity = dovecot.uidvalidity(box)
    dovecot.recreate(box)
    assert dovecot.uidvalidity(box) != validity
    dovecot.append(first, box)
    assert poller.poll_once() == 0
    # ... nor the same Message-ID and body behind one more Received header.
    dovecot.append(b"Received: from relay.example.jp; Mon, 1 Jun 2026 09:00:00 +0900\r\n" + first, box)
    assert poller.poll_once() == 0
    assert dovecot.uids(box) == []

    # Another re-creation: a different message that reuses UID 1 is not mistaken for the first.
    dovecot.recreate(box)
    second = _mail(2, body=b"a different application")
    dovecot.append(second, box)
    assert dovecot.uids(box) == [1]
    assert poller.poll_once() == 1
    # The same Message-ID with a different body is a different mail.
    dovecot.append(_mail(3, body=b"corrected form", message_id="<m2@bank.example.co.jp>"), box)
    assert poller.poll_once() == 1
    assert [spool.read(e) for e in spool.entries()][:2] == [first, second]
    assert len(spool.entries()) == 3


def test_an_oversize_mail_is_filed_aside_unread(dovecot: Dovecot, spool: Spool) -> None:
    dovecot.append(_mail(1, body=b"x" * 5000))
    dovecot.append(_mail(2))
    assert _poller(dovecot, spool, max_bytes=2000).poll_once() == 1
    assert [spool.read(e) for e in spool.entries()] == [_mail(2)]
    assert len(dovecot.uids("forms.too-large")) == 1
    assert dovecot.uids("INBOX") == []


def test_a_wrong_password_is_an_imap_error(spool: Spool) -> None:
    # A server of its own: Dovecot delays further logins from an address after a failed one.
    with running_dovecot() as server:
        config = ImapConfig(server.host, server.port, server.username, "wrong")
        with pytest.raises(ImapError):
            ImapPoller(config, spool, seen=FileSeenKeys(spool.folder / "seen-keys")).poll_once()


def _run_until_spooled(poller: ImapPoller, spool: Spool, append: object, count: int) -> float:
    """Start ``poller.run``, let it settle into its wait, call ``append`` and time the spooling."""
    stop = threading.Event()
    worker = threading.Thread(target=poller.run, args=(stop,))
    worker.start()
    try:
        time.sleep(1.0)
        started = time.monotonic()
        append()  # type: ignore[operator]
        while len(spool.entries()) < count and time.monotonic() - started < 10:
            time.sleep(0.02)
        return time.monotonic() - started
    finally:
        stop.set()
        worker.join(timeout=5)
        assert not worker.is_alive()


def test_idle_wakes_the_poller_on_a_new_mail(dovecot: Dovecot, spool: Spool) -> None:
    poller = _poller(dovecot, spool, poll_interval=120.0)
    waited = _run_until_spooled(poller, spool, lambda: dovecot.append(_mail(1)), 1)
    assert len(spool.entries()) == 1
    assert waited < 10.0, "spooled long before the next poll (120 s): IDLE woke the poller"


def test_without_move_the_poller_copies_and_expunges() -> None:
    with running_dovecot("imap_capability = IMAP4rev1 IDLE UIDPLUS") as server:
        conn = server.client()
        assert "MOVE" not in conn.capability()[1][0].decode().split()
        conn.logout()
        spool = Spool(server.home / "spool")
        server.append(_mail(1))
        server.append(_mail(2))
        assert _poller(server, spool).poll_once() == 2
        assert server.uids("INBOX") == []
        assert len(server.uids(HANDLED)) == 2


def test_without_idle_the_poller_polls_every_interval(dovecot: Dovecot, spool: Spool) -> None:
    poller = _poller(dovecot, spool, idle=False, poll_interval=0.2)
    waited = _run_until_spooled(poller, spool, lambda: dovecot.append(_mail(1)), 1)
    assert len(spool.entries()) == 1
    assert waited < 3.0


def test_seen_keys_written_by_one_instance_are_seen_by_another(tmp_path: Path) -> None:
    first, second = FileSeenKeys(tmp_path / "seen"), FileSeenKeys(tmp_path / "seen")
    assert not second.seen("sha256 abc")
    first.add("sha256 abc")
    assert second.seen("sha256 abc")
    assert FileSeenKeys(tmp_path / "seen").seen("sha256 abc")
    with pytest.raises(ValueError):
        first.add("two\nlines")
