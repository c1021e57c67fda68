"""様式1 re-typed by a bank in Word (.docx) or Excel (.xlsx), made with the real libraries.

python-docx and openpyxl write the files; the ``*_libreoffice`` layouts are then opened and saved again
by LibreOffice headless (``soffice --convert-to``), whose packages differ from the libraries' (styles,
relationships, shared strings, how merged cells and content controls are written).

Layouts (the printed labels of youshiki1.json in each, values as the bank typed them):

- ``docx_table``: a two-column table (label | value); ticks ■/□; the agency as four ■/□ lines in one cell.
- ``docx_paragraphs``: one paragraph per field, ``label<tab>value``; check boxes are Word check box
  content controls (☒/☐) written before the label; two short pairs share a line.
- ``docx_wingdings``: the table, with ticks as Wingdings symbols (w:sym F0FE / F0A8).
- ``xlsx_grid``: label in A, the value in B:E merged; typed cells (令和-formatted dates, yen and counts
  as numbers, the 法人番号 as a number); ticks as ■/□ cells before the label; the agency as four cells.
- ``xlsx_two_per_row``: label, value, label, value; ticks レ after the label, some as TRUE/FALSE cells.
- ``xls_*`` / ``doc_*``: those layouts saved by LibreOffice as 97–2003 files (.xls, .doc: OLE), as
  banks still send them.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from openpyxl import Workbook
from openpyxl.styles import Alignment

from forms.normalize import parse_date, parse_yen
from forms.spec import AGENCIES, FieldSpec, load_spec

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
REIWA_FORMAT = '[$-411]ggge"年"m"月"d"日"'  # Excel's 和暦 date format (LCID 0x411, ja-JP)
YEN_FORMAT = '#,##0"円"'
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"


def _fields() -> list[FieldSpec]:
    return list(load_spec().fields.values())


def _agency(values: Mapping[str, Any]) -> list[str]:
    chosen = values.get("agency")
    return [] if chosen in (None, "") else [chosen] if isinstance(chosen, str) else list(chosen)


def _text(spec: FieldSpec, values: Mapping[str, Any]) -> str:
    v = values.get(spec.key)
    return "" if v is None or isinstance(v, bool) else str(v)


# -- Word ---------------------------------------------------------------------------------------


def _tick_cell(on: bool, style: str) -> str:
    return {"marks": "■" if on else "□"}.get(style, "")


def _wingding(paragraph: Any, on: bool) -> None:
    run = paragraph.add_run()
    sym = parse_xml(f'<w:sym {nsdecls("w")} w:font="Wingdings" w:char="{"F0FE" if on else "F0A8"}"/>')
    run._r.append(sym)


def docx_table(values: Mapping[str, Any], ticks: str = "marks") -> bytes:
    doc = Document()
    doc.add_heading("海外展開支援（案内）申込書（様式1）", level=1)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    choices = load_spec().fields["agency"].choices
    for spec in _fields():
        label_cell, value_cell = table.add_row().cells
        label_cell.text = spec.label
        if spec.key == "agency":
            ticked = _agency(values)
            value_cell.text = ""
            for n, a in enumerate(AGENCIES):
                p = value_cell.paragraphs[0] if n == 0 else value_cell.add_paragraph()
                if ticks == "wingdings":
                    _wingding(p, a in ticked)
                    p.add_run(choices[a])
                else:
                    p.add_run(("■" if a in ticked else "□") + choices[a])
        elif spec.type == "checkbox":
            if ticks == "wingdings":
                _wingding(value_cell.paragraphs[0], bool(values.get(spec.key)))
            else:
                value_cell.text = _tick_cell(bool(values.get(spec.key)), ticks)
        else:
            value_cell.text = _text(spec, values)
    return _saved(doc)


def _content_control(on: bool) -> Any:
    return parse_xml(
        f'<w:sdt {nsdecls("w")} xmlns:w14="{W14}"><w:sdtPr><w14:checkbox>'
        f'<w14:checked w14:val="{1 if on else 0}"/>'
        '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
        '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox></w:sdtPr>'
        f"<w:sdtContent><w:r><w:t>{'☒' if on else '☐'}</w:t></w:r></w:sdtContent></w:sdt>"
    )


def docx_paragraphs(values: Mapping[str, Any]) -> bytes:
    doc = Document()
    doc.add_heading("海外展開支援（案内）申込書", level=1)
    choices = load_spec().fields["agency"].choices
    pending: list[str] = []
    for spec in _fields():
        if spec.key == "agency":
            p = doc.add_paragraph(spec.label + "\t")
            for a in AGENCIES:
                p._p.append(_content_control(a in _agency(values)))
                p.add_run(choices[a] + "　")
        elif spec.type == "checkbox":
            p = doc.add_paragraph()
            p._p.append(_content_control(bool(values.get(spec.key))))
            p.add_run(" " + spec.label)
        elif spec.key in ("employees", "bank_branch", "contact_phone"):
            pending.append(f"{spec.label}\t{_text(spec, values)}")  # joins the next short pair
        else:
            text = f"{spec.label}\t{_text(spec, values)}"
            doc.add_paragraph("\t".join([*pending, text]))
            pending = []
    return _saved(doc)


def _saved(doc: Any) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- Excel --------------------------------------------------------------------------------------


def typed(spec: FieldSpec, written: str) -> tuple[Any, str | None]:
    """A value as an Excel user types it: dates, yen and counts as numbers (with a number format)."""
    if spec.type == "date" and (day := parse_date(written)) is not None:
        return dt.datetime.combine(day, dt.time()), REIWA_FORMAT
    if spec.type == "yen" and (yen := parse_yen(written)) is not None:
        return yen, YEN_FORMAT
    if spec.type == "integer" and written.removesuffix("人").isdigit():
        return int(written.removesuffix("人")), '0"人"'
    if spec.type == "corporate_number" and written.isdigit() and len(written) == 13:
        return int(written), "0"
    return written, None


def xlsx_grid(values: Mapping[str, Any]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "様式1"
    ws.column_dimensions["A"].width = 4
    ws.column_dimensions["B"].width = 38
    ws["B1"] = "海外展開支援（案内）申込書（様式1）"
    choices = load_spec().fields["agency"].choices
    for n, spec in enumerate(_fields(), start=3):
        if spec.type == "checkbox":
            ws.cell(n, 1, "■" if values.get(spec.key) else "□")
            ws.cell(n, 2, spec.label)
            continue
        ws.cell(n, 2, spec.label)
        if spec.key == "agency":
            for k, a in enumerate(AGENCIES):
                ws.cell(n, 3 + k, ("■" if a in _agency(values) else "□") + choices[a])
            continue
        ws.merge_cells(start_row=n, start_column=3, end_row=n, end_column=6)
        value, number_format = typed(spec, _text(spec, values))
        cell = ws.cell(n, 3, value)
        if number_format:
            cell.number_format = number_format
        cell.alignment = Alignment(wrap_text=spec.key in ("consultation", "reapplication_reason"))
    return _workbook(wb)


def xlsx_two_per_row(values: Mapping[str, Any]) -> bytes:
    wb = Workbook()
    ws = wb.active
    choices = load_spec().fields["agency"].choices
    row, column = 1, 1
    for spec in _fields():
        wide = spec.key in (
            "agency",
            "hq_address",
            "consultation",
            "reapplication_reason",
            "requested_services",
        )
        if wide and column != 1:
            row, column = row + 1, 1
        ws.cell(row, column, spec.label)
        if spec.key == "agency":
            text = " ".join(("レ" if a in _agency(values) else "") + choices[a] for a in AGENCIES)
            ws.cell(row, column + 1, text if _agency(values) else "")
        elif spec.type == "checkbox":
            on = bool(values.get(spec.key))
            ws.cell(row, column + 1, on if spec.key.startswith("req_") else ("レ" if on else ""))
        else:
            value, number_format = typed(spec, _text(spec, values))
            cell = ws.cell(row, column + 1, value)
            if number_format:
                cell.number_format = number_format
        row, column = (row + 1, 1) if wide or column == 3 else (row, 3)
    return _workbook(wb)


def _workbook(wb: Any) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- LibreOffice --------------------------------------------------------------------------------


def resaved_by_libreoffice(data: bytes, suffix: str) -> bytes:
    """``data`` opened and saved again by LibreOffice headless in the same format."""
    target = {".docx": "docx:MS Word 2007 XML", ".xlsx": "xlsx:Calc MS Excel 2007 XML"}[suffix]
    return converted_by_libreoffice(data, suffix, target)


def converted_by_libreoffice(data: bytes, suffix: str, target: str) -> bytes:
    """``data`` (a file ending in ``suffix``) converted by LibreOffice headless (``--convert-to target``)."""
    if SOFFICE is None:
        raise RuntimeError("LibreOffice (soffice) is needed for the *_libreoffice corpus cases")
    with tempfile.TemporaryDirectory(prefix="corpus-lo-") as tmp:
        folder = Path(tmp)
        source, out = folder / f"form{suffix}", folder / "out"
        source.write_bytes(data)
        subprocess.run(
            [SOFFICE, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
             "--convert-to", target, "--outdir", str(out), str(source)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        return (out / f"form.{target.partition(':')[0]}").read_bytes()


def as_xls(xlsx: bytes) -> bytes:
    """An .xlsx saved by LibreOffice as Excel 97–2003 (.xls, an OLE compound file)."""
    return converted_by_libreoffice(xlsx, ".xlsx", "xls:MS Excel 97")


def as_doc(docx: bytes) -> bytes:
    """A .docx saved by LibreOffice as Word 97–2003 (.doc). Through ODF: LibreOffice 7.4 saving
    python-docx's table straight to .doc writes its cells as one run of text, without the table."""
    return converted_by_libreoffice(converted_by_libreoffice(docx, ".docx", "odt"), ".odt", "doc:MS Word 97")


