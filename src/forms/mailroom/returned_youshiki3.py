"""The edge where a RETURNED 様式3 comes in: a bank mails back the filled form (.docx or PDF).

    mail ──find the 様式3 attachment──▶ read it (forms.extract.youshiki3, in a reader process)
        ├─ read from paper (a scan, a fax) with an answer the rulebook needs certain left unsure
        │  (``certainty.youshiki3_stop``: the statuses, the date and amount …) → NEEDS_REVIEW (LOW_CONFIDENCE)
        ├─ readable, a 様式3 of this company and agency awaits an answer, and the mail is from the
        │  bank address that 様式3 went to (mailroom.trust; else NEEDS_REVIEW, SENDER_UNKNOWN)
        │      ──▶ 実行済: the disbursement into the ledger (StoreLedger.add_loan), once
        │      ──▶ the issued 様式3 marked answered (with what the bank said)      → RECORDED
        ├─ unreadable, unanswered choices, no 様式3 awaiting this answer        → NEEDS_REVIEW (clerks)
        └─ no attachment is a 様式3                                             → NOT_A_YOUSHIKI3

Which 様式3 it answers: the one whose reference number (R8-Y3-000007) the returned document prints,
else the one the mail's subject quotes (the bank answered our mail), else the oldest unanswered 様式3
of the company and agency (a document without its number). A number that names no 様式3, one answered
already, or one of another company goes to the clerks. On paper, a number read unsure is taken when the
様式3 it names was issued to the company read for certain, or, when it names none, when that company
and agency have just one 様式3 awaiting an answer (``_identified``).

An answer read from paper is recorded with its unsure fields marked (``unsure`` in the stored answer
and the decision, which also keeps each field's certainty); a loan's menu that is not certain is left
out of the ledger's loan record, never written as a guess.

Recording is idempotent: the same mail processed again (a retried intake) finds its answer recorded
and records nothing twice. A recorded disbursement dated after the company's first support (or its
last frame) is what makes a re-application valid (``CompanyLedger.disbursed_since_last_frame``).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from forms import model
from forms.errors import Code
from forms.extract.reference import find_youshiki3_reference
from forms.extract.sandbox import PdfReading
from forms.extract.youshiki3 import (
    LABELS,
    ReturnedYoushiki3,
    confirmed_reference,
    is_docx,
    is_paper,
    is_pdf,
    is_word97,
    only_open_reference,
    unsure_stops,
)
from forms.ledger import CompanyKey, LoanRecord
from forms.mailroom.trust import trusted
from forms.pipeline import documents_of, received_on
from forms.rules.schema import Rulebook
from forms.store import Store
from forms.store.ledger import StoreLedger
from forms.store.youshiki3 import IssuedYoushiki3

#: Words that name a returned 様式3 in a subject or a file name.
_HINTS = ("様式3", "状況報告", "youshiki3")
_NOT_AWAITED = "この企業・支援機関あての回答待ちの様式3が見つかりません。担当者が確認します。"
_UNKNOWN_REFERENCE = "照会番号 {reference} の様式3は発行されていません。担当者が確認します。"
_ANSWERED = "照会番号 {reference} の様式3は回答済みです。担当者が確認します。"
_OTHER_COMPANY = "照会番号 {reference} の様式3は別の企業あてに発行したものです。担当者が確認します。"
_NOT_THE_BANK = (
    "送信元（{sender}）が、この様式3の送付先の金融機関のアドレスではないため、記録せずに担当者が確認します。"
)


class ReturnedStatus(StrEnum):
    RECORDED = "recorded"
    NEEDS_REVIEW = "needs_review"
    NOT_A_YOUSHIKI3 = "not_a_youshiki3"


@dataclass(frozen=True)
class ReturnedOutcome:
    """What happened to a mail that may carry a returned 様式3."""

    status: ReturnedStatus
    answer: ReturnedYoushiki3 | None = None
    issued_id: int | None = None
    loan_recorded: bool = False
    attachment: str | None = None
    reasons: tuple[model.Reason, ...] = ()

    def to_json(self) -> dict[str, Any]:
        answer = None if self.answer is None else answer_json(self.answer)
        return {
            "status": str(self.status),
            "issued_id": self.issued_id,
            "loan_recorded": self.loan_recorded,
            "attachment": self.attachment,
            "answer": answer,
            "reasons": [r.to_json() for r in self.reasons],
        }

    def to_decision(self, source: str) -> model.Decision:
        """The intake's decision as the store keeps it: recorded → routed (nothing is sent), unreadable
        → needs_review with its reasons. ``fields`` hold the answer and ``document: youshiki3_returned``;
        an answer read from paper brings its unsure fields and each field's certainty."""
        fields: dict[str, Any] = {"document": "youshiki3_returned"}
        if self.answer is not None:
            read = answer_json(self.answer)
            fields.update({k: v for k, v in read.items() if v is not None and k != "unsure"})
        recorded = self.status is ReturnedStatus.RECORDED
        answer = self.answer
        return model.Decision(
            source=source,
            status=model.Status.ROUTED if recorded else model.Status.NEEDS_REVIEW,
            agency=(answer.agency or None) if answer is not None else None,
            reasons=self.reasons,
            fields=fields,
            attachment=self.attachment,
            unsure=answer.unsure if answer is not None else (),
            certainty=dict(answer.certainty) if answer is not None else {},
        )


