"""The parts of ``bench/mailroom.py``'s steady load: the mails, the banks' connections, the agency's sink.

    .venv/bin/python bench/mailroom.py [--rate 10] [--seconds 60] [--only steady]

Mails arrive at a steady rate — 45 % fillable, 45 % flattened, 10 % scanned 様式1 (the shared samples,
each sent with its own Message-ID and sender, so none is a duplicate) — over a few SMTP connections, as
a bank's mail server keeps several. Each mail's clock starts at the 250 that answers its DATA (the
listener has spooled it) and stops when the agency's server (an aiosmtpd sink on loopback) has received
its forward; the sink only stamps what arrives, and after the run each forward is matched to its mail by
the decision.json it carries (its ``source`` is the mail's Message-ID). Printed per shape: p50, p95 and
the worst, in milliseconds (``latency_ms``). Goal: fillable and flattened p95 ≤ 1,000 ms, scanned p95 ≤
6,000 ms.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from forms.store import Store

#: The shapes in the proportions of the load, one sample mail each.
SHAPES = {"fillable": "jetro-bank.eml", "flattened": "scb-shinkin.eml", "scanned": "kosha-scanned.eml"}
#: One round of twenty mails: nine fillable, nine flattened, two scanned (45 %, 45 %, 10 %), spread out.
ROUND = ("fillable", "flattened") * 4 + ("scanned",) + ("fillable", "flattened") * 5 + ("scanned",)
CONNECTIONS = 4
_FROM = re.compile(rb"<([a-z.]+)@([a-z.-]+\.example\.jp)>\r\nTo:")
_MESSAGE_ID = re.compile(rb"Message-ID: <[^>]+>")
_DECISION = re.compile(rb'name="?decision\.json"?.*?\r\n\r\n(.*?)\r\n--', re.S)


@dataclass(frozen=True)
class Mail:
    shape: str
    message_id: str
    data: bytes  # as DATA carries it (CRLF, dots doubled, the final dot)


def make_load(samples: Path, count: int, tag: str, as_data: Callable[[bytes], bytes]) -> list[Mail]:
    """``count`` mails in the proportions of ROUND, each with its own Message-ID and sender, as DATA
    carries them (``as_data``)."""
    raw = {shape: (samples / name).read_bytes() for shape, name in SHAPES.items()}
    out = []
    for i in range(count):
        shape = ROUND[i % len(ROUND)]
        mid = f"{tag}-{i}@bank{i}.example.jp"
        mail = _MESSAGE_ID.sub(f"Message-ID: <{mid}>".encode(), raw[shape], count=1)
        mail = _FROM.sub(f"<{tag}{i}@bank{i}.example.jp>\r\nTo:".encode(), mail, count=1)
        out.append(Mail(shape, f"<{mid}>", as_data(mail)))
    return out


@dataclass
class Arrivals:
    """The sink's side: the time each forward arrived (parsed after the run), receipts counted."""

    forwards: list[tuple[float, bytes]] = field(default_factory=list)
    others: int = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        at = time.time()
        rcpts = getattr(envelope, "rcpt_tos", [])
        if any(r.endswith("@agency.example.jp") for r in rcpts):
            self.forwards.append((at, bytes(getattr(envelope, "original_content", b""))))
        else:
            self.others += 1
        return "250 OK"

    def by_source(self) -> dict[str, float]:
        """Message-ID of the forwarded mail → when its forward arrived."""
        out: dict[str, float] = {}
        for at, raw in self.forwards:
            source = forwarded_source(raw)
            if source is not None:
                out.setdefault(source, at)
        return out


