"""Fixtures of the integration tests: a store with a clock the test moves; the console's world and admin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from forms.store import Store
from forms.store.ledger import StoreLedger
from tests.support.console import World, build_world, client_for, sign_in
from tests.support.store_rows import FakeClock
from tests.support.youshiki3 import RULEBOOK

if TYPE_CHECKING:
    from starlette.testclient import TestClient


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    s = Store.open(Store.default_url(tmp_path / "home"), clock=clock)
    yield s
    s.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A console world per module: the mailroom has decided the scenarios' PDFs into a real store."""
    w = build_world(tmp_path_factory.mktemp("console-home"))
    yield w
    w.review.close()
    w.store.close()


@pytest.fixture
def admin(world: World) -> tuple[TestClient, str]:
    client = client_for(world)
    return client, sign_in(client, "admin")


@pytest.fixture
def ledger(store: Store) -> StoreLedger:
    """The ledger over ``store`` as the mailroom builds it: the rulebook's cap and capped agencies."""
    return StoreLedger(store, RULEBOOK.shared_cap.cap_per_frame_yen, RULEBOOK.capped_agencies)
