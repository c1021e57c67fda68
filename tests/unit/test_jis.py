"""ISO-2022-JP the way Japanese banks' mailers write it (CP50220), and charset dispatch."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.intake.jis import decode_cp51932, decode_iso2022jp, decode_text, jis_to_sjis

ESC_KANJI = b"\x1b$B"
ESC_ASCII = b"\x1b(B"
MARU1 = b"\x2d\x21"  # ① in NEC row 13
KABU = b"\x2d\x6a"  # ㈱ in NEC row 13


def jis_pairs(text: str) -> bytes:
    """The JIS X 0208 pairs of ``text`` (chars the stdlib codec knows), without escapes."""
    return text.encode("iso2022_jp")[3:-3]


def test_nec_row13_circled_digit_and_kabu_decode() -> None:
    assert decode_iso2022jp(ESC_KANJI + MARU1 + KABU + ESC_ASCII + b" ok") == "①㈱ ok"


def test_nec_row13_mixed_with_ordinary_kanji() -> None:
    data = ESC_KANJI + KABU + jis_pairs("サンプル精機") + MARU1 + ESC_ASCII
    assert decode_iso2022jp(data) == "㈱サンプル精機①"


@pytest.mark.parametrize(
    ("pair", "char"),
    [(b"\x2d\x62", "№"), (b"\x2d\x64", "℡"), (b"\x2d\x35", "Ⅰ"), (b"\x2d\x40", "㍉")],
)
def test_other_nec_specials(pair: bytes, char: str) -> None:
    assert decode_iso2022jp(ESC_KANJI + pair + ESC_ASCII) == char


def test_nec_selected_ibm_extension_row_92() -> None:
    # 髙 is cp932 0xEEE0 (NEC-selected IBM extension; IBM 0xFBFC) = JIS 0x7C62.
    assert jis_to_sjis(0x7C, 0x62) == b"\xee\xe0"
    assert decode_iso2022jp(ESC_KANJI + b"\x7c\x62" + ESC_ASCII) == "髙"


def test_halfwidth_katakana_by_escape_and_by_shift_out() -> None:
    assert decode_iso2022jp(b"\x1b(I123\x1b(B!") == "ｱｲｳ!"
    assert decode_iso2022jp(b"a\x0e12\x0fb") == "aｱｲb"


def test_shift_in_returns_to_kanji_when_shift_out_came_from_kanji() -> None:
    data = ESC_KANJI + jis_pairs("東") + b"\x0e1\x0f" + jis_pairs("京") + ESC_ASCII
    assert decode_iso2022jp(data) == "東ｱ京"


def test_controls_inside_katakana_and_roman_runs() -> None:
    assert decode_iso2022jp(b"\x1b(I1\r\n2\x1b(B") == "ｱ\r\nｲ"
    assert decode_iso2022jp(b"\x1b(Ja\tb\\\x1b(B") == "a\tb¥"


def test_jis_x0201_roman_yen_and_overline() -> None:
    assert decode_iso2022jp(b"\x1b(J\\100~\x1b(B\\") == "¥100‾\\"


def test_jis_x0212_supplementary_kanji() -> None:
    assert decode_iso2022jp(b"\x1b$(D\x30\x21\x1b(B") == "丂"


def test_jis_x0208_1990_announcer_is_skipped() -> None:
    assert decode_iso2022jp(b"\x1b&@\x1b$B" + jis_pairs("東京") + ESC_ASCII) == "東京"


def test_newline_inside_kanji_mode_is_kept_and_text_continues() -> None:
    data = ESC_KANJI + jis_pairs("東") + b"\r\n" + jis_pairs("京") + ESC_ASCII
    assert decode_iso2022jp(data) == "東\r\n京"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (ESC_KANJI + b"\x30", "\ufffd"),  # truncated pair
        (ESC_KANJI + b"\x30\n", "\ufffd\n"),  # a half pair does not swallow the newline
        (b"\x1b%Zab", "\ufffd%Zab"),  # unknown escape
        (b"a\xffb", "a\ufffdb"),  # 8-bit byte in a 7-bit stream
        (ESC_KANJI + b"\x7f\x7f" + ESC_ASCII, "\x7f\x7f"),
        (b"\x1b$A\x30\x21\x1b(B", "\ufffd"),  # GB2312 is not read
        (ESC_KANJI + b"\x2f\x21" + ESC_ASCII, "\ufffd"),  # unassigned row 15
    ],
)
def test_broken_input_becomes_replacement_characters(data: bytes, expected: str) -> None:
    assert decode_iso2022jp(data) == expected


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_decode_iso2022jp_never_raises(data: bytes) -> None:
    assert isinstance(decode_iso2022jp(data), str)


_JIS_ALPHABET = (
    "あいうえおかきくけこんアイウエオカキクケコン"
    + "東京都港区赤坂株式会社海外展開支援申込書様式漢字"
    + "abcXYZ 0123,.\n"
)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_JIS_ALPHABET, max_size=40))
def test_agrees_with_stdlib_on_plain_jis_x0208(text: str) -> None:
    assert decode_iso2022jp(text.encode("iso2022_jp")) == text


def test_cp51932_reads_nec_row13_and_katakana() -> None:
    assert decode_cp51932(b"\xad\xa1\xad\xea\xa4\xa2\x8e\xb1A") == "①㈱あｱA"


@pytest.mark.parametrize(
    "charset", ["ISO-2022-JP", "iso-2022-jp", '"iso-2022-jp"', "iso-2022-jp-ms", "CP50220", "csISO2022JP"]
)
def test_decode_text_iso2022jp_labels_read_nec_chars(charset: str) -> None:
    assert decode_text(ESC_KANJI + KABU + MARU1 + ESC_ASCII, charset) == "㈱①"


def test_decode_text_iso2022jp_with_rfc2231_language_suffix() -> None:
    assert decode_text(ESC_KANJI + KABU + ESC_ASCII, "iso-2022-jp*ja") == "㈱"


@pytest.mark.parametrize("charset", ["Shift_JIS", "sjis", "x-sjis", "windows-31j", "CP932", "shift-jis"])
def test_decode_text_shift_jis_labels_use_cp932(charset: str) -> None:
    assert decode_text("㈱髙﨑①".encode("cp932"), charset) == "㈱髙﨑①"


def test_decode_text_euc_jp_and_its_windows_extension() -> None:
    assert decode_text("東京都".encode("euc_jp"), "EUC-JP") == "東京都"
    assert decode_text(b"\xad\xea\xc5\xec", "euc-jp") == "㈱東"


def test_decode_text_utf8_replaces_broken_bytes() -> None:
    assert decode_text("㈱".encode() + b"\xff", "utf-8") == "㈱\ufffd"


@pytest.mark.parametrize("charset", [None, "us-ascii", "x-unknown-charset", "base64", "rot13"])
def test_decode_text_without_usable_label_tries_utf8_then_cp932(charset: str | None) -> None:
    assert decode_text("㈱見本".encode(), charset) == "㈱見本"
    assert decode_text("㈱見本".encode("cp932"), charset) == "㈱見本"


def test_decode_text_iso2022jp_label_on_8bit_text_is_read_as_what_it_is() -> None:
    assert decode_text("見本㈱".encode("cp932"), "iso-2022-jp") == "見本㈱"


def test_decode_text_other_python_charsets() -> None:
    assert decode_text("Müller".encode("latin-1"), "iso-8859-1") == "Müller"


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=120),
    st.sampled_from(
        [None, "iso-2022-jp", "shift_jis", "euc-jp", "utf-8", "utf-16", "gb2312", "bogus", "hex"]
    ),
)
def test_decode_text_never_raises(data: bytes, charset: str | None) -> None:
    assert isinstance(decode_text(data, charset), str)
