"""The console's long operations as page jobs with progress: the 様式3 batch and the support import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from forms.ledger import CompanyKey
from forms.store import Store
from forms.store.ledger import StoreLedger
from tests.support.console import (
    World,
    client_for,
    finished_job,
    sign_in,
)
from tests.support.paths import SAMPLES

pytestmark = [
    pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

# -- long operations as jobs: the 様式3 batch, the support import ---------------------------------


def store_events(store: Store) -> list:
    """The events of no one intake (batches, imports), oldest first."""
    return store.events.of(None)


def test_a_clerk_of_another_agency_cannot_batch_youshiki3_for_jetro(world: World) -> None:
    client = client_for(world)
    token = sign_in(client, "scb-clerk")
    before = len(world.store.youshiki3.issued())
    refused = client.post("/youshiki3/batch", data={"csrf": token, "agency": "jetro", "format": "docx"})
    assert refused.status_code == 403
    assert len(world.store.youshiki3.issued()) == before
    page = client.get("/deadlines").text
    assert "様式3を一括発行" in page
    assert '<option value="jetro">' not in page and '<option value="">' not in page  # only scb is offered


def test_the_youshiki3_batch_runs_as_a_job_and_records_every_youshiki3(
    world: World, admin: tuple[TestClient, str]
) -> None:
    client, token = admin
    assert "様式3を一括発行" in client.get("/deadlines").text
    started = client.post("/youshiki3/batch", data={"csrf": token, "agency": "", "format": "docx"})
    assert started.status_code == 303 and started.headers["location"].startswith("/jobs/")
    job_url = started.headers["location"]
    status = finished_job(client, job_url)
    assert status["error"] is None and status["percent"] == 100
    routed = {world.ids["jetro_routed"], world.ids["scb_routed"]}
    records = [i for i in world.store.youshiki3.issued() if i.intake_id in routed]
    assert {i.intake_id for i in records} == routed and {i.agency for i in records} == {"jetro", "scb"}
    assert status["total"] == status["done"] >= 2
    for record in records:
        assert [Path(f).suffix for f in record.files] == [".docx"]
        assert all(
            Path(f).is_file() and Path(f).parent == world.settings.home / "documents" for f in record.files
        )
    html = client.get(job_url).text
    assert f"様式3を{status['total']}件発行しました" in html and "株式会社サンプル精機" in html
    assert str(world.settings.home) not in html  # no paths of the server's files
    batch_events = [e for e in store_events(world.store) if e.kind == "youshiki3_issued_batch"]
    assert batch_events and batch_events[-1].actor == "admin"
    again = client.post("/youshiki3/batch", data={"csrf": token, "agency": "jetro", "format": "docx"})
    finished_job(client, again.headers["location"])
    assert "様式3を0件発行しました" in client.get(again.headers["location"]).text  # issued once only
    assert len([i for i in world.store.youshiki3.issued() if i.intake_id in routed]) == 2


IMPORT_HEADER = "支援機関,法人番号,企業名,郵便番号,支援日,支援内容,経費（税抜）,消費税"
IMPORTED = "1010001765432"  # a company no other test records supports for


def upload(client: TestClient, token: str | None, name: str, text: str) -> object:
    data = {"csrf": token} if token is not None else {}
    files = {"file": (name, text.encode("cp932"), "text/csv")}
    return client.post("/supports/import", data=data, files=files)


def test_a_good_file_is_imported_as_a_job_with_the_clerks_name(
    world: World, admin: tuple[TestClient, str]
) -> None:
    client, token = admin
    key = CompanyKey.for_corporation(IMPORTED)
    used = StoreLedger(world.store, 10**9).company(key).used
    rows = [
        IMPORT_HEADER,
        f"jetro,{IMPORTED},,,2026-06-10,海外ミニ調査サービス,300000,30000",
        f"信金中央金庫,{IMPORTED},,,令和8年6月12日,商談会,20万円,2万円",
    ]
    assert "支援記録の取込" in client.get("/supports/import").text
    started = upload(client, token, "supports.csv", "\r\n".join(rows))
    assert started.status_code == 303, started.text  # type: ignore[attr-defined]
    job_url = started.headers["location"]  # type: ignore[attr-defined]
    status = finished_job(client, job_url)
    assert status["error"] is None and (status["done"], status["total"]) == (2, 2)
    assert StoreLedger(world.store, 10**9).company(key).used == used + 500_000
    assert "2件の支援を取り込みました（1社）" in client.get(job_url).text
    assert any(e.kind == "supports_imported" and e.actor == "admin" for e in store_events(world.store))


def test_a_bad_file_imports_nothing_and_the_job_lists_every_bad_row_and_column(
    world: World, admin: tuple[TestClient, str]
) -> None:
    client, token = admin
    key = CompanyKey.for_corporation(IMPORTED)
    before = StoreLedger(world.store, 10**9).company(key).supports
    rows = [
        IMPORT_HEADER,
        f"jetro,{IMPORTED},,,2026-07-01,調査,300000,30000",  # good, and still not imported
        "jetro,4010001234568,,,2026-06-31,調査,300000,",  # 3: check digit, no 6/31
        f"nasa,{IMPORTED},,,2026-06-10,,1000,abc",  # 4: agency, service, tax
    ]
    started = upload(client, token, "bad.csv", "\r\n".join(rows))
    job_url = started.headers["location"]  # type: ignore[attr-defined]
    assert finished_job(client, job_url)["error"] is None
    html = client.get(job_url).text
    assert "1件も取り込んでいません" in html
    named = set(re.findall(r"\d+行目「[^」]+」", html))
    assert named == {
        "3行目「法人番号」", "3行目「支援日」", "4行目「支援機関」", "4行目「支援内容」", "4行目「消費税」",
    }  # fmt: skip
    assert StoreLedger(world.store, 10**9).company(key).supports == before
    refused = [e for e in store_events(world.store) if e.kind == "supports_import_refused"]
    assert refused and refused[-1].actor == "admin"


def test_the_import_needs_an_admin_a_file_and_the_csrf_token(
    world: World, admin: tuple[TestClient, str]
) -> None:
    client, token = admin
    key = CompanyKey.for_corporation(IMPORTED)
    before = StoreLedger(world.store, 10**9).company(key).supports
    good = f"{IMPORT_HEADER}\r\njetro,{IMPORTED},,,2026-08-01,調査,1000,100"
    assert upload(client, None, "s.csv", good).status_code == 403  # type: ignore[attr-defined]
    assert upload(client, "not-the-token", "s.csv", good).status_code == 403  # type: ignore[attr-defined]
    empty = client.post("/supports/import", data={"csrf": token})
    assert empty.status_code == 400 and "ファイル" in empty.text
    clerk = client_for(world)
    clerk_token = sign_in(clerk, "jetro-clerk")
    assert clerk.get("/supports/import").status_code == 403
    assert upload(clerk, clerk_token, "s.csv", good).status_code == 403  # type: ignore[attr-defined]
    assert StoreLedger(world.store, 10**9).company(key).supports == before
