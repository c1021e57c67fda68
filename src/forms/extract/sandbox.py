"""Run PDF reading in worker processes with a time limit and a memory limit.

A hostile PDF (decompression bomb, endless content stream, parser bug) may hang or exhaust memory in
the libraries that read it. Reading therefore happens in worker processes
(``python -m forms.extract.sandbox``): each has an address-space limit (``RLIMIT_AS``) and each job a
wall-clock limit; a worker that overruns or dies is killed and replaced, and the job's outcome is
``FORM_UNREADABLE`` — never a crash of the service, never a lost intake.

Workers are plain subprocesses talking length-prefixed pickles over stdin/stdout, so they are safe to
start from threaded or asyncio programs. They are long-lived: the OCR model is loaded once per
worker, on the first scan. :meth:`ReaderPool.read` is thread-safe; a thread pool of the same size keeps
every worker busy.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import pickle
import queue
import resource
import select
import struct
import subprocess
import sys
import threading
from typing import IO, Any, Protocol

import cv2

from forms.errors import Code
from forms.extract import ocr_engine, reader
from forms.model import Extraction, ExtractResult, Problem, problem

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!Q")


class PdfReading(Protocol):
    """What the pipeline needs from a reader: bytes in, ExtractResult out."""

    def read(self, data: bytes) -> ExtractResult: ...

    def close(self) -> None: ...


class LazyOcr:
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
            raise ocr_engine.OcrError("no OCR engine available")
        return engine.recognize(image)


def read_one(data: bytes, max_pages: int, ocr: LazyOcr) -> ExtractResult:
    """Read one PDF with the project's readers; never raises."""
    try:
        result = reader.read_pdf(data, max_pages=max_pages, ocr=ocr if ocr.available() else None)
    except MemoryError:
        return problem(Code.FORM_UNREADABLE, None, detail="memory")
    except Exception as exc:  # a reader bug must not take the worker down
        log.exception("reader failed")
        return problem(Code.FORM_UNREADABLE, None, detail="reader_error", error=type(exc).__name__)
    if isinstance(result, Extraction):
        return dataclasses.replace(result, values=dict(result.values))
    return (
        result if isinstance(result, Problem) else problem(Code.FORM_UNREADABLE, None, detail="reader_error")
    )


# -- framing ------------------------------------------------------------------------------------


def _write(stream: IO[bytes], payload: bytes) -> None:
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


def _read_frame(stream: IO[bytes]) -> bytes:
    (size,) = _HEADER.unpack(_read_exact(stream, _HEADER.size))
    return _read_exact(stream, size)


# -- the worker process -------------------------------------------------------------------------


def worker_main(argv: list[str] | None = None) -> None:
    """Loop of one worker: read a PDF from stdin, write its ExtractResult to stdout."""
    ap = argparse.ArgumentParser(prog="forms.extract.sandbox")
    ap.add_argument("--max-pages", type=int, required=True)
    ap.add_argument("--memory-mb", type=int, default=0)
    args = ap.parse_args(argv)
    if args.memory_mb > 0:
        limit = args.memory_mb * 1024 * 1024
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cv2.setNumThreads(1)  # one reader process per core
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the real stdout
    ocr = LazyOcr()
    while True:
        try:
            data = _read_frame(stdin)
        except EOFError:
            return
        _write(stdout, pickle.dumps(read_one(data, args.max_pages, ocr), protocol=pickle.HIGHEST_PROTOCOL))


# -- the pool (parent side) ---------------------------------------------------------------------


class _Worker:
    def __init__(self, max_pages: int, memory_mb: int) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_THREAD_LIMIT": "1"}
        cmd = [sys.executable, "-m", "forms.extract.sandbox", f"--max-pages={max_pages}"]
        cmd.append(f"--memory-mb={memory_mb}")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout

    def ask(self, data: bytes, timeout: float) -> ExtractResult | None:
        """The worker's answer, or None when it did not answer in time."""
        _write(self.stdin, data)
        ready, _, _ = select.select([self.stdout], [], [], timeout)
        if not ready:
            return None
        result = pickle.loads(_read_frame(self.stdout))
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
    """A fixed set of reader processes; ``read`` runs one PDF with the limits."""

    def __init__(self, *, workers: int, timeout_s: float, memory_mb: int, max_pages: int) -> None:
        self._timeout, self._max_pages, self._memory_mb = timeout_s, max_pages, memory_mb
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(max(1, workers)):
            self._add_worker()

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
        worker = self._idle.get()
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


class InlineReader:
    """Reads in the calling process, without limits: for measuring the bare path, and for tools."""

    def __init__(self, *, max_pages: int) -> None:
        self._max_pages, self._ocr = max_pages, LazyOcr()

    def read(self, data: bytes) -> ExtractResult:
        return read_one(data, self._max_pages, self._ocr)

    def close(self) -> None:
        return None


if __name__ == "__main__":
    worker_main()
