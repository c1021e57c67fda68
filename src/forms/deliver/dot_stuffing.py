"""aiosmtplib's two per-message substitutions done with ``bytes.replace`` instead of regexes.

Before DATA, aiosmtplib turns every line end into CRLF and doubles a dot at the start of a line,
with two ``re.sub`` calls over the whole message (and the first once more for SIZE). On a 250 KB
forward with its PDF that is ~5 ms of CPU, most of what sending costs. :func:`install` replaces
the two compiled patterns in ``aiosmtplib.protocol`` (which the library looks up at each call)
with objects whose ``sub`` gives the same bytes by C-level replaces; the equivalence is tested
against the original patterns on arbitrary bytes. Any other replacement is handed to the original.
"""

from __future__ import annotations

import re

import aiosmtplib.protocol

_CRLF = b"\r\n"


class _LineEndings:
    """``(?:\\r\\n|\\n|\\r(?!\\n))`` → CRLF: every line end becomes CRLF."""

    def __init__(self, original: re.Pattern[bytes]) -> None:
        self.original = original
        self.pattern = original.pattern
        self._clean: bytes | None = None  # the last message found CRLF throughout

    def sub(self, repl: bytes, message: bytes) -> bytes:
        if repl != _CRLF:
            return self.original.sub(repl, message)
        if message is self._clean:  # aiosmtplib asks twice per message (for SIZE, then for DATA)
            return message
        crlf = message.count(_CRLF)
        if message.count(b"\r") == crlf and message.count(b"\n") == crlf:
            self._clean = message
            return message  # already CRLF throughout: the common case, no copy
        return message.replace(_CRLF, b"\n").replace(b"\r", b"\n").replace(b"\n", _CRLF)


class _LeadingDots:
    """``(?m)^\\.`` → ``..``: a dot that starts a line is doubled (RFC 5321 §4.5.2)."""

    def __init__(self, original: re.Pattern[bytes]) -> None:
        self.original = original
        self.pattern = original.pattern

    def sub(self, repl: bytes, message: bytes) -> bytes:
        if repl != b"..":
            return self.original.sub(repl, message)
        out = message.replace(b"\n.", b"\n..")
        return b"." + out if out.startswith(b".") else out


def install() -> bool:
    """Put the replace-based substitutions in place (once); False when aiosmtplib has changed shape."""
    proto = aiosmtplib.protocol
    line_endings = getattr(proto, "LINE_ENDINGS_REGEX", None)
    leading_dots = getattr(proto, "PERIOD_REGEX", None)
    if isinstance(line_endings, _LineEndings) and isinstance(leading_dots, _LeadingDots):
        return True
    if not (
        isinstance(line_endings, re.Pattern)
        and line_endings.pattern == rb"(?:\r\n|\n|\r(?!\n))"
        and isinstance(leading_dots, re.Pattern)
        and leading_dots.pattern == rb"(?m)^\."
    ):
        return False
    proto.LINE_ENDINGS_REGEX = _LineEndings(line_endings)  # type: ignore[assignment]
    proto.PERIOD_REGEX = _LeadingDots(leading_dots)  # type: ignore[assignment]
    return True
