"""Settings for a test: a temporary home, a generous extract timeout, any overrides."""

from __future__ import annotations

from pathlib import Path

from forms.config import Settings, load_settings


def make_settings(home: Path, **env: str) -> Settings:
    return load_settings(env={"FORMS_HOME": str(home), "FORMS_EXTRACT_TIMEOUT_S": "60", **env})
