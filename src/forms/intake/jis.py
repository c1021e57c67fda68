"""Decoding Japanese mail text: ISO-2022-JP the way Windows mailers write it, Shift_JIS, EUC-JP.

Japanese banks' mailers encode ISO-2022-JP as Microsoft's CP50220 does: JIS X 0208 plus the NEC
row-13 specials (① ㈱ № ℡ …) and the NEC-selected IBM extensions (rows 89–92), which no stdlib
codec decodes when labelled ``iso-2022-jp``. We read the escape sequences ourselves, map every
two-byte JIS pair to its Shift_JIS pair and decode that with ``cp932`` (the superset Windows uses).
Text is returned as written: no Unicode normalisation (㈱ stays ㈱).

Nothing here raises on bad input: undecodable bytes become U+FFFD.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from enum import Enum, auto

ESC = 0x1B
SO = 0x0E  # shift out: half-width katakana (CP50221 style)
SI = 0x0F  # shift in: back to the set in use before SO
REPLACEMENT = "\ufffd"


class _Set(Enum):
    """The graphic character set the ISO-2022-JP stream is in."""

    ASCII = auto()
    ROMAN = auto()  # JIS X 0201 Roman: ASCII with ¥ and ‾
    KATAKANA = auto()  # JIS X 0201 katakana (half-width)
    JIS0208 = auto()  # JIS X 0208 + NEC/IBM extensions, via cp932
    JIS0212 = auto()  # JIS X 0212 supplementary kanji, via euc_jp
    JIS0213_1 = auto()  # JIS X 0213 plane 1, via euc_jis_2004
    JIS0213_2 = auto()  # JIS X 0213 plane 2, via euc_jis_2004
    UNKNOWN_DOUBLE = auto()  # a two-byte set we do not read (Chinese, Korean): U+FFFD per pair


#: Escape sequences (the bytes after ESC) and the set each one designates.
_ESCAPES: dict[bytes, _Set] = {
    b"(B": _Set.ASCII,
    b"(J": _Set.ROMAN,
    b"(H": _Set.ROMAN,
    b"(I": _Set.KATAKANA,
    b"$@": _Set.JIS0208,
    b"$B": _Set.JIS0208,
    b"$(B": _Set.JIS0208,
    b"$(@": _Set.JIS0208,
    b"$(D": _Set.JIS0212,
    b"$(O": _Set.JIS0213_1,
    b"$(Q": _Set.JIS0213_1,
    b"$(P": _Set.JIS0213_2,
    b"$A": _Set.UNKNOWN_DOUBLE,
    b"$(C": _Set.UNKNOWN_DOUBLE,
    b"$(G": _Set.UNKNOWN_DOUBLE,
    b"$(H": _Set.UNKNOWN_DOUBLE,
}
#: ESC & @ announces JIS X 0208-1990 and is always followed by ESC $ B: it is skipped.
_ANNOUNCER = b"&@"
_LONGEST_ESCAPE = max(len(k) for k in _ESCAPES)
_PAIR_RUN = re.compile(rb"[\x21-\x7e]+")
#: Bytes that read the same in ASCII and JIS X 0201 Roman runs (all 7-bit ones but ESC, SO and SI).
_TEXT_RUN = re.compile(rb"[\x00-\x0d\x10-\x1a\x1c-\x7f]+")
#: Controls and spaces: the same in every set, also inside two-byte and katakana runs.
_CONTROL_RUN = re.compile(rb"[\x00-\x0d\x10-\x1a\x1c-\x20]+")
_ROMAN = str.maketrans({"\\": "¥", "~": "‾"})
_DOUBLE_SETS = frozenset({_Set.JIS0208, _Set.JIS0212, _Set.JIS0213_1, _Set.JIS0213_2, _Set.UNKNOWN_DOUBLE})


def jis_to_sjis(j1: int, j2: int) -> bytes:
    """The Shift_JIS pair of the JIS X 0208 pair (j1, j2), both in 0x21..0x7E."""
    s1 = ((j1 - 0x21) >> 1) + 0x81
    if s1 > 0x9F:
        s1 += 0x40
    if j1 & 1:
        s2 = j2 + 0x1F
        if s2 >= 0x7F:
            s2 += 1
    else:
        s2 = j2 + 0x7E
    return bytes((s1, s2))


def _decode_one(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return REPLACEMENT


def _pair_text(charset: _Set, j1: int, j2: int) -> str:
    """One two-byte character of ``charset``; U+FFFD when it is not a character."""
    if not (0x21 <= j1 <= 0x7E and 0x21 <= j2 <= 0x7E):
        return REPLACEMENT
    if charset is _Set.JIS0208:
        return _decode_one(jis_to_sjis(j1, j2), "cp932")
    if charset is _Set.JIS0212:
        return _decode_one(bytes((0x8F, j1 | 0x80, j2 | 0x80)), "euc_jp")
    if charset is _Set.JIS0213_1:
        # Plane 1 is a superset of JIS X 0208; prefer the cp932 reading where it has one.
        text = _decode_one(jis_to_sjis(j1, j2), "cp932")
        return text if text != REPLACEMENT else _decode_one(bytes((j1 | 0x80, j2 | 0x80)), "euc_jis_2004")
    if charset is _Set.JIS0213_2:
        return _decode_one(bytes((0x8F, j1 | 0x80, j2 | 0x80)), "euc_jis_2004")
    return REPLACEMENT


def _single_text(charset: _Set, byte: int) -> str:
    """One byte outside a two-byte set (controls and spaces pass through in every set)."""
    if byte < 0x21 or byte == 0x7F:
        return chr(byte)
    if 0xA1 <= byte <= 0xDF:  # 8-bit half-width katakana (JIS8), tolerated
        return chr(0xFF61 + byte - 0xA1)
    if byte >= 0x80:
        return REPLACEMENT
    if charset is _Set.KATAKANA:
        return chr(0xFF61 + byte - 0x21) if byte <= 0x5F else REPLACEMENT
    return chr(byte)


def _escape_at(data: bytes, i: int) -> tuple[_Set | None, int]:
    """The set designated by the escape sequence at ``data[i]`` and its length (None: not known)."""
    for length in range(2, _LONGEST_ESCAPE + 1):
        found = _ESCAPES.get(data[i + 1 : i + 1 + length])
        if found is not None:
            return found, 1 + length
    if data[i + 1 : i + 3] == _ANNOUNCER:
        return None, 3
    return None, 1


def _pairs_text(charset: _Set, run: bytes) -> str:
    """A run of two-byte characters; a trailing half pair is U+FFFD."""
    whole = run[: len(run) & ~1]
    tail = REPLACEMENT if len(run) & 1 else ""
    if charset is _Set.JIS0208:  # fast path: the whole run at once, pair by pair only when broken
        sjis = b"".join(jis_to_sjis(whole[k], whole[k + 1]) for k in range(0, len(whole), 2))
        try:
            return sjis.decode("cp932") + tail
        except UnicodeDecodeError:
            pass
    pairs = (_pair_text(charset, whole[k], whole[k + 1]) for k in range(0, len(whole), 2))
    return "".join(pairs) + tail


def _run_at(data: bytes, i: int, charset: _Set) -> tuple[str, int]:
    """The text of the run of characters at ``data[i]`` (no escape, SO or SI) and its length in bytes."""
    run = _PAIR_RUN.match(data, i) if charset in _DOUBLE_SETS else None
    if run is not None:
        return _pairs_text(charset, run.group()), run.end() - i
    plain = (_TEXT_RUN if charset in (_Set.ASCII, _Set.ROMAN) else _CONTROL_RUN).match(data, i)
    if plain is not None:
        text = plain.group().decode("ascii")
        return (text.translate(_ROMAN) if charset is _Set.ROMAN else text), plain.end() - i
    return _single_text(charset, data[i]), 1


def decode_iso2022jp(data: bytes) -> str:
    """ISO-2022-JP decoded CP50220-style: JIS X 0208 *and* the NEC row-13 extension (① ㈱ № ℡ ...),
    the NEC-selected and IBM extensions, half-width katakana (ESC ( I and SO/SI), JIS X 0201 Roman.
    Strategy: convert each two-byte JIS pair to Shift_JIS and decode with cp932. Never raises;
    undecodable bytes become U+FFFD."""
    out: list[str] = []
    charset, before_so = _Set.ASCII, _Set.ASCII
    i, n = 0, len(data)
    while i < n:
        byte = data[i]
        if byte == ESC:
            found, length = _escape_at(data, i)
            if found is not None:
                charset = found
            elif length == 1:
                out.append(REPLACEMENT)
            i += length
        elif byte == SO:
            before_so, charset, i = charset, _Set.KATAKANA, i + 1
        elif byte == SI:
            charset, i = (before_so if charset is _Set.KATAKANA else charset), i + 1
        else:
            text, length = _run_at(data, i, charset)
            out.append(text)
            i += length
    return "".join(out)


def decode_cp51932(data: bytes) -> str:
    """EUC-JP as Windows writes it (CP51932): JIS X 0208 with the NEC and IBM extensions,
    ``0x8E`` half-width katakana, ``0x8F`` JIS X 0212. Never raises."""
    out: list[str] = []
    i, n = 0, len(data)
    while i < n:
        byte = data[i]
        if byte < 0x80:
            out.append(chr(byte))
            i += 1
        elif byte == 0x8E and i + 1 < n and 0xA1 <= data[i + 1] <= 0xDF:
            out.append(chr(0xFF61 + data[i + 1] - 0xA1))
            i += 2
        elif byte == 0x8F and i + 2 < n:
            out.append(_pair_text(_Set.JIS0212, data[i + 1] & 0x7F, data[i + 2] & 0x7F))
            i += 3
        elif 0xA1 <= byte <= 0xFE and i + 1 < n and 0xA1 <= data[i + 1] <= 0xFE:
            out.append(_pair_text(_Set.JIS0208, byte & 0x7F, data[i + 1] & 0x7F))
            i += 2
        else:
            out.append(REPLACEMENT)
            i += 1
    return "".join(out)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _decode_euc(data: bytes) -> str:
    text = _strict(data, "euc_jp")
    return text if text is not None else decode_cp51932(data)


def _decode_7bit_jis(data: bytes) -> str:
    """ISO-2022-JP as labelled; 8-bit text mislabelled as ISO-2022-JP is read as UTF-8 or cp932."""
    if ESC not in data and any(b >= 0x80 for b in data):
        return _decode_guess(data)
    return decode_iso2022jp(data)


def _decode_guess(data: bytes) -> str:
    """No usable label: UTF-8 when it is valid UTF-8, else cp932 when valid, else UTF-8 with U+FFFD."""
    for codec in ("utf-8", "cp932"):
        text = _strict(data, codec)
        if text is not None:
            return text
    return data.decode("utf-8", errors="replace")


def _replace_with(codec: str) -> Callable[[bytes], str]:
    return lambda data: data.decode(codec, errors="replace")


_JIS_LABELS = re.compile(r"^(cs)?iso-?2022-?jp|^cp5022[012]$|^(x-)?jis$")
_SJIS_LABELS = "shift_jis shift-jis sjis x-sjis s-jis windows-31j cp932 ms932 ms_kanji csshiftjis"
_EUC_LABELS = "euc-jp euc_jp eucjp x-euc-jp x-euc cseucpkdfmtjapanese cp51932 euc-jis-2004 euc-jisx0213 ujis"
_UNLABELLED = "us-ascii ascii unknown-8bit x-unknown unknown"
_BY_LABEL: dict[str, Callable[[bytes], str]] = {
    **dict.fromkeys(_SJIS_LABELS.split(), _replace_with("cp932")),
    **dict.fromkeys(_EUC_LABELS.split(), _decode_euc),
    **dict.fromkeys(("utf-8", "utf8", "utf_8"), _replace_with("utf-8")),
    **dict.fromkeys([*_UNLABELLED.split(), ""], _decode_guess),
}


def _label(charset: str) -> str:
    """The charset label lower-cased, without quotes, blanks or an RFC 2231 language (``*ja``)."""
    return charset.strip().strip("\"'").split("*", 1)[0].strip().lower()


def _python_codec(label: str) -> Callable[[bytes], str] | None:
    """A text codec Python knows under ``label`` (latin-1, gb2312 …), else None."""
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True):  # base64, rot13 … are not charsets
        return None
    return _replace_with(info.name)


def decode_text(data: bytes, charset: str | None) -> str:
    """Decode with the right codec for Japanese mail: iso-2022-jp(-*) → decode_iso2022jp;
    shift_jis/sjis/x-sjis/windows-31j/cp932 → cp932; euc-jp → euc_jp (cp51932-like fallback);
    utf-8/us-ascii/unknown → utf-8; errors='replace' always; unknown charset → try utf-8, cp932."""
    label = _label(charset or "")
    if _JIS_LABELS.match(label):
        return _decode_7bit_jis(data)
    decoder = _BY_LABEL.get(label) or _python_codec(label) or _decode_guess
    try:
        return decoder(data)
    except Exception:  # a foreign codec may raise anything on hostile bytes
        return _decode_guess(data)
