"""A throwaway postfix in front of the mailroom, as the README deploys it: Debian's binaries, its own
config_directory and queue_directory under a temp folder, smtpd on a free loopback port.

The mailroom's address goes to the listener as the README says (``transport_maps``,
``recipient_delimiter = +``). Nothing can leave the machine: it listens on 127.0.0.1 only, relays
only for the mailroom's domain (``relay_domains``, ``reject_unauth_destination``: the test's client
on loopback is treated as the internet), hands anything else it might send (bounces) to the listener
too (``default_transport`` and ``relay_transport``), never looks up DNS
(``disable_dns_lookups``, ``smtp_dns_support_level = disabled``) and has no local delivery. Its log is
``maillog`` in its folder (postlogd). postfix's master runs as root (as on a mail server), its
daemons as the ``postfix`` user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.ports import free_port

POSTFIX = Path("/usr/sbin/postfix")

#: What postfix needs to run and relay: the services of Debian's master.cf, none chrooted, no local.
MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""

#: The README's "postfix in front" settings, for a test instance (its folders, a loopback port).
MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-forms-test
maillog_file_prefixes = {root}
maillog_file = {root}/maillog
myhostname = mx.example.jp
mydomain = example.jp
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
relay_domains = {domain}
smtpd_relay_restrictions = reject_unauth_destination
relay_recipient_maps =
recipient_delimiter = +
transport_maps = inline:{{ mailroom@{domain}=smtp:[127.0.0.1]:{listener} }}
default_transport = smtp:[127.0.0.1]:{listener}
relay_transport = smtp:[127.0.0.1]:{listener}
relayhost =
disable_dns_lookups = yes
smtp_dns_support_level = disabled
smtpd_banner = $myhostname ESMTP
"""


def unavailable_reason() -> str | None:
    """None when a postfix can be started here, else why not."""
    if not POSTFIX.exists():
        return "postfix absent: apt-get install postfix (scripts/setup.sh)"
    if os.geteuid() != 0:
        return "postfix's master runs as root"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "no 'postfix' user (Debian's postfix package creates it)"
    return None


class PostfixServer:
    """One postfix instance relaying ``domain`` to the listener on 127.0.0.1:``listener``."""

    def __init__(self, listener: int, domain: str = "example.jp") -> None:
        # not under pytest's tmp folder (mode 0700): postfix's daemons (user postfix) must enter it
        self.root = Path(tempfile.mkdtemp(prefix="forms-postfix-"))
        self.root.chmod(0o755)
        self.config = self.root / "conf"
        self.port = 0
        self.listener, self.domain = listener, domain

    def _postfix(self, *args: str) -> None:
        done = subprocess.run([str(POSTFIX), "-c", str(self.config), *args], capture_output=True, text=True,
                              timeout=60, check=False)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"postfix {' '.join(args)} failed:\n{self.log()}")

    def start(self) -> PostfixServer:
        for folder in ("conf", "queue", "data"):
            (self.root / folder).mkdir()
        account = pwd.getpwnam("postfix")
        os.chown(self.root / "data", account.pw_uid, account.pw_gid)
        self.port = free_port()
        values = {"root": self.root, "domain": self.domain, "listener": self.listener, "port": self.port}
        (self.config / "main.cf").write_text(MAIN_CF.format(**values))
        (self.config / "master.cf").write_text(MASTER_CF.format(**values))
        self._postfix("start")
        return self

    def flush(self) -> None:
        """Deliver the deferred mail now (rather than at postfix's next queue run, minutes later)."""
        self._postfix("flush")

    def log(self) -> str:
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else "(no maillog)"

    def stop(self) -> None:
        try:
            if (self.root / "queue" / "pid" / "master.pid").exists():
                self._postfix("stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def running_postfix(listener: int, domain: str = "example.jp") -> Iterator[PostfixServer]:
    """A started postfix relaying to the listener (the test is skipped when postfix cannot run)."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = PostfixServer(listener, domain)
    try:
        yield server.start()
    finally:
        server.stop()
