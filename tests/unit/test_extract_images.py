"""Faxes, photos and image scans before OCR: TIFF directories (extract.tiff), page images at square
200-dpi pixels (extract.images), the page found in a photo (extract.photo), pictures of one form kept
together (carrier.pack_pages, pipeline.documents_of)."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pikepdf
import pytest
from PIL import Image

from forms import model
from forms.errors import Code
from forms.extract import images, photo, tiff
from forms.extract.carrier import Carrier, pack_pages, sniff, unpack_pages
from forms.extract.document import fax_lines, read_document
from forms.extract.streams import MAX_IMAGE_PIXELS
from forms.pipeline import documents_of
from forms.review.original import render_page
from tests.corpus import hostile_carriers, photos


def fax(height_dpi: int, pages: int = 2, compression: str = "group4") -> bytes:
    sheets = [Image.new("1", (1728, round(11.0 * height_dpi)), 1) for _ in range(pages)]
    out = io.BytesIO()
    sheets[0].save(
        out,
        format="TIFF",
        compression=compression,
        dpi=(204, height_dpi),
        save_all=True,
        append_images=sheets[1:],
    )
    return out.getvalue()


def detail(result: model.ExtractResult) -> tuple[Code, str]:
    assert isinstance(result, model.Problem), result
    return result.code, result.param("detail")


# -- TIFF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("dpi", "compression"), [(98, "group4"), (196, "group3")])
def test_a_fax_tiffs_pages_are_read_from_its_directory(dpi: int, compression: str) -> None:
    pages = tiff.tiff_pages(fax(dpi, 3, compression), max_pages=50, max_pixels=MAX_IMAGE_PIXELS)
    assert isinstance(pages, list) and len(pages) == 3
    assert {(p.width, p.bits, p.dpi, p.is_fax) for p in pages} == {(1728, 1, (204.0, float(dpi)), True)}


@pytest.mark.parametrize(
    ("builder", "want"),
    [("tiff_many_pages", "too_many_pages"), ("tiff_gigapixel", "image_too_large"), ("tiff_loop", "corrupt")],
)
def test_hostile_tiffs_are_refused_from_the_directory(builder: str, want: str) -> None:
    data, _ = hostile_carriers.BUILDERS[builder]({})
    assert detail(read_document(data)) == (Code.FORM_UNREADABLE, want)


def test_a_directory_outside_the_file_is_corrupt() -> None:
    data = fax(196)
    beyond = data[:4] + (len(data) + 100).to_bytes(4, "little") + data[8:]
    refused = tiff.tiff_pages(beyond, max_pages=50, max_pixels=MAX_IMAGE_PIXELS)
    assert detail(refused) == (Code.FORM_UNREADABLE, "corrupt")


def test_fax_pages_are_brought_to_square_200_dpi_pixels() -> None:
    (standard,) = images.tiff_page_images(fax(98, 1), [(204.0, 98.0)], 10)
    (fine,) = images.tiff_page_images(fax(196, 1), [None], 10)  # no tags: a fax by its width
    assert standard.shape == pytest.approx((2200, 1694), abs=2) and fine.shape == pytest.approx(
        (2200, 1694), abs=2
    )
    assert standard.dtype == np.uint8


def test_a_pdf_of_ccitt_pages_is_a_fax() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    image = pikepdf.Stream(pdf, b"\x00" * 8)
    image.Type, image.Subtype, image.Width, image.Height = pikepdf.Name.XObject, pikepdf.Name.Image, 8, 8
    image.BitsPerComponent, image.ColorSpace = 1, pikepdf.Name.DeviceGray
    image.Filter = pikepdf.Array([pikepdf.Name.CCITTFaxDecode])
    pdf.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    out = io.BytesIO()
    pdf.save(out)
    assert fax_lines(out.getvalue()) == pytest.approx(8 / (842 / 72))  # 8 lines over the page's height
    image.Filter, image.BitsPerComponent = pikepdf.Array([pikepdf.Name.DCTDecode]), 8
    out = io.BytesIO()
    pdf.save(out)
    assert fax_lines(out.getvalue()) is None


# -- photos --------------------------------------------------------------------------------------


def printed_page() -> np.ndarray:
    page = np.full((2339, 1654), 250, np.uint8)
    cv2.rectangle(page, (120, 200), (1530, 2100), 20, 4)
    for y in range(300, 2000, 80):
        cv2.putText(page, "YOSHIKI 1", (200, y), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 30, 3)
    return page


def test_a_sheet_photographed_on_a_desk_is_found_straightened_and_evened_out() -> None:
    picture = cv2.cvtColor(photos.phone_photo(printed_page(), seed=5), cv2.COLOR_BGR2GRAY)
    corners = photo.find_page(picture)
    assert corners is not None and corners[0][0] < corners[1][0] and corners[0][1] < corners[3][1]
    flat = photo.flatten_page(picture)
    assert flat.shape == (photo.PAGE_SIZE[1], photo.PAGE_SIZE[0])
    paper = flat[50:150, 200:1400]  # above the printed box: paper only, shadow or not
    assert np.median(paper) > 240 and np.percentile(paper, 5) > 200


def test_a_scanned_page_is_the_page_itself() -> None:
    scan = photos.scanner_image(printed_page(), seed=3)
    assert photo.find_page(scan) is None  # the printed box is on the page, not a sheet on a desk
    assert photo.flatten_page(scan).shape == (2339, 1654)


def test_a_logo_alone_is_no_form_and_a_bomb_is_refused_before_decoding() -> None:
    assert detail(read_document(photos.logo())) == (Code.FORM_NOT_FOUND, "image_too_small")
    bomb, _ = hostile_carriers.jpeg_bomb()
    assert detail(read_document(pack_pages([("a.jpg", photos.logo()), ("b.jpg", bomb)]))) == (
        Code.FORM_UNREADABLE,
        "image_too_large",
    )


def test_a_page_not_found_leaves_its_fields_unread() -> None:
    read = model.Extraction(model.Shape.PHOTO, {"company_name": model.RawValue("株式会社サンプル", 0.97)}, 2)
    out = images.with_unread_pages(read)
    assert isinstance(out, model.Extraction)
    unread = (model.Evidence.UNREAD,)
    assert out.values["bank_email"] == model.RawValue("", 0.0, unread)
    assert out.values["req_tax"] == model.RawValue(False, 0.0, unread)
    assert out.values["company_name"].value == "株式会社サンプル"


# -- the pictures of one form ---------------------------------------------------------------------


def test_pages_packed_together_come_apart_as_they_were() -> None:
    files = [("IMG_1201.jpg", b"\xff\xd8\xff" + b"1" * 10), ("名前.png", b"\x89PNG\r\n\x1a\n" + b"2" * 5)]
    packed = pack_pages(files)
    assert sniff(packed) is Carrier.PAGES and unpack_pages(packed) == files
    assert unpack_pages(packed[:-3]) is None and unpack_pages(b"%PDF-1.7") is None


def test_a_mails_pictures_are_one_document_at_the_place_of_the_first() -> None:
    jpeg, png = b"\xff\xd8\xff\xe0" + bytes(20), b"\x89PNG\r\n\x1a\n" + bytes(20)
    a = [
        model.Attachment(n, n, t, d)
        for n, t, d in [
            ("決算書.pdf", "application/pdf", b"%PDF-1.7 x"),
            ("p1.jpg", "image/jpeg", jpeg),
            ("memo.txt", "text/plain", b"hello"),
            ("p2.png", "image/png", png),
        ]
    ]
    docs = documents_of(a)
    assert [d.filename for d in docs] == ["決算書.pdf", "p1.jpg"]
    assert unpack_pages(docs[1].data) == [("p1.jpg", jpeg), ("p2.png", png)]
    assert [d.filename for d in documents_of(a[:3])] == ["決算書.pdf", "p1.jpg"]  # one picture: as it is
    assert documents_of(a[:3])[1].data == jpeg


def test_the_clerk_sees_a_faxs_pages_and_a_photos_flattened_page() -> None:
    second = render_page(fax(98, 3), 3, dpi=100)
    assert second is not None and Image.open(io.BytesIO(second)).size == pytest.approx((847, 1100), abs=2)
    assert render_page(fax(98, 3), 4) is None
    picture = photos.KINDS["phone"](printed_page(), 9)
    flat = render_page(pack_pages([("IMG_1.jpg", picture), ("logo.png", photos.logo())]), 1, dpi=100)
    assert flat is not None and Image.open(io.BytesIO(flat)).size == (827, 1170)  # A4 at 100 dpi
    assert render_page(b"PK\x03\x04" + bytes(30), 1) is None
