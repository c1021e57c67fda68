"""Build the .docx templates of 様式2 and 様式3 (youshiki2.docx, youshiki3.docx) with python-docx.

    .venv/bin/python templates/documents/make_docx_templates.py [OUT_DIR]

The templates are docxtpl templates: Jinja tags written in the text of paragraphs and cells
(``{{ company.name }}``, ``{%tr for row in rows %}`` in a table row of its own, ``{%p if … %}`` in a
paragraph of its own). Operators may edit the .docx in Word instead; this script is how the shipped
ones are made, so they can be made again. Variables: README.md beside this file.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell

HERE = Path(__file__).resolve().parent
FONT = "IPAexGothic"
#: 様式3's answer boxes: one choice per line, so a bank ticks, circles, strikes or deletes one line and
#: the returned form reads back unambiguously (forms.extract.youshiki3).
CHOICE_LINES = "{{%p for s in {choices} %}}\n□ {{{{ s }}}}\n{{%p endfor %}}"
ANSWER_NOTE = "該当する□を■にするか、レ点を付けてください（○で囲む、他の選択肢の削除・取消線でも可）。"


def new_document(title: str) -> DocxDocument:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(16)
    section.top_margin, section.bottom_margin = Mm(15), Mm(13)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(9.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(2)
    props = doc.core_properties
    props.title, props.author, props.comments = title, "forms", ""
    props.created = props.modified = dt.datetime(2026, 4, 1)
    props.revision = 1
    return doc


def para(
    doc: DocxDocument, text: str, *, align: str = "left", size: float | None = None, bold: bool = False
) -> None:
    p = doc.add_paragraph()
    p.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
    }[align]
    run = p.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)


def cell_text(cell: _Cell, value: str) -> None:
    """The cell's text; a value holding ``{%p`` tags is one paragraph per line (docxtpl needs the
    tags in paragraphs of their own), any other value one paragraph (a newline is a line break)."""
    if "{%p" not in value:
        cell.text = value
        return
    first, *rest = value.split("\n")
    cell.text = first
    for line in rest:
        cell.add_paragraph(line)


def table(doc: DocxDocument, rows: Sequence[Sequence[str]], widths_mm: Sequence[float]) -> None:
    """A bordered table, one string per cell; a row of one string spans the whole width."""
    t = doc.add_table(rows=0, cols=len(widths_mm))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for values in rows:
        cells = t.add_row().cells
        if len(values) == 1:
            merged = cells[0].merge(cells[-1])
            merged.text = values[0]
            continue
        for cell, value, width in zip(cells, values, widths_mm, strict=True):
            cell_text(cell, value)
            cell.width = Mm(width)
    doc.add_paragraph()


def youshiki2() -> DocxDocument:
    doc = new_document("様式2 支援内容報告書")
    para(doc, "（{{ document }}）")
    para(doc, "{{ issued_on|wareki }}", align="right")
    para(doc, "{%p if reference %}")
    para(doc, "照会番号：{{ reference }}", align="right")
    para(doc, "{%p endif %}")
    para(doc, "{{ title }}", align="center", size=15, bold=True)
    para(doc, "{{ company.name }}　御中", size=11)
    para(doc, "{%p if copy_to_bank %}")
    para(doc, "（写）{{ bank.name }}　{{ bank.branch }}　御中", size=11)
    para(doc, "{%p endif %}")
    para(doc, "{{ issuer.name }}", align="right")
    para(doc, "貴社に対する支援の内容を下記のとおり報告します。")
    table(
        doc,
        [
            ("企業名", "{{ company.name }}"),
            ("法人番号", "{{ company.corporate_number }}"),
            (
                "所在地",
                "{% if company.postal_code %}〒{{ company.postal_code }}　{% endif %}{{ company.address }}",
            ),
            ("紹介金融機関・支店", "{% if bank %}{{ bank.name }}　{{ bank.branch }}{% endif %}"),
            ("支援期間", "{{ period_from|wareki }} ～ {{ period_to|wareki }}"),
        ],
        (50, 128),
    )
    youshiki2_supports(doc)
    return doc


def youshiki2_supports(doc: DocxDocument) -> None:
    """様式2's table of supports, its totals against the cap, and the navigator in charge."""
    table(
        doc,
        [
            ("No.", "支援日", "支援内容", "概要", "経費（税抜）"),
            ("{%tr for row in rows %}",),
            (
                "{{ row.number }}",
                "{{ row.date|wareki }}",
                "{{ row.service }}",
                "{{ row.summary }}",
                "{{ row.cost_excl_tax|yen }}",
            ),
            ("{%tr endfor %}",),
            ("{%tr if not rows %}",),
            ("この期間の支援はありません。",),
            ("{%tr endif %}",),
        ],
        (11, 34, 44, 57, 32),
    )
    table(
        doc,
        [
            ("今回報告分の経費合計（税抜）", "{{ total|yen }}"),
            ("累計支援額（ジェトロ・信金中央金庫の合計、税抜）", "{{ cumulative|yen }}"),
            ("支援上限額（{{ frames }}枠 × {{ cap_per_frame|yen }}、税抜）", "{{ cap|yen }}"),
            ("利用可能残額", "{{ remaining|yen }}"),
        ],
        (110, 68),
    )
    para(doc, "{%p if over_cap %}")
    para(doc, "※ 累計支援額が支援上限額を{{ over_cap|yen }}超えています。利用可能残額は0円です。", bold=True)
    para(doc, "{%p endif %}")
    para(
        doc,
        "※ 経費はすべて消費税相当分を除いた額です。"
        "支援上限額はジェトロと信金中央金庫の支援の合計に対するものです。",
        size=8.5,
    )
    table(
        doc,
        [
            ("担当ナビゲーター", "{{ navigator }}"),
            (
                "連絡先",
                "{{ issuer.name }}　{{ issuer.post }}　E-mail: {{ issuer.email }}"
                "{% if issuer.fax %}　FAX: {{ issuer.fax }}{% endif %}",
            ),
        ],
        (50, 128),
    )


