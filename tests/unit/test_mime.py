"""Mail bytes → Mail: the shared sample mails, Japanese charsets, forwards, hostile names, broken MIME."""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.intake.mime import decode_words, header_params, parse_mail, safe_filename
from tests.support.mime_parts import (
    ASCII,
    JIS,
    KABU,
    MARU1,
    PDF,
    PDF2,
    b64_lines,
    forward,
    jis_pairs,
    mime_mail,
    multipart,
    part,
    pdf_part,
    text_part,
)

SAMPLE_DIRS = [
    Path(__file__).resolve().parents[1] / "samples",
    Path(__file__).resolve().parents[3] / "shared" / "samples",
]
SAMPLES = next((d for d in SAMPLE_DIRS if (d / "jetro-bank.eml").is_file()), None)


# --- the shared samples ------------------------------------------------------------------------

SAMPLE_HEADERS = {
    "jetro-bank": (
        "kaigai@mihon-bank.example.jp",
        "みほん銀行 蒲田支店 例示一郎",
        "（株式会社サンプル精機）",
    ),
    "scb-shinkin": (
        "shiro.mihon@sample-shinkin.example.jp",
        "サンプル信用金庫 錦糸町支店 見本四郎",
        "（見本商事株式会社）",
    ),
    "kosha-scanned": (
        "nanami@reiji-shinkumi.example.jp",
        "例示信用組合 本店営業部 見本七海",
        "（株式会社例示フーズ）",
    ),
}


@pytest.mark.skipif(SAMPLES is None, reason="shared samples not present")
@pytest.mark.parametrize("name", sorted(SAMPLE_HEADERS))
def test_shared_sample_mail(name: str) -> None:
    assert SAMPLES is not None
    expected = json.loads((SAMPLES / f"{name}.expected.json").read_text(encoding="utf-8"))
    mail = parse_mail((SAMPLES / f"{name}.eml").read_bytes())
    from_addr, from_name, subject_tail = SAMPLE_HEADERS[name]
    assert mail.message_id == expected["source"]
    assert (mail.from_addr, mail.from_name) == (from_addr, from_name)
    assert mail.subject == "【海外展開支援】様式1送付の件" + subject_tail
    assert mail.to_addrs == ("mailroom@example.jp",)
    assert mail.date is not None and mail.date.utcoffset() == dt.timedelta(hours=9)
    assert mail.body_text.startswith("東京都 海外展開支援 受付窓口\nご担当者様\n")
    assert [a.filename for a in mail.attachments] == [expected["attachment"]]
    assert mail.attachments[0].safe_name == expected["attachment"]
    assert mail.attachments[0].data.startswith(b"%PDF")
    assert mail.problems == ()


# --- Japanese charsets -------------------------------------------------------------------------


def test_iso2022jp_nec_characters_in_subject_from_body_and_rfc2231_filename() -> None:
    subject = JIS + KABU + MARU1 + jis_pairs("の件") + ASCII
    name = JIS + jis_pairs("様式") + ASCII + b"1_" + JIS + KABU + jis_pairs("見本") + ASCII + b".pdf"
    body = JIS + jis_pairs("お取引先") + KABU + jis_pairs("見本の") + MARU1 + ASCII + b"\r\n"
    text = part(['Content-Type: text/plain; charset="ISO-2022-JP"', "Content-Transfer-Encoding: 7bit"], body)
    pdf = pdf_part(f"attachment; filename*=iso-2022-jp'ja'{urllib.parse.quote(name)}")
    data = mime_mail(
        [text, pdf],
        subject=f"=?ISO-2022-JP?B?{base64.b64encode(subject).decode()}?=",
        sender=f"=?ISO-2022-JP?B?{base64.b64encode(JIS + KABU + ASCII).decode()}?= <Kaigai@Bank.Example.jp>",
    )
    mail = parse_mail(data)
    assert mail.subject == "㈱①の件"
    assert mail.from_name == "㈱"
    assert mail.from_addr == "kaigai@bank.example.jp"
    assert mail.body_text == "お取引先㈱見本の①\n"
    assert [a.filename for a in mail.attachments] == ["様式1_㈱見本.pdf"]
    assert mail.attachments[0].safe_name == "様式1_㈱見本.pdf"  # no NFKC: ㈱ is not (株)


