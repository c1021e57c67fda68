"""Shared fixtures: paths to the contract files, settings in a temp home, one pipeline per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from forms.pipeline import Pipeline
from tests.support.paths import ARTIFACTS, FORMS_DIR, REPO, SAMPLES, SHARED
from tests.support.settings import make_settings
from tests.support.smtp_sink import Recorder, smtp_sink

__all__ = ["ARTIFACTS", "FORMS_DIR", "REPO", "SAMPLES", "SHARED", "make_settings"]


@pytest.fixture(scope="session")
def session_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("forms-home")


@pytest.fixture(scope="session")
def pipeline(session_home: Path) -> Iterator[Pipeline]:
    """A pipeline with real reader processes, shared by the tests of one session (no ledger)."""
    with Pipeline(make_settings(session_home)) as p:
        yield p


@pytest.fixture
def sink() -> Iterator[tuple[int, Recorder]]:
    """An agency's or a bank's SMTP server on loopback: its port and what it received."""
    with smtp_sink() as (controller, recorder):
        yield controller.port, recorder
