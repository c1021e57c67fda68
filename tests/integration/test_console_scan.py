"""The intake page of a scanned 様式1 (slow: OCR): each field's region outlined on the page image,
unsure fields in colour, and the evidence for each reading in words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from forms.access.accounts import Users
from forms.extract.ocr_engine import rapidocr_available
from forms.mailroom.worker import Mailroom
from forms.review import Review
from forms.store import Store
from tests.support.console import FAST_ARGON2, PASSWORD, World, client_for, sign_in
from tests.support.paths import SAMPLES
from tests.support.settings import make_settings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (SAMPLES / "kosha-scanned.pdf").exists(), reason="needs ../shared/samples"),
    pytest.mark.skipif(not rapidocr_available(), reason="needs rapidocr and onnxruntime"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]
OUTLINE = re.compile(
    r'<a href="#f-[^"]+" class="outline( certain| unsure)?" data-field="([^"]+)">\s*<title>([^<]*)</title>'
)


@pytest.fixture(scope="module")
def scanned_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    home = tmp_path_factory.mktemp("console-scan")
    settings = make_settings(home, FORMS_WORKERS="1", FORMS_OUTBOX_DIR=str(home / "outbox"))
    room = Mailroom.open(settings)
    scan = SAMPLES / "kosha-scanned.pdf"
    spool_id = room.spool.put(scan.read_bytes(), channel="cli", meta={"source": scan.name}).spool_id
    room.drain()
    room.close()
    store = Store.open(settings.store_url)
    row = store.intakes.by_spool_id(spool_id)
    assert row is not None
    users = Users(store, hasher=FAST_ARGON2)
    users.add("admin", role="admin", password=PASSWORD)
    return World(settings, store, Review(store, settings), users, {"scan": row.id})


def _page(world: World, tmp: Path) -> str:
    client: TestClient = client_for(world)
    sign_in(client, "admin")
    return client.get(f"/intakes/{world.ids['scan']}").text


def test_each_field_is_outlined_on_the_page_with_the_evidence_for_its_reading(
    scanned_world: World, tmp_path: Path
) -> None:
    html = _page(scanned_world, tmp_path)
    outlines = {field: (kind, title) for kind, field, title in OUTLINE.findall(html)}
    assert {"company_name", "hq_postal_code", "corporate_number", "agency", "bank_email"} <= set(outlines)
    kind, title = outlines["hq_postal_code"]
    assert kind == " certain" and "郵便番号と住所が一致" in title
    assert "チェックディジット一致" in outlines["corporate_number"][1]
    assert "郵便番号と住所が一致" in html and 'class="evidence"' in html


def test_an_unsure_field_is_outlined_in_colour(scanned_world: World, tmp_path: Path) -> None:
    html = _page(scanned_world, tmp_path)
    unsure = [field for kind, field, _ in OUTLINE.findall(html) if kind == " unsure"]
    # fictional bank names are no evidence either way: forwarded marked 要確認
    assert "bank_name" in unsure
    assert "要確認" in html
