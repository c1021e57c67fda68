"""Settings: declared once with help text; file and environment feed the same object."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from forms.config import Settings, load_settings
from forms.errors import ConfigError
from forms.spec import data_path
from tests.support.paths import FORMS_DIR


def test_every_setting_has_help_text() -> None:
    undocumented = [f.name for f in dataclasses.fields(Settings) if not f.metadata.get("help")]
    assert undocumented == []


def test_environment_overrides_file(tmp_path: Path) -> None:
    cfg = tmp_path / "forms.toml"
    cfg.write_text('max_pages = 10\nallowed_sender_domains = ["bank.example.jp"]\n', encoding="utf-8")
    s = load_settings(cfg, env={"FORMS_MAX_PAGES": "12", "FORMS_HOME": str(tmp_path)})
    assert s.max_pages == 12
    assert s.allowed_sender_domains == ("bank.example.jp",)
    assert s.home == tmp_path


def test_comma_separated_domains_from_environment() -> None:
    s = load_settings(env={"FORMS_ALLOWED_SENDER_DOMAINS": "a.example.jp, b.example.jp"})
    assert s.allowed_sender_domains == ("a.example.jp", "b.example.jp")


@pytest.mark.parametrize(
    ("text", "env"),
    [("nonsense = 1\n", {}), ("max_pages = [\n", {}), ("", {"FORMS_MAX_PAGES": "many"})],
    ids=["unknown-key", "bad-toml", "bad-number"],
)
def test_bad_settings_are_config_errors(tmp_path: Path, text: str, env: dict[str, str]) -> None:
    cfg = tmp_path / "forms.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        load_settings(cfg, env=env)


@pytest.mark.skipif(not FORMS_DIR.is_dir(), reason="../shared/forms is not beside the repo")
@pytest.mark.parametrize("name", ["youshiki1.json", "youshiki1.pdf"])
def test_packaged_form_matches_the_official_copy(name: str) -> None:
    assert data_path(name).read_bytes() == (FORMS_DIR / name).read_bytes()


def test_serve_starts_two_deciders_per_core_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert load_settings(env={}).decider_count == 4
    assert load_settings(env={"FORMS_DECIDERS": "3"}).decider_count == 3
    assert load_settings(env={"FORMS_WORKERS": "3"}).decider_count == 4  # readers are another setting


@pytest.mark.parametrize(
    "env",
    [
        {"FORMS_TRANSPORT": "SMTP"},
        {"FORMS_SMTP_SECURITY": "ssl"},
        {"FORMS_TRANSPORT": "smtp", "FORMS_SMTP_USERNAME": "mailroom", "FORMS_SMTP_SECURITY": "none"},
    ],
    ids=["transport", "security", "password-in-clear"],
)
def test_a_transport_that_would_not_do_what_it_says_is_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=r"setting (transport|smtp_security)"):
        load_settings(env=env)
