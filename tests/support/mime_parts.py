"""Mail parts built by hand for the MIME tests: parts, multiparts, forwards, a bank's mail around a PDF."""

from __future__ import annotations

import base64
import io

from reportlab.pdfgen import canvas

from forms.errors import Code
from forms.model import Mail

JIS = b"\x1b$B"
ASCII = b"\x1b(B"
MARU1 = b"\x2d\x21"  # ① (NEC row 13)
KABU = b"\x2d\x6a"  # ㈱ (NEC row 13)


def jis_pairs(text: str) -> bytes:
    return text.encode("iso2022_jp")[3:-3]


def tiny_pdf(label: str) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, label)
    page.save()
    return out.getvalue()


PDF = tiny_pdf("youshiki1")
PDF2 = tiny_pdf("another")


def b64_lines(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def part(headers: list[str], body: bytes) -> bytes:
    return "\r\n".join(headers).encode() + b"\r\n\r\n" + body


def pdf_part(disposition: str = 'attachment; filename="form.pdf"', ctype: str = "application/pdf") -> bytes:
    headers = [f"Content-Type: {ctype}", "Content-Transfer-Encoding: base64"]
    if disposition:
        headers.append(f"Content-Disposition: {disposition}")
    return part(headers, b64_lines(PDF))


def text_part(text: str = "本文です。") -> bytes:
    return part(["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"], text.encode())


def multipart(parts: list[bytes], boundary: str = "b1", subtype: str = "mixed", close: bool = True) -> bytes:
    sep = f"--{boundary}\r\n".encode()
    body = b"".join(sep + p + b"\r\n" for p in parts)
    return body + (f"--{boundary}--\r\n".encode() if close else b"")


def mime_mail(
    parts: list[bytes],
    extra: list[str] | None = None,
    *,
    subject: str = "test",
    sender: str = "Bank <Kaigai@Bank.Example.jp>",
    close: bool = True,
) -> bytes:
    top = [
        f"From: {sender}",
        "To: mailroom@example.jp",
        f"Subject: {subject}",
        "Message-ID: <m1@bank.example.jp>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b1"',
        *(extra or []),
    ]
    return part(top, multipart(parts, "b1", close=close))


def forward(inner: bytes, disposition: str | None = None) -> bytes:
    headers = ["Content-Type: message/rfc822"]
    if disposition:
        headers.append(f"Content-Disposition: {disposition}")
    return part(headers, inner)


def mime_problems(mail: Mail) -> list[str]:
    return [p.param("detail") for p in mail.problems if p.code is Code.FORM_UNREADABLE]
