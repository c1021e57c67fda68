"""The spool: entries are complete or absent, names are ours, meta is clean, crashes leave no half-entry."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from forms.errors import SpoolError
from forms.intake.spool import STALE_AFTER, Spool

SRC = Path(__file__).resolve().parents[2] / "src"


def test_put_then_entries_reads_back_the_exact_bytes_with_meta(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    data = b"From: a@example.jp\r\n\r\n\x00\xff binary\r\n"
    entry = spool.put(data, channel="smtp", meta={"peer": "127.0.0.1:25", "uid": 7})
    [listed] = spool.entries()
    assert listed == entry
    assert spool.read(listed) == data
    assert listed.channel == "smtp"
    assert dict(listed.meta) == {"peer": "127.0.0.1:25", "uid": "7"}
    assert listed.path.parent == tmp_path / "spool" / "new"
    assert listed.received_at.tzinfo is not None


def test_entries_are_oldest_first(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    put = [spool.put(f"message {i}".encode(), channel="maildir") for i in range(5)]
    assert [e.spool_id for e in spool.entries()] == [e.spool_id for e in put]


def test_names_are_generated_and_meta_is_sanitised(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    hostile = {
        "message_id": "<x@y>\r\nX-Injected: yes\x00",
        "../../etc/passwd": "dropped: key is not a plain name",
        "Subject": "dropped: upper-case key",
        "filename": "../../etc/passwd",
    }
    entry = spool.put(b"x", channel="imap\nfake", meta=hostile)
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == [entry.spool_id, entry.spool_id + ".json"]
    assert entry.meta["message_id"] == "<x@y> X-Injected: yes"
    assert entry.meta["filename"] == "../../etc/passwd"  # kept as text, never used as a path
    assert set(entry.meta) == {"message_id", "filename"}
    assert entry.channel == "imap fake"
    assert not (tmp_path.parent / "etc").exists()


def test_a_tmp_leftover_is_not_an_entry_and_is_cleaned_when_stale(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    fresh, stale = tmp_path / "tmp" / "fresh", tmp_path / "tmp" / "stale"
    fresh.write_bytes(b"half a mess")
    stale.write_bytes(b"half a mess")
    old = time.time() - STALE_AFTER.total_seconds() - 60
    os.utime(stale, (old, old))
    assert spool.entries() == []
    assert fresh.exists()  # may be a put in progress
    assert not stale.exists()


def test_a_lone_sidecar_is_not_an_entry(tmp_path: Path) -> None:
    """A crash between the sidecar's rename and the message's leaves only the sidecar: no entry."""
    spool = Spool(tmp_path)
    entry = spool.put(b"complete", channel="smtp")
    (tmp_path / "new" / entry.spool_id).rename(tmp_path / "elsewhere")
    assert spool.entries() == []


def test_remove_is_idempotent(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    entry = spool.put(b"x", channel="smtp")
    spool.remove(entry)
    spool.remove(entry)
    assert spool.entries() == []
    assert list((tmp_path / "new").iterdir()) == []


def test_put_on_a_broken_spool_raises_spool_error_and_leaves_nothing(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    (tmp_path / "tmp").rmdir()
    (tmp_path / "tmp").write_bytes(b"not a folder")
    with pytest.raises(SpoolError):
        spool.put(b"x", channel="smtp")
    assert list((tmp_path / "new").iterdir()) == []


def test_adopt_moves_the_file_into_the_spool(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    source = tmp_path / "drop.eml"
    source.write_bytes(b"Subject: dropped\r\n\r\nbody\r\n")
    entry = spool.adopt(source, channel="maildir", meta={"maildir_name": "drop.eml"})
    assert not source.exists()
    assert spool.read(entry) == b"Subject: dropped\r\n\r\nbody\r\n"
    assert spool.entries() == [entry]


_WRITER = textwrap.dedent(
    """
    import hashlib, sys
    from pathlib import Path
    from forms.intake.spool import Spool
    spool = Spool(Path(sys.argv[1]))
    for i in range(200):
        body = bytes([i % 251]) * (40_000 + 97 * i)
        digest = hashlib.sha256(body).hexdigest().encode()
        head = b"X-Seq: %d\\r\\nX-Sha256: %s\\r\\n\\r\\n" % (i, digest)
        spool.put(head + body, channel="smtp", meta={"seq": i})
        print(i, flush=True)
    """
)


def _assert_complete(spool: Spool) -> int:
    entries = spool.entries()
    for entry in entries:
        head, _, body = spool.read(entry).partition(b"\r\n\r\n")
        seq, digest = (line.split(b": ")[1] for line in head.split(b"\r\n"))
        assert hashlib.sha256(body).hexdigest().encode() == digest, entry.spool_id
        assert entry.meta["seq"] == seq.decode()
    return len(entries)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_writer_killed_mid_stream_leaves_only_complete_entries(tmp_path: Path, seed: int) -> None:
    kill_after = random.Random(seed).randrange(5, 120)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path)], stdout=subprocess.PIPE, env=env, text=True
    )
    assert child.stdout is not None
    for _ in range(kill_after):
        child.stdout.readline()
    time.sleep(random.Random(seed).random() * 0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    count = _assert_complete(Spool(tmp_path))
    assert kill_after <= count < 200
