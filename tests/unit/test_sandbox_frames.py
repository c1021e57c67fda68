"""The frames a reader process is asked with (forms.extract.sandbox): a request's frames written as one,
read back frame by frame whatever the pipe's size."""

from __future__ import annotations

import fcntl
import os
import threading

from forms.extract import sandbox


def _frames_through_a_pipe(payloads: list[bytes], pipe_size: int | None = None) -> list[bytes]:
    read_end, write_end = os.pipe()
    if pipe_size is not None:
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, pipe_size)
    got: list[bytes] = []
    with os.fdopen(read_end, "rb") as reader, os.fdopen(write_end, "wb") as writer:
        thread = threading.Thread(target=lambda: got.extend(sandbox.read_frame(reader) for _ in payloads))
        thread.start()
        sandbox.write_frames(writer, *payloads)
        thread.join(timeout=30)
    return got


def test_frames_written_as_one_are_read_back_one_by_one() -> None:
    payloads = [b"", b"options", bytes(range(256)) * 1000]
    assert _frames_through_a_pipe(payloads) == payloads


def test_frames_larger_than_the_pipe_cross_it_whole() -> None:
    # 3 MiB through a 4 KiB pipe: writev is given what is left after each write the pipe takes
    payloads = [b"kind", os.urandom(3 << 20), b"last"]
    assert _frames_through_a_pipe(payloads, pipe_size=4096) == payloads


def test_what_was_buffered_before_goes_first() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as reader, os.fdopen(write_end, "wb") as writer:
        writer.write(b"\0" * 7 + b"\3abc")  # a frame left in the stream's buffer
        sandbox.write_frames(writer, b"next")
        assert sandbox.read_frame(reader) == b"abc"
        assert sandbox.read_frame(reader) == b"next"
