"""Backups of the store, as an operator takes them: `forms backup` from a store the mailroom filled,
`forms restore` into another, and the restored store decides again — the same mail is a duplicate,
a new one takes the next reference number, the ledger is the same. SQLite (online backup) and a
throwaway PostgreSQL cluster (pg_dump / pg_restore)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from forms.store import Store
from tests.support.paths import FORMS, SAMPLES
from tests.support.pg import PostgresServer, running_postgres

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")
COMPANY = "4010001234567"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """The store to back up, and the (empty) one to restore into."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'a' / 'forms.db'}", f"sqlite:///{tmp_path / 'b' / 'forms.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    tag = uuid.uuid4().hex[:10]
    return server.create_database(f"a_{tag}"), server.create_database(f"b_{tag}")


def forms(home: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FORMS_HOME": str(home),
        "FORMS_DATABASE_URL": url,
        "FORMS_OUTBOX_DIR": str(home / "out"),
    }
    done = subprocess.run([str(FORMS), *args], capture_output=True, text=True, timeout=180, env=env)
    return done


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def decisions(url: str) -> list[tuple[str | None, str | None]]:
    with Store.open(url) as store:
        return [(r.status, r.reference) for r in sorted(store.intakes.latest(limit=100), key=lambda r: r.id)]


@pytest.mark.slow
def test_a_backup_restored_elsewhere_decides_again(urls: tuple[str, str], tmp_path: Path) -> None:
    original, restored = urls
    a, b, saved = tmp_path / "a", tmp_path / "b", tmp_path / "backups" / "forms.backup"
    ok(forms(a, original, "intake", str(SAMPLES / "jetro-bank.eml")))
    ok(forms(a, original, "support", "add", "--agency", "jetro", "--company", COMPANY, "--date", "2026-06-10",
             "--service", "海外ミニ調査サービス", "--cost", "300000"))  # fmt: skip
    assert "バックアップしました" in ok(forms(a, original, "backup", str(saved)))
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert forms(a, original, "backup", str(saved)).returncode == 1, "never over an existing file"
    before = json.loads(ok(forms(a, original, "ledger", "--company", COMPANY, "--json")))
    ok(forms(a, original, "backup", f"{saved.parent}/"))  # into a folder: named by the time
    assert len(list(saved.parent.glob("forms-*.backup"))) == 1

    refused = forms(b, restored, "restore", str(saved))
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert "復元しました" in ok(forms(b, restored, "restore", str(saved), "--yes"))
    assert json.loads(ok(forms(b, restored, "ledger", "--company", COMPANY, "--json"))) == before
    ok(forms(b, restored, "intake", str(SAMPLES / "jetro-bank.eml")))  # the same mail once more
    ok(forms(b, restored, "intake", str(SAMPLES / "scb-shinkin.eml")))
    assert decisions(restored) == [
        ("routed", "R8-000001"),
        ("duplicate", "R8-000002"),
        ("routed", "R8-000003"),
    ]
    assert decisions(original) == [("routed", "R8-000001")], "the original is untouched"
