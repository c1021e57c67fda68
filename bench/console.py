"""Clerk console speed: the review queue page with 10,000 intakes in the store.

    .venv/bin/python bench/console.py [--intakes 10000] [--requests 50]

Fills a fresh SQLite store (WAL, in a temporary folder) through the Store API — each intake received,
claimed and decided like the worker does it, with a decision shaped like real ones (the jetro sample's
fields, company and bank names varied; a third routed, the rest needs_review or rejected with their
reason codes) — then signs a clerk in and GETs the queue page (first page, 50 rows, newest first)
``--requests`` times through the app in process (Starlette's TestClient: routing, session, SQL,
Jinja), and the same with a search and a filter. Goal: median under 200 ms. The last line is one
JSON object of the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import statistics
import tempfile
import time
import warnings
from pathlib import Path

from argon2 import PasswordHasher
from starlette.testclient import TestClient

from forms.access.accounts import Users
from forms.config import load_settings
from forms.console import create_app
from forms.review import Review
from forms.store import Store

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "samples" / "jetro-fillable.expected.json"
PASSWORD = "bench password 0123"
BANKS = ("みほん銀行", "例示信用金庫", "見本信用組合", "サンプル銀行", "テスト信用金庫")
OUTCOMES = (
    ("routed", ()),
    ("needs_review", ("LOW_CONFIDENCE",)),
    ("rejected", ("NOT_IN_TOKYO",)),
    ("rejected", ("FIELD_MISSING", "DECLARATION_MISSING")),
    ("needs_review", ("SENDER_UNKNOWN",)),
    ("routed", ("SMALL_BUSINESS",)),
)
AGENCIES = ("jetro", "scb", "kosha")


def decision(n: int, template: dict) -> dict:
    status, codes = OUTCOMES[n % len(OUTCOMES)]
    agency = AGENCIES[n % len(AGENCIES)]
    fields = {
        **template["fields"],
        "agency": agency,
        "company_name": f"株式会社ベンチ{n:05d}精機",
        "bank_name": BANKS[n % len(BANKS)],
    }
    reasons = [{"code": c, "field": "hq_address", "message": f"{c} の説明（{n}）"} for c in codes]
    return {
        "source": f"bench-{n}.eml",
        "status": status,
        "agency": agency,
        "reasons": reasons,
        "fields": fields,
    }


def fill_store(store: Store, count: int) -> float:
    template = json.loads(SAMPLE.read_text(encoding="utf-8"))
    start = time.perf_counter()
    first = dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC)
    for n in range(count):
        received = first + dt.timedelta(minutes=17 * n)
        intake_id = store.intakes.add(
            data=f"bench intake {n}".encode(), channel="bench", received_at=received, spool_id=f"bench-{n}"
        )
        claimed = store.intakes.claim_next("bench")
        assert intake_id is not None and claimed is not None and claimed.id == intake_id
        d = decision(n, template)
        store.intakes.record_decision(
            intake_id,
            status=d["status"],
            agency=d["agency"],
            reference=f"R8-{intake_id:06d}",
            decision=d,
            message_id=None,
            sender=None,
            form_sha256=None,
            outgoing=[],
            actor="bench",
        )
    return time.perf_counter() - start


def timed_gets(client: TestClient, url: str, requests: int) -> list[float]:
    client.get(url)  # warm: templates compiled, SQLite pages cached
    times = []
    for _ in range(requests):
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200 and "審査待ち一覧" in response.text
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--intakes", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=50)
    args = ap.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)  # starlette's TestClient on httpx
    with tempfile.TemporaryDirectory(prefix="forms-bench-console-") as tmp:
        settings = load_settings(env={"FORMS_HOME": tmp})
        store = Store.open(settings.store_url)
        fill_seconds = fill_store(store, args.intakes)
        users = Users(store, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        users.add("bench-admin", role="admin", password=PASSWORD)
        review = Review(store, settings)
        app = create_app(settings, review=review, accounts=users, secret="bench-secret-0123456789abcdef")
        with TestClient(app, base_url="https://testserver") as client:
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
            assert token is not None
            client.post("/signin", data={"csrf": token.group(1), "name": "bench-admin", "password": PASSWORD})
            queue = timed_gets(client, "/queue", args.requests)
            search = timed_gets(client, "/queue?status=all&search=ベンチ0999", args.requests)
            filtered = timed_gets(client, "/queue?status=rejected&agency=scb&bank=信用金庫", args.requests)
        review.close()
        store.close()
    figures = {
        "intakes": args.intakes,
        "requests": args.requests,
        "queue_median_ms": round(statistics.median(queue), 1),
        "queue_p95_ms": round(p95(queue), 1),
        "search_median_ms": round(statistics.median(search), 1),
        "search_p95_ms": round(p95(search), 1),
        "filtered_median_ms": round(statistics.median(filtered), 1),
        "filtered_p95_ms": round(p95(filtered), 1),
        "fill_seconds": round(fill_seconds, 1),
    }
    print(
        f"queue page with {args.intakes} intakes: median {figures['queue_median_ms']} ms, "
        f"p95 {figures['queue_p95_ms']} ms over {args.requests} requests (goal: median < 200 ms); "
        f"search {figures['search_median_ms']} ms, filtered {figures['filtered_median_ms']} ms (medians)"
    )
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
