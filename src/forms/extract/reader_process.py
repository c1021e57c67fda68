"""A reader process: reads the documents (PDFs, images, Office files) the pool sends
(``forms.extract.sandbox``) and answers each.

Run as ``python -m forms.extract.reader_process --max-pages N [--memory-mb M]``: frames in on
stdin, frames out on stdout (see the sandbox). Only this process imports the PDF and OCR
libraries; the service that starts it stays light.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import pickle
import resource
import sys
from typing import Any

import cv2

from forms.errors import Code, OcrError
from forms.extract import document, ocr_engine
from forms.extract.sandbox import read_frame, write_frame
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


def read_one(data: bytes, max_pages: int, ocr: LazyOcr) -> ExtractResult:
    """Read one document (PDF, image, Office file) with the project's readers; never raises."""
    try:
        result = document.read_document(data, max_pages=max_pages, ocr=ocr if ocr.available() else None)
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


def worker_main(argv: list[str] | None = None) -> None:
    """Loop of one worker: read a document from stdin, write its ExtractResult to stdout."""
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
            data = read_frame(stdin)
        except EOFError:
            return
        write_frame(
            stdout, pickle.dumps(read_one(data, args.max_pages, ocr), protocol=pickle.HIGHEST_PROTOCOL)
        )


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