def test_shift_jis_body_with_kabu_8bit_and_base64() -> None:
    sjis = "お取引先の㈱見本様①".encode("cp932")
    plain = part(["Content-Type: text/plain; charset=Shift_JIS", "Content-Transfer-Encoding: 8bit"], sjis)
    assert parse_mail(mime_mail([plain])).body_text == "お取引先の㈱見本様①"
    b64 = part(
        ["Content-Type: text/plain; charset=shift_jis", "Content-Transfer-Encoding: base64"], b64_lines(sjis)
    )
    assert parse_mail(mime_mail([b64])).body_text == "お取引先の㈱見本様①"


def test_quoted_printable_utf8_body() -> None:
    qp = b"=E3=81=8A=E5=8F=96=E5=BC=95=E5=85=88=E3=81=AE=E3=88=B1=E8=A6=8B=E6=9C=AC=\r\n=E6=A7=98\r\n"
    text = part(
        ["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"], qp
    )
    assert parse_mail(mime_mail([text])).body_text == "お取引先の㈱見本様\n"


def test_8bit_header_without_encoded_words_is_read_as_utf8_or_cp932() -> None:
    data = mime_mail([text_part()]).replace(b"Subject: test", b"Subject: " + "㈱見本".encode("cp932"))
    assert parse_mail(data).subject == "㈱見本"


def test_outlook_quoted_encoded_words_in_name_only() -> None:
    name = "=?UTF-8?B?44CQ5qeY5byPMeOAkQ==?=\r\n =?UTF-8?B?LnBkZg==?="
    pdf = part(
        ['Content-Type: application/pdf;\r\n name="' + name + '"', "Content-Transfer-Encoding: base64"],
        b64_lines(PDF),
    )
    mail = parse_mail(mime_mail([pdf]))
    assert [a.filename for a in mail.attachments] == ["【様式1】.pdf"]


def test_rfc2231_continuations_are_joined_before_decoding() -> None:
    encoded = urllib.parse.quote("様式1_見本商事.pdf".encode())
    raw = f"attachment; filename*0*=utf-8''{encoded[:20]}; filename*1*={encoded[20:]}"
    assert header_params(raw) == {"filename": "様式1_見本商事.pdf"}


def test_encoded_words_split_inside_a_character_are_joined() -> None:
    data = "㈱".encode()
    word1, word2 = base64.b64encode(data[:2]).decode(), base64.b64encode(data[2:]).decode()
    assert decode_words(f"=?utf-8?B?{word1}?=\r\n =?utf-8?B?{word2}?= x") == "㈱ x"


# --- where attachments hide -----------------------------------------------------------------------


def test_forwarded_message_holds_the_pdf() -> None:
    inner = part(
        ["From: a@b.jp", "Content-Type: multipart/mixed; boundary=in1"],
        multipart([text_part(), pdf_part()], "in1"),
    )
    mail = parse_mail(mime_mail([text_part("転送します"), forward(inner)]))
    assert [(a.filename, a.is_pdf) for a in mail.attachments] == [("form.pdf", True)]
    assert mail.body_text.startswith("転送します")


def test_nested_forward_attached_as_eml() -> None:
    innermost = part(["Content-Type: multipart/mixed; boundary=in2"], multipart([pdf_part()], "in2"))
    middle = part(["Content-Type: multipart/mixed; boundary=in1"], multipart([forward(innermost)], "in1"))
    mail = parse_mail(mime_mail([text_part(), forward(middle, 'attachment; filename="fwd.eml"')]))
    assert [a.data for a in mail.attachments] == [PDF]


def test_two_pdfs_are_both_returned_in_order() -> None:
    second = part(
        ["Content-Type: application/pdf", 'Content-Disposition: attachment; filename="b.pdf"'], PDF2
    )  # sent raw, without a transfer encoding
    mail = parse_mail(mime_mail([text_part(), pdf_part(), second]))
    assert [a.filename for a in mail.attachments] == ["form.pdf", "b.pdf"]
    assert [a.data for a in mail.attachments] == [PDF, PDF2]


@pytest.mark.parametrize(
    ("ctype", "disposition"),
    [
        ("application/octet-stream", 'attachment; filename="scan0001"'),
        ("application/octet-stream", ""),
        ("application/pdf", 'inline; filename="form.pdf"'),
        ("application/pdf", "inline"),
        ("text/plain", ""),  # mislabelled, recognised by its bytes
    ],
)
def test_pdf_recognised_by_bytes_whatever_type_and_disposition(ctype: str, disposition: str) -> None:
    mail = parse_mail(mime_mail([text_part(), pdf_part(disposition, ctype)]))
    assert len(mail.attachments) == 1
    assert mail.attachments[0].is_pdf and mail.attachments[0].data == PDF
    assert mail.attachments[0].safe_name.endswith((".pdf", "scan0001"))
    assert mail.body_text == "本文です。"


