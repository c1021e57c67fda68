"""The mailroom's durable store, reached one way: ``Store`` and its repositories, one per table group.

    store.intakes    received messages, claims, decisions, retries, corrections (intakes.py)
    store.queue      the clerks' queue, their decisions and handled marks (queue.py)
    store.outbox     outgoing messages: claimed, sent, retried, dead (outbox.py)
    store.events     the event log (events.py)
    store.ledger     supports, loans, frames (ledger.py; ``StoreLedger`` is the ledger view over them)
    store.users      the console's accounts (users.py)
    store.tokens     the agencies' API tokens (tokens.py)
    store.rate_limits  the API's rate limit per token, shared by every process (ratelimits.py)
    store.notices    the scheduler's reminders and digests, each sent once (notices.py)
    store.correspondents  the values earlier intakes made known: evidence for a reading (correspondents.py)
    store.youshiki2  the issued 様式2 (youshiki2.py)
    store.youshiki3  the issued 様式3 and their answers (youshiki3.py)

This package is the only place that talks SQL. Every state change of an intake or an outgoing
message happens in one transaction together with its event, so the event log is complete. Nothing is
deleted: a clerk's retry puts an intake back in the queue and keeps its records and events; a dead
letter stays visible until a clerk requeues it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from forms.files import private_dir
from forms.store.correspondents import KnownValues
from forms.store.engine import Clock, Database, utc_now
from forms.store.events import Events
from forms.store.intakes import Intakes
from forms.store.ledger import LedgerTables
from forms.store.notices import Notices
from forms.store.outbox import Outbox
from forms.store.queue import ReviewQueue
from forms.store.ratelimits import RateLimits
from forms.store.schema import intakes, outbox
from forms.store.tokens import ApiTokens
from forms.store.users import UserAccounts
from forms.store.youshiki2 import Youshiki2Records
from forms.store.youshiki3 import Youshiki3Records


class Store:
    """Opened once per process (``Store.open``); safe to share between the threads of a process."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.intakes = Intakes(db)
        self.queue = ReviewQueue(db)
        self.outbox = Outbox(db)
        self.events = Events(db)
        self.ledger = LedgerTables(db)
        self.users = UserAccounts(db)
        self.tokens = ApiTokens(db)
        self.rate_limits = RateLimits(db)
        self.notices = Notices(db)
        self.correspondents = KnownValues(db)
        self.youshiki2 = Youshiki2Records(db)
        self.youshiki3 = Youshiki3Records(db)

    @classmethod
    def open(cls, url: str, *, clock: Clock | None = None) -> Store:
        """Connect to ``url`` and migrate the schema to the newest revision."""
        return cls(Database.open(url, clock=clock or utc_now))

    @staticmethod
    def default_url(home: Path) -> str:
        """The embedded database under the service's home folder (created if missing)."""
        private_dir(home)
        return f"sqlite:///{(home / 'forms.db').resolve()}"

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def now(self) -> dt.datetime:
        """The store's clock (what its records are dated by)."""
        return self.db.now()

    def counts(self) -> dict[str, int]:
        """Intakes per state ('intakes.received'), per decision ('decisions.routed'); outbox per state."""
        queries = {
            "intakes": select(intakes.c.state, func.count()).group_by(intakes.c.state),
            "decisions": select(intakes.c.status, func.count())
            .where(intakes.c.status.is_not(None))
            .group_by(intakes.c.status),
            "outbox": select(outbox.c.state, func.count()).group_by(outbox.c.state),
        }
        out: dict[str, int] = {}
        with self.db.reading() as conn:
            for prefix, query in queries.items():
                out.update({f"{prefix}.{key}": int(n) for key, n in conn.execute(query)})
        return out
