"""E-mails from banks carrying (or failing to carry) a 様式1, as raw RFC 5322 bytes.

Built with the stdlib email package (compat32, CRLF) like ../shared/samples/make_samples.py, except the
ISO-2022-JP mail, whose bytes are built by hand: ① and ㈱ (NEC row 13, JIS 0x2D21 / 0x2D6A) are not in
JIS X 0208, so no stdlib codec writes them — yet Japanese mailers do.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import quopri
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email import encoders
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from forms.extract.carrier import unpack_pages
from tests.corpus.retyped import VALUE_FONT, register_fonts

JST = dt.timezone(dt.timedelta(hours=9))
SENT = dt.datetime(2026, 6, 15, 9, 30, tzinfo=JST)
TO = "mailroom@example.jp"
ESC_JIS, ESC_ASCII = b"\x1b$B", b"\x1b(B"


@dataclass(frozen=True)
class MailInput:
    """What a mail builder gets: the case name, the form's values and PDF, the attachment name."""

    name: str
    values: Mapping[str, Any] | None
    pdf: bytes | None
    filename: str | None
    kessansho: bytes


# -- ISO-2022-JP by hand ------------------------------------------------------------------------


def sjis_to_jis(b1: int, b2: int) -> bytes:
    """One Shift_JIS (cp932) double-byte character as its JIS row/cell pair."""
    row = (b1 - (0x70 if b1 < 0xA0 else 0xB0)) * 2
    if b2 < 0x9F:
        return bytes((row - 1, b2 - 0x1F if b2 < 0x7F else b2 - 0x20))
    return bytes((row, b2 - 0x7E))


def to_iso2022jp(text: str) -> bytes:
    """ISO-2022-JP (CP50220-style) bytes, NEC row-13 characters included (① → ESC $ B 2D 21)."""
    out, jis = bytearray(), False
    for ch in text:
        if ord(ch) < 0x80:
            out += ESC_ASCII if jis else b""
            out += ch.encode("ascii")
            jis = False
            continue
        sj = ch.encode("cp932")
        assert len(sj) == 2 and sj[0] < 0xED, f"{ch!r} has no JIS X 0208 / NEC row 13 code"
        out += b"" if jis else ESC_JIS
        out += sjis_to_jis(sj[0], sj[1])
        jis = True
    return bytes(out + (ESC_ASCII if jis else b""))


def _b_words(text: str) -> str:
    """RFC 2047 B encoded-words, ISO-2022-JP, about 12 characters each."""
    chunks = [text[i : i + 12] for i in range(0, len(text), 12)]
    return "\r\n ".join(f"=?ISO-2022-JP?B?{base64.b64encode(to_iso2022jp(c)).decode()}?=" for c in chunks)


def iso2022jp_nec(m: MailInput) -> bytes:
    v = m.values or {}
    company = str(v["company_name"]).replace("株式会社", "㈱")
    filename = m.filename or f"様式1①_{company}.pdf"
    body = (f"東京都 海外展開支援 受付窓口\r\nご担当者様\r\n\r\n{v['bank_name']}の{v['bank_officer']}"
            f"です。\r\n①お取引先の{company}様の様式1を添付にてお送りします。\r\n"
            "②原本は郵送いたしません。\r\n")  # fmt: skip
    boundary = f"----=_NEC_{m.name}"
    head = (f"From: {_b_words(str(v['bank_name']))} <{v['bank_email']}>\r\nTo: {TO}\r\n"
            f"Subject: {_b_words(f'【海外展開支援】様式1送付①（{company}）')}\r\n"
            f"Date: {format_datetime(SENT)}\r\nMessage-ID: <corpus-{m.name}@{_domain(m)}>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n"
            f' boundary="{boundary}"\r\n\r\n')  # fmt: skip
    quoted = urllib.parse.quote(to_iso2022jp(filename), safe="")
    pdf_b64 = base64.encodebytes(m.pdf or b"").replace(b"\n", b"\r\n")
    return b"".join([
        head.encode("ascii"),
        f"--{boundary}\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n"
        "Content-Transfer-Encoding: 7bit\r\n\r\n".encode("ascii"),
        to_iso2022jp(body), b"\r\n",
        f"--{boundary}\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: attachment;\r\n filename*=iso-2022-jp'ja'{quoted}\r\n\r\n".encode("ascii"),
        pdf_b64, f"--{boundary}--\r\n".encode("ascii"),
    ])  # fmt: skip


