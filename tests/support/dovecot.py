"""A throwaway Dovecot IMAP server on 127.0.0.1 for the tests (Debian's dovecot-imapd).

:func:`running_dovecot` writes a config into a fresh temporary folder — passdb and userdb from a
passwd-file with one test user, Maildir mail in the folder, no SSL and plaintext login allowed on
loopback (or, given a certificate, TLS only), logs to ``dovecot.log`` there — starts ``dovecot -F``
on a free port, waits until it greets, and stops it and removes the folder afterwards. Skips the
test when dovecot is absent.

The folder is made outside pytest's tmp_path, because Dovecot's unprivileged processes must be
able to reach it (pytest's temporary folders are private to root).
"""

from __future__ import annotations

import dataclasses
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.support.tls import Certificate

DOVECOT = Path("/usr/sbin/dovecot")
USER = "mailroom"
#: Users besides USER, so that tests sharing one server each get an empty mailbox of their own.
SPARE_USERS = tuple(f"mailroom{n:02d}" for n in range(1, 41))
PASSWORD = "mailroom-test-password"

_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {home}/run
state_dir = {home}/state
log_path = {home}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = {mail_uid}
first_valid_gid = {mail_gid}
mail_location = maildir:{home}/mail/%u
mailbox_idle_check_interval = 1 secs
namespace inbox {{
  inbox = yes
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {home}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {home}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
{extra}
"""


def _existing_user(*names: str) -> pwd.struct_passwd:
    for name in names:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError(f"none of the users {names} exists")


@dataclass
class Dovecot:
    host: str
    port: int
    username: str
    password: str
    home: Path
    process: subprocess.Popen[bytes]
    tls_port: int | None = None  # imaps, when started with a certificate (STARTTLS on ``port`` too)

    @property
    def log(self) -> str:
        path = self.home / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def as_user(self, username: str) -> Dovecot:
        """The same server seen as another of its users (one of SPARE_USERS)."""
        return dataclasses.replace(self, username=username)

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(self.username, self.password)
        return conn

    def append(self, data: bytes, mailbox: str = "INBOX") -> None:
        conn = self.client()
        try:
            typ, detail = conn.append(mailbox, None, None, data)
            assert typ == "OK", detail
        finally:
            conn.logout()

    def uids(self, mailbox: str) -> list[int]:
        """UIDs in ``mailbox`` (as the server names it), [] when it does not exist."""
        conn = self.client()
        try:
            typ, _ = conn.select(f'"{mailbox}"', readonly=True)
            if typ != "OK":
                return []
            typ, data = conn.uid("SEARCH", "ALL")
            return [int(x) for x in data[0].split()] if data and data[0] else []
        finally:
            conn.logout()

    def uidvalidity(self, mailbox: str = "INBOX") -> int:
        conn = self.client()
        try:
            conn.select(f'"{mailbox}"', readonly=True)
            return int(conn.response("UIDVALIDITY")[1][0])
        finally:
            conn.logout()

    def recreate(self, mailbox: str) -> None:
        """Delete and create ``mailbox`` again: a new UIDVALIDITY, UIDs start over at 1."""
        conn = self.client()
        try:
            assert conn.delete(f'"{mailbox}"')[0] == "OK"
            assert conn.create(f'"{mailbox}"')[0] == "OK"
        finally:
            conn.logout()


def _wait_for_greeting(server: Dovecot, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {server.process.returncode}:\n{server.log}")
        try:
            with socket.create_connection((server.host, server.port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not start on port {server.port}:\n{server.log}")


def _ssl_settings(home: Path, tls: Certificate | None) -> str:
    """Dovecot's ssl settings: off, or required with the certificate (copied where Dovecot reads it)."""
    if tls is None:
        return "ssl = no"
    for name, source in (("cert.pem", tls.cert), ("key.pem", tls.key)):
        shutil.copy(source, home / name)
    return f"ssl = yes\nssl_cert = <{home}/cert.pem\nssl_key = <{home}/key.pem"


def _write_config(home: Path, port: int, extra: str, tls: Certificate | None, tls_port: int) -> Path:
    mail_user = _existing_user("nobody")
    (home / "mail").mkdir()
    os.chown(home / "mail", mail_user.pw_uid, mail_user.pw_gid)
    users = home / "users"
    ids = f"{mail_user.pw_uid}:{mail_user.pw_gid}"
    lines = (f"{u}:{{PLAIN}}{PASSWORD}:{ids}::{home}/mail/{u}::\n" for u in (USER, *SPARE_USERS))
    users.write_text("".join(lines))
    users.chmod(0o644)
    config = home / "dovecot.conf"
    config.write_text(
        _CONFIG.format(
            home=home,
            port=port,
            tls_port=tls_port,
            ssl=_ssl_settings(home, tls),
            extra=extra,
            internal_user=_existing_user("dovecot", "nobody").pw_name,
            login_user=_existing_user("dovenull", "nobody").pw_name,
            mail_uid=min(mail_user.pw_uid, 500),
            mail_gid=min(mail_user.pw_gid, 1),
        )
    )
    return config


@contextmanager
def running_dovecot(extra_config: str = "", *, tls: Certificate | None = None) -> Iterator[Dovecot]:
    """A started server; ``extra_config`` is appended to its dovecot.conf. With ``tls``, it speaks TLS
    only: imaps on ``tls_port`` and STARTTLS (required before LOGIN) on ``port``."""
    if not DOVECOT.exists():
        pytest.skip(f"{DOVECOT} is absent (apt-get install dovecot-imapd)")
    home = Path(tempfile.mkdtemp(prefix="forms-dovecot-"))
    home.chmod(0o755)
    process: subprocess.Popen[bytes] | None = None
    try:
        port, tls_port = free_port(), free_port() if tls else 0
        config = _write_config(home, port, extra_config, tls, tls_port)
        process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        server = Dovecot("127.0.0.1", port, USER, PASSWORD, home, process, tls_port or None)
        _wait_for_greeting(server, time.monotonic() + 15)
        yield server
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(home, ignore_errors=True)
