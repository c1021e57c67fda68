"""Mailroom throughput: mails pushed through the SMTP listener until the agency sink has them all.

    .venv/bin/python bench/mailroom.py [--mails 1000]

A real `forms serve` runs as its own process (SMTP listener on loopback, deciders with their readers, the
store in SQLite WAL, SMTP out). This script pushes N sample mails (fillable and flattened 様式1 in
turn, each from another bank officer) over one SMTP connection and waits until the agency sink on
loopback has received every forward and every receipt. The clock starts after a few warm-up mails
have gone through (the core's measurement starts warm too). In the same run, before and after, it
measures the bare intake core (the Pipeline deciding the same mail bytes, both reader processes
busy) and prints the ratio to the mean of the two, with the CPU time the hypervisor gave to other
guests meanwhile (steal), which tells a noisy run.
Goal: at least 0.8 of the core's rate. It also prints where the CPU went, per mail, for each part
(serve: listener, spool, store, sender; deciders; readers; this script's pusher and sink), from
/proc, and how much CPU per mail the goal allows with every core busy.

Between the two, it measures the mailroom's ceiling: the same deciders on the same mails, already
received and stored, with nothing else running (no SMTP in, nothing sent, no pusher, no sink).
Receiving, spooling and sending can only add to what they use. The last line is one JSON object of
the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiosmtpd.controller import Controller

from cpu_use import Steal, cpu_per_mail, cpu_seconds, process_tree, processes_under
from forms.config import load_settings
from forms.intake.smtp_data import ChunkedDataSMTP
from forms.mailroom.worker import Mailroom
from forms.pipeline import Pipeline
from steady_load import Arrivals, latency_ms, make_load, push_steadily, stages

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"
FORMS = Path(sys.executable).with_name("forms")
#: Mails pushed through `forms serve` before the clock starts (the core warms up on a few too).
WARM_UP = 8
INBOXES = "jetro=jetro@agency.example.jp,scb=scb@agency.example.jp,kosha=kosha@agency.example.jp"


def make_mails(n: int, tag: str = "bench") -> list[bytes]:
    """N distinct mails: the fillable and the flattened sample in turn, new Message-ID and sender each."""
    bases = [(SAMPLES / "jetro-bank.eml").read_bytes(), (SAMPLES / "scb-shinkin.eml").read_bytes()]
    out = []
    for i in range(n):
        base = bases[i % 2]
        mail = re.sub(rb"Message-ID: <[^>]+>", f"Message-ID: <{tag}-{i}@bank.example.jp>".encode(), base)
        mail = re.sub(
            rb"<([a-z.]+)@([a-z.-]+\.example\.jp)>\r\nTo:",
            f"<{tag}{i}@bank.example.jp>\r\nTo:".encode(),
            mail,
        )
        out.append(mail)
    return out


class Sink:
    """The agencies' and banks' side: counts messages as they arrive.

    The agencies' and the banks' mail servers are compiled programs on other machines; here they
    share our two cores, so both ends of the bench take as little of the machine as they can: the
    sink reads DATA in C-level chunks (``ChunkedDataSMTP``), the pusher prepares DATA beforehand.
    """

    def __init__(self) -> None:
        self.count = 0
        self.done = threading.Event()
        self.expected = 0

    def expect(self, more: int) -> None:
        """Wait (``done``) for ``more`` messages beyond those already counted."""
        self.done.clear()
        self.expected = self.count + more

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.count += 1
        if self.count >= self.expected:
            self.done.set()
        return "250 OK"


class SinkController(Controller):
    def factory(self) -> ChunkedDataSMTP:
        return ChunkedDataSMTP(self.handler, **self.SMTP_kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def core_rate(mails: list[bytes], home: Path) -> float:
    """Mails per second through the bare intake core on the same bytes (both reader processes busy)."""
    settings = load_settings(env={"FORMS_HOME": str(home)})
    with Pipeline(settings) as pipe, ThreadPoolExecutor(settings.worker_count) as ex:
        list(ex.map(lambda m: pipe.decide_bytes(m, source="warm"), make_mails(WARM_UP, tag="warm")))
        t0 = time.perf_counter()
        decisions = list(ex.map(lambda m: pipe.decide_bytes(m, source="bench"), mails))
        elapsed = time.perf_counter() - t0
    assert all(d.status == "routed" for d in decisions), {d.status for d in decisions}
    return len(mails) / elapsed


def as_data(mail: bytes) -> bytes:
    """A mail as the DATA section carries it: CRLF line ends, leading dots doubled, the final dot."""
    crlf = mail.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return re.sub(rb"(?m)^\.", b"..", crlf) + (b"" if crlf.endswith(b"\r\n") else b"\r\n") + b".\r\n"


async def _reply(reader: asyncio.StreamReader, want: bytes) -> None:
    """Read one (possibly multi-line) SMTP reply; stop the bench unless its code is ``want``."""
    while True:
        line = await reader.readline()
        if line[:3] != want:
            raise SystemExit(f"the mailroom answered {line!r}, expected {want.decode()}")
        if line[3:4] != b"-":
            return


async def push(payloads: list[bytes], port: int) -> None:
    """The banks' side: one SMTP connection, the envelope pipelined, DATA prepared beforehand
    (``as_data``). A bank's mail server is a compiled program on another machine; here it shares
    the mailroom's two cores, so it does as little as SMTP allows."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await _reply(reader, b"220")
    writer.write(b"EHLO bank.example.jp\r\n")
    await _reply(reader, b"250")
    envelope = b"MAIL FROM:<officer@bank.example.jp>\r\nRCPT TO:<mailroom@example.jp>\r\nDATA\r\n"
    for data in payloads:
        writer.write(envelope)
        for code in (b"250", b"250", b"354"):
            await _reply(reader, code)
        writer.write(data)
        await _reply(reader, b"250")
    writer.write(b"QUIT\r\n")
    await _reply(reader, b"221")
    writer.close()
    await writer.wait_closed()


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("forms serve exited early")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("forms serve did not start listening")


