"""Run PDF reading in worker processes with a time limit and a memory limit.

A hostile PDF (decompression bomb, endless content stream, parser bug) may hang or exhaust memory in
the libraries that read it. Reading therefore happens in worker processes: each has an address-space
limit (``RLIMIT_AS``) and each job a wall-clock limit; a worker that overruns is killed and replaced,
and the job's outcome is ``FORM_UNREADABLE`` — never a crash of the service, never a lost intake.

Workers are long-lived (the OCR model is loaded once per worker, on first use) and are handed out one
job at a time; :meth:`ReaderPool.read` is thread-safe, so a thread pool of the same size keeps every
worker busy.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing as mp
import os
import queue
import resource
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Protocol

from forms.errors import Code
from forms.extract import ocr_engine, reader
from forms.model import Extraction, ExtractResult, Problem, problem

log = logging.getLogger(__name__)

#: A job run in a worker: (pdf bytes, max_pages) → ExtractResult. Must be importable by name.
JobFn = Callable[..., ExtractResult]


class PdfReading(Protocol):
    """What the pipeline needs from a reader: bytes in, ExtractResult out."""

    def read(self, data: bytes) -> ExtractResult: ...

    def close(self) -> None: ...


class _LazyOcr:
    """An OCR engine created on first use, so workers that never see a scan never load the model."""

    name = "lazy"

    def __init__(self) -> None:
        self._engine: Any = None
        self._tried = False

    def _get(self) -> Any:
        if not self._tried:
            self._tried = True
            self._engine = ocr_engine.default_engine()
            if self._engine is not None:
                self.name = self._engine.name
        return self._engine

    def available(self) -> bool:
        """Cheap: whether an engine can be made, without loading its model."""
        return self._engine is not None if self._tried else ocr_engine.rapidocr_available()

    def recognize(self, image: Any) -> Any:
        engine = self._get()
        if engine is None:
            raise RuntimeError("no OCR engine available")
        return engine.recognize(image)


def read_job(data: bytes, max_pages: int, ocr: Any) -> ExtractResult:
    """The default job: read one PDF with the project's readers."""
    return reader.read_pdf(data, max_pages=max_pages, ocr=ocr if ocr.available() else None)


def _limit_memory(memory_mb: int) -> None:
    if memory_mb <= 0:
        return
    limit = memory_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _plain(result: Any) -> ExtractResult:
    """Make a result safe to pickle across the pipe (mapping proxies become dicts)."""
    if isinstance(result, Extraction):
        return dataclasses.replace(result, values=dict(result.values))
    if isinstance(result, Problem):
        return result
    return problem(Code.FORM_UNREADABLE, None, detail="reader_error")


def _worker_main(conn: Connection, job: JobFn, max_pages: int, memory_mb: int) -> None:
    """Loop of one worker process: receive PDF bytes, send back an ExtractResult."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    _limit_memory(memory_mb)
    ocr = _LazyOcr()
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            result = _plain(job(data, max_pages, ocr))
        except MemoryError:
            result = problem(Code.FORM_UNREADABLE, None, detail="memory")
        except Exception as exc:  # a reader bug must not take the worker down
            log.exception("reader failed")
            result = problem(Code.FORM_UNREADABLE, None, detail="reader_error", error=type(exc).__name__)
        try:
            conn.send(result)
        except (OSError, ValueError):
            return


class _Worker:
    def __init__(self, ctx: Any, job: JobFn, max_pages: int, memory_mb: int) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, job, max_pages, memory_mb), daemon=True)
        self.proc.start()
        child.close()

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.proc.kill()
        self.proc.join(timeout=5)
        self.conn.close()


class ReaderPool:
    """A fixed set of reader processes; ``read`` runs one PDF with the limits."""

    def __init__(
        self,
        *,
        workers: int,
        timeout_s: float,
        memory_mb: int,
        max_pages: int,
        job: JobFn = read_job,
    ) -> None:
        self._ctx = mp.get_context("forkserver")
        self._job, self._timeout = job, timeout_s
        self._max_pages, self._memory_mb = max_pages, memory_mb
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(max(1, workers)):
            self._add_worker()

    def _add_worker(self) -> None:
        w = _Worker(self._ctx, self._job, self._max_pages, self._memory_mb)
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
        worker = self._idle.get()
        try:
            worker.conn.send_bytes(data)
            if not worker.conn.poll(self._timeout):
                log.warning("reader timed out after %.1f s; restarting it", self._timeout)
                self._replace(worker)
                return problem(Code.FORM_UNREADABLE, None, detail="timeout", seconds=self._timeout)
            result = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            code = worker.proc.exitcode
            log.warning("reader process died (exit %s); restarting it", code)
            self._replace(worker)
            return problem(Code.FORM_UNREADABLE, None, detail="crash")
        self._idle.put(worker)
        return result

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            with contextlib.suppress(Exception):
                w.conn.close()
            w.proc.join(timeout=2)
            if w.proc.is_alive():
                w.kill()

    def __enter__(self) -> ReaderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InlineReader:
    """Reads in the calling process, without limits: for benchmarks of the bare path and for tests."""

    def __init__(self, *, max_pages: int, job: JobFn = read_job) -> None:
        self._job, self._max_pages, self._ocr = job, max_pages, _LazyOcr()

    def read(self, data: bytes) -> ExtractResult:
        return self._job(data, self._max_pages, self._ocr)

    def close(self) -> None:
        return None
