"""The clerk console in a real browser: Playwright driving Debian's chromium (/usr/bin/chromium; the
browser Playwright would download cannot be fetched here) against uvicorn on a loopback port.

A bank mails a scanned 様式1 that OCR reads with less than the (deliberately high) confidence asked,
and whose bank e-mail is blank: the mailroom keeps it for review. A clerk of the agency signs in,
opens it beside its page image, types the missing e-mail, sees the decision change before saving,
saves, routes it — and the forward arrives at the agency's SMTP sink. A clerk of another agency
cannot open it, and a form posted without its CSRF token is refused. Screenshots of the queue and
the intake page are kept in tests/artifacts/ (Japanese must be readable in them).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
import uvicorn
from argon2 import PasswordHasher

from forms.access.accounts import Users
from forms.console import create_app
from forms.mailroom.worker import Mailroom
from forms.review import Review
from forms.store import Store
from tests.support.paths import ARTIFACTS, SAMPLES
from tests.support.settings import make_settings
from tests.support.smtp_sink import Recorder, parsed
from tests.support.youshiki1 import blotted_scan, sample_values

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"
BANK_EMAIL = "nanami@reiji-shinkumi.example.jp"
KOSHA_INBOX = "kosha@agency.example.jp"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian chromium is not installed (apt-get install chromium)"
    ),
    pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo"),
]


def scanned_form_without_bank_email(folder: Path) -> bytes:
    """The kosha sample's values with the bank's e-mail left blank and an ink blot over the capital,
    printed and scanned (fill.py): the capital cannot be read with certainty, so it waits for a clerk."""
    return blotted_scan(sample_values("kosha-scanned", bank_email=""), "capital_yen", folder)


def bank_mail(pdf: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = "nanami@reiji-shinkumi.example.jp", "mailroom@example.jp"
    msg["Subject"], msg["Message-ID"] = (
        "様式1の送付（例示フーズ）",
        "<browser-test-scan@reiji-shinkumi.example.jp>",
    )
    msg.set_content("様式1を送付します。よろしくお願いいたします。")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="申込書_例示フーズ.pdf")
    return msg.as_bytes()


class LoopbackServer:
    """uvicorn serving the app on 127.0.0.1 at a port the kernel chose, in a thread."""

    def __init__(self, app: object) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve(sockets=[self.sock])))

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def test_a_clerk_corrects_a_scan_sees_the_decision_change_and_routes_it(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    port, recorder = sink
    settings = make_settings(
        tmp_path,
        FORMS_WORKERS="1",
        FORMS_TRANSPORT="smtp",
        FORMS_SMTP_HOST="127.0.0.1",
        FORMS_SMTP_PORT=str(port),
        FORMS_SMTP_SECURITY="none",
        FORMS_AGENCY_INBOXES=f"kosha={KOSHA_INBOX},jetro=jetro@agency.example.jp",
    )
    room = Mailroom.open(settings)
    room.spool.put(bank_mail(scanned_form_without_bank_email(tmp_path)), channel="smtp", meta={})
    room.drain()
    room.close()
    store = Store.open(settings.store_url)
    (row,) = store.intakes.latest(limit=5)
    assert row.status == "needs_review", row.decision
    recorder.received.clear()  # the bank's "kept for review" notice
    users = Users(store, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    users.add("kosha-clerk", role="clerk", agency="kosha", password=PASSWORD)
    users.add("jetro-clerk", role="clerk", agency="jetro", password=PASSWORD)
    review = Review(store, settings)
    app = create_app(settings, review=review, accounts=users, secret="browser-test-secret-0123456789")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        with LoopbackServer(app) as base, sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                clerk_flow(browser, base, row.id)
                other_agency_is_refused(browser, base, row.id)
            finally:
                browser.close()
        routed = store.intakes.get(row.id)
        assert routed is not None and routed.status == "routed"
        assert {e.kind: e.actor for e in store.events.of(row.id)}["routed_by_clerk"] == "kosha-clerk"
        sender = Mailroom.open(settings)  # the mailroom's sender delivers what the clerk queued
        try:
            sender.drain()
        finally:
            sender.close()
        forwards = [parsed(raw) for _, rcpts, raw, _ in recorder.received if KOSHA_INBOX in rcpts]
        assert len(forwards) == 1
        assert (
            routed.reference
            and routed.reference
            in str(forwards[0]["Subject"]) + forwards[0].get_body(("plain",)).get_content()
        )
    finally:
        review.close()
        store.close()


def sign_in(page: object, base: str, name: str) -> None:
    page.goto(f"{base}/queue")  # type: ignore[attr-defined]
    page.fill("input[name=name]", name)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]


def clerk_flow(browser: object, base: str, intake_id: int) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")  # type: ignore[attr-defined]
    page = context.new_page()
    sign_in(page, base, "kosha-clerk")
    page.wait_for_url(f"{base}/queue")
    sync_api.expect(page.locator("table.queue")).to_contain_text("株式会社例示フーズ")
    page.screenshot(path=str(ARTIFACTS / "console-queue.png"), full_page=True)

    page.click(f'a[href="/intakes/{intake_id}"]')
    sync_api.expect(page.locator("#status")).to_have_text("要確認")
    sync_api.expect(page.locator("tr.failing", has_text="金融機関E-mail")).to_have_count(1)
    sync_api.expect(page.locator("svg.outlines a.unsure[data-field=capital_yen] rect")).to_be_visible()
    page.wait_for_function("() => document.querySelector('.pages img').naturalWidth > 500")  # the page image

    page.click("#preview-button")  # unchanged: the clerk vouches for what was read, but the e-mail is blank
    sync_api.expect(page.locator("#preview-status")).to_have_text("差戻し")
    page.fill("#f-bank_email", BANK_EMAIL)
    page.fill("#f-capital_yen", "¥10,000,000")  # what the blot hides, as the clerk reads it on the page
    page.click("#preview-button")
    sync_api.expect(page.locator("#preview")).to_contain_text("まだ保存していません")
    sync_api.expect(page.locator("#preview-status")).to_have_text("受付可（転送済み）")
    page.screenshot(path=str(ARTIFACTS / "console-intake.png"), full_page=True)

    no_csrf = page.evaluate(  # the same form posted without its token is refused
        """async () => {
             const form = document.querySelector('#preview form');
             const data = new FormData(form);
             data.delete('csrf');
             const r = await fetch(form.action, {method: 'POST', body: data});
             return r.status; }"""
    )
    assert no_csrf == 403

    page.click("#commit")
    sync_api.expect(page.locator(".notice")).to_have_text("修正を保存しました。")
    sync_api.expect(page.locator("#preview-status")).to_have_text("受付可（転送済み）")
    page.click("#route")
    sync_api.expect(page.locator(".notice")).to_contain_text("支援機関へ転送しました")
    sync_api.expect(page.locator("#status")).to_have_text("受付可（転送済み）")
    context.close()


def other_agency_is_refused(browser: object, base: str, intake_id: int) -> None:
    context = browser.new_context(locale="ja-JP")  # type: ignore[attr-defined]
    page = context.new_page()
    sign_in(page, base, "jetro-clerk")
    page.wait_for_url(f"{base}/queue")
    response = page.goto(f"{base}/intakes/{intake_id}")
    assert response is not None and response.status == 404
    sync_api.expect(page.locator("h1")).to_contain_text("見つかりません")
    context.close()
