"""Reader processes: a PDF that hangs or kills its reader is FORM_UNREADABLE, and the next one is read."""

from __future__ import annotations

import os
import re
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from forms.config import Settings
from forms.errors import Code
from forms.extract.sandbox import CLOSED, ReaderPool, read_frame
from forms.model import Extraction, Problem
from tests.corpus import hostile, hostile_carriers
from tests.support.paths import SAMPLES

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")


def fillable() -> bytes:
    return (SAMPLES / "jetro-fillable.pdf").read_bytes()


def test_a_reader_that_overruns_is_replaced() -> None:
    with ReaderPool(workers=1, timeout_s=1.0, memory_mb=0, max_pages=50) as pool:
        first = pool._all[0].proc.pid if pool._all else None
        result = pool.read(hostile.build("operators"))
        assert isinstance(result, Problem) and result.code is Code.FORM_UNREADABLE
        assert result.param("detail") in {"timeout", "crash"}
        assert isinstance(pool.read(fillable()), Extraction), "a fresh reader takes the next PDF"
        assert pool._all[0].proc.pid != first, "the overrunning reader was replaced"


def test_a_reader_killed_mid_read_gives_unreadable_not_a_crash() -> None:
    with ReaderPool(workers=1, timeout_s=30.0, memory_mb=0, max_pages=50) as pool:
        assert isinstance(pool.read(fillable()), Extraction)  # starts the one worker
        pid = pool._all[0].proc.pid
        killer = threading.Timer(0.3, os.kill, (pid, signal.SIGKILL))
        killer.start()
        result = pool.read(hostile.build("operators"))
        killer.join()
        assert isinstance(result, Problem) and result.param("detail") == "crash"
        assert isinstance(pool.read(fillable()), Extraction)


def test_readers_start_when_first_needed_and_no_more_than_asked() -> None:
    with ReaderPool(workers=2, timeout_s=30.0, memory_mb=0, max_pages=50) as pool:
        assert pool._all == []  # a process that never reads a PDF starts no reader
        assert isinstance(pool.read(fillable()), Extraction)
        assert len(pool._all) == 1  # one read at a time needs one reader
        with ThreadPoolExecutor(4) as ex:
            results = list(ex.map(lambda _: pool.read(fillable()), range(8)))
        assert all(isinstance(r, Extraction) for r in results)
        assert 1 <= len(pool._all) <= 2


def test_decompression_bomb_is_refused_before_it_inflates() -> None:
    with ReaderPool(workers=1, timeout_s=30.0, memory_mb=1024, max_pages=50) as pool:
        result = pool.read(hostile.build("bomb"))
        assert isinstance(result, Problem) and result.param("detail") == "image_too_large"


def test_the_2_gib_flate_bomb_is_refused_early_and_the_reader_stays_small() -> None:
    """Refused by measuring its stream (not by the memory limit); the reader's own peak stays far
    under the limit, and the same reader reads the next form."""
    settings = Settings()
    assert settings.extract_memory_mb <= 1024, "a reader never passes 1 GB by default"
    with ReaderPool(
        workers=1,
        timeout_s=60.0,
        memory_mb=settings.extract_memory_mb,
        max_pages=50,
        inflate_mb=settings.extract_inflate_mb,
    ) as pool:
        result = pool.read(hostile.build("flate_bomb"))
        assert isinstance(result, Problem) and result.code is Code.FORM_UNREADABLE
        assert result.param("detail") == "stream_too_large"
        pid = pool._all[0].proc.pid
        assert pool.peak_rss_mb() < settings.extract_memory_mb / 2
        assert isinstance(pool.read(fillable()), Extraction) and pool._all[0].proc.pid == pid


def test_a_reader_s_peak_is_its_own_not_that_of_the_process_it_was_forked_from() -> None:
    ballast = bytearray(400 * 2**20)
    ballast[:: 2**12] = b"\x01" * len(range(0, len(ballast), 2**12))  # 400 MiB resident in this process
    with ReaderPool(workers=1, timeout_s=60.0, memory_mb=1024, max_pages=50) as pool:
        assert isinstance(pool.read(fillable()), Extraction)
        assert pool.peak_rss_mb() < 300
    del ballast


