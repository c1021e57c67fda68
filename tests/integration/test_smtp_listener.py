"""The SMTP listener on loopback, driven by aiosmtplib: 250 means the exact bytes are in spool/new."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller

from forms.intake.smtp import start_smtp_listener
from forms.intake.spool import Spool

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
MAILROOM = "mailroom@example.jp"
SENDER = "kaigai@bank.example.co.jp"
LIMIT = 512 * 1024


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool")


@pytest.fixture
def listener(spool: Spool) -> Iterator[Controller]:
    controller = start_smtp_listener(
        spool, host="127.0.0.1", port=0, mailroom_addresses=[MAILROOM, "Intake@Example.jp"], max_bytes=LIMIT
    )
    yield controller
    controller.stop()


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


async def _send(port: int, data: bytes, recipients: list[str]) -> tuple[int, str]:
    """One message by the low-level commands (no SIZE declared): the server's answer to DATA."""
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10, local_hostname="bank.example.co.jp")
    async with client:
        await client.mail(SENDER)
        for rcpt in recipients:
            await client.rcpt(rcpt)
        try:
            response = await client.data(data)
        except aiosmtplib.SMTPDataError as exc:
            return exc.code, exc.message
        return response.code, response.message


def test_250_only_once_the_exact_bytes_are_in_spool_new(listener: Controller, spool: Spool) -> None:
    data = _crlf((SAMPLES / "jetro-bank.eml").read_bytes()) + b".a line that starts with a dot\r\n"
    code, message = asyncio.run(_send(listener.port, data, [MAILROOM]))
    assert code == 250
    spool_id = message.removeprefix("OK queued as ")
    assert (spool.new / spool_id).read_bytes() == data  # already there when 250 came back
    [entry] = spool.entries()
    assert entry.spool_id == spool_id
    assert entry.channel == "smtp"
    assert entry.meta["mail_from"] == SENDER
    assert entry.meta["rcpt_to"] == MAILROOM
    assert entry.meta["peer"].startswith("127.0.0.1:")
    assert entry.meta["helo"] == "bank.example.co.jp"


def test_recipients_are_matched_without_case(listener: Controller, spool: Spool) -> None:
    code, _ = asyncio.run(_send(listener.port, b"Subject: x\r\n\r\nx\r\n", ["intake@EXAMPLE.jp"]))
    assert code == 250
    assert len(spool.entries()) == 1


def test_a_foreign_recipient_gets_550(listener: Controller, spool: Spool) -> None:
    async def send() -> None:
        await aiosmtplib.send(
            b"Subject: x\r\n\r\nx\r\n",
            sender=SENDER,
            recipients=["someone@elsewhere.example.jp"],
            hostname="127.0.0.1",
            port=listener.port,
        )

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        asyncio.run(send())
    assert refused.value.recipients[0].code == 550
    assert spool.entries() == []


def test_oversize_with_declared_size_gets_552_and_nothing_spooled(listener: Controller, spool: Spool) -> None:
    big = b"Subject: big\r\n\r\n" + b"x" * 998 + b"\r\n"

    async def send() -> None:
        await aiosmtplib.send(
            big * 600, sender=SENDER, recipients=[MAILROOM], hostname="127.0.0.1", port=listener.port
        )

    with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
        asyncio.run(send())
    assert refused.value.code == 552
    assert spool.entries() == []


def test_oversize_data_gets_552_too_much_mail_data(listener: Controller, spool: Spool) -> None:
    big = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 600
    code, message = asyncio.run(_send(listener.port, big, [MAILROOM]))
    assert (code, message) == (552, "Error: Too much mail data")
    assert spool.entries() == []
    assert list(spool.tmp.iterdir()) == []


def test_a_spool_that_cannot_store_answers_451_never_250(listener: Controller, spool: Spool) -> None:
    spool.tmp.rmdir()
    spool.tmp.write_bytes(b"a file where the spool's tmp/ folder should be")
    code, _ = asyncio.run(_send(listener.port, b"Subject: x\r\n\r\nx\r\n", [MAILROOM]))
    assert code == 451
    assert list(spool.new.iterdir()) == []


def test_port_zero_binds_a_free_port_and_stop_frees_it(spool: Spool) -> None:
    controller = start_smtp_listener(
        spool, host="127.0.0.1", port=0, mailroom_addresses=[MAILROOM], max_bytes=LIMIT
    )
    port = controller.port
    assert port > 0
    controller.stop()
    again = start_smtp_listener(
        spool, host="127.0.0.1", port=port, mailroom_addresses=[MAILROOM], max_bytes=LIMIT
    )
    again.stop()


def test_pipelined_commands_are_answered_without_waiting_for_acks(listener: Controller) -> None:
    """A client that pipelines its envelope gets each reply at once. With TCP_NODELAY off on the
    listener's connections, the kernel held the second small reply until the client acknowledged
    the first, ~40 ms later: 20 pipelined envelopes took ~0.8 s instead of milliseconds."""

    async def pipeline() -> tuple[list[float], list[bytes]]:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        await reader.readline()  # 220
        writer.write(b"HELO bank.example.co.jp\r\n")
        await reader.readline()
        clock, waits, replies = asyncio.get_running_loop().time, [], []
        for _ in range(20):
            writer.write(b"MAIL FROM:<kaigai@bank.example.co.jp>\r\nRSET\r\n")
            replies.append(await reader.readline())
            sent_first = clock()
            replies.append(await reader.readline())
            waits.append(clock() - sent_first)
        writer.close()
        return waits, replies

    waits, replies = asyncio.run(pipeline())
    assert all(r.startswith(b"250") for r in replies), replies
    # Held back, every second reply waits for the delayed ACK (≥ 40 ms); a busy machine delays a few.
    held = [w for w in waits if w >= 0.035]
    assert len(held) < 10, f"{len(held)} of 20 second replies waited ≥ 35 ms: replies held back (Nagle)"
