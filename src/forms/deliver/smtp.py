"""SMTP transport through aiosmtplib: implicit TLS or STARTTLS, AUTH, reused connections.

Used only when an operator configures SMTP (the default transport writes files). Connections are
kept open and reused: sends one after another go over ONE connection; concurrent sends open more,
at most ``max_concurrency``, bounded by a semaphore. A connection the server closed is replaced; one
idle for over a second is checked with NOOP before reuse and replaced when it does not answer, so a
message is never retried after DATA. (A busy mailroom sends back to back: a NOOP before each
message would double the round trips.)

Every aiosmtplib exception is translated here into :class:`DeliveryError`: a 5xx answer is
permanent; 4xx answers, lost connections and time-outs are temporary. A time-out or a lost connection
once the message and its final dot were written is *unconfirmed*: the server may have taken the
message (RFC 5321 §4.5.3.2.6), so the outbox records that and retries it with the same Message-ID.
One transport belongs to one event loop. Line ends and leading dots are prepared by ``dot_stuffing``
(same bytes, in C).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Sequence

import aiosmtplib

from forms.deliver import dot_stuffing
from forms.errors import DeliveryError

log = logging.getLogger(__name__)

_PERMANENT_FROM = 500
#: A connection idle for longer is asked NOOP before it is used again.
CHECK_AFTER_IDLE_S = 1.0

dot_stuffing.install()


def _is_permanent(code: int | None) -> bool:
    return code is not None and code >= _PERMANENT_FROM


def delivery_error(exc: Exception, message_id: str, *, after_final_dot: bool = False) -> DeliveryError:
    """The DeliveryError for an aiosmtplib (or address) exception raised while sending ``message_id``;
    ``after_final_dot``: the whole message had been written when it was raised."""
    if after_final_dot and isinstance(exc, aiosmtplib.SMTPTimeoutError | aiosmtplib.SMTPServerDisconnected):
        return DeliveryError(
            f"{message_id}: no answer after the final dot, may have been delivered: {exc}",
            permanent=False,
            unconfirmed=True,
        )
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        refused = ", ".join(f"{r.recipient} ({r.code} {r.message})" for r in exc.recipients)
        permanent = bool(codes) and all(_is_permanent(c) for c in codes)
        return DeliveryError(
            f"{message_id}: recipients refused: {refused}", permanent=permanent, code=max(codes, default=None)
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return DeliveryError(
            f"{message_id}: server answered {exc.code} {exc.message}",
            permanent=_is_permanent(exc.code),
            code=exc.code,
        )
    if isinstance(exc, ssl.SSLError | OSError):  # TLS failures (a bad certificate) are ValueErrors too
        return DeliveryError(f"{message_id}: connection failed: {exc}", permanent=False)
    if isinstance(exc, aiosmtplib.SMTPNotSupported | ValueError):
        return DeliveryError(f"{message_id}: cannot be sent: {exc}", permanent=True)
    return DeliveryError(f"{message_id}: connection failed: {exc}", permanent=False)


class SmtpTransport:
    """Sends over SMTP; see the module text for the connection policy."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_tls: bool = False,
        timeout: float = 30,
        max_concurrency: int = 4,
        validate_certs: bool = True,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if starttls and use_tls:
            raise ValueError("choose STARTTLS or implicit TLS, not both")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        if (username is None) != (password is None):
            raise ValueError("SMTP AUTH needs both a username and a password")
        self.host, self.port = host, port
        self._username, self._password = username, password
        self._starttls, self._use_tls = starttls, use_tls
        self._timeout = timeout
        self._validate_certs = validate_certs
        self._tls_context = tls_context
        self._slots = asyncio.Semaphore(max_concurrency)
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []  # with the loop time it fell idle
        self._closed = False

    def __repr__(self) -> str:  # never shows the password
        return (
            f"SmtpTransport({self.host!r}, {self.port}, user={self._username!r}, starttls={self._starttls})"
        )

    async def send(self, sender: str, recipients: Sequence[str], raw: bytes, message_id: str) -> None:
        if self._closed:
            raise DeliveryError(f"{message_id}: transport is closed", permanent=False)
        async with self._slots:
            client = await self._checkout(message_id)
            handed_over = _Handover(client)
            try:
                refused, _ = await client.sendmail(sender, list(recipients), raw)
            except (aiosmtplib.SMTPException, ValueError) as exc:
                self._checkin(client)
                raise delivery_error(exc, message_id, after_final_dot=handed_over.done) from exc
            finally:
                handed_over.release()
            self._checkin(client)
        if refused:
            codes = [response.code for response in refused.values()]
            names = ", ".join(f"{rcpt} ({r.code} {r.message})" for rcpt, r in refused.items())
            raise DeliveryError(
                f"{message_id}: accepted for some recipients, refused for {names}",
                permanent=all(_is_permanent(c) for c in codes),
                code=max(codes, default=None),
            )

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for client, _ in idle:
            await _quit(client)

    async def _checkout(self, message_id: str) -> aiosmtplib.SMTP:
        """An idle connection that is still open (and, idle long, still answers NOOP), else a new one."""
        now = asyncio.get_running_loop().time()
        while self._idle:
            client, since = self._idle.pop()
            if not client.is_connected:
                continue
            if now - since > CHECK_AFTER_IDLE_S:
                try:
                    await client.noop()
                except aiosmtplib.SMTPException:
                    client.close()
                    continue
            return client
        return await self._connect(message_id)

    def _checkin(self, client: aiosmtplib.SMTP) -> None:
        if client.is_connected and not self._closed:
            self._idle.append((client, asyncio.get_running_loop().time()))
        else:
            client.close()

    async def _connect(self, message_id: str) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self._username,
            password=self._password,
            use_tls=self._use_tls,
            start_tls=self._starttls,
            validate_certs=self._validate_certs,
            tls_context=self._tls_context,
            timeout=self._timeout,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise delivery_error(exc, message_id) from exc
        log.debug("connected to %s:%s", self.host, self.port)
        return client


class _Handover:
    """Watches one transaction on a connection: ``done`` once the message, final dot included, has been
    written (the first write after the DATA command). aiosmtplib raises the same time-out whether the
    354 or the answer after the final dot did not come; only the latter may have delivered."""

    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.done = False
        self._protocol = client.protocol
        self._data_sent = False
        if self._protocol is not None:
            write = self._protocol.write

            def watched(data: bytes) -> None:
                if self._data_sent:
                    self.done = True
                self._data_sent = self._data_sent or data == b"DATA\r\n"
                write(data)

            self._protocol.write = watched  # type: ignore[method-assign]

    def release(self) -> None:
        if self._protocol is not None:
            vars(self._protocol).pop("write", None)  # the class's own write again


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            await client.quit()
    except aiosmtplib.SMTPException:
        client.close()