@contextlib.contextmanager
def running_serve(home: Path, handler: object) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A real `forms serve` (its SMTP listener on a free loopback port) sending to a sink on loopback
    whose aiosmtpd handler is ``handler``; yields the process and the listener's port."""
    controller = SinkController(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    listen = free_port()
    env = {
        **os.environ,
        "FORMS_HOME": str(home),
        "FORMS_SMTP_LISTEN": f"127.0.0.1:{listen}",
        "FORMS_TRANSPORT": "smtp",
        "FORMS_SMTP_HOST": "127.0.0.1",
        "FORMS_SMTP_PORT": str(controller.port),
        "FORMS_SMTP_SECURITY": "none",
        "FORMS_AGENCY_INBOXES": INBOXES,
        "FORMS_MAILDIR": str(home / "mailroom"),
        "FORMS_POLL_INTERVAL_S": "0.2",
        "FORMS_LISTEN_PER_IP_PER_MINUTE": "0",  # the banks' side is one address here
    }
    serve = subprocess.Popen([str(FORMS), "serve"], env=env, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(listen, serve)
        yield serve, listen
    finally:
        serve.terminate()
        serve.wait(timeout=60)
        controller.stop()


def mailroom_rate(mails: list[bytes], home: Path) -> tuple[float, float, dict[str, float]]:
    """(mails per second end to end, seconds, CPU ms per mail by role) through a real `forms serve`.

    Like the core's measurement, this one starts warm: a few other mails go through first, so the
    deciders and readers `forms serve` starts are up before the clock starts."""
    sink = Sink()
    payloads = [as_data(m) for m in mails]
    with running_serve(home, sink) as (serve, listen):
        sink.expect(2 * WARM_UP)  # a forward to the agency and a receipt to the bank for each
        asyncio.run(push([as_data(m) for m in make_mails(WARM_UP, tag="warm")], listen))
        if not sink.done.wait(timeout=300):
            raise SystemExit(f"only {sink.count} of {sink.expected} warm-up messages arrived")
        sink.expect(2 * len(mails))
        before = {pid: cpu_seconds(pid) for pid in process_tree(serve.pid)}
        own = time.process_time()
        t0 = time.perf_counter()
        asyncio.run(push(payloads, listen))
        if not sink.done.wait(timeout=1800):
            raise SystemExit(f"only {sink.count} of {sink.expected} messages arrived")
        elapsed = time.perf_counter() - t0
        cpu = cpu_per_mail([serve.pid], before, len(mails))
        cpu["bench pusher and sink"] = round(1000 * (time.process_time() - own) / len(mails), 1)
    return len(mails) / elapsed, elapsed, cpu


def _wait_for(arrivals: Arrivals, count: int, timeout: float, serve: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while len(arrivals.forwards) < count:
        if time.monotonic() > deadline or serve.poll() is not None:
            raise SystemExit(f"only {len(arrivals.forwards)} of {count} forwards arrived")
        time.sleep(0.05)


def steady_latency(rate: float, seconds: float, home: Path) -> dict[str, object]:
    """A steady load (``rate`` mails a second for ``seconds``) through a real `forms serve`: per shape,
    the time from the listener's 250 to the agency's server receiving the forward (steady_load)."""
    arrivals = Arrivals()
    mails = make_load(SAMPLES, round(rate * seconds), "steady", as_data)
    with running_serve(home, arrivals) as (serve, listen):
        warm = make_load(SAMPLES, 40, "warm", as_data)  # four scans: every reader has its OCR model
        asyncio.run(push_steadily(warm, listen, rate))
        _wait_for(arrivals, len(warm), 600, serve)
        arrivals.forwards.clear()
        before = {pid: cpu_seconds(pid) for pid in process_tree(serve.pid)}
        accepted, lag = asyncio.run(push_steadily(mails, listen, rate))
        _wait_for(arrivals, len(mails), 120 + 10 * seconds, serve)
        cpu = cpu_per_mail([serve.pid], before, len(mails))
    arrived = arrivals.by_source()
    first, last = min(accepted.values()), max(arrived[m.message_id] for m in mails)
    where = stages(f"sqlite:///{home / 'forms.db'}", mails, accepted)
    return {
        "offered_per_s": rate,
        "mails": len(mails),
        "forwarded_per_s": round(len(mails) / (last - first), 2),
        "pusher_lag_ms": round(1000 * lag, 1),
        "latency_ms": latency_ms(mails, accepted, arrived),
        "cpu_ms_per_mail": cpu,
        "stages_ms": where,
    }


def deciders_only_rate(mails: list[bytes], home: Path) -> tuple[float, dict[str, float]]:
    """The ceiling for the mailroom: (mails per second, CPU ms per mail by role) of the same `forms
    work` deciders, as many as `forms serve` starts, on the same mails already received and stored,
    with nothing else running: no SMTP in, no spool, nothing sent, no pusher, no sink. Whatever the
    rest of the mailroom costs comes on top of this."""
    env = {**os.environ, "FORMS_HOME": str(home), "FORMS_AGENCY_INBOXES": INBOXES}
    settings = load_settings(env=env)
    room = Mailroom.open(settings)
    total = WARM_UP + len(mails)

    def decided() -> int:
        return room.store.counts().get("intakes.decided", 0)

    try:
        for mail in [*make_mails(WARM_UP, tag="warm"), *mails]:
            room.spool.put(mail, channel="smtp")
        room.ingest()
        # started as `forms serve` starts them (forms.mailroom.serve.deciders), with this run's home
        cmd = [sys.executable, "-m", "forms.cli.main", "work"]
        work_env = {**env, "FORMS_WORKERS": "1"}
        procs = [subprocess.Popen(cmd, env=work_env) for _ in range(settings.decider_count)]
        try:
            while decided() < WARM_UP:
                time.sleep(0.05)
            roots = [p.pid for p in procs]
            before = {pid: cpu_seconds(pid) for pid in processes_under(roots)}
            start, t0 = decided(), time.perf_counter()
            while decided() < total:
                if any(p.poll() is not None for p in procs):
                    raise SystemExit("a decider exited early")
                time.sleep(0.02)
            elapsed = time.perf_counter() - t0
            cpu = cpu_per_mail(roots, before, total - start)
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=30)
    finally:
        room.close()
    return (total - start) / elapsed, cpu


def throughput(count: int, tmp: Path) -> dict[str, object]:
    """The throughput figures (mails_per_s, vs_core, CPU, ceiling, steal) of ``count`` mails."""
    mails = make_mails(count)
    # the core before and after the mailroom, so that a machine slowing down or speeding up during
    # the run weighs on both sides of the ratio alike
    with Steal() as steal_core:
        before = core_rate(mails, tmp / "core-before")
    with Steal() as steal_mailroom:
        rate, seconds, cpu = mailroom_rate(mails, tmp / "serve")
    with Steal() as steal_ceiling:
        ceiling, ceiling_cpu = deciders_only_rate(mails, tmp / "deciders-only")
    with Steal() as steal_after:
        after = core_rate(mails, tmp / "core-after")
    core = (before + after) / 2
    print(
        f"mailroom {rate:.1f} mails/s end to end ({count} mails, {seconds:.1f} s); bare intake core "
        f"{core:.1f} mails/s (before {before:.1f}, after {after:.1f}); ratio {rate / core:.2f}"
    )
    print("CPU per mail (ms): " + ", ".join(f"{role} {ms}" for role, ms in cpu.items()))
    print(
        f"ceiling: the deciders alone on the same mails already stored, nothing received or sent: "
        f"{ceiling:.1f} mails/s = {ceiling / core:.2f} of the core; CPU per mail (ms): "
        + ", ".join(f"{role} {ms}" for role, ms in ceiling_cpu.items())
    )
    steal = {
        "core": round((steal_core.percent + steal_after.percent) / 2, 1),
        "mailroom": steal_mailroom.percent,
        "deciders_only": steal_ceiling.percent,
    }
    print(f"CPU taken by other guests of the machine (steal): {steal}")
    return {
        "mails": count,
        "mails_per_s": round(rate, 1),
        "core_mails_per_s": round(core, 1),
        "core_before_after": [round(before, 1), round(after, 1)],
        "vs_core": round(rate / core, 3),
        "seconds": round(seconds, 1),
        "cpu_ms_per_mail": cpu,
        "deciders_only": {"mails_per_s": round(ceiling, 1), "vs_core": round(ceiling / core, 3),
                          "cpu_ms_per_mail": ceiling_cpu},
        "steal_percent": steal,
    }  # fmt: skip


def steady(rate: float, seconds: float, tmp: Path) -> dict[str, object]:
    with Steal() as stolen:
        found = steady_latency(rate, seconds, tmp / "steady")
    found["steal_percent"] = stolen.percent
    goals = {"fillable": 1000, "flattened": 1000, "scanned": 6000}
    print(
        f"steady load: {found['mails']} mails at {rate:g}/s (45 % fillable, 45 % flattened, 10 % "
        f"scanned), forwarded at {found['forwarded_per_s']}/s; from the 250 to the agency's server (ms):"
    )
    for shape, ms in found["latency_ms"].items():  # type: ignore[attr-defined]
        print(f"  {shape:10} p50 {ms['p50']:8.0f}  p95 {ms['p95']:8.0f}  max {ms['max']:8.0f}"
              f"  (goal p95 ≤ {goals[shape]:,})")  # fmt: skip
    print(f"  where it went (ms): {found['stages_ms']}")
    print(f"  CPU per mail (ms): {found['cpu_ms_per_mail']}; steal {stolen.percent} %")
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mails", type=int, default=1000, help="mails of the throughput run")
    ap.add_argument("--rate", type=float, default=10.0, help="mails a second of the steady load")
    ap.add_argument("--seconds", type=float, default=60.0, help="how long the steady load lasts")
    ap.add_argument("--only", choices=("throughput", "steady"), help="run one of the two (default both)")
    args = ap.parse_args()
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "steady":
            figures.update(throughput(args.mails, Path(tmp)))
        if args.only != "throughput":
            found = steady(args.rate, args.seconds, Path(tmp))
            figures["latency_ms"] = found.pop("latency_ms")
            figures["steady"] = found
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
