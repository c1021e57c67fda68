"""The chunked DATA reader answers and stores exactly what aiosmtpd's own line reader does.

Both servers run on loopback and get the same raw SMTP session, written in fragments that split
lines, dots and the final ``CRLF.CRLF`` anywhere; the replies and the stored contents must match.
"""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.intake.smtp_data import ChunkedDataSMTP
from tests.support.ports import free_port

LIMIT = 4096


class Recorder:
    def __init__(self) -> None:
        self.contents: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        self.contents.append(envelope.original_content)
        return "250 OK stored"


class _Chunked(Controller):
    def factory(self) -> SMTP:
        return ChunkedDataSMTP(self.handler, **self.SMTP_kwargs)


@pytest.fixture(scope="module")
def servers() -> Iterator[list[tuple[Controller, Recorder]]]:
    pairs = []
    for cls in (Controller, _Chunked):
        rec = Recorder()
        c = cls(rec, hostname="127.0.0.1", port=free_port(), data_size_limit=LIMIT)
        c.start()
        pairs.append((c, rec))
    yield pairs
    for c, _ in pairs:
        c.stop()


def _session(port: int, fragments: list[bytes]) -> bytes:
    """Write the fragments one by one (a pause between them), QUIT, and return all the server said."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        for fragment in fragments:
            s.sendall(fragment)
            time.sleep(0.002)
        s.sendall(b"QUIT\r\n")
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


def _replies(raw: bytes) -> list[bytes]:
    """The server's reply lines without the greeting and the EHLO banner (they name the host)."""
    return [line for line in raw.split(b"\r\n")[1:] if not line.startswith(b"250-")]


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points) if b > a]


def _same(servers: list[tuple[Controller, Recorder]], session: bytes, cuts: list[int]) -> list[bytes]:
    results = []
    for controller, rec in servers:
        rec.contents.clear()
        replies = _replies(_session(controller.port, _split(session, cuts)))
        results.append((replies, list(rec.contents)))
    assert results[0] == results[1]
    return results[1][1]


def _mail(content: bytes) -> bytes:
    return (
        b"EHLO bank.example.jp\r\nMAIL FROM:<a@bank.example.jp>\r\nRCPT TO:<m@example.jp>\r\nDATA\r\n"
        + content
    )


LINE = st.one_of(
    st.sampled_from([b"", b".", b"..", b".x", b"x.", b"a.b", b"...", b"Subject: x", b"\tfolded"]),
    st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINE, max_size=30), cuts=st.lists(st.integers(min_value=0), max_size=8))
def test_any_content_in_any_fragments_is_read_the_same(
    servers: list[tuple[Controller, Recorder]], lines: list[bytes], cuts: list[int]
) -> None:
    stuffed = b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)
    [content] = _same(servers, _mail(stuffed + b".\r\n"), cuts)
    assert content == b"".join(line + b"\r\n" for line in lines)  # the dots the client added are gone


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b".\r\n", id="empty"),
        pytest.param(b"..\r\n.\r\n", id="a lone dot, stuffed"),
        pytest.param(b"a.\r\nb.\r\n\r\n.\r\n", id="lines ending in a dot"),
        pytest.param((b"y" * 70 + b"\r\n") * 80 + b".\r\n", id="too much data"),
        pytest.param(b"x\r\n.\r\nRSET\r\nNOOP\r\n", id="commands pipelined after the dot"),
        pytest.param(b"a\r\n.\r\n" + _mail(b"b\r\n.\r\n")[22:], id="two mails, one session"),
        pytest.param(b"a\rb\nc\r\n.\r\n", id="bare CR and LF"),
    ],
)
def test_edge_cases_read_the_same(servers: list[tuple[Controller, Recorder]], data: bytes) -> None:
    for cuts in ([], [len(_mail(b"")) + k for k in range(0, len(data), 3)]):
        _same(servers, _mail(data), cuts)


def test_a_line_over_1000_bytes_is_accepted_where_aiosmtpd_refuses_it(
    servers: list[tuple[Controller, Recorder]],
) -> None:
    line = b"x" * 1500 + b"\r\n"
    servers[1][1].contents.clear()
    stock, chunked = (_replies(_session(c.port, [_mail(line + b".\r\n")])) for c, _ in servers)
    assert stock[4].startswith(b"500 ") and chunked[4] == b"250 OK stored"  # after EHLO, MAIL, RCPT, DATA
    assert servers[1][1].contents == [line]


def test_a_large_mail_is_read_whole(servers: list[tuple[Controller, Recorder]]) -> None:
    body = b"".join(b"%05d " % i + b"Q" * 60 + b"\r\n" for i in range(50))
    [content] = _same(servers, _mail(body + b".\r\n"), list(range(0, 4000, 997)))
    assert content == body