def answer_json(answer: ReturnedYoushiki3) -> dict[str, Any]:
    """The answer as JSON (dates ISO), as stored on the issued 様式3."""
    return {
        "company_name": answer.company_name,
        "corporate_number": answer.corporate_number,
        "agency": answer.agency,
        "loan_status": answer.loan_status,
        "disbursed_on": answer.disbursed_on.isoformat() if answer.disbursed_on else None,
        "amount_yen": answer.amount_yen,
        "menu": answer.menu,
        "expansion_status": answer.expansion_status,
        "comments": answer.comments,
        **({"unsure": list(answer.unsure)} if answer.certainty else {}),
    }


def might_be_returned(mail: model.Mail) -> bool:
    """Cheap test (no PDF parsing) for the mailroom: a .docx or .doc attachment, or a subject or file
    name that names 様式3. A 様式3 PDF without either is read as a 様式1 and ends with the clerks."""
    if any(is_docx(a.data) or is_word97(a.data) for a in mail.attachments):
        return True
    names = [mail.subject, *(a.filename for a in mail.attachments)]
    return any(h in unicodedata.normalize("NFKC", n).casefold() for n in names for h in _HINTS)


def _reason(rulebook: Rulebook, p: model.Problem, filename: str | None) -> model.Reason:
    label = p.param("label") or LABELS.get(p.field or "", p.field or "")
    if p.code is Code.FORM_NOT_FOUND:
        message = "様式3（融資及び海外展開の状況報告）が見つかりませんでした。担当者が確認します。"
    elif p.code is Code.LOW_CONFIDENCE:
        message = f"「{label}」を確実に読み取れませんでした。担当者が様式3の画像で確認します。"
    elif p.code is Code.FORM_UNREADABLE:
        message = (
            f"添付ファイル{f'「{filename}」' if filename else ''}を読み取れませんでした。担当者が確認します。"
        )
    else:
        message = rulebook.message(p.code, label=label)
    return model.Reason(p.code, p.field, message)


def _review(rulebook: Rulebook, problems: Sequence[model.Problem], filename: str | None) -> ReturnedOutcome:
    reasons = tuple(_reason(rulebook, p, filename) for p in problems)
    return ReturnedOutcome(ReturnedStatus.NEEDS_REVIEW, attachment=filename, reasons=reasons)


def read_attachments(
    mail: model.Mail, names: Mapping[str, Sequence[str]], reader: PdfReading, max_attachments: int = 10
) -> tuple[model.Attachment | None, ReturnedYoushiki3 | tuple[model.Problem, ...] | None]:
    """The first attachment that is a 様式3 and its reading (by ``reader``: a reader process); (None,
    None) when none of the first ``max_attachments`` .docx, PDF and picture attachments is (a mail's
    pictures are one document: the pages of one form)."""
    documents = [
        a for a in documents_of(mail.attachments)
        if is_docx(a.data) or is_word97(a.data) or is_pdf(a.data) or is_paper(a.data)
    ]  # fmt: skip
    for attachment in documents[: max(1, max_attachments)]:
        result = reader.read_youshiki3(attachment.data, names)
        if isinstance(result, tuple) and result[0].code is Code.FORM_NOT_FOUND:
            continue
        return attachment, result
    return None, None