def test_a_returned_youshiki3_is_read_in_a_reader_with_the_same_guards() -> None:
    with ReaderPool(workers=1, timeout_s=60.0, memory_mb=1024, max_pages=50) as pool:
        got = pool.read_youshiki3(hostile.build("flate_bomb"), {"jetro": ["日本貿易振興機構"]})
        assert isinstance(got, tuple) and [p.param("detail") for p in got] == ["stream_too_large"]
        assert pool.peak_rss_mb() < 512
        pid = pool._all[0].proc.pid
        assert pid != os.getpid()  # not read in this process
        not_y3 = pool.read_youshiki3(fillable(), {"jetro": ["日本貿易振興機構"]})
        assert isinstance(not_y3, tuple) and not_y3[0].code is Code.FORM_NOT_FOUND


@pytest.mark.parametrize(
    ("builder", "want"),
    [("tiff_many_pages", "too_many_pages"), ("tiff_gigapixel", "image_too_large"), ("tiff_loop", "corrupt"),
     ("jpeg_bomb", "image_too_large"), ("png_bomb", "image_too_large")],
)  # fmt: skip
def test_a_hostile_picture_sent_back_as_a_youshiki3_ends_in_a_reason_within_the_limits(
    builder: str, want: str
) -> None:
    """A faxed or photographed 様式3 is read under the guards a 様式1's pictures are: sizes checked
    before anything is decoded, the reader small and alive for the next one."""
    data, _ = hostile_carriers.BUILDERS[builder]({})
    with ReaderPool(workers=1, timeout_s=60.0, memory_mb=1024, max_pages=50) as pool:
        got = pool.read_youshiki3(data, {"jetro": ["日本貿易振興機構"]})
        assert isinstance(got, tuple) and [(p.code, p.param("detail")) for p in got] == [
            (Code.FORM_UNREADABLE, want)
        ]
        assert pool.peak_rss_mb() < 512
        pid = pool._all[0].proc.pid
        assert isinstance(pool.read(fillable()), Extraction) and pool._all[0].proc.pid == pid


def _vm_peak_mb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmPeak:\s+(\d+)", status).group(1)) // 1024  # type: ignore[union-attr]


def test_memory_limit_turns_exhaustion_into_unreadable() -> None:
    # The limit is an address space: what a reader maps to read a form (libraries included) differs
    # from machine to machine, so it is measured here, and the limit set 200 MiB above it — room for
    # any form, not for ten million path operators: the limit, not the machine, stops that one.
    with ReaderPool(workers=1, timeout_s=30.0, memory_mb=0, max_pages=50) as pool:
        assert isinstance(pool.read(fillable()), Extraction)
        needed = _vm_peak_mb(pool._all[0].proc.pid)
    with ReaderPool(workers=1, timeout_s=30.0, memory_mb=needed + 200, max_pages=50) as pool:
        assert isinstance(pool.read(fillable()), Extraction), "a form reads well within the limit"
        result = pool.read(hostile.build("operators"))
        assert isinstance(result, Problem) and result.param("detail") == "crash"
        assert isinstance(pool.read(fillable()), Extraction)


def test_readers_work_in_parallel() -> None:
    data = fillable()
    with ReaderPool(workers=2, timeout_s=30.0, memory_mb=0, max_pages=50) as pool:
        results: list[object] = []
        threads = [threading.Thread(target=lambda: results.append(pool.read(data))) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 6 and all(isinstance(r, Extraction) for r in results)


def test_a_reader_that_dies_closing_a_document_has_the_next_job_read_by_a_new_one() -> None:
    """A reader answers before it closes the document it read, and says CLOSED after: one that dies in
    between has answered its job, and the next job goes to a new reader (not FORM_UNREADABLE)."""
    with ReaderPool(workers=1, timeout_s=30.0, memory_mb=1024, max_pages=50) as pool:
        assert isinstance(pool.read(fillable()), Extraction)
        worker = pool._all[0]
        assert read_frame(worker.stdout) == CLOSED  # taken here, as if not yet said ...
        worker.proc.kill()  # ... when the reader dies
        worker.proc.wait()
        assert isinstance(pool.read(fillable()), Extraction)
        assert pool._all[0].proc.pid != worker.proc.pid
