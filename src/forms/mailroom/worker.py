"""The mailroom's worker: spool → store → decide → outbox → transport, each step durable.

    spool/new ──ingest──▶ store 'received' ──claim──▶ decide (pipeline, ledger)
        ──record (one transaction: decision + outgoing messages + frame)──▶ outbox 'pending'
        ──claim──▶ transport ──▶ 'sent' (or retried with backoff, then 'dead')

Every step is recorded before the next starts, so a worker killed anywhere (see ``failpoints``) is
simply restarted: an intake is stored once (spool ids), decided once (claims with leases; a decision
is written only by the claim holder), and each outgoing message is queued once (stable Message-IDs)
and sent once (claims with leases; the file transport is idempotent by Message-ID).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
from dataclasses import dataclass

from forms.config import Settings
from forms.deliver import Transport, make_transport
from forms.errors import DeliveryError, StaleClaim
from forms.intake.spool import Spool, SpoolEntry
from forms.ledger import CompanyKey
from forms.mailroom import failpoints
from forms.mailroom.returned_youshiki3 import ReturnedStatus, might_be_returned, record_returned
from forms.model import Decision, Mail, Status
from forms.pipeline import Pipeline, extraction_to_json, looks_like_pdf
from forms.route import MailTemplates, route, route_context
from forms.rules.loader import Rulebook, load_rulebooks
from forms.store import NewIntake, Store
from forms.store.ledger import StoreLedger
from forms.store.records import ClaimedIntake, OutboxItem

log = logging.getLogger(__name__)

#: Backoff of failed sends: 30 s, 1 min, 2 min … at most an hour.
BACKOFF_BASE_S, BACKOFF_MAX_S = 30.0, 3600.0
#: Outgoing messages claimed (in one transaction) and handed to the transport together.
SEND_BATCH = 8
#: Spool entries stored in one transaction (at most so many, or so many bytes).
INGEST_BATCH, INGEST_BATCH_BYTES = 16, 16 * 1024 * 1024


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"





def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, attempts)))


@dataclass
class Mailroom:
    """One worker of the mailroom. Several may share a store (PostgreSQL) on several machines."""

    settings: Settings
    store: Store
    pipeline: Pipeline
    spool: Spool
    transport: Transport
    templates: MailTemplates
    worker: str
    ledger: StoreLedger | None = None
    lease_s: float = 300.0

    @classmethod
    def open(cls, settings: Settings, *, transport: Transport | None = None) -> Mailroom:
        settings.home.mkdir(parents=True, exist_ok=True)
        store = Store.open(settings.store_url)
        rulebooks = load_rulebooks(settings.rulebook_dir)
        newest = max(rulebooks, key=lambda b: b.effective_from)
        ledger = StoreLedger(store, newest.shared_cap.cap_per_frame_yen, newest.capped_agencies)
        return cls(
            settings=settings,
            store=store,
            pipeline=Pipeline(settings, ledger=ledger, rulebooks=rulebooks),
            spool=Spool(settings.home / "spool"),
            transport=transport or make_transport(settings),
            templates=MailTemplates.for_settings(settings),
            worker=worker_name(),
            ledger=ledger,
            lease_s=settings.claim_lease_s,
        )

    # -- intake ---------------------------------------------------------------------------------

    def ingest(self) -> int:
        """Move what the spool holds into the store (idempotent by spool id), a batch of entries per
        transaction; returns how many intakes are new."""
        count = 0
        batch: list[tuple[SpoolEntry, NewIntake]] = []
        size = 0
        for entry in self.spool.entries():
            new = self._new_intake(entry)
            batch.append((entry, new))
            size += len(new.data)
            if len(batch) >= INGEST_BATCH or size >= INGEST_BATCH_BYTES:
                count += self._store_batch(batch)
                batch, size = [], 0
        return count + (self._store_batch(batch) if batch else 0)

    def _store_batch(self, batch: list[tuple[SpoolEntry, NewIntake]]) -> int:
        stored = self.store.intakes.add_many([new for _, new in batch])
        failpoints.hit("after_receive")
        for (entry, _), intake_id in zip(batch, stored, strict=True):
            self.spool.remove(entry)
            if intake_id is not None:
                log.info("intake %s received by %s (%s)", intake_id, entry.channel, entry.spool_id)
        return sum(intake_id is not None for intake_id in stored)

    def _new_intake(self, entry: SpoolEntry) -> NewIntake:
        meta = entry.meta
        return NewIntake(
            data=self.spool.read(entry),
            channel=entry.channel,
            received_at=_received_at(meta.get("received_at")) or entry.received_at,
            spool_id=entry.spool_id,
            source=meta.get("source") or meta.get("message_id") or meta.get("maildir_name"),
            mailbox=meta.get("mailbox"),
            imap_uidvalidity=_int(meta.get("uidvalidity")),
            imap_uid=_int(meta.get("uid")),
        )

    def process_next(self) -> bool:
        """Claim and decide one intake; False when there is none."""
        claimed = self.store.intakes.claim_next(self.worker, self.lease_s)
        if claimed is None:
            return False
        try:
            self._decide(claimed)
        except StaleClaim:
            log.warning("intake %s: claim lost to another worker; left to it", claimed.id)
        except Exception as exc:  # our fault, not the form's: kept for a clerk to retry
            log.exception("intake %s could not be decided", claimed.id)
            self.store.intakes.fail(claimed.id, f"{type(exc).__name__}: {exc}"[:500], worker=self.worker)
        return True

    def _decide(self, claimed: ClaimedIntake) -> None:
        intake_id, data, source, received_at = claimed.id, claimed.data, claimed.source, claimed.received_at
        mail = None if looks_like_pdf(data) else self.pipeline.parse_mail(data)
        if mail is not None and self._took_returned_youshiki3(intake_id, mail, source, received_at):
            return
        outcome = self.pipeline.examine(
            data,
            source=source or f"intake {intake_id}",
            received_at=received_at,
            corrections=claimed.corrections,  # a clerk's, when the intake is retried
            mail=mail,
        )
        decision = outcome.decision  # a copy of a decided submission is found while recording it
        rulebook = self.pipeline.rulebooks.for_date(received_at.date())
        reference = f"{rulebook.id}-{intake_id:06d}"
        pdf = (outcome.form_name or "youshiki1.pdf", outcome.form_bytes) if outcome.form_bytes else None
        ctx = route_context(self.settings, rulebook, reference, received_at)
        outgoing = route(decision, outcome.mail, pdf, ctx, self.templates)
        recorded = self.store.intakes.record_decision(
            intake_id,
            status=str(decision.status),
            agency=decision.agency,
            reference=reference,
            decision=decision.to_json(),
            message_id=outcome.mail.message_id if outcome.mail else None,
            sender=outcome.sender,
            form_sha256=outcome.form_sha256,
            outgoing=outgoing,
            actor=self.worker,
            frame_for=frame_for(decision, rulebook),
            extraction=extraction_to_json(outcome.extraction) if outcome.extraction else None,
        )
        log.info(
            "intake %s decided %s (%s) %s; %d message(s) queued",
            intake_id,
            recorded,
            decision.agency or "-",
            ",".join(r.code for r in decision.reasons) or "no reasons",
            len(outgoing) if recorded == decision.status else 0,
        )
        failpoints.hit("after_decide")

    def _took_returned_youshiki3(
        self, intake_id: int, mail: Mail, source: str | None, received_at: dt.datetime
    ) -> bool:
        """A bank's returned 様式3: its answer recorded in the ledger (or kept for a clerk), nothing sent."""
        if self.ledger is None or not might_be_returned(mail):
            return False
        rulebook = self.pipeline.rulebooks.for_date(received_at.date())
        got = record_returned(self.store, self.ledger, mail, rulebook=rulebook, actor=self.worker)
        if got.status is ReturnedStatus.NOT_A_YOUSHIKI3:
            return False
        decision = got.to_decision(mail.message_id or source or f"intake {intake_id}")
        self.store.intakes.record_decision(
            intake_id,
            status=str(decision.status),
            agency=decision.agency,
            reference=f"{rulebook.id}-{intake_id:06d}",
            decision=decision.to_json(),
            message_id=mail.message_id,
            sender=mail.from_addr,
            form_sha256=None,
            outgoing=[],
            actor=self.worker,
        )
        log.info("intake %s is a returned 様式3: %s", intake_id, got.status)
        return True

    # -- delivery -------------------------------------------------------------------------------

    async def deliver_due(self) -> int:
        """Send every outgoing message that is due; returns how many were sent. Messages are claimed
        a batch at a time, handed to the transport together (it bounds its own concurrency) and
        recorded as sent in one transaction when the transport has taken them: a crash between a
        server's 250 and that record (milliseconds) sends the message again after its lease, which
        the 'send_lease_expired' event records. The file transport is idempotent by Message-ID."""
        sent = 0
        while True:
            now = dt.datetime.now(dt.UTC)
            batch = self.store.outbox.claim(self.worker, now, lease_s=self.lease_s, limit=SEND_BATCH)
            if not batch:
                return sent
            failpoints.hit("mid_send")
            results = await asyncio.gather(*(self._send(item, now) for item in batch))
            done = [item for item, ok in zip(batch, results, strict=True) if ok]
            stale = set(self.store.outbox.mark_sent_batch([item.id for item in done], worker=self.worker))
            for item in done:
                if item.id in stale:
                    log.warning("message %s: claim lost to another sender while sending", item.message_id)
                    continue
                log.info("message %s (%s) sent to %s", item.message_id, item.kind, ", ".join(item.recipients))
                sent += 1

    async def _send(self, item: OutboxItem, now: dt.datetime) -> bool:
        """Hand one claimed message to the transport; True when it took it (recorded by the caller, for
        the whole batch at once), else the failure is recorded here."""
        try:
            await self.transport.send(item.sender, item.recipients, item.raw, item.message_id)
        except DeliveryError as exc:
            last = exc.permanent or item.attempts + 1 >= self.settings.send_attempts
            retry_at = None if last else now + backoff(item.attempts)
            log.warning("message %s not sent (%s); %s", item.message_id, exc, "dead" if last else "retry")
            self.store.outbox.mark_failed(item.id, str(exc)[:500], worker=self.worker, retry_at=retry_at)
            return False
        return True

    # -- one pass -------------------------------------------------------------------------------

    def drain(self) -> dict[str, int]:
        """Everything once: ingest the spool, decide every waiting intake, send what is due."""
        received = self.ingest()
        decided = 0
        while self.process_next():
            decided += 1
        sent = asyncio.run(self._deliver_and_close())
        return {"received": received, "decided": decided, "sent": sent}

    async def _deliver_and_close(self) -> int:
        try:
            return await self.deliver_due()
        finally:
            await self.transport.close()

    def close(self) -> None:
        self.pipeline.close()
        self.store.close()


def _received_at(value: str | None) -> dt.datetime | None:
    """An explicit received time given with the file (``forms intake --received``)."""
    try:
        return dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def frame_for(decision: Decision, rulebook: Rulebook) -> CompanyKey | None:
    """A routed, valid re-application to a capped agency grants the company its next frame."""
    if decision.status is not Status.ROUTED or decision.agency not in rulebook.capped_agencies:
        return None
    if decision.fields.get("reapplication") is not True:
        return None
    return CompanyKey.from_fields(decision.fields)
