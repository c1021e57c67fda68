"""`forms serve`: the mailroom running all day — listeners feed the spool, workers drain it.

    SMTP listener (aiosmtpd) ─┐
    Maildir watcher          ─┼─▶ spool ─▶ ingester ─▶ store ─▶ deciders (`forms work` processes)
    IMAP poller (IDLE)       ─┘                                   ─▶ outbox ─▶ sender (this loop)

Receiving only stores durably; ingesting, deciding and sending each take their work from the store
and never lose what they have not finished: a restart picks up from the store. Each stage wakes the
next at once (``mailroom.wakeup``) and otherwise looks again every ``IDLE_S``. Every part is supervised
(``mailroom.supervise``): one that dies is restarted with backoff and the log says so, and a store or
spool that fails pauses the part instead of ending it, while the listener goes on answering 250
for what it has spooled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forms.config import Settings
from forms.errors import StoreError
from forms.intake.imap import FileSeenKeys, ImapConfig, ImapPoller
from forms.intake.maildir import MaildirWatcher, ensure_maildir
from forms.mailroom import wakeup
from forms.mailroom.supervise import (
    PAUSING_ERRORS,
    ListenerPart,
    Part,
    Pauses,
    ProcessPart,
    Supervisor,
    ThreadPart,
)
from forms.mailroom.worker import Mailroom, worker_name
from forms.tls import server_context

log = logging.getLogger(__name__)


def split_host_port(text: str, default_port: int = 2525) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return (host or "127.0.0.1", int(port)) if port.isdigit() else (text or "127.0.0.1", default_port)


def listener_part(settings: Settings, room: Mailroom) -> ListenerPart | None:
    """The SMTP listener as a supervised part (None when ``smtp_listen`` is empty)."""
    if not settings.smtp_listen:
        return None
    from forms.intake.smtp import start_smtp_listener  # aiosmtpd: not for `forms work`

    host, port = split_host_port(settings.smtp_listen)
    accept = settings.accept_addresses or (settings.mailroom_address,)
    options = listener_options(settings)

    def start(bound: int | None) -> Any:
        return start_smtp_listener(
            room.spool,
            host=host,
            port=port if bound is None else bound,
            mailroom_addresses=accept,
            max_bytes=settings.max_mail_bytes,
            **options,
        )

    return ListenerPart(start)


def intake_parts(
    settings: Settings, room: Mailroom, stop: threading.Event, wake: wakeup.Pipe
) -> list[Part]:
    """The ways in besides SMTP (Maildir, IMAP) and the ingester, as supervised threads."""
    maildir = settings.maildir or Path("mailroom")
    ensure_maildir(maildir)
    watcher = MaildirWatcher(maildir, room.spool, max_bytes=settings.max_mail_bytes)
    found: list[Part] = [
        ThreadPart(f"Maildir {maildir}", lambda s: watcher.run(s, settings.poll_interval_s), stop)
    ]
    if settings.imap_host:
        poller = ImapPoller(imap_config(settings), room.spool, seen=FileSeenKeys(settings.home / "imap-seen"))
        name = f"IMAP {settings.imap_host}:{settings.imap_port}/{settings.imap_mailbox}"
        found.append(ThreadPart(name, poller.run, stop))
    found.append(ThreadPart("ingester", lambda s: _ingester(room, s, wake.write_fd), stop))
    return found


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


def _ingester(room: Mailroom, stop: threading.Event, wake_fd: int | None = None) -> None:
    """Spool → store until stopped, at once when mail is spooled here (``Spool.arrived``), nudging the
    deciders (``wake_fd``) for what is new; paused while the store or the spool fails (entries stay
    spooled)."""
    pauses = Pauses("ingesting")
    while not stop.is_set():
        room.spool.arrived.clear()
        try:
            new = room.ingest()
        except PAUSING_ERRORS as exc:
            stop.wait(pauses.failed(exc))
            continue
        pauses.ok()
        wakeup.poke(wake_fd, new)
        room.spool.arrived.wait(IDLE_S)


def decide_until_stopped(
    settings: Settings, stop: threading.Event, *, wake_fd: int | None = None, done_fd: int | None = None
) -> None:
    """`forms work`: claim and decide intakes until stopped (or until the process that started us is
    gone), paused while the store fails. Run two per core beside `forms serve`, or on other machines
    sharing a PostgreSQL store. Beside `forms serve`, a nudge on ``wake_fd`` says an intake is new, and
    each decision is a nudge on ``done_fd`` (its messages are queued: the sender looks at once)."""
    room = Mailroom.open(settings)
    parent = os.getppid()
    pauses = Pauses(f"deciding ({room.worker})")
    try:
        while not stop.is_set() and os.getppid() == parent:
            try:
                busy = room.process_next()
            except PAUSING_ERRORS as exc:  # the intake in hand is decided again first (unfinished)
                stop.wait(pauses.failed(exc))
                continue
            pauses.ok()
            if busy:
                wakeup.poke(done_fd)
            else:
                wakeup.wait(wake_fd, IDLE_S)
    finally:
        room.close()


def decider_parts(
    settings: Settings, room: Mailroom, config: Path | None, wake: wakeup.Pipe, done: wakeup.Pipe
) -> list[Part]:
    """`forms work` processes (``settings.decider_count``, two per core unless set): deciding is
    Python work, and each process has its own GIL; more than the cores, so that scans being read do
    not hold up the mails behind them. When one exits, its claims are released. They are
    nudged on ``wake`` and nudge back on ``done`` (``mailroom.wakeup``)."""
    cmd = [sys.executable, "-m", "forms.cli", *(["--config", str(config)] if config else []), "work"]
    cmd += [f"--wake-fd={wake.read_fd}", f"--done-fd={done.write_fd}"]
    env = {**os.environ, "FORMS_WORKERS": "1"}  # one reader process each

    def released(pid: int) -> None:
        try:
            ids = room.store.intakes.release_claims_of(worker_name(pid))
        except StoreError as exc:
            log.warning("claims of decider %d not released (%s); their leases run out", pid, exc)
            return
        if ids:
            log.warning("decider %d held intake(s) %s: released for another decider", pid, ids)

    fds = (wake.read_fd, done.write_fd)
    count = settings.decider_count
    return [ProcessPart(f"decider {i + 1}", cmd, env, released, pass_fds=fds) for i in range(count)]


def scheduler_parts(settings: Settings, room: Mailroom, stop: threading.Event) -> list[Part]:
    """The deadlines' scheduler (forms.chase), on the mailroom's store and templates; none when
    ``chase_at`` is empty (another machine runs it, or ``forms chase`` from cron)."""
    if not settings.chase_at:
        return []
    from forms.chase.run import Chaser, chase_until_stopped
    from forms.review import Review

    queue = Review(room.store, settings, pipeline=room.pipeline).queue
    books, texts = room.pipeline.rulebooks, room.templates
    chaser = Chaser(room.store, settings, rulebooks=books, texts=texts, queue=queue)
    return [ThreadPart("deadlines scheduler", lambda s: chase_until_stopped(chaser, settings, s), stop)]


async def send_until_stopped(room: Mailroom, stop: threading.Event, done_fd: int | None = None) -> None:
    """The sender, `forms serve`'s own loop, looking at once when a decider nudges ``done_fd``: paused
    while the store fails, and started again after anything else it dies of (with backoff); messages
    it sent but could not record yet are recorded first when it goes on (``Sender``)."""
    loop = asyncio.get_running_loop()
    pauses, nudged = Pauses("sending"), asyncio.Event()
    if done_fd is not None:
        loop.add_reader(done_fd, lambda: (wakeup.drain(done_fd), nudged.set()))
    while not stop.is_set():
        nudged.clear()
        try:
            sent = await room.sender.deliver_due()
        except Exception as exc:  # the sender must not end: paused, then started again
            if not isinstance(exc, PAUSING_ERRORS):
                log.exception("sender failed")
            await loop.run_in_executor(None, stop.wait, pauses.failed(exc))
            continue
        pauses.ok()
        if not sent:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(nudged.wait(), IDLE_S)
    if done_fd is not None:
        loop.remove_reader(done_fd)


async def work(
    room: Mailroom, stop: threading.Event, supervisor: Supervisor, done_fd: int | None = None
) -> None:
    """Sending (this loop) beside the supervised parts; at the end the parts stop first (deciders finish
    the intake in hand), then what they queued is sent."""
    try:
        await send_until_stopped(room, stop, done_fd)
    finally:
        stop.set()
        await asyncio.get_running_loop().run_in_executor(None, supervisor.stop)
        try:
            await room.sender.deliver_due()
        except PAUSING_ERRORS as exc:
            log.warning("last sending round not done (%s): the next start sends it", exc)
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
    listener, wake, done = listener_part(settings, room), wakeup.Pipe(), wakeup.Pipe()
    parts = [*([listener] if listener else []), *intake_parts(settings, room, stop, wake)]
    parts += [*scheduler_parts(settings, room, stop), *decider_parts(settings, room, config, wake, done)]
    supervisor = Supervisor(parts, stop)
    try:
        with console(settings, room) as web:
            supervisor.start()
            names = [p.name for p in parts if p is not listener and not isinstance(p, ProcessPart)]
            smtp = [f"SMTP {split_host_port(settings.smtp_listen)[0]}:{listener.port}"] if listener else []
            started = [*smtp, *names, f"{settings.decider_count} decider(s)", *([web] if web else [])]
            log.info("forms serve: %s; store %s", ", ".join(started), settings.store_url.split("@")[-1])
            asyncio.run(work(room, stop, supervisor, done.read_fd))
    finally:
        supervisor.stop()
        room.close()
        wake.close()
        done.close()
    return 0