def record_returned(
    store: Store,
    ledger: StoreLedger,
    mail: model.Mail,
    *,
    rulebook: Rulebook,
    reader: PdfReading,
    allowed_senders: Sequence[str] = (),
    max_attachments: int = 10,
    actor: str = "worker",
    received_at: dt.datetime | None = None,
) -> ReturnedOutcome:
    """Read the returned 様式3 of ``mail`` with ``reader`` (the pipeline's reader processes) and, when
    it is readable, awaited and sent by the bank the 様式3 went to (``mailroom.trust``), record what it
    says (``rulebook``: the one in force on the day it was received; ``allowed_senders``: the bank
    domains, when an allow-list is configured; ``received_at``: the moment of receipt, default the
    mail's Received or Date header)."""
    book = rulebook
    attachment, result = read_attachments(mail, book.printed_names(), reader, max_attachments)
    if attachment is None or result is None:
        return ReturnedOutcome(ReturnedStatus.NOT_A_YOUSHIKI3)
    name = attachment.filename
    if isinstance(result, tuple):
        return _review(book, result, name)
    result = _identified(store, result, mail.message_id)
    held = unsure_stops(result, book.youshiki3_stops())
    if held:  # read from paper, an answer that changes the ledger not certain: a clerk reads the page
        reasons = tuple(_reason(book, p, name) for p in held)
        return ReturnedOutcome(ReturnedStatus.NEEDS_REVIEW, result, attachment=name, reasons=reasons)
    source = mail.message_id
    done = store.youshiki3.answered_from(source) if source else None
    awaiting = done or _awaited(store, result, mail.subject)
    if isinstance(awaiting, model.Reason):
        return ReturnedOutcome(ReturnedStatus.NEEDS_REVIEW, result, attachment=name, reasons=(awaiting,))
    if not trusted(mail.from_addr, store.youshiki3.sent_to([awaiting]), allowed_senders):
        note = model.Reason(Code.SENDER_UNKNOWN, None, _NOT_THE_BANK.format(sender=mail.from_addr or "不明"))
        return ReturnedOutcome(
            ReturnedStatus.NEEDS_REVIEW, result, awaiting.id, attachment=name, reasons=(note,)
        )
    if done is not None:  # the same mail again (a retried intake): recorded already
        return ReturnedOutcome(ReturnedStatus.RECORDED, result, done.id, attachment=name)
    loan = _record_loan(ledger, awaiting.company, result, actor)
    store.youshiki3.mark_answered(
        awaiting.id, on=received_on(mail, received_at), answer=answer_json(result), source=source, actor=actor
    )
    return ReturnedOutcome(ReturnedStatus.RECORDED, result, awaiting.id, loan_recorded=loan, attachment=name)


def _identified(store: Store, answer: ReturnedYoushiki3, source: str | None) -> ReturnedYoushiki3:
    """An answer read from paper whose 照会番号 is unsure: made certain when the 様式3 it names was issued
    to the company read (``confirmed_reference``), or, when it names none, when the company and agency
    read have one 様式3 awaiting an answer (or answered by this very mail: a retried intake)."""
    issued = store.youshiki3.by_reference(answer.reference) if answer.reference else None
    if issued is not None:
        return confirmed_reference(answer, issued.company.corporate_number, issued.company_name)
    found = answer.certainty.get("reference")
    if found is None or found.certain or not answer.corporate_number:
        return answer
    key = CompanyKey.for_corporation(answer.corporate_number)
    awaiting = [
        i
        for i in store.youshiki3.issued(key=key, agency=answer.agency)
        if i.answered_on is None or (source and i.answer_source == source)
    ]
    if len(awaiting) != 1 or not awaiting[0].reference:
        return answer
    return only_open_reference(answer, awaiting[0].reference)


def _awaited(store: Store, answer: ReturnedYoushiki3, subject: str) -> IssuedYoushiki3 | model.Reason:
    """The issued 様式3 ``answer`` answers (see the module text), or why a clerk must find it."""
    reference = answer.reference or find_youshiki3_reference(subject)
    if reference is None:
        key = _company_key(answer, store)
        awaiting = store.youshiki3.open_for(key, answer.agency) if key is not None else None
        return awaiting or model.Reason(Code.FIELD_INVALID, "company_name", _NOT_AWAITED)
    issued = store.youshiki3.by_reference(reference)
    if issued is None:
        message = _UNKNOWN_REFERENCE
    elif issued.answered_on is not None:
        message = _ANSWERED
    elif answer.corporate_number and answer.corporate_number != issued.company.corporate_number:
        message = _OTHER_COMPANY
    else:
        return issued
    return model.Reason(Code.FIELD_INVALID, "reference", message.format(reference=reference))


def _company_key(answer: ReturnedYoushiki3, store: Store) -> CompanyKey | None:
    """The company the answer is about: its 法人番号; a 個人事業者 by the name on an issued 様式3."""
    if answer.corporate_number:
        return CompanyKey.for_corporation(answer.corporate_number)
    return _sole_proprietor(store, answer.company_name)


def _sole_proprietor(store: Store, company_name: str) -> CompanyKey | None:
    from_name = CompanyKey.for_sole_proprietor(company_name, "")
    matches = {
        i.company
        for i in _unanswered(store)
        if i.company.corporate_number is None and i.company.name_key == from_name.name_key
    }
    return matches.pop() if len(matches) == 1 else None


def _unanswered(store: Store) -> list[IssuedYoushiki3]:
    return [i for i in store.youshiki3.issued() if i.answered_on is None]


def _record_loan(ledger: StoreLedger, key: CompanyKey, answer: ReturnedYoushiki3, actor: str) -> bool:
    """実行済: the disbursement into the ledger, unless the same one is recorded already."""
    if answer.loan_status != "disbursed" or answer.disbursed_on is None or answer.amount_yen is None:
        return False
    menu = "" if "menu" in answer.unsure else answer.menu  # never a guess in the ledger
    record = LoanRecord(answer.disbursed_on, answer.amount_yen, menu)
    if any(r.date == record.date and r.amount == record.amount for r in ledger.company(key).loans):
        return False
    ledger.add_loan(key, record, actor=actor)
    return True