# -- the email package ------------------------------------------------------------------------------


def _domain(m: MailInput) -> str:
    return str((m.values or {}).get("bank_email", "kaigai@mihon-bank.example.jp")).rpartition("@")[2]


def _text(body: str, charset: str, codec: str, cte: str) -> MIMENonMultipart:
    data = body.replace("\n", "\r\n").encode(codec)
    part = MIMENonMultipart("text", "plain")
    del part["MIME-Version"]
    part.set_param("charset", charset)
    part["Content-Transfer-Encoding"] = cte
    payload = base64.encodebytes(data) if cte == "base64" else quopri.encodestring(data)
    part.set_payload(payload.decode("ascii"))
    return part


def _pdf(data: bytes, filename: str, ctype: str = "application/pdf", disposition: str = "attachment"
         ) -> MIMEBase:  # fmt: skip
    part = MIMEBase(*ctype.split("/"))
    del part["MIME-Version"]
    part.set_payload(data)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", disposition, filename=("utf-8", "", filename))
    return part


def sjis_words(text: str) -> str:
    """RFC 2047 B encoded-words labelled Shift_JIS holding cp932 bytes (㈱ included), as Outlook writes."""
    return " ".join(f"=?Shift_JIS?B?{base64.b64encode(text[i:i + 10].encode('cp932')).decode()}?="
                    for i in range(0, len(text), 10))  # fmt: skip


def utf8_words(text: str) -> str:
    return Header(text, "utf-8").encode()


def _sjis_name_part(data: bytes, filename: str) -> MIMEBase:
    """Outlook style: the name as Shift_JIS encoded-words inside quotes."""
    words = sjis_words(filename)
    part = MIMEBase("application", "pdf")
    del part["MIME-Version"]
    del part["Content-Type"]
    part["Content-Type"] = f'application/pdf; name="{words}"'
    part["Content-Disposition"] = f'attachment; filename="{words}"'
    part.set_payload(data)
    encoders.encode_base64(part)
    return part


def _body(m: MailInput, note: str = "") -> str:
    v = m.values or {}
    company = v.get("company_name", "お取引先")
    return (f"東京都 海外展開支援 受付窓口\nご担当者様\n\n{v.get('bank_name', 'みほん銀行')}でございます。\n"
            f"{company}様の「海外展開支援（案内）申込書（様式1）」をお送りします。{note}\n"
            "よろしくお願いいたします。\n")  # fmt: skip


def _envelope(m: MailInput, msg: Message, subject: str, words: Callable[[str], str] = utf8_words) -> Message:
    v = m.values or {}
    sender = str(v.get("bank_email", "kaigai@mihon-bank.example.jp"))
    headers = [("From", f"{words(str(v.get('bank_name', 'みほん銀行')))} <{sender}>"),
               ("To", TO), ("Subject", words(subject)), ("Date", format_datetime(SENT)),
               ("Message-ID", f"<corpus-{m.name}@{_domain(m)}>")]  # fmt: skip
    msg._headers = headers + list(msg._headers)  # type: ignore[attr-defined]  # headers first, as mailers do
    return msg


def _flatten(msg: Message) -> bytes:
    out = io.BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=compat32.clone(linesep="\r\n")).flatten(msg)
    return out.getvalue()


def _multipart(m: MailInput, parts: list[Message], subject: str = "【海外展開支援】様式1送付の件") -> Message:
    msg = MIMEMultipart("mixed", boundary=f"----=_Part_{m.name}")
    for part in [_text(_body(m), "UTF-8", "utf-8", "quoted-printable"), *parts]:
        msg.attach(part)
    return _envelope(m, msg, subject)


def sjis_base64(m: MailInput) -> bytes:
    name = m.filename or "様式1_㈱.pdf"
    msg = MIMEMultipart("mixed", boundary=f"----=_Part_{m.name}")
    msg.attach(_text(_body(m, "（㈱の件）"), "Shift_JIS", "cp932", "base64"))
    msg.attach(_sjis_name_part(m.pdf or b"", name))
    return _flatten(_envelope(m, msg, "【海外展開支援】様式1送付の件（㈱）", sjis_words))


