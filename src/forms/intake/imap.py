"""IMAP poller: takes the mailroom mailbox's messages into the spool, then files them away.

One poll (:meth:`ImapPoller.poll_once`) holds a per-mailbox lock file (``fcntl.flock``, under the
spool folder) for its whole length, so two overlapping polls — threads or processes — never take
the same message: the second returns 0 at once. For each message, in UID order:

1. too large (RFC822.SIZE over ``max_bytes``): moved to ``too_large_folder`` unread;
2. already seen — the same (account, mailbox, UIDVALIDITY, UID), the same bytes (sha256), or the
   same Message-ID with the same body — : moved to ``handled_folder`` and not spooled again;
3. otherwise spooled (channel ``imap``), its keys recorded, THEN moved to ``handled_folder``.

Every message is moved, whatever it holds, so nothing is fetched twice. UIDVALIDITY is part of
the UID key: after a mailbox is re-created a reused UID names a different message. The order
"spool, record, move" never loses a mail; a crash between spooling and moving spools it again at
the next poll (the store's own dedup sees the duplicate).

:meth:`ImapPoller.run` polls, then waits in IDLE (RFC 2177) when the server has it — woken by a new
EXISTS — or sleeps ``poll_interval`` when it does not. Python 3.11's imaplib has no IDLE; we send
it ourselves and read the socket with ``select`` so a stop request is honoured within a second.

Over TLS (``ssl``, or ``starttls``) the server's certificate and name are always checked
(``forms.tls.client_context``; ``ca_file`` adds a private CA) before the password is sent.
"""

from __future__ import annotations

import email.parser
import email.policy
import fcntl
import hashlib
import imaplib
import logging
import os
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from forms.errors import ConfigError, FormsError, ImapError
from forms.files import private_dir, private_file
from forms.intake.spool import Spool, clean_text
from forms.tls import client_context

log = logging.getLogger(__name__)

_FETCH_UID = re.compile(rb"UID (\d+)")
_FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_EXISTS = re.compile(rb"^\* \d+ EXISTS", re.IGNORECASE)
_LIST_DELIMITER = re.compile(rb'\) (?:"((?:[^"\\]|\\.)*)"|NIL) ')
_IDLE_MAX_S = 25 * 60  # RFC 2177: re-issue IDLE at least every 29 minutes


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    username: str
    password: str
    mailbox: str = "INBOX"
    ssl: bool = False
    starttls: bool = False
    handled_folder: str = "forms/handled"
    too_large_folder: str = "forms/too-large"
    idle: bool = True
    poll_interval: float = 60.0
    max_bytes: int = 40 * 1024 * 1024
    timeout: float = 60.0
    ca_file: Path | None = None  # a private CA besides the system's; the certificate is always checked

    def __post_init__(self) -> None:
        for name in (self.mailbox, self.handled_folder, self.too_large_folder):
            if not name.isascii() or not name.isprintable() or not name.strip():
                raise ConfigError(f"IMAP folder name {name!r}: use printable ASCII")

    @property
    def account(self) -> str:
        return f"{self.username}@{self.host}:{self.port}"


class SeenKeys(Protocol):
    def seen(self, key: str) -> bool: ...
    def add(self, key: str) -> None: ...


class FileSeenKeys:
    """Seen keys in a text file, one a line, appended and fsynced; shared safely between processes."""

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        private_file(self._path)
        self._keys: set[str] = set()
        self._offset = 0
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        with open(self._path, "rb") as handle:
            handle.seek(self._offset)
            tail = handle.read()
        complete = tail[: tail.rfind(b"\n") + 1]
        self._offset += len(complete)
        self._keys.update(line.decode("utf-8", "replace") for line in complete.splitlines() if line)

    def seen(self, key: str) -> bool:
        with self._lock:
            try:
                self._refresh()
            except OSError as exc:
                raise ImapError(f"seen keys {self._path}: cannot read: {exc}") from exc
            return key in self._keys

    def add(self, key: str) -> None:
        if "\n" in key or "\r" in key:
            raise ValueError("a seen key is one line")
        with self._lock:
            try:
                fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
                try:
                    os.write(fd, key.encode("utf-8") + b"\n")
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as exc:
                raise ImapError(f"seen keys {self._path}: cannot record: {exc}") from exc
            self._keys.add(key)


@dataclass(frozen=True)
class _Message:
    uid: str
    data: bytes
    keys: tuple[str, ...]
    message_id: str
    sha256: str


def _message(account: str, mailbox: str, uidvalidity: str, uid: str, data: bytes) -> _Message:
    """The message with its dedup keys: (account, mailbox, UIDVALIDITY, UID), sha256, Message-ID + body."""
    digest = hashlib.sha256(data).hexdigest()
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(data)
    message_id = clean_text(headers.get("Message-ID", "") or "", 255)
    keys = [f"imap-uid {clean_text(account)} {clean_text(mailbox)} {uidvalidity} {uid}", f"sha256 {digest}"]
    if message_id:
        split = re.search(rb"\r?\n\r?\n", data)
        body = data[split.end() :] if split else b""
        keys.append(f"message-id {message_id} body-sha256 {hashlib.sha256(body).hexdigest()}")
    return _Message(uid, data, tuple(keys), message_id, digest)


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(result: tuple[str, list], what: str) -> list:
    typ, data = result
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("ascii", "replace")
        raise ImapError(f"IMAP {what}: {typ} {clean_text(detail, 200)}")
    return data