def test_single_part_mail_that_is_a_pdf() -> None:
    data = part(["Content-Type: application/pdf", "Content-Transfer-Encoding: base64"], b64_lines(PDF))
    mail = parse_mail(data)
    assert [(a.filename, a.safe_name, a.data) for a in mail.attachments] == [("", "attachment.pdf", PDF)]


def test_no_attachment_gives_none_and_no_problem() -> None:
    mail = parse_mail(mime_mail([text_part()]))
    assert mail.attachments == ()
    assert mail.problems == ()


def test_plain_preferred_over_html_and_html_used_alone() -> None:
    html = part(["Content-Type: text/html; charset=utf-8"], b"<p>HTML &amp; body</p><script>x()</script>")
    alternative = part(
        ["Content-Type: multipart/alternative; boundary=alt"], multipart([text_part("plain"), html], "alt")
    )
    assert parse_mail(mime_mail([alternative])).body_text == "plain"
    assert parse_mail(mime_mail([html])).body_text == "HTML & body\n"


def test_text_attachment_is_an_attachment_not_body() -> None:
    note = part(["Content-Type: text/plain", 'Content-Disposition: attachment; filename="memo.txt"'], b"memo")
    mail = parse_mail(mime_mail([text_part(), note]))
    assert [a.filename for a in mail.attachments] == ["memo.txt"]
    assert mail.body_text == "本文です。"


# --- headers ---------------------------------------------------------------------------------------


def test_header_fields() -> None:
    headers = [
        "To: A <One@Example.JP>, two@example.jp",
        "Date: Tue, 12 May 2026 10:21:00 +0900",
        "Received: from mx.bank.example.jp by mx.example.jp;\r\n Tue, 12 May 2026 01:21:05 +0000",
        "Received: from inner by mx.bank.example.jp; Tue, 12 May 2026 01:21:02 +0000",
    ]
    data = mime_mail([text_part()], headers).replace(b"To: mailroom@example.jp\r\n", b"")
    mail = parse_mail(data)
    assert mail.message_id == "<m1@bank.example.jp>"
    assert mail.from_addr == "kaigai@bank.example.jp" and mail.from_name == "Bank"
    assert mail.to_addrs == ("one@example.jp", "two@example.jp")
    assert mail.date == dt.datetime(2026, 5, 12, 1, 21, tzinfo=dt.UTC)
    assert mail.received == dt.datetime(2026, 5, 12, 1, 21, 5, tzinfo=dt.UTC)


def test_missing_or_bad_dates_are_none_and_zoneless_is_utc() -> None:
    assert parse_mail(mime_mail([text_part()], ["Date: not a date", "Received: no date here"])).date is None
    mail = parse_mail(mime_mail([text_part()], ["Date: Tue, 12 May 2026 10:21:00 -0000"]))
    assert mail.date == dt.datetime(2026, 5, 12, 10, 21, tzinfo=dt.UTC)
    assert mail.received is None


# --- hostile names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../x.pdf", "x.pdf"),
        ("/etc/passwd", "passwd"),
        ("C:\\Users\\bank\\x.pdf", "x.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("..", "attachment.bin"),
        ("", "attachment.bin"),
        (".bashrc", "bashrc"),
        (". .hidden.pdf", "hidden.pdf"),
        ("様式1\r\nBcc: x@y.jp.pdf", "様式1Bcc_ x@y.jp.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("㈱見本.pdf", "㈱見本.pdf"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_long_names_keep_their_extension() -> None:
    long_name = safe_filename("様式" * 200 + ".pdf")
    assert long_name.endswith(".pdf") and len(long_name.encode()) <= 150
    assert len(safe_filename("x" * 500).encode()) == 150


def test_hostile_name_in_a_mail_never_becomes_a_path() -> None:
    crlf = "=?utf-8?Q?=2E=2E=2F=0D=0Aevil=2Epdf?="
    mail = parse_mail(
        mime_mail(
            [pdf_part('attachment; filename="../../x.pdf"'), pdf_part(f'attachment; filename="{crlf}"')]
        )
    )
    assert [a.filename for a in mail.attachments] == ["../../x.pdf", "../\r\nevil.pdf"]
    assert [a.safe_name for a in mail.attachments] == ["x.pdf", "evil.pdf"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_safe_filename_property(name: str) -> None:
    safe = safe_filename(name)
    assert safe and "/" not in safe and "\x00" not in safe and not safe.startswith(".")
    assert len(safe.encode("utf-8")) <= 150
