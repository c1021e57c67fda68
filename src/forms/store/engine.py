"""Connecting to the database and migrating it: SQLite embedded (WAL) by default, PostgreSQL by URL.

SQLite: every connection runs in WAL mode with ``synchronous=FULL`` and a busy timeout; the driver's
own transaction handling is switched off so that a writing transaction starts with
``BEGIN IMMEDIATE`` (it takes the write lock at once, waiting up to the busy timeout, instead of
failing half-way when two processes write). A writing transaction that can be done again from
what is durable may skip waiting for the disk (``Database.writing(durable=False)``).
PostgreSQL: claims use ``FOR UPDATE SKIP LOCKED``; migrations hold an advisory lock so several
machines starting together migrate once.

SQLAlchemy's exceptions end here: :func:`transaction` turns them into :class:`StoreError`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Executable, Insert, Table, create_engine, event, make_url, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from forms.errors import StoreError
from forms.files import private_file
from forms.store.schema import blobs, events

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Pages of a new SQLite file. The store keeps every mail whole (a 250 KB mail with its PDF, its
#: forward as large): in 16 KB pages such a blob is written and checkpointed in a quarter of the
#: pages, which halves what storing it costs (a file made with 4 KB pages keeps them).
SQLITE_PAGE_SIZE = 16_384
#: pg_advisory_xact_lock key held while migrating ("forms" in ASCII).
MIGRATION_LOCK = 0x666F726D73
_BEGIN_OPTION = "forms_sqlite_begin"
_SYNC_OPTION = "forms_sqlite_synchronous"
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")
#: Statements of the hot path are built once and executed with parameters: building one per call
#: costs SQLAlchemy more than the database needs to run it.
_EVENT = events.insert()
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Database:
    """An engine, its writing variant and the clock: what every operation of the store needs."""

    def __init__(self, engine: Engine, *, clock: Clock = utc_now) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise StoreError(f"unsupported database {engine.dialect.name!r}: use SQLite or PostgreSQL")
        self.engine = engine
        self._writer = writer(engine)
        self._lazy_writer = writer(engine, durable=False)
        self._clock = clock
        self._prepared: dict[str, Executable] = {}
        # SQLite has one writer at a time. Writers take turns on a lock instead of colliding in
        # SQLite's busy handler, which sleeps up to 100 ms a turn: threads of this process on a
        # threading.Lock, processes on the same machine on an flock of <database>.lock (the kernel
        # wakes the next one at once). PostgreSQL needs no turn-taking.
        self._turns: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            self._turns = WriterTurns(Path(f"{engine.url.database}.lock"))

    @classmethod
    def open(cls, url: str, *, clock: Clock = utc_now) -> Database:
        """Connect to ``url`` and migrate the schema to the newest revision."""
        engine = connect(url)
        try:
            db = cls(engine, clock=clock)
            migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return db

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def now(self) -> dt.datetime:
        return self._clock()

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with transaction(self.engine) as conn:
            yield conn

    @contextmanager
    def writing(self, *, durable: bool = True) -> Iterator[Connection]:
        """A transaction that writes: on SQLite it holds the write lock from its first statement.

        ``durable=False``: the commit does not wait for the disk (SQLite ``synchronous=NORMAL``,
        PostgreSQL ``synchronous_commit=off``). Such a commit survives any process being killed, but
        if the machine loses power before the next durable commit it may be lost, with what came
        after it; that next durable commit makes it durable too (both databases keep one log, written
        in order). Only for work that is simply done again when lost (claims, decisions); never for a
        commit followed by an act outside the database (answering 250, removing a spool file,
        sending a message)."""
        with self._turns, transaction(self._writer if durable else self._lazy_writer) as conn:
            if not durable and self.dialect == "postgresql":
                conn.execute(_ASYNC_COMMIT)
            yield conn

    def take_turns(self, conn: Connection, name: str) -> None:
        """Transactions that name the same ``name`` run one after the other from here to their end,
        so that one can check and then write (on PostgreSQL a transaction-scoped advisory lock;
        SQLite's writing transactions take turns already)."""
        if self.dialect == "postgresql":
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def upsert(self, table: Table) -> Insert:
        """An INSERT that can take ON CONFLICT clauses, for this database."""
        return sqlite_insert(table) if self.dialect == "sqlite" else pg_insert(table)

    def prepared(self, key: str, build: Callable[[Database], Executable]) -> Executable:
        """A statement built once per database (``build(self)``) and then executed with parameters."""
        stmt = self._prepared.get(key)
        if stmt is None:
            stmt = self._prepared[key] = build(self)
        return stmt

    def put_blob(self, conn: Connection, data: bytes, sha256: str | None = None) -> str:
        """Store ``data`` once under its sha256 (inside the caller's transaction); returns the sha256."""
        sha256 = sha256 or hashlib.sha256(data).hexdigest()
        stmt = self.prepared("put_blob", lambda db: db.upsert(blobs).on_conflict_do_nothing())
        conn.execute(stmt, {"sha256": sha256, "size": len(data), "data": data})
        return sha256

    def event(
        self,
        conn: Connection,
        intake_id: int | None,
        kind: str,
        *,
        actor: str,
        detail: Mapping[str, Any] | None,
    ) -> None:
        """Append an event to the log, inside the caller's transaction."""
        values = {"intake_id": intake_id, "at": self._clock(), "kind": kind, "actor": actor}
        conn.execute(_EVENT, {**values, "detail": dict(detail or {})})


class WriterTurns:
    """Turns at writing an SQLite database, for the threads of this process and for other processes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._threads = threading.Lock()
        self._fd: int | None = None

    def __enter__(self) -> WriterTurns:
        self._threads.acquire()
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except OSError:
            self._threads.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


def connect(url: str) -> Engine:
    """An engine for ``url``; SQLite connections are set up as the module says."""
    try:
        engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise StoreError(f"cannot use database URL {_safe_url(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        if engine.url.database not in (None, "", ":memory:"):
            try:
                private_file(Path(engine.url.database), parents=False)  # 0600; -wal and -shm take its mode
            except OSError as exc:
                raise StoreError(f"cannot create the store {engine.url.database}: {exc}") from exc
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # autocommit in the driver: BEGIN is ours (_sqlite_begin)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA page_size = {SQLITE_PAGE_SIZE}")  # a new file only; before WAL
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    options = conn.get_execution_options()
    synchronous = options.get(_SYNC_OPTION)  # writers say; a reading transaction commits nothing
    if synchronous and conn.info.get(_SYNC_OPTION, "FULL") != synchronous:  # per connection, between
        conn.exec_driver_sql(f"PRAGMA synchronous = {synchronous}")  # transactions
        conn.info[_SYNC_OPTION] = synchronous
    conn.exec_driver_sql(f"BEGIN {options.get(_BEGIN_OPTION, 'DEFERRED')}")


def writer(engine: Engine, *, durable: bool = True) -> Engine:
    """The same engine, whose transactions start with BEGIN IMMEDIATE on SQLite (and, not
    ``durable``, commit without waiting for the disk: see ``Database.writing``)."""
    return engine.execution_options(
        **{_BEGIN_OPTION: "IMMEDIATE", _SYNC_OPTION: "FULL" if durable else "NORMAL"}
    )


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    try:
        with engine.begin() as conn:
            yield conn
    except SQLAlchemyError as exc:
        raise StoreError(f"database: {describe(exc)}") from exc


def describe(exc: SQLAlchemyError) -> str:
    """The driver's message without the statement and its parameters (which may hold whole blobs)."""
    orig = getattr(exc, "orig", None)
    return f"{type(exc).__name__}: {orig if orig is not None else exc}"[:500]


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is there)."""
    from alembic import command  # alembic (and mako) only when a store is opened
    from alembic.config import Config
    from alembic.util.exc import CommandError

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with transaction(writer(engine)) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = conn
        try:
            command.upgrade(config, "head")
        except CommandError as exc:
            raise StoreError(f"cannot migrate the store: {exc}") from exc


def head_revision(engine: Engine) -> str | None:
    """The revision the database is at (None before the first migration)."""
    with transaction(engine) as conn:
        if not engine.dialect.has_table(conn, "alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def _safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unreadable URL>"
