"""様式1 PDFs made by the tools banks really use: Ghostscript, cairo, LibreOffice, Chrome.

- ``ghostscript``: a filled fillable 様式1 "printed to PDF" through Ghostscript's pdfwrite (form fields
  flattened: the ticks survive only as the vector drawings of their appearance streams);
- ``cairo``: the same through poppler's cairo backend (``pdftocairo -pdf``, what GNOME's "print to
  file" does);
- ``libreoffice``: the form re-typed in Word (a .docx made with python-docx: a two-column table whose
  narrow label column wraps the long labels and the agency list) and exported by LibreOffice headless;
- ``chromium``: an HTML rendition (tables, hints under the labels, values vertically centred, real
  ``<input type=checkbox>`` boxes, wrapped notes) printed by Debian chromium headless, with Chrome's
  own page breaking (no ``break-inside: avoid``): a row at the end of a page is cut in two, its label's
  or its value's lines going on at the top of the next page.

Each runs the real program in a temporary folder (its own LibreOffice profile, so parallel builds do not
share one). The corpus caches what they make (make_corpus.py, build/manifest.json): they are slow.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from forms.spec import AGENCIES, FieldSpec, load_spec

TIMEOUT_S = 180
CHROMIUM = "/usr/bin/chromium"
#: Tick marks of the re-typed .docx: (ticked, unticked).
TICKS = {"box": ("☑", "☐"), "square": ("■", "□")}


def _run(args: list[str], cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, check=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip


def available(tool: str) -> bool:
    return shutil.which({"ghostscript": "gs", "cairo": "pdftocairo", "libreoffice": "soffice",
                         "chromium": CHROMIUM}[tool]) is not None  # fmt: skip


# -- printing a filled fillable ----------------------------------------------------------------------


def ghostscript(fillable_pdf: bytes, *, legacy: bool = False) -> bytes:
    """``gs -sDEVICE=pdfwrite`` of a filled fillable (``legacy``: the PostScript-based interpreter)."""
    with tempfile.TemporaryDirectory(prefix="corpus-gs-") as tmp:
        folder = Path(tmp)
        (folder / "in.pdf").write_bytes(fillable_pdf)
        args = ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-dPrinted",
                "-dShowAnnots", "-dPreserveAnnots=false", "-sOutputFile=out.pdf", "in.pdf"]  # fmt: skip
        if legacy:
            args.insert(1, "-dNEWPDF=false")
        _run(args, folder)
        return (folder / "out.pdf").read_bytes()


def cairo(fillable_pdf: bytes) -> bytes:
    """``pdftocairo -pdf``: the pages redrawn by cairo, form fields as drawings."""
    with tempfile.TemporaryDirectory(prefix="corpus-cairo-") as tmp:
        folder = Path(tmp)
        (folder / "in.pdf").write_bytes(fillable_pdf)
        _run(["pdftocairo", "-pdf", "in.pdf", "out.pdf"], folder)
        return (folder / "out.pdf").read_bytes()


# -- the form as rows ---------------------------------------------------------------------------------


def _agency_of(values: Mapping[str, Any]) -> set[str]:
    chosen = values.get("agency")
    if isinstance(chosen, str):
        return {chosen}
    if isinstance(chosen, list | tuple):
        return set(chosen)
    return {a for a in AGENCIES if values.get(f"agency_{a}")}


def _value_text(f: FieldSpec, values: Mapping[str, Any], ticks: tuple[str, str]) -> str:
    if f.type == "checkbox":
        return ticks[0] if values.get(f.key) else ticks[1]
    if f.key == "agency":
        chosen = _agency_of(values)
        return "\u3000".join(f"{ticks[0] if a in chosen else ticks[1]}{f.choices[a]}" for a in AGENCIES)
    return str(values.get(f.key) or "")


def _hint(f: FieldSpec) -> str:
    return (
        f"（{'／'.join(f.choices.values())} のいずれかを記入）"
        if f.type == "choice" and f.key != "agency"
        else ""
    )


SECTIONS = (("header", "申込欄"), ("company", "企業記入欄"), ("bank", "金融機関記入欄"))
NOTES = ("※ 中小企業基盤整備機構への支援申込みは、企業が同機構のWEBフォームから直接行います"
         "（金融機関経由の申込みはできません）。当社（私）は、現在及び将来にわたって暴力団員等に該当しないことを表明します。",
         "※ 本申込書の記載内容を、東京都、支援機関及び金融機関の間で共有することに同意します。")  # fmt: skip


# -- Word → LibreOffice --------------------------------------------------------------------------------


def docx_form(values: Mapping[str, Any], *, ticks: str = "box") -> bytes:
    """The 様式1 re-typed in Word: a heading, then one two-column table per section whose label column
    (32 mm) wraps the long labels onto a second line; the agency row lists the four with ☑/☐."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "IPAexGothic", Pt(9.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "IPAexGothic")
    doc.add_paragraph("（様式1）")
    doc.add_heading("海外展開支援（案内）申込書", level=1)
    form = load_spec()
    for key, title in SECTIONS:
        doc.add_paragraph(title)
        fields = [f for f in form.fields.values() if f.section == key]
        table = doc.add_table(rows=len(fields), cols=2)
        table.style, table.alignment, table.autofit = "Table Grid", WD_TABLE_ALIGNMENT.CENTER, False
        table.columns[0].width, table.columns[1].width = Mm(32), Mm(138)
        for row, f in zip(table.rows, fields, strict=True):
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a row never breaks over pages
            row.cells[0].width, row.cells[1].width = Mm(32), Mm(138)
            row.cells[0].text = f.label
            hint = _hint(f)
            if hint:
                row.cells[0].add_paragraph(hint).runs[0].font.size = Pt(6.5)
            row.cells[1].text = _value_text(f, values, TICKS[ticks])
    for note in NOTES:
        doc.add_paragraph(note).runs[0].font.size = Pt(7.5)
    with tempfile.SpooledTemporaryFile() as out:
        doc.save(out)
        out.seek(0)
        return out.read()


