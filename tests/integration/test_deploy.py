"""The systemd units of deploy/: they parse (``systemd-analyze verify``, where it is installed), every
command they run is a `forms` command that exists with options it takes, and the README names them."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from forms.cli.main import build_parser
from forms.config import load_settings
from tests.support.paths import FORMS, REPO

DEPLOY = REPO / "deploy"
INSTALLED = "/opt/forms/.venv/bin/forms"  # where the units expect the package (README, "Deploying")
UNITS = sorted(p for p in DEPLOY.iterdir() if p.suffix in (".service", ".timer"))


def sections(unit: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(unit.read_text(encoding="utf-8"))
    return parser


def forms_commands(unit: Path) -> list[list[str]]:
    """The `forms` command lines a unit runs."""
    found = []
    for line in sections(unit).get("Service", "ExecStart", fallback="").splitlines():
        words = shlex.split(line)
        if words and words[0] == INSTALLED:
            found.append(words[1:])
    return found


def test_there_are_units_for_the_mailroom_the_console_and_backups() -> None:
    assert {p.name for p in UNITS} >= {
        "forms-serve.service",
        "forms-console.service",
        "forms-backup.service",
        "forms-backup.timer",
    }


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_units_parse(tmp_path: Path) -> None:
    for unit in UNITS:  # the installed path replaced by this checkout's, so the commands can be found
        (tmp_path / unit.name).write_text(unit.read_text(encoding="utf-8").replace(INSTALLED, str(FORMS)))
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stderr


@pytest.mark.parametrize("unit", [u for u in UNITS if u.suffix == ".service"], ids=lambda u: u.name)
def test_every_command_a_unit_runs_exists_with_its_options(unit: Path) -> None:
    commands = forms_commands(unit)
    assert commands, f"{unit.name} runs forms"
    for args in commands:
        parsed = build_parser().parse_args(args)  # an unknown command or option exits here
        assert parsed.config == Path("/etc/forms/forms.toml") and callable(parsed.func)
        done = subprocess.run(
            [str(FORMS), parsed.command, "--help"], capture_output=True, timeout=60, check=False
        )
        assert done.returncode == 0


def test_the_readme_says_how_to_install_each_unit() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "## Deploying" in readme
    assert [u.name for u in UNITS if f"deploy/{u.name}" not in readme] == []


def test_the_readmes_sample_settings_are_settings(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    sample = readme.split("## Deploying", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "forms.toml").write_text(sample, encoding="utf-8")
    settings = load_settings(tmp_path / "forms.toml", env={})
    assert settings.smtp_listen.startswith("127.0.0.1:") and settings.trusted_proxies == ("127.0.0.1",)
