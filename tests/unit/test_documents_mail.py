"""The mails that carry 様式2 and 様式3 (pure): recipients, copy, Message-ID, headers, the reference."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest

from forms.documents import BankInfo, CompanyInfo
from forms.documents.mail import Letterhead, enclosure, youshiki2_mail, youshiki3_mail
from forms.documents.youshiki2 import youshiki2_data
from forms.documents.youshiki3 import youshiki3_data
from forms.extract.reference import find_youshiki3_reference
from forms.ledger import CompanyLedger, SupportRecord
from forms.route import MailTemplates
from forms.rules.loader import load_rulebooks
from forms.templating import TEMPLATES

BOOK = load_rulebooks().for_date(dt.date(2026, 9, 1))
HEAD = Letterhead("mailroom@example.jp", "forms.example.jp", dt.datetime(2026, 9, 1, 0, 0, tzinfo=dt.UTC))
TEXTS = MailTemplates.load(TEMPLATES / "mail")
HOSTILE = "見本\r\nBcc: evil@example.jp {{ 7*7 }}"


def report(agency: str = "scb"):  # type: ignore[no-untyped-def]
    support = SupportRecord(agency, dt.date(2026, 6, 10), "海外展開相談", 200_000)
    ledger = CompanyLedger((support,), (), (), 1_000_000, frozenset({"jetro", "scb"}))
    return youshiki2_data(
        company=CompanyInfo(name=HOSTILE),
        bank=BankInfo("見本信用金庫", email="bank@shinkin.example.jp"),
        agency=agency,
        rulebook=BOOK,
        ledger=ledger,
        supports=(support,),
        period=(dt.date(2026, 6, 1), dt.date(2026, 8, 31)),
        issued_on=dt.date(2026, 9, 1),
        navigator="",
        reference="R8-Y2-000003",
    )


def test_youshiki2_mail_copies_the_bank_and_keeps_values_as_data() -> None:
    made = youshiki2_mail(
        report(), to="co@company.example.jp", cc=["bank@shinkin.example.jp"],
        files=[enclosure("y2.pdf", b"%PDF-1.7 x")], head=HEAD, texts=TEXTS,
    )  # fmt: skip
    assert made.message_id == "<R8-Y2-000003.youshiki2@forms.example.jp>"
    assert made.recipients == ("co@company.example.jp", "bank@shinkin.example.jp")
    msg = email.message_from_bytes(made.raw, policy=email.policy.default)
    assert (msg["To"], msg["Cc"], msg["X-Forms-Reference"]) == (*made.recipients, "R8-Y2-000003")
    assert msg["Bcc"] is None and "{{ 7*7 }}" in msg.get_body().get_content()  # type: ignore[union-attr]
    assert [p.get_filename() for p in msg.iter_attachments()] == ["y2.pdf"]
    again = youshiki2_mail(report(), to="co@company.example.jp", cc=["bank@shinkin.example.jp"],
                           files=[enclosure("y2.pdf", b"%PDF-1.7 x")], head=HEAD, texts=TEXTS)  # fmt: skip
    assert again.raw == made.raw  # the same document: the same bytes, the same Message-ID


def test_a_bad_address_is_refused_before_anything_is_queued() -> None:
    with pytest.raises(ValueError, match="様式2の送付先"):
        youshiki2_mail(report(), to="not an address", files=[], head=HEAD, texts=TEXTS)
    data = youshiki3_data(youshiki1_fields={"company_name": "見本"}, agency="jetro", rulebook=BOOK,
                          issued_on=dt.date(2026, 9, 1), reference="R8-Y3-000007")  # fmt: skip
    with pytest.raises(ValueError, match="様式3の送付先"):
        youshiki3_mail(data, to="bank@@example.jp", files=[], head=HEAD, texts=TEXTS)
    made = youshiki3_mail(data, to="bank@bank.example.jp", files=[], head=HEAD, texts=TEXTS)
    body = email.message_from_bytes(made.raw, policy=email.policy.default).get_body()
    assert "R8-Y3-000007" in made.subject and "令和8年10月31日" in body.get_content()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("texts", "found"),
    [
        (("Re: 【ジェトロ】様式3の御依頼 照会番号 R8-Y3-000007",), "R8-Y3-000007"),
        (("照会番号：Ｒ８－Ｙ３－０００００７",), "R8-Y3-000007"),  # typed in full width
        (("R8-Y3-0000071",), None),
        (("", None, "xR10-Y3-000001"), None),
        (("件名なし", "R10-Y3-000001 の回答"), "R10-Y3-000001"),
    ],
)
def test_the_youshiki3_reference_is_found_in_subjects_and_documents(
    texts: tuple[str, ...], found: str | None
) -> None:
    assert find_youshiki3_reference(*texts) == found
