"""Transports against real things: files in a temp folder, a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from forms.deliver import FileTransport, SmtpTransport, Transport, build_message
from forms.deliver import smtp as smtp_transport
from forms.errors import DeliveryError
from tests.support.smtp_sink import LoopbackController, Recorder
from tests.support.tls import Certificate, self_signed

SENDER = "mailroom@example.jp"
USER, PASSWORD = "mailroom", "s3cret-パス"


def message(n: int, to: str = "bank@example.jp") -> tuple[str, bytes]:
    message_id = f"<R8-{n:06d}.bank_receipt@mailroom.example.jp>"
    raw = build_message(
        sender=SENDER,
        recipients=[to],
        subject=f"【受付完了】受付番号 R8-{n:06d}",
        body=f"本文 {n}\n.\n..\n",
        message_id=message_id,
        date=dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.UTC),
        attachments=[("様式1.pdf", "application/pdf", b"%PDF-1.7\n" + bytes(range(256)))],
    )
    return message_id, raw


# -- FileTransport ---------------------------------------------------------------------------------


def test_file_transport_writes_each_message_once(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    transport = FileTransport(outbox)
    assert isinstance(transport, Transport)
    message_id, raw = message(1)

    async def scenario() -> None:
        await transport.send(SENDER, ["bank@example.jp"], raw, message_id)
        await transport.send(SENDER, ["bank@example.jp"], b"other bytes", message_id)
        await transport.close()

    asyncio.run(scenario())
    files = sorted(p.name for p in outbox.iterdir())
    assert files == ["R8-000001.bank_receipt@mailroom.example.jp.eml"]
    assert (outbox / files[0]).read_bytes() == raw  # the second send changed nothing


def test_file_transport_concurrent_sends_of_one_message_leave_one_file(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path)
    message_id, raw = message(2)

    async def scenario() -> None:
        await asyncio.gather(*(transport.send(SENDER, ["b@example.jp"], raw, message_id) for _ in range(8)))

    asyncio.run(scenario())
    assert [p.read_bytes() for p in tmp_path.iterdir()] == [raw]  # no temporary files left either


def test_file_transport_keeps_hostile_ids_inside_its_folder(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    asyncio.run(FileTransport(outbox).send(SENDER, ["b@example.jp"], b"x", "<../../../etc/passwd\r\n@x>"))
    written = list(outbox.iterdir())
    assert len(written) == 1 and written[0].parent == outbox
    assert written[0].name == "_.._.._etc_passwd__@x.eml"
    assert list(tmp_path.iterdir()) == [outbox]


def test_file_transport_failure_is_a_temporary_delivery_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("file")
    with pytest.raises(DeliveryError) as caught:
        asyncio.run(FileTransport(blocker / "outbox").send(SENDER, ["b@example.jp"], b"x", "<a@b>"))
    assert caught.value.permanent is False


# -- a real SMTP server on loopback ----------------------------------------------------------------


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@pytest.fixture
def smtp_server() -> Iterator[tuple[LoopbackController, Recorder]]:
    handler = Recorder()
    controller = LoopbackController(handler)
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 (its own CA)."""
    return self_signed(tmp_path_factory.mktemp("tls"))


def send_all(transport: SmtpTransport, items: list[tuple[str, bytes]], to: str = "bank@example.jp") -> None:
    async def scenario() -> None:
        try:
            for message_id, raw in items:
                await transport.send(SENDER, [to], raw, message_id)
        finally:
            await transport.close()

    asyncio.run(scenario())


def test_messages_arrive_with_their_bytes_over_one_connection(
    smtp_server: tuple[Controller, Recorder],
) -> None:
    controller, handler = smtp_server
    items = [message(n) for n in range(1, 5)]
    send_all(SmtpTransport("127.0.0.1", controller.port, timeout=5), items)
    assert [r[2] for r in handler.received] == [raw for _, raw in items]
    assert all(r[0] == SENDER and r[1] == ["bank@example.jp"] for r in handler.received)
    assert len(handler.peers) == 1


def test_concurrency_is_bounded(smtp_server: tuple[Controller, Recorder]) -> None:
    controller, handler = smtp_server
    handler.data_delay = 0.2
    transport = SmtpTransport("127.0.0.1", controller.port, timeout=5, max_concurrency=2)
    items = [message(n) for n in range(1, 7)]

    async def scenario() -> None:
        await asyncio.gather(*(transport.send(SENDER, ["bank@example.jp"], raw, mid) for mid, raw in items))
        await transport.close()

    started = time.monotonic()
    asyncio.run(scenario())
    assert sorted(r[2] for r in handler.received) == sorted(raw for _, raw in items)
    assert len(handler.peers) == 2  # two connections in parallel, each reused
    assert time.monotonic() - started >= 3 * 0.2  # six sends, two at a time


