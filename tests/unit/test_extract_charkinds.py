"""A text layer's chars counted by kind (forms.extract.charkinds): each char as its own kind says, however
the counting is done, for the BMP, beyond it, lone surrogates and PDFium's line breaks."""

from __future__ import annotations

import random

from forms.extract import charkinds


def _one_by_one(text: str) -> tuple[int, int, int]:
    kinds = [charkinds._kind(ch) for ch in text]
    breaks = text.count("\r\n")
    k = charkinds._Kind
    visible = len(text) - kinds.count(k.SPACE) - 2 * breaks
    return visible, kinds.count(k.BAD) - 2 * breaks, kinds.count(k.JAPANESE)


def test_a_page_s_chars_are_counted_by_kind() -> None:
    text = "申込先支援機関 日本貿易振興機構（ジェトロ）\r\nTel 03-1234\u3000\ufffd\x07\ue000\r\n𠮷野家"
    # bad: U+FFFD, BEL, a private use char; 𠮷 (beyond the BMP) is no kana or kanji here
    assert charkinds.char_stats(text) == (37, 3, 21)
    assert charkinds.char_stats(text) == _one_by_one(text)
    assert charkinds.char_stats("") == (0, 0, 0)


def test_every_kind_of_char_counts_as_it_would_one_by_one() -> None:
    rng = random.Random(16)
    ranges = [(0, 0x80), (0x3000, 0xA000), (0xD800, 0xE000), (0xE000, 0xF900), (0x10000, 0x110000),
              (0, 0x110000)]  # fmt: skip
    for _ in range(2000):
        chars = [chr(rng.randrange(*rng.choice(ranges))) for _ in range(rng.randrange(0, 40))]
        text = "".join(rng.choice(["\r\n", ch]) if rng.random() < 0.1 else ch for ch in chars)
        assert charkinds.char_stats(text) == _one_by_one(text), repr(text)
