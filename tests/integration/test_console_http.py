"""The clerk console over HTTP (Starlette's TestClient): sign-in, CSRF, agency scope, rate limit,
the review actions, and every page rendering — on a real store filled by the real mailroom from
real PDFs (the samples, and forms filled with ../shared/forms/fill.py)."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from starlette.routing import Route
from starlette.testclient import TestClient

from forms.access.accounts import Users
from forms.config import Settings
from forms.console import create_app
from forms.console.auth import SignInLimiter
from forms.console.context import JST
from forms.ledger import CompanyKey
from forms.mailroom.worker import Mailroom
from forms.review import Review
from forms.store import Store
from forms.store.ledger import StoreLedger
from tests.support.paths import FORMS_DIR, SAMPLES
from tests.support.settings import make_settings

pytestmark = [
    pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

PASSWORD = "correct horse battery staple"
SECRET = "console-test-secret-0123456789abcdef"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
#: Real argon2id, with cheap parameters so that signing in takes milliseconds in the tests.
FAST_ARGON2 = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
HOSTILE_NAME = '<script>alert("x")</script>{{ 7*7 }}=1+1'


@dataclass
class World:
    settings: Settings
    store: Store
    review: Review
    users: Users
    ids: dict[str, int]  # scenario → intake id


def _filled(values: dict, path: Path) -> Path:
    sys.path.insert(0, str(FORMS_DIR))
    try:
        import fill  # the shared form filler (../shared/forms/fill.py)
    finally:
        sys.path.remove(str(FORMS_DIR))
    fill.fill_fillable(values, str(path))
    return path


def _inputs(tmp: Path) -> dict[str, Path]:
    jetro = json.loads((SAMPLES / "jetro-fillable.values.json").read_text(encoding="utf-8"))
    osaka = {**jetro, "hq_address": "大阪府大阪市北区梅田1丁目1番1号", "company_name": "株式会社大阪見本"}
    scb = {**jetro, "agency": "scb", "company_name": HOSTILE_NAME, "corporate_number": "3010401112233"}
    return {
        "jetro_routed": SAMPLES / "jetro-fillable.pdf",
        "scb_routed": SAMPLES / "scb-shinkin-flattened.pdf",
        "smrj_rejected": SAMPLES / "smrj-fillable.pdf",
        "jetro_not_in_tokyo": _filled(osaka, tmp / "jetro-osaka.pdf"),
        "scb_rejected": _filled(scb, tmp / "scb-via-bank.pdf"),
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("console-home")
    settings = make_settings(home, FORMS_WORKERS="1", FORMS_OUTBOX_DIR=str(home / "outbox"))
    room = Mailroom.open(settings)
    spool_ids = {
        name: room.spool.put(path.read_bytes(), channel="cli", meta={"source": path.name}).spool_id
        for name, path in _inputs(home).items()
    }
    room.drain()
    room.close()
    store = Store.open(settings.store_url)
    ids = {name: store.intakes.by_spool_id(spool_id).id for name, spool_id in spool_ids.items()}  # type: ignore[union-attr]
    users = Users(store, hasher=FAST_ARGON2)
    users.add("admin", role="admin", password=PASSWORD)
    users.add("jetro-clerk", role="clerk", agency="jetro", password=PASSWORD)
    users.add("scb-clerk", role="clerk", agency="scb", password=PASSWORD)
    review = Review(store, settings)
    yield World(settings, store, review, users, ids)
    review.close()
    store.close()


def client_for(
    world: World, *, limiter: SignInLimiter | None = None, base_url: str = "https://testserver"
) -> TestClient:
    app = create_app(
        world.settings, review=world.review, accounts=world.users, secret=SECRET, limiter=limiter
    )
    return TestClient(app, base_url=base_url, follow_redirects=False)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Signs in; returns the session's CSRF token."""
    token = csrf_of(client.get("/signin").text)
    response = client.post(
        "/signin", data={"csrf": token, "name": name, "password": password, "next": "/queue"}
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/queue").text)


@pytest.fixture
def admin(world: World) -> tuple[TestClient, str]:
    client = client_for(world)
    return client, sign_in(client, "admin")


# -- sign-in, cookies, CSRF, rate limit ----------------------------------------------------------


def test_pages_need_sign_in_and_send_back_after_it(world: World) -> None:
    client = client_for(world)
    response = client.get(f"/intakes/{world.ids['jetro_routed']}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=%2Fintakes%2F")
    token = csrf_of(client.get("/signin").text)
    data = {"csrf": token, "name": "admin", "password": PASSWORD, "next": "//evil.example/"}
    assert client.post("/signin", data=data).headers["location"] == "/queue"  # no open redirect


def test_session_cookie_is_httponly_lax_and_secure_except_on_plain_http_loopback(world: World) -> None:
    cookie = client_for(world).get("/signin").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    loopback = client_for(world, base_url="http://127.0.0.1").get("/signin").headers["set-cookie"].lower()
    assert "httponly" in loopback and "secure" not in loopback


def test_wrong_password_is_refused_and_the_limit_answers_429(world: World) -> None:
    client = client_for(world, limiter=SignInLimiter(max_failures=5, window_s=300))
    token = csrf_of(client.get("/signin").text)
    for _ in range(5):
        wrong = client.post("/signin", data={"csrf": token, "name": "admin", "password": "wrong password"})
        assert wrong.status_code == 401
        assert "パスワードが違います" in wrong.text
    right = client.post("/signin", data={"csrf": token, "name": "admin", "password": PASSWORD})
    assert right.status_code == 429  # even the right password, until the window has passed
    other = client.post("/signin", data={"csrf": token, "name": "jetro-clerk", "password": PASSWORD})
    assert other.status_code == 303  # the limit is per IP and account


def test_sign_in_without_the_csrf_token_is_refused(world: World) -> None:
    client = client_for(world)
    client.get("/signin")
    response = client.post("/signin", data={"name": "admin", "password": PASSWORD})
    assert response.status_code == 403
    assert "forms_session" not in response.headers.get("set-cookie", "") or "admin" not in response.text


def post_routes(client: TestClient) -> list[str]:
    app = client.app
    return [r.path for r in app.routes if isinstance(r, Route) and "POST" in (r.methods or ())]  # type: ignore[attr-defined]


def test_every_post_without_the_csrf_token_is_refused_and_changes_nothing(
    world: World, admin: tuple[TestClient, str]
) -> None:
    client, _ = admin
    target = world.ids["smrj_rejected"]
    events_before = len(world.store.events.of(target))
    paths = post_routes(client)
    assert len(paths) >= 12
    for path in paths:
        url = path.replace("{intake_id:int}", str(target)).replace("{outbox_id:int}", "1")
        for data in ({}, {"csrf": "not-the-token"}):
            response = client.post(
                url, data={**data, "message": "x", "ids": str(target), "f.agency": "jetro"}
            )
            assert response.status_code == 403, (url, response.status_code)
    assert len(world.store.events.of(target)) == events_before
    assert world.store.intakes.get(target).status == "rejected"  # type: ignore[union-attr]
    assert client.get("/queue").status_code == 200  # still signed in: only the posts were refused


def test_sign_out_ends_the_session(world: World) -> None:
    client = client_for(world)
    token = sign_in(client, "admin")
    assert client.post("/signout", data={"csrf": token}).status_code == 303
    assert client.get("/queue").status_code == 303


# -- scope ----------------------------------------------------------------------------------------


def test_an_agency_clerk_sees_only_that_agencys_intakes(world: World) -> None:
    client = client_for(world)
    token = sign_in(client, "jetro-clerk")
    scb_id = world.ids["scb_rejected"]
    queue = client.get("/queue?status=all").text
    assert "株式会社大阪見本" in queue
    assert "alert" not in queue and f'href="/intakes/{scb_id}"' not in queue
    assert client.get(f"/intakes/{scb_id}").status_code == 404
    assert client.get(f"/intakes/{scb_id}/pages/1.png").status_code == 404
    assert client.post(f"/intakes/{scb_id}/reject", data={"csrf": token, "message": "x"}).status_code == 404
    assert client.get(f"/ledger?intake={scb_id}").status_code == 404
    assert world.store.intakes.get(scb_id).status == "rejected"  # type: ignore[union-attr]
    assert client.get(f"/intakes/{world.ids['jetro_not_in_tokyo']}").status_code == 200


def test_clerks_are_not_admins(world: World) -> None:
    client = client_for(world)
    token = sign_in(client, "scb-clerk")
    assert client.get("/outbox").status_code == 403
    assert client.get("/reprocess").status_code == 403
    assert client.post("/reprocess", data={"csrf": token, "ids": "1"}).status_code == 403


# -- pages ----------------------------------------------------------------------------------------


def test_every_page_renders_in_japanese(world: World, admin: tuple[TestClient, str]) -> None:
    client, _ = admin
    pages = {
        "/queue": "審査待ち一覧",
        "/queue?status=all&search=サンプル&since=2020-01-01&until=2099-12-31": "株式会社サンプル精機",
        "/queue?reason=SMRJ_DIRECT_ONLY": "中小機構は直接申込",
        f"/intakes/{world.ids['jetro_routed']}": "読み取った内容",
        f"/intakes/{world.ids['smrj_rejected']}": "差戻しの文面",
        "/deadlines": "連絡期限",
        "/outbox?state=all": "送信状況",
        "/reprocess": "一括再処理",
        "/ledger": "支援台帳",
        "/ledger?company=4010001234567": "利用可能残額",
        f"/ledger?intake={world.ids['jetro_routed']}": "様式2をPDFで発行",
    }
    for path, text in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert text in response.text, path
        assert response.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in response.headers["content-security-policy"]
    png = client.get(f"/intakes/{world.ids['jetro_routed']}/pages/1.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert client.get(f"/intakes/{world.ids['jetro_routed']}/pages/9.png").status_code == 404
    assert client.get("/intakes/999999").status_code == 404


def test_values_are_shown_as_text_never_markup(world: World, admin: tuple[TestClient, str]) -> None:
    client, _ = admin
    html = client.get(f"/intakes/{world.ids['scb_rejected']}").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;{{ 7*7 }}=1+1" in html


def test_queue_lists_open_intakes_newest_first_and_filters(
    world: World, admin: tuple[TestClient, str]
) -> None:
    client, _ = admin
    html = client.get("/queue").text
    rejected = [world.ids[k] for k in ("scb_rejected", "jetro_not_in_tokyo", "smrj_rejected")]
    positions = [html.find(f'href="/intakes/{i}"') for i in rejected]
    assert all(p > 0 for p in positions) and positions == sorted(positions)
    assert f'href="/intakes/{world.ids["jetro_routed"]}"' not in html  # routed: not in the open queue
    only = client.get("/queue?agency=smrj").text
    assert f'href="/intakes/{world.ids["smrj_rejected"]}"' in only
    assert f'href="/intakes/{world.ids["jetro_not_in_tokyo"]}"' not in only


# -- the review actions ---------------------------------------------------------------------------


def test_correct_preview_commit_and_route(world: World, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    intake_id = world.ids["jetro_not_in_tokyo"]
    page = client.get(f"/intakes/{intake_id}").text
    assert "都内事業所なし" in page
    fix = {"csrf": token, "f.hq_address": "東京都大田区蒲田9丁目8番7号"}
    preview = client.post(f"/intakes/{intake_id}/preview", data=fix)
    assert preview.status_code == 200
    assert "まだ保存していません" in preview.text and "受付可（転送済み）" in preview.text
    assert world.store.intakes.corrections(intake_id) == {}  # a preview writes nothing
    assert client.post(f"/intakes/{intake_id}/fix", data=fix).status_code == 303
    assert world.store.intakes.corrections(intake_id) == {"hq_address": "東京都大田区蒲田9丁目8番7号"}
    assert "保存した修正による判定" in client.get(f"/intakes/{intake_id}").text
    routed = client.post(f"/intakes/{intake_id}/route", data={"csrf": token})
    assert routed.status_code == 303
    row = world.store.intakes.get(intake_id)
    assert row is not None and row.status == "routed"
    by = {e.kind: e.actor for e in world.store.events.of(intake_id)}
    assert by["corrected"] == "admin" and by["routed_by_clerk"] == "admin"
    kinds = {m.kind for m in world.store.outbox.items() if m.intake_id == intake_id}
    assert "agency_forward" in kinds


def test_routing_a_form_that_still_fails_is_refused_with_its_reasons(
    world: World, admin: tuple[TestClient, str]
) -> None:
    client, token = admin
    intake_id = world.ids["scb_rejected"]
    response = client.post(f"/intakes/{intake_id}/route", data={"csrf": token})
    assert response.status_code == 409
    assert "実行できませんでした" in response.text and "SCB_REQUIRES_SHINKIN" in response.text
    assert world.store.intakes.get(intake_id).status == "rejected"  # type: ignore[union-attr]


def test_reject_with_an_edited_message_then_mark_handled(world: World, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    intake_id = world.ids["smrj_rejected"]
    message = "中小機構へは企業から直接お申し込みください。\n不明点は担当までご連絡ください。"
    assert (
        client.post(f"/intakes/{intake_id}/reject", data={"csrf": token, "message": message}).status_code
        == 303
    )
    events = {e.kind: e for e in world.store.events.of(intake_id)}
    assert events["rejected_by_clerk"].actor == "admin"
    assert "直接お申し込みください" in events["rejected_by_clerk"].detail["message"]
    assert client.post(f"/intakes/{intake_id}/handled", data={"csrf": token, "note": "済"}).status_code == 303
    assert "対応済み（admin" in client.get(f"/intakes/{intake_id}").text


@pytest.mark.slow  # WeasyPrint lays out the PDF with the Japanese font: a few seconds
def test_youshiki3_is_issued_as_a_pdf_from_a_routed_intake(
    world: World, admin: tuple[TestClient, str]
) -> None:
    client, token = admin
    intake_id = world.ids["jetro_routed"]
    response = client.post(f"/intakes/{intake_id}/youshiki3", data={"csrf": token})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF-")
    assert any(e.kind == "youshiki3_issued" and e.actor == "admin" for e in world.store.events.of(intake_id))


@pytest.mark.slow  # the dry run reads the PDFs again in reader processes
def test_bulk_reprocess_dry_run_shows_progress_and_changes_nothing(
    world: World, admin: tuple[TestClient, str]
) -> None:
    client, token = admin
    ids = f"{world.ids['jetro_routed']} {world.ids['scb_routed']}"
    before = [world.store.intakes.get(world.ids[k]).decision for k in ("jetro_routed", "scb_routed")]  # type: ignore[union-attr]
    started = client.post("/reprocess", data={"csrf": token, "ids": ids})
    assert started.status_code == 303 and started.headers["location"].startswith("/jobs/")
    job_url = started.headers["location"]
    deadline = time.monotonic() + 120
    while not (status := client.get(job_url + ".json").json())["finished"]:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert status["error"] is None and status["percent"] == 100 and status["total"] == 2
    html = client.get(job_url).text
    assert "判定が変わる申込み：0件／変わらない申込み：2件" in html
    after = [world.store.intakes.get(world.ids[k]).decision for k in ("jetro_routed", "scb_routed")]  # type: ignore[union-attr]
    assert after == before
    other = client_for(world)
    sign_in(other, "jetro-clerk")
    assert other.get(job_url).status_code == 404  # a job is its owner's (and the admins')


def test_deadlines_list_unanswered_youshiki3_and_respect_the_clerks_agency(world: World) -> None:
    key = CompanyKey.for_corporation("4010001234567")
    today = dt.datetime.now(JST).date()
    for agency, due in (("jetro", today - dt.timedelta(days=3)), ("scb", today + dt.timedelta(days=5))):
        world.store.youshiki3.record_issued(
            key=key, company_name="株式会社期日確認", bank_name="みほん銀行", agency=agency,
            intake_id=None, issued_on=today - dt.timedelta(days=40), due_on=due, files=["y3.pdf"],
        )  # fmt: skip
    jetro = client_for(world)
    sign_in(jetro, "jetro-clerk")
    page = jetro.get("/deadlines").text
    assert "期日超過（3日）" in page and "株式会社期日確認" in page
    assert "あと5日" not in page, "a jetro clerk does not see scb's 様式3"
    scb = client_for(world)
    sign_in(scb, "scb-clerk")
    assert "あと5日" in scb.get("/deadlines").text


# -- long operations as jobs: the 様式3 batch, the support import ---------------------------------


def store_events(store: Store) -> list:
    """The events of no one intake (batches, imports), oldest first."""
    return store.events.of(None)


def finished_job(client: TestClient, job_url: str, timeout_s: float = 120) -> dict:
    """Polls the job's progress JSON until it is finished; the last JSON."""
    deadline = time.monotonic() + timeout_s
    while not (status := client.get(job_url + ".json").json())["finished"]:
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    return status


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
