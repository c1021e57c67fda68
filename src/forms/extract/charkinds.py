"""What a text layer's chars are: visible, undecodable or Japanese, counted a page at a time (pure).

A text layer whose share of undecodable chars (U+FFFD, controls, private use, unassigned) is too high
is garbage (fonts without a ToUnicode map, mis-mapped CMaps): ``forms.extract.textlayer`` tells it
by these counts.
"""

from __future__ import annotations

import enum
import unicodedata

_BAD_CATEGORIES = frozenset({"Cc", "Co", "Cn", "Cs"})


def char_stats(text: str) -> tuple[int, int, int]:
    """Visible, undecodable and Japanese chars: the text translated to one letter per char's kind,
    the letters counted (PDFium's generated ``\\r\\n`` line breaks are not chars of the page)."""
    kinds, breaks = text.translate(_KINDS), text.count("\r\n")
    visible = len(kinds) - kinds.count(_Kind.SPACE.value) - 2 * breaks
    return visible, kinds.count(_Kind.BAD.value) - 2 * breaks, kinds.count(_Kind.JAPANESE.value)


class _Kind(enum.Enum):
    SPACE, BAD, JAPANESE, OTHER = "sbjo"


def _kind(ch: str) -> _Kind:
    """What one char counts as."""
    if ch.isspace() and ch not in "\r\n\x0b\x0c\x1c\x1d\x1e\x1f\x85":
        return _Kind.SPACE
    if ch == "\ufffd" or unicodedata.category(ch) in _BAD_CATEGORIES:
        return _Kind.BAD
    return _Kind.JAPANESE if _is_japanese(ch) else _Kind.OTHER


class _KindTable(dict[int, str]):
    """str.translate's table: a code point to its kind's letter, filled as chars come (emptied past MAX)."""

    MAX = 1 << 16

    def __missing__(self, code: int) -> str:
        if len(self) >= self.MAX:
            self.clear()
        letter = self[code] = _kind(chr(code)).value
        return letter


_KINDS = _KindTable()


def _is_japanese(ch: str) -> bool:
    code = ord(ch)
    return 0x3040 <= code <= 0x30FF or 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF
