"""Broken MIME: missing or wrong boundaries, bad base64, oversize parts, arbitrary and damaged bytes."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.errors import Code
from forms.intake.mime import parse_mail
from forms.model import Mail
from tests.support.mime_parts import PDF, mime_mail, mime_problems, part, pdf_part, text_part

# --- broken MIME -----------------------------------------------------------------------------------


def test_missing_closing_boundary_still_returns_the_attachment() -> None:
    mail = parse_mail(mime_mail([text_part(), pdf_part()], close=False))
    assert [a.data for a in mail.attachments] == [PDF]
    assert mime_problems(mail) == []


def test_bad_base64_in_the_attachment_is_reported() -> None:
    broken = part(
        ["Content-Type: application/pdf", "Content-Transfer-Encoding: base64"], b"JVBERi0x!!!LjMK*\r\n"
    )
    mail = parse_mail(mime_mail([text_part(), broken]))
    assert mime_problems(mail) == ["mime"]
    assert len(mail.attachments) == 1  # what could be read is still returned


def test_bad_base64_in_the_body_text_is_not_a_lost_attachment() -> None:
    broken = part(["Content-Type: text/plain", "Content-Transfer-Encoding: base64"], b"44GC!!!\r\n")
    assert mime_problems(parse_mail(mime_mail([broken]))) == []


def test_boundary_never_found_is_reported() -> None:
    data = mime_mail([text_part(), pdf_part()]).replace(b"--b1", b"--zz")
    mail = parse_mail(data)
    assert mail.attachments == ()
    assert mime_problems(mail) == ["mime"]


def test_multipart_without_boundary_is_reported() -> None:
    data = mime_mail([pdf_part()]).replace(b'; boundary="b1"', b"")
    assert mime_problems(parse_mail(data)) == ["mime"]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"just some text, not a mail at all\r\nsecond line",
        b"\x00\xff\xfe garbage \x80\x81" * 50,
        b"Subject: no body",
        b"\r\n\r\nbody without headers",
        b"From: =?utf-8?B?!!!?= <a@b>\r\nSubject: =?iso-2022-jp?Q?=1B$B-!\r\n\r\n",
        b'Content-Type: text/plain; charset="\r\n\r\nx',
        b'Content-Type: multipart/mixed; boundary=""\r\n\r\n--\r\n\r\n',
    ],
)
def test_broken_input_never_raises_and_finds_nothing(data: bytes) -> None:
    mail = parse_mail(data)
    assert mail.attachments == ()


def test_oversize_part_is_reported_not_returned() -> None:
    big = pdf_part(
        'attachment; filename="=?utf-8?B?' + base64.b64encode("大きい.pdf".encode()).decode() + '?="'
    )
    mail = parse_mail(mime_mail([text_part(), big, pdf_part()]), max_part_bytes=len(PDF) - 1)
    assert mail.attachments == ()
    too_large = [p for p in mail.problems if p.param("detail") == "too_large"]
    assert [(p.code, p.param("filename"), p.param("size")) for p in too_large] == [
        (Code.FORM_UNREADABLE, "大きい.pdf", len(PDF)),
        (Code.FORM_UNREADABLE, "form.pdf", len(PDF)),
    ]
    assert parse_mail(mime_mail([big]), max_part_bytes=len(PDF)).attachments[0].filename == "大きい.pdf"


SAMPLE_MAIL = mime_mail([text_part(), pdf_part()])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_parse_mail_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    assert isinstance(parse_mail(data), Mail)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(SAMPLE_MAIL)), st.binary(max_size=40), st.integers(0, 200))
def test_parse_mail_never_raises_on_damaged_mail(at: int, junk: bytes, cut: int) -> None:
    data = SAMPLE_MAIL[:at] + junk + SAMPLE_MAIL[at + cut :]
    assert isinstance(parse_mail(data), Mail)
