"""Who the bank's answer goes to, by channel (intake.channels, route.messages): a mail's sender, or — for
a fax or a posted paper form — the 金融機関E-mail written on the form, never a fax gateway."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from forms.errors import Code
from forms.intake.channels import from_gateway, gateway_domains
from forms.intake.mime import parse_mail
from forms.model import Decision, Mail, OutgoingMessage, Reason, Shape, Status
from forms.route import MailTemplates, RouteContext, clerk_rejection, route

REPO = Path(__file__).resolve().parents[2]
JST = dt.timezone(dt.timedelta(hours=9))
BANK = "kaigai@mihon-bank.example.jp"
GATEWAY = "fax-gw@faxmail.example.jp"
TIFF = ("FAX_20260615.tif", b"II*\x00\x08\x00\x00\x00" + bytes(64))
FIELDS = {"company_name": "株式会社サンプル精機", "bank_name": "みほん銀行", "bank_email": BANK}


def gateway_mail() -> Mail:
    raw = (
        f"From: FAX <{GATEWAY}>\r\nTo: mailroom@example.jp\r\nSubject: FAX受信 03-9876-5432\r\n"
        "Message-ID: <fax-1@faxmail.example.jp>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nFAX\r\n"
    )
    return parse_mail(raw.encode())


def decision(status: Status, *reasons: Reason, **fields: Any) -> Decision:
    return Decision(
        "<fax-1@faxmail.example.jp>",
        status,
        "jetro",
        reasons,
        MappingProxyType({**FIELDS, **fields}),
        TIFF[0],
        Shape.FAX,
    )


def context(channel: str) -> RouteContext:
    return RouteContext(
        reference="R8-000007",
        received_at=dt.datetime(2026, 6, 15, 10, 12, tzinfo=JST),
        mailroom_address="mailroom@example.jp",
        agency_addresses={"jetro": "jetro-inbox@example.jp"},
        message_id_domain="mailroom.example.jp",
        channel=channel,
    )


@pytest.fixture(scope="module")
def templates() -> MailTemplates:
    return MailTemplates.load(REPO / "templates" / "mail")


def parsed(out: OutgoingMessage) -> EmailMessage:
    msg = email.message_from_bytes(out.raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


@pytest.mark.parametrize(
    ("sender", "gateways", "want"),
    [
        (GATEWAY, (GATEWAY,), True),
        ("FAX-GW@FaxMail.example.jp", (GATEWAY,), True),
        ("other@faxmail.example.jp", (GATEWAY,), False),
        ("gw@faxmail.example.jp", ("@faxmail.example.jp",), True),
        ("gw@tokyo.faxmail.example.jp", ("faxmail.example.jp",), True),
        ("gw@evilfaxmail.example.jp", ("faxmail.example.jp",), False),
        (BANK, (), False),
        (None, (GATEWAY,), False),
    ],
)
def test_a_fax_gateway_is_an_address_or_a_domain(
    sender: str | None, gateways: tuple[str, ...], want: bool
) -> None:
    assert from_gateway(sender, gateways) is want


def test_the_gateways_domains_join_the_sender_check() -> None:
    assert gateway_domains((GATEWAY, "@fax.example.jp", " ")) == ("fax.example.jp", "faxmail.example.jp")


def test_a_fax_is_answered_at_the_bank_on_the_form_never_at_the_gateway(templates: MailTemplates) -> None:
    out = route(decision(Status.ROUTED), gateway_mail(), TIFF, context("fax"), templates)
    receipt = next(m for m in out if m.kind == "bank_receipt")
    assert receipt.recipients == (BANK,) and GATEWAY not in {r for m in out for r in m.recipients}
    assert parsed(receipt)["In-Reply-To"] is None  # the gateway's mail is not the bank's
    forward = parsed(next(m for m in out if m.kind == "agency_forward"))
    attached = {p.get_filename(): p.get_content_type() for p in forward.iter_attachments()}
    assert attached["FAX_20260615.tif"] == "image/tiff"


def test_the_same_mail_as_email_answers_its_sender(templates: MailTemplates) -> None:
    out = route(decision(Status.ROUTED), gateway_mail(), TIFF, context("smtp"), templates)
    assert next(m for m in out if m.kind == "bank_receipt").recipients == (GATEWAY,)


def test_posted_paper_without_a_mail_is_answered_on_the_form(templates: MailTemplates) -> None:
    out = route(decision(Status.REJECTED), None, TIFF, context("post"), templates)
    assert [(m.kind, m.recipients) for m in out] == [("bank_rejection", (BANK,))]
    assert route(decision(Status.REJECTED), None, TIFF, context("cli"), templates) == []


@pytest.mark.parametrize("code", [Code.LOW_CONFIDENCE, Code.FIELD_INVALID])
def test_an_unsure_or_malformed_bank_address_is_answered_by_nobody(
    templates: MailTemplates, code: Code
) -> None:
    doubted = decision(
        Status.NEEDS_REVIEW, Reason(code, "bank_email", "…"), bank_email="kaigai@mihon-bamk.example.jp"
    )
    assert route(doubted, gateway_mail(), TIFF, context("fax"), templates) == []
    missing = decision(Status.NEEDS_REVIEW, Reason(Code.FORM_NOT_FOUND, None, "…"), bank_email=None)
    assert route(missing, gateway_mail(), None, context("fax"), templates) == []


def test_a_clerks_rejection_of_a_fax_goes_to_the_form_address(templates: MailTemplates) -> None:
    out = clerk_rejection(
        decision(Status.REJECTED), gateway_mail(), TIFF, context("fax"), ["印影がありません"], templates
    )
    assert [m.recipients for m in out] == [(BANK,)]
