"""Faxes of the printed 様式1 as fax-to-mail gateways deliver them: a multi-page TIFF (CCITT G3 or G4, 1-bit,
204 × 98 dpi "standard" or 204 × 196 dpi "fine"), or a PDF of the same pages; with or without the sending
bank's cover sheet (送付状) in front.

What a fax machine does to a page is simulated on the printed form (fill.py's flatten): the sheet fed
slightly askew, scanned at 8 dots per mm across and 3.85 (standard) or 7.7 (fine) lines per mm down,
thresholded to black and white, line noise, and the sending machine's header line (TTI) printed at the
top of every page. Pillow writes the TIFF (compression="group4" / "group3"); img2pdf wraps the same
CCITT pages in a PDF without recompressing them, as gateways that deliver PDFs do.
"""

from __future__ import annotations

import io
import random
from collections.abc import Mapping
from typing import Any

import img2pdf
import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from tests.corpus.retyped import LABEL_FONT, VALUE_FONT, _font, register_fonts

X_DPI = 204
Y_DPI = {"standard": 98, "fine": 196}
SENT = "2026/06/15 10:12"


def cover_sheet(values: Mapping[str, Any], pages: int) -> bytes:
    """The bank's FAX送付状 (cover sheet) as a one-page PDF."""
    register_fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)
    c.setFont(LABEL_FONT, 26)
    c.drawCentredString(297, 760, "FAX送付状")
    lines = [
        ("送信日", "令和8年6月15日"),
        ("宛先", "東京都 海外展開支援 受付窓口 御中"),
        ("送信元", f"{values.get('bank_name', '')} {values.get('bank_branch', '')}"),
        ("担当者", str(values.get("bank_officer", ""))),
        ("電話番号", str(values.get("bank_phone", ""))),
        ("送信枚数", f"{pages}枚（本状を含む）"),
        ("件名", "海外展開支援（案内）申込書（様式1）の送付について"),
    ]
    for k, (label, value) in enumerate(lines):
        y = 680 - k * 34
        c.setFont(LABEL_FONT, 13)
        c.drawString(80, y, label)
        c.setFont(VALUE_FONT, 13)
        c.drawString(180, y, value)
        c.line(80, y - 8, 515, y - 8)
    c.setFont(VALUE_FONT, 12)
    message = ("いつもお世話になっております。", "お取引先の様式1を送付いたしますので、",
               "ご査収のほどよろしくお願いいたします。")  # fmt: skip
    for k, text in enumerate(message):
        c.drawString(80, 400 - k * 22, text)
    c.showPage()
    c.save()
    return out.getvalue()


def _header_font() -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font("ipaexg.ttf")), 22)


def fax_page(page: pdfium.PdfPage, mode: str, rng: random.Random, header: str) -> Image.Image:
    """One page as the receiving gateway stores it: 1-bit, X_DPI × Y_DPI[mode]."""
    gray = page.render(scale=X_DPI / 72.0, grayscale=True).to_pil().convert("L")
    width, height = gray.size
    draw = ImageDraw.Draw(gray)
    draw.text((40, 8), header, font=_header_font(), fill=0)  # the sending machine's TTI line
    gray = gray.rotate(rng.uniform(-0.7, 0.7), resample=Image.BICUBIC, fillcolor=255,
                       translate=(rng.uniform(-8, 8), rng.uniform(-6, 6)))  # fmt: skip
    lines = round(height * Y_DPI[mode] / X_DPI)
    scanned = np.asarray(gray.resize((width, lines), Image.BOX), dtype=np.float32)
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 18, scanned.shape)
    black = (scanned + noise) < rng.uniform(120, 150)
    flips = np.random.default_rng(rng.randrange(1 << 30)).random(scanned.shape) < 0.0004
    return Image.fromarray(((black ^ flips) == 0).astype(np.uint8) * 255).convert("1")


def fax_tiff(form_pdf: bytes, values: Mapping[str, Any], mode: str, *, cover: bool, seed: int,
             compression: str = "group4") -> bytes:  # fmt: skip
    """The fax as a multi-page TIFF (``compression``: group4 or group3)."""
    rng = random.Random(seed)
    documents = [cover_sheet(values, 3), form_pdf] if cover else [form_pdf]
    pages: list[Image.Image] = []
    total = sum(len(pdfium.PdfDocument(d)) for d in documents)
    sender = f"{values.get('bank_name', '')} {values.get('bank_phone', '')}"
    for data in documents:
        doc = pdfium.PdfDocument(data)
        for index in range(len(doc)):
            header = f"{SENT}  FROM: {sender}  P.{len(pages) + 1}/{total}"
            pages.append(fax_page(doc[index], mode, rng, header))
        doc.close()
    out = io.BytesIO()
    pages[0].save(out, format="TIFF", compression=compression, dpi=(X_DPI, Y_DPI[mode]), save_all=True,
                  append_images=pages[1:])  # fmt: skip
    return out.getvalue()


def fax_pdf(form_pdf: bytes, values: Mapping[str, Any], mode: str, *, cover: bool, seed: int) -> bytes:
    """The same fax delivered as a PDF: each CCITT G4 page embedded as it is (img2pdf, no recompression)."""
    tiff = Image.open(io.BytesIO(fax_tiff(form_pdf, values, mode, cover=cover, seed=seed)))
    singles = []
    for index in range(tiff.n_frames):
        tiff.seek(index)
        one = io.BytesIO()
        tiff.save(one, format="TIFF", compression="group4", dpi=(X_DPI, Y_DPI[mode]))
        singles.append(one.getvalue())
    return img2pdf.convert(singles, nodate=True, producer="FAX gateway (test)")


def build(spec: str, form_pdf: bytes, values: Mapping[str, Any], seed: int) -> tuple[bytes, str]:
    """A case's fax from its builder ``CONTAINER:MODE[:cover][:COMPRESSION]`` (``tiff:fine:cover:group3``,
    ``pdf:standard``), and its suffix."""
    container, mode, *rest = spec.split(":")
    cover = "cover" in rest
    compression = next((r for r in rest if r.startswith("group")), "group4")
    if container == "pdf":
        return fax_pdf(form_pdf, values, mode, cover=cover, seed=seed), ".pdf"
    return fax_tiff(form_pdf, values, mode, cover=cover, seed=seed, compression=compression), ".tif"


def suffix(spec: str) -> str:
    return ".pdf" if spec.startswith("pdf:") else ".tif"
