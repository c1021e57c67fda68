"""The clerk console over HTTP (Starlette's TestClient): sign-in, CSRF, agency scope, rate limit,
the review actions, and every page rendering — on a real store filled by the real mailroom from
real PDFs (the samples, and forms filled with ../shared/forms/fill.py)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from forms.console.context import JST
from forms.console.throttle import SignInLimiter
from forms.ledger import CompanyKey
from tests.support.console import (
    PASSWORD,
    World,
    client_for,
    csrf_of,
    sign_in,
)
from tests.support.paths import SAMPLES

pytestmark = [
    pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

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
    limiter = SignInLimiter(per_ip=5, window_s=300)
    client = client_for(world, limiter=limiter)
    token = csrf_of(client.get("/signin").text)
    for _ in range(5):
        wrong = client.post("/signin", data={"csrf": token, "name": "admin", "password": "wrong password"})
        assert wrong.status_code == 401
        assert "パスワードが違います" in wrong.text
    right = client.post("/signin", data={"csrf": token, "name": "admin", "password": PASSWORD})
    assert right.status_code == 429  # even the right password, until the window has passed
    other = client_for(world, limiter=limiter, ip="192.0.2.99")
    data = {"csrf": csrf_of(other.get("/signin").text), "name": "admin", "password": PASSWORD}
    assert other.post("/signin", data=data).status_code == 303  # the limit is per IP


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
        url = url.replace("{token_id:int}", "1")
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


def test_agency_staff_mark_a_submission_contacted_only_within_their_agency(world: World) -> None:
    scb_id, jetro_id = world.ids["scb_routed"], world.ids["jetro_routed"]
    jetro = client_for(world)
    token = sign_in(jetro, "jetro-clerk")
    page = jetro.get("/deadlines").text
    assert f'action="/intakes/{jetro_id}/contacted"' in page
    assert jetro.post(f"/intakes/{scb_id}/contacted", data={"csrf": token}).status_code == 409
    done = jetro.post(f"/intakes/{jetro_id}/contacted", data={"csrf": token})
    assert done.status_code == 303
    assert f'action="/intakes/{jetro_id}/contacted"' not in jetro.get(done.headers["location"]).text
    row = world.store.intakes.get(jetro_id)
    assert row is not None and row.contacted_by == "jetro-clerk"
    assert world.store.intakes.get(scb_id).contacted_at is None  # type: ignore[union-attr]
    assert jetro.post(f"/intakes/{jetro_id}/contacted", data={"csrf": token}).status_code == 409  # once
