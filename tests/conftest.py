"""Shared fixtures: paths to the contract files, settings in a temp home, one pipeline per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from forms.config import Settings, load_settings
from forms.pipeline import Pipeline

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "samples"
FORMS_DIR = SHARED / "forms"
ARTIFACTS = REPO / "tests" / "artifacts"


def make_settings(home: Path, **env: str) -> Settings:
    return load_settings(env={"FORMS_HOME": str(home), "FORMS_EXTRACT_TIMEOUT_S": "60", **env})


@pytest.fixture(scope="session")
def session_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("forms-home")


@pytest.fixture(scope="session")
def pipeline(session_home: Path) -> Iterator[Pipeline]:
    """A pipeline with real reader processes, shared by the tests of one session (no ledger)."""
    with Pipeline(make_settings(session_home)) as p:
        yield p
