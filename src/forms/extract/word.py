"""A .docx 様式1 as lines of text for the label reader: paragraphs and table rows, in document order.

The main document part (WordprocessingML) is parsed with lxml directly — no entity expansion, no
network, no DTD — instead of through python-docx's whole package model: the text is all that is
needed, and that keeps a form at a fraction of a python-docx load (bench/intake.py).

- A paragraph is a line; a tab splits it into spans (``企業名（屋号）<tab>株式会社…``); a line break
  starts a new line.
- A table row is a line with one span per cell, placed at the cell's column in the table grid, so
  that ``labels.read_labels`` finds a label in one cell and its value in the next. A cell's
  paragraphs are joined (the agency's four options each on its own line, a long 相談内容).
- Ticks: text marks (■ □ レ ✓ ☑ ☒), Word's check box content controls (``w14:checkbox``, read by
  their checked state), legacy check box form fields, and Wingdings symbols (``w:sym``) become
  ■ or □ (✓ for a check mark).
- Deleted text of tracked changes, field codes and the fallback copies of text boxes are skipped;
  text boxes are read once, after the paragraph that anchors them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from lxml import etree

from forms.extract.textlayer import Line, Span

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT = (
    f"{{{W}}}{t}" for t in ("p", "tbl", "tr", "tc", "sdt", "sdtContent")
)
_CUSTOM_XML, _T, _TAB, _PTAB, _BR, _CR = (
    f"{{{W}}}{t}" for t in ("customXml", "t", "tab", "ptab", "br", "cr")
)
_SYM, _NB_HYPHEN, _TXBX, _CHECKBOX = (
    f"{{{W}}}{t}" for t in ("sym", "noBreakHyphen", "txbxContent", "checkBox")
)
_SDT_PR, _W14_CHECKBOX, _W14_CHECKED = f"{{{W}}}sdtPr", f"{{{W14}}}checkbox", f"{{{W14}}}checked"
#: Subtrees whose text is not the document's: deleted text, field codes, properties, fallback copies.
_SKIPPED = frozenset(
    {f"{{{W}}}{t}" for t in ("del", "moveFrom", "instrText", "delInstrText", "pPr", "rPr", "sdtPr")}
    | {f"{{{MC}}}Fallback"}
)
#: Wingdings / Wingdings 2 code points of boxes and check marks (w:sym w:char, upper byte F0).
_SYMBOLS = {
    "wingdings": {"FE": "■", "FD": "■", "78": "■", "A8": "□", "6F": "□", "FC": "✓", "FB": "■"},
    "wingdings 2": {"52": "■", "53": "■", "54": "■", "A3": "□", "2A": "□", "50": "✓", "51": "■"},
}
#: Synthetic geometry: lines LINE_STEP apart, tab columns COLUMN_PT apart, CHAR_PT per character
#: (narrow, so that the spans of one line never touch and their texts stay apart).
LINE_HEIGHT, LINE_STEP, COLUMN_PT, CHAR_PT = 10.0, 14.0, 100.0, 0.5
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class WordError(ValueError):
    """The main part is not WordprocessingML we can read."""


@dataclass
class _Row:
    """One line to be: its spans' texts with their x positions."""

    cells: list[tuple[float, str]] = field(default_factory=list)


