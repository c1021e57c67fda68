"""Configuration that fails loudly, files that stay private, a demo that empties only its own home:
the `forms` command run as an operator runs it (a process, a permissive umask)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from forms.console import create_app
from forms.intake.imap import FileSeenKeys
from forms.mailroom.worker import Mailroom
from tests.support.paths import FORMS, SAMPLES
from tests.support.settings import make_settings

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")


def run_forms(args: list[str], home: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "FORMS_HOME": str(home), "FORMS_OUTBOX_DIR": str(home / "outbox"), **env}
    return subprocess.run(
        [str(FORMS), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        env=full,
        cwd=home.parent,
        umask=0o022,
    )


def modes(home: Path) -> dict[str, str]:
    """Every folder and file under ``home`` (itself included) with its permission bits."""
    return {
        str(p.relative_to(home.parent)): oct(stat.S_IMODE(p.stat().st_mode)) for p in [home, *home.rglob("*")]
    }


@pytest.mark.parametrize(
    ("name", "value"), [("TRANSPORT", "smpt"), ("SMTP_SECURITY", "startls")], ids=["transport", "security"]
)
def test_an_unknown_transport_or_security_is_an_error_at_start_up(
    tmp_path: Path, name: str, value: str
) -> None:
    home = tmp_path / "home"
    (tmp_path / "mailroom").mkdir()
    r = run_forms(["process"], home, **{f"FORMS_{name}": value})
    assert r.returncode == 1
    assert f"setting {name.lower()}: {value!r} is not one of" in r.stderr
    assert not home.exists(), "nothing started, nothing written"


def test_what_the_command_writes_is_private_to_its_user(tmp_path: Path) -> None:
    home = tmp_path / "home"
    r = run_forms(["intake", str(SAMPLES / "jetro-fillable.pdf"), "--received", "2026-05-20"], home)
    assert r.returncode == 0, r.stderr
    r = run_forms(["user", "add", "suzuki", "--role", "admin", "--password-stdin"], home, "a long password\n")
    assert r.returncode == 0, r.stderr
    found = modes(home)
    assert (
        "home/forms.db" in found
        and "home/spool/new" in found
        and any(k.startswith("home/outbox/") for k in found)
    )
    loose = {k: m for k, m in found.items() if m not in ("0o700", "0o600")}
    assert loose == {}, "folders 0700, files 0600"


def test_the_library_makes_its_files_private_whatever_the_umask(tmp_path: Path) -> None:
    """Store, spool, key and seen-keys files are created 0600 in 0700 folders by the code itself."""
    home = tmp_path / "home"
    old = os.umask(0o022)
    try:
        room = Mailroom.open(make_settings(home, FORMS_OUTBOX_DIR=str(home / "outbox")))
        room.spool.put(b"Subject: x\r\n\r\nx\r\n", channel="smtp")
        room.close()
        create_app(make_settings(home))
        FileSeenKeys(home / "imap-seen").add("sha256 0")
    finally:
        os.umask(old)
    found = modes(home)
    for name in (
        "home",
        "home/forms.db",
        "home/spool",
        "home/spool/new",
        "home/console.key",
        "home/imap-seen",
    ):
        assert found[name] in ("0o700", "0o600"), (name, found[name])
    assert [k for k, m in found.items() if m not in ("0o700", "0o600")] == []


def test_the_demo_empties_only_a_home_it_made(tmp_path: Path) -> None:
    samples = tmp_path / "samples"
    samples.mkdir()
    shutil.copy(SAMPLES / "jetro-fillable.pdf", samples)
    home = tmp_path / "home"
    home.mkdir()
    (home / "forms.db").write_bytes(b"an operator's store")
    r = run_forms(["demo", "--samples", str(samples)], home)
    assert r.returncode == 2 and "デモが作ったフォルダではない" in r.stderr
    assert (home / "forms.db").read_bytes() == b"an operator's store"

    fresh = tmp_path / "fresh"
    first = run_forms(["demo", "--samples", str(samples)], fresh)
    assert first.returncode == 0, first.stderr
    assert (fresh / ".forms-demo").is_file()
    sent = sorted(p.name for p in (fresh / "outbox").glob("*.eml"))
    assert sent
    again = run_forms(["demo", "--samples", str(samples)], fresh)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (fresh / "outbox").glob("*.eml")) == sent, "each run starts afresh"
