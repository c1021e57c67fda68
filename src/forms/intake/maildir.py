"""Maildir drop: a .eml put into ``mailroom/new`` (or ``cur``) is taken into the spool.

Each message file is moved into the spool with one rename (:meth:`Spool.adopt`): at every moment
it is in the Maildir or in the spool, never both and never neither, so a crash can neither lose
nor double it. ``tmp/`` is the writer's (Maildir rule: deliver to tmp, then rename into new) and
is never read. Only regular files are taken: symlinks and hidden files are left alone, so nothing
outside the Maildir can be pulled in. A file over ``max_bytes`` is set aside in ``.too-large/``.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from pathlib import Path

from forms.errors import SpoolError
from forms.files import private_dir
from forms.intake.spool import Spool, clean_text

log = logging.getLogger(__name__)

_FOLDERS = ("new", "cur")
TOO_LARGE = ".too-large"


def ensure_maildir(root: Path) -> None:
    for sub in ("new", "cur", "tmp"):
        private_dir(root / sub)


def _messages(folder: Path) -> list[tuple[Path, int]]:
    """Regular, visible files of ``folder`` with their sizes, in name order."""
    found: list[tuple[Path, int]] = []
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        log.warning("maildir %s unreadable: %s", folder, exc)
        return found
    for name in names:
        if name.startswith("."):
            continue
        path = folder / name
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue  # taken by a concurrent sweep
        if stat.S_ISREG(info.st_mode):
            found.append((path, info.st_size))
    return found


def _set_aside(root: Path, path: Path, size: int) -> None:
    aside = root / TOO_LARGE
    aside.mkdir(exist_ok=True)
    try:
        os.rename(path, aside / path.name)
        log.warning("maildir message %s is %d bytes, over the limit: moved to %s", path.name, size, aside)
    except FileNotFoundError:
        pass


def sweep_maildir(root: Path, spool: Spool, *, max_bytes: int | None = None) -> int:
    """Move every complete message of ``root/new`` and ``root/cur`` into ``spool``; return how many.

    Creates ``new``, ``cur`` and ``tmp`` when missing. Raises :class:`SpoolError` when the spool
    cannot take a message (the message stays where it was).
    """
    ensure_maildir(root)
    count = 0
    for folder in _FOLDERS:
        for path, size in _messages(root / folder):
            if max_bytes is not None and size > max_bytes:
                _set_aside(root, path, size)
                continue
            meta = {"maildir_folder": folder, "maildir_name": clean_text(path.name, 255), "size": str(size)}
            try:
                entry = spool.adopt(path, channel="maildir", meta=meta)
            except SpoolError:
                if not path.exists():
                    continue  # a concurrent sweep took it first
                raise
            log.info("maildir message %s spooled as %s", clean_text(path.name, 80), entry.spool_id)
            count += 1
    return count


class MaildirWatcher:
    """Sweeps a Maildir into the spool every ``interval`` seconds until stopped."""

    def __init__(self, root: Path, spool: Spool, *, max_bytes: int | None = None) -> None:
        self.root = Path(root)
        self.spool = spool
        self.max_bytes = max_bytes

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        while not stop.is_set():
            try:
                sweep_maildir(self.root, self.spool, max_bytes=self.max_bytes)
            except SpoolError as exc:
                log.error("maildir sweep of %s failed, will retry: %s", self.root, exc)
            stop.wait(interval)
