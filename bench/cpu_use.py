"""Where the CPU went while a bench ran: per process of a tree (Linux /proc), and the share the
hypervisor gave to other guests (steal). Used by ``bench/mailroom.py``."""

from __future__ import annotations

import os
from pathlib import Path


def process_tree(root: int) -> dict[int, str]:
    """``root`` and its descendants (Linux /proc): pid → a short role name."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            cmd = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        found[pid] = "reader" if "reader_process" in cmd else "decider" if " work " in cmd else "serve"
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 when it is gone)."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes_under(roots: list[int]) -> dict[int, str]:
    return {pid: role for root in roots for pid, role in process_tree(root).items()}


def cpu_per_mail(roots: list[int], before: dict[int, float], mails: int) -> dict[str, float]:
    """CPU milliseconds per mail of each role in the trees under ``roots`` while the mails went
    through (processes started meanwhile count from zero)."""
    spent: dict[str, float] = {}
    for pid, role in processes_under(roots).items():
        spent[role] = spent.get(role, 0.0) + cpu_seconds(pid) - before.get(pid, 0.0)
    return {role: round(1000 * s / mails, 1) for role, s in sorted(spent.items())}


class Steal:
    """The share of the machine's CPU time the hypervisor gave to others meanwhile (/proc/stat)."""

    def __enter__(self) -> Steal:
        self._start = self._ticks()
        self.percent = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._ticks()
        total = sum(end) - sum(self._start)
        self.percent = round(100 * (end[7] - self._start[7]) / total, 1) if total else 0.0

    @staticmethod
    def _ticks() -> list[int]:
        return [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
