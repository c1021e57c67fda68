"""A reader process: reads the documents (PDFs, images, Office files) the pool sends
(``forms.extract.sandbox``) and answers each.

Run as ``python -m forms.extract.reader_process --max-pages N [--memory-mb M] [--inflate-mb B]``:
requests in on stdin, answers out on stdout (see the sandbox). A request names its kind: a 様式1
(``read_one``), a returned 様式3 (``extract.youshiki3.read_returned``), or this process's peak
resident size (``stats``). Only this process imports the PDF, Office and OCR libraries; the service
that starts it stays light. A PDF read is closed once its answer is written (``pdf.closed_after``): the
decider works on the answer meanwhile, and the next request is read only after (its time limit counts it).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import pickle
import resource
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import cv2

from forms.errors import Code, OcrError
from forms.extract import document, ocr_engine, pdf, sandbox, streams
from forms.extract.sandbox import read_frame, write_frame
from forms.extract.soffice import Converter
from forms.extract.youshiki3 import ReadResult, read_returned
from forms.model import Extraction, ExtractResult, Problem, problem

log = logging.getLogger(__name__)


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
            raise OcrError("no OCR engine available")
        return engine.recognize(image)

    def read_line(self, image: Any, alphabet: frozenset[str] | None) -> Any:
        """The engine's line reading restricted to an alphabet (None when it has none: no second
        reading, so no field is certain from two readings)."""
        engine = self._get()
        if engine is None:
            raise OcrError("no OCR engine available")
        return engine.read_line(image, alphabet) if isinstance(engine, ocr_engine.LineReader) else None


def read_one(
    data: bytes,
    max_pages: int,
    ocr: LazyOcr,
    inflate_budget: int = streams.DEFAULT_BUDGET_MB << 20,
    converter: Converter | None = None,
) -> ExtractResult:
    """Read one document (PDF, image, Office file) with the project's readers; never raises.
    ``converter``: LibreOffice for .doc/.xls (default limits when None)."""
    engine = ocr if ocr.available() else None
    try:
        result = document.read_document(
            data, max_pages=max_pages, ocr=engine, inflate_budget=inflate_budget,
            converter=converter or Converter(),
        )  # fmt: skip
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


def read_youshiki3(
    data: bytes,
    agencies: Mapping[str, Sequence[str]],
    inflate_budget: int,
    ocr: LazyOcr | None = None,
    converter: Converter | None = None,
) -> ReadResult:
    """Read one returned 様式3 (on paper: by ``ocr``; a .doc: converted by ``converter``, default limits
    when None); never raises."""
    engine = ocr if ocr is not None and ocr.available() else None
    try:
        convert, budget = converter or Converter(), inflate_budget
        return read_returned(data, agencies=agencies, inflate_budget=budget, ocr=engine, converter=convert)
    except MemoryError:
        return (problem(Code.FORM_UNREADABLE, None, detail="memory"),)
    except Exception as exc:  # a reader bug must not take the worker down
        log.exception("様式3 reader failed")
        return (problem(Code.FORM_UNREADABLE, None, detail="reader_error", error=type(exc).__name__),)


def peak_rss_mb() -> float:
    """This process's own peak resident size so far, MiB: Linux's VmHWM. (ru_maxrss would do, but Linux
    carries into it the size of the parent the process was forked from before its exec.)"""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


Handler = Callable[[bytes, Mapping[str, Any]], object]


def handlers(args: argparse.Namespace) -> dict[str, Handler]:
    """What this process answers, by the kind of request."""
    ocr, budget = LazyOcr(), args.inflate_mb << 20
    converter = Converter(timeout_s=args.convert_timeout_s, memory_mb=args.convert_memory_mb)
    return {
        sandbox.YOUSHIKI1: lambda data, _: read_one(data, args.max_pages, ocr, budget, converter),
        sandbox.YOUSHIKI3: lambda d, o: read_youshiki3(d, o.get("agencies", {}), budget, ocr, converter),
        sandbox.STATS: lambda _data, _o: {"peak_rss_mb": peak_rss_mb()},
    }


def worker_main(argv: list[str] | None = None) -> None:
    """Loop of one worker: a request from stdin, its answer to stdout."""
    ap = argparse.ArgumentParser(prog="forms.extract.reader_process")
    ap.add_argument("--max-pages", type=int, required=True)
    ap.add_argument("--memory-mb", type=int, default=0)
    ap.add_argument("--inflate-mb", type=int, default=streams.DEFAULT_BUDGET_MB)
    ap.add_argument("--convert-timeout-s", type=float, default=Converter.timeout_s)
    ap.add_argument("--convert-memory-mb", type=int, default=Converter.memory_mb)
    args = ap.parse_args(argv)
    if args.memory_mb > 0:
        limit = args.memory_mb * 1024 * 1024
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cv2.setNumThreads(1)  # one reader process per core
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames on the real stdout
    answer = handlers(args)
    write_frame(stdout, sandbox.READY)
    while True:
        try:
            kind, options = pickle.loads(read_frame(stdin))
            data = read_frame(stdin)
        except EOFError:
            return
        handler = answer.get(kind)
        with pdf.closed_after() as later:  # the document closed once the answer is on its way
            result = handler(data, options) if handler else problem(Code.FORM_UNREADABLE, None, detail="kind")
        write_frame(stdout, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        close_all(later)
        write_frame(stdout, sandbox.CLOSED)


def close_all(closers: Sequence[Callable[[], object]]) -> None:
    """Run each of ``closers`` (a failure logged: the next request must still be read)."""
    for close in closers:
        try:
            close()
        except Exception:
            log.exception("closing a document failed")


class InlineReader:
    """Reads in the calling process, without limits: for measuring the bare path, and for tools."""

    def __init__(self, *, max_pages: int) -> None:
        self._max_pages, self._ocr = max_pages, LazyOcr()

    def read(self, data: bytes) -> ExtractResult:
        return read_one(data, self._max_pages, self._ocr)

    def read_youshiki3(self, data: bytes, agencies: Mapping[str, Sequence[str]]) -> ReadResult:
        return read_youshiki3(data, agencies, streams.DEFAULT_BUDGET_MB << 20, self._ocr)

    def close(self) -> None:
        return None


if __name__ == "__main__":
    worker_main()
