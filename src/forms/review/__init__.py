"""The clerks' operations on intakes (issue 5 "Clerk console"): the review queue, one intake with its
corrections and a preview of the new decision, routing, rejecting, marking handled, retries, bulk
reprocessing, contact deadlines and the outbox. The web console and ``forms review`` both use
:class:`Review`; every action writes an event with who did it; the original bytes are never changed.
"""

from forms.review.original import Original, render_page
from forms.review.service import Review
from forms.review.values import DeadlineRow, IntakeView, outcome_text
from forms.store.queue import OPEN_STATUSES, QueueFilter, QueueRow

__all__ = [
    "OPEN_STATUSES",
    "DeadlineRow",
    "IntakeView",
    "Original",
    "QueueFilter",
    "QueueRow",
    "Review",
    "outcome_text",
    "render_page",
]
