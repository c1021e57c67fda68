"""SMTP listener for the mailroom address: a message is in the spool, fsynced, before we answer 250.

The handler is the whole of our part (aiosmtpd owns the protocol; only its DATA phase is read in
chunks, see ``smtp_data``): RCPT accepts only the configured mailroom addresses, with any
sub-address (``mailroom+…@``; others 550), DATA stores ``envelope.original_content`` — the bytes as
the client sent them — with :meth:`Spool.put`, the envelope in its meta, and answers
``250 OK queued as <id>``. When the spool cannot store the message the answer is 451,
so the sender retries; never 250. A message over ``max_bytes`` is refused with 552 (at MAIL FROM
when the client declares SIZE, else ``552 Error: Too much mail data`` after DATA) and nothing is
stored. When the spool's disk is low, MAIL and DATA are answered 452 (``smtp_guard``).

The listener is guarded (``smtp_guard``: connections at most, per address, a whole session's time
limit). With a configured certificate it offers STARTTLS; with a configured account it requires
AUTH (PLAIN or LOGIN, only after STARTTLS) before MAIL.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import socket
import ssl
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from forms.errors import SpoolError
from forms.intake.smtp_guard import NO_ROOM, Gate, GuardedSMTP, ListenerLimits, has_room

__all__ = ["ListenerAuth", "ListenerLimits", "SpoolHandler", "start_smtp_listener"]
from forms.intake.spool import Spool, clean_text

log = logging.getLogger(__name__)

_MAX_RECIPIENTS = 20


def _mailbox(address: str) -> str:
    """An envelope address compared case-insensitively, without angle brackets."""
    return address.strip().strip("<>").strip().lower()


def _without_detail(mailbox: str) -> str:
    """``mailroom+bounce-…@example.jp`` → ``mailroom@example.jp``: a sub-address reaches its mailbox
    (the return paths of our own messages are such, ``deliver.returns``)."""
    local, at, domain = mailbox.rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if at else mailbox


class SpoolHandler:
    """aiosmtpd handler: takes mail for the mailroom addresses into the spool."""

    def __init__(self, spool: Spool, mailroom_addresses: Sequence[str], *, min_free_bytes: int = 0) -> None:
        self._spool = spool
        self._addresses = frozenset(_mailbox(a) for a in mailroom_addresses)
        self._min_free = min_free_bytes

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        declared = next((o[5:] for o in mail_options if o.upper().startswith("SIZE=")), "0")
        if not has_room(self._spool.folder, self._min_free, int(declared) if declared.isdigit() else 0):
            log.warning("SMTP MAIL from %s refused: the spool's disk is low", session.peer)
            return NO_ROOM
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if _without_detail(_mailbox(address)) not in self._addresses:
            return "550 5.1.1 Recipient address rejected: not a mailroom address"
        if len(envelope.rcpt_tos) >= _MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        peer = session.peer if isinstance(session.peer, tuple) else (str(session.peer),)
        meta = {
            "peer": ":".join(str(p) for p in peer[:2]),
            "helo": clean_text(session.host_name or "", 255),
            "mail_from": clean_text(envelope.mail_from or "", 320),
            "rcpt_to": clean_text(",".join(envelope.rcpt_tos), 512),
        }
        if not has_room(self._spool.folder, self._min_free, len(data)):
            log.warning("SMTP message from %s not stored: the spool's disk is low", meta["peer"])
            return NO_ROOM
        try:
            entry = await asyncio.to_thread(self._spool.put, data, channel="smtp", meta=meta)
        except SpoolError as exc:
            log.error("SMTP message from %s not stored: %s", meta["peer"], exc)
            return "451 4.3.0 Requested action aborted: local error in processing"
        log.info("SMTP message from %s queued as %s (%d bytes)", meta["peer"], entry.spool_id, len(data))
        return f"250 OK queued as {entry.spool_id}"


class _BoundController(Controller):
    """A Controller on a socket bound before start, so that port 0 means "a port the kernel picks".

    (aiosmtpd's own start-up check connects to ``self.port``, which must be the real port.)
    """

    def __init__(
        self, handler: SpoolHandler, *, host: str, port: int, gate: Gate, **smtp_parameters: Any
    ) -> None:
        self._listening = _listening_socket(host, port)
        self.gate = gate
        bound_port = self._listening.getsockname()[1]
        super().__init__(handler, hostname=host, port=bound_port, **smtp_parameters)

    def factory(self) -> SMTP:
        return GuardedSMTP(self.handler, gate=self.gate, **self.SMTP_kwargs)

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self.loop.create_server(self._factory_invoker, sock=self._listening, ssl=self.ssl_context)


def _listening_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket whose protocol is named (IPPROTO_TCP), as asyncio's own are: asyncio
    sets TCP_NODELAY only on connections of such sockets. Without it (``socket.create_server`` leaves
    the protocol 0) the kernel holds each small reply until the client acknowledges the previous
    one, 40 ms later, so a client that pipelines MAIL, RCPT and DATA waited ~40 ms per message."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen()
    except BaseException:
        sock.close()
        raise
    return sock


@dataclass(frozen=True)
class ListenerAuth:
    """The one account a relay in front (postfix) signs in with, when AUTH is required."""

    username: str
    password: str

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = hmac.compare_digest(data.login, self.username.encode()) & hmac.compare_digest(
            data.password, self.password.encode()
        )
        return AuthResult(success=ok, handled=False)


def start_smtp_listener(
    spool: Spool,
    *,
    host: str,
    port: int,
    mailroom_addresses: Sequence[str],
    max_bytes: int,
    limits: ListenerLimits | None = None,
    tls: ssl.SSLContext | None = None,
    auth: ListenerAuth | None = None,
) -> Controller:
    """Start the listener in its own thread and return the started controller (``.port`` is the real port).

    ``limits``: see ``smtp_guard`` (defaults: ``ListenerLimits()``); ``tls``: offer STARTTLS with this
    server context; ``auth``: require AUTH with this account (only over TLS). Raises ``OSError``
    when the address cannot be bound. Stop it with ``controller.stop()``.
    """
    limits = limits or ListenerLimits()
    secured: dict[str, Any] = {"tls_context": tls} if tls is not None else {}
    if auth is not None:
        secured.update(authenticator=auth, auth_required=True, auth_require_tls=True)
    controller = _BoundController(
        SpoolHandler(spool, mailroom_addresses, min_free_bytes=limits.min_free_bytes),
        host=host,
        port=port,
        gate=Gate(limits),
        data_size_limit=max_bytes,
        ident="forms mailroom",
        **secured,
    )
    try:
        controller.start()
    except BaseException:
        controller._listening.close()
        raise
    log.info("SMTP listener on %s:%d for %s", host, controller.port, ", ".join(mailroom_addresses))
    return controller
