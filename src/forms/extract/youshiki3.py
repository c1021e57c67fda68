"""Reading a RETURNED 様式3: the .docx this service issued, filled in by a bank in Word (or saved by it as
a 97–2003 .doc, converted by LibreOffice: ``extract.legacy``), or a PDF of it.

    .docx bytes ──python-docx──┐
                               ├─▶ rows (label → value lines, each character with its strike) ─▶
    PDF bytes ──pdfplumber─────┘        ReturnedYoushiki3 | (Problem, …)

Pure: bytes in, a value out; nothing raises on bad input. The answer cells of the template hold one
choice per line (``□ 実行済`` …, see templates/documents/make_docx_templates.py), and banks answer in
every way people do: the box turned into ■ / ☑ / ✓ / レ, a ○ or parentheses around the choice, the
other choices struck through or deleted. A choice counts as chosen when it alone is marked, or when it
alone is left standing (the others struck or deleted). Dates (令和8年7月1日, R8.7.1, 2026/7/1) and
amounts (5,000万円, 50,000,000円) go through ``forms.normalize``.

Problems: FORM_UNREADABLE (a broken .docx/PDF), FORM_NOT_FOUND (not a 様式3), FIELD_MISSING /
FIELD_INVALID naming the answer's field and its printed ``label`` (実行済 needs a date and an amount).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from forms import model
from forms.certainty import is_certain
from forms.errors import Code
from forms.extract.carrier import Carrier, sniff
from forms.extract.reference import find_youshiki3_reference
from forms.extract.youshiki3_layout import Layout, Line, docx_layout, label_form, pdf_layout
from forms.normalize import nfkc_text, parse_date, parse_yen

if TYPE_CHECKING:  # the OCR engine (OpenCV, onnxruntime) and LibreOffice are the reader processes' own
    from forms.extract.ocr_engine import OcrEngine
    from forms.extract.soffice import Converter

__all__ = ["EXPANSION_STATUSES", "LABELS", "LOAN_STATUSES", "Line", "ReturnedYoushiki3", "read_returned"]
TITLE = "融資及び海外展開の状況報告"
#: The bank's answers: key → printed choice label.
LOAN_STATUSES: Mapping[str, str] = {
    "disbursed": "実行済",
    "not_disbursed": "未実行",
    "declined": "謝絶・取下げ",
}
EXPANSION_STATUSES: Mapping[str, str] = {
    "considering": "検討中",
    "planned": "計画策定済",
    "expanded": "進出済",
    "abandoned": "断念",
}
#: Field of the answer → the label printed in its row.
LABELS: Mapping[str, str] = {
    "company_name": "企業名",
    "corporate_number": "法人番号",
    "loan_status": "融資の状況",
    "disbursed_on": "融資実行日",
    "amount_yen": "融資実行額",
    "menu": "実行した融資のメニュー",
    "expansion_status": "海外展開の状況",
    "comments": "コメント",
    "agency": "支援機関",
}
MAX_BYTES = 20 * 1024 * 1024
_TICKS = frozenset("■☑☒✓✔✅●◉レ○◯〇")
_SPACE = re.compile(r"\s+")
_DIGIT = re.compile(r"[0-9]")


@dataclass(frozen=True)
class ReturnedYoushiki3:
    """What a bank answered on a returned 様式3 (amounts integer yen)."""

    company_name: str
    corporate_number: str
    agency: str
    loan_status: str  # a key of LOAN_STATUSES
    disbursed_on: dt.date | None
    amount_yen: int | None
    menu: str
    expansion_status: str | None  # a key of EXPANSION_STATUSES; None when the bank left it blank
    comments: str
    reference: str = ""  # the reference number the issued 様式3 printed (R8-Y3-000007), if still there
    #: Read from paper (a scan, a fax): each field's certainty and why; empty when typed (.docx, a PDF's text)
    certainty: Mapping[str, model.FieldCertainty] = field(default_factory=dict)

    @property
    def unsure(self) -> tuple[str, ...]:
        """The fields read from paper that are not certain."""
        return tuple(k for k, c in self.certainty.items() if not c.certain)


#: What reading gives: the answers, or every problem a clerk must look at (never empty).
ReadResult = ReturnedYoushiki3 | tuple[model.Problem, ...]


# ── choices ───────────────────────────────────────────────────────────────────────────────────


def _is_ticked(before: str, after: str) -> bool:
    """A mark before the label (■ ✓ レ ○ …; the last mark wins over a □ left in front of it), a mark
    right after it, or parentheses around it."""
    before, after = before.strip(), after.strip()
    if before.endswith("(") and after.startswith(")"):
        return True
    if before and before[-1] in _TICKS:
        return True
    return bool(after) and after[0] in _TICKS


def _choice_states(lines: Sequence[Line], choices: Mapping[str, str]) -> dict[str, str]:
    """Each choice found in the cell → 'ticked', 'plain' or 'struck' (absent choices are left out)."""
    states: dict[str, str] = {}
    for line in lines:
        found = sorted(
            (line.text.find(label), key, label)
            for key, label in choices.items()
            if label in line.text and key not in states
        )
        for i, (start, key, label) in enumerate(found):
            end = start + len(label)
            previous_end = found[i - 1][0] + len(found[i - 1][2]) if i else 0
            after = line.text[end:] if i == len(found) - 1 else ""  # else: the next choice's mark
            struck = sum(line.struck[start:end]) * 2 > len(label)
            ticked = _is_ticked(line.text[previous_end:start], after)
            states[key] = "struck" if struck else "ticked" if ticked else "plain"
    return states


def read_choice(lines: Sequence[Line], choices: Mapping[str, str], field: str) -> str | model.Problem | None:
    """The one chosen key, None when nothing is chosen, FIELD_INVALID when several are."""
    states = _choice_states(lines, choices)
    ticked = [k for k, s in states.items() if s == "ticked"]
    if len(ticked) > 1:
        return model.problem(Code.FIELD_INVALID, field, label=LABELS[field], detail="several choices")
    if ticked:
        return ticked[0]
    standing = [k for k, s in states.items() if s == "plain"]
    if len(standing) == 1 and len(standing) < len(choices):
        return standing[0]  # the others struck through or deleted
    return None


def _cell_text(lines: Sequence[Line]) -> str:
    return "\n".join(line.text.strip() for line in lines if line.text.strip())


def _read_date(text: str) -> dt.date | model.Problem | None:
    """The 融資実行日; None when left as printed (令和　年　月　日)."""
    if not _DIGIT.search(text):
        return None
    day = parse_date(text)
    if day is None:
        return model.problem(Code.FIELD_INVALID, "disbursed_on", label=LABELS["disbursed_on"], value=text)
    return day


def _read_amount(text: str) -> int | model.Problem | None:
    if not _DIGIT.search(text):
        return None
    amount = parse_yen(text)
    if amount is None or amount <= 0:
        return model.problem(Code.FIELD_INVALID, "amount_yen", label=LABELS["amount_yen"], value=text)
    return amount


def _agency_of(text: str, agencies: Mapping[str, Sequence[str]]) -> str | None:
    form = label_form(text)
    found = {key for key, names in agencies.items() for n in map(label_form, names) if n and n in form}
    return found.pop() if len(found) == 1 else None


def _missing(field: str) -> model.Problem:
    return model.problem(Code.FIELD_MISSING, field, label=LABELS[field])


def answers(layout: Layout, agencies: Mapping[str, Sequence[str]]) -> ReadResult:
    """The answers of a 様式3 laid out as rows; ``agencies``: agency key → names it is printed as."""
    if label_form(TITLE) not in label_form(layout.text) or LABELS["loan_status"] not in layout.rows:
        return (model.problem(Code.FORM_NOT_FOUND, None, form="youshiki3"),)

    def cell(field: str) -> str:
        return _cell_text(layout.rows.get(LABELS[field], ()))

    problems: list[model.Problem] = []
    company, number = nfkc_text(cell("company_name")), _SPACE.sub("", cell("corporate_number"))
    if not company:
        problems.append(_missing("company_name"))
    agency = _agency_of(cell("agency"), agencies)
    if agency is None:
        problems.append(_missing("agency"))
    status = read_choice(layout.rows[LABELS["loan_status"]], LOAN_STATUSES, "loan_status")
    expansion = read_choice(
        layout.rows.get(LABELS["expansion_status"], ()), EXPANSION_STATUSES, "expansion_status"
    )
    day, amount = _read_date(cell("disbursed_on")), _read_amount(cell("amount_yen"))
    for value in (status, expansion, day, amount):
        if isinstance(value, model.Problem):
            problems.append(value)
    if status is None:
        problems.append(_missing("loan_status"))
    if status == "disbursed":
        problems += [_missing(f) for f, v in (("disbursed_on", day), ("amount_yen", amount)) if v is None]
    if problems:
        return tuple(problems)
    assert isinstance(status, str) and agency is not None
    return ReturnedYoushiki3(
        company_name=company,
        corporate_number=number,
        agency=agency,
        loan_status=status,
        disbursed_on=day if isinstance(day, dt.date) else None,
        amount_yen=amount if isinstance(amount, int) else None,
        menu=nfkc_text(cell("menu")),
        expansion_status=expansion if isinstance(expansion, str) else None,
        comments=cell("comments"),
        reference=find_youshiki3_reference(layout.text) or "",
    )


def unsure_stops(answer: ReturnedYoushiki3, stop: Collection[str]) -> tuple[model.Problem, ...]:
    """LOW_CONFIDENCE for each unsure field of ``answer`` that stops it (``stop``: the rulebook's
    ``certainty.youshiki3_stop``), and for what finds its 様式3 when unsure: the reference number it
    prints, else its 法人番号, else (a 個人事業者) its company name."""
    unsure = set(answer.unsure)
    if not unsure:
        return ()
    if answer.reference:
        identity = "reference"
    else:
        identity = "corporate_number" if answer.corporate_number else "company_name"
    held = [k for k in answer.certainty if k in unsure and (k in stop or k == identity)]
    return tuple(
        model.problem(Code.LOW_CONFIDENCE, k, label=LABELS.get(k, "照会番号"), detail="unsure") for k in held
    )


def confirmed_reference(
    answer: ReturnedYoushiki3, issued_number: str | None, issued_name: str
) -> ReturnedYoushiki3:
    """``answer`` with its reference number certain when it was read unsure but the 様式3 it names was
    issued for the company the answer names with certainty: the same 法人番号, or (a 個人事業者) the
    same name. A misread number that happens to name another 様式3 names another company."""
    reference = answer.certainty.get("reference")
    if reference is None or reference.certain or not answer.reference:
        return answer
    if answer.corporate_number:
        same = _sure(answer, "corporate_number") and answer.corporate_number == (issued_number or "")
    else:
        same = (
            not issued_number
            and _sure(answer, "company_name")
            and label_form(answer.company_name) == label_form(issued_name)
        )
    if not same:
        return answer
    return _named(answer, answer.reference, (*reference.evidence, model.Evidence.ISSUED_MATCH))


def only_open_reference(answer: ReturnedYoushiki3, reference: str) -> ReturnedYoushiki3:
    """``answer`` naming ``reference`` with certainty — the one 様式3 awaiting an answer of the company
    and agency it names with certainty (by 法人番号) — when its own number was read unsure or not read
    (a number that names another 様式3 is no such case: ``confirmed_reference``)."""
    found = answer.certainty.get("reference")
    if found is None or found.certain or not answer.corporate_number:
        return answer
    if not (_sure(answer, "corporate_number") and _sure(answer, "agency")):
        return answer
    return _named(answer, reference, (model.Evidence.ONLY_OPEN,))  # the number it prints, not one read


def _sure(answer: ReturnedYoushiki3, key: str) -> bool:
    found = answer.certainty.get(key)
    return found is not None and found.certain


def _named(
    answer: ReturnedYoushiki3, reference: str, evidence: tuple[model.Evidence, ...]
) -> ReturnedYoushiki3:
    sure = model.FieldCertainty(is_certain("reference", evidence), evidence)
    return dataclasses.replace(answer, reference=reference, certainty={**answer.certainty, "reference": sure})


def is_docx(data: bytes) -> bool:  # a ZIP, unless its directory names a workbook (an .xlsx 様式1)
    return data[:4] == b"PK\x03\x04" and b"xl/workbook.xml" not in data


def is_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def is_word97(data: bytes) -> bool:  # an OLE file whose directory names a WordDocument stream (a .doc)
    return sniff(data) is Carrier.OLE and "WordDocument".encode("utf-16-le") in data


def read_returned(
    data: bytes,
    *,
    agencies: Mapping[str, Sequence[str]],
    inflate_budget: int | None = None,
    ocr: OcrEngine | None = None,
    converter: Converter | None = None,
) -> ReadResult:
    """The answers of a returned 様式3, or why a clerk must look at it: a .docx (or a .doc, converted by
    ``converter``: ``extract.legacy``), a PDF with its text, or paper (a PDF of page images, a fax's
    TIFF, pictures) read by ``ocr`` (``youshiki3_pages``).

    ``agencies``: each agency key → the names the 様式3 may print it as (the rulebook's name and
    short name); the 返送先 row says which agency issued the form. ``inflate_budget``: what a PDF's
    streams may inflate to (``streams.check``; None: its default). The mailroom calls this only in a
    reader process (``extract.sandbox``), never in a decider.
    """
    if len(data) > MAX_BYTES:
        return (model.problem(Code.FORM_UNREADABLE, None, detail="too_large"),)
    if is_docx(data):
        layout = docx_layout(data)
    elif is_word97(data):
        converted = _from_word97(data, converter)
        if isinstance(converted, model.Problem):
            return (converted,)
        layout = docx_layout(converted)
    elif is_pdf(data):
        layout = pdf_layout(data, inflate_budget=inflate_budget)
        if isinstance(layout, Layout) and not layout.text.strip():
            return _read_paper(data, agencies, inflate_budget, ocr)
    elif is_paper(data):
        return _read_paper(data, agencies, inflate_budget, ocr)
    else:
        return (model.problem(Code.FORM_NOT_FOUND, None, form="youshiki3"),)
    if isinstance(layout, model.Problem):
        return (layout,)
    if layout is None:
        return (model.problem(Code.FORM_UNREADABLE, None),)
    return answers(layout, agencies)


def _from_word97(data: bytes, converter: Converter | None) -> bytes | model.Problem:
    """A .doc as the .docx LibreOffice makes of it, once ``legacy`` has looked into it (encrypted,
    macros, damage: refused)."""
    from forms.extract import legacy  # olefile and LibreOffice's caller load when a .doc comes

    kind = legacy.inspect(data)
    if isinstance(kind, model.Problem):
        return kind
    if kind is not legacy.Kind.DOC:
        return model.problem(Code.FORM_NOT_FOUND, None, form="youshiki3")
    if converter is None or not converter.available():
        return legacy.unreadable(legacy.LEGACY_OFFICE)
    return converter.convert(data, ".doc", "docx:MS Word 2007 XML")


def is_paper(data: bytes) -> bool:
    """Pictures of pages: a TIFF, a JPEG, a PNG, or the pictures of one mail together."""
    return sniff(data) in (Carrier.TIFF, Carrier.JPEG, Carrier.PNG, Carrier.PAGES)


def _read_paper(
    data: bytes, agencies: Mapping[str, Sequence[str]], inflate_budget: int | None, ocr: OcrEngine | None
) -> ReadResult:
    # the readers of paper (OpenCV, Pillow, the blank's rendering, OCR) are loaded when paper comes
    from forms.extract.youshiki3_pages import read_paper

    return read_paper(data, agencies=agencies, inflate_budget=inflate_budget, ocr=ocr)
