"""The shape of a rulebook file (R8.yaml …) as frozen pydantic models, and how its data is read.

A rulebook holds the values of one fiscal year; every value group carries ``source`` (where the
value comes from: the manual's section). ``messages`` is not in the year file: the loader adds
the shared ``messages.yaml`` table (a year file may override single messages).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import string
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from forms.errors import Code
from forms.model import Evidence

#: Names of the agency-scoped rules (keys of ``scope.values``).
RuleName = Literal[
    "scb_requires_shinkin",
    "scb_customer",
    "loan_scheme",
    "basic_requirements",
    "in_tokyo",
    "guarantee_industry",
    "sme",
    "small_business",
    "shared_cap",
]

_PARENTHESISED = re.compile(r"[(（][^()（）]*[)）]")
_POSTAL_PREFIX = re.compile(r"^(〒|郵便番号)?\s*\d{3}-?\d{4}")
_TRAILING = " \t\u3000、。,.・等"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


#: Where a value group comes from (the manual's section); never empty.
Source = Annotated[str, StringConstraints(min_length=1)]


class Agency(_Frozen):
    name: str
    short_name: str
    email: str | None
    fax: str | None
    post: str | None
    takes_bank_applications: bool
    counts_toward_cap: bool
    guidance_url: str | None = None


class AgencyTable(_Frozen):
    source: Source
    values: dict[str, Agency] = Field(min_length=1)


class ScopeValues(_Frozen):
    scb_requires_shinkin: tuple[str, ...]
    scb_customer: tuple[str, ...]
    loan_scheme: tuple[str, ...]
    basic_requirements: tuple[str, ...]
    in_tokyo: tuple[str, ...]
    guarantee_industry: tuple[str, ...]
    sme: tuple[str, ...]
    small_business: tuple[str, ...]
    shared_cap: tuple[str, ...]


class Scope(_Frozen):
    source: Source
    values: ScopeValues


class LoanScheme(_Frozen):
    source: Source
    eligible_statuses: tuple[str, ...] = Field(min_length=1)


class SmeLimit(_Frozen):
    capital_yen: int = Field(gt=0)
    employees: int = Field(gt=0)


class SmeLimits(_Frozen):
    source: Source
    values: dict[str, SmeLimit] = Field(min_length=1)
    exempt_entity_types: tuple[str, ...] = ()


class SmallBusinessLimits(_Frozen):
    source: Source
    values: dict[str, int] = Field(min_length=1)


class LoanLimits(_Frozen):
    source: Source
    default_yen: int = Field(gt=0)
    by_entity_type: dict[str, int] = {}


class SharedCap(_Frozen):
    source: Source
    cap_per_frame_yen: int = Field(gt=0)
    excludes_consumption_tax: bool


class ContactSla(_Frozen):
    source: Source
    business_days: int = Field(gt=0)
    agencies: tuple[str, ...]
    closed_days: tuple[str, ...] = ()  # "MM-DD", besides Saturdays, Sundays and national holidays


class Youshiki3Due(_Frozen):
    source: Source
    months_after_issue: int = Field(ge=0)
    day: Literal["last"] | int


class Industry(_Frozen):
    name: str
    excluded: bool
    source: Source
    heads: tuple[str, ...] = Field(min_length=1)


class Industries(_Frozen):
    source: Source
    values: dict[str, Industry] = Field(min_length=1)


class Municipality(_Frozen):
    name: str
    kind: Literal["ward", "city", "town", "village"]
    district: str | None = None  # 郡, e.g. 西多摩郡
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class Tokyo(_Frozen):
    source: Source
    prefecture: str
    municipalities: tuple[Municipality, ...]


class Prefectures(_Frozen):
    source: Source
    values: tuple[str, ...]


#: What a returned 様式3 read from paper answers (``extract.youshiki3_scan``).
YOUSHIKI3_ANSWERS = frozenset({
    "loan_status", "disbursed_on", "amount_yen", "menu", "expansion_status", "comments", "agency",
    "reference", "company_name", "corporate_number",
})  # fmt: skip


class Certainty(_Frozen):
    """Scans: the fields an intake stops on when they are not certain (→ why), and the clerk's words
    for each piece of evidence. Fields not listed are forwarded marked 要確認 when unsure."""

    source: Source
    stop: dict[str, str]
    evidence: dict[Evidence, str]
    #: A returned 様式3 read from paper: the answers it stops on when unsure (→ why); the rest recorded
    #: marked 要確認 (a loan's menu left out of the ledger).
    youshiki3_stop: dict[str, str] = {}
    #: A stop field a rule judges by part of its value only: unsure, it does not stop the intake when
    #: this evidence vouches for that part, and is forwarded marked 要確認.
    forward_when: dict[str, Evidence] = {}
    #: Stop fields only a routed intake needs (what goes to the agency or the company, never into the
    #: reply to the bank): unsure but read as a value of their type, they do not hold up an intake
    #: the rules reject anyway — recorded marked 要確認.
    routed_only: frozenset[str] = frozenset()
    #: Words a mailbox's name is made of besides a person's (kaigai@…): an e-mail address spelled from
    #: the form may use them (certainty.ADDRESS_FROM_FORM).
    mailbox_words: frozenset[str] = frozenset()

    @model_validator(mode="after")
    def _every_evidence_has_words(self) -> Certainty:
        missing = set(Evidence) - set(self.evidence)
        if missing:
            raise ValueError(f"certainty.evidence has no words for {sorted(missing)}")
        unknown = set(self.youshiki3_stop) - YOUSHIKI3_ANSWERS
        if unknown:
            raise ValueError(f"certainty.youshiki3_stop names no answer of 様式3: {sorted(unknown)}")
        if strays := set(self.forward_when) - set(self.stop):
            raise ValueError(f"certainty.forward_when names no stop field: {sorted(strays)}")
        if strays := set(self.routed_only) - set(self.stop):
            raise ValueError(f"certainty.routed_only names no stop field: {sorted(strays)}")
        return self


class Rulebook(_Frozen):
    """The rules of one fiscal year."""

    id: str = Field(pattern=r"^R\d+$")
    fiscal_year: int
    effective_from: dt.date
    title: str
    source: Source
    agencies: AgencyTable
    scope: Scope
    loan_scheme: LoanScheme
    sme_limits: SmeLimits
    small_business_limits: SmallBusinessLimits
    loan_limits: LoanLimits
    shared_cap: SharedCap
    contact_sla: ContactSla
    youshiki3_due: Youshiki3Due
    industries: Industries
    tokyo: Tokyo
    prefectures: Prefectures
    certainty: Certainty | None = None  # None: every field an intake needs stops it when unsure
    messages: dict[Code, str]

    # -- look-ups -------------------------------------------------------------------------------

    def stops_when_unsure(self, key: str, evidence: Iterable[Evidence] = ()) -> bool:
        """Whether an intake waits for a clerk when ``key`` (a youshiki1.json key), read with ``evidence``,
        is not certain."""
        if self.certainty is None:
            return True
        return key in self.certainty.stop and self.certainty.forward_when.get(key) not in set(evidence)

    def routed_only(self, key: str) -> bool:
        """Whether ``key`` is needed certain only when the intake is routed (not in a rejection)."""
        return self.certainty is not None and key in self.certainty.routed_only

    def youshiki3_stops(self) -> frozenset[str]:
        """The answers of a returned 様式3 read from paper that wait for a clerk when not certain (every
        one when the rulebook says nothing)."""
        if self.certainty is None or not self.certainty.youshiki3_stop:
            return YOUSHIKI3_ANSWERS
        return frozenset(self.certainty.youshiki3_stop)

    def evidence_words(self, evidence: Evidence) -> str:
        """What the clerk is shown for one piece of evidence."""
        return self.certainty.evidence.get(evidence, str(evidence)) if self.certainty else str(evidence)

    def agency(self, key: str) -> Agency | None:
        return self.agencies.values.get(key)

    def agency_name(self, key: str) -> str:
        a = self.agency(key)
        return a.short_name if a else key

    def short_names(self) -> dict[str, str]:
        """Agency key → its short name (what tables print, what spreadsheets and forms may write)."""
        return {key: a.short_name for key, a in self.agencies.values.items()}

    def printed_names(self) -> dict[str, tuple[str, ...]]:
        """Agency key → every name a document may print it as (full and short)."""
        return {key: (a.name, a.short_name) for key, a in self.agencies.values.items()}

    def applies(self, rule: RuleName, agency: str | None) -> bool:
        """Whether the agency-scoped ``rule`` applies to a form for ``agency``."""
        return agency is not None and agency in getattr(self.scope.values, rule)

    @property
    def capped_agencies(self) -> frozenset[str]:
        """Agencies whose support counts toward the shared cap."""
        return frozenset(k for k, a in self.agencies.values.items() if a.counts_toward_cap)

    def sme_limit(self, industry_category: str | None) -> SmeLimit | None:
        return self.sme_limits.values.get(industry_category or "")

    def small_business_limit(self, industry_category: str | None) -> int | None:
        return self.small_business_limits.values.get(industry_category or "")

    def loan_limit(self, entity_type: str | None) -> int:
        return self.loan_limits.by_entity_type.get(entity_type or "", self.loan_limits.default_yen)

    # -- judgments on text ----------------------------------------------------------------------

    def industry_of(self, detail: str) -> Industry | None:
        """What the business IS: the industry of the longest head the text ends with.

        Parenthesised remarks are dropped first, so ``精密金属部品製造業（切削加工）`` is judged
        by ``製造業``; ``農業用機械器具製造業`` is manufacturing, ``酪農業`` agriculture.
        """
        text = industry_text(detail)
        best: tuple[int, Industry] | None = None
        for industry in self.industries.values.values():
            for head in industry.heads:
                h = _nfkc(head)
                if text.endswith(h) and (best is None or len(h) > best[0]):
                    best = (len(h), industry)
        return best[1] if best else None

    def is_tokyo_address(self, address: str) -> bool:
        """東京都…, or one of Tokyo's municipalities (optionally after its 郡) first; another
        prefecture first is not Tokyo, and neither is 大阪市北区 (a ward of another city)."""
        a = address_text(address)
        if a.startswith(self.tokyo.prefecture):
            return True
        if any(a.startswith(p) for p in self.prefectures.values):
            return False
        for m in self.tokyo.municipalities:
            for name in m.names:
                if a.startswith(name) or (m.district is not None and a.startswith(m.district + name)):
                    return True
        return False

    # -- messages -------------------------------------------------------------------------------

    def message(self, code: Code, **params: Any) -> str:
        """The Japanese message of ``code``; a missing parameter leaves its placeholder as written."""
        template = self.messages.get(code)
        if template is None:
            return str(code)
        return _MessageFormatter().vformat(template, (), params)


@functools.lru_cache(maxsize=1024)
def _nfkc(text: str) -> str:
    """NFKC of a rulebook's text (its industries' heads, looked at for every form: computed once)."""
    return unicodedata.normalize("NFKC", text)


def industry_text(detail: str) -> str:
    """The industry text as judged: NFKC, parenthesised remarks and trailing 等/punctuation dropped."""
    text = unicodedata.normalize("NFKC", detail)
    previous = None
    while previous != text:
        previous, text = text, _PARENTHESISED.sub("", text)
    return text.strip().rstrip(_TRAILING)


def address_text(address: str) -> str:
    """The address as judged: NFKC, without spaces and without a leading postal code."""
    a = unicodedata.normalize("NFKC", address).strip()
    a = _POSTAL_PREFIX.sub("", a)
    return re.sub(r"\s+", "", a)


class _Missing:
    """Stands for a parameter the caller did not give: renders as its own placeholder."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __format__(self, spec: str) -> str:
        return "{" + self.name + "}"


class _MessageFormatter(string.Formatter):
    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str):
            return kwargs.get(key, _Missing(key))
        return _Missing(str(key))

    def format_field(self, value: Any, format_spec: str) -> str:
        try:
            return format(value, format_spec)
        except (TypeError, ValueError):
            return str(value)


def placeholders(template: str) -> list[str]:
    """The field names a message template uses (raises ValueError on a malformed template)."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