@contextmanager
def _single_flight(lock_path: Path) -> Iterator[bool]:
    """Hold an exclusive flock on ``lock_path`` if free; yields whether it was acquired."""
    private_dir(lock_path.parent)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


class ImapPoller:
    def __init__(self, cfg: ImapConfig, spool: Spool, *, seen: SeenKeys) -> None:
        self._cfg = cfg
        self._spool = spool
        self._seen = seen
        ident = hashlib.sha256(f"{cfg.account}\0{cfg.mailbox}".encode()).hexdigest()[:32]
        self.lock_path = spool.folder / "locks" / f"imap-{ident}.lock"
        self._tls = client_context(cfg.ca_file) if cfg.ssl or cfg.starttls else None

    # -- connection -------------------------------------------------------------------------------

    def _connect(self) -> imaplib.IMAP4:
        cfg, tls, wait = self._cfg, self._tls, self._cfg.timeout
        try:
            if cfg.ssl:
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(cfg.host, cfg.port, ssl_context=tls, timeout=wait)
            else:
                conn = imaplib.IMAP4(cfg.host, cfg.port, timeout=cfg.timeout)
                if cfg.starttls:
                    conn.starttls(ssl_context=tls)
            conn.login(cfg.username, cfg.password)
        except (imaplib.IMAP4.error, OSError) as exc:
            raise ImapError(f"IMAP {cfg.account}: cannot log in: {clean_text(exc, 200)}") from exc
        return conn

    @staticmethod
    def _capabilities(conn: imaplib.IMAP4) -> frozenset[str]:
        data = _ok(conn.capability(), "CAPABILITY")
        words = b" ".join(d for d in data if isinstance(d, bytes)).decode("ascii", "replace")
        return frozenset(words.upper().split())

    @staticmethod
    def _server_name(conn: imaplib.IMAP4, folder: str) -> str:
        """A configured folder ("forms/handled") in the server's hierarchy delimiter."""
        data = _ok(conn.list('""', '""'), "LIST")
        found = _LIST_DELIMITER.search(data[0]) if data and isinstance(data[0], bytes) else None
        delimiter = found.group(1).decode("ascii") if found and found.group(1) else "/"
        return folder.replace("/", delimiter.replace("\\\\", "\\"))

    def _ensure_folder(self, conn: imaplib.IMAP4, folder: str) -> str:
        name = _quote(self._server_name(conn, folder))
        listed = _ok(conn.list('""', name), "LIST")
        if not any(listed):
            _ok(conn.create(name), f"CREATE {folder}")
        return name

    # -- one poll ---------------------------------------------------------------------------------

    def poll_once(self) -> int:
        """Spool every new message of the mailbox and move all of them away; returns how many were spooled.

        Returns 0 at once when another poll of the same mailbox is running. Raises :class:`ImapError`.
        """
        with _single_flight(self.lock_path) as acquired:
            if not acquired:
                log.info("IMAP %s %s: a poll is already running", self._cfg.account, self._cfg.mailbox)
                return 0
            conn = self._connect()
            try:
                return self._poll(conn)
            except (imaplib.IMAP4.error, OSError) as exc:
                raise ImapError(f"IMAP {self._cfg.account}: {clean_text(exc, 200)}") from exc
            finally:
                self._close(conn)

    @staticmethod
    def _close(conn: imaplib.IMAP4) -> None:
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            conn.shutdown()

    def _poll(self, conn: imaplib.IMAP4) -> int:
        cfg = self._cfg
        caps = self._capabilities(conn)
        handled = self._ensure_folder(conn, cfg.handled_folder)
        exists = int(_ok(conn.select(_quote(cfg.mailbox)), f"SELECT {cfg.mailbox}")[0] or 0)
        uidvalidity = (conn.response("UIDVALIDITY")[1] or [b""])[0]
        if not uidvalidity or not uidvalidity.isdigit():
            raise ImapError(f"IMAP {cfg.account}: {cfg.mailbox} has no UIDVALIDITY")
        if exists == 0:
            return 0
        spooled = 0
        for uid, size in self._sizes(conn):
            if size > cfg.max_bytes:
                log.warning("IMAP %s uid %s is %d bytes, over the limit", cfg.mailbox, uid, size)
                self._move(conn, caps, uid, self._ensure_folder(conn, cfg.too_large_folder))
                continue
            message = _message(cfg.account, cfg.mailbox, uidvalidity.decode(), uid, self._fetch(conn, uid))
            if any(self._seen.seen(key) for key in message.keys):
                log.info("IMAP %s uid %s seen before: filed, not spooled", cfg.mailbox, uid)
            else:
                self._spool_message(message, uidvalidity.decode())
                spooled += 1
            self._move(conn, caps, uid, handled)
        return spooled

    def _spool_message(self, message: _Message, uidvalidity: str) -> None:
        meta = {
            "mailbox": self._cfg.mailbox,
            "account": self._cfg.account,
            "uidvalidity": uidvalidity,
            "uid": message.uid,
            "message_id": message.message_id,
            "sha256": message.sha256,
        }
        entry = self._spool.put(message.data, channel="imap", meta=meta)
        for key in message.keys:
            self._seen.add(key)
        log.info("IMAP %s uid %s spooled as %s", self._cfg.mailbox, message.uid, entry.spool_id)

    @staticmethod
    def _sizes(conn: imaplib.IMAP4) -> list[tuple[str, int]]:
        sizes: dict[int, int] = {}
        for item in _ok(conn.uid("FETCH", "1:*", "(UID RFC822.SIZE)"), "FETCH sizes"):
            head = item[0] if isinstance(item, tuple) else item
            uid, size = _FETCH_UID.search(head or b""), _FETCH_SIZE.search(head or b"")
            if uid and size:
                sizes[int(uid.group(1))] = int(size.group(1))
        return [(str(uid), sizes[uid]) for uid in sorted(sizes)]

    @staticmethod
    def _fetch(conn: imaplib.IMAP4, uid: str) -> bytes:
        for item in _ok(conn.uid("FETCH", uid, "(BODY.PEEK[])"), f"FETCH {uid}"):
            if isinstance(item, tuple) and _FETCH_UID.search(item[0]) and b"BODY[]" in item[0]:
                return item[1]
        raise ImapError(f"IMAP FETCH {uid}: no message body in the answer")

    @staticmethod
    def _move(conn: imaplib.IMAP4, caps: frozenset[str], uid: str, folder: str) -> None:
        if "MOVE" in caps:
            _ok(conn.uid("MOVE", uid, folder), f"MOVE {uid}")
            return
        _ok(conn.uid("COPY", uid, folder), f"COPY {uid}")
        _ok(conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"), f"STORE {uid}")
        _ok(conn.uid("EXPUNGE", uid) if "UIDPLUS" in caps else conn.expunge(), f"EXPUNGE {uid}")

    # -- the long-running loop --------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set: IDLE between polls when the server has it, else sleep."""
        backoff = 1.0
        while not stop.is_set():
            try:
                self.poll_once()
                if self._cfg.idle:
                    self.wait_for_mail(stop)
                else:
                    stop.wait(self._cfg.poll_interval)
                backoff = 1.0
            except FormsError as exc:  # the server, the spool or the seen keys: all retried
                log.warning("IMAP poll failed, retrying in %.0f s: %s", backoff, exc)
                stop.wait(backoff)
                backoff = min(backoff * 2, max(self._cfg.poll_interval, 1.0))

    def wait_for_mail(self, stop: threading.Event) -> bool:
        """Wait in IDLE until new mail (True), or until ``poll_interval`` passes or ``stop`` is set."""
        conn = self._connect()
        try:
            if "IDLE" not in self._capabilities(conn):
                stop.wait(self._cfg.poll_interval)
                return False
            exists = int(_ok(conn.select(_quote(self._cfg.mailbox), readonly=True), "EXAMINE")[0] or 0)
            if exists:  # arrived since the poll, or another poller is still filing them
                stop.wait(min(1.0, self._cfg.poll_interval))
                return True
            return _Idle(conn).wait(stop, min(self._cfg.poll_interval, _IDLE_MAX_S))
        except (imaplib.IMAP4.error, OSError) as exc:
            raise ImapError(f"IMAP {self._cfg.account} IDLE: {clean_text(exc, 200)}") from exc
        finally:
            self._close(conn)


class _Idle:
    """One IDLE command on a selected connection, read straight from its socket."""

    def __init__(self, conn: imaplib.IMAP4) -> None:
        self._conn = conn
        self._sock: socket.socket = conn.socket()
        self._buffer = b""

    def _readline(self, until: float, stop: threading.Event) -> bytes | None:
        while b"\n" not in self._buffer:
            if stop.is_set() or time.monotonic() >= until:
                return None
            pending = isinstance(self._sock, ssl.SSLSocket) and self._sock.pending() > 0
            if not pending and not select.select([self._sock], [], [], 0.5)[0]:
                continue
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ImapError("IMAP connection closed during IDLE")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line + b"\n"

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        tag = self._conn._new_tag()
        self._conn.send(tag + b" IDLE\r\n")
        until = time.monotonic() + seconds
        first = self._readline(time.monotonic() + 30, threading.Event())
        if first is None or not first.startswith(b"+"):
            raise ImapError(f"IMAP IDLE refused: {clean_text((first or b'').decode('ascii', 'replace'))}")
        woke = False
        while not woke:
            line = self._readline(until, stop)
            if line is None:
                break
            woke = bool(_EXISTS.match(line))
            if line.startswith(b"* BYE"):
                raise ImapError("IMAP server closed the connection during IDLE")
        self._conn.send(b"DONE\r\n")
        done_by = time.monotonic() + 10
        while (line := self._readline(done_by, threading.Event())) is not None and not line.startswith(tag):
            woke = woke or bool(_EXISTS.match(line))
        return woke