def test_550_is_permanent_and_451_temporary(smtp_server: tuple[Controller, Recorder]) -> None:
    controller, handler = smtp_server
    transport = SmtpTransport("127.0.0.1", controller.port, timeout=5)
    errors: list[DeliveryError] = []

    async def scenario() -> None:
        for to in ("nobody@example.jp", "busy@example.jp", "bank@example.jp"):
            mid, raw = message(len(errors) + 1, to)
            try:
                await transport.send(SENDER, [to], raw, mid)
            except DeliveryError as exc:
                errors.append(exc)
        await transport.close()

    asyncio.run(scenario())
    assert [(e.permanent, e.code) for e in errors] == [(True, 550), (False, 451)]
    assert "nobody@example.jp" in str(errors[0])
    assert [r[1] for r in handler.received] == [["bank@example.jp"]]  # the connection survived refusals
    assert len(handler.peers) == 1


def test_a_dropped_connection_is_replaced() -> None:
    handler = Recorder()
    controller = LoopbackController(handler, timeout=0.3)  # the server closes idle connections
    controller.start()
    try:
        transport = SmtpTransport("127.0.0.1", controller.port, timeout=5)

        async def scenario() -> None:
            first, second = message(1), message(2)
            await transport.send(SENDER, ["bank@example.jp"], first[1], first[0])
            await asyncio.sleep(0.8)
            await transport.send(SENDER, ["bank@example.jp"], second[1], second[0])
            await transport.close()

        asyncio.run(scenario())
    finally:
        controller.stop()
    assert len(handler.received) == 2
    assert len(handler.peers) == 2


class NoopCounter(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.noops = 0

    async def handle_NOOP(self, server: Any, session: Any, envelope: Any, arg: str) -> str:
        self.noops += 1
        return "250 OK"


def test_back_to_back_sends_skip_the_noop_an_idle_connection_gets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smtp_transport, "CHECK_AFTER_IDLE_S", 0.3)
    handler = NoopCounter()
    controller = LoopbackController(handler)
    controller.start()
    try:
        transport = SmtpTransport("127.0.0.1", controller.port, timeout=5)

        async def scenario() -> list[int]:
            noops = []
            for n in range(1, 4):  # one after another: no NOOP
                await transport.send(SENDER, ["bank@example.jp"], message(n)[1], message(n)[0])
            noops.append(handler.noops)
            await asyncio.sleep(0.6)  # idle longer than CHECK_AFTER_IDLE_S: checked once
            await transport.send(SENDER, ["bank@example.jp"], message(4)[1], message(4)[0])
            noops.append(handler.noops)
            await transport.close()
            return noops

        assert asyncio.run(scenario()) == [0, 1]
    finally:
        controller.stop()
    assert len(handler.received) == 4
    assert len(handler.peers) == 1


def test_unreachable_server_is_temporary() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(DeliveryError) as caught:
            send_all(SmtpTransport("127.0.0.1", port, timeout=2), [message(1)])
    assert caught.value.permanent is False


def test_starttls_and_auth(certificate: Certificate) -> None:
    handler = Recorder()
    controller = LoopbackController(
        handler,
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
        auth_required=True,
    )
    controller.start()
    try:
        good = SmtpTransport(
            "127.0.0.1",
            controller.port,
            username=USER,
            password=PASSWORD,
            starttls=True,
            tls_context=certificate.client_context(),
            timeout=5,
        )
        send_all(good, [message(1), message(2)])
        assert [(r[2], r[3]) for r in handler.received] == [(message(1)[1], True), (message(2)[1], True)]
        assert len(handler.peers) == 1

        wrong = SmtpTransport(
            "127.0.0.1",
            controller.port,
            username=USER,
            password="wrong",
            starttls=True,
            tls_context=certificate.client_context(),
            timeout=5,
        )
        with pytest.raises(DeliveryError) as refused:
            send_all(wrong, [message(3)])
        assert refused.value.permanent is True and refused.value.code == 535
        assert "wrong" not in str(refused.value) and "wrong" not in repr(wrong)

        untrusted = SmtpTransport(  # the self-signed certificate is not in the system store
            "127.0.0.1", controller.port, username=USER, password=PASSWORD, starttls=True, timeout=5
        )
        with pytest.raises(DeliveryError) as unverified:
            send_all(untrusted, [message(4)])
        assert unverified.value.permanent is False
        assert len(handler.received) == 2
    finally:
        controller.stop()


def test_implicit_tls(certificate: Certificate) -> None:
    handler = Recorder()
    controller = LoopbackController(handler, ssl_context=certificate.server_context())
    controller.start()
    try:
        send_all(
            SmtpTransport(
                "127.0.0.1",
                controller.port,
                use_tls=True,
                tls_context=certificate.client_context(),
                timeout=5,
            ),
            [message(1)],
        )
    finally:
        controller.stop()
    assert [r[2] for r in handler.received] == [message(1)[1]]
