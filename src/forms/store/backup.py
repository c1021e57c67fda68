"""Backups of the store and restoring one (``forms backup FILE``, ``forms restore FILE``).

- **SQLite**: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot while
  the service keeps running; the copy is checked (``PRAGMA integrity_check``), made a single file
  (journal mode DELETE), written 0600 under a temporary name and renamed into place.
- **PostgreSQL**: ``pg_dump --format=custom`` (a consistent snapshot too); the password goes to the
  client in ``PGPASSWORD``, never on its command line.

Restoring replaces the whole store with the backup's: the SQLite file is rebuilt beside the store and
renamed over it (its -wal and -shm removed); PostgreSQL gets ``pg_restore --clean --if-exists
--single-transaction``. Stop ``forms serve`` and the console first. The next ``Store.open`` migrates
an older backup to the current schema. Library and tool errors become StoreError here.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from forms.errors import StoreError
from forms.files import PRIVATE_FILE

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if parsed.database in (None, "", ":memory:"):
        raise StoreError("an in-memory store has nothing to back up")
    return Path(parsed.database)


def _copy_sqlite(source: sqlite3.Connection, target: Path) -> None:
    """``source`` into a new file ``target`` (0600), checked, in journal mode DELETE."""
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise StoreError(f"the copy in {target} fails SQLite's integrity check")
    finally:
        copy.close()
    with open(target, "rb") as done:
        os.fsync(done.fileno())


def _sqlite_into(source: Path | str, target: Path, *, stale: tuple[Path, ...] = ()) -> None:
    """A copy of the SQLite database ``source`` made as ``target`` (atomically, by rename; ``stale``
    files, the old store's -wal and -shm, removed just before)."""
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _copy_sqlite(reader, partial)
        for leftover in stale:
            leftover.unlink(missing_ok=True)
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"cannot copy the store {source} to {target}: {exc}") from exc
    finally:
        reader.close()
        partial.unlink(missing_ok=True)


def _pg_tool(name: str) -> str:
    """``pg_dump`` / ``pg_restore``: the newest installed (Debian's own folders first), else on PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]))
    tool = found[-1] if found else shutil.which(name)
    if tool is None:
        raise StoreError(f"{name} is not installed (Debian: postgresql-client)")
    return tool


def _pg_run(tool: str, url: str, *args: str) -> None:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"cannot read the database URL: {exc}") from exc
    password = parsed.password
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ, **({"PGPASSWORD": str(password)} if password else {})}
    done = subprocess.run(
        [_pg_tool(tool), *args, "--dbname", uri], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise StoreError(f"{tool} failed ({done.returncode}): {done.stderr.strip()[-800:]}")


def backup(url: str, target: Path) -> str:
    """A backup of the store at ``url`` in the new file ``target``; the kind written (sqlite, pg_dump)."""
    if target.exists():
        raise StoreError(f"{target} exists: a backup is never written over another file")
    path = _sqlite_path(url)
    if path is not None:
        if not path.is_file():
            raise StoreError(f"no store at {path}")
        _sqlite_into(path, target)
        return "sqlite"
    partial = target.with_name(f".{target.name}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE))
    try:
        _pg_run("pg_dump", url, "--format=custom", "--no-owner", "--file", str(partial))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return "pg_dump"


def restore(url: str, source: Path) -> str:
    """The store at ``url`` replaced by the backup ``source`` (of the same kind of database)."""
    try:
        with open(source, "rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise StoreError(f"cannot read the backup {source}: {exc}") from exc
    path = _sqlite_path(url)
    if path is not None:
        if head != SQLITE_MAGIC:
            raise StoreError(f"{source} is not an SQLite backup, and the store is SQLite")
        _sqlite_into(source, path, stale=(Path(f"{path}-wal"), Path(f"{path}-shm")))
        return "sqlite"
    if not head.startswith(PG_DUMP_MAGIC):
        raise StoreError(f"{source} is not a pg_dump backup (custom format), and the store is PostgreSQL")
    args = ("--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error", str(source))
    _pg_run("pg_restore", url, *args)
    return "pg_dump"
