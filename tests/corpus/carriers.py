"""Corpus cases of the carriers other than PDF: Word, Excel (and their hostile versions), with routed and
rejected outcomes across the rules, so that a misread changes a decision.

Office layouts are office.py's; hostile files hostile_carriers.py's.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
import struct
import zipfile

import pikepdf
from docx import Document
from openpyxl import load_workbook
from PIL import Image

from forms.spec import load_spec
from tests.corpus import hostile_carriers, legacy_office
from tests.corpus.case import JETRO, KOSHA, SCB, SMRJ, Case, case, ledger, rejected, review, routed, sup

NOT_SME = "NOT_SME:capital_yen"
BIG = {"capital_yen": "4億円", "employees": "400人"}
OSAKA = {"hq_postal_code": "530-0001", "hq_address": "大阪府大阪市北区梅田1丁目2番3号"}
REQS = ("req_tokyo_office", "req_license", "req_tax", "req_antisocial")
FULL_CAP = [sup("jetro", "2026-04-20", 600_000), sup("scb", "2026-05-10", 400_000)]
#: The shapes of this module, and the suffix of each shape's files.
SUFFIXES = {"docx": ".docx", "xlsx": ".xlsx", "doc": ".doc", "xls": ".xls", "fax": ".tif", "photo": ".eml"}


CONSENT_OFF = rejected("DECLARATION_MISSING:consent_sharing", consent_sharing=False)
CORPNUM = "2010401112233"
VIA_BANK = {"bank_type": "銀行", "bank_name": "みほん銀行"}
# fmt: off
#: (name, base, what, expected decision, layout, changes) — office.py's layouts.
DOCX = (
    ("docx-jetro-routed", JETRO, "Word table (label, value), ■/□ ticks", routed(), "docx_table", {}),
    ("docx-scb-routed-content-controls", SCB, "paragraphs label<tab>value, check box content controls, two "
     "pairs on some lines", routed(), "docx_paragraphs", {}),
    ("docx-kosha-routed-libreoffice", KOSHA, "the Word table saved again by LibreOffice", routed(),
     "docx_libreoffice", {}),
    ("docx-not-sme", JETRO, "Word table; capital 4億, 400 staff",
     rejected(NOT_SME, capital_yen=400_000_000, employees=400), "docx_table", BIG),
    ("docx-consent-unticked", JETRO, "content control of 情報共有への同意 unchecked", CONSENT_OFF,
     "docx_paragraphs", {"consent_sharing": False}),
    ("docx-agency-none-wingdings", JETRO, "Wingdings box symbols, no agency ticked",
     rejected("AGENCY_MISSING:agency"), "docx_wingdings", {"agency": None}),
    ("docx-scb-via-bank-libreoffice", SCB, "saved by LibreOffice: scb through a 銀行",
     rejected("SCB_REQUIRES_SHINKIN:bank_type", bank_type="bank"), "docx_libreoffice", VIA_BANK),
    ("docx-corpnum-check-digit", KOSHA, "Wingdings ticks: 法人番号 check digit wrong",
     rejected("CORPORATE_NUMBER_INVALID:corporate_number", corporate_number=CORPNUM), "docx_wingdings",
     {"corporate_number": CORPNUM}),
)
XLSX = (
    ("xlsx-jetro-routed", JETRO, "Excel grid: merged value cells, 令和 date cells, numbers, ■/□", routed(),
     "xlsx_grid", {}),
    ("xlsx-scb-routed", SCB, "two pairs per row, レ ticks, TRUE/FALSE cells", routed(), "xlsx_two_per_row",
     {}),
    ("xlsx-kosha-routed-libreoffice", KOSHA, "the Excel grid saved again by LibreOffice", routed(),
     "xlsx_libreoffice", {}),
    ("xlsx-loan-over-limit", JETRO, "a yen number cell 280,000,001",
     rejected("LOAN_AMOUNT_OVER_LIMIT:loan_amount_yen", loan_amount_yen=280_000_001), "xlsx_grid",
     {"loan_amount_yen": "280,000,001円"}),
    ("xlsx-reqs-unticked", SCB, "the four 基本要件 as FALSE cells",
     rejected(*(f"BASIC_REQUIREMENT_UNCONFIRMED:{k}" for k in REQS)), "xlsx_two_per_row",
     dict.fromkeys(REQS, False)),
    ("xlsx-hq-osaka", JETRO, "Excel grid: head office in 大阪府", rejected("NOT_IN_TOKYO:hq_address"),
     "xlsx_grid", OSAKA),
    ("xlsx-date-month-13", JETRO, "申込日 typed as text 令和8年13月1日", rejected("FIELD_INVALID:applied_on"),
     "xlsx_grid", {"applied_on": "令和8年13月1日"}),
    ("xlsx-smrj-libreoffice", SMRJ, "saved by LibreOffice: smrj ticked", rejected("SMRJ_DIRECT_ONLY:agency"),
     "xlsx_libreoffice", {}),
)
#: (name, what, hostile_carriers builder) — each starts from jetro-fillable's values.
HOSTILE_OFFICE = (
    ("hostile-zip-bomb-xlsx", "a real .xlsx 様式1 whose sheet inflates to 1 GiB", "zip_bomb_xlsx"),
    ("hostile-zip-bomb-docx", "a real .docx 様式1 whose document.xml inflates to 1 GiB", "zip_bomb_docx"),
    ("hostile-lying-zip-docx", "document.xml says 2 KiB, inflates to 64 MiB", "lying_zip_docx"),
    ("hostile-macro-xlsm", "a real 様式1 as .xlsm with vbaProject.bin (never opened)", "macro_xlsm"),
    ("hostile-macro-docm-as-docx", "a macro-enabled Word file named .docx", "macro_docm_as_docx"),
)
#: 97–2003 files (OLE), saved by LibreOffice from office.py's layouts; read through LibreOffice (slow).
LEGACY = (
    ("xls-jetro-routed", JETRO, "the Excel grid saved as .xls (Excel 97–2003) by LibreOffice", routed(),
     "xls_grid", {}),
    ("xls-scb-reqs-unticked", SCB, ".xls, two pairs per row: the four 基本要件 as FALSE cells",
     rejected(*(f"BASIC_REQUIREMENT_UNCONFIRMED:{k}" for k in REQS)), "xls_two_per_row",
     dict.fromkeys(REQS, False)),
    ("xls-hq-osaka", JETRO, ".xls: head office in 大阪府", rejected("NOT_IN_TOKYO:hq_address"), "xls_grid",
     OSAKA),
    ("doc-kosha-routed", KOSHA, "the Word table saved as .doc (Word 97–2003) by LibreOffice", routed(),
     "doc_table", {}),
    ("doc-not-sme", JETRO, ".doc: capital 4億, 400 staff",
     rejected(NOT_SME, capital_yen=400_000_000, employees=400), "doc_table", BIG),
    ("doc-consent-unticked", JETRO, ".doc of the paragraphs with check boxes: 同意 unchecked", CONSENT_OFF,
     "doc_paragraphs", {"consent_sharing": False}),
)
#: (name, what, legacy_office builder) — refused before LibreOffice sees them.
HOSTILE_LEGACY = (
    ("hostile-xls-password", ".xls saved by LibreOffice with a password to open (FilePass)", "encrypted_xls"),
    ("hostile-doc-encrypted", ".doc whose FIB says encrypted (fEncrypted)", "encrypted_doc"),
    ("hostile-xlsx-password", ".xlsx encrypted by msoffcrypto-tool (EncryptedPackage in OLE)",
     "encrypted_ooxml"),
    ("hostile-xls-vba", ".xls with a _VBA_PROJECT_CUR storage", "vba_xls"),
    ("hostile-xls-excel4-macro", ".xls whose sheet is an Excel 4 macro sheet", "excel4_macro_xls"),
    ("hostile-xls-truncated", ".xls cut after 4 KiB", "corrupt_xls"),
    ("hostile-ole-fat-loop", ".xls whose Workbook sectors run in a loop", "ole_fat_loop"),
    ("hostile-doc-table-loop", ".doc whose 1Table sectors run in a loop", "doc_table_loop"),
    ("hostile-ole-fat-bomb", ".xls whose header declares 2³¹ FAT sectors", "ole_fat_bomb"),
    ("hostile-ole-powerpoint", "an OLE file holding neither Word nor Excel (PowerPoint Document)",
     "ole_other"),
)
#: (name, base, what, expected decision, faxes.py builder, changes) — read by OCR (slow).
FAX = (
    ("fax-jetro-fine-cover", JETRO, "G4 TIFF, fine (204×196 dpi), the bank's cover sheet first", routed(),
     "tiff:fine:cover", {}),
    ("fax-scb-fine-g3", SCB, "G3 TIFF, fine, no cover sheet", routed(), "tiff:fine:group3", {}),
    ("fax-kosha-standard-cover", KOSHA, "G4 TIFF, standard (204×98 dpi), cover sheet", routed(),
     "tiff:standard:cover", {}),
    ("fax-jetro-standard-g3", JETRO, "G3 TIFF, standard, no cover sheet", routed(), "tiff:standard:group3",
     {}),
    ("fax-not-sme-fine-cover", JETRO, "fine, cover sheet; capital 4億, 400 staff",
     rejected(NOT_SME, capital_yen=400_000_000, employees=400), "tiff:fine:cover", BIG),
    ("fax-consent-unticked-standard", JETRO, "standard; the 情報共有への同意 box empty", CONSENT_OFF,
     "tiff:standard:cover", {"consent_sharing": False}),
    ("fax-agency-none-fine", JETRO, "fine; no agency ticked", rejected("AGENCY_MISSING:agency"), "tiff:fine",
     {"agency": None}),
    ("fax-scb-via-bank-standard", SCB, "standard: scb through a 銀行",
     rejected("SCB_REQUIRES_SHINKIN:bank_type", bank_type="bank"), "tiff:standard:cover", VIA_BANK),
    ("fax-pdf-jetro-fine-cover", JETRO, "a gateway's PDF of the CCITT pages, fine, cover sheet", routed(),
     "pdf:fine:cover", {}),
    ("fax-pdf-hq-osaka-standard", JETRO, "a gateway's PDF, standard: head office in 大阪府",
     rejected("NOT_IN_TOKYO:hq_address"), "pdf:standard", OSAKA),
)
#: (name, base, what, expected decision, photos.py kind, changes) — a mail, a picture per page (OCR, slow).
PHOTO = (
    ("photo-jetro-phone", JETRO, "two phone photos (JPEG): desk, perspective, shadow; a logo after them",
     routed(), "phone+logo", {}),
    ("photo-scb-phone-sideways", SCB, "phone photos stored sideways (EXIF orientation 6)", routed(),
     "phone_sideways", {}),
    ("photo-kosha-scanner-png", KOSHA, "a scanner's mail: one PNG per page", routed(), "scanner_png", {}),
    ("photo-not-sme-phone", JETRO, "phone photos; capital 4億, 400 staff",
     rejected(NOT_SME, capital_yen=400_000_000, employees=400), "phone", BIG),
    ("photo-consent-unticked-scanner", JETRO, "scanner JPEGs; the 情報共有への同意 box empty", CONSENT_OFF,
     "scanner_jpeg", {"consent_sharing": False}),
    ("photo-hq-osaka-phone", JETRO, "phone photos: head office in 大阪府",
     rejected("NOT_IN_TOKYO:hq_address"), "phone", OSAKA),
    ("photo-scb-via-bank-phone", SCB, "phone photos: scb through a 銀行",
     rejected("SCB_REQUIRES_SHINKIN:bank_type", bank_type="bank"), "phone_sideways", VIA_BANK),
)
#: (name, what, hostile_carriers builder) — no form needed.
HOSTILE_IMAGES = (
    ("hostile-tiff-100000-pages", "a TIFF of 100,000 pages (Pillow counts them for ~40 s)",
     "tiff_many_pages"),
    ("hostile-tiff-gigapixel", "one G4 page declared 40,000 × 25,000 pixels", "tiff_gigapixel"),
    ("hostile-tiff-loop", "TIFF directories pointing at each other", "tiff_loop"),
    ("hostile-jpeg-bomb", "a JPEG declaring 65,000 × 65,000 pixels", "jpeg_bomb"),
    ("hostile-png-bomb", "a 30,000 × 30,000 PNG: 878 KB, 900 MB once inflated", "png_bomb"),
)
# fmt: on
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OCR = {"slow": True, "accept_low_confidence": True, "compare": "required"}


def _image_cases() -> list[Case]:
    out = [case(name, "fax", base, about, expect, builder=spec, changes=changes, seed=40 + k, **OCR)
           for k, (name, base, about, expect, spec, changes) in enumerate(FAX)]  # fmt: skip
    out.append(case("mail-fax-gateway", "email", JETRO, "a fax-to-mail gateway's mail (FAX受信, a G4 TIFF, "
                    "fine, cover sheet)", routed(), builder="fax_gateway", pdf_shape="fax:tiff:fine:cover",
                    attachment="FAX_20260615_101203.tif", seed=60, **OCR))  # fmt: skip
    out.extend(case(name, "photo", base, about, expect, builder=kind, changes=changes, seed=70 + k,
                    attachment="IMG_1201.png" if "png" in kind else "IMG_1201.jpg", **OCR)
               for k, (name, base, about, expect, kind, changes) in enumerate(PHOTO))  # fmt: skip
    bad = review("FORM_UNREADABLE", agency=None)
    out.extend(case(name, "hostile", None, about, bad, builder=builder)
               for name, about, builder in HOSTILE_IMAGES)  # fmt: skip
    return out


def _office_cases() -> list[Case]:
    out = [case(name, shape, base, about, expect, builder=layout, changes=changes)
           for shape, table in (("docx", DOCX), ("xlsx", XLSX))
           for name, base, about, expect, layout, changes in table]  # fmt: skip
    out.extend(case(name, layout[:3], base, about, expect, builder=layout, changes=changes, slow=True)
               for name, base, about, expect, layout, changes in LEGACY)  # fmt: skip
    out.append(case("xlsx-cap-used-up", "xlsx", JETRO, "Excel grid; jetro 600,000 + scb 400,000 used",
                    rejected("BUDGET_EXHAUSTED"), builder="xlsx_grid", ledger=ledger(FULL_CAP)))  # fmt: skip
    return out


def _office_mail_cases() -> list[Case]:
    e = "email"
    return [
        case("mail-docx-octet-stream", e, JETRO, "a .docx sent as application/octet-stream", routed(),
             builder="octet_stream", pdf_shape="docx_table", attachment="様式1_サンプル精機.docx"),
        case("mail-xlsx-after-kessansho", e, SCB, "a 決算書 PDF first, then the .xlsx 様式1", routed(),
             builder="two_pdfs", pdf_shape="xlsx_two_per_row", attachment="様式1_見本商事.xlsx"),
        case("mail-xls-octet-stream", e, SCB, "a .xls (Excel 97–2003) sent as application/octet-stream",
             routed(), builder="octet_stream", pdf_shape="xls_two_per_row", attachment="様式1_見本商事.xls",
             slow=True),
    ]  # fmt: skip


def _hostile_office_cases() -> list[Case]:
    bad = review("FORM_UNREADABLE", agency=None)
    return [case(name, "hostile", JETRO, about, bad, builder=builder, compare="none")
            for name, about, builder in (*HOSTILE_OFFICE, *HOSTILE_LEGACY)]  # fmt: skip


def carrier_cases() -> list[Case]:
    return _office_cases() + _office_mail_cases() + _hostile_office_cases() + _image_cases()


# -- what each built file must be (tests/integration/test_corpus.py) ---------------------------


def labels_in(data: bytes) -> set[str]:
    """The printed labels of youshiki1.json found in a .docx or .xlsx (read with python-docx or openpyxl)."""
    if b"word/document.xml" in data:
        doc = Document(io.BytesIO(data))
        texts = [p.text for p in doc.paragraphs] + [
            c.text for t in doc.tables for r in t.rows for c in r.cells
        ]
    else:
        wb = load_workbook(io.BytesIO(data))
        texts = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value]
    joined = "".join("".join(texts).split())
    return {f.label for f in load_spec().fields.values() if "".join(f.label.split()) in joined}


def check_built(case: Case, data: bytes) -> None:
    """A carrier case's file is what the case says (asserts)."""
    if case.shape in ("docx", "xlsx"):
        assert data.startswith(b"PK\x03\x04") and len(labels_in(data)) == len(load_spec().fields)
        return
    if case.shape in ("doc", "xls") or case.builder in legacy_office.BUILDERS:
        assert data.startswith(OLE)
        return
    parts: dict[str, zipfile.ZipInfo] = {}
    with contextlib.suppress(zipfile.BadZipFile), zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {i.filename: i for i in z.infolist()}
    if case.builder in ("zip_bomb_xlsx", "zip_bomb_docx"):
        assert max(i.file_size for i in parts.values()) >= 1024**3 and len(data) < 2_000_000
    elif case.builder == "lying_zip_docx":
        assert parts["word/document.xml"].file_size == 2048 and len(data) > 50_000
    elif case.builder in ("macro_xlsm", "macro_docm_as_docx"):
        assert any(name.endswith("vbaProject.bin") for name in parts)
    elif case.shape == "fax" or str(case.builder).startswith("tiff_"):
        _check_tiff(case, data)
    elif case.shape == "photo":
        _check_pictures(case, data)
    elif case.builder == "jpeg_bomb":
        at = data.find(b"\xff\xc0")  # the frame header: precision, height, width
        assert struct.unpack_from(">HH", data, at + 5) == (65_000, 65_000) and len(data) < 1024
    elif case.builder == "png_bomb":
        side = hostile_carriers.PNG_BOMB_SIDE
        assert struct.unpack_from(">II", data, 16) == (side, side) and len(data) < 1_000_000


