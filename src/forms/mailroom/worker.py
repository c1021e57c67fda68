"""The mailroom's worker: spool → store → decide → outbox → transport, each step durable.

    spool/new ──ingest──▶ store 'received' ──claim──▶ decide (pipeline, ledger) ──route──▶
        ──record (one transaction: decision + outgoing messages + frame)──▶ outbox 'pending'
        ──claim──▶ transport ──▶ 'sent' (or retried for days, then 'dead')   (deliver.sender)

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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from forms import failpoints
from forms.config import Settings
from forms.deliver import Transport, make_transport
from forms.deliver.retry import RetryPolicy
from forms.deliver.sender import Sender
from forms.errors import Code, StaleClaim, StoreError
from forms.files import private_dir
from forms.intake.spool import Spool, SpoolEntry
from forms.jp.wareki import JST
from forms.mailroom.automatic import take_automatic
from forms.mailroom.returned_youshiki3 import ReturnedStatus, might_be_returned, record_returned
from forms.mailroom.trust import frame_sender_trusted, held_for_clerk
from forms.model import Mail, Outcome
from forms.pipeline import Pipeline, looks_like_document
from forms.route import MailTemplates, reference_number, route_context, routed
from forms.rules.loader import load_rulebooks
from forms.store import ClaimedIntake, NewIntake, Store, StoreLedger
from forms.store.intakes import Intakes

log = logging.getLogger(__name__)

#: Spool entries stored in one transaction (at most so many, or so many bytes).
INGEST_BATCH, INGEST_BATCH_BYTES = 16, 16 * 1024 * 1024


def worker_name(pid: int | None = None) -> str:
    """The name a worker claims under: this machine and the process (this one unless ``pid``)."""
    return f"{socket.gethostname()}:{os.getpid() if pid is None else pid}"


@dataclass
class Mailroom:
    """One worker of the mailroom. Several may share a store (PostgreSQL) on several machines."""

    settings: Settings
    store: Store
    pipeline: Pipeline
    spool: Spool
    sender: Sender
    templates: MailTemplates
    worker: str
    ledger: StoreLedger | None = None
    lease_s: float = 300.0
    #: An intake claimed but not finished because the store failed: decided again first.
    unfinished: ClaimedIntake | None = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings, *, transport: Transport | None = None) -> Mailroom:
        private_dir(settings.home)
        store = Store.open(settings.store_url)
        rulebooks = load_rulebooks(settings.rulebook_dir)
        ledger = StoreLedger.newest(store, rulebooks)
        worker = worker_name()
        sender = Sender(
            store,
            transport or make_transport(settings),
            worker=worker,
            retry=RetryPolicy.for_settings(settings),
            verp=settings.verp,
            lease_s=settings.claim_lease_s,
        )
        return cls(
            settings=settings,
            store=store,
            pipeline=Pipeline(
                settings, ledger=ledger, correspondents=store.correspondents, rulebooks=rulebooks
            ),
            spool=Spool(settings.home / "spool"),
            sender=sender,
            templates=MailTemplates.for_settings(settings),
            worker=worker,
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
            envelope_from=_reverse_path(meta.get("mail_from")) if entry.channel == "smtp" else None,
            envelope_to=meta.get("rcpt_to") if entry.channel == "smtp" else None,
        )

    def process_next(self) -> bool:
        """Claim and decide one intake; False when there is none. A StoreError (the database went
        away) is raised after the intake in hand is kept to be decided again (``unfinished``)."""
        claimed = self.unfinished or self.store.intakes.claim_next(
            self.worker, self.lease_s, max_attempts=self.settings.intake_attempts
        )
        self.unfinished = None
        if claimed is None:
            return False
        try:
            with lease_renewed(self.store.intakes, claimed.id, self.worker, self.lease_s):
                self._decide(claimed)
        except StaleClaim:
            log.warning("intake %s: claim lost to another worker; left to it", claimed.id)
        except StoreError:
            self.unfinished = claimed
            raise
        except Exception as exc:  # our fault, not the form's: kept for a clerk to retry
            log.exception("intake %s could not be decided", claimed.id)
            self.unfinished = claimed
            self.store.intakes.fail(claimed.id, f"{type(exc).__name__}: {exc}"[:500], worker=self.worker)
            self.unfinished = None
        return True

    def _decide(self, claimed: ClaimedIntake) -> None:
        intake_id, data, source, received_at = claimed.id, claimed.data, claimed.source, claimed.received_at
        failpoints.hit("mid_decide")
        mail = None if looks_like_document(data) else self.pipeline.parse_mail(data)
        auto = None if mail is None else self.pipeline.automatic(mail, claimed.envelope_from)
        if mail is not None and auto is not None:  # never answered (RFC 3834), never a 様式1
            take_automatic(self.store, self.pipeline, claimed, mail, auto, actor=self.worker)
            failpoints.hit("after_decide")
            return
        if mail is not None and self._took_returned_youshiki3(intake_id, mail, source, received_at):
            return
        outcome = self.pipeline.examine(
            data,
            source=source or f"intake {intake_id}",
            received_at=received_at,
            corrections=claimed.corrections,  # a clerk's, when the intake is retried
            mail=mail,
            channel=claimed.channel,
        )
        unhinted = mail is not None and _no_form(outcome) and not might_be_returned(mail)
        if unhinted and self._took_returned_youshiki3(intake_id, mail, source, received_at, hinted=False):
            return  # no 様式1 in it: a returned 様式3 whose mail did not say so (a fax gateway's「FAX受信」)
        rulebook = self.pipeline.rulebooks.in_force_at(received_at)
        allowed = self.settings.allowed_sender_domains
        if not frame_sender_trusted(self.store, outcome, rulebook.capped_agencies, allowed):
            outcome = held_for_clerk(outcome, rulebook)  # a new frame only from the bank (mailroom.trust)
        reference = reference_number(rulebook, intake_id)
        channel = outcome.channel or claimed.channel  # a fax gateway's mail is a fax
        ctx = route_context(self.settings, rulebook, reference, received_at, channel)
        made = routed(outcome, ctx, self.templates, rulebook.capped_agencies)
        decision = made.decision  # a copy of a decided submission is found while recording it
        recorded = self.store.intakes.record_decision(
            intake_id,
            status=str(decision.status),
            agency=decision.agency,
            reference=reference,
            decision=decision.to_json(),
            message_id=outcome.mail.message_id if outcome.mail else None,
            sender=outcome.sender,
            form_sha256=outcome.form_sha256,
            outgoing=made.outgoing,
            actor=self.worker,
            frame_for=made.frame_for,
            extraction=made.extraction,
            channel=channel if channel != claimed.channel else None,
        )
        queued = len(made.outgoing) if recorded == decision.status else 0
        codes = ",".join(r.code for r in decision.reasons) or "no reasons"
        log.info(
            "intake %s decided %s (%s) %s; %d message(s) queued",
            intake_id,
            recorded,
            decision.agency or "-",
            codes,
            queued,
        )
        failpoints.hit("after_decide")

    def _took_returned_youshiki3(
        self, intake_id: int, mail: Mail, source: str | None, received_at: dt.datetime, *, hinted: bool = True
    ) -> bool:
        """A bank's returned 様式3: its answer recorded in the ledger (or kept for a clerk), nothing sent.
        ``hinted``: only when the mail says it may be one (``might_be_returned``)."""
        if self.ledger is None or (hinted and not might_be_returned(mail)):
            return False
        rulebook = self.pipeline.rulebooks.in_force_at(received_at)
        got = record_returned(
            self.store,
            self.ledger,
            mail,
            rulebook=rulebook,
            allowed_senders=self.settings.allowed_sender_domains,
            reader=self.pipeline.reader,
            max_attachments=self.settings.max_attachments,
            actor=self.worker,
            received_at=received_at,
        )
        if got.status is ReturnedStatus.NOT_A_YOUSHIKI3:
            return False
        decision = got.to_decision(mail.message_id or source or f"intake {intake_id}")
        self.store.intakes.record_decision(
            intake_id,
            status=str(decision.status),
            agency=decision.agency,
            reference=reference_number(rulebook, intake_id),
            decision=decision.to_json(),
            message_id=mail.message_id,
            sender=mail.from_addr,
            form_sha256=None,
            outgoing=[],
            actor=self.worker,
        )
        log.info("intake %s is a returned 様式3: %s", intake_id, got.status)
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
            return await self.sender.deliver_due()
        finally:
            await self.sender.close()

    def close(self) -> None:
        self.pipeline.close()
        self.store.close()


@contextmanager
def lease_renewed(intakes: Intakes, intake_id: int, worker: str, lease_s: float) -> Iterator[None]:
    """The claim's lease renewed every third of it while the block runs: reading a mail's attachments
    may take each reader's whole time limit, longer than a lease. A renewal that fails (the store is
    away for a moment) is tried again at the next beat; a lost claim ends the beats."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(lease_s / 3):
            try:
                if not intakes.renew(intake_id, worker, lease_s):
                    return
            except StoreError as exc:
                log.warning("intake %s: lease not renewed (%s)", intake_id, exc)

    thread = threading.Thread(target=beat, name=f"lease-{intake_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _received_at(value: str | None) -> dt.datetime | None:
    """An explicit received time given with the file (``forms intake --received``); one written
    without a zone is Japan time."""
    try:
        when = dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return when if when is None or when.tzinfo is not None else when.replace(tzinfo=JST)


def _reverse_path(value: str | None) -> str | None:
    """The SMTP MAIL FROM without brackets: '' for the null reverse-path <>."""
    return None if value is None else value.strip().strip("<>").strip()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _no_form(outcome: Outcome) -> bool:
    """Whether the mail's documents held no 様式1 at all (every reason FORM_NOT_FOUND)."""
    reasons = outcome.decision.reasons
    return bool(reasons) and all(r.code is Code.FORM_NOT_FOUND for r in reasons)
