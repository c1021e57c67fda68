"""The clerk console over HTTP: a store filled by the real mailroom from real PDFs, clients, sign-in."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from starlette.testclient import TestClient

from forms.access.accounts import Users
from forms.config import Settings
from forms.console import create_app
from forms.console.throttle import SignInLimiter
from forms.mailroom.worker import Mailroom
from forms.review import Review
from forms.store import Store
from tests.support.paths import SAMPLES
from tests.support.settings import make_settings
from tests.support.youshiki1 import filled_pdf

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


def inputs(tmp: Path) -> dict[str, Path]:
    jetro = json.loads((SAMPLES / "jetro-fillable.values.json").read_text(encoding="utf-8"))
    osaka = {**jetro, "hq_address": "大阪府大阪市北区梅田1丁目1番1号", "company_name": "株式会社大阪見本"}
    scb = {**jetro, "agency": "scb", "company_name": HOSTILE_NAME, "corporate_number": "3010401112233"}
    return {
        "jetro_routed": SAMPLES / "jetro-fillable.pdf",
        "scb_routed": SAMPLES / "scb-shinkin-flattened.pdf",
        "smrj_rejected": SAMPLES / "smrj-fillable.pdf",
        "jetro_not_in_tokyo": filled_pdf(osaka, tmp / "jetro-osaka.pdf"),
        "scb_rejected": filled_pdf(scb, tmp / "scb-via-bank.pdf"),
    }


def build_world(home: Path) -> World:
    settings = make_settings(home, FORMS_WORKERS="1", FORMS_OUTBOX_DIR=str(home / "outbox"))
    room = Mailroom.open(settings)
    spool_ids = {
        name: room.spool.put(path.read_bytes(), channel="cli", meta={"source": path.name}).spool_id
        for name, path in inputs(home).items()
    }
    room.drain()
    room.close()
    world = console_world(settings)
    by_spool = world.store.intakes.by_spool_id
    world.ids.update({name: by_spool(spool_id).id for name, spool_id in spool_ids.items()})  # type: ignore[union-attr]
    return world


def console_world(settings: Settings) -> World:
    """The console's side of the store of ``settings``: an admin, a jetro clerk and an scb clerk."""
    store = Store.open(settings.store_url)
    users = Users(store, hasher=FAST_ARGON2)
    users.add("admin", role="admin", password=PASSWORD)
    users.add("jetro-clerk", role="clerk", agency="jetro", password=PASSWORD)
    users.add("scb-clerk", role="clerk", agency="scb", password=PASSWORD)
    return World(settings, store, Review(store, settings), users, {})


def client_for(
    world: World,
    *,
    limiter: SignInLimiter | None = None,
    base_url: str = "https://testserver",
    ip: str = "192.0.2.10",
    settings: Settings | None = None,
) -> TestClient:
    """A client of a console app over the world's store, connecting from ``ip``."""
    app = create_app(
        settings or world.settings, review=world.review, accounts=world.users, secret=SECRET, limiter=limiter
    )
    return TestClient(app, base_url=base_url, follow_redirects=False, client=(ip, 50000))


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


def finished_job(client: TestClient, job_url: str, timeout_s: float = 120) -> dict[str, Any]:
    """Polls the job's progress JSON until it is finished; the last JSON."""
    deadline = time.monotonic() + timeout_s
    while not (status := client.get(job_url + ".json").json())["finished"]:
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    return status  # type: ignore[no-any-return]
