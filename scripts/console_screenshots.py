"""Screenshots of the console's pages for the agencies' side, for the README (docs/console-*.png).

    .venv/bin/python scripts/console_screenshots.py [--out docs]

A throwaway home under $TMPDIR: the shared samples routed by the real mailroom (file transport:
nothing leaves the machine), a support recorded, a 様式3 issued and queued by mail, an admin; the
console served by uvicorn on a loopback port and photographed with Playwright driving Debian's
chromium (/usr/bin/chromium), as tests/browser does. The pages: 期限 (contact deadlines with the
「連絡済みにする」 buttons, 様式3 answers due), 出力 (exports) and APIトークン (a token just made).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from PIL import Image
from playwright.sync_api import Page, sync_playwright

from forms.access.accounts import Users
from forms.config import load_settings
from forms.console import create_app
from forms.documents.sending import DocumentPost
from forms.ledger import CompanyKey, SupportRecord
from forms.mailroom.worker import Mailroom
from forms.review import Review
from forms.store import Store

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PASSWORD = "screenshot password 0123"


def prepared_home(home: Path) -> Path:
    env = {"FORMS_HOME": str(home), "FORMS_WORKERS": "1", "FORMS_OUTBOX_DIR": str(home / "outbox")}
    env["FORMS_AGENCY_INBOXES"] = "jetro=jetro@agency.example.jp,scb=scb@agency.example.jp"
    settings = load_settings(env=env)
    room = Mailroom.open(settings)
    for name in ("jetro-fillable.pdf", "scb-shinkin-flattened.pdf"):
        room.spool.put((SAMPLES / name).read_bytes(), channel="cli", meta={"source": name})
    room.drain()
    key = CompanyKey.for_corporation("4010001234567")
    assert room.ledger is not None
    room.ledger.add_support(
        key, SupportRecord("jetro", dt.date(2026, 6, 10), "海外ミニ調査サービス", 300_000)
    )
    post = DocumentPost(
        room.store, settings, rulebooks=room.pipeline.rulebooks, ledger=room.ledger, texts=room.templates
    )
    form = post.routed_form(key, "jetro")
    assert form is not None
    post.youshiki3(form, issued_on=dt.date(2026, 11, 2), send=True, actor="admin")
    Users(room.store).add("admin", role="admin", password=PASSWORD)
    room.close()
    return home


class Served:
    """uvicorn on 127.0.0.1 at a port the kernel chose, in a thread."""

    def __init__(self, app: object) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve(sockets=[self.sock])))

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def photograph(page: Page, base: str, out: Path) -> list[Path]:
    page.goto(f"{base}/signin")
    page.fill("input[name=name]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    shots = []
    for name, path in (("deadlines", "/deadlines"), ("exports", "/exports")):
        page.goto(base + path)
        shots.append(out / f"console-{name}.png")
        page.screenshot(path=str(shots[-1]), full_page=True)
    page.goto(f"{base}/tokens")
    page.fill("input[name=label]", "ジェトロ 案件管理システム")
    page.click("form[action='/tokens'] button[type=submit]")
    shots.append(out / "console-tokens.png")
    page.screenshot(path=str(shots[-1]), full_page=True)
    return shots


def small(path: Path) -> Path:
    """The screenshot in 64 colours: text pages stay sharp at a third of the size."""
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=64).save(path, optimize=True)
    return path


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=REPO / "docs")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = prepared_home(Path(tmp) / "home")
        settings = load_settings(env={"FORMS_HOME": str(home)})
        with Store.open(settings.store_url) as store:
            app = create_app(settings, review=Review(store, settings), secret="screenshots-" * 4)
            with Served(app) as base, sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1100, "height": 700}, locale="ja-JP")
                for shot in photograph(page, base, args.out):
                    print(f"{small(shot)} ({shot.stat().st_size:,} bytes)")
                browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
