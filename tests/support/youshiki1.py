"""The shared form filler (../shared/forms/fill.py) and the samples' values, for tests that make 様式1."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.support.paths import FORMS_DIR, SAMPLES


def fill_module() -> ModuleType:
    """fill.py, imported once: it is a script folder beside the repository, not a package."""
    folder = str(FORMS_DIR)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import fill

    return fill


def sample_values(name: str, **changes: Any) -> dict[str, Any]:
    """A shared sample's values (fill.py format) with ``changes``."""
    values = json.loads((SAMPLES / f"{name}.values.json").read_text(encoding="utf-8"))
    return {**values, **changes}


def jetro_values(**changes: Any) -> dict[str, Any]:
    return sample_values("jetro-fillable", **changes)


def filled_pdf(values: dict[str, Any], path: Path) -> Path:
    """``values`` filled into the fillable 様式1 at ``path``."""
    fill_module().fill_fillable(values, str(path))
    return path


def blotted_scan(values: dict[str, Any], field: str, folder: Path, seed: int = 7) -> bytes:
    """``values`` printed with an ink blot over ``field``'s value, then scanned (fill.py): a scan that
    cannot be read with certainty, so it waits for a clerk (LOW_CONFIDENCE on ``field``)."""
    from tests.corpus.make_corpus import blot  # the corpus builder's blot (imports reportlab, fill.py)

    fill = fill_module()
    fill.flatten(values, str(folder / "flat.pdf"))
    (folder / "blotted.pdf").write_bytes(blot((folder / "flat.pdf").read_bytes(), field))
    fill.scan(str(folder / "blotted.pdf"), str(folder / "scan.pdf"), seed=seed)
    return (folder / "scan.pdf").read_bytes()
