"""Certainty of an OCR reading, field by field, from evidence that agrees (pure).

The reader gives each value the evidence its reading carries (``scan_text``: grammar, check digit,
printed choice, two independent readings, the ink of a box). This stage adds what the form and the
domain say — the postal code against the address (Japan Post), the company name against its
フリガナ, a person's name against their e-mail address, the bank's 業態 against its name and the 全銀
list, the bank's e-mail against the sender, a Tokyo municipality and a known industry from the
rulebook — and, where the reader kept another reading of a field, takes the one that evidence
confirms.

A field is certain when nothing speaks against it and at least one decisive piece of evidence is
there: any field's (an empty cell, a clear box, a printed choice, two readings that agree) or one
decisive for that field (a check digit for the 法人番号, the address for the postal code …). Support
that covers only part of a value (the address's town, not its 番地) is shown, not decisive.
Unknown names (a bank the list does not have) are no evidence either way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from forms import model
from forms.correspondents import BANK_EMAIL, COMPANY_NAME, CONTACT_EMAIL, Correspondents, company_of
from forms.jp import banks, kana, postal
from forms.jp.email_words import (
    domain_from_name,
    local_from_names,
    marks_in_domain,
    misread_variants,
    names_as_written,
    nearly_from_form,
)
from forms.jp.lookalikes import FAX_MISREADS, FAX_NAME_MISREADS, swapped_lookalikes, undo_misreads
from forms.normalize import parse_choice, parse_email, parse_postal_code
from forms.spec import AGENCY_FIELDS, FormSpec

if TYPE_CHECKING:  # annotations only: the rulebook's schema (pydantic) stays out of the reader processes
    from forms.rules.schema import Rulebook

E = model.Evidence
#: Evidence that makes any field certain.
DECISIVE = frozenset(
    {E.BLANK, E.INK_CLEAR, E.CHOICE_EXACT, E.CHOICE_CIRCLED, E.OTHERS_STRUCK, E.TWO_READINGS}
)
#: Evidence decisive for one field only.
DECISIVE_FOR: Mapping[str, frozenset[model.Evidence]] = {
    "corporate_number": frozenset({E.CHECK_DIGIT}),
    "hq_postal_code": frozenset({E.POSTAL_ADDRESS}),
    "hq_address": frozenset({E.AREA_AND_NUMBER}),
    "company_name": frozenset({E.KANA_READING, E.KNOWN_COMPANY}),
    "company_name_kana": frozenset({E.KANA_READING}),
    "contact_name": frozenset({E.NAME_IN_EMAIL}),
    "contact_email": frozenset({E.ADDRESS_FROM_FORM, E.KNOWN_COMPANY}),
    "bank_officer": frozenset({E.NAME_IN_EMAIL}),
    "bank_type": frozenset({E.BANK_KIND}),
    "bank_name": frozenset({E.ZENGIN_BANK}),
    "bank_branch": frozenset({E.ZENGIN_BRANCH}),
    "bank_email": frozenset({E.SENDER_ADDRESS, E.ADDRESS_FROM_FORM, E.KNOWN_ADDRESS}),
    "agency": frozenset({E.AGENCY_NAME}),  # a returned 様式3's 支援機関 row
    "menu": frozenset({E.AS_APPLIED}),  # a returned 様式3's 実行した融資のメニュー
    # (not a returned 様式3's 融資実行日 or 融資実行額 as the 様式1 planned them: the misread likeliest where
    # two readings are no evidence, a standard fax, is a date a few days off the plan read as the plan)
    "reference": frozenset({E.ISSUED_MATCH, E.ONLY_OPEN}),  # a returned 様式3's 照会番号
}
#: Doubts that decisive field evidence settles: a check the other reading failed; an address one misread
#: from the form's spelling that the sender or an earlier intake has exactly (the name was misread then).
_SETTLED_BY_FIELD_EVIDENCE = frozenset({E.READINGS_DIFFER, E.LOOKALIKE, E.ADDRESS_NEAR_FORM})
#: A block number: what an address says past its postal code's area when it names no building (9丁目8番7号,
#: 一丁目, 3-2-1, 5番地の2; NFKC, no spaces).
_BLOCK_NUMBER = re.compile(
    r"(?:(?:[0-9]+|[一二三四五六七八九十]+)丁目)?(?:[0-9]+(?:(?:番地|番|号|-|の)+[0-9]+)*(?:番地|番|号)?)?"
)
#: Doubts that three agreeing readings settle: the value is as written, a mistake of the bank's own
#: (a 12-digit 法人番号, a 13th month), to be rejected like a typed one.
_SETTLED_BY_THREE_READINGS = frozenset({E.GRAMMAR_FAILED, E.CHECK_DIGIT_FAILED})


@dataclass(frozen=True)
class Assessment:
    """The reading with, where evidence chose it, another reading of a field; and each field's
    certainty, keyed by youshiki1.json key (``agency`` for the four agency boxes)."""

    extraction: model.Extraction
    fields: Mapping[str, model.FieldCertainty]


class _Work:
    """The values being assessed: the chosen text and the evidence gathered for each field."""

    def __init__(self, values: Mapping[str, model.RawValue]) -> None:
        self.values = dict(values)
        self.evidence: dict[str, list[model.Evidence]] = {k: list(v.evidence) for k, v in values.items()}
        #: values typed, not read (a clerk's correction): certain as they are
        self.typed = {k for k, v in values.items() if not v.evidence and v.confidence >= 1.0}

    def text(self, key: str) -> str:
        raw = self.values.get(key)
        return raw.value if raw is not None and isinstance(raw.value, str) else ""

    def candidates(self, key: str) -> list[str]:
        raw = self.values.get(key)
        if raw is None or not isinstance(raw.value, str) or not raw.value.strip():
            return []
        return [raw.value, *raw.alternatives]

    def add(self, key: str, evidence: model.Evidence) -> None:
        if key in self.values and evidence not in self.evidence[key]:
            self.evidence[key].append(evidence)

    def discard(self, key: str, evidence: model.Evidence) -> None:
        """Drop a doubt that other evidence has answered."""
        if key in self.values:
            self.evidence[key] = [e for e in self.evidence[key] if e is not evidence]

    def choose(self, key: str, text: str) -> None:
        """Take ``text`` (one of the field's readings) as its value: its own reading evidence no longer
        doubts it, the other reading's grammar aside."""
        raw = self.values[key]
        if text == raw.value:
            return
        self.values[key] = replace(raw, value=text, alternatives=(str(raw.value),))
        kept = [e for e in self.evidence[key] if e not in (E.GRAMMAR_FAILED, E.FOREIGN_CHARS)]
        self.evidence[key] = kept


def is_ocr_reading(extraction: model.Extraction) -> bool:
    """Whether the values were read by OCR with evidence (older stored readings have none)."""
    return any(raw.evidence for raw in extraction.values.values())


def assess(
    extraction: model.Extraction,
    spec: FormSpec,
    rulebook: Rulebook,
    *,
    sender: str | None = None,
    known: Correspondents | None = None,
) -> Assessment | None:
    """Each field's certainty from the evidence; None for a reading that is not OCR's. ``known``: the
    values earlier intakes made known (``correspondents``)."""
    if not is_ocr_reading(extraction):
        return None
    work = _Work(extraction.values)
    _postal_and_address(work, rulebook)
    _company_name(work)
    _names_in_emails(work)
    _addresses_from_form(work, rulebook)
    _bank(work, spec)
    _sender(work, sender)
    _known(work, known)
    _rulebook_vocabulary(work, rulebook)
    fields = _certainties(work, spec, rulebook)
    chosen = replace(extraction, values=MappingProxyType(work.values))
    return Assessment(chosen, MappingProxyType(fields))


def _certainties(work: _Work, spec: FormSpec, rulebook: Rulebook) -> dict[str, model.FieldCertainty]:
    out: dict[str, model.FieldCertainty] = {}
    for key, found in work.evidence.items():
        if key in AGENCY_FIELDS:
            continue
        loose = key in spec.fields and spec.fields[key].type == "text" and not rulebook.stops_when_unsure(key)
        certain = key in work.typed or _is_certain(key, found, loose_text=loose)
        out[key] = model.FieldCertainty(certain, tuple(found))
    boxes = [e for name in AGENCY_FIELDS for e in work.evidence.get(name, ())]
    if boxes:
        agency_evidence = tuple(dict.fromkeys(boxes))
        out["agency"] = model.FieldCertainty(
            all(_is_certain(n, work.evidence[n]) for n in AGENCY_FIELDS if n in work.evidence),
            agency_evidence,
        )
    return {k: out[k] for k in sorted(out, key=_order(spec))}


def _order(spec: FormSpec) -> object:
    order = {k: i for i, k in enumerate(spec.fields)}
    return lambda k: order.get(k, len(order))


def is_certain(key: str, found: Iterable[model.Evidence], *, loose_text: bool = False) -> bool:
    """Whether a field read with the evidence ``found`` is certain (see the module and ``_is_certain``)."""
    return _is_certain(key, found, loose_text=loose_text)


def _is_certain(key: str, found: Iterable[model.Evidence], *, loose_text: bool = False) -> bool:
    """Nothing against, something decisive for. ``loose_text``: free text no rule needs certain, whose
    two readings agree on its characters but not on the spaces between words (the second reading
    places none): only evidence about this very field (a name in an e-mail …) makes it certain."""
    found = set(found)
    field_decisive = found & DECISIVE_FOR.get(key, frozenset())
    doubts = found & model.DOUBTS
    if field_decisive:
        doubts -= _SETTLED_BY_FIELD_EVIDENCE
    if E.THREE_READINGS in found:
        doubts -= _SETTLED_BY_THREE_READINGS
    decisive = (DECISIVE - {E.TWO_READINGS}) if loose_text else DECISIVE
    return not doubts and bool(found & decisive or field_decisive)


# ── the form's own cross-checks ───────────────────────────────────────────────────────────────
def _postal_and_address(work: _Work, rulebook: Rulebook) -> None:
    """The head office's postal code against its address (Japan Post): a pair of readings that agrees
    is taken (one whose address goes on with a block number first); a known code whose area the address
    is not in is a doubt on both. The address is vouched for whole (``area_and_number``) when past the
    area it says only a block number, and every reading of it has the same numbers. A reading whose area
    is the code's but for a usual fax misread of a place name's kanji (人田区 for 大田区) is read as the
    code's area."""
    codes = [c for c in work.candidates("hq_postal_code") if parse_postal_code(c)]
    prefectures = rulebook.prefectures.values
    readings = work.candidates("hq_address")
    freed = [postal.area_as_misread(c, a, FAX_MISREADS, prefectures) for c in codes for a in readings]
    addresses = list(dict.fromkeys([*readings, *(a for a in freed if a)]))
    pairs = [(c, a, postal.address_agrees(c, a, prefectures)) for c in codes for a in addresses]
    agreeing = [(c, a) for c, a, agrees in pairs if agrees]
    if not agreeing:
        if pairs and all(agrees is False for _, _, agrees in pairs):
            work.add("hq_postal_code", E.POSTAL_MISMATCH)
            work.add("hq_address", E.POSTAL_MISMATCH)
        return
    rests = {(c, a): postal.rest_of_address(c, a, prefectures) for c, a in agreeing}
    numbered = [pair for pair in agreeing if _BLOCK_NUMBER.fullmatch(rests[pair] or "")]
    code, address = (numbered or agreeing)[0]
    work.choose("hq_postal_code", code)
    work.choose("hq_address", address)
    work.add("hq_postal_code", E.POSTAL_ADDRESS)
    work.add("hq_address", E.POSTAL_ADDRESS)
    same_rest = len({rests[pair] for pair in numbered}) == 1
    if numbered and same_rest and len({_numbers(a) for a in addresses}) == 1:
        work.add("hq_address", E.AREA_AND_NUMBER)


def _numbers(address: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[0-9]+|[一二三四五六七八九十]+", unicodedata.normalize("NFKC", address)))


def _company_name(work: _Work) -> None:
    """The company name against its フリガナ; a name with an ambiguous lookalike (サンプルエ房) is also
    tried the other way (サンプル工房). Read at low resolution (a standard fax), a name is also tried
    freed of a fax's usual misreads of a name's kanji (兄本商事 for 見本商事, taken when its フリガナ reads
    ミホンショウジ), and a name written in kana that may carry voicing marks is checked against its domain
    instead (``_company_name_in_domain``)."""
    names = work.candidates("company_name")
    names = [*names, *(s for n in names for s in swapped_lookalikes(n))]
    low_resolution = E.LOW_RESOLUTION in work.evidence.get("company_name", ())
    if low_resolution:
        names += [v for n in names for v in undo_misreads(n, FAX_NAME_MISREADS)]
    if low_resolution and any(map(kana.has_voiceable_kana, names)):
        _company_name_in_domain(work, names)
        return
    for name in names:
        for reading in work.candidates("company_name_kana"):
            if kana.name_reads_as(name, reading):
                work.choose("company_name", name)
                work.choose("company_name_kana", reading)
                work.add("company_name", E.KANA_READING)
                work.add("company_name_kana", E.KANA_READING)
                return


def _company_name_in_domain(work: _Work, names: list[str]) -> None:
    """At low resolution the フリガナ repeats the name's kana, and both lose or gain a voicing mark alike
    (サンブル精機 / サンブルセイキ for サンプル): they agree only on the kana without their marks. The
    company's e-mail domain, in roman letters, keeps them (sample-seiki: p, not b or f). The name is
    taken with its marks as the domain spells it when that name, marks aside, reads as its フリガナ; the
    フリガナ is vouched for only when it has the same marks. Failing that, ``marks_in_domain``."""
    emails = [v for e in work.candidates("contact_email") for v in misread_variants(e)]
    variants = [v for n in names for v in kana.voicing_variants(n)]
    spelled = [v for v in variants if any(domain_from_name(e, v, joined=False) for e in emails)]
    evidence = E.NAME_IN_DOMAIN if spelled else E.MARKS_IN_DOMAIN
    spelled = spelled or [v for v in variants if any(marks_in_domain(e, v) for e in emails)]
    for name in dict.fromkeys(spelled):
        for reading in work.candidates("company_name_kana"):
            if not kana.name_reads_as_unvoiced(name, reading):
                continue
            work.choose("company_name", name)
            work.add("company_name", E.KANA_READING)
            work.add("company_name", evidence)
            if kana.name_reads_as(name, reading):
                work.choose("company_name_kana", reading)
                work.add("company_name_kana", E.KANA_READING)
                work.add("company_name_kana", evidence)
            return


def _names_in_emails(work: _Work) -> None:
    for name_key, email_key in (("contact_name", "contact_email"), ("bank_officer", "bank_email")):
        for name in work.candidates(name_key):
            emails = [e for e in work.candidates(email_key) if parse_email(e)]
            found = next((e for e in emails if kana.name_in_email(name, e)), None)
            if found is not None:
                work.choose(name_key, name)
                work.choose(email_key, found)
                work.add(name_key, E.NAME_IN_EMAIL)
                work.add(email_key, E.NAME_IN_EMAIL)
                break
        else:
            if any(kana.name_nearly_in_email(n, work.text(email_key)) for n in work.candidates(name_key)):
                work.add(email_key, E.NAME_NEAR_EMAIL)


def _addresses_from_form(work: _Work, rulebook: Rulebook) -> None:
    """An e-mail address spelled from the form: its local part from the person's name (or a mailbox word
    of the rulebook), its domain from words of the company's (the bank's) name (some may be left out) and
    a known ending. Every letter is then vouched for by a name read elsewhere on the form, whatever the
    resolution; so is a reading freed of a fax's usual misreads of an address (e read c, a comma for a dot:
    ``misread_variants``), and, on a standard fax, a name freed of its usual misreads of a name's kanji (兄本
    for 見本: the name is spelled by the address, the address by the name: neither a misread of the other)."""
    words = rulebook.certainty.mailbox_words if rulebook.certainty else frozenset()
    for email_key, person_key, org_key in (
        ("contact_email", "contact_name", "company_name"),
        ("bank_email", "bank_officer", "bank_name"),
    ):
        persons, orgs = work.candidates(person_key), work.candidates(org_key)
        if E.LOW_RESOLUTION in work.evidence.get(person_key, ()):
            persons += [v for p in persons for v in undo_misreads(p, FAX_NAME_MISREADS)]
        if E.LOW_RESOLUTION in work.evidence.get(org_key, ()):
            orgs += names_as_written(orgs, FAX_NAME_MISREADS)
        variants = [v for e in work.candidates(email_key) for v in misread_variants(e)]
        joined = E.LOW_RESOLUTION not in work.evidence.get(email_key, ())  # a fax loses dashes (mihonshoji)
        for email in dict.fromkeys(variants):
            if not parse_email(email) or not local_from_names(email, persons, words):
                continue
            if any(domain_from_name(email, org, joined=joined, some_words=True) for org in orgs):
                work.choose(email_key, email)
                work.add(email_key, E.ADDRESS_FROM_FORM)
                work.discard(email_key, E.NAME_NEAR_EMAIL)  # a reading of the name spells it: that is right
                break
        else:
            if work.text(email_key) and nearly_from_form(work.text(email_key), persons, orgs, words):
                work.add(email_key, E.ADDRESS_NEAR_FORM)


def _bank(work: _Work, spec: FormSpec) -> None:
    """業態 against the bank's name (…信用金庫) and the 全銀 list; the branch against the bank's."""
    choices = spec.fields["bank_type"].choices if "bank_type" in spec.fields else {}
    names = work.candidates("bank_name")
    listed = next(((n, b) for n in names if (b := banks.find_bank(n)) is not None), None)
    if listed is not None:
        work.choose("bank_name", listed[0])
        work.add("bank_name", E.ZENGIN_BANK)
        branch = next((b for b in work.candidates("bank_branch") if banks.has_branch(listed[1], b)), None)
        if branch is not None:
            work.choose("bank_branch", branch)
            work.add("bank_branch", E.ZENGIN_BRANCH)
    said = banks.kind_of_code(listed[1].code) if listed else banks.kind_of_name(work.text("bank_name"))
    written = parse_choice(work.text("bank_type"), choices) if work.text("bank_type") else None
    if said is None or written is None:
        return
    if said == written:
        work.add("bank_type", E.BANK_KIND)
        work.add("bank_name", E.BANK_KIND)
    else:
        work.add("bank_type", E.BANK_KIND_MISMATCH)


def _sender(work: _Work, sender: str | None) -> None:
    """The bank's e-mail is the address the mail came from (a fax gateway's address never is)."""
    if not sender:
        return
    for address in work.candidates("bank_email"):
        parsed = parse_email(address)
        if parsed is not None and parsed.lower() == sender.strip().lower():
            work.choose("bank_email", address)
            work.add("bank_email", E.SENDER_ADDRESS)
            return


def _known(work: _Work, known: Correspondents | None) -> None:
    """A value exactly as an earlier certain intake gave it (``correspondents``): the bank's address; under
    a 法人番号 that is itself certain, the company's name and its contact's address."""
    if known is None:
        return
    looked_up = [(BANK_EMAIL, "", E.KNOWN_ADDRESS)]
    number_certain = "corporate_number" in work.typed or _is_certain(
        "corporate_number", work.evidence.get("corporate_number", ())
    )
    company = company_of(work.text("corporate_number")) if number_certain else None
    if company is not None:
        looked_up += [(COMPANY_NAME, company, E.KNOWN_COMPANY), (CONTACT_EMAIL, company, E.KNOWN_COMPANY)]
    for key, owner, evidence in looked_up:
        value = next((v for v in work.candidates(key) if known.is_known(key, owner, v)), None)
        if value is not None:
            work.choose(key, value)
            work.add(key, evidence)


def _rulebook_vocabulary(work: _Work, rulebook: Rulebook) -> None:
    for key in ("hq_address", "tokyo_office_address"):
        if work.text(key).strip() and rulebook.is_tokyo_address(work.text(key)):
            work.add(key, E.TOKYO_MUNICIPALITY)
    details = work.candidates("industry_detail")
    industries = {rulebook.industry_of(d) for d in details}
    if details and None not in industries and len(industries) == 1:  # every reading, the same industry
        work.add("industry_detail", E.KNOWN_INDUSTRY)
