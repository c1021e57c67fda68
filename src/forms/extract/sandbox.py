"""Run PDF reading in worker processes with a time limit and a memory limit.

A hostile PDF (decompression bomb, endless content stream, parser bug) may hang or exhaust memory in
the libraries that read it. Reading therefore happens in worker processes
(``python -m forms.extract.reader_process``): each has an address-space limit (``RLIMIT_AS``) and each job a
wall-clock limit; a worker that overruns or dies is killed and replaced, and the job's outcome is
``FORM_UNREADABLE`` — never a crash of the service, never a lost intake.

Workers are plain subprocesses talking length-prefixed pickles over stdin/stdout, so they are safe to
start from threaded or asyncio programs. They are long-lived: the OCR model is loaded once per
worker, on the first scan. :meth:`ReaderPool.read` is thread-safe; a thread pool of the same size keeps
every worker busy.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import select
import struct
import subprocess
import sys
import threading
from typing import IO, Protocol

from forms.errors import Code
from forms.model import Extraction, ExtractResult, Problem, problem

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!Q")


class PdfReading(Protocol):
    """What the pipeline needs from a reader: bytes in, ExtractResult out."""

    def read(self, data: bytes) -> ExtractResult: ...

    def close(self) -> None: ...


# -- framing ------------------------------------------------------------------------------------


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def _read_exact(stream: IO[bytes], n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            raise EOFError("stream closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(stream: IO[bytes]) -> bytes:
    (size,) = _HEADER.unpack(_read_exact(stream, _HEADER.size))
    return _read_exact(stream, size)


# -- the pool (parent side) ---------------------------------------------------------------------


class _Worker:
    def __init__(self, max_pages: int, memory_mb: int) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_THREAD_LIMIT": "1"}
        cmd = [sys.executable, "-m", "forms.extract.reader_process", f"--max-pages={max_pages}"]
        cmd.append(f"--memory-mb={memory_mb}")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout

    def ask(self, data: bytes, timeout: float) -> ExtractResult | None:
        """The worker's answer, or None when it did not answer in time."""
        write_frame(self.stdin, data)
        ready, _, _ = select.select([self.stdout], [], [], timeout)
        if not ready:
            return None
        result = pickle.loads(read_frame(self.stdout))
        return result if isinstance(result, Extraction | Problem) else None

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.proc.kill()
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=5)
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(Exception):
                stream.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.stdin.close()  # EOF: the worker returns
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
        with contextlib.suppress(Exception):
            self.stdout.close()


class ReaderPool:
    """Up to ``workers`` reader processes, started when first needed (a process that never reads a
    PDF, such as ``forms serve`` beside its deciders, starts none); ``read`` runs one PDF with the
    limits."""

    def __init__(self, *, workers: int, timeout_s: float, memory_mb: int, max_pages: int) -> None:
        self._timeout, self._max_pages, self._memory_mb = timeout_s, max_pages, memory_mb
        self._size = max(1, workers)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._starting = 0
        self._lock = threading.Lock()
        self._closed = False

    def _checkout(self) -> _Worker:
        """An idle worker; a new one while the pool is not full; else wait for one."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            grow = len(self._all) + self._starting < self._size and not self._closed
            self._starting += grow
        if not grow:
            return self._idle.get()
        try:
            worker = _Worker(self._max_pages, self._memory_mb)
        finally:
            with self._lock:
                self._starting -= 1
        with self._lock:
            self._all.append(worker)
        return worker

    def _add_worker(self) -> None:
        w = _Worker(self._max_pages, self._memory_mb)
        with self._lock:
            self._all.append(w)
        self._idle.put(w)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
            closed = self._closed
        if not closed:
            self._add_worker()

    def read(self, data: bytes) -> ExtractResult:
        worker = self._checkout()
        try:
            result = worker.ask(data, self._timeout)
        except (EOFError, OSError, pickle.UnpicklingError):
            log.warning("reader process died (exit %s); restarting it", worker.proc.poll())
            self._replace(worker)
            return problem(Code.FORM_UNREADABLE, None, detail="crash")
        if result is None:
            log.warning("reader took longer than %.1f s; restarting it", self._timeout)
            self._replace(worker)
            return problem(Code.FORM_UNREADABLE, None, detail="timeout", seconds=self._timeout)
        self._idle.put(worker)
        return result

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._all = list(self._all), []
        for w in workers:
            w.stop()

    def __enter__(self) -> ReaderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
