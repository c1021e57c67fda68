"""Frozen values that cross the stages of the pipeline.

mail bytes ──mime──▶ Mail ──▶ Document(s)
Document ──extract──▶ Extraction (raw values, keyed by AcroForm field name) | Problem
Extraction ──normalize──▶ Normalized (fields keyed by youshiki1.json keys) + Problems
Normalized ──validate(rulebook, ledger)──▶ Problems
all of it ──decide──▶ Decision (what `forms intake --json` prints)
Decision ──route──▶ OutgoingMessage(s) ──store (outbox)──▶ transport
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from forms.errors import Code
from forms.extract.carrier import is_document

#: A normalised field value: text, integer yen/count, ISO date, checkbox, or an agency key list.
FieldValue = str | int | bool | dt.date | None


class Shape(StrEnum):
    """How the 様式1 reached us."""

    FILLABLE = "fillable"  # AcroForm values
    PRINTED = "printed"  # flattened / printed / re-typed PDF with a text layer
    SCANNED = "scanned"  # image only, read by OCR
    FAX = "fax"  # fax pages (1-bit, fax resolution) in a TIFF or PDF, read by OCR
    PHOTO = "photo"  # a JPEG or PNG of the page (phone photo, scanner), read by OCR
    DOCX, DOC = "docx", "doc"  # re-typed in Word: .docx, or .doc (97–2003, converted by LibreOffice)
    XLSX, XLS = "xlsx", "xls"  # re-typed in Excel: .xlsx, or .xls (97–2003, converted by LibreOffice)


class Status(StrEnum):
    ROUTED = "routed"
    REJECTED = "rejected"
    NEEDS_REVIEW = "needs_review"
    DUPLICATE = "duplicate"
    AUTOMATIC = "automatic"  # a bounce, an out-of-office, list mail …: kept, never answered (RFC 3834)


@dataclass(frozen=True)
class Problem:
    """One finding about an intake: a stable code, the field it concerns, and message parameters.

    The Japanese message is rendered from the rulebook's message table when the decision is made.
    """

    code: Code
    field: str | None = None
    params: tuple[tuple[str, Any], ...] = ()

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)


def problem(code: Code, field: str | None = None, **params: Any) -> Problem:
    return Problem(code, field, tuple(sorted(params.items())))


class Evidence(StrEnum):
    """What speaks for (or against) an OCR reading of a field: stable codes, shown to the clerk in
    Japanese (the rulebook's ``certainty.evidence``). The recogniser's own score is none of them."""

    BLANK = "blank"  # no ink in the cell
    INK_CLEAR = "ink_clear"  # a checkbox's ink far from the threshold, either way
    CHOICE_EXACT = "choice_exact"  # exactly one of the field's printed choices
    CHOICE_CIRCLED = "choice_circled"  # a ring drawn round one printed choice, and round no other
    GRAMMAR = "grammar"  # the text is a value of the field's type
    CHECK_DIGIT = "check_digit"  # a 法人番号 whose check digit holds
    TWO_READINGS = "two_readings"  # a second, independent reading (other binarisation and scale) agrees
    THREE_READINGS = "three_readings"  # three readings agree on a value that is not of its type: as written
    POSTAL_ADDRESS = "postal_address"  # the postal code's area (Japan Post) is where the address says
    AREA_AND_NUMBER = "area_and_number"  # the address is the postal code's area and a block number, no more
    TOKYO_MUNICIPALITY = "tokyo_municipality"  # the address names a Tokyo municipality of the rulebook
    KNOWN_INDUSTRY = "known_industry"  # the industry ends with a head the rulebook knows
    KANA_READING = "kana_reading"  # the company name reads as its フリガナ
    NAME_IN_DOMAIN = "name_in_domain"  # the company name is spelled by its e-mail's domain (its voicing too)
    MARKS_IN_DOMAIN = "marks_in_domain"  # the marks of the name's kana words, as its domain spells them
    ADDRESS_FROM_FORM = "address_from_form"  # every word of the e-mail address is a name on the form
    NAME_IN_EMAIL = "name_in_email"  # the person's name, in roman letters, is in the e-mail address
    BANK_KIND = "bank_kind"  # 業態 agrees with the bank's name (…信用金庫) or its 全銀 code
    ZENGIN_BANK = "zengin_bank"  # the bank is in the 全銀 code list
    ZENGIN_BRANCH = "zengin_branch"  # the branch is one of that bank's in the 全銀 code list
    SENDER_ADDRESS = "sender_address"  # the bank's e-mail is the address the mail came from
    KNOWN_ADDRESS = "known_address"  # the bank's e-mail, as an earlier certain intake gave it
    KNOWN_COMPANY = "known_company"  # the name (contact e-mail) an earlier intake of the 法人番号 gave
    OTHERS_STRUCK = "others_struck"  # every other printed choice struck through, this one left standing
    AGENCY_NAME = "agency_name"  # the text is one agency's printed name, far from every other's
    AS_APPLIED = "as_applied"  # what the 様式1 said, printed on the same 様式3 (the loan's menu)
    ISSUED_MATCH = "issued_match"  # the 様式3 a reference names was issued for the company read
    STRUCK_CORRECTED = "struck_corrected"  # ink struck through (取消線) left out: what stands apart is read
    ONLY_OPEN = "only_open"  # the one 様式3 of the company and agency read that awaits an answer
    LOW_RESOLUTION = "low_resolution"  # neither for nor against: a standard fax's, whose readings lose marks
    # against
    GRAMMAR_FAILED = "grammar_failed"
    CHECK_DIGIT_FAILED = "check_digit_failed"
    READINGS_DIFFER = "readings_differ"
    POSTAL_MISMATCH = "postal_mismatch"
    BANK_KIND_MISMATCH = "bank_kind_mismatch"
    FOREIGN_CHARS = "foreign_chars"  # characters no Japanese office text uses (a Chinese form: 壳)
    INK_AMBIGUOUS = "ink_ambiguous"  # a checkbox's ink near the threshold
    UNREAD = "unread"  # ink, but nothing the engine could read
    SPACING_UNCLEAR = "spacing_unclear"  # a gap between two ASCII characters may or may not be a space
    LOOKALIKE = "lookalike"  # a character with a lookalike (エ/工) between a kana and a kanji
    OBSCURED = "obscured"  # a solid blot of ink in the cell: part of the value may be hidden
    NAME_NEAR_EMAIL = "name_near_email"  # the e-mail spells the person's name but for a letter
    ADDRESS_NEAR_FORM = "address_near_form"  # a word of the e-mail a misread from the form's spelling of it
    MARKS_UNCLEAR = "marks_unclear"  # marks on a list of choices that tell no one choice (a ring struck)
    STRUCK = "struck"  # a strike-through (取消線) with no clear correction beside it, or not clearly one


#: Evidence that speaks against a reading: any of it makes the field unsure.
DOUBTS = frozenset({Evidence.GRAMMAR_FAILED, Evidence.CHECK_DIGIT_FAILED, Evidence.READINGS_DIFFER,
    Evidence.POSTAL_MISMATCH, Evidence.BANK_KIND_MISMATCH, Evidence.FOREIGN_CHARS, Evidence.INK_AMBIGUOUS,
    Evidence.UNREAD, Evidence.SPACING_UNCLEAR, Evidence.LOOKALIKE, Evidence.OBSCURED, Evidence.STRUCK,
    Evidence.NAME_NEAR_EMAIL, Evidence.MARKS_UNCLEAR, Evidence.ADDRESS_NEAR_FORM})  # fmt: skip
#: Where a field was read: (index of the page image, x0, y0, x1, y1) as fractions of its width and height.
Region = tuple[int, float, float, float, float]


@dataclass(frozen=True)
class FieldCertainty:
    """Whether a field read by OCR is certain, and why (the evidence for and against its reading)."""

    certain: bool
    evidence: tuple[Evidence, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"certain": self.certain, "evidence": [str(e) for e in self.evidence]}


@dataclass(frozen=True)
class RawValue:
    """What a reader saw in one field, before normalisation.

    ``value`` is the text exactly as written (str) or a checkbox state (bool). ``confidence`` is 1.0 for
    AcroForm values and text layers; OCR gives the recogniser's own score (0..1), which is shown but never
    makes a field certain. OCR readings also carry ``evidence`` (what the reader itself checked),
    ``alternatives`` (other texts a second reading gave) and the ``region`` of the page read.
    """

    value: str | bool
    confidence: float = 1.0
    evidence: tuple[Evidence, ...] = ()
    alternatives: tuple[str, ...] = ()
    region: Region | None = None


@dataclass(frozen=True)
class Extraction:
    """The raw reading of one PDF recognised as a 様式1: ``values`` keyed by the AcroForm field names of
    youshiki1.pdf (youshiki1.json's keys; the agency as four checkboxes ``agency_jetro`` … ``agency_smrj``).
    A field blank on the form is absent or an empty string; an unticked checkbox is ``RawValue(False)``."""

    shape: Shape
    values: Mapping[str, RawValue]
    pages: int
    labels_found: int = 0
    notes: tuple[str, ...] = ()  # how it was read, for logs (e.g. "text layer undecodable: OCR")


#: What reading one PDF gives: the form, or why there is none (FORM_NOT_FOUND / FORM_UNREADABLE).
ExtractResult = Extraction | Problem


def extraction_to_json(e: Extraction) -> dict[str, Any]:
    """The raw reading as stored beside the intake: every value with its confidence."""
    return {
        "shape": str(e.shape),
        "pages": e.pages,
        "labels_found": e.labels_found,
        "notes": list(e.notes),
        "values": {name: _raw_to_json(raw) for name, raw in e.values.items()},
    }


def _raw_to_json(raw: RawValue) -> list[Any]:
    if not (raw.evidence or raw.alternatives or raw.region):
        return [raw.value, raw.confidence]
    more = {"evidence": [str(e) for e in raw.evidence], "alternatives": list(raw.alternatives),
            "region": list(raw.region) if raw.region else None}  # fmt: skip
    return [raw.value, raw.confidence, more]


def _raw_from_json(item: Any) -> RawValue:
    v, c, *rest = item
    value = v if isinstance(v, bool) else str(v)
    if not rest:
        return RawValue(value, float(c))
    more = rest[0]
    region = more.get("region")
    return RawValue(
        value,
        float(c),
        tuple(Evidence(e) for e in more.get("evidence", ())),
        tuple(str(a) for a in more.get("alternatives", ())),
        (int(region[0]), *(float(x) for x in region[1:5])) if region else None,  # type: ignore[arg-type]
    )


def extraction_from_json(d: Mapping[str, Any] | None) -> Extraction | None:
    """A stored reading back; None when there is none or it is not in the shape extraction_to_json gives."""
    if not d:
        return None
    try:
        values = {str(name): _raw_from_json(item) for name, item in d["values"].items()}
        notes = tuple(str(n) for n in d.get("notes", ()))
        return Extraction(Shape(d["shape"]), values, int(d["pages"]), int(d.get("labels_found", 0)), notes)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


class Base64Payload(bytes):
    """An attachment's bytes, decoded from the base64 text the sender wrote, which they remember
    (``transfer_text``): a forward may carry that text again instead of encoding the bytes anew
    (``deliver.message`` checks that it is a clean encoding first)."""

    transfer_text: str

    def __new__(cls, data: bytes, transfer_text: str) -> Base64Payload:
        payload = super().__new__(cls, data)
        payload.transfer_text = transfer_text
        return payload

    def __reduce__(self) -> tuple[type[Base64Payload], tuple[bytes, str]]:
        return Base64Payload, (bytes(self), self.transfer_text)


@dataclass(frozen=True)
class Attachment:
    """A part of a mail that may hold a document. ``filename`` is the decoded name as the sender wrote it
    (display only, never a path); ``safe_name`` is a sanitised basename usable on disk."""

    filename: str
    safe_name: str
    content_type: str
    data: bytes

    @property
    def is_pdf(self) -> bool:
        """Recognised by its bytes, whatever the declared type or disposition."""
        return b"%PDF-" in self.data[:1024]

    @property
    def is_document(self) -> bool:  # a PDF, TIFF, JPEG, PNG or Office file, by its bytes (extract.carrier)
        return is_document(self.data)


@dataclass(frozen=True)
class Mail:
    """A parsed e-mail. Text is decoded but kept as written (no NFKC: ㈱ stays ㈱)."""

    message_id: str | None
    from_addr: str | None
    from_name: str | None
    to_addrs: tuple[str, ...]
    subject: str
    date: dt.datetime | None
    received: dt.datetime | None  # from the topmost Received header, when present
    body_text: str
    attachments: tuple[Attachment, ...]
    problems: tuple[Problem, ...] = ()  # broken MIME, oversized parts ...
    #: the top-level header fields, names lower-case, values decoded (what tells automatic mail apart)
    headers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """The first value of a top-level header field, or None."""
        values = self.headers.get(name.lower())
        return values[0] if values else None


@dataclass(frozen=True)
class Normalized:
    """Fields in normal form, keyed by youshiki1.json keys (``agency`` is a key or None).

    ``agencies`` lists every ticked agency (AGENCY_MULTIPLE when more than one).
    ``raw`` keeps each value as written (before NFKC), ``low_confidence`` the fields that are not
    certain: for an OCR reading, those the evidence does not make certain (``certainty``, keyed by
    youshiki1.json key); for other readings, those with a confidence under the threshold.
    """

    fields: Mapping[str, FieldValue]
    agencies: tuple[str, ...]
    raw: Mapping[str, str | bool]
    problems: tuple[Problem, ...] = ()
    low_confidence: frozenset[str] = frozenset()
    certainty: Mapping[str, FieldCertainty] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to send, finished: the router makes it, the store records it before anything is
    sent, a transport sends ``raw`` (the complete RFC 5322 message)."""

    kind: str
    message_id: str
    recipients: tuple[str, ...]
    sender: str
    raw: bytes
    subject: str = ""


@dataclass(frozen=True)
class Outcome:
    """A decision with what the mailroom needs to act on it: the mail, the 様式1's bytes and its raw
    reading (before any correction; None when no 様式1 was read); ``channel``: fax or post, else None."""

    decision: Decision
    mail: Mail | None
    form_name: str | None
    form_bytes: bytes | None
    extraction: Extraction | None = None
    channel: str | None = None

    @property
    def pdf(self) -> tuple[str, bytes] | None:
        """The 様式1 as the forward attaches it: (file name, bytes)."""
        return (self.form_name or "youshiki1.pdf", self.form_bytes) if self.form_bytes is not None else None

    @property
    def form_sha256(self) -> str | None:
        return hashlib.sha256(self.form_bytes).hexdigest() if self.form_bytes is not None else None

    @property
    def sender(self) -> str | None:
        return self.mail.from_addr if self.mail else None


@dataclass(frozen=True)
class Reason:
    code: Code
    field: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"code": str(self.code), "field": self.field, "message": self.message}


@dataclass(frozen=True)
class Decision:
    """One decision per intake, in the shape of DOMAIN.md."""

    source: str
    status: Status
    agency: str | None
    reasons: tuple[Reason, ...]
    fields: Mapping[str, FieldValue] = field(default_factory=lambda: MappingProxyType({}))
    attachment: str | None = None
    shape: Shape | None = None
    rulebook: str | None = None
    unsure: tuple[str, ...] = ()  # fields forwarded marked 要確認 (read by OCR, not certain)
    certainty: Mapping[str, FieldCertainty] = field(default_factory=lambda: MappingProxyType({}))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "status": str(self.status),
            "agency": self.agency,
            "reasons": [r.to_json() for r in self.reasons],
            "fields": {k: _json_value(v) for k, v in self.fields.items()},
        }
        if self.attachment is not None:
            out["attachment"] = self.attachment
        if self.certainty:
            out["unsure"] = list(self.unsure)
            out["certainty"] = {k: c.to_json() for k, c in self.certainty.items()}
        return out


def _json_value(v: FieldValue) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


def decision_from_json(d: Mapping[str, Any]) -> Decision:
    """A Decision back from its JSON form (as stored); field values stay as JSON gave them."""
    reasons = tuple(
        Reason(Code(r["code"]), r.get("field"), r.get("message", "")) for r in d.get("reasons", [])
    )
    return Decision(
        source=str(d.get("source", "")),
        status=Status(d["status"]),
        agency=d.get("agency"),
        reasons=reasons,
        fields=dict(d.get("fields", {})),
        attachment=d.get("attachment"),
        unsure=tuple(d.get("unsure", ())),
        certainty={
            str(k): FieldCertainty(bool(c.get("certain")), tuple(Evidence(e) for e in c.get("evidence", ())))
            for k, c in (d.get("certainty") or {}).items()
        },
    )
