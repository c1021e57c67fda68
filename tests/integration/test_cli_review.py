"""``forms review …`` and ``forms user add`` as an operator runs them, on a real store under FORMS_HOME
filled by ``forms intake`` from the sample mail and PDF. The commands run in-process through the
parser ``forms`` builds; the password prompt runs as a real process reading stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from forms.cli import main as cli
from forms.config import load_settings
from forms.errors import FormsError
from tests.support.paths import SAMPLES

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")

RECEIVED = "2026-06-01T10:00:00+09:00"
#: ``forms`` as a process (for stdin).
RUNNER = "import sys; from forms.cli.main import main; sys.exit(main(sys.argv[1:]))"


@dataclass
class Ran:
    code: int
    out: str
    err: str


def env_for(home: Path) -> dict[str, str]:
    return {
        "FORMS_HOME": str(home),
        "FORMS_OUTBOX_DIR": str(home / "outbox"),
        "FORMS_WORKERS": "1",
        "FORMS_AGENCY_INBOXES": "jetro=jetro@agency.example.jp,scb=scb@agency.example.jp",
    }


def run(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    """One ``forms review|user`` command, as ``forms.cli.main`` runs it (FormsError → exit 1)."""
    parsed = cli.build_parser().parse_args(list(args))
    capsys.readouterr()
    try:
        code = int(parsed.func(parsed, load_settings(env=env_for(home))))
    except FormsError as exc:
        print(f"forms: {exc}", file=sys.stderr)
        code = 1
    out, err = capsys.readouterr()
    return Ran(code, out, err)


def intake(home: Path, *samples: str) -> None:
    for key, value in env_for(home).items():
        os.environ[key] = value
    try:
        for sample in samples:
            assert cli.main(["intake", str(SAMPLES / sample), "--received", RECEIVED]) == 0
    finally:
        for key in env_for(home):
            os.environ.pop(key, None)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Read-only for the tests: the routed jetro mail (intake 1), the rejected smrj PDF (intake 2)."""
    home = tmp_path_factory.mktemp("cli-review")
    intake(home, "jetro-bank.eml", "smrj-fillable.pdf")
    return home


def test_list_and_show_print_the_queue_and_one_intake(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = run(home, capsys, "review", "list", "--json")
    assert listed.code == 0, listed.err
    queue = json.loads(listed.out)
    assert queue["total"] == 1 and queue["rows"][0]["reasons"] == ["SMRJ_DIRECT_ONLY"]
    routed = json.loads(run(home, capsys, "review", "list", "--status", "routed", "--json").out)
    assert [r["company_name"] for r in routed["rows"]] == ["株式会社サンプル精機"]
    text = run(home, capsys, "review", "list", "--status", "all", "--search", "サンプル工房").out
    assert text.startswith("1件") and "SMRJ_DIRECT_ONLY" in text and "みほん銀行" in text
    assert run(home, capsys, "review", "list", "--since", "6月1日").code == 1
    shown = json.loads(run(home, capsys, "review", "show", "2", "--json").out)
    assert shown["decision"]["status"] == "rejected" and shown["raw"]["agency_smrj"]["value"] is True
    assert [e["kind"] for e in shown["events"]][:2] == ["received", "decided"]
    readable = run(home, capsys, "review", "show", "2").out
    assert "資本金（円）（capital_yen）: 3000000" in readable
    missing = run(home, capsys, "review", "show", "99")
    assert missing.code == 1 and "申込み 99 はありません" in missing.err


def test_reprocess_is_a_dry_run_with_a_table_and_a_progress_bar(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dry = run(home, capsys, "review", "reprocess", "1", "2", "--progress", "--actor", "admin")
    assert dry.code == 0, dry.err
    assert dry.out.splitlines()[:3] == [
        "id\tbefore\tafter",
        "1\trouted\trouted",
        "2\trejected SMRJ_DIRECT_ONLY\trejected SMRJ_DIRECT_ONLY",
    ]
    assert "再処理" in dry.err and "2/2" in dry.err
    both = run(home, capsys, "review", "reprocess", "1", "--status", "routed")
    assert both.code == 1 and "どちらか一方" in both.err


def test_a_clerk_fixes_is_refused_rejects_marks_handled_and_retries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    intake(tmp_path, "jetro-bank.eml", "smrj-fillable.pdf")
    fixed = run(tmp_path, capsys, "review", "fix", "2", "capital_yen=500万円", "--actor", "hanako")
    assert fixed.code == 0, fixed.err
    assert "判定: rejected" in fixed.out and "SMRJ_DIRECT_ONLY" in fixed.out
    refused = run(tmp_path, capsys, "review", "route", "2", "--actor", "hanako")
    assert refused.code == 1 and "SMRJ_DIRECT_ONLY" in refused.err
    assert run(tmp_path, capsys, "review", "fix", "2", "capital_yen").code == 1
    shown = json.loads(run(tmp_path, capsys, "review", "show", "2", "--json").out)
    assert shown["corrections"] == {"capital_yen": "500万円"} and shown["events"][-1]["actor"] == "hanako"
    message = "中小機構へ直接お申込みください。"
    rejected = run(tmp_path, capsys, "review", "reject", "2", "--message", message, "--actor", "taro")
    assert rejected.code == 0, rejected.err
    assert json.loads(run(tmp_path, capsys, "review", "list", "--json").out)["total"] == 0
    assert run(tmp_path, capsys, "review", "handled", "1", "--note", "連絡済み").code == 0
    retried = run(tmp_path, capsys, "review", "retry", "2", "--actor", "taro")
    assert retried.code == 0, retried.err
    state = json.loads(run(tmp_path, capsys, "review", "show", "2", "--json").out)
    assert state["state"] == "received" and state["handled_at"] is None
    kinds = [(e["kind"], e["actor"]) for e in state["events"]]
    assert ("rejected_by_clerk", "taro") in kinds and ("retry", "taro") in kinds
    assert run(tmp_path, capsys, "review", "retry", "--outbox", "1").code == 1  # not a dead letter


def test_user_add_reads_the_password_from_stdin(tmp_path: Path) -> None:
    def forms(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", RUNNER, *args],
            env={**os.environ, **env_for(tmp_path)},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    added = forms(
        "user",
        "add",
        "hanako",
        "--role",
        "clerk",
        "--agency",
        "jetro",
        "--password-stdin",
        stdin="a good long password\n",
    )
    assert added.returncode == 0, added.stderr
    assert "hanako" in added.stdout and "jetro" in added.stdout
    again = forms("user", "add", "hanako", "--role", "admin", "--password-stdin", stdin="another password\n")
    assert again.returncode == 1 and "既に" in again.stderr