def utf8_qp(m: MailInput) -> bytes:
    return _flatten(_multipart(m, [_pdf(m.pdf or b"", m.filename or "様式1.pdf")]))


def forwarded(m: MailInput) -> bytes:
    inner = _multipart(m, [_pdf(m.pdf or b"", m.filename or "様式1.pdf")], "様式1（転送元）")
    del inner["Message-ID"]
    inner["Message-ID"] = f"<corpus-{m.name}-original@{_domain(m)}>"
    return _flatten(_multipart(m, [MIMEMessage(inner)], "Fwd: 【海外展開支援】様式1送付の件"))


def two_pdfs(m: MailInput) -> bytes:
    parts = [_pdf(m.kessansho, "決算書_第12期.pdf"), _pdf(m.pdf or b"", m.filename or "様式1.pdf")]
    return _flatten(_multipart(m, parts))


def many_pdfs(m: MailInput) -> bytes:
    """Ten 決算書 PDFs, then the 様式1: past the attachments read per mail (setting max_attachments)."""
    parts = [_pdf(m.kessansho, f"決算書_{i:02d}.pdf") for i in range(10)]
    return _flatten(_multipart(m, [*parts, _pdf(m.pdf or b"", m.filename or "様式1.pdf")]))


def no_attachment(m: MailInput) -> bytes:
    text = _text(_body(m, "（添付を失念しました）"), "UTF-8", "utf-8", "quoted-printable")
    return _flatten(_envelope(m, text, "【海外展開支援】様式1送付の件"))


def only_kessansho(m: MailInput) -> bytes:
    return _flatten(_multipart(m, [_pdf(m.kessansho, "決算書_第12期.pdf")]))


def octet_stream(m: MailInput) -> bytes:
    part = _pdf(m.pdf or b"", m.filename or "youshiki1.pdf", "application/octet-stream")
    return _flatten(_multipart(m, [part]))


def inline(m: MailInput) -> bytes:
    return _flatten(_multipart(m, [_pdf(m.pdf or b"", m.filename or "申込書.pdf", disposition="inline")]))


def hostile_name(m: MailInput) -> bytes:
    return _flatten(_multipart(m, [_pdf(m.pdf or b"", "../../x.pdf")]))


def broken_mime(m: MailInput) -> bytes:
    """A complete mail whose closing boundary line was lost."""
    data = utf8_qp(m)
    closing = f"------=_Part_{m.name}--".encode("ascii")
    assert closing in data
    return data.replace(closing, b"").rstrip(b"\r\n") + b"\r\n"


# -- automatic mail: never answered, never a 様式1 (RFC 3834) --------------------------------------


def _with_headers(msg: Message, *headers: tuple[str, str]) -> bytes:
    for name, value in headers:
        msg[name] = value
    return _flatten(msg)


def out_of_office(m: MailInput) -> bytes:
    """An out-of-office reply that quotes the bank's mail with its 様式1 (Auto-Submitted: auto-replied)."""
    form = _pdf(m.pdf or b"", m.filename or "様式1.pdf")
    msg = _multipart(m, [form], "自動応答: 【海外展開支援】様式1送付の件")
    return _with_headers(msg, ("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All"))


def list_post(m: MailInput) -> bytes:
    """A 様式1 posted to a mailing list the mailroom is on (Precedence: bulk, List-Id)."""
    msg = _multipart(m, [_pdf(m.pdf or b"", m.filename or "様式1.pdf")], "[kaigai-ml:0042] 様式1の記入例")
    return _with_headers(msg, ("Precedence", "bulk"), ("List-Id", "kaigai-ml <kaigai-ml.lists.example.jp>"))