def libreoffice(docx: bytes) -> bytes:
    """The .docx exported to PDF by LibreOffice headless (its own profile folder)."""
    with tempfile.TemporaryDirectory(prefix="corpus-lo-") as tmp:
        folder = Path(tmp)
        (folder / "form.docx").write_bytes(docx)
        _run(["soffice", f"-env:UserInstallation=file://{folder}/profile", "--headless", "--norestore",
              "--convert-to", "pdf", "--outdir", str(folder), str(folder / "form.docx")], folder)  # fmt: skip
        return (folder / "form.pdf").read_bytes()


# -- HTML → Chrome ------------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 14mm; }
body { font-family: 'Noto Sans CJK JP', sans-serif; font-size: 9pt; }
table { border-collapse: collapse; width: 100%; margin-bottom: 4mm; }
td { border: 0.6pt solid #333; padding: 1.2mm 2mm; }
td.label { width: 38mm; background: #eee; }
small { display: block; font-size: 6.5pt; color: #444; }
.agency label { margin-right: 3mm; white-space: nowrap; }
.notes { width: 120mm; font-size: 7.5pt; }
"""


def _html_value(f: FieldSpec, values: Mapping[str, Any]) -> str:
    if f.type == "checkbox":
        return f'<input type="checkbox"{" checked" if values.get(f.key) else ""}>'
    if f.key == "agency":
        chosen = _agency_of(values)
        return "".join(f'<label><input type="checkbox"{" checked" if a in chosen else ""}>'
                       f"{html.escape(f.choices[a])}</label> " for a in AGENCIES)  # fmt: skip
    return html.escape(str(values.get(f.key) or ""))


def html_form(values: Mapping[str, Any]) -> str:
    """An HTML rendition: one table per section, choices hinted under the label, real checkboxes."""
    form = load_spec()
    parts = [f"<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'><style>{_CSS}</style></head><body>",
             "<p>（様式1）</p><h2>海外展開支援（案内）申込書</h2>"]  # fmt: skip
    for key, title in SECTIONS:
        parts.append(f"<h3>{title}</h3><table>")
        for f in (f for f in form.fields.values() if f.section == key):
            hint = f"<small>{html.escape(_hint(f))}</small>" if _hint(f) else ""
            cls = " class='agency'" if f.key == "agency" else ""
            parts.append(f"<tr><td class='label'>{html.escape(f.label)}{hint}</td>"
                         f"<td{cls}>{_html_value(f, values)}</td></tr>")  # fmt: skip
        parts.append("</table>")
    parts.extend(f"<p class='notes'>{html.escape(n)}</p>" for n in NOTES)
    parts.append("</body></html>")
    return "".join(parts)


def chromium(page: str) -> bytes:
    """``chromium --headless --print-to-pdf`` of the HTML ``page``."""
    with tempfile.TemporaryDirectory(prefix="corpus-chromium-") as tmp:
        folder = Path(tmp)
        (folder / "form.html").write_text(page, encoding="utf-8")
        _run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
              f"--user-data-dir={folder / 'profile'}", f"--print-to-pdf={folder / 'out.pdf'}",
              (folder / "form.html").as_uri()], folder)  # fmt: skip
        return (folder / "out.pdf").read_bytes()