def docx_lines(document_xml: bytes) -> list[Line]:
    """The lines of a WordprocessingML main part (``word/document.xml``), top to bottom."""
    try:
        root = etree.fromstring(document_xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise WordError(f"document.xml: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise WordError("document.xml declares a DOCTYPE")
    body = root.find(f"{{{W}}}body")
    if body is None:
        raise WordError("document.xml has no body")
    rows = [row for block in _blocks(body) for row in _block_rows(block)]
    return _lines(rows)


def _blocks(parent: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs and tables in document order, through content controls and custom XML."""
    for child in parent:
        if child.tag in (_P, _TBL):
            yield child
        elif child.tag in (_SDT, _CUSTOM_XML):
            content = child.find(_SDT_CONTENT) if child.tag == _SDT else child
            if content is not None:
                yield from _blocks(content)


def _block_rows(block: etree._Element) -> list[_Row]:
    if block.tag == _TBL:
        return _table_rows(block)
    lines, boxes = _paragraph_text(block)
    rows = [_Row(_tab_spans(text)) for text in lines if text.strip()]
    for box in boxes:
        rows.extend(row for inner in _blocks(box) for row in _block_rows(inner))
    return rows


def _tab_spans(text: str) -> list[tuple[float, str]]:
    return [(k * COLUMN_PT, part.strip()) for k, part in enumerate(text.split("\t")) if part.strip()]


def _table_rows(table: etree._Element) -> list[_Row]:
    grid = [
        float(c.get(f"{{{W}}}w", "0") or 0) / 20 for c in table.iterfind(f"{{{W}}}tblGrid/{{{W}}}gridCol")
    ]
    starts = [sum(grid[:k]) for k in range(len(grid) + 1)]
    rows: list[_Row] = []
    for tr in _children(table, _TR):
        row, column = _Row(), 0
        for tc in _children(tr, _TC):
            span = tc.find(f"{{{W}}}tcPr/{{{W}}}gridSpan")
            x = starts[column] if column < len(starts) and grid else column * COLUMN_PT
            text = _cell_text(tc)
            if text:
                row.cells.append((x, text))
            column += int(span.get(f"{{{W}}}val", "1")) if span is not None else 1
        if row.cells:
            rows.append(row)
    return rows


def _children(parent: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Direct children with ``tag``, also through content controls and custom XML around them."""
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag in (_SDT, _CUSTOM_XML):
            content = child.find(_SDT_CONTENT) if child.tag == _SDT else child
            if content is not None:
                yield from _children(content, tag)


def _cell_text(tc: etree._Element) -> str:
    """A table cell's text: its paragraphs (and nested tables) joined, tabs as spaces."""
    parts: list[str] = []
    for block in _blocks(tc):
        for row in _block_rows(block):
            parts.append(" ".join(text for _, text in row.cells))
    return join_lines(parts)


def join_lines(parts: Sequence[str]) -> str:
    """Lines joined: nothing between two Japanese (wide) characters, one space otherwise."""
    out = ""
    for part in (p.strip() for p in parts):
        if out and part and not (_wide(out[-1]) and _wide(part[0])):
            out += " "
        out += part
    return out


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _paragraph_text(p: etree._Element) -> tuple[list[str], list[etree._Element]]:
    """The paragraph's lines (split at line breaks) and the text boxes anchored in it."""
    lines, boxes = [""], []
    for piece in _pieces(p, boxes):
        if piece == "\n":
            lines.append("")
        else:
            lines[-1] += piece
    return lines, boxes


def _pieces(element: etree._Element, boxes: list[etree._Element]) -> Iterator[str]:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIPPED:
            continue
        if tag == _SDT and (mark := _content_control_tick(child)) is not None:
            yield mark  # the glyph the control shows (☒/☐) says the same: not read twice
        elif tag == _T:
            yield child.text or ""
        elif tag in (_TAB, _PTAB):
            yield "\t"
        elif tag in (_BR, _CR):
            yield "\n"
        elif tag == _NB_HYPHEN:
            yield "-"
        elif tag == _SYM:
            yield _symbol(child)
        elif tag == _CHECKBOX:
            yield _form_field_tick(child)
        elif tag == _TXBX:
            boxes.append(child)
        else:
            yield from _pieces(child, boxes)


def _content_control_tick(sdt: etree._Element) -> str | None:
    """The state of a check box content control (None for another kind of control)."""
    box = sdt.find(f"{_SDT_PR}/{_W14_CHECKBOX}")
    if box is None:
        return None
    checked = box.find(_W14_CHECKED)
    on = checked is not None and checked.get(f"{{{W14}}}val", "0") in ("1", "true", "on")
    return "■" if on else "□"


def _form_field_tick(box: etree._Element) -> str:
    """A legacy check box form field: w:checked (val default true), else its w:default."""
    checked = box.find(f"{{{W}}}checked")
    if checked is not None:
        return "■" if checked.get(f"{{{W}}}val", "1") in ("1", "true", "on") else "□"
    default = box.find(f"{{{W}}}default")
    return "■" if default is not None and default.get(f"{{{W}}}val", "0") in ("1", "true", "on") else "□"


def _symbol(sym: etree._Element) -> str:
    font = (sym.get(f"{{{W}}}font") or "").strip().casefold()
    code = (sym.get(f"{{{W}}}char") or "").upper()
    if code.startswith("F0") and len(code) == 4:
        code = code[2:]
    mark = _SYMBOLS.get(font, {}).get(code)
    if mark is not None:
        return mark
    try:
        return chr(int(code, 16)) if font not in _SYMBOLS else ""
    except ValueError:
        return ""


def _lines(rows: Sequence[_Row]) -> list[Line]:
    """Rows as text-layer lines on one page, top to bottom, ``LINE_STEP`` apart."""
    lines: list[Line] = []
    for n, row in enumerate(rows):
        top = -n * LINE_STEP
        spans = tuple(
            Span(text, x, x + CHAR_PT * len(text)) for x, text in sorted(row.cells, key=lambda c: c[0])
        )
        lines.append(Line(0, top, top - LINE_HEIGHT, spans))
    return lines
