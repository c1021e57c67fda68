"""Paths the tests read from: the repository, the shared contract files beside it, the `forms` command."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "samples"
OWN_SAMPLES = REPO / "tests" / "samples"  # the project's samples of the carriers other than PDF
FORMS_DIR = SHARED / "forms"
ARTIFACTS = REPO / "tests" / "artifacts"
FORMS = Path(sys.executable).with_name("forms")
