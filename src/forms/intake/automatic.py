"""Automatic mail told apart before the 様式1 pipeline: never answered, kept, out of the clerks' queue.

RFC 3834 §2 says an automatic responder (which the mailroom is: it answers every mail) must not answer
mail that is itself automatic, or two responders talk to each other for ever. In order, a mail is
automatic when it is

    a report               multipart/report (RFC 6522): a delivery status notification (report-type
                           delivery-status, RFC 3464), a read receipt (disposition-notification,
                           RFC 8098) or any other report
    from the null sender   MAIL FROM:<> (RFC 5321 §4.5.5: bounces are sent so), or Return-Path: <>
                           as a delivering MTA writes it into a Maildir
    from a mailer daemon   From or envelope sender MAILER-DAEMON@… or postmaster@…
    auto-submitted         Auto-Submitted other than "no" (RFC 3834 §5: auto-replied, auto-generated,
                           auto-notified …), or X-Autoreply / X-Autorespond (older responders)
    bulk                   Precedence: bulk, junk or list
    list mail              List-Id, List-Post or List-Unsubscribe (RFC 2919, RFC 2369), or an envelope
                           sender owner-… / …-request (RFC 3834 §2)

:func:`classify` says which (a stable :class:`AutoReason`) and what showed it. Pure: the parsed mail
and the SMTP envelope sender in, a value out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from forms.intake.mime import header_params
from forms.model import Mail


class AutoReason(StrEnum):
    """Why a mail is automatic; stable identifiers (they are stored with the intake)."""

    DELIVERY_REPORT = "delivery_report"
    DISPOSITION_NOTIFICATION = "disposition_notification"
    REPORT = "report"
    NULL_SENDER = "null_sender"
    MAILER_DAEMON = "mailer_daemon"
    AUTO_SUBMITTED = "auto_submitted"
    BULK = "bulk"
    MAILING_LIST = "mailing_list"


@dataclass(frozen=True)
class Automatic:
    reason: AutoReason
    detail: str  # the header or envelope value that showed it, for the log and the clerks


_REPORT_TYPES = {
    "delivery-status": AutoReason.DELIVERY_REPORT,
    "global-delivery-status": AutoReason.DELIVERY_REPORT,
    "disposition-notification": AutoReason.DISPOSITION_NOTIFICATION,
    "global-disposition-notification": AutoReason.DISPOSITION_NOTIFICATION,
}
_DAEMONS = frozenset({"mailer-daemon", "postmaster"})
_BULK = frozenset({"bulk", "junk", "list"})
_LIST_FIELDS = ("list-id", "list-post", "list-unsubscribe")
_AUTOREPLY_FIELDS = ("x-autoreply", "x-autorespond")


def classify(mail: Mail, *, envelope_from: str | None = None) -> Automatic | None:
    """Whether ``mail`` is automatic, and why; None for a mail a person sent.

    ``envelope_from`` is the SMTP MAIL FROM as received ("" for the null reverse-path ``<>``); None
    when the mail came another way (Maildir, IMAP, a file), where Return-Path stands for it.
    """
    reverse_path = _reverse_path(mail, envelope_from)
    for check in (_report, _null_sender, _mailer_daemon, _auto_submitted, _bulk, _mailing_list):
        found = check(mail, reverse_path)
        if found is not None:
            return found
    return None


def _reverse_path(mail: Mail, envelope_from: str | None) -> str | None:
    """The envelope sender without brackets ('' for null), else Return-Path's, else None (unknown)."""
    raw = envelope_from if envelope_from is not None else mail.header("return-path")
    return None if raw is None else raw.strip().strip("<>").strip().lower()


def _local_part(address: str | None) -> str:
    return (address or "").rpartition("@")[0].lower() if "@" in (address or "") else (address or "").lower()


def _report(mail: Mail, _: str | None) -> Automatic | None:
    content_type = mail.header("content-type") or ""
    if content_type.split(";", 1)[0].strip().lower() != "multipart/report":
        return None
    report_type = header_params(content_type).get("report-type", "").strip().lower()
    return Automatic(_REPORT_TYPES.get(report_type, AutoReason.REPORT), f"multipart/report; {report_type}")


def _null_sender(mail: Mail, reverse_path: str | None) -> Automatic | None:
    return Automatic(AutoReason.NULL_SENDER, "<>") if reverse_path == "" else None


def _mailer_daemon(mail: Mail, reverse_path: str | None) -> Automatic | None:
    for address in (mail.from_addr, reverse_path):
        if _local_part(address) in _DAEMONS:
            return Automatic(AutoReason.MAILER_DAEMON, address or "")
    return None


def _auto_submitted(mail: Mail, _: str | None) -> Automatic | None:
    value = mail.header("auto-submitted")
    if value is not None and value.split(";", 1)[0].strip().lower() not in ("", "no"):
        return Automatic(AutoReason.AUTO_SUBMITTED, f"Auto-Submitted: {value}"[:200])
    for name in _AUTOREPLY_FIELDS:
        if (other := mail.header(name)) is not None:
            return Automatic(AutoReason.AUTO_SUBMITTED, f"{name}: {other}"[:200])
    return None


def _bulk(mail: Mail, _: str | None) -> Automatic | None:
    value = (mail.header("precedence") or "").strip().lower()
    return Automatic(AutoReason.BULK, f"Precedence: {value}"[:200]) if value in _BULK else None


def _mailing_list(mail: Mail, reverse_path: str | None) -> Automatic | None:
    for name in _LIST_FIELDS:
        if (value := mail.header(name)) is not None:
            return Automatic(AutoReason.MAILING_LIST, f"{name}: {value}"[:200])
    local = _local_part(reverse_path)
    if local.startswith("owner-") or local.endswith("-request"):
        return Automatic(AutoReason.MAILING_LIST, reverse_path or "")
    return None
