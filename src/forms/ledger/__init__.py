"""The support ledger: what jetro and scb spend on a company against the shared cap, loans, frames.

``company`` holds the pure ledger of one company (the values and the cap arithmetic);
``spreadsheet`` reads the agencies' CSV and .xlsx files of support records.
"""

from forms.ledger.company import (
    DEFAULT_CAPPED_AGENCIES,
    CompanyKey,
    CompanyLedger,
    FrameGrant,
    LedgerView,
    LoanRecord,
    MemoryLedger,
    SupportRecord,
    frame_for,
    postal_key,
)

__all__ = [
    "DEFAULT_CAPPED_AGENCIES",
    "CompanyKey",
    "CompanyLedger",
    "FrameGrant",
    "LedgerView",
    "LoanRecord",
    "MemoryLedger",
    "SupportRecord",
    "frame_for",
    "postal_key",
]
