"""How outgoing messages leave: the Transport interface, its error, and the file transport.

The outbox (store) records a message before it asks a transport to send it, and retries
temporary failures; a transport only moves bytes. Two transports implement the interface:

- :class:`FileTransport` (the default): each message becomes ``<folder>/<message id>.eml``.
  Nothing leaves the machine.
- :class:`forms.deliver.smtp.SmtpTransport`: SMTP through aiosmtplib, only when an operator
  configured it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from forms.errors import DeliveryError
from forms.files import private_dir
from forms.intake.mime import safe_filename

_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._@+=-]")



@runtime_checkable
class Transport(Protocol):
    """Hands one finished message (RFC 5322 bytes) to its recipients."""

    async def send(self, sender: str, recipients: Sequence[str], raw: bytes, message_id: str) -> None:
        """Send ``raw`` from ``sender`` to ``recipients``; raise :class:`DeliveryError` on failure."""
        ...

    async def close(self) -> None:
        """Release connections; the transport is not used afterwards."""
        ...


def eml_name(message_id: str) -> str:
    """The file name of a message: its Message-ID without brackets, characters outside
    ``[A-Za-z0-9._@+=-]`` replaced by ``_``, made safe by :func:`safe_filename`, ending ``.eml``."""
    stem = _UNSAFE_NAME_CHARS.sub("_", message_id.strip().strip("<>"))
    return safe_filename(stem.lstrip(".") + ".eml")


class FileTransport:
    """Writes each message to ``<folder>/<eml_name(message_id)>`` atomically, once.

    The bytes go to a temporary file in the same folder, are fsynced, then linked to the final
    name (which fails if it exists), so a reader never sees half a file and a second send of the
    same Message-ID leaves the first file as it was.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path_of(self, message_id: str) -> Path:
        return self.folder / eml_name(message_id)

    async def send(self, sender: str, recipients: Sequence[str], raw: bytes, message_id: str) -> None:
        await asyncio.to_thread(self._write_once, raw, message_id)

    async def close(self) -> None:
        return None

    def _write_once(self, raw: bytes, message_id: str) -> None:
        target = self.path_of(message_id)
        try:
            private_dir(self.folder)
            if target.exists():
                return
            fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.folder)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(raw)
                    out.flush()
                    os.fsync(out.fileno())
                with contextlib.suppress(FileExistsError):  # written meanwhile by another sender
                    os.link(tmp_name, target)
            finally:
                os.unlink(tmp_name)
            _fsync_folder(self.folder)
        except OSError as exc:
            raise DeliveryError(
                f"{message_id}: cannot write {target}: {exc.strerror}", permanent=False
            ) from exc


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
