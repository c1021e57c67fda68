"""The service's own files are private to the user it runs as: folders 0700, files 0600.

The store, the spool, the console's key, the IMAP seen keys, the outbox and the issued documents
hold banks' and companies' data and secrets. Each is created with its mode here (not left to the
umask), and the ``forms`` command sets the umask to 077 besides, so a file a library makes for us
(SQLite's -wal and -shm take the database's mode; documents, locks) is private too. A folder or file
that exists already keeps the mode an operator gave it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
PRIVATE_UMASK = 0o077


def private_dir(path: Path) -> Path:
    """``path`` as a folder, made 0700 when it is new (missing parents too); returns it."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            folder.mkdir(mode=PRIVATE_DIR)
            os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path, *, parents: bool = True) -> Path:
    """``path`` as a file, made empty and 0600 when it is new (missing folders 0700, unless not
    ``parents``: then a missing folder is FileNotFoundError); returns it."""
    if parents:
        private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE))
    return path
