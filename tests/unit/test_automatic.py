"""Automatic mail told apart (RFC 3834 §2, RFC 5321 §4.5.5), delivery reports read (RFC 3464) and
matched to the message they are about, hostile and broken ones included. Pure: no store, no server."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from forms.deliver.returns import return_path, tokens_in
from forms.intake.automatic import AutoReason, classify
from forms.intake.mime import parse_mail
from forms.intake.reports import MAX_RECIPIENTS, read_report
from forms.mailroom.automatic import Bounce, envelope_tokens, match_report
from forms.store import OutboxItem
from tests.support.automatic_mail import dsn, list_mail, out_of_office, read_receipt
from tests.support.paths import SAMPLES

TOKEN_A, TOKEN_B = "0123456789abcdef0123", "fedcba9876543210fedc"
A = OutboxItem(
    1, 1, "bank_receipt", "<R8-000001.bank_receipt@forms.example.jp>", ("officer@bank.example.jp",),
    "mailroom@example.jp", b"", "sent", 0, None, dt.datetime(2027, 4, 1, tzinfo=dt.UTC), None,
    return_token=TOKEN_A,
)  # fmt: skip
B = dataclasses.replace(
    A, id=2, kind="agency_forward", message_id="<R8-000001.agency_forward@forms.example.jp>",
    recipients=("jetro@agency.example.jp",), return_token=TOKEN_B,
)  # fmt: skip
OURS = {m.id: m for m in (A, B)}


def find(*, return_token: str | None = None, message_id: str | None = None) -> OutboxItem | None:
    return next((m for m in OURS.values() if (m.return_token, m.message_id)[0 if return_token else 1]
                 == (return_token or message_id)), None)  # fmt: skip


def header_of(item: OutboxItem) -> bytes:
    head = f"From: mailroom@example.jp\r\nTo: {item.recipients[0]}\r\nMessage-ID: {item.message_id}\r\n"
    return (head + "\r\nx").encode()


# -- classification ---------------------------------------------------------------------------------


def mail(text: str) -> bytes:
    head = "From: officer@bank.example.jp\r\nTo: mailroom@example.jp\r\nSubject: s\r\n"
    return (head + text + "\r\nbody\r\n").encode()


DSN = dsn(to="mailroom@example.jp", recipient="x@bank.example.jp", returned=None)
MDN = read_receipt(to="mailroom@example.jp", original_message_id=A.message_id)
OOO = out_of_office(sender="officer@bank.example.jp", to="mailroom@example.jp")
FEEDBACK = 'Content-Type: multipart/report; report-type=feedback-report; boundary="b"\r\n'


@pytest.mark.parametrize(
    ("raw", "envelope_from", "reason"),
    [
        (DSN, None, "delivery_report"),
        (MDN, None, "disposition_notification"),
        (mail(FEEDBACK), None, "report"),
        (mail(""), "", "null_sender"),
        (mail("Return-Path: <>\r\n"), None, "null_sender"),  # a Maildir delivery of a bounce
        (mail(""), "MAILER-DAEMON@mx.example.jp", "mailer_daemon"),
        (mail("").replace(b"officer@", b"postmaster@"), None, "mailer_daemon"),
        (OOO, None, "auto_submitted"),
        (mail("Auto-Submitted: auto-generated\r\n"), None, "auto_submitted"),
        (mail("Auto-Submitted: auto-notified; owner-email=x@y\r\n"), None, "auto_submitted"),
        (mail("X-Autoreply: yes\r\n"), None, "auto_submitted"),
        (mail("Precedence: junk\r\n"), None, "bulk"),
        (list_mail(to="mailroom@example.jp"), None, "bulk"),
        (mail("List-Id: <news.example.jp>\r\n"), None, "mailing_list"),
        (mail(""), "kaigai-news-request@lists.example.jp", "mailing_list"),
        (mail(""), "owner-kaigai@lists.example.jp", "mailing_list"),
    ],
)
def test_automatic_mail_is_told_apart(raw: bytes, envelope_from: str | None, reason: str) -> None:
    found = classify(parse_mail(raw), envelope_from=envelope_from)
    assert found is not None and found.reason == AutoReason(reason)


@pytest.mark.parametrize("extra", ["", "Auto-Submitted: no\r\n", "Precedence: first-class\r\n"])
def test_a_persons_mail_is_not_automatic(extra: str) -> None:
    assert classify(parse_mail(mail(extra)), envelope_from="officer@bank.example.jp") is None


def test_the_sample_bank_mail_is_not_automatic() -> None:
    sample = (SAMPLES / "jetro-bank.eml").read_bytes()
    assert classify(parse_mail(sample), envelope_from="kaigai@mihon-bank.example.jp") is None


# -- reading reports -------------------------------------------------------------------------------


def test_a_postfix_dsn_is_read() -> None:
    report = read_report(dsn(to="x@y", recipient="officer@bank.example.jp", returned=header_of(A)))
    assert report.report_type == "delivery-status" and report.message_ids == (A.message_id,)
    (failed,) = report.failed
    assert (failed.final_recipient, failed.action) == ("officer@bank.example.jp", "failed")
    assert failed.status == "5.1.1"
    assert failed.diagnostic_code is not None and failed.diagnostic_code.startswith("smtp; 550 5.1.1")


def test_the_whole_returned_message_and_a_read_receipt_name_their_message() -> None:
    whole = dsn(to="x@y", recipient="o@b.example.jp", returned=header_of(A), as_whole_message=True)
    assert read_report(whole).message_ids == (A.message_id,)
    receipt = read_receipt(to="x@y", original_message_id=A.message_id)
    assert read_report(receipt).message_ids == (A.message_id,) and read_report(receipt).failed == ()


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff" * 5000,
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n--b\r\n',
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: message/delivery-status\r\n\r\nAction: failed\r\nStatus: not-a-status\r\n--b--\r\n",
        mail('Content-Type: multipart/report; report-type="' + "x" * 100_000 + '"; boundary=b\r\n'),
    ],
)
def test_a_broken_report_reads_as_what_it_holds_and_never_raises(raw: bytes) -> None:
    report = read_report(raw)
    assert report.failed == () and report.message_ids == ()


def test_a_report_of_ten_thousand_recipients_is_read_up_to_the_cap() -> None:
    one = b"Final-Recipient: rfc822; a@b.example.jp\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
    raw = dsn(to="x@y", recipient="a@b.example.jp", returned=None).replace(
        b"Final-Recipient:", one * 10_000 + b"Final-Recipient:", 1
    )
    assert len(read_report(raw).failed) == MAX_RECIPIENTS


# -- matching a report to our message ---------------------------------------------------------------


def test_the_return_path_names_the_message() -> None:
    assert return_path("mailroom@example.jp", TOKEN_A) == f"mailroom+bounce-{TOKEN_A}@example.jp"
    assert return_path("mailroom@example.jp", None) == "mailroom@example.jp"
    assert tokens_in([f"<MailRoom+Bounce-{TOKEN_A.upper()}@example.jp>", "other@example.jp"]) == [TOKEN_A]
    report = parse_mail(dsn(to=return_path("mailroom@example.jp", TOKEN_B), recipient="x@y", returned=None))
    assert envelope_tokens(report, None) == [TOKEN_B]  # from its To, as a Maildir delivery keeps it


def test_a_report_to_a_return_path_marks_that_message() -> None:
    report = read_report(dsn(to="x", recipient="officer@bank.example.jp", returned=header_of(A)))
    got = match_report(report, [TOKEN_A], find)
    assert isinstance(got, Bounce) and (got.item.id, got.matched_by) == (1, "return_path")
    assert got.status == "5.1.1"
    assert got.diagnostic.startswith("officer@bank.example.jp: smtp; 550 5.1.1")


def test_without_a_return_path_the_message_id_and_the_recipient_must_agree() -> None:
    report = read_report(dsn(to="x", recipient="officer@bank.example.jp", returned=header_of(A)))
    got = match_report(report, [], find)
    assert isinstance(got, Bounce) and (got.item.id, got.matched_by) == (1, "message_id")


@pytest.mark.parametrize(
    ("returned", "recipient", "tokens", "why"),
    [
        (None, "officer@bank.example.jp", [], "no_message"),  # no original id at all
        (b"Message-ID: <someone-else@bank.example.jp>\r\n\r\n", "officer@bank.example.jp", [], "not_ours"),
        # forged: sent to A's return path, claiming B
        (header_of(B), "jetro@agency.example.jp", [TOKEN_A], "mismatch"),
        # forged without a return path: B's Message-ID, A's recipient
        (header_of(B), "officer@bank.example.jp", [], "recipient_mismatch"),
        (f"Message-ID: {A.message_id} {B.message_id}\r\n\r\n".encode(), "o@b", [], "ambiguous"),
        (b"Message-ID: <x@y>\r\n\r\n", "officer@bank.example.jp", ["00000000000000000000"], "not_ours"),
    ],
)
def test_a_report_that_cannot_be_matched_for_sure_marks_nothing(
    returned: bytes | None, recipient: str, tokens: list[str], why: str
) -> None:
    report = read_report(dsn(to="x", recipient=recipient, returned=returned))
    assert match_report(report, tokens, find) == why


def test_a_delay_is_not_a_bounce() -> None:
    raw = dsn(
        to="x", recipient="officer@bank.example.jp", returned=header_of(A), action="delayed", status="4.4.7"
    )
    delayed = read_report(raw)
    assert match_report(delayed, [TOKEN_A], find) == "not_failed"
