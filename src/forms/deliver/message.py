"""Outgoing mail as RFC 5322 bytes, built so that no value can reach a header or a path unsanitised.

- Header values (subject, names) lose CR, LF and every other control or line/paragraph separator
  character before they are set: a subject ``"x\\r\\nBcc: evil@example.jp"`` stays one Subject header.
- Addresses and Message-IDs are checked against a strict shape (:func:`valid_address`,
  :func:`valid_message_id`); an invalid one is the caller's fault and raises ``ValueError``.
- Attachment names go through :func:`forms.intake.mime.safe_filename` and are written with RFC 2231
  encoding (``filename*=utf-8''…``) by the stdlib ``email`` package (compat32 layout with CRLF line
  ends, 7-bit output; headers are kept as strings, which is ~2× faster than the header registry).
- Bodies are UTF-8, base64: a body line can never be read as a MIME boundary or a header.
- The MIME boundary is derived from the Message-ID, so building the same message twice gives the
  same bytes (with the same ``date``).
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import io
import re
import unicodedata
from collections.abc import Sequence
from email import encoders
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.policy import compat32

from forms.intake.mime import safe_filename

#: Characters never allowed in a header value: C0/C1 controls, format chars, line/paragraph separators.
#: The classic (compat32) layout with CRLF line ends: headers as strings, no header parsing.
_SMTP_COMPAT = compat32.clone(linesep="\r\n", max_line_length=78)
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_SPACES = re.compile(r"\s+")
_MAX_HEADER_CHARS = 900
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATEXT}(?:\.{_ATEXT})*"
_DOMAIN = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
_ADDRESS = re.compile(rf"{_DOT_ATOM}@{_DOMAIN}")
_MESSAGE_ID = re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>")
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 ftext
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
#: Line widths of a clean base64 body: whole 4-character groups, at most 76 characters (RFC 2045).
_GROUPED_LENGTHS = frozenset(range(4, 77, 4))
_CONTENT_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*")
#: Headers that build_message sets itself; extra headers may not override them.
_OWN_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
        "sender",
        "reply-to",
        "return-path",
    }
)


def header_text(value: str) -> str:
    """A header value as one line: control characters and line breaks become spaces, runs of
    whitespace one space, ends trimmed, at most 900 characters."""
    kept = "".join(" " if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in value)
    return _SPACES.sub(" ", kept).strip()[:_MAX_HEADER_CHARS]


def valid_address(address: str) -> bool:
    """A plain ASCII ``local@domain`` (dot-atom local part, dotted host name): nothing else."""
    return len(address) <= 254 and _ADDRESS.fullmatch(address) is not None


def valid_message_id(message_id: str) -> bool:
    """``<dot-atom@dot-atom>`` in ASCII, as RFC 5322 msg-id without obsolete forms."""
    return len(message_id) <= 250 and _MESSAGE_ID.fullmatch(message_id) is not None


def _require_address(address: str, role: str) -> str:
    if not valid_address(address):
        raise ValueError(f"{role} is not a plain e-mail address: {address!r}")
    return address


def _require_message_id(message_id: str, role: str) -> str:
    if not valid_message_id(message_id):
        raise ValueError(f"{role} is not a valid Message-ID: {message_id!r}")
    return message_id


def _boundary(message_id: str) -> str:
    return "=_forms_" + hashlib.sha256(message_id.encode("ascii")).hexdigest()[:32]


def _attachment_part(filename: str, content_type: str, placeholder: bytes) -> MIMENonMultipart:
    ctype = content_type if _CONTENT_TYPE.fullmatch(content_type) else "application/octet-stream"
    maintype, _, subtype = ctype.lower().partition("/")
    part = MIMENonMultipart(maintype, subtype)
    part.set_payload(placeholder)
    encoders.encode_base64(part)
    name = safe_filename(header_text(filename))
    value = name if name.isascii() else ("utf-8", "", name)
    part.add_header("Content-Disposition", "attachment", filename=value)
    return part


def _placeholder(message_id: str, index: int) -> bytes:
    """24 bytes standing in for an attachment while the email package lays the message out."""
    return hashlib.sha256(f"{message_id}\0{index}".encode()).digest()[:24]


def _base64_crlf(data: bytes) -> bytes:
    """Base64 in lines of 76 characters joined by CRLF (as the email package writes it); for bytes
    that remember a clean base64 text of theirs (``model.Base64Payload``), that text's lines."""
    sent = getattr(data, "transfer_text", None)
    lines = clean_base64_lines(sent, len(data)) if isinstance(sent, str) else None
    return lines if lines is not None else base64.encodebytes(data).replace(b"\n", b"\r\n")[:-2]


