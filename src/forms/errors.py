"""Stable reason codes and the error tree.

Reason codes are identifiers that banks, clerks and scripts rely on: they are never renamed.
Their Japanese messages live in data (``forms/rules/messages.yaml``), not here.

Bad input is a value (``model.Problem``), not an exception. Exceptions are for the service's own
faults (a broken rulebook, a missing template) and are rooted at :class:`FormsError`; library
exceptions are translated at the edge that calls the library.
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
    # informational: never changes a status
    SMALL_BUSINESS = "SMALL_BUSINESS"


#: Codes that send an intake to the clerks (needs_review) rather than back to the bank.
REVIEW_CODES = frozenset(
    {Code.FORM_NOT_FOUND, Code.FORM_UNREADABLE, Code.LOW_CONFIDENCE, Code.SENDER_UNKNOWN}
)

#: Codes that are reported but never change a status.
INFO_CODES = frozenset({Code.SMALL_BUSINESS})


class FormsError(Exception):
    """Root of the service's own errors (not bad input, which is a Problem value)."""


class ConfigError(FormsError):
    """The settings file or environment is wrong."""


class RulebookError(FormsError):
    """A rulebook file is missing, malformed or inconsistent; the message names file and key."""


class TemplateError(FormsError):
    """A template is missing or broken; the message names template and line."""
