"""The reference numbers the service prints on the documents it issues and quotes in their mails.

A 様式3 prints ``R8-Y3-000007`` (the rulebook's id, Y3, six digits); the bank's answer keeps it in the
subject (``Re: …``) and in the returned document, and the returned 様式3 is matched by it.
"""

from __future__ import annotations

import re
import unicodedata

YOUSHIKI3_REFERENCE = re.compile(r"(?<![0-9A-Za-z])(R\d{1,3}-Y3-\d{6})(?![0-9])")


def find_youshiki3_reference(*texts: str | None) -> str | None:
    """The first 様式3 reference number in ``texts`` (full-width letters and digits read as such)."""
    for text in texts:
        found = YOUSHIKI3_REFERENCE.search(unicodedata.normalize("NFKC", text or ""))
        if found:
            return found.group(1)
    return None


def parse_reference(text: str) -> str | None:
    """``text`` when it is exactly one 様式3 reference number (spaces aside), as printed; else None."""
    compact = "".join(unicodedata.normalize("NFKC", text).split())
    found = YOUSHIKI3_REFERENCE.fullmatch(compact)
    return found.group(1) if found else None
