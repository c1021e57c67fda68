"""The durable spool every way of mail-in feeds: accept fast, process later.

A spool is a folder laid out like a Maildir::

    tmp/   messages being written (never entries)
    new/   <id>        the message, byte for byte as received
           <id>.json   its sidecar: channel, received_at and meta (sanitised strings)

:meth:`Spool.put` writes both files under ``tmp/``, fsyncs them, renames the sidecar and then the
message into ``new/`` and fsyncs the folder. An entry exists exactly when its message file is in
``new/``; the sidecar is renamed first, so a crash at any point leaves either no entry or a
complete one (a lone sidecar is ignored and cleaned up later). Names are generated here (time,
process, random), never taken from a mail, and sort in arrival order.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import logging
import os
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from forms.errors import SpoolError
from forms.files import private_dir

log = logging.getLogger(__name__)

_SIDECAR = ".json"
_ID = re.compile(r"^\d{20}\.\d{1,10}\.[0-9a-f]{12}$")
_META_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_MAX_META_VALUE = 512
_SIDECAR_MAX_BYTES = 64 * 1024
#: Files left in tmp/ (or lone sidecars in new/) older than this are debris of a crash.
STALE_AFTER = dt.timedelta(hours=1)



@dataclass(frozen=True)
class SpoolEntry:
    """One message waiting in the spool."""

    spool_id: str
    path: Path
    channel: str
    received_at: dt.datetime
    meta: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def clean_text(value: object, limit: int = _MAX_META_VALUE) -> str:
    """A header or envelope value made safe to store and log: no control characters, bounded length."""
    text = str(value)
    kept = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return " ".join(kept.split())[:limit]


def clean_meta(meta: Mapping[str, object] | None) -> dict[str, str]:
    """Meta with well-formed keys (others dropped) and cleaned values."""
    out: dict[str, str] = {}
    for key, value in (meta or {}).items():
        if isinstance(key, str) and _META_KEY.match(key) and value is not None:
            out[key] = clean_text(value)
    return out


def _sidecar(channel: str, received_at: dt.datetime, meta: Mapping[str, object] | None) -> bytes:
    record = {
        "channel": clean_text(channel, 40),
        "received_at": received_at.isoformat(),
        "meta": clean_meta(meta),
    }
    return json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _discard(*paths: Path) -> None:
    """Best-effort removal of what a failed write left behind."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """A folder of messages received but not yet taken by the store."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.tmp = self.folder / "tmp"
        self.new = self.folder / "new"
        #: Set when this process has put or adopted an entry: the ingester beside it wakes at once.
        self.arrived = threading.Event()
        try:
            for sub in (self.tmp, self.new):
                private_dir(sub)
        except OSError as exc:
            raise SpoolError(f"spool {self.folder}: {exc}") from exc

    def _new_id(self) -> str:
        return f"{time.time_ns():020d}.{os.getpid()}.{secrets.token_hex(6)}"

    def put(self, data: bytes, *, channel: str, meta: Mapping[str, object] | None = None) -> SpoolEntry:
        """Store ``data`` durably and return its entry; raises :class:`SpoolError` if it could not."""
        spool_id = self._new_id()
        received_at = dt.datetime.now(dt.UTC)
        sidecar = _sidecar(channel, received_at, meta)
        tmp_msg, tmp_meta = self.tmp / spool_id, self.tmp / (spool_id + _SIDECAR)
        try:
            _write_durably(tmp_meta, sidecar)
            _write_durably(tmp_msg, data)
            os.rename(tmp_meta, self.new / (spool_id + _SIDECAR))
            os.rename(tmp_msg, self.new / spool_id)
            _fsync_dir(self.new)
        except OSError as exc:
            _discard(tmp_msg, tmp_meta)
            raise SpoolError(f"spool {self.folder}: cannot store a message: {exc}") from exc
        return self._written(spool_id, channel, received_at, meta)

    def adopt(self, source: Path, *, channel: str, meta: Mapping[str, object] | None = None) -> SpoolEntry:
        """Move an existing message file into the spool in one rename (it is never in both places).

        ``source`` must be on the spool's file system; otherwise (EXDEV) its bytes are copied with
        :meth:`put` and then ``source`` is removed. Raises :class:`SpoolError` if nothing was stored.
        """
        spool_id = self._new_id()
        received_at = dt.datetime.now(dt.UTC)
        tmp_meta = self.tmp / (spool_id + _SIDECAR)
        try:
            with open(source, "rb") as handle:
                os.fsync(handle.fileno())
            _write_durably(tmp_meta, _sidecar(channel, received_at, meta))
            os.rename(tmp_meta, self.new / (spool_id + _SIDECAR))
            os.rename(source, self.new / spool_id)
        except OSError as exc:
            _discard(tmp_meta, self.new / (spool_id + _SIDECAR))
            if exc.errno == errno.EXDEV:  # another file system: copy, then remove
                return self._copy_in(source, channel=channel, meta=meta)
            raise SpoolError(f"spool {self.folder}: cannot take in a message: {exc}") from exc
        try:
            _fsync_dir(self.new)
            _fsync_dir(source.parent)
        except OSError as exc:
            raise SpoolError(f"spool {self.folder}: cannot sync: {exc}") from exc
        return self._written(spool_id, channel, received_at, meta)

    def _copy_in(self, source: Path, *, channel: str, meta: Mapping[str, object] | None) -> SpoolEntry:
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise SpoolError(f"spool {self.folder}: cannot read a message to take in: {exc}") from exc
        entry = self.put(data, channel=channel, meta=meta)
        try:
            source.unlink()
        except OSError as exc:
            log.warning("spooled %s but could not remove its source: %s", entry.spool_id, exc)
        return entry

    def _written(
        self, spool_id: str, channel: str, received_at: dt.datetime, meta: Mapping[str, object] | None
    ) -> SpoolEntry:
        """The entry just written, not read back (the ingester may take it from new/ at once), and the
        ingester beside it told (``arrived``)."""
        kept = MappingProxyType(clean_meta(meta))
        entry = SpoolEntry(spool_id, self.new / spool_id, clean_text(channel, 40), received_at, kept)
        self.arrived.set()
        return entry

    def _entry(self, spool_id: str) -> SpoolEntry:
        path = self.new / spool_id
        sidecar = json.loads((self.new / (spool_id + _SIDECAR)).read_bytes()[:_SIDECAR_MAX_BYTES])
        return SpoolEntry(
            spool_id=spool_id,
            path=path,
            channel=str(sidecar["channel"]),
            received_at=dt.datetime.fromisoformat(sidecar["received_at"]),
            meta=MappingProxyType(clean_meta(sidecar.get("meta"))),
        )

    def entries(self) -> list[SpoolEntry]:
        """Every complete entry, oldest first. Debris of crashes is skipped, and removed when stale."""
        try:
            names = sorted(os.listdir(self.new))
        except OSError as exc:
            raise SpoolError(f"spool {self.folder}: cannot list: {exc}") from exc
        present = set(names)
        out: list[SpoolEntry] = []
        for name in names:
            if not _ID.match(name):
                if name.endswith(_SIDECAR) and name[: -len(_SIDECAR)] not in present:
                    self._clean_if_stale(self.new / name)
                continue
            try:
                out.append(self._entry(name))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                if (self.new / name).exists():
                    log.warning("spool entry %s unreadable, left in place: %s", name, exc)
        try:
            for name in os.listdir(self.tmp):
                self._clean_if_stale(self.tmp / name)
        except OSError as exc:
            log.warning("spool %s: cannot list tmp/: %s", self.folder, exc)
        return out

    def _clean_if_stale(self, path: Path) -> None:
        try:
            age = time.time() - path.stat().st_mtime
            if age > STALE_AFTER.total_seconds():
                path.unlink()
                log.info("removed crash debris %s", path)
        except OSError:
            pass  # removed by someone else meanwhile

    def read(self, entry: SpoolEntry) -> bytes:
        try:
            return entry.path.read_bytes()
        except OSError as exc:
            raise SpoolError(f"spool {self.folder}: cannot read {entry.spool_id}: {exc}") from exc

    def remove(self, entry: SpoolEntry) -> None:
        """Forget an entry once the store has it. Idempotent. The folder is not synced: were the
        removal undone by a power loss, the entry would be taken again, and the store, which knows
        its spool id, would not store it twice (one fsync less per message)."""
        try:
            (self.new / entry.spool_id).unlink(missing_ok=True)
            (self.new / (entry.spool_id + _SIDECAR)).unlink(missing_ok=True)
        except OSError as exc:
            raise SpoolError(f"spool {self.folder}: cannot remove {entry.spool_id}: {exc}") from exc
