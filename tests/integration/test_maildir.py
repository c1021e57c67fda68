"""The Maildir drop: messages move into the spool once, never twice, never lost."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from forms.intake.maildir import TOO_LARGE, MaildirWatcher, sweep_maildir
from forms.intake.spool import Spool

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"


def _deliver(root: Path, name: str, data: bytes, folder: str = "new") -> Path:
    """Deliver the Maildir way: write in tmp/, then rename into new/ (or cur/)."""
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    (root / folder).mkdir(parents=True, exist_ok=True)
    staging = root / "tmp" / name
    staging.write_bytes(data)
    staging.rename(root / folder / name)
    return root / folder / name


def test_sweep_moves_new_and_cur_into_the_spool_and_ignores_tmp(tmp_path: Path) -> None:
    root, spool = tmp_path / "mailroom", Spool(tmp_path / "spool")
    eml = (SAMPLES / "scb-shinkin.eml").read_bytes()
    _deliver(root, "1.host", eml)
    _deliver(root, "2.host:2,S", b"Subject: read already\r\n\r\nx\r\n", folder="cur")
    (root / "tmp" / "3.host").write_bytes(b"Subject: still being written")

    assert sweep_maildir(root, spool) == 2
    expected = [eml, b"Subject: read already\r\n\r\nx\r\n"]
    assert sorted(spool.read(e) for e in spool.entries()) == sorted(expected)
    assert os.listdir(root / "new") == [] and os.listdir(root / "cur") == []
    assert os.listdir(root / "tmp") == ["3.host"]
    assert {e.meta["maildir_folder"] for e in spool.entries()} == {"new", "cur"}
    assert {e.channel for e in spool.entries()} == {"maildir"}
    assert sweep_maildir(root, spool) == 0
    assert len(spool.entries()) == 2


def test_sweep_creates_the_maildir(tmp_path: Path) -> None:
    assert sweep_maildir(tmp_path / "mailroom", Spool(tmp_path / "spool")) == 0
    assert sorted(os.listdir(tmp_path / "mailroom")) == ["cur", "new", "tmp"]


def test_symlinks_and_hidden_files_are_left_alone(tmp_path: Path) -> None:
    root, spool = tmp_path / "mailroom", Spool(tmp_path / "spool")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not mail")
    (root / "new").mkdir(parents=True)
    (root / "new" / "link").symlink_to(secret)
    (root / "new" / ".hidden").write_bytes(b"editor swap file")
    assert sweep_maildir(root, spool) == 0
    assert spool.entries() == []
    assert secret.read_bytes() == b"not mail"


def test_a_hostile_file_name_is_only_text_in_the_meta(tmp_path: Path) -> None:
    root, spool = tmp_path / "mailroom", Spool(tmp_path / "spool")
    _deliver(root, "mail\n\x1b[31m;rm -rf ~ ..", b"Subject: x\r\n\r\nx\r\n")
    assert sweep_maildir(root, spool) == 1
    [entry] = spool.entries()
    assert entry.meta["maildir_name"] == "mail [31m;rm -rf ~ .."
    assert entry.path.name == entry.spool_id
    assert entry.path.parent == spool.new


def test_an_oversize_message_is_set_aside_not_spooled(tmp_path: Path) -> None:
    root, spool = tmp_path / "mailroom", Spool(tmp_path / "spool")
    _deliver(root, "big", b"x" * 2000)
    _deliver(root, "small", b"x" * 10)
    assert sweep_maildir(root, spool, max_bytes=1000) == 1
    assert os.listdir(root / TOO_LARGE) == ["big"]
    assert [spool.read(e) for e in spool.entries()] == [b"x" * 10]


def test_concurrent_sweeps_never_spool_a_message_twice(tmp_path: Path) -> None:
    root, spool = tmp_path / "mailroom", Spool(tmp_path / "spool")
    for i in range(100):
        _deliver(root, f"{i}.host", b"Message %d\r\n" % i)
    counts: list[int] = []
    start = threading.Barrier(4)

    def sweep() -> None:
        start.wait()
        counts.append(sweep_maildir(root, Spool(tmp_path / "spool")))

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bodies = [spool.read(e) for e in spool.entries()]
    assert sum(counts) == 100
    assert sorted(bodies) == sorted(b"Message %d\r\n" % i for i in range(100))
    assert os.listdir(root / "new") == []


def test_the_watcher_picks_up_a_dropped_mail_and_stops(tmp_path: Path) -> None:
    root, spool = tmp_path / "mailroom", Spool(tmp_path / "spool")
    stop = threading.Event()
    watcher = threading.Thread(target=MaildirWatcher(root, spool).run, args=(stop, 0.05))
    watcher.start()
    try:
        _deliver(root, "dropped.eml", b"Subject: dropped\r\n\r\nx\r\n")
        deadline = time.monotonic() + 5
        while not spool.entries() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [spool.read(e) for e in spool.entries()] == [b"Subject: dropped\r\n\r\nx\r\n"]
    finally:
        stop.set()
        watcher.join(timeout=5)
    assert not watcher.is_alive()
