"""Every date the rules see is the day in Japan of the moment of receipt, whatever zone it is written in
(DOMAIN "Dates"): the helper, the rulebook in force, and the received day a mail's headers give."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from forms.errors import Code
from forms.intake.mime import parse_mail
from forms.jp.wareki import JST, date_in_japan
from forms.pipeline import received_on
from forms.rules.loader import Rulebooks, load_rulebooks
from tests.support.rulebooks import r8_r9_folder

#: The last second of 令和8年度 and the first of 令和9年度, in Japan.
LAST_R8 = dt.datetime(2027, 3, 31, 23, 59, 59, tzinfo=JST)
FIRST_R9 = dt.datetime(2027, 4, 1, 0, 0, 0, tzinfo=JST)
ZONES = {"+0000": dt.UTC, "+0900": JST, "-0800": dt.timezone(dt.timedelta(hours=-8))}
CASES = [(LAST_R8, dt.date(2027, 3, 31), "R8"), (FIRST_R9, dt.date(2027, 4, 1), "R9")]


@pytest.fixture(scope="module")
def r8_r9(tmp_path_factory: pytest.TempPathFactory) -> Rulebooks:
    return load_rulebooks(r8_r9_folder(tmp_path_factory.mktemp("rules") / "r8r9"))


def mail_dated(date: str, received: str | None = None) -> bytes:
    head = f"Received: from bank.example.jp by mx.example.jp; {received}\r\n" if received else ""
    return (
        head + "From: officer@bank.example.jp\r\nTo: mailroom@example.jp\r\n"
        f"Date: {date}\r\nSubject: x\r\nMessage-ID: <d@bank.example.jp>\r\n\r\nbody\r\n"
    ).encode()


def rfc5322(moment: dt.datetime, zone: str) -> str:
    return moment.astimezone(ZONES[zone]).strftime("%a, %d %b %Y %H:%M:%S ") + zone


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("moment", "day", "book"), CASES)
def test_the_day_and_the_rulebook_are_japans_in_every_zone(
    r8_r9: Rulebooks, moment: dt.datetime, day: dt.date, book: str, zone: str
) -> None:
    written = moment.astimezone(ZONES[zone])
    assert date_in_japan(written) == day
    assert r8_r9.in_force_at(written).id == book


def test_a_naive_time_is_japan_time() -> None:
    assert date_in_japan(dt.datetime(2027, 4, 1, 0, 0)) == dt.date(2027, 4, 1)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("moment", "day", "book"), CASES)
def test_a_mail_is_received_on_the_day_in_japan_of_its_date_header(
    moment: dt.datetime, day: dt.date, book: str, zone: str
) -> None:
    mail = parse_mail(mail_dated(rfc5322(moment, zone)))
    assert received_on(mail, None) == day


@pytest.mark.parametrize("zone", ZONES)
def test_the_received_header_and_then_the_moment_of_receipt_come_before_the_date_header(zone: str) -> None:
    mail = parse_mail(mail_dated(rfc5322(LAST_R8, "+0900"), received=rfc5322(FIRST_R9, zone)))
    assert received_on(mail, None) == dt.date(2027, 4, 1)
    assert received_on(mail, LAST_R8.astimezone(ZONES[zone])) == dt.date(2027, 3, 31)


def test_r9_fixture_differs_where_the_tests_look(tmp_path: Path) -> None:
    books = load_rulebooks(r8_r9_folder(tmp_path / "rules"))
    r8, r9 = books.books
    assert (r8.contact_sla.business_days, r9.contact_sla.business_days) == (7, 5)
    assert r9.message(Code.FIELD_MISSING, label="企業名").startswith("【令和9年度】")
    assert not r8.message(Code.FIELD_MISSING, label="企業名").startswith("【令和9年度】")
