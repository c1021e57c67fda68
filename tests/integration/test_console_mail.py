"""The console's batches that mail (様式2 for a period, 様式3 to the banks) and its plain 様式3 download,
over HTTP on an office whose mail goes to a real SMTP sink: `forms process` sends what the console
queued, each document once however often (or however quickly twice) a batch is pressed; a downloaded
様式3 is recorded with its reference, so the bank's answer quoting it closes that 様式3."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pypdf import PdfReader
from starlette.testclient import TestClient

from forms.extract.reference import find_youshiki3_reference
from tests.support.console import World, client_for, console_world, finished_job, sign_in
from tests.support.paths import SAMPLES
from tests.support.post import (
    SEIKI,
    SEIKI_BANK,
    SEIKI_MAIL,
    SHOJI_BANK,
    SHOJI_MAIL,
    Office,
    attachments,
    office,
)
from tests.support.youshiki3 import filled_docx, mail_bytes

pytestmark = [
    pytest.mark.slow,  # WeasyPrint lays out each PDF with the Japanese font
    pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]
PERIOD = {"period_from": "2026-06-01", "period_to": "2026-08-31"}


@contextmanager
def console_office(tmp_path: Path) -> Iterator[tuple[Office, World]]:
    with office(tmp_path) as o:
        world = console_world(o.settings)
        try:
            yield o, world
        finally:
            world.review.close()
            world.store.close()


def signed_in(world: World, name: str) -> tuple[TestClient, str]:
    client = client_for(world)
    return client, sign_in(client, name)


def pressed_twice_at_once(client: TestClient, path: str, form: dict[str, str]) -> list[str]:
    """The button pressed twice before the first job ends: both jobs run; the job pages, finished."""
    urls = [client.post(path, data=form).headers["location"] for _ in range(2)]
    for url in urls:
        assert finished_job(client, url)["error"] is None
    return [client.get(url).text for url in urls]


def pdf_text(data: bytes) -> str:
    return "".join("".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages).split())


def test_the_youshiki2_batch_of_a_period_mails_each_company_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with console_office(tmp_path) as (o, world):
        scb, scb_csrf = signed_in(world, "scb-clerk")
        form = {"agency": "jetro", **PERIOD, "format": "pdf", "send": "1"}
        assert scb.post("/youshiki2/batch", data={"csrf": scb_csrf, **form}).status_code == 403
        assert scb.post("/youshiki2/batch", data=form).status_code == 403  # no CSRF token
        jetro, csrf = signed_in(world, "jetro-clerk")
        page = jetro.get("/ledger").text
        assert 'action="/youshiki2/batch"' in page and '<option value="scb">' not in page
        pages = pressed_twice_at_once(jetro, "/youshiki2/batch", {"csrf": csrf, **form})
        assert sorted("様式2を1件発行しました" in p for p in pages) == [False, True], "one of them issues it"
        again = jetro.post("/youshiki2/batch", data={"csrf": csrf, **form}).headers["location"]
        finished_job(jetro, again)
        assert "発行済みのため発行しなかったもの: 1件" in jetro.get(again).text
        for _ in range(2):
            assert o.forms(monkeypatch, "process") == 0
        (mail,) = o.mails_to(SEIKI_MAIL, "youshiki2")
        (issued,) = world.store.youshiki2.issued(agency="jetro")
        assert issued.reference in str(mail["Subject"]) and issued.recipients == (SEIKI_MAIL,)
        (pdf,) = attachments(mail).values()
        assert issued.reference in pdf_text(pdf) and "株式会社サンプル精機" in pdf_text(pdf)
        assert o.mails_to(SHOJI_MAIL) == [], "scb's company is not jetro's to report"


def test_the_youshiki3_batch_mails_each_bank_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with console_office(tmp_path) as (o, world):
        admin, csrf = signed_in(world, "admin")
        assert 'name="send"' in admin.get("/deadlines").text
        form = {"csrf": csrf, "agency": "", "format": "docx,pdf", "send": "1"}
        pages = pressed_twice_at_once(admin, "/youshiki3/batch", form)
        counts = [int(re.findall(r"様式3を(\d+)件発行しました", p)[0]) for p in pages]
        assert sum(counts) == 2 and all("送信キューに入れました" in p for p in pages)
        again = admin.post("/youshiki3/batch", data=form).headers["location"]
        finished_job(admin, again)
        assert "様式3を0件発行しました" in admin.get(again).text
        for _ in range(2):
            assert o.forms(monkeypatch, "process") == 0
        (jetro,) = o.mails_to(SEIKI_BANK, "youshiki3")
        (scb,) = o.mails_to(SHOJI_BANK, "youshiki3")
        issued = {i.agency: i for i in world.store.youshiki3.issued()}
        assert issued["jetro"].reference in str(jetro["Subject"]) and issued["scb"].recipients == (
            SHOJI_BANK,
        )
        names = sorted(attachments(jetro))
        assert [n.split("-")[0] for n in names] == ["youshiki1", "youshiki2", "youshiki3", "youshiki3"]
        assert sorted(n.rsplit(".")[-1] for n in attachments(scb)) == ["docx", "pdf"]


def test_a_youshiki3_downloaded_from_the_console_is_answered_by_its_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with console_office(tmp_path) as (o, world):
        older = ("youshiki3", SEIKI, "--agency", "jetro", "--issued", "2026-09-01")
        assert o.forms(monkeypatch, *older) == 0  # an open 様式3 of the same company, issued before
        intake_id = world.store.youshiki3.routed_forms(["jetro"])[0].intake_id
        admin, csrf = signed_in(world, "admin")
        pdf = admin.post(f"/intakes/{intake_id}/youshiki3", data={"csrf": csrf})
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        reference = find_youshiki3_reference(pdf_text(pdf.content))
        issued = world.store.youshiki3.by_reference(reference or "")
        assert issued is not None and issued.intake_id == intake_id and issued.recipients == ()
        assert [Path(f).read_bytes() for f in issued.files] == [pdf.content]
        assert [i.kind for i in world.store.outbox.items() if i.kind == "youshiki3"] == [], "not mailed"
        answer = mail_bytes(filled_docx(), "様式3.docx", subject=f"様式3のご返送（照会番号 {reference}）")
        (o.home / "mailroom" / "new").mkdir(parents=True, exist_ok=True)
        (o.home / "mailroom" / "new" / "answer.eml").write_bytes(answer)
        assert o.forms(monkeypatch, "process") == 0
        answered = {i.reference: i.answered_on for i in world.store.youshiki3.issued()}
        assert answered[reference] is not None and answered["R8-Y3-000001"] is None