def bounce(m: MailInput) -> bytes:
    """A delivery report returning one of our receipts whole (multipart/report, RFC 3464), as postfix
    sends one: from MAILER-DAEMON with the null reverse-path."""
    form = _pdf(m.pdf or b"", m.filename or "様式1.pdf")
    receipt = _multipart(m, [form], "【受付完了】様式1 受付番号 R8-000042")
    del receipt["Message-ID"]
    receipt["Message-ID"] = "<R8-000042.bank_receipt@forms.example.jp>"
    status = MIMEBase("message", "delivery-status")
    del status["MIME-Version"]
    per_message, per_recipient = Message(), Message()
    per_message["Reporting-MTA"] = "dns; mx.mihon-bank.example.jp"
    failed = {"Final-Recipient": "rfc822; kaigai@mihon-bank.example.jp", "Action": "failed",
              "Status": "5.2.2", "Diagnostic-Code": "smtp; 552 5.2.2 mailbox full"}  # fmt: skip
    for name, value in failed.items():
        per_recipient[name] = value
    status.set_payload([per_message, per_recipient])
    msg = MIMEMultipart("report", boundary=f"----=_Report_{m.name}", report_type="delivery-status")
    human = _text("配信できませんでした。\n", "UTF-8", "utf-8", "quoted-printable")
    for part in (human, status, MIMEMessage(receipt)):
        msg.attach(part)
    msg = _envelope(m, msg, "Undelivered Mail Returned to Sender")
    msg.replace_header("From", f"MAILER-DAEMON@mx.{_domain(m)}")
    return _with_headers(msg, ("Return-Path", "<>"))


def pictures(m: MailInput) -> bytes:
    """A bank's mail with the form's pages as pictures, one attachment each (phone photos, scans)."""
    pages = unpack_pages(m.pdf or b"") or []
    types = {b"\x89PNG": "image/png"}
    parts = [_pdf(data, name, types.get(data[:4], "image/jpeg")) for name, data in pages]
    return _flatten(_multipart(m, parts, "様式1（写真）の送付"))


GATEWAY = "fax-gw@faxmail.example.jp"


def fax_gateway(m: MailInput) -> bytes:
    """A fax-to-mail gateway's mail: its own From, 「FAX受信 <the sender's number>」, the pages as a TIFF."""
    v = m.values or {}
    number = str(v.get("bank_phone", "03-0000-0000"))
    body = (f"FAXを受信しました。\n送信元番号: {number}\n受信日時: 2026/06/15 10:12\nページ数: 3\n"
            "このメールは送信専用です。\n")  # fmt: skip
    msg = MIMEMultipart("mixed", boundary=f"----=_Part_{m.name}")
    msg.attach(_text(body, "ISO-2022-JP", "iso-2022-jp", "base64"))
    msg.attach(_pdf(m.pdf or b"", m.filename or "FAX.tif", "image/tiff"))
    headers = [("From", f"{utf8_words('FAX受信サービス')} <{GATEWAY}>"), ("To", TO),
               ("Subject", utf8_words(f"FAX受信 {number}")), ("Date", format_datetime(SENT)),
               ("Message-ID", f"<corpus-{m.name}@{GATEWAY.rpartition('@')[2]}>")]  # fmt: skip
    msg._headers = headers + list(msg._headers)  # type: ignore[attr-defined]
    return _flatten(msg)


def kessansho_pdf() -> bytes:
    """A 決算書 (financial statements): a text PDF that is not a 様式1."""
    register_fonts()
    lines = ["決算報告書", "第12期（令和7年4月1日から令和8年3月31日まで）", "見本商事株式会社", "",
             "貸借対照表（令和8年3月31日現在）", "流動資産 120,345,000", "固定資産 45,678,000",
             "流動負債 60,123,000", "固定負債 30,000,000", "資本金 10,000,000", "利益剰余金 65,900,000", "",
             "損益計算書", "売上高 845,000,000", "売上原価 612,300,000", "営業利益 31,200,000",
             "当期純利益 18,400,000"]  # fmt: skip
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)
    for i, line in enumerate(lines):
        c.setFont(VALUE_FONT, 16 if i == 0 else 11)
        c.drawString(60, 780 - i * 22, line)
    c.showPage()
    c.save()
    return out.getvalue()


BUILDERS: dict[str, Callable[[MailInput], bytes]] = {
    "iso2022jp_nec": iso2022jp_nec, "sjis_base64": sjis_base64, "utf8_qp": utf8_qp, "forwarded": forwarded,
    "two_pdfs": two_pdfs, "none": no_attachment, "only_kessansho": only_kessansho,
    "octet_stream": octet_stream, "inline": inline, "hostile_name": hostile_name, "broken_mime": broken_mime,
    "out_of_office": out_of_office, "list_post": list_post, "bounce": bounce, "many_pdfs": many_pdfs,
    "fax_gateway": fax_gateway, "pictures": pictures,
}  # fmt: skip


def build(kind: str, m: MailInput) -> bytes:
    return BUILDERS[kind](m)
