"""Stable reason codes and the error tree.

Reason codes are identifiers that banks, clerks and scripts rely on: they are never renamed.
Their Japanese messages live in data (``forms/rules/messages.yaml``), not here.

Bad input is a value (``model.Problem``), not an exception. Exceptions are for the service's own
faults (a broken rulebook, a missing template, a database that fails) and for actions refused as
asked (a clerk's, an operator's); they are rooted at :class:`FormsError`, and this module holds the
whole tree. Library exceptions are translated into it at the edge that calls the library.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """Every reason an intake can carry (DOMAIN.md, "Decisions")."""

    FORM_NOT_FOUND = "FORM_NOT_FOUND"
    FORM_UNREADABLE = "FORM_UNREADABLE"
    LOW_CONFIDENCE = "LOW_CONFIDENCE"
    SENDER_UNKNOWN = "SENDER_UNKNOWN"
    AGENCY_MISSING = "AGENCY_MISSING"
    AGENCY_MULTIPLE = "AGENCY_MULTIPLE"
    SMRJ_DIRECT_ONLY = "SMRJ_DIRECT_ONLY"
    FIELD_MISSING = "FIELD_MISSING"
    FIELD_INVALID = "FIELD_INVALID"
    CORPORATE_NUMBER_INVALID = "CORPORATE_NUMBER_INVALID"
    SCB_REQUIRES_SHINKIN = "SCB_REQUIRES_SHINKIN"
    SCB_NOT_CUSTOMER = "SCB_NOT_CUSTOMER"
    LOAN_STATUS_INELIGIBLE = "LOAN_STATUS_INELIGIBLE"
    BASIC_REQUIREMENT_UNCONFIRMED = "BASIC_REQUIREMENT_UNCONFIRMED"
    DECLARATION_MISSING = "DECLARATION_MISSING"
    NOT_IN_TOKYO = "NOT_IN_TOKYO"
    EXCLUDED_INDUSTRY = "EXCLUDED_INDUSTRY"
    NOT_SME = "NOT_SME"
    LOAN_AMOUNT_OVER_LIMIT = "LOAN_AMOUNT_OVER_LIMIT"
    BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"
    REAPPLICATION_INVALID = "REAPPLICATION_INVALID"
    TOO_MANY_ATTACHMENTS = "TOO_MANY_ATTACHMENTS"  # the 様式1 is not among the attachments read
    # informational: never changes a status
    SMALL_BUSINESS = "SMALL_BUSINESS"
    # automatic mail (status 'automatic': kept, never answered, never a 様式1)
    AUTOMATIC_MAIL = "AUTOMATIC_MAIL"
    BOUNCE_RECORDED = "BOUNCE_RECORDED"
    REPORT_UNMATCHED = "REPORT_UNMATCHED"


#: Codes that send an intake to the clerks (needs_review) rather than back to the bank.
REVIEW_CODES = frozenset(
    {
        Code.FORM_NOT_FOUND,
        Code.FORM_UNREADABLE,
        Code.LOW_CONFIDENCE,
        Code.SENDER_UNKNOWN,
        Code.TOO_MANY_ATTACHMENTS,
    }
)

#: Codes that are reported but never change a status.
INFO_CODES = frozenset({Code.SMALL_BUSINESS})


class FormsError(Exception):
    """Root of the service's own errors (not bad input, which is a Problem value)."""


# -- configuration and data the service is given ---------------------------------------------------


class ConfigError(FormsError):
    """The settings file or environment is wrong."""


class RulebookError(FormsError):
    """A rulebook file is missing, malformed or inconsistent; the message names file and key."""


class TemplateError(FormsError):
    """A template is missing or broken; the message names template and line."""


class UsageError(FormsError):
    """A command-line option the operator must correct (the message is Japanese and names it)."""


# -- identifiers (python-stdnum's shape: validate() raises, is_valid() answers) --------------------


class InvalidCorporateNumber(FormsError, ValueError):
    """The text is not a valid 法人番号."""


class InvalidFormat(InvalidCorporateNumber):
    """Something other than digits (after separators are dropped)."""


class InvalidLength(InvalidCorporateNumber):
    """Digits, but not 13 of them."""


class InvalidChecksum(InvalidCorporateNumber):
    """13 digits whose first digit is not the check digit of the other twelve."""


# -- the edges --------------------------------------------------------------------------------------


class SpoolError(FormsError):
    """The spool could not store or read a message (disk full, permissions, a broken folder)."""


class ImapError(FormsError):
    """The IMAP server could not be reached or refused a command; the poll is retried later."""


class OcrError(FormsError):
    """The OCR engine failed on an image (a model or runtime error, not an unreadable form)."""


class StoreError(FormsError):
    """The database failed, or a record is not in a state that allows what was asked."""


class StaleClaim(StoreError):
    """The worker no longer holds the claim (its lease expired and another worker took the item)."""


class DeliveryError(FormsError):
    """A message could not be handed over.

    ``permanent`` is True when retrying cannot help (a 5xx answer, a refused address); False for
    4xx answers, lost connections and time-outs, which the outbox retries later. ``unconfirmed`` is
    True when the whole message, final dot included, was handed over and no answer came (a time-out
    or a lost connection after the final dot, RFC 5321 §4.5.3.2.6): it may have been delivered, and
    is retried with the same Message-ID.
    """

    def __init__(
        self, message: str, *, permanent: bool, code: int | None = None, unconfirmed: bool = False
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        self.unconfirmed = unconfirmed


# -- the clerks' and operators' actions (messages in Japanese) ------------------------------------


class ReviewError(FormsError):
    """A clerk's action cannot be done as asked (the message says why, in Japanese)."""


class DocumentError(FormsError):
    """A 様式2 or 様式3 cannot be issued or mailed as asked (the message says why, in Japanese)."""


class AlreadyIssued(DocumentError):
    """A batch found its document issued meanwhile (another batch ran at the same time): not again."""


class AccountError(FormsError):
    """An account cannot be added or changed as asked (the message says why, in Japanese)."""
