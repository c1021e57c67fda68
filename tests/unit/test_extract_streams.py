"""Streams measured before they are inflated: bombs refused by what they would become, real forms not."""

from __future__ import annotations

import base64
import io
import zlib

import pikepdf
import pytest

from forms.extract import pdf as pdf_guards
from forms.extract import streams
from forms.model import Problem
from tests.corpus import hostile
from tests.support.paths import SAMPLES

MB = 1 << 20


def page_with_content(data: bytes, filters: list[str]) -> pikepdf.Pdf:
    """A one-page PDF whose content stream holds ``data`` (already encoded) under ``filters``."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=hostile.A4)
    content = pikepdf.Stream(pdf, data)
    if filters:
        content.Filter = pikepdf.Array([pikepdf.Name(f) for f in filters])
    pdf.pages[0].Contents = pdf.make_indirect(content)
    return pdf


def page_with_image(width: int, height: int, data: bytes = b"", **extra: object) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=hostile.A4)
    image = pikepdf.Stream(pdf, data)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = width, height, 8
    image.ColorSpace = pikepdf.Name.DeviceRGB
    for key, value in extra.items():
        image[f"/{key}"] = value
    pdf.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=pdf.make_indirect(image)))
    return pdf


def detail(found: Problem | None) -> str | None:
    return None if found is None else str(found.param("detail"))


def test_the_2_gib_flate_bomb_is_refused_by_what_it_inflates_to() -> None:
    with pikepdf.open(io.BytesIO(hostile.build("flate_bomb"))) as pdf:
        assert detail(streams.check(pdf, budget=64 * MB)) == "stream_too_large"


@pytest.mark.parametrize("name", ["jetro-fillable", "scb-shinkin-flattened", "kosha-scanned"])
def test_the_sample_forms_pass(name: str) -> None:
    with pikepdf.open(SAMPLES / f"{name}.pdf") as pdf:
        assert streams.check(pdf) is None


def test_streams_count_together() -> None:
    pdf = page_with_content(zlib.compress(bytes(40 * MB)), ["/FlateDecode"])
    second = pikepdf.Stream(pdf, zlib.compress(bytes(40 * MB)), Filter=pikepdf.Name.FlateDecode)
    pdf.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm0=pdf.make_indirect(second)))
    assert streams.check(pdf, budget=64 * MB) is not None
    assert streams.check(pdf, budget=100 * MB) is None


def test_a_filter_chain_is_followed() -> None:
    """ASCII85 around Flate around Flate: each stage decoded, the last one counted."""
    inner = zlib.compress(zlib.compress(bytes(100 * MB)))
    twice = ["/FlateDecode", "/FlateDecode"]
    pdf = page_with_content(base64.a85encode(inner) + b"~>", ["/ASCII85Decode", *twice])
    assert detail(streams.check(pdf, budget=64 * MB)) == "stream_too_large"
    hexed = page_with_content(inner.hex().encode() + b">", ["/ASCIIHexDecode", *twice])
    assert detail(streams.check(hexed, budget=64 * MB)) == "stream_too_large"


def test_run_length_and_lzw_by_their_size_or_worst_case() -> None:
    runs = bytes([129, 0]) * (600 * 1024)  # each pair: 128 zeros
    assert detail(streams.check(page_with_content(runs, ["/RunLengthDecode"]), budget=64 * MB)) is not None
    assert streams.check(page_with_content(runs[:1000], ["/RunLengthDecode"]), budget=64 * MB) is None
    lzw = bytes(20 * 1024)  # not decoded: 4,096 bytes a byte at worst
    assert streams.check(page_with_content(lzw, ["/LZWDecode"]), budget=64 * MB) is not None
    assert streams.check(page_with_content(lzw[:1000], ["/LZWDecode"]), budget=64 * MB) is None


@pytest.mark.parametrize(
    ("encoded", "filters", "inflated"),
    [
        (zlib.compress(bytes(64 * MB), 9), ["/FlateDecode"], 64 * MB),  # ~1,029:1, near deflate's 1,032
        (bytes([129, 0]) * (256 * 1024), ["/RunLengthDecode"], 32 * MB),  # 64:1
        (b"z" * (4 * MB) + b"~>", ["/ASCII85Decode"], 16 * MB),  # 4:1
    ],
    ids=["flate", "run_length", "ascii85"],
)
def test_a_stream_at_its_filters_largest_ratio_is_measured(
    encoded: bytes, filters: list[str], inflated: int
) -> None:
    """A form whose streams cannot inflate past the budget is not decoded; one at the largest ratio
    its filter has still is, and refused one byte over the budget."""
    pdf = page_with_content(encoded, filters)
    assert detail(streams.check(pdf, budget=inflated - 1)) == "stream_too_large"
    assert streams.check(pdf, budget=inflated) is None


def test_a_broken_stream_is_left_to_the_reader() -> None:
    assert streams.check(page_with_content(b"not deflate at all", ["/FlateDecode"])) is None


def test_images_by_their_declared_size() -> None:
    assert detail(streams.check(page_with_image(40_000, 40_000))) == "image_too_large"
    assert detail(streams.check(page_with_image(9_000, 9_000), budget=64 * MB)) == "image_too_large"
    assert streams.check(page_with_image(2_480, 3_508)) is None  # A4 at 300 dpi, RGB


def test_a_jpeg_larger_than_its_dictionary_says_is_refused() -> None:
    frame = b"\xff\xd8\xff\xc0\x00\x11\x08" + (60_000).to_bytes(2, "big") + (60_000).to_bytes(2, "big")
    pdf = page_with_image(100, 100, frame + bytes(8), Filter=pikepdf.Name.DCTDecode)
    assert detail(streams.check(pdf)) == "image_too_large"
    assert streams.jpeg_size(frame + bytes(8)) == (60_000, 60_000)
    assert streams.jpeg_size(b"not a jpeg") is None


def saved(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return out.getvalue()


def test_a_clean_files_streams_are_bounded_by_their_length() -> None:
    """Read from a file qpdf found whole, a stream's /Length stands for its raw bytes in the bound:
    the same streams as above, counted one byte over the budget and not at it."""
    data = saved(page_with_content(zlib.compress(bytes(64 * MB), 9), ["/FlateDecode"]))
    opened = pdf_guards.open_pdf(data, max_pages=5)
    assert isinstance(opened, pdf_guards.OpenedPdf) and not opened.repaired
    with opened.pdf as pdf:
        assert detail(streams.check(pdf, budget=64 * MB - 1, repaired=False)) == "stream_too_large"
        assert streams.check(pdf, budget=64 * MB, repaired=False) is None


def lying_length() -> bytes:
    """A 64 MiB flate bomb whose content stream says it is 10 bytes long."""
    data = saved(page_with_content(zlib.compress(bytes(64 * MB), 9), ["/FlateDecode"]))
    size = len(zlib.compress(bytes(64 * MB), 9))
    honest = b"/Length %d" % size
    assert data.count(honest) == 1
    return data.replace(honest, b"/Length 10".ljust(len(honest)))


def test_a_length_that_lies_does_not_shrink_the_bound() -> None:
    """qpdf reads the stream up to its ``endstream`` whatever /Length says, and warns: the bound is
    taken from the bytes it read (10 bytes would bound at ~10 KB and let the bomb through)."""
    opened = pdf_guards.open_pdf(lying_length(), max_pages=5)
    assert isinstance(opened, pdf_guards.OpenedPdf) and not opened.repaired  # qpdf reads streams lazily
    with opened.pdf as pdf:
        assert detail(streams.check(pdf, budget=32 * MB, repaired=False)) == "stream_too_large"


def test_a_repaired_files_lengths_are_not_trusted() -> None:
    """Warnings qpdf gave before (opening the file: ``repaired``) are not asked again: its /Length
    are not taken then either."""
    with pikepdf.open(io.BytesIO(lying_length())) as pdf:
        list(pdf.objects)
        assert pdf.get_warnings()  # the lie found, and the warnings taken
        assert detail(streams.check(pdf, budget=32 * MB, repaired=True)) == "stream_too_large"