def _check_pictures(case: Case, data: bytes) -> None:
    """A mail with one picture per page of the form (and a logo when the kind says so)."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    pictures = [p for p in msg.walk() if p.get_content_maintype() == "image"]
    sizes = [Image.open(io.BytesIO(p.get_payload(decode=True))).size for p in pictures]
    assert len(pictures) == (3 if "+logo" in str(case.builder) else 2)
    assert all(w * h > 3_000_000 for w, h in sizes[:2])


def _check_tiff(case: Case, data: bytes) -> None:
    """A fax is what a gateway sends (Pillow reads it: 1-bit CCITT at fax resolution); a hostile TIFF
    declares what it claims."""
    if case.builder == "tiff_many_pages":
        assert data.count(struct.pack("<HHII", 256, 4, 1, 1)) == hostile_carriers.TIFF_PAGES
    elif case.builder == "tiff_gigapixel":
        sizes = (struct.pack("<HHII", 256, 4, 1, 40_000), struct.pack("<HHII", 257, 4, 1, 25_000))
        assert all(size in data for size in sizes) and len(data) < 1024
    elif case.builder == "tiff_loop":
        assert data.startswith(b"II*\x00") and len(data) < 1024
    elif str(case.builder).startswith("pdf:"):
        with pikepdf.open(io.BytesIO(data)) as pdf:
            image = next(iter(pdf.pages[-1].Resources.XObject.values()))
            assert str(image.Filter[0]) == "/CCITTFaxDecode" and int(image.BitsPerComponent) == 1
    else:
        image = Image.open(io.BytesIO(data))
        mode = str(case.builder).split(":")[1]
        assert image.mode == "1" and image.info["compression"] in ("group3", "group4")
        assert tuple(round(d) for d in image.info["dpi"]) == (204, {"fine": 196, "standard": 98}[mode])
        assert image.n_frames == (3 if ":cover" in str(case.builder) else 2)
