"""The durable store of the mailroom: intakes and their bytes, decisions, events, outbox, ledger.

SQLite (embedded, WAL) under the service's home by default; PostgreSQL by URL, where several
workers on different machines share the queue (each intake and each message is claimed once).
"""

from forms.store.ledger import StoreLedger
from forms.store.records import ClaimedIntake, EventRow, IntakeRow, NewIntake, OutboxItem
from forms.store.store import Store

__all__ = [
    "ClaimedIntake",
    "EventRow",
    "IntakeRow",
    "NewIntake",
    "OutboxItem",
    "Store",
    "StoreLedger",
]
