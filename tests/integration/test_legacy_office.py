"""97–2003 Office files (.doc, .xls) as banks send them: read through LibreOffice in the reader process,
or refused with a reason before LibreOffice sees them. Every file is made by LibreOffice (and
msoffcrypto-tool) from the corpus layouts (tests/corpus/office.py, legacy_office.py); all of it starts
soffice, so all of it is slow."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from forms import model
from forms.errors import Code
from forms.extract import office as office_reader
from forms.extract.document import read_document
from forms.extract.sandbox import ReaderPool
from forms.extract.soffice import Converter, find_soffice, network_cage
from tests.corpus import legacy_office, office
from tests.support.converters import NoConversion
from tests.support.paths import SAMPLES

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_soffice() is None, reason="LibreOffice (soffice) is not installed"),
]


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    return json.loads((SAMPLES / "jetro-fillable.values.json").read_text(encoding="utf-8"))


def values_of(result: object) -> dict[str, object]:
    assert isinstance(result, model.Extraction), result
    return {k: v.value for k, v in result.values.items()}


def detail(result: object) -> tuple[Code, str]:
    assert isinstance(result, model.Problem), result
    return result.code, dict(result.params)["detail"]


def test_a_doc_and_an_xls_are_read_as_the_docx_and_xlsx_they_were(values: dict[str, Any]) -> None:
    with ReaderPool(workers=1, timeout_s=60.0, memory_mb=1024, max_pages=50) as pool:
        for new, old, shape in (
            (office.xlsx_grid(values), office.as_xls(office.xlsx_grid(values)), model.Shape.XLS),
            (office.docx_table(values), office.as_doc(office.docx_table(values)), model.Shape.DOC),
        ):
            got = pool.read(old)
            assert isinstance(got, model.Extraction) and got.shape is shape, got
            assert values_of(got) == values_of(office_reader.read_office(new))


@pytest.mark.parametrize("builder", sorted(legacy_office.BUILDERS))
def test_a_hostile_ole_file_is_refused_before_libreoffice_sees_it(
    values: dict[str, Any], builder: str
) -> None:
    data, _ = legacy_office.BUILDERS[builder](values)
    assert data.startswith(b"\xd0\xcf\x11\xe0")
    expected = (Code.FORM_UNREADABLE, legacy_office.DETAILS[builder])
    assert detail(read_document(data, converter=NoConversion())) == expected


def _processes_naming(text: str) -> list[int]:
    """The processes whose command line names ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_conversion_past_its_time_limit_is_killed_and_the_reader_goes_on(
    values: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # the reader's throwaway folders, so we can look at them
    xls = office.as_xls(office.xlsx_grid(values))
    with ReaderPool(workers=1, timeout_s=60.0, memory_mb=1024, max_pages=50, convert_timeout_s=0.2) as pool:
        assert detail(pool.read(xls)) == (Code.FORM_UNREADABLE, "convert_timeout")
        assert _processes_naming(str(scratch)) == [] and list(scratch.iterdir()) == []
        assert isinstance(pool.read(office.xlsx_grid(values)), model.Extraction)  # the same reader


def test_without_libreoffice_a_legacy_file_is_refused_as_before(
    values: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xls = office.as_xls(office.xlsx_grid(values))
    monkeypatch.setenv("PATH", str(tmp_path))  # the reader finds no soffice
    with ReaderPool(workers=1, timeout_s=60.0, memory_mb=1024, max_pages=50) as pool:
        assert detail(pool.read(xls)) == (Code.FORM_UNREADABLE, "legacy_office")


def test_the_converter_runs_caged_and_is_killed_with_its_whole_group(tmp_path: Path) -> None:
    """A program in LibreOffice's place that records its limits and network, starts a child and hangs:
    at the time limit both are gone, and the limits and the namespace were LibreOffice's own."""
    seen, marker = tmp_path / "seen", f"forms-hang-{uuid.uuid4().hex}"
    stand_in = tmp_path / "soffice.bin"
    stand_in.write_text(
        "#!/bin/bash\n"
        f"cat /proc/self/limits > {seen}.limits; readlink /proc/self/ns/net > {seen}.net\n"
        f"exec -a {marker} sleep 30 &\nexec -a {marker} sleep 30\n",
        encoding="utf-8",
    )
    stand_in.chmod(0o755)
    converter = Converter(timeout_s=1.0, memory_mb=700, program=str(stand_in))
    timed_out = converter.convert(b"\xd0\xcf\x11\xe0", ".xls", "xlsx")
    assert detail(timed_out) == (Code.FORM_UNREADABLE, "convert_timeout")
    assert _processes_naming(marker) == []
    limits = Path(f"{seen}.limits").read_text(encoding="ascii")
    assert re.search(r"Max address space\s+734003200\s", limits)
    assert re.search(r"Max file size\s+67108864\s", limits)
    if network_cage():
        assert Path(f"{seen}.net").read_text().strip() != os.readlink("/proc/self/ns/net")


def _until(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_the_converter_dies_with_the_reader_that_started_it(tmp_path: Path) -> None:
    """A reader killed by the pool (its own time limit) takes LibreOffice with it (PR_SET_PDEATHSIG)."""
    marker = f"forms-orphan-{uuid.uuid4().hex}"
    stand_in = tmp_path / "soffice.bin"
    stand_in.write_text(f"#!/bin/bash\nexec -a {marker} sleep 60\n", encoding="utf-8")
    stand_in.chmod(0o755)
    converter = f"Converter(timeout_s=60.0, program={str(stand_in)!r})"
    code = f"from forms.extract.soffice import Converter\n{converter}.convert(b'x', '.xls', 'xlsx')\n"
    reader = subprocess.Popen([sys.executable, "-c", code])
    try:
        assert _until(lambda: _processes_naming(marker) != [])
    finally:
        reader.kill()
        reader.wait()
    assert _until(lambda: _processes_naming(marker) == [])
