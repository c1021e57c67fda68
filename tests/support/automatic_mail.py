"""Automatic mail as real servers and clients write it: a delivery status notification (laid out as
postfix's bounce(8) writes one: RFC 3464 / RFC 6522), an out-of-office reply, list mail, a read receipt."""

from __future__ import annotations

import email.utils
from collections.abc import Sequence

MTA = "mx.bank.example.jp"
HUMAN_PART = (
    f"This is the mail system at host {MTA}.\r\n\r\n"
    "I'm sorry to have to inform you that your message could not\r\nbe delivered.\r\n"
).encode()


def dsn(
    *,
    to: str,
    recipient: str,
    returned: bytes | None,
    status: str = "5.1.1",
    action: str = "failed",
    as_whole_message: bool = False,
    message_id: str = "<20270401.bounce.1@mx.bank.example.jp>",
) -> bytes:
    """A delivery report sent to ``to`` (the return path of the message it is about) that ``recipient``
    failed (or ``action``); ``returned`` is that message (or its header), None for a report without it."""
    diagnostic = f"smtp; 550 {status} <{recipient}>: Recipient address rejected: User unknown"
    parts = [
        _part("text/plain; charset=us-ascii", HUMAN_PART),
        _part(
            "message/delivery-status",
            (
                f"Reporting-MTA: dns; {MTA}\r\nX-Postfix-Queue-ID: 4ZxQ1k2abc\r\n"
                f"Arrival-Date: Thu,  1 Apr 2027 09:00:00 +0900 (JST)\r\n\r\n"
                f"Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\n"
                f"Action: {action}\r\nStatus: {status}\r\nRemote-MTA: dns; {MTA}\r\n"
                f"Diagnostic-Code: {diagnostic[:60]}\r\n    {diagnostic[60:]}\r\n"
            ).encode(),
        ),
    ]  # fmt: skip
    if returned is not None:
        kind = "message/rfc822" if as_whole_message else "text/rfc822-headers"
        header = returned.split(b"\r\n\r\n", 1)[0] + b"\r\n"
        parts.append(_part(kind, returned if as_whole_message else header))
    head = (
        f"Return-Path: <>\r\nFrom: MAILER-DAEMON@{MTA} (Mail Delivery System)\r\n"
        f"To: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {email.utils.format_datetime(email.utils.localtime())}\r\nMessage-ID: {message_id}\r\n"
        f"Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="4ZxQ1k2abc.1/{MTA}"\r\n'
    )
    return _multipart(head.encode(), parts, b"4ZxQ1k2abc.1/" + MTA.encode())


def _part(content_type: str, body: bytes) -> bytes:
    return f"Content-Description: part\r\nContent-Type: {content_type}\r\n\r\n".encode() + body


def _multipart(head: bytes, parts: Sequence[bytes], boundary: bytes) -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts) + b"--" + boundary + b"--\r\n"
    return head + b"\r\n" + b"This is a MIME-encapsulated message.\r\n\r\n" + body


def out_of_office(*, sender: str, to: str, in_reply_to: str | None = None) -> bytes:
    """An out-of-office answer (as Exchange and Gmail send them: Auto-Submitted: auto-replied)."""
    reply = f"In-Reply-To: {in_reply_to}\r\n" if in_reply_to else ""
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: =?UTF-8?B?5LiN5Zyo44Gu44GK55+l44KJ44Gb?=\r\n{reply}"
        f"Message-ID: <ooo.1@bank.example.jp>\r\nDate: Thu, 1 Apr 2027 10:00:00 +0900\r\n"
        "Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + "4月5日まで不在にしております。\r\n".encode()


def list_mail(*, to: str) -> bytes:
    """A mailing list's post (Precedence: bulk and List-Id, as Mailman writes them)."""
    return (
        f"From: news@lists.example.jp\r\nTo: {to}\r\nSubject: [kaigai-news] 4月号\r\n"
        "Message-ID: <list.1@lists.example.jp>\r\nDate: Thu, 1 Apr 2027 11:00:00 +0900\r\n"
        "Precedence: bulk\r\nList-Id: kaigai-news <kaigai-news.lists.example.jp>\r\n"
        "List-Unsubscribe: <mailto:kaigai-news-leave@lists.example.jp>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
    ).encode() + "今月のお知らせです。\r\n".encode()


def read_receipt(*, to: str, original_message_id: str) -> bytes:
    """A read receipt (RFC 8098 message/disposition-notification)."""
    head = (
        f"From: officer@bank.example.jp\r\nTo: {to}\r\nSubject: Read: receipt\r\n"
        "Message-ID: <mdn.1@bank.example.jp>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="mdn"\r\n'
    ).encode()
    status = (
        "Reporting-UA: mail.bank.example.jp; Mailer\r\nFinal-Recipient: rfc822; officer@bank.example.jp\r\n"
        f"Original-Message-ID: {original_message_id}\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n"
    ).encode()
    parts = [_part("text/plain", b"displayed\r\n"), _part("message/disposition-notification", status)]
    return _multipart(head, parts, b"mdn")