def clean_base64_lines(text: str, size: int) -> bytes | None:
    """``text`` in CRLF lines when it is a clean base64 encoding of ``size`` bytes, else None.

    Clean: nothing but the base64 alphabet, in lines of one length (a whole number of 4-character
    groups, at most 76, RFC 2045) but for a shorter last one, ended by CRLF or LF throughout, padding
    only at the very end, and as long as ``size`` bytes need. Such a text decodes, strictly, to the
    bytes a lenient decoder took from it. Checked with a few C-level passes, without splitting it:
    re-using it spares encoding a 200 KB PDF again (~1.5 ms here)."""
    if not text.isascii():
        return None
    body = text.encode("ascii").rstrip(b"\r\n")
    sep = b"\r\n" if b"\r\n" in body[:100] else b"\n"
    width = body.find(sep) if sep in body else len(body)
    if width not in _GROUPED_LENGTHS:
        return None
    stride = width + len(sep)
    full, last = divmod(len(body), stride)
    if not (0 < last <= width and last % 4 == 0):
        return None
    if any(body[width + k :: stride][:full] != bytes([ch]) * full for k, ch in enumerate(sep)):
        return None  # no line break where one belongs
    padding = len(body) - len(body.rstrip(b"="))
    # what is not the alphabet, in order: the line breaks, then the padding, and nothing else
    if padding > 2 or body.translate(None, _BASE64_ALPHABET) != sep * full + b"=" * padding:
        return None
    if (full * width + last) // 4 * 3 - padding != size:
        return None
    return body if sep == b"\r\n" else body.replace(b"\n", b"\r\n")


def _set_extra_headers(msg: Message, extra_headers: Sequence[tuple[str, str]]) -> None:
    for name, value in extra_headers:
        if not _HEADER_NAME.fullmatch(name) or name.lower() in _OWN_HEADERS:
            raise ValueError(f"header name not allowed: {name!r}")
        msg[name] = _header(header_text(value))


def _header(text: str) -> str | Header:
    """ASCII as it is; anything else as RFC 2047 encoded-words (UTF-8)."""
    return text if text.isascii() else Header(text, "utf-8")


def build_message(
    *,
    sender: str,
    recipients: Sequence[str],
    subject: str,
    body: str,
    message_id: str,
    cc: Sequence[str] = (),
    in_reply_to: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    date: dt.datetime | None = None,
    extra_headers: Sequence[tuple[str, str]] = (),
) -> bytes:
    """The message as bytes ready for SMTP (CRLF line ends, 7-bit).

    ``cc`` are copied (the envelope of an OutgoingMessage names them among its recipients);
    ``attachments`` are ``(filename, content_type, data)``; ``in_reply_to`` sets In-Reply-To and
    References; ``date`` defaults to now (pass it for reproducible bytes); ``extra_headers`` are
    further ``(name, value)`` pairs (e.g. Auto-Submitted), sanitised like the subject.
    Raises ``ValueError`` for an address, Message-ID or header name of the wrong shape.
    """
    if not recipients:
        raise ValueError("a message needs at least one recipient")
    text = MIMEText(body, "plain", "utf-8")  # base64: no body line can pass for a boundary or a header
    stand_ins = [_placeholder(message_id, i) for i in range(len(attachments))]
    msg: Message = text
    if attachments:
        msg = MIMEMultipart("mixed", boundary=_boundary(message_id))
        msg.attach(text)
        for (filename, content_type, _), stand_in in zip(attachments, stand_ins, strict=True):
            msg.attach(_attachment_part(filename, content_type, stand_in))
    msg["From"] = _require_address(sender, "sender")
    msg["To"] = ", ".join(_require_address(r, "recipient") for r in recipients)
    if cc:
        msg["Cc"] = ", ".join(_require_address(r, "copy recipient") for r in cc)
    msg["Subject"] = _header(header_text(subject))
    when = date or dt.datetime.now(dt.UTC)
    msg["Date"] = email.utils.format_datetime(when if when.tzinfo else when.replace(tzinfo=dt.UTC))
    msg["Message-ID"] = _require_message_id(message_id, "message_id")
    if in_reply_to is not None:
        msg["In-Reply-To"] = _require_message_id(in_reply_to, "in_reply_to")
        msg["References"] = in_reply_to
    _set_extra_headers(msg, extra_headers)
    # The email package would write a large payload line by line in Python (~15 ms for a 200 KB PDF);
    # it lays out a 24-byte stand-in instead, whose base64 line is then replaced by the attachment
    # encoded in C. The result is the same bytes it would write.
    out = io.BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=_SMTP_COMPAT).flatten(msg)
    raw = out.getvalue()
    for (_, _, data), stand_in in zip(attachments, stand_ins, strict=True):
        raw = raw.replace(_base64_crlf(stand_in), _base64_crlf(data), 1)
    return raw
