"""Issuing 様式2 and 様式3, and mailing them (DOMAIN "What goes out, to whom").

    DocumentPost.youshiki2(key, agency=…, period=…, send=…)  to the company; scb: a copy to the bank
    DocumentPost.youshiki3(form, send=…)                     to the bank officer; jetro: 様式1, 様式2 enclosed
    DocumentPost.youshiki2_batch(agency, period, send=…)     each company the agency supported in the period
    DocumentPost.youshiki3_batch(agencies, send=…)           each routed 様式1 that has no 様式3 yet

Each document gets a reference number (R8-Y2-000003, R8-Y3-000007) that it prints; its files are
written to the documents folder; then the document is recorded and its mail queued in the outbox in
ONE transaction, so an issued document is mailed exactly once (its Message-ID comes from its
reference) and a crash before that transaction leaves nothing half done. The sender of
``forms serve`` / ``forms process`` sends it, with the outbox's retries and dead letters.

A batch issues what has not been issued: run again, it skips what the first run issued (and
queued); two batches at once (a button pressed twice, the console and the command) check again in
the transaction that records each document, so the second finds it issued, removes the files it
wrote and issues nothing (its reference number stays unused).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from forms.config import Settings
from forms.deliver.message import valid_address
from forms.documents import BankInfo, CompanyInfo, text_of
from forms.documents.batch import FORMATS, file_name, render, write_atomically
from forms.documents.enclosures import youshiki1_enclosure, youshiki2_enclosure
from forms.documents.mail import Letterhead, MailTexts, enclosure, youshiki2_mail, youshiki3_mail
from forms.documents.youshiki2 import COPY_TO_BANK, Youshiki2, supports_for_report, youshiki2_data
from forms.documents.youshiki3 import Youshiki3, youshiki3_data
from forms.errors import AlreadyIssued, DocumentError
from forms.ledger import CompanyKey, LedgerView
from forms.model import OutgoingMessage
from forms.rules.loader import Rulebooks
from forms.spec import ISSUERS
from forms.store import Store
from forms.store.youshiki3 import RoutedForm


@dataclass(frozen=True)
class Issued:
    """A document issued: its reference number, files, and the addresses its mail went to (empty:
    not mailed)."""

    kind: str
    reference: str
    company_name: str
    files: tuple[Path, ...]
    recipients: tuple[str, ...] = ()
    due_on: dt.date | None = None
    agency: str = ""


@dataclass(frozen=True)
class Skipped:
    """A company a batch did not issue for, and why (Japanese)."""

    company: str
    reason: str


@dataclass(frozen=True)
class Batch:
    """What a batch did: the documents issued (and mailed), those it could not issue and why, and how
    many it found issued before (not again)."""

    issued: tuple[Issued, ...]
    skipped: tuple[Skipped, ...]
    already: int = 0

    @property
    def count(self) -> int:
        return len(self.issued)


Progress = Callable[[int, int], None]
_ALREADY_Y2 = "この期間の様式2は同時に実行された別の処理で発行済みです"
_ALREADY_Y3 = "この様式1の様式3は同時に実行された別の処理で発行済みです"


def _no_progress(done: int, total: int) -> None:
    pass


class DocumentPost:
    """Issues documents from one store; the console and the commands share it."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        rulebooks: Rulebooks,
        ledger: LedgerView,
        texts: MailTexts,
        out_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.rulebooks = rulebooks
        self.ledger = ledger
        self.texts = texts
        self.out_dir = out_dir or settings.home / "documents"
        self.font_dir = settings.home / "fonts"

    # -- 様式2 ---------------------------------------------------------------------------------------

    def routed_form(self, key: CompanyKey, agency: str) -> RoutedForm | None:
        """The company's newest routed 様式1 to ``agency``, else to any agency that issues documents."""
        records = self.store.youshiki3
        return records.latest_routed(key, (agency,)) or records.latest_routed(key, ISSUERS)

    def youshiki2(
        self,
        key: CompanyKey,
        *,
        agency: str,
        period: tuple[dt.date, dt.date],
        issued_on: dt.date,
        form: RoutedForm | None,
        company: CompanyInfo | None = None,
        navigator: str = "",
        send: bool = False,
        to: str | None = None,
        formats: Sequence[str] = FORMATS,
        actor: str = "cli",
        once: bool = False,
    ) -> Issued:
        """Issue (and with ``send``, mail) the 様式2 of ``agency`` for the company ``key`` over ``period``.
        The company and bank are ``form``'s (its 様式1), or ``company`` when there is no form.
        ``once`` (a batch): AlreadyIssued when the company has a 様式2 for ``period`` by now."""
        fields = dict(form.fields) if form is not None else {}
        info = CompanyInfo.from_fields(fields) if fields else company
        if info is None:
            raise DocumentError(f"企業 {key} の受付済み（routed）の様式1がありません")
        address = self._address(to, fields, "contact_email", "担当者E-mail", send)
        book = self.rulebooks.for_date(issued_on)
        ledger = self.ledger.company(key)
        data = youshiki2_data(
            company=info,
            bank=BankInfo.from_fields(fields),
            agency=agency,
            rulebook=book,
            ledger=ledger,
            supports=supports_for_report(ledger, agency, period),
            period=period,
            issued_on=issued_on,
            navigator=navigator,
            reference=self.store.intakes.next_reference(f"{book.id}-Y2"),
        )
        mail_formats = tuple(self.settings.youshiki2_mail_formats) if address else ()
        paths = self._write(data, formats, mail_formats)
        outgoing = [self._youshiki2_mail(data, address, paths, mail_formats)] if address else []
        recorded = self.store.youshiki2.record(
            reference=data.reference,
            key=key,
            company_name=info.name,
            agency=agency,
            intake_id=form.intake_id if form else None,
            period=period,
            issued_on=issued_on,
            files=[str(p) for p in paths],
            outgoing=outgoing,
            actor=actor,
            once=once,
        )
        self._kept_or_removed(recorded, paths, _ALREADY_Y2)
        recipients = outgoing[0].recipients if outgoing else ()
        return Issued("youshiki2", data.reference, info.name, tuple(paths), recipients, agency=agency)

    def _youshiki2_mail(
        self, data: Youshiki2, to: str, paths: Iterable[Path], formats: Sequence[str]
    ) -> OutgoingMessage:
        """To the company; for scb a copy (Cc) to the introducing bank."""
        bank = data.bank
        copies = [bank.email] if data.issuer.key in COPY_TO_BANK and bank and bank.email else []
        files = [enclosure(p.name, p.read_bytes()) for p in paths if p.suffix[1:] in formats]
        return youshiki2_mail(data, to=to, cc=copies, files=files, head=self._head(), texts=self.texts)

    def youshiki2_batch(
        self,
        *,
        agency: str,
        period: tuple[dt.date, dt.date],
        issued_on: dt.date,
        send: bool,
        formats: Sequence[str] = FORMATS,
        actor: str = "cli",
        on_progress: Progress = _no_progress,
    ) -> Batch:
        """One 様式2 per company ``agency`` supported in ``period`` and not reported for it yet (a batch
        run twice issues nothing the second time). A company without a routed 様式1 (or, to mail, an
        e-mail on it) is skipped and named. ``on_progress(done, total)`` after each company."""
        done = self.store.youshiki2.companies_reported(agency, period)
        supported = self.store.ledger.companies_supported(agency, period)
        todo = [key for key in supported if key not in done]
        issued: list[Issued] = []
        skipped: list[Skipped] = []
        on_progress(0, len(todo))
        for count, key in enumerate(todo, 1):
            try:
                one = self.youshiki2(
                    key,
                    agency=agency,
                    period=period,
                    issued_on=issued_on,
                    form=self.routed_form(key, agency),
                    send=send,
                    formats=formats,
                    actor=actor,
                    once=True,
                )
                issued.append(one)
            except DocumentError as exc:
                skipped.append(Skipped(str(key), str(exc)))
            on_progress(count, len(todo))
        batch = Batch(tuple(issued), tuple(skipped), len(supported) - len(todo))
        self._batch_event("youshiki2_issued_batch", batch, send, actor, agencies=[agency])
        return batch

    # -- 様式3 ---------------------------------------------------------------------------------------

    def youshiki3(
        self,
        form: RoutedForm,
        *,
        issued_on: dt.date,
        due_on: dt.date | None = None,
        send: bool = False,
        to: str | None = None,
        formats: Sequence[str] = FORMATS,
        actor: str = "cli",
        once: bool = False,
    ) -> Issued:
        """Issue (and with ``send``, mail to the bank officer) the 様式3 of the routed 様式1 ``form``.
        ``once`` (a batch): AlreadyIssued when a 様式3 was issued from ``form`` by now."""
        key = form.company
        if key is None:
            raise DocumentError(f"申込み {form.intake_id} の様式1では企業を特定できません")
        fields = dict(form.fields)
        address = self._address(to, fields, "bank_email", "金融機関E-mail", send)
        book = self.rulebooks.for_date(issued_on)
        data = youshiki3_data(
            youshiki1_fields=fields,
            agency=form.agency,
            rulebook=book,
            issued_on=issued_on,
            due_on=due_on,
            reference=self.store.intakes.next_reference(f"{book.id}-Y3"),
        )
        mail_formats = tuple(self.settings.youshiki3_mail_formats) if address else ()
        paths = self._write(data, formats, mail_formats)
        outgoing = [self._youshiki3_mail(data, form, key, address, paths)] if address else []
        recorded = self.store.youshiki3.record_issued(
            key=key,
            company_name=data.company.name,
            bank_name=data.bank.name,
            agency=form.agency,
            intake_id=form.intake_id,
            issued_on=issued_on,
            due_on=data.due_on,
            files=[str(p) for p in paths],
            reference=data.reference,
            outgoing=outgoing,
            actor=actor,
            once=once,
        )
        self._kept_or_removed(recorded, paths, _ALREADY_Y3)
        recipients = outgoing[0].recipients if outgoing else ()
        return Issued(
            "youshiki3", data.reference, data.company.name, tuple(paths), recipients, data.due_on, form.agency
        )

    def youshiki3_batch(
        self,
        *,
        agencies: Sequence[str],
        issued_on: dt.date,
        send: bool,
        formats: Sequence[str] = FORMATS,
        actor: str = "cli",
        on_progress: Progress = _no_progress,
    ) -> Batch:
        """One 様式3 per routed 様式1 to ``agencies`` that has none yet (with ``send``, each mailed to its
        bank officer): run again, it issues nothing. A 様式1 it cannot issue from (no company, or, to
        mail, no bank e-mail) is skipped and named. ``on_progress(done, total)`` after each 様式1."""
        records = self.store.youshiki3
        todo = records.routed_without_youshiki3(agencies)
        already = len(records.routed_forms(agencies)) - len(todo)
        issued: list[Issued] = []
        skipped: list[Skipped] = []
        on_progress(0, len(todo))
        for count, form in enumerate(todo, 1):
            try:
                one = self.youshiki3(
                    form, issued_on=issued_on, send=send, formats=formats, actor=actor, once=True
                )
                issued.append(one)
            except DocumentError as exc:
                name = text_of(dict(form.fields), "company_name") or f"申込み {form.intake_id}"
                skipped.append(Skipped(name, str(exc)))
            on_progress(count, len(todo))
        batch = Batch(tuple(issued), tuple(skipped), already)
        self._batch_event("youshiki3_issued_batch", batch, send, actor, agencies=list(agencies))
        return batch

    def _youshiki3_mail(
        self, data: Youshiki3, form: RoutedForm, key: CompanyKey, to: str, paths: Iterable[Path]
    ) -> OutgoingMessage:
        formats = self.settings.youshiki3_mail_formats
        files = [enclosure(p.name, p.read_bytes()) for p in paths if p.suffix[1:] in formats]
        if data.enclosures:  # jetro: 様式1 and 様式2 enclosed
            enclosed = youshiki2_enclosure(
                data, key, ledger=self.ledger, rulebooks=self.rulebooks, font_dir=self.font_dir
            )
            files += [*youshiki1_enclosure(self.store, form, self.settings.max_pdf_bytes), enclosed]
        return youshiki3_mail(data, to=to, files=files, head=self._head(), texts=self.texts)

    # -- shared ------------------------------------------------------------------------------------

    @staticmethod
    def _kept_or_removed(recorded: int | None, paths: Iterable[Path], already: str) -> None:
        """A document another batch recorded first: its files removed (no one refers to them)."""
        if recorded is None:
            for path in paths:
                path.unlink(missing_ok=True)
            raise AlreadyIssued(already)

    def _batch_event(self, kind: str, batch: Batch, send: bool, actor: str, *, agencies: list[str]) -> None:
        detail = {
            "agencies": agencies,
            "count": batch.count,
            "mailed": send,
            "references": [i.reference for i in batch.issued],
            "skipped": len(batch.skipped),
            "already": batch.already,
        }
        self.store.events.add(None, kind, actor=actor, detail=detail)

    def _address(
        self, to: str | None, fields: dict[str, object], key: str, label: str, send: bool
    ) -> str | None:
        """Where the mail goes: the address given, else the 様式1's; None when nothing is sent."""
        if not send:
            return None
        address = (to or "").strip() or text_of(fields, key)
        if not address:
            raise DocumentError(f"送付先がありません（様式1の{label}が空です。送付先を指定してください）")
        if not valid_address(address):
            raise DocumentError(f"送付先のメールアドレスが正しくありません（{address}）")
        return address

    def _write(
        self, data: Youshiki2 | Youshiki3, formats: Sequence[str], mail_formats: Sequence[str]
    ) -> list[Path]:
        """The document's files, named with its reference (a second issue never overwrites the first)."""
        chosen = tuple(dict.fromkeys([*formats, *mail_formats]))
        return [
            write_atomically(
                self.out_dir / file_name(data, fmt, serial=data.reference),
                render(data, fmt, font_dir=self.font_dir),
            )
            for fmt in chosen
        ]

    def _head(self) -> Letterhead:
        return Letterhead(self.settings.mailroom_address, self.settings.message_id_domain, self.store.now())
