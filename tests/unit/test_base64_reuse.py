"""A forward carries the bank's own base64 text of the PDF when it is a clean encoding, and encodes
the bytes anew otherwise: either way the agency decodes exactly the bytes that were decided on."""

from __future__ import annotations

import base64
import email
import email.policy
import pickle
from email.message import Message

from hypothesis import given
from hypothesis import strategies as st

from forms.deliver.message import _base64_crlf, build_message, clean_base64_lines
from forms.intake.mime import parse_mail
from forms.model import Base64Payload

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def wrapped(data: bytes, width: int, sep: bytes, trailing: bool = True) -> str:
    encoded = base64.b64encode(data)
    lines = [encoded[i : i + width] for i in range(0, len(encoded), width)]
    return (sep.join(lines) + (sep if trailing else b"")).decode("ascii")


def leniently_decoded(text: str) -> bytes:
    """What the email package takes from a base64 part (as parse_mail reads it)."""
    part = Message()
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(text)
    decoded = part.get_payload(decode=True)
    assert isinstance(decoded, bytes)
    return decoded


@given(
    st.binary(min_size=1, max_size=3000),
    st.sampled_from(range(4, 77, 4)),
    st.sampled_from([b"\r\n", b"\n"]),
    st.booleans(),
)
def test_a_clean_encoding_is_carried_in_crlf_lines(
    data: bytes, width: int, sep: bytes, trailing: bool
) -> None:
    lines = clean_base64_lines(wrapped(data, width, sep, trailing), len(data))
    assert lines is not None
    assert all(len(line) == width for line in lines.split(b"\r\n")[:-1])
    assert base64.b64decode(lines.replace(b"\r\n", b""), validate=True) == data


@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n !-_.", max_size=400
    )
)
def test_any_text_either_falls_back_or_decodes_strictly_to_what_was_read(text: str) -> None:
    read = leniently_decoded(text)
    lines = clean_base64_lines(text, len(read))
    assert lines is None or base64.b64decode(lines.replace(b"\r\n", b""), validate=True) == read


def test_unclean_encodings_are_not_carried() -> None:
    good = wrapped(PDF, 76, b"\r\n")
    assert clean_base64_lines(good, len(PDF)) is not None
    cut = good.split("\r\n")
    unclean = {
        "a character outside base64": good.replace("A", "!", 1),
        "padding inside": good[:100] + "=" + good[101:],
        "lines of several widths": "\r\n".join([cut[0][:40], cut[0][40:], *cut[1:]]),
        "lines wider than 76": wrapped(PDF, 80, b"\r\n"),
        "a width not of whole groups": wrapped(PDF, 74, b"\r\n"),
        "line ends mixed": good.replace("\r\n", "\n", 3),
        "a line too many": good + "QUJD\r\n",
        "8-bit text": good.replace("A", "\u3042", 1),
    }
    for why, text in unclean.items():
        assert clean_base64_lines(text, len(PDF)) is None, why
    assert clean_base64_lines(good, len(PDF) + 1) is None  # not the size that was decoded


def test_the_forward_carries_the_banks_lines_and_decodes_to_the_same_pdf() -> None:
    text = wrapped(PDF, 64, b"\n")  # a bank's encoder with lines of 64 and LF
    mail = parse_mail(
        b"From: officer@bank.example.jp\r\nTo: mailroom@example.jp\r\nSubject: form\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: application/pdf; name=form.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + text.replace("\n", "\r\n").encode()
        + b"--b--\r\n"
    )
    [attachment] = mail.attachments
    assert isinstance(attachment.data, Base64Payload) and attachment.data == PDF
    raw = build_message(
        sender="mailroom@example.jp",
        recipients=["jetro@agency.example.jp"],
        subject="転送",
        body="本文",
        message_id="<forward.1@example.jp>",
        attachments=[("form.pdf", "application/pdf", attachment.data)],
    )
    assert text.split("\n")[1].encode() + b"\r\n" in raw  # a line of 64: the bank's, not re-wrapped
    forwarded = email.message_from_bytes(raw, policy=email.policy.default)
    [pdf] = [p for p in forwarded.walk() if p.get_content_type() == "application/pdf"]
    assert pdf.get_payload(decode=True) == PDF
    assert _base64_crlf(PDF) != _base64_crlf(attachment.data)  # plain bytes are wrapped at 76


def test_a_payload_survives_pickling_with_its_text() -> None:
    payload = Base64Payload(PDF, wrapped(PDF, 76, b"\r\n"))
    again = pickle.loads(pickle.dumps(payload))
    assert again == PDF and again.transfer_text == payload.transfer_text
