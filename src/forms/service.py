"""`forms serve`: the mailroom running all day — listeners feed the spool, workers drain it.

    SMTP listener (aiosmtpd) ─┐
    Maildir watcher          ─┼─▶ spool ─▶ Mailroom: ingest → decide (worker threads) → deliver
    IMAP poller (IDLE)       ─┘

Receiving only stores durably; deciding and sending happen in the loop below, which wakes every
``poll_interval_s`` (or at once after a stop request) and never loses what it has not finished: a
restart picks up from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from forms.config import Settings
from forms.console import create_app
from forms.intake.imap import FileSeenKeys, ImapConfig, ImapPoller
from forms.intake.maildir import MaildirWatcher, ensure_maildir
from forms.intake.smtp import start_smtp_listener
from forms.mailroom import Mailroom
from forms.review import Review

log = logging.getLogger(__name__)


def split_host_port(text: str, default_port: int = 2525) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return (host or "127.0.0.1", int(port)) if port.isdigit() else (text or "127.0.0.1", default_port)


@contextlib.contextmanager
def listeners(settings: Settings, room: Mailroom, stop: threading.Event) -> Iterator[list[str]]:
    """Start the configured ways in; yields a description of each; stops them on exit."""
    started: list[str] = []
    threads: list[threading.Thread] = []
    controller = None
    if settings.smtp_listen:
        host, port = split_host_port(settings.smtp_listen)
        accept = settings.accept_addresses or (settings.mailroom_address,)
        controller = start_smtp_listener(
            room.spool, host=host, port=port, mailroom_addresses=accept, max_bytes=settings.max_mail_bytes
        )
        started.append(f"SMTP {host}:{controller.port}")
    maildir = settings.maildir or Path("mailroom")
    ensure_maildir(maildir)
    watcher = MaildirWatcher(maildir, room.spool, max_bytes=settings.max_mail_bytes)
    threads.append(threading.Thread(target=watcher.run, args=(stop, settings.poll_interval_s), daemon=True))
    started.append(f"Maildir {maildir}")
    if settings.imap_host:
        poller = ImapPoller(imap_config(settings), room.spool, seen=FileSeenKeys(settings.home / "imap-seen"))
        threads.append(threading.Thread(target=poller.run, args=(stop,), daemon=True))
        started.append(f"IMAP {settings.imap_host}:{settings.imap_port}/{settings.imap_mailbox}")
    for t in threads:
        t.start()
    try:
        yield started
    finally:
        stop.set()
        if controller is not None:
            controller.stop()
        for t in threads:
            t.join(timeout=5)


def imap_config(settings: Settings) -> ImapConfig:
    return ImapConfig(
        host=settings.imap_host,
        port=settings.imap_port,
        username=settings.imap_username,
        password=settings.imap_password,
        mailbox=settings.imap_mailbox,
        ssl=settings.imap_ssl,
        poll_interval=settings.poll_interval_s,
        max_bytes=settings.max_mail_bytes,
    )


class _Wake:
    """A flag one stage raises for the next (thread-safe), so idle stages sleep but react at once."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> None:
        self._event.wait(timeout)
        self._event.clear()


def _ingester(room: Mailroom, stop: threading.Event, decide: _Wake, interval: float) -> None:
    while not stop.is_set():
        if room.ingest():
            decide.set()
        stop.wait(interval)


def _decider(room: Mailroom, stop: threading.Event, decide: _Wake, send: _Wake, interval: float) -> None:
    while not stop.is_set():
        if room.process_next():
            send.set()
        else:
            decide.wait(interval)


async def work(room: Mailroom, settings: Settings, stop: threading.Event) -> None:
    """The stages run side by side: ingesting, deciding (one thread per reader process), sending."""
    decide, send = _Wake(), _Wake()
    interval = min(settings.poll_interval_s, 1.0)
    threads = [threading.Thread(target=_ingester, args=(room, stop, decide, 0.1), daemon=True)]
    threads += [
        threading.Thread(target=_decider, args=(room, stop, decide, send, interval), daemon=True)
        for _ in range(settings.worker_count)
    ]
    for t in threads:
        t.start()
    loop = asyncio.get_running_loop()
    try:
        while not stop.is_set():
            if not await room.deliver_due():
                await loop.run_in_executor(None, send.wait, interval)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        await room.deliver_due()
        await room.transport.close()


@contextlib.contextmanager
def console(settings: Settings, room: Mailroom) -> Iterator[str | None]:
    """The clerk console in a thread of `forms serve`, on the mailroom's store (when configured)."""
    if not settings.console_listen:
        yield None
        return
    host, port = split_host_port(settings.console_listen, default_port=8080)
    app = create_app(settings, review=Review(room.store, settings, pipeline=room.pipeline))
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", server_header=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"console http://{host}:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def serve(settings: Settings) -> int:
    room = Mailroom.open(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        with listeners(settings, room, stop) as started, console(settings, room) as web:
            started = [*started, web] if web else started
            log.warning("forms serve: %s; store %s", ", ".join(started), settings.store_url.split("@")[-1])
            asyncio.run(work(room, settings, stop))
    finally:
        room.close()
    return 0
