"""Run the reading of attachments in worker processes with a time limit and a memory limit.

A hostile file (decompression bomb, endless content stream, parser bug) may hang or exhaust memory in
the libraries that read it. Every attachment the mailroom reads — a 様式1 of any shape, a returned
様式3 (.docx or PDF) — is therefore read in worker processes (``python -m
forms.extract.reader_process``), never in the decider: each has an address-space limit
(``RLIMIT_AS``, 1,024 MiB by default) and each job a wall-clock limit; a worker that overruns or dies
is killed and replaced, and the job's outcome is ``FORM_UNREADABLE`` — never a crash of the service,
never a lost intake. Inside, streams are measured before they are inflated (``extract.streams``), so
a bomb is refused long before the limit.

Workers are plain subprocesses talking length-prefixed frames over stdin/stdout (a request: its kind
and options as a pickle, then the bytes; the answer: a pickle, then CLOSED once the worker has closed
the document it read; a new worker says READY first, once its libraries are loaded, and a job's time
limit starts after that), so they are safe to start from threaded or asyncio programs. A worker that
dies closing a document has answered for it: the next job goes to a new one. They are long-lived: the
OCR model is loaded once per worker, on the first scan. :meth:`ReaderPool.read` is thread-safe; a
thread pool of the same size keeps every worker busy.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import logging
import os
import pickle
import queue
import select
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, Protocol, cast

from forms.errors import Code
from forms.model import Extraction, ExtractResult, Problem, problem

if TYPE_CHECKING:  # the readers' modules are the reader processes' own (PDF libraries)
    from forms.extract.youshiki3 import ReadResult

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!Q")
#: The size asked for each pipe to and from a reader (Linux lets a user have 1 MiB pipes,
#: /proc/sys/fs/pipe-max-size): a 様式1 of a few hundred KiB crosses in one write instead of 64 KiB at
#: a time, each piece waiting for the reader to be scheduled to empty the pipe.
PIPE_BYTES = 1 << 20


#: What a reader process says once it is ready for requests, and how long it may take to get there.
READY, STARTUP_S = b"ready", 120.0
#: What a reader process says after each answer once it has closed the document it read (it answers first).
CLOSED = b"closed"

#: The kinds of request a reader process answers (``reader_process.HANDLERS``).
YOUSHIKI1, YOUSHIKI3, STATS = "youshiki1", "youshiki3", "stats"


class PdfReading(Protocol):
    """What the mailroom needs from a reader: an attachment's bytes in, its reading out."""

    def read(self, data: bytes) -> ExtractResult:
        """A 様式1 (ExtractResult)."""
        ...

    def read_youshiki3(self, data: bytes, agencies: Mapping[str, Sequence[str]]) -> ReadResult:
        """A returned 様式3 (.docx or PDF): its answers or the problems a clerk must look at."""
        ...

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
    def __init__(self, args: Sequence[str]) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_THREAD_LIMIT": "1"}
        cmd = [sys.executable, "-m", "forms.extract.reader_process", *args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        # Answers are read unbuffered: CLOSED follows an answer at once, and a buffered reader would
        # take it in with the answer, where select() cannot see it.
        self.stdin, self.stdout = self.proc.stdin, cast(io.BufferedReader, self.proc.stdout).raw
        for pipe in (self.stdin, self.stdout):
            _widen(pipe)
        self.started = self.closing = False

    def ask(self, kind: str, options: Mapping[str, Any], data: bytes, timeout: float) -> object:
        """The worker's answer, or TIMED_OUT when it did not answer in time. The time a new worker
        takes to start (its libraries imported, READY) is not the job's: a busy machine may need
        seconds for it. A worker that dies or hangs closing the last document it read (CLOSED) is
        GONE before the job is given to it: the job is not the cause."""
        if not self.started:
            ready, _, _ = select.select([self.stdout], [], [], max(timeout, STARTUP_S))
            if not ready or read_frame(self.stdout) != READY:
                return TIMED_OUT
            self.started = True
        if self.closing and not self._closed(timeout):
            return GONE
        write_frame(self.stdin, pickle.dumps((kind, dict(options))))
        write_frame(self.stdin, data)
        ready, _, _ = select.select([self.stdout], [], [], timeout)
        if not ready:
            return TIMED_OUT
        answer = pickle.loads(read_frame(self.stdout))
        self.closing = True
        return answer

    def _closed(self, timeout: float) -> bool:
        try:
            ready, _, _ = select.select([self.stdout], [], [], timeout)
            self.closing = not (ready and read_frame(self.stdout) == CLOSED)
        except (EOFError, OSError):
            return False
        return not self.closing

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


TIMED_OUT, GONE = object(), object()


def _widen(pipe: IO[bytes]) -> None:
    """Ask for a PIPE_BYTES pipe; where it is refused (not Linux, a user past its pipe quota) the pipe
    keeps its size and only the speed differs."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe.fileno(), setsize, PIPE_BYTES)


def _is_reading(result: object) -> bool:
    return isinstance(result, Extraction | Problem)


def _is_youshiki3(result: object) -> bool:
    if isinstance(result, tuple):
        return bool(result) and all(isinstance(p, Problem) for p in result)
    return type(result).__name__ == "ReturnedYoushiki3"


class ReaderPool:
    """Up to ``workers`` reader processes, started when first needed (a process that never reads an
    attachment, such as ``forms serve`` beside its deciders, starts none); ``read`` reads one 様式1 and
    ``read_youshiki3`` one returned 様式3, with the limits. ``inflate_mb``: what a PDF's streams may
    inflate to (``extract.streams``); ``convert_timeout_s``, ``convert_memory_mb``: LibreOffice's own limits
    converting a .doc/.xls (``extract.soffice``)."""

    def __init__(
        self, *, workers: int, timeout_s: float, memory_mb: int, max_pages: int, inflate_mb: int = 256,
        convert_timeout_s: float = 30.0, convert_memory_mb: int = 768,
    ) -> None:  # fmt: skip
        self._timeout = timeout_s
        self._args = (f"--max-pages={max_pages}", f"--memory-mb={memory_mb}", f"--inflate-mb={inflate_mb}",
                      f"--convert-timeout-s={convert_timeout_s}", f"--convert-memory-mb={convert_memory_mb}")
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
            worker = _Worker(self._args)
        finally:
            with self._lock:
                self._starting -= 1
        with self._lock:
            self._all.append(worker)
        return worker

    def _add_worker(self) -> None:
        w = _Worker(self._args)
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
        return cast(ExtractResult, self._ask(YOUSHIKI1, {}, data, _is_reading))

    def read_youshiki3(self, data: bytes, agencies: Mapping[str, Sequence[str]]) -> ReadResult:
        options = {"agencies": {k: list(v) for k, v in agencies.items()}}
        result = self._ask(YOUSHIKI3, options, data, _is_youshiki3)
        return (result,) if isinstance(result, Problem) else cast("ReadResult", result)

    def peak_rss_mb(self) -> float:
        """The largest peak resident size among the live readers (their own getrusage), MiB."""
        with self._lock:
            count = len(self._all)
        peaks = [self._ask(STATS, {}, b"", lambda r: isinstance(r, dict)) for _ in range(count)]
        return max((p["peak_rss_mb"] for p in peaks if isinstance(p, dict)), default=0.0)

    def _ask(
        self, kind: str, options: Mapping[str, Any], data: bytes, valid: Callable[[object], bool]
    ) -> object:
        """The answer of a reader, or the Problem that says why there is none (crash, timeout)."""
        worker = self._checkout()
        try:
            result = worker.ask(kind, options, data, self._timeout)
            while result is GONE:  # it died closing the document it read before: not this job's doing
                log.warning("reader process died closing a document (exit %s)", worker.proc.poll())
                self._replace(worker)
                worker = self._checkout()
                result = worker.ask(kind, options, data, self._timeout)
        except (EOFError, OSError, pickle.UnpicklingError):
            log.warning("reader process died (exit %s); restarting it", worker.proc.poll())
            self._replace(worker)
            return problem(Code.FORM_UNREADABLE, None, detail="crash")
        if result is TIMED_OUT:
            log.warning("reader took longer than %.1f s; restarting it", self._timeout)
            self._replace(worker)
            return problem(Code.FORM_UNREADABLE, None, detail="timeout", seconds=self._timeout)
        self._idle.put(worker)
        return result if valid(result) else problem(Code.FORM_UNREADABLE, None, detail="reader_error")

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