def youshiki3() -> DocxDocument:
    doc = new_document("様式3 融資及び海外展開の状況報告")
    para(doc, "（{{ document }}）")
    para(doc, "{{ issued_on|wareki }}", align="right")
    para(doc, "{%p if reference %}")
    para(doc, "照会番号：{{ reference }}", align="right")
    para(doc, "{%p endif %}")
    para(doc, "{{ bank.name }}　{{ bank.branch }}", size=11)
    para(doc, "{{ bank.officer }}　様", size=11)
    para(doc, "{{ issuer.name }}", align="right")
    para(doc, "{{ title }}", align="center", size=14, bold=True)
    para(
        doc,
        "東京都「金融機関と連携した海外展開支援」をご紹介いただいた下記企業について、"
        "融資及び海外展開の状況をご記入のうえ、回答期日までにご返送ください。",
    )
    para(doc, "回答期日：{{ due_on|wareki }}", size=11, bold=True)
    para(doc, "1. 企業", bold=True)
    table(
        doc,
        [
            ("企業名", "{{ company.name }}"),
            ("法人番号", "{{ company.corporate_number }}"),
            ("代表者", "{{ company.representative }}"),
            (
                "所在地",
                "{% if company.postal_code %}〒{{ company.postal_code }}　{% endif %}{{ company.address }}",
            ),
        ],
        (50, 128),
    )
    para(
        doc,
        "2. 申込書（様式1）記載の融資{% if applied_on %}（申込日 {{ applied_on|wareki }}）{% endif %}",
        bold=True,
    )
    table(
        doc,
        [
            ("制度融資の利用状況", "{{ loan_status }}"),
            ("制度融資メニュー", "{{ loan_menu }}"),
            ("融資額（予定額）", "{{ loan_amount|yen }}"),
            ("融資実行日（予定日）", "{{ loan_date|wareki }}"),
        ],
        (50, 128),
    )
    youshiki3_answers(doc)
    return doc


def youshiki3_answers(doc: DocxDocument) -> None:
    """様式3's blanks for the bank (loan and expansion status) and where to return it."""
    para(doc, "3. 融資の状況（金融機関記入欄）", bold=True)
    para(doc, ANSWER_NOTE, size=8.5)
    table(
        doc,
        [
            ("融資の状況", CHOICE_LINES.format(choices="loan_statuses")),
            ("融資実行日", "令和　　年　　月　　日"),
            ("融資実行額", "　　　　　　　　　　　　円"),
            ("実行した融資のメニュー", ""),
        ],
        (50, 128),
    )
    para(doc, "4. 海外展開の状況（金融機関記入欄）", bold=True)
    table(
        doc,
        [
            ("海外展開の状況", CHOICE_LINES.format(choices="expansion_statuses")),
            ("コメント", "\n\n\n\n"),
        ],
        (50, 128),
    )
    para(doc, "返送先", bold=True)
    table(
        doc,
        [
            ("支援機関", "{{ issuer.name }}"),
            ("住所", "{{ issuer.post }}"),
            (
                "FAX・E-mail",
                "{% if issuer.fax %}FAX: {{ issuer.fax }}　{% endif %}"
                "{% if issuer.email %}E-mail: {{ issuer.email }}{% endif %}",
            ),
        ],
        (50, 128),
    )
    para(doc, "{%p if enclosures %}")
    para(doc, "同封書類：{{ enclosures|join('、') }}", size=8.5)
    para(doc, "{%p endif %}")


def main(argv: Sequence[str]) -> int:
    out = Path(argv[0]) if argv else HERE
    out.mkdir(parents=True, exist_ok=True)
    for name, build in (("youshiki2.docx", youshiki2), ("youshiki3.docx", youshiki3)):
        build().save(str(out / name))
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
