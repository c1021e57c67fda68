"""Which issued 様式3 an answer read from paper closes, when its 照会番号 was not read for certain: the
company's one 様式3 awaiting an answer from that agency, or a clerk (real store; the reading is given by
a reader that implements the mailroom's reader interface, as a fax's standard resolution leaves it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from forms import model
from forms.errors import Code
from forms.extract.youshiki3 import ReadResult, ReturnedYoushiki3
from forms.intake.mime import parse_mail
from forms.mailroom.returned_youshiki3 import ReturnedOutcome, ReturnedStatus, record_returned
from forms.model import ExtractResult
from forms.store import Store
from forms.store.ledger import StoreLedger
from tests.support.youshiki3 import KEY, RULEBOOK, issue, mail_bytes

E = model.Evidence
SURE = model.FieldCertainty(True, (E.GRAMMAR, E.TWO_READINGS))
#: 実行済 read for certain but its 照会番号 (a digit lost on the fax): R8-Y3-0000O7 fails the grammar.
ANSWER = ReturnedYoushiki3(
    company_name="株式会社サンプル精機", corporate_number="4010001234567", agency="jetro",
    loan_status="disbursed", disbursed_on=dt.date(2026, 9, 10), amount_yen=30_000_000, menu="",
    expansion_status=None, comments="", reference="",
    certainty={**{k: SURE for k in ("company_name", "corporate_number", "agency", "loan_status",
                                    "disbursed_on", "amount_yen", "menu", "expansion_status", "comments")},
               "reference": model.FieldCertainty(False, (E.GRAMMAR_FAILED,))},
)  # fmt: skip


class GivenReading:
    """The mailroom's reader interface, answering every 様式3 with one reading."""

    def read(self, data: bytes) -> ExtractResult:
        return model.problem(Code.FORM_NOT_FOUND, None)

    def read_youshiki3(self, data: bytes, agencies: Mapping[str, Sequence[str]]) -> ReadResult:
        return ANSWER

    def close(self) -> None:
        return None


def _record(store: Store, ledger: StoreLedger) -> ReturnedOutcome:
    mail = parse_mail(mail_bytes(b"%PDF-1.7\n", "fax.pdf"))
    return record_returned(store, ledger, mail, rulebook=RULEBOOK, reader=GivenReading())


def test_an_unread_reference_is_the_companys_one_open_youshiki3(store: Store, ledger: StoreLedger) -> None:
    issued_id = issue(store, reference="R8-Y3-000007")
    outcome = _record(store, ledger)
    assert (outcome.status, outcome.issued_id) == (ReturnedStatus.RECORDED, issued_id)
    assert outcome.loan_recorded
    assert outcome.answer is not None and outcome.answer.reference == "R8-Y3-000007"
    assert outcome.answer.certainty["reference"] == model.FieldCertainty(True, (E.ONLY_OPEN,))
    again = _record(store, ledger)  # a retried intake: the 様式3 it answered is found again
    assert (again.status, again.issued_id, again.loan_recorded) == (ReturnedStatus.RECORDED, issued_id, False)


def test_with_two_youshiki3_awaiting_the_company_a_clerk_finds_which(
    store: Store, ledger: StoreLedger
) -> None:
    first = issue(store, reference="R8-Y3-000007")
    (issued,) = [i for i in store.youshiki3.issued(key=KEY) if i.id == first]
    store.youshiki3.record_issued(
        key=KEY, company_name=issued.company_name, bank_name=issued.bank_name, agency="jetro",
        intake_id=issued.intake_id, issued_on=issued.issued_on, due_on=issued.due_on, files=[],
        reference="R8-Y3-000031",
    )  # fmt: skip
    outcome = _record(store, ledger)
    assert outcome.status is ReturnedStatus.NEEDS_REVIEW
    assert [(r.code, r.field) for r in outcome.reasons] == [(Code.LOW_CONFIDENCE, "reference")]
    assert "照会番号" in outcome.reasons[0].message
    assert ledger.company(KEY).loans == ()
