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
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forms.config import Settings
from forms.intake.imap import FileSeenKeys, ImapConfig, ImapPoller
from forms.intake.maildir import MaildirWatcher, ensure_maildir
from forms.mailroom.worker import Mailroom
from forms.tls import server_context

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
        from forms.intake.smtp import start_smtp_listener  # aiosmtpd: not for `forms work`

        host, port = split_host_port(settings.smtp_listen)
        accept = settings.accept_addresses or (settings.mailroom_address,)
        controller = start_smtp_listener(
            room.spool,
            host=host,
            port=port,
            mailroom_addresses=accept,
            max_bytes=settings.max_mail_bytes,
            **listener_options(settings),
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


def listener_options(settings: Settings) -> dict[str, Any]:
    """The SMTP listener's limits, STARTTLS certificate and AUTH account from the settings."""
    from forms.intake.smtp import ListenerAuth, ListenerLimits  # aiosmtpd: not for `forms work`

    limits = ListenerLimits(
        max_connections=settings.listen_max_connections,
        per_ip_per_minute=settings.listen_per_ip_per_minute,
        session_s=settings.listen_session_s,
        idle_s=settings.listen_idle_s,
        min_free_bytes=settings.spool_min_free_bytes,
    )
    cert, user = settings.listen_tls_cert, settings.listen_auth_username
    return {
        "limits": limits,
        "tls": server_context(cert, settings.listen_tls_key) if cert else None,
        "auth": ListenerAuth(user, settings.listen_auth_password) if user else None,
    }


def imap_config(settings: Settings) -> ImapConfig:
    return ImapConfig(
        host=settings.imap_host,
        port=settings.imap_port,
        username=settings.imap_username,
        password=settings.imap_password,
        mailbox=settings.imap_mailbox,
        ssl=settings.imap_ssl,
        starttls=settings.imap_starttls and not settings.imap_ssl,
        ca_file=settings.imap_ca_file,
        poll_interval=settings.poll_interval_s,
        max_bytes=settings.max_mail_bytes,
    )


#: How long an idle stage waits before it looks again (the store is the queue between stages).
IDLE_S = 0.1


def _ingester(room: Mailroom, stop: threading.Event) -> None:
    while not stop.is_set():
        room.ingest()
        stop.wait(IDLE_S)


def decide_until_stopped(settings: Settings, stop: threading.Event) -> None:
    """`forms work`: claim and decide intakes until stopped (or until the process that started us is
    gone). Run one per core beside `forms serve`, or on other machines sharing a PostgreSQL store."""
    room = Mailroom.open(settings)
    parent = os.getppid()
    try:
        while not stop.is_set() and os.getppid() == parent:
            if not room.process_next():
                stop.wait(IDLE_S)
    finally:
        room.close()


@contextlib.contextmanager
def deciders(settings: Settings, config: Path | None) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`forms work` processes (``settings.decider_count``, one per core unless set): deciding is
    Python work, and each process has its own GIL."""
    cmd = [sys.executable, "-m", "forms.cli", *(["--config", str(config)] if config else []), "work"]
    env = {**os.environ, "FORMS_WORKERS": "1"}  # one reader process each
    procs = [subprocess.Popen(cmd, env=env) for _ in range(settings.decider_count)]
    try:
        yield procs
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def _scheduler(room: Mailroom, settings: Settings, stop: threading.Event) -> threading.Thread | None:
    """The deadlines' scheduler (forms.chase) in a thread, on the mailroom's store and templates;
    none when ``chase_at`` is empty (another machine runs it, or ``forms chase`` from cron)."""
    if not settings.chase_at:
        return None
    from forms.chase.run import Chaser, chase_until_stopped
    from forms.review import Review

    queue = Review(room.store, settings, pipeline=room.pipeline).queue
    books, texts = room.pipeline.rulebooks, room.templates
    chaser = Chaser(room.store, settings, rulebooks=books, texts=texts, queue=queue)
    thread = threading.Thread(target=chase_until_stopped, args=(chaser, settings, stop), daemon=True)
    thread.start()
    return thread


async def work(room: Mailroom, settings: Settings, stop: threading.Event, config: Path | None = None) -> None:
    """The stages side by side: ingesting (a thread), deciding (processes), sending (this loop), and
    the deadlines' scheduler (a thread)."""
    ingester = threading.Thread(target=_ingester, args=(room, stop), daemon=True)
    ingester.start()
    _scheduler(room, settings, stop)
    loop = asyncio.get_running_loop()
    try:
        with deciders(settings, config):
            while not stop.is_set():
                if not await room.sender.deliver_due():
                    await loop.run_in_executor(None, stop.wait, IDLE_S)
    finally:
        stop.set()
        ingester.join(timeout=30)
        await room.sender.deliver_due()
        await room.sender.close()


@contextlib.contextmanager
def console(settings: Settings, room: Mailroom) -> Iterator[str | None]:
    """The clerk console in a thread of `forms serve`, on the mailroom's store (when configured)."""
    if not settings.console_listen:
        yield None
        return
    import uvicorn  # the web stack only when the console is configured

    from forms.console import create_app
    from forms.review import Review

    host, port = split_host_port(settings.console_listen, default_port=8080)
    app = create_app(settings, review=Review(room.store, settings, pipeline=room.pipeline))
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=host, port=port, log_level="warning", server_header=False, proxy_headers=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"console http://{host}:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def serve(settings: Settings, config: Path | None = None) -> int:
    room = Mailroom.open(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        with listeners(settings, room, stop) as started, console(settings, room) as web:
            started = [*started, web] if web else started
            log.info("forms serve: %s; store %s", ", ".join(started), settings.store_url.split("@")[-1])
            asyncio.run(work(room, settings, stop, config))
    finally:
        room.close()
    return 0
