"""Fakes of ``forms.extract.soffice.Converter`` for tests of what happens before LibreOffice."""

from __future__ import annotations

from forms import model
from forms.extract.soffice import Converter


class NoConversion(Converter):
    """A converter that must not be asked: the file is refused before LibreOffice sees it."""

    def available(self) -> bool:
        return True

    def convert(self, data: bytes, suffix: str, target: str) -> bytes | model.Problem:
        raise AssertionError("converted a file that should have been refused")