BUILDERS: dict[str, tuple[str, Callable[[Mapping[str, Any]], bytes]]] = {
    "docx_table": (".docx", docx_table),
    "docx_paragraphs": (".docx", docx_paragraphs),
    "docx_wingdings": (".docx", lambda v: docx_table(v, ticks="wingdings")),
    "docx_libreoffice": (".docx", lambda v: resaved_by_libreoffice(docx_table(v), ".docx")),
    "xlsx_grid": (".xlsx", xlsx_grid),
    "xlsx_two_per_row": (".xlsx", xlsx_two_per_row),
    "xlsx_libreoffice": (".xlsx", lambda v: resaved_by_libreoffice(xlsx_grid(v), ".xlsx")),
    "xls_grid": (".xls", lambda v: as_xls(xlsx_grid(v))),
    "xls_two_per_row": (".xls", lambda v: as_xls(xlsx_two_per_row(v))),
    "doc_table": (".doc", lambda v: as_doc(docx_table(v))),
    "doc_paragraphs": (".doc", lambda v: as_doc(docx_paragraphs(v))),
}


def build(layout: str, values: Mapping[str, Any]) -> tuple[bytes, str]:
    """The file of ``layout`` filled with ``values``, and its suffix."""
    suffix, make = BUILDERS[layout]
    return make(copy.deepcopy(dict(values))), suffix
