"""The replace-based substitutions give exactly the bytes of aiosmtplib's regexes."""

from __future__ import annotations

import aiosmtplib.protocol
from hypothesis import given
from hypothesis import strategies as st

from forms.deliver import dot_stuffing

assert dot_stuffing.install()
LINE_ENDINGS = aiosmtplib.protocol.LINE_ENDINGS_REGEX
LEADING_DOTS = aiosmtplib.protocol.PERIOD_REGEX

MESSAGES = (
    st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b".", b"..", b"a", b"\xe3\x81\x82", b" "])).map(b"".join)
    | st.binary()
)


def test_installed_in_place_of_the_patterns() -> None:
    assert isinstance(LINE_ENDINGS, dot_stuffing._LineEndings)
    assert isinstance(LEADING_DOTS, dot_stuffing._LeadingDots)
    assert dot_stuffing.install()  # twice is harmless


@given(MESSAGES)
def test_line_ends_as_the_regex_makes_them(message: bytes) -> None:
    assert LINE_ENDINGS.sub(b"\r\n", message) == LINE_ENDINGS.original.sub(b"\r\n", message)


@given(st.lists(MESSAGES, max_size=6))
def test_asking_twice_per_message_as_aiosmtplib_does_gives_the_same_bytes(messages: list[bytes]) -> None:
    for message in messages:  # the second answer may come from memory: it must be the same
        expected = LINE_ENDINGS.original.sub(b"\r\n", message)
        assert LINE_ENDINGS.sub(b"\r\n", message) == expected
        assert LINE_ENDINGS.sub(b"\r\n", message) == expected


@given(MESSAGES)
def test_leading_dots_as_the_regex_doubles_them(message: bytes) -> None:
    normalised = LINE_ENDINGS.original.sub(b"\r\n", message)
    for text in (message, normalised):
        assert LEADING_DOTS.sub(b"..", text) == LEADING_DOTS.original.sub(b"..", text)


def test_what_aiosmtplib_sends_is_unchanged() -> None:
    message = b".first\nsecond\r.third\r\n..fourth"
    normalised = aiosmtplib.protocol.normalize_message_line_endings(message)
    assert normalised == b".first\r\nsecond\r\n.third\r\n..fourth\r\n"
    assert LEADING_DOTS.sub(b"..", normalised) == b"..first\r\nsecond\r\n..third\r\n...fourth\r\n"
