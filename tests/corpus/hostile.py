"""Hostile PDFs: inputs a reader must survive and refuse (needs_review, FORM_UNREADABLE).

Each builder returns the bytes of one file. ``truncated`` and ``encrypted`` start from a filled
fillable 様式1 (``form``); the others need nothing.
"""

from __future__ import annotations

import io
import random
import zlib
from collections.abc import Callable

import pikepdf

A4 = (595, 842)
BOMB_SIDE = 40_000  # a 40000×40000 8-bit gray image: 1.6 GB once inflated
FLATE_BOMB = 2 * 1024**3  # a content stream of 2 GiB of zeros, 2 MB deflated
OPERATORS = 10_000_000  # path operators on one page
PAGES = 2_000


def random_bytes(form: bytes | None = None) -> bytes:
    """A %PDF- header followed by 64 KiB of (seeded) random bytes."""
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + random.Random(1).randbytes(64 * 1024)


def truncated(form: bytes | None) -> bytes:
    """A filled fillable cut at half its length."""
    assert form, "truncated needs a form"
    return form[: len(form) // 2]


def encrypted(form: bytes | None) -> bytes:
    """A filled fillable encrypted (AES-256) with a user password."""
    assert form, "encrypted needs a form"
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(form)) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user="kaigai-2026", owner="owner-2026", R=6),
                 static_id=True)  # fmt: skip
    return out.getvalue()


def _save(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def many_pages(form: bytes | None = None) -> bytes:
    """2,000 pages sharing one small content stream."""
    pdf = pikepdf.new()
    content = pdf.make_indirect(pikepdf.Stream(pdf, b"0.5 w 72 72 m 523 770 l S"))
    for _ in range(PAGES):
        pdf.add_blank_page(page_size=A4)
        pdf.pages[-1].Contents = content
    return _save(pdf)


def zeros_flate(total: int, chunk: int = 4_000_000) -> bytes:
    """A zlib stream of ``total`` zero bytes, built without compressing them all.

    A full flush makes each chunk's deflate blocks independent of what came before, so the blocks of
    one chunk can be repeated; the Adler-32 of n zeros is (n mod 65521) << 16 | 1.
    """
    assert total % chunk == 0
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = raw.compress(bytes(chunk)) + raw.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    adler = ((total % 65521) << 16) | 1
    return b"\x78\xda" + block * (total // chunk) + tail + adler.to_bytes(4, "big")


def bomb(form: bytes | None = None) -> bytes:
    """One page showing a Flate image XObject that inflates to 1.6 GB of zeros."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=A4)
    image = pikepdf.Stream(pdf, b"")
    image.write(zeros_flate(BOMB_SIDE * BOMB_SIDE, chunk=BOMB_SIDE * 100), filter=pikepdf.Name.FlateDecode)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width = image.Height = BOMB_SIDE
    image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceGray, 8
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=pdf.make_indirect(image)))
    page.Contents = pdf.make_indirect(pikepdf.Stream(pdf, b"q 595 0 0 842 0 0 cm /Im0 Do Q"))
    return _save(pdf)


def flate_bomb(form: bytes | None = None) -> bytes:
    """One page whose content stream (2 MB) inflates to 2 GiB of zeros: nothing in its dictionaries
    says so; only inflating it tells."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=A4)
    content = pikepdf.Stream(pdf, b"")
    content.write(zeros_flate(FLATE_BOMB, chunk=4 * 1024**2), filter=pikepdf.Name.FlateDecode)
    pdf.pages[0].Contents = pdf.make_indirect(content)
    return _save(pdf)


def operators(form: bytes | None = None) -> bytes:
    """One page whose content stream holds ten million path operators (small once compressed)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=A4)
    content = pikepdf.Stream(pdf, b"")
    content.write(zlib.compress(b"0 0 m 1 1 l S\n" * OPERATORS, 6), filter=pikepdf.Name.FlateDecode)
    pdf.pages[0].Contents = pdf.make_indirect(content)
    return _save(pdf)


BUILDERS: dict[str, Callable[[bytes | None], bytes]] = {
    "random_bytes": random_bytes,
    "truncated": truncated,
    "encrypted": encrypted,
    "many_pages": many_pages,
    "bomb": bomb,
    "flate_bomb": flate_bomb,
    "operators": operators,
}
#: The builders that start from a filled form.
NEEDS_FORM = frozenset({"truncated", "encrypted"})


def build(kind: str, form: bytes | None = None) -> bytes:
    return BUILDERS[kind](form)
