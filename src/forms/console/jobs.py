"""Long operations (bulk reprocessing) run in a thread; the page polls their progress.

A job belongs to the account that started it; its progress (done of total) is updated by the
operation's progress callback, its result or error kept until the console stops. Jobs live in memory:
a restarted console forgets them, never what they did (that is in the store and its event log).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

#: An operation: called with a progress callback (done, total); returns the job's result.
Operation = Callable[[Callable[[int, int], None]], Any]


@dataclass
class Job:
    id: int
    owner: str
    title: str
    params: dict[str, Any] = field(default_factory=dict)
    done: int = 0
    total: int = 0
    finished: bool = False
    result: Any = None
    error: str | None = None

    @property
    def percent(self) -> int:
        return 100 if self.finished else (100 * self.done // self.total if self.total else 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "finished": self.finished,
            "error": self.error,
        }


class Jobs:
    """The console's running and finished jobs (thread-safe)."""

    def __init__(self, keep: int = 100) -> None:
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._keep = keep

    def start(
        self, owner: str, title: str, operation: Operation, params: dict[str, Any] | None = None
    ) -> Job:
        with self._lock:
            job = Job(next(self._ids), owner, title, dict(params or {}))
            self._jobs[job.id] = job
            for old in sorted(self._jobs)[: max(0, len(self._jobs) - self._keep)]:
                del self._jobs[old]
        threading.Thread(
            target=self._run, args=(job, operation), name=f"console-job-{job.id}", daemon=True
        ).start()
        return job

    def get(self, job_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    @staticmethod
    def _run(job: Job, operation: Operation) -> None:
        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        try:
            job.result = operation(progress)
        except Exception as exc:  # the job's fault is shown on its page, the console goes on
            log.exception("console job %s (%s) failed", job.id, job.title)
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.finished = True
