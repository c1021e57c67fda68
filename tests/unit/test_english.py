"""English words from the system's word list (Debian's wamerican, installed by scripts/setup.sh)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from forms.jp import english


def test_the_system_list_knows_the_loanwords_of_names_and_not_their_misreads() -> None:
    assert english.is_word("sample") and english.is_word("foods") and english.is_word("techno")
    assert not any(english.is_word(w) for w in ("sampl", "fods", "fouds", "saple"))


def test_a_list_is_read_lower_cased_without_possessives_and_a_missing_one_is_no_words(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    listed = tmp_path / "words"
    listed.write_text("Sample\nsample's\nfoods\ncafé\n", encoding="utf-8")
    assert english.load_words((tmp_path / "absent", listed)) == frozenset({"sample", "foods"})
    with caplog.at_level(logging.WARNING, logger="forms.jp.english"):
        assert english.load_words((tmp_path / "absent",)) == frozenset()
    assert "no English word list" in caplog.text
