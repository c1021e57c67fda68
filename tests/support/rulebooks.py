"""Rulebook folders for tests: the packaged R8 beside a next year's R9 made from it (data only)."""

from __future__ import annotations

import shutil
from pathlib import Path

from forms.rules.loader import MESSAGES_FILE, packaged_dir

PACKAGED = packaged_dir()
#: What the test R9 says of a missing field, so a decision shows which rulebook judged it.
R9_FIELD_MISSING = "【令和9年度】「{label}」を記入してください。"


def r9_text(effective_from: str = "2027-04-01", cap: int = 1_200_000, contact_days: int = 7) -> str:
    """R8.yaml as next year's R9: its id, fiscal year, effective date, cap and contact days changed."""
    text = (PACKAGED / "R8.yaml").read_text(encoding="utf-8")
    text = text.replace("id: R8\n", "id: R9\n").replace("fiscal_year: 2026", "fiscal_year: 2027")
    text = text.replace("effective_from: 2026-04-01", f"effective_from: {effective_from}")
    text = text.replace("  business_days: 7\n", f"  business_days: {contact_days}\n")
    return text.replace("cap_per_frame_yen: 1000000", f"cap_per_frame_yen: {cap}")


def r8_r9_folder(folder: Path) -> Path:
    """A rulebook folder: the packaged R8 and messages, and an R9 in force from 2027-04-01 whose
    contact deadline is 5 business days and whose FIELD_MISSING message names the year."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("R8.yaml", MESSAGES_FILE):
        shutil.copyfile(PACKAGED / name, folder / name)
    r9 = r9_text(contact_days=5) + f"\nmessages:\n  FIELD_MISSING: {R9_FIELD_MISSING}\n"
    (folder / "R9.yaml").write_text(r9, encoding="utf-8")
    return folder
