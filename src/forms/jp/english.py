"""English words, from the system's word list (Debian's ``wamerican``: ~100,000 words with their plurals
and inflections, ``/usr/share/dict/american-english``).

A katakana loanword of a company's name (サンプル, フーズ) is matched against a domain's label by its
consonants and first vowel (``email_words``): that keeps what a fax takes from a voicing mark, but a vowel
lost or changed inside the label (sampl, fods, fouds) would pass as well. The label must also be an English
word: a misread that keeps the consonants is then told unless it lands on another word with the same
ones and the same first vowel. Without a word list no label is a word: a loanword is then never evidence,
and such addresses go to a clerk (logged once).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

log = logging.getLogger(__name__)

#: Where the word list is looked for, in order (Debian's wamerican; ``words`` links to the one installed).
WORD_LISTS = (Path("/usr/share/dict/american-english"), Path("/usr/share/dict/words"))


def is_word(label: str) -> bool:
    """Whether ``label`` (lower-case letters) is an English word of the list."""
    return label in _words()


@functools.cache
def _words() -> frozenset[str]:
    return load_words(WORD_LISTS)


def load_words(paths: tuple[Path, ...]) -> frozenset[str]:
    """The words of the first list of ``paths`` that can be read, lower-cased (possessives and words
    with marks left out); none when none can."""
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        return frozenset(w.lower() for w in text.split() if w.isascii() and w.isalpha())
    log.warning("no English word list at %s: loanwords of names are no evidence", paths[0] if paths else "")
    return frozenset()
