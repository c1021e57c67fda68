"""The fiscal-year boundary: an intake received at 2027-03-31 23:59:59 JST is 令和8年度's, one at
2027-04-01 00:00:00 JST is 令和9年度's, whatever zone the mail's Date header and the receipt time are
written in (+0000, +0900, −0800): the rulebook, the reference number, the received day and the contact
deadline, through the mailroom and the clerks' desk, on SQLite and on PostgreSQL (whose session runs
in a third zone), and in a dry run that has only the headers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from forms.jp.wareki import JST
from forms.mailroom.worker import Mailroom
from forms.pipeline import Pipeline
from forms.review import Review
from tests.support.mailroom import INBOXES
from tests.support.paths import SAMPLES
from tests.support.pg import PostgresServer, running_postgres
from tests.support.rulebooks import r8_r9_folder
from tests.support.settings import make_settings
from tests.support.smtp_sink import parsed

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")

LAST_R8 = dt.datetime(2027, 3, 31, 23, 59, 59, tzinfo=JST)
FIRST_R9 = dt.datetime(2027, 4, 1, 0, 0, 0, tzinfo=JST)
ZONES = {"+0000": dt.UTC, "+0900": JST, "-0800": dt.timezone(dt.timedelta(hours=-8))}
#: moment → (rulebook, received day, contact deadline, contact days) as the bank's receipt says them
EXPECTED = {
    LAST_R8: ("R8", "令和9年3月31日（水）", "令和9年4月9日（金）", 7),
    FIRST_R9: ("R9", "令和9年4月1日（木）", "令和9年4月8日（木）", 5),
}
PDF = SAMPLES / "jetro-fillable.pdf"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'forms.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.create_database(f"fy_{uuid.uuid4().hex[:12]}")
    return url + "?options=-c%20timezone%3DAmerica/Los_Angeles"  # neither UTC nor Japan


def settings_for(home: Path, database_url: str = ""):
    return make_settings(
        home,
        FORMS_RULEBOOK_DIR=str(r8_r9_folder(home / "rules")),
        FORMS_DATABASE_URL=database_url,
        FORMS_AGENCY_INBOXES=INBOXES,
        FORMS_OUTBOX_DIR=str(home / "outbox"),
        FORMS_WORKERS="1",
    )


def bank_mail(moment: dt.datetime, zone: str, n: int) -> bytes:
    """A bank's 様式1 whose Date header is ``moment`` written in ``zone`` (its own sender, so that no
    two are the same submission)."""
    msg = EmailMessage()
    msg["From"], msg["To"] = f"officer{n}@bank.example.jp", "mailroom@example.jp"
    msg["Subject"], msg["Message-ID"] = "様式1の送付", f"<fy-{n}@bank.example.jp>"
    msg["Date"] = moment.astimezone(ZONES[zone]).strftime("%a, %d %b %Y %H:%M:%S ") + zone
    msg.set_content("様式1を送付します。")
    msg.add_attachment(PDF.read_bytes(), maintype="application", subtype="pdf", filename=PDF.name)
    return msg.as_bytes()


CASES = [(moment, zone) for moment in EXPECTED for zone in ZONES]


def test_the_mailroom_and_the_desk_judge_by_the_day_in_japan(tmp_path: Path, database_url: str) -> None:
    settings = settings_for(tmp_path, database_url)
    room = Mailroom.open(settings)
    try:
        spooled = {}
        for n, (moment, zone) in enumerate(CASES):
            received = moment.astimezone(ZONES[zone]).isoformat()  # the moment of receipt, in that zone
            entry = room.spool.put(bank_mail(moment, zone, n), channel="smtp", meta={"received_at": received})
            spooled[entry.spool_id] = (moment, zone)
        assert room.drain()["decided"] == len(CASES)
        items = room.store.outbox.items()
        receipts = {item.intake_id: parsed(item.raw) for item in items if item.kind == "bank_receipt"}
        review = Review(room.store, settings, pipeline=room.pipeline)
        deadlines = {d.intake_id: d for d in review.queue.deadlines(dt.date(2027, 4, 1))}
        for spool_id, (moment, zone) in spooled.items():
            book, day, deadline, days = EXPECTED[moment]
            row = room.store.intakes.by_spool_id(spool_id)
            assert row is not None and row.status == "routed", (zone, row)
            assert row.received_at == moment
            assert row.reference == f"{book}-{row.id:06d}", zone
            body = receipts[row.id].get_body(("plain",)).get_content()
            assert f"受付日　　：{day}" in body, (zone, body)
            assert f"連絡の目安：{deadline}まで" in body and f"原則{days}営業日" in body, (zone, body)
            due = deadlines[row.id]
            assert (due.received_on, due.due) == (_iso(day), _iso(deadline)), zone
            preview = review.corrections.preview(row.id, {"company_name": ""})
            missing = [r.message for r in preview.reasons if r.code == "FIELD_MISSING"]
            assert missing and missing[0].startswith("【令和9年度】") == (book == "R9"), (zone, missing)
    finally:
        room.close()


def _iso(wareki_day: str) -> dt.date:
    """令和9年4月8日（木） → 2027-04-08."""
    year, rest = wareki_day.removeprefix("令和").split("年")
    month, rest = rest.split("月")
    return dt.date(2018 + int(year), int(month), int(rest.split("日")[0]))


@pytest.mark.parametrize(("moment", "zone"), CASES)
def test_a_dry_run_judges_by_the_day_in_japan_of_the_date_header(
    dry_run: Pipeline, moment: dt.datetime, zone: str
) -> None:
    decision = dry_run.decide_bytes(bank_mail(moment, zone, 0), source="dry run")
    assert (decision.status, decision.rulebook) == ("routed", EXPECTED[moment][0])


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    with Pipeline(settings_for(tmp_path_factory.mktemp("dry-run"))) as pipeline:
        yield pipeline
