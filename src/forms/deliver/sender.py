"""The sender: hands the outbox's due messages to the transport and records what became of each.

Messages are claimed a batch at a time (one transaction), handed to the transport together (it
bounds its own concurrency) and recorded as sent in one transaction when the transport has taken
them: a crash between a server's 250 and that record (milliseconds) sends the message again after
its lease, which the 'send_lease_expired' event records. The file transport is idempotent by
Message-ID. A temporary failure is retried as an MTA retries (``deliver.retry``: minutes, then
doubling to hours, for days); a permanent one, or one past the give-up time, is a dead letter a clerk
sees. A failure after the final dot is recorded as unconfirmed (it may have been delivered) and
retried with the same Message-ID. Times are the store's clock.

When the store fails (PostgreSQL restarting) between a server's 250 and that record, the sender
keeps what it sent and records it first when it is called again, before it claims anything: a store
that comes back never makes it send a message twice. A failure it could not record is left to its
lease (it was not delivered; it is tried again).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from forms import failpoints
from forms.deliver.retry import RetryPolicy
from forms.deliver.returns import return_path
from forms.deliver.transport import Transport
from forms.errors import DeliveryError, StoreError
from forms.store import OutboxItem, Store

log = logging.getLogger(__name__)

#: Outgoing messages claimed (in one transaction) and handed to the transport together.
SEND_BATCH = 8


class Sender:
    """Sends what the outbox holds through one transport; several senders may share a store."""

    def __init__(
        self,
        store: Store,
        transport: Transport,
        *,
        worker: str,
        retry: RetryPolicy,
        lease_s: float,
        verp: bool = True,
    ) -> None:
        self.store = store
        self.transport = transport
        self.worker = worker
        self.retry = retry
        self.lease_s = lease_s
        self.verp = verp  # the envelope sender names the message (deliver.returns)
        #: Handed over but not yet recorded as sent (the store failed): recorded before anything else.
        self.unrecorded: list[OutboxItem] = []

    async def deliver_due(self) -> int:
        """Send every outgoing message that is due; returns how many were sent. Raises StoreError when
        the store fails (what was handed over stays in ``unrecorded`` for the next call)."""
        sent = self._record_sent()
        while True:
            now = self.store.now()
            batch = self.store.outbox.claim(self.worker, now, lease_s=self.lease_s, limit=SEND_BATCH)
            if not batch:
                return sent
            failpoints.hit("mid_send")
            results = await asyncio.gather(*(self._send(item, now) for item in batch))
            self.unrecorded = [item for item, ok in zip(batch, results, strict=True) if ok]
            sent += self._record_sent()

    def _record_sent(self) -> int:
        """Record ``unrecorded`` as sent (one transaction); how many were still this sender's."""
        done = self.unrecorded
        if not done:
            return 0
        stale = set(self.store.outbox.mark_sent_batch([item.id for item in done], worker=self.worker))
        self.unrecorded = []
        sent = 0
        for item in done:
            if item.id in stale:
                log.warning("message %s: claim lost to another sender while sending", item.message_id)
                continue
            log.info("message %s (%s) sent to %s", item.message_id, item.kind, ", ".join(item.recipients))
            sent += 1
        return sent

    async def _send(self, item: OutboxItem, now: dt.datetime) -> bool:
        """Hand one claimed message to the transport; True when it took it (recorded by the caller, for
        the whole batch at once), else the failure is recorded here."""
        try:
            envelope = return_path(item.sender, item.return_token) if self.verp else item.sender
            await self.transport.send(envelope, item.recipients, item.raw, item.message_id)
        except DeliveryError as exc:
            retry_at = self.retry.next_attempt(
                failures=item.attempts + 1,
                queued_at=item.queued_at or now,
                now=self.store.now(),
                permanent=exc.permanent,
            )
            then = "dead letter" if retry_at is None else f"retry at {retry_at.isoformat(timespec='seconds')}"
            log.warning("message %s not sent (%s); %s", item.message_id, exc, then)
            try:
                error, unconfirmed = str(exc)[:500], exc.unconfirmed
                self.store.outbox.mark_failed(
                    item.id, error, worker=self.worker, retry_at=retry_at, unconfirmed=unconfirmed
                )
            except StoreError as lost:  # not delivered: tried again once its claim's lease runs out
                log.warning("message %s: its failure not recorded (%s)", item.message_id, lost)
            return False
        return True

    async def close(self) -> None:
        await self.transport.close()
