"""`forms intake` as a user runs it: JSON lines, a Japanese summary, a dry run that writes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import FORMS, SAMPLES
from tests.support.processes import processes_with
from tests.support.youshiki1 import filled_pdf, jetro_values

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")


def run_forms(args: list[str], home: Path, tmp: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FORMS_HOME": str(home), "TMPDIR": str(tmp)}
    return subprocess.run([str(FORMS), *args], capture_output=True, text=True, timeout=120, env=env, cwd=cwd)


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_json_one_decision_per_input_and_nothing_written(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("jetro-fillable.pdf", "smrj-fillable.pdf", "scb-shinkin.eml"):
        shutil.copy(SAMPLES / name, inputs / name)
    before = tree(inputs)
    home, tmp, cwd = tmp_path / "home", tmp_path / "tmp", tmp_path / "cwd"
    for d in (tmp, cwd):
        d.mkdir()
    names = ["jetro-fillable.pdf", "smrj-fillable.pdf", "scb-shinkin.eml"]
    r = run_forms(["intake", "--dry-run", "--json", *(str(inputs / n) for n in names)], home, tmp, cwd)
    assert r.returncode == 0, r.stderr
    decisions = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["status"] for d in decisions] == ["routed", "rejected", "routed"]
    assert [d["agency"] for d in decisions] == ["jetro", "smrj", "scb"]
    assert set(decisions[0]) == {"source", "status", "agency", "reasons", "fields"}
    assert decisions[0]["fields"]["capital_yen"] == 30000000
    assert decisions[1]["reasons"][0]["code"] == "SMRJ_DIRECT_ONLY"
    assert "smrj.go.jp" in decisions[1]["reasons"][0]["message"]
    assert decisions[2]["source"] == "<sample-scb-shinkin@sample-shinkin.example.jp>"
    assert tree(inputs) == before, "inputs are never changed"
    assert list(cwd.iterdir()) == [], "nothing written outside FORMS_HOME and TMPDIR"
    assert not home.exists() or all(p.is_dir() for p in home.rglob("*")), "a dry run records nothing"
    assert processes_with(f"FORMS_HOME={home}") == [], "no reader process is left behind"


def test_a_dry_run_without_a_store_rejects_a_reapplication_with_nothing_to_reapply_for(
    tmp_path: Path,
) -> None:
    """No store under FORMS_HOME: no support is recorded, so a ticked 再申請 is REAPPLICATION_INVALID."""
    values = jetro_values(
        reapplication=True, reapplication_reason="当初は部品輸出、今回は欧州での現地法人設立"
    )
    pdf = filled_pdf(values, tmp_path / "reapply.pdf")
    r = run_forms(["intake", "--dry-run", "--json", str(pdf)], tmp_path / "home", tmp_path, tmp_path)
    assert r.returncode == 0, r.stderr
    decision = json.loads(r.stdout)
    assert (decision["status"], [x["code"] for x in decision["reasons"]]) == (
        "rejected",
        ["REAPPLICATION_INVALID"],
    )
    assert not (tmp_path / "home").exists() or not any((tmp_path / "home").rglob("*.db"))


def test_summary_is_japanese(tmp_path: Path) -> None:
    r = run_forms(["intake", str(SAMPLES / "smrj-fillable.pdf")], tmp_path / "h", tmp_path, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "差戻し" in r.stdout and "SMRJ_DIRECT_ONLY" in r.stdout and "有限会社サンプル工房" in r.stdout


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    r = run_forms(["intake", "--json", str(tmp_path / "nope.pdf")], tmp_path / "h", tmp_path, tmp_path)
    assert r.returncode == 2
    assert "nope.pdf" in r.stderr


#: What only some commands run on: neither the parser (forms.cli.main) nor `forms work`
#: (forms.mailroom.serve) loads it.
HEAVY = {"aiosmtpd", "alembic", "docx", "docxtpl", "fontTools", "lxml", "openpyxl", "pdfplumber", "tqdm"}
HEAVY |= {"starlette", "uvicorn", "weasyprint", "forms.console", "forms.documents", "forms.review"}


@pytest.mark.parametrize(
    ("module", "absent"),
    [
        (
            "forms.cli.main",
            HEAVY | {"pydantic", "sqlalchemy", "forms.mailroom.worker", "forms.pipeline", "forms.store"},
        ),
        ("forms.mailroom.serve", HEAVY),
    ],
)
def test_start_up_imports_only_what_the_command_runs(module: str, absent: set[str]) -> None:
    """`forms --help` builds the parser and nothing else; `forms work` (one process per core beside
    `forms serve`) loads the mailroom, not the console, the documents or the 様式3 readers."""
    code = (
        f"import sys, {module}; absent = {sorted(absent)!r}; "
        "print(sorted(m for m in sys.modules if any(m == a or m.startswith(a + '.') for a in absent)))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]", f"import {module} loads what only some commands run on: {r.stdout}"