def forwarded_source(raw: bytes) -> str | None:
    """The ``source`` of the decision.json a forward carries (base64 or as is)."""
    found = _DECISION.search(raw)
    if found is None:
        return None
    body = found.group(1)
    try:  # base64 (as our forwards carry it), else as it is
        text = base64.b64decode(b"".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        text = body
    try:
        return str(json.loads(text.decode("utf-8"))["source"])
    except (ValueError, KeyError, UnicodeDecodeError):
        return None


async def _reply(reader: asyncio.StreamReader, want: bytes) -> None:
    while True:
        line = await reader.readline()
        if line[:3] != want:
            raise SystemExit(f"the mailroom answered {line!r}, expected {want.decode()}")
        if line[3:4] != b"-":
            return


class Connection:
    """One SMTP connection of the banks' side; ``send`` returns the time of the 250 after DATA."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await _reply(reader, b"220")
        writer.write(b"EHLO bank.example.jp\r\n")
        await _reply(reader, b"250")
        return cls(reader, writer)

    async def send(self, data: bytes) -> float:
        self.writer.write(b"MAIL FROM:<officer@bank.example.jp>\r\nRCPT TO:<mailroom@example.jp>\r\nDATA\r\n")
        for code in (b"250", b"250", b"354"):
            await _reply(self.reader, code)
        self.writer.write(data)
        await _reply(self.reader, b"250")
        return time.time()

    async def close(self) -> None:
        self.writer.write(b"QUIT\r\n")
        await _reply(self.reader, b"221")
        self.writer.close()
        await self.writer.wait_closed()


async def push_steadily(mails: Sequence[Mail], port: int, rate: float) -> tuple[dict[str, float], float]:
    """Send mail i at start + i / rate on the first free connection; returns (Message-ID → time of its
    250, how late the pusher fell behind the schedule at worst, seconds)."""
    free: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(CONNECTIONS):
        free.put_nowait(await Connection.open(port))
    accepted: dict[str, float] = {}
    lag = 0.0
    start = time.time()

    async def one(mail: Mail) -> None:
        conn = await free.get()
        try:
            accepted[mail.message_id] = await conn.send(mail.data)
        finally:
            free.put_nowait(conn)

    tasks = []
    for i, mail in enumerate(mails):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.time()))
        lag = max(lag, time.time() - due)
        tasks.append(asyncio.create_task(one(mail)))
    await asyncio.gather(*tasks)
    while not free.empty():
        await free.get_nowait().close()
    return accepted, lag


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50, p95 and the worst of ``values`` (seconds) in milliseconds."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    ms = {"p50": statistics.median(ordered), "p95": p95, "max": ordered[-1]}
    return {k: round(1000 * v, 1) for k, v in ms.items()}


def latency_ms(
    mails: Sequence[Mail], accepted: dict[str, float], arrived: dict[str, float]
) -> dict[str, dict[str, float]]:
    """Per shape: the percentiles of (forward arrived − 250) over the mails whose forward arrived."""
    out = {}
    for shape in SHAPES:
        waits = [arrived[m.message_id] - accepted[m.message_id] for m in mails
                 if m.shape == shape and m.message_id in arrived and m.message_id in accepted]  # fmt: skip
        if waits:
            out[shape] = percentiles(waits)
    return out


def stages(store_url: str, mails: Sequence[Mail], accepted: dict[str, float]) -> dict[str, dict[str, float]]:
    """Where each shape's time went, from the store (p50 and p95, ms): the 250 → stored by the ingester
    (``ingest``), → decided (``decide``: waiting for a decider, and deciding), → the forward handed
    to the agency's server (``send``). Clocks: the store's (UTC) and this machine's, the same here."""
    shape_of = {m.message_id: m.shape for m in mails}
    spans: dict[str, dict[str, list[float]]] = {s: {"ingest": [], "decide": [], "send": []} for s in SHAPES}
    with Store.open(store_url) as store:
        sent = {o.intake_id: o.sent_at for o in store.outbox.items() if o.kind == "agency_forward"}
        for row in store.intakes.latest(limit=100_000):
            source = str((row.decision or {}).get("source"))
            if source not in shape_of or source not in accepted or row.decided_at is None:
                continue
            done = sent.get(row.id)
            steps = spans[shape_of[source]]
            steps["ingest"].append(row.created_at.timestamp() - accepted[source])
            steps["decide"].append((row.decided_at - row.created_at).total_seconds())
            if done is not None:
                steps["send"].append((done - row.decided_at).total_seconds())
    out: dict[str, dict[str, float]] = {}
    for shape, steps in spans.items():
        out[shape] = {}
        for step, values in steps.items():
            found = percentiles(values) if values else {}
            out[shape].update({f"{step}_{k}": v for k, v in found.items() if k != "max"})
    return out
