"""What the clerks' commands share (``forms review …``, ``forms user …``): who acts, and the Review
over the store."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from forms.config import Settings
from forms.files import private_dir

if TYPE_CHECKING:
    from forms.review import Review


def default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@contextmanager
def open_review(settings: Settings) -> Iterator[Review]:
    from forms.review import Review
    from forms.store import Store

    private_dir(settings.home)
    with Store.open(settings.store_url) as store:
        review = Review(store, settings)
        try:
            yield review
        finally:
            review.close()


def add_actor_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--actor", default=default_actor(), help="who does it, for the event log (default cli:<login>)"
    )
