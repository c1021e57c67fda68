"""A real SMTP server on loopback for tests: keeps what arrives, counts connections, refuses on cue."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Recorder:
    """aiosmtpd handler: keeps what arrives, counts TCP connections, refuses on cue, and stalls on cue:
    ``data_delay`` before it takes a message, ``stall_after_data`` once it has taken it (the client
    gets no answer after its final dot, but the message is here), ``rcpt_delay`` before RCPT's answer."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes, bool]] = []
        self.peers: set[Any] = set()
        self.data_delay = 0.0
        self.stall_after_data = 0.0
        self.rcpt_delay = 0.0

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ):
        session.host_name = hostname
        self.peers.add(session.peer)  # same peer (client port) before and after STARTTLS
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]):
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        if any(r.startswith("busy@") for r in envelope.rcpt_tos):
            return "451 4.3.0 try again later"
        tls = session.ssl is not None
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, tls))
        if self.stall_after_data:
            await asyncio.sleep(self.stall_after_data)
        return "250 OK"


class LoopbackController(Controller):
    """A Controller on 127.0.0.1 at a port chosen by the kernel (so tests can run in parallel)."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)

    def _create_server(self) -> Coroutine[Any, Any, asyncio.AbstractServer]:
        return self._bind()

    async def _bind(self) -> asyncio.AbstractServer:
        server = await self.loop.create_server(
            self._factory_invoker, host=self.hostname, port=self.port, ssl=self.ssl_context
        )
        self.port = server.sockets[0].getsockname()[1]
        return server



@contextmanager
def smtp_sink() -> Iterator[tuple[LoopbackController, Recorder]]:
    handler = Recorder()
    controller = LoopbackController(handler)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def parsed(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg
