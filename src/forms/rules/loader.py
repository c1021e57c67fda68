"""Load the rulebooks of a folder: one YAML file per fiscal year plus the shared ``messages.yaml``.

Every fault is a :class:`forms.errors.RulebookError` that names the file and the key: bad YAML,
a schema violation, two rulebooks with the same effective_from, a reason code without a message,
an unknown agency in a scope, a municipality table that is not Tokyo's 62, an empty folder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from forms.errors import Code, RulebookError
from forms.jp.wareki import date_in_japan
from forms.rules.schema import Rulebook, placeholders

__all__ = ["MESSAGES_FILE", "Rulebook", "Rulebooks", "load_rulebooks", "packaged_dir"]

MESSAGES_FILE = "messages.yaml"
TOKYO_MUNICIPALITIES = 62  # 23 区, 26 市, 5 町, 8 村
PREFECTURES = 47


@dataclass(frozen=True)
class Rulebooks:
    """Every rulebook of a folder, oldest first."""

    books: tuple[Rulebook, ...]

    def __iter__(self) -> Iterator[Rulebook]:
        return iter(self.books)

    def __len__(self) -> int:
        return len(self.books)

    def for_date(self, d: dt.date) -> Rulebook:
        """The newest rulebook in force on ``d`` (the oldest one when ``d`` is before them all)."""
        in_force = [b for b in self.books if b.effective_from <= d]
        return in_force[-1] if in_force else self.books[0]

    def in_force_at(self, moment: dt.datetime) -> Rulebook:
        """The rulebook in force on the day in Japan of ``moment`` (an intake's moment of receipt)."""
        return self.for_date(date_in_japan(moment))

    @property
    def newest(self) -> Rulebook:
        """The rulebook with the latest effective date: the one whose cap and agencies the ledger and
        the console use, whatever day it is."""
        return self.books[-1]

    def by_id(self, rulebook_id: str) -> Rulebook | None:
        return next((b for b in self.books if b.id == rulebook_id), None)


def packaged_dir() -> Path:
    """The rulebooks shipped with the package (``forms/rules/``)."""
    return Path(str(resources.files("forms") / "rules"))


def load_rulebooks(directory: Path | None = None) -> Rulebooks:
    """Every rulebook of ``directory`` (default: the packaged ones), checked and sorted by date."""
    folder = Path(directory) if directory is not None else packaged_dir()
    if not folder.is_dir():
        raise RulebookError(f"{folder}: not a folder of rulebooks")
    files = sorted(p for p in folder.glob("*.yaml") if p.name != MESSAGES_FILE)
    if not files:
        raise RulebookError(f"{folder}: no rulebook (*.yaml) in the folder")
    messages = load_messages(folder / MESSAGES_FILE)
    books = [_load_rulebook(p, messages) for p in files]
    _check_unique(books, files)
    return Rulebooks(tuple(sorted(books, key=lambda b: b.effective_from)))


def load_messages(path: Path) -> dict[str, str]:
    """The message table: one template per reason code, each with simple named placeholders."""
    doc = _read_yaml(path)
    table = doc.get("messages")
    if not isinstance(table, dict):
        raise RulebookError(f"{path}: messages: a mapping of reason code to message is required")
    _check_messages(path, "messages", table)
    missing = [c.value for c in Code if c.value not in table]
    if missing:
        codes = ", ".join(missing)
        raise RulebookError(f"{path}: messages.{missing[0]}: no message for reason code(s) {codes}")
    return {str(k): str(v) for k, v in table.items()}


def _check_messages(path: Path, key: str, table: Mapping[Any, Any]) -> None:
    known = {c.value for c in Code}
    for code, template in table.items():
        where = f"{path}: {key}.{code}"
        if code not in known:
            raise RulebookError(f"{where}: unknown reason code")
        if not isinstance(template, str) or not template.strip():
            raise RulebookError(f"{where}: the message must be non-empty text")
        try:
            names = placeholders(template)
        except ValueError as exc:
            raise RulebookError(f"{where}: malformed template: {exc}") from exc
        bad = [n for n in names if not n.isidentifier()]
        if bad:
            raise RulebookError(f"{where}: placeholders must be plain names, not {bad}")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulebookError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RulebookError(f"{path}: bad YAML: {_yaml_fault(exc)}") from exc
    except UnicodeDecodeError as exc:
        raise RulebookError(f"{path}: not UTF-8: {exc}") from exc
    if not isinstance(doc, dict):
        raise RulebookError(f"{path}: the file must be a mapping of keys to values")
    return doc


def _yaml_fault(exc: yaml.YAMLError) -> str:
    """One line: where the YAML broke and why."""
    mark = getattr(exc, "problem_mark", None)
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"line {mark.line + 1}, column {mark.column + 1}: {what}" if mark is not None else what


def _load_rulebook(path: Path, messages: Mapping[str, str]) -> Rulebook:
    doc = _read_yaml(path)
    overrides = doc.pop("messages", None) or {}
    if not isinstance(overrides, dict):
        raise RulebookError(f"{path}: messages: a mapping of reason code to message is required")
    _check_messages(path, "messages", overrides)
    try:
        book = Rulebook.model_validate({**doc, "messages": {**messages, **overrides}})
    except ValidationError as exc:
        raise RulebookError(f"{path}: {_describe(exc)}") from exc
    _check_scope(path, book)
    _check_places(path, book)
    _check_tables(path, book)
    return book


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        key = ".".join(str(x) for x in err["loc"]) or "(top)"
        parts.append(f"{key}: {err['msg']}")
    return "; ".join(parts)


def _check_scope(path: Path, book: Rulebook) -> None:
    known = set(book.agencies.values)
    scopes = {f"scope.values.{k}": v for k, v in book.scope.values.model_dump().items()}
    scopes["contact_sla.agencies"] = book.contact_sla.agencies
    for key, agencies in scopes.items():
        unknown = [a for a in agencies if a not in known]
        if unknown:
            names = ", ".join(unknown)
            raise RulebookError(f"{path}: {key}: unknown agency {names} (known: {sorted(known)})")


def _check_places(path: Path, book: Rulebook) -> None:
    names = [m.name for m in book.tokyo.municipalities]
    if len(names) != TOKYO_MUNICIPALITIES:
        raise RulebookError(
            f"{path}: tokyo.municipalities: {len(names)} municipalities, Tokyo has {TOKYO_MUNICIPALITIES}"
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RulebookError(f"{path}: tokyo.municipalities: listed twice: {', '.join(dupes)}")
    prefs = book.prefectures.values
    if len(set(prefs)) != PREFECTURES:
        count = len(set(prefs))
        raise RulebookError(f"{path}: prefectures.values: {count} distinct prefectures, not {PREFECTURES}")
    if book.tokyo.prefecture not in prefs:
        raise RulebookError(f"{path}: tokyo.prefecture: {book.tokyo.prefecture} is not in prefectures.values")


def _check_tables(path: Path, book: Rulebook) -> None:
    sme, small = set(book.sme_limits.values), set(book.small_business_limits.values)
    if sme != small:
        raise RulebookError(
            f"{path}: small_business_limits.values: categories {sorted(small)}"
            f" differ from those of sme_limits {sorted(sme)}"
        )
    seen: dict[str, str] = {}
    for key, industry in book.industries.values.items():
        for head in industry.heads:
            if head in seen:
                raise RulebookError(
                    f"{path}: industries.values.{key}.heads: {head} is also a head of {seen[head]}"
                )
            seen[head] = key
    for key, agency in book.agencies.values.items():
        if not agency.takes_bank_applications and not agency.guidance_url:
            where = f"agencies.values.{key}.guidance_url"
            raise RulebookError(f"{path}: {where}: required for an agency that takes no bank applications")


def _check_unique(books: list[Rulebook], files: list[Path]) -> None:
    by_date: dict[dt.date, Path] = {}
    by_id: dict[str, Path] = {}
    for book, path in zip(books, files, strict=True):
        if book.effective_from in by_date:
            other = by_date[book.effective_from]
            raise RulebookError(f"{path}: effective_from: {book.effective_from} is also that of {other}")
        if book.id in by_id:
            raise RulebookError(f"{path}: id: {book.id} is also the id of {by_id[book.id]}")
        by_date[book.effective_from] = path
        by_id[book.id] = path
