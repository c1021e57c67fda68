"""What processes share through the store, on SQLite and on a real PostgreSQL (tests/support/pg.py):
the API's budget per token (two console apps over one store, each with its own connection pool as two
uvicorn workers or the console beside `forms serve` have, give a token one budget), and a batch's
documents recorded once when two batches record the same one at the same moment."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from forms.access.tokens import Tokens
from forms.console import create_app
from forms.ledger import CompanyKey
from forms.store import Store
from tests.support.console import SECRET
from tests.support.pg import PostgresServer, running_postgres
from tests.support.settings import make_settings
from tests.support.youshiki3 import routed_youshiki1

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
KEY = CompanyKey.for_corporation("4010001234567")
PERIOD = (dt.date(2026, 6, 1), dt.date(2026, 8, 31))
NOW_MS = 1_780_000_000_000


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return Store.default_url(tmp_path / "db")
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"t_{uuid.uuid4().hex[:12]}")


def test_two_apps_over_one_store_share_a_tokens_budget(url: str, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "home", FORMS_DATABASE_URL=url, FORMS_API_RATE_PER_MINUTE="1", FORMS_API_BURST="2"
    )
    with Store.open(url) as store:
        _, token = Tokens(store).create("jetro", label="shared", actor="admin")
    bearer = {"Authorization": f"Bearer {token}"}
    with (
        TestClient(create_app(settings, secret=SECRET), base_url="https://testserver") as first,
        TestClient(create_app(settings, secret=SECRET), base_url="https://testserver") as second,
    ):
        assert [first.get("/api/v1/submissions", headers=bearer).status_code for _ in range(2)] == [200, 200]
        refused = second.get("/api/v1/submissions", headers=bearer)
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
        assert first.get("/api/v1/submissions", headers=bearer).status_code == 429
        nobody = {"Authorization": "Bearer forms_not-a-token"}  # refused tokens: one budget per address
        assert [first.get("/api/v1/submissions", headers=nobody).status_code for _ in range(2)] == [401, 401]
        assert second.get("/api/v1/submissions", headers=nobody).status_code == 429


def at_once(url: str, count: int, act: Callable[[Store, int], Any]) -> list[Any]:
    """``act(store, i)`` in ``count`` threads released together, over two stores (two pools)."""
    stores = [Store.open(url), Store.open(url)]
    ready = threading.Barrier(count)

    def run(i: int) -> Any:
        ready.wait(timeout=30)
        return act(stores[i % 2], i)

    try:
        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(run, range(count)))
    finally:
        for store in stores:
            store.close()


def test_a_buckets_requests_are_counted_atomically(url: str) -> None:
    Store.open(url).close()  # migrated before the threads race
    waits = at_once(url, 12, lambda s, i: s.rate_limits.take("token:1", now_ms=NOW_MS, per_minute=1, burst=5))
    assert sorted(waits) == [0] * 5 + [60_000] * 7  # five let through; the rest wait the minute for one


def test_a_batchs_document_is_recorded_once_when_two_record_it_at_once(url: str) -> None:
    with Store.open(url) as store:
        intake_id = routed_youshiki1(store)

    def youshiki2(store: Store, i: int) -> int | None:
        return store.youshiki2.record(
            reference=f"R8-Y2-{i:06d}", key=KEY, company_name="株式会社サンプル精機", agency="jetro",
            intake_id=None, period=PERIOD, issued_on=PERIOD[1], files=[], once=True,
        )  # fmt: skip

    def youshiki3(store: Store, i: int) -> int | None:
        return store.youshiki3.record_issued(
            key=KEY, company_name="株式会社サンプル精機", bank_name="みほん銀行", agency="jetro",
            intake_id=intake_id, issued_on=PERIOD[1], due_on=PERIOD[1], files=[],
            reference=f"R8-Y3-{i:06d}", once=True,
        )  # fmt: skip

    for act in (youshiki2, youshiki3):
        recorded = at_once(url, 8, act)
        assert sum(r is not None for r in recorded) == 1, recorded
    with Store.open(url) as store:
        assert len(store.youshiki2.issued()) == len(store.youshiki3.issued()) == 1
