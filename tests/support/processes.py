"""Waiting on, and finding, the processes a test started."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


def processes_with(marker: str) -> list[int]:
    """PIDs whose environment holds `marker` (our own FORMS_HOME): what a run left behind."""
    found = []
    for env in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in env.read_bytes():
                found.append(int(env.parent.name))
        except OSError:
            continue
    return found


def wait_until(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False
