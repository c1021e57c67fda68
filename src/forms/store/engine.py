"""Connecting to the database and migrating it: SQLite embedded (WAL) by default, PostgreSQL by URL.

SQLite: every connection runs in WAL mode with ``synchronous=FULL`` and a busy timeout; the driver's
own transaction handling is switched off so that a writing transaction starts with
``BEGIN IMMEDIATE`` (it takes the write lock at once, waiting up to the busy timeout, instead of
failing half-way when two processes write). PostgreSQL: claims use ``FOR UPDATE SKIP LOCKED``;
migrations hold an advisory lock so several machines starting together migrate once.

SQLAlchemy's exceptions end here: :func:`transaction` turns them into :class:`StoreError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from forms.store.records import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: pg_advisory_xact_lock key held while migrating ("forms" in ASCII).
MIGRATION_LOCK = 0x666F726D73
_BEGIN_OPTION = "forms_sqlite_begin"


def connect(url: str) -> Engine:
    """An engine for ``url``; SQLite connections are set up as the module says."""
    try:
        engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise StoreError(f"cannot use database URL {_safe_url(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # autocommit in the driver: BEGIN is ours (_sqlite_begin)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def writer(engine: Engine) -> Engine:
    """The same engine, whose transactions start with BEGIN IMMEDIATE on SQLite."""
    return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})


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
