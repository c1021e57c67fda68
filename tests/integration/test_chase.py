"""The scheduler (`forms chase`, the one inside `forms serve`) on a real store and a real SMTP sink:
様式3 reminders sent once each at the right business day across a holiday week and the year-end
closure, however often and however concurrently it runs; each agency's digest lists the submissions
whose contact deadline is today or past and drops the ones marked contacted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forms.store import Store
from tests.support.paths import SAMPLES
from tests.support.post import SEIKI, SEIKI_BANK, SHOJI, SHOJI_BANK, office

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")


def chase(o, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], today: str) -> list[str]:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    assert o.forms(monkeypatch, "chase", "--today", today, "--json") == 0
    queued = json.loads(capsys.readouterr().out)["queued"]
    return [k for k in queued if k.startswith("youshiki3")]


def test_reminders_go_once_at_the_right_business_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with office(tmp_path) as o:
        for number, agency, issued, due in (
            (SEIKI, "jetro", "2026-08-03", "2026-09-24"),
            (SHOJI, "scb", "2026-11-02", "2027-01-04"),
        ):
            assert (
                o.forms(
                    monkeypatch,
                    "youshiki3",
                    number,
                    "--agency",
                    agency,
                    "--issued",
                    issued,
                    "--due",
                    due,
                    "--send",
                )
                == 0
            )
        days = ["2026-09-15", "2026-09-16", "2026-09-16", "2026-09-24", "2026-09-25", "2026-12-23",
                "2026-12-24", "2026-12-28", "2026-12-29", "2027-01-04", "2027-01-05", "2027-01-05",
                "2027-01-06"]  # fmt: skip
        sent = [(day, chase(o, monkeypatch, capsys, day)) for day in days]
        assert [(d, keys) for d, keys in sent if keys] == [
            ("2026-09-16", ["youshiki3_reminder:R8-Y3-000001"]),
            ("2026-09-25", ["youshiki3_overdue:R8-Y3-000001"]),
            ("2026-12-24", ["youshiki3_reminder:R8-Y3-000002"]),
            ("2027-01-05", ["youshiki3_overdue:R8-Y3-000002"]),
        ]
        assert o.forms(monkeypatch, "process") == 0
        for bank in (SEIKI_BANK, SHOJI_BANK):
            assert len(o.mails_to(bank, "youshiki3_reminder")) == 1
            (late,) = o.mails_to(bank, "youshiki3_overdue")
            assert late["Auto-Submitted"] == "auto-generated" and "R8-Y3-00000" in str(late["Subject"])


def test_two_schedulers_at_once_queue_each_notice_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with office(tmp_path) as o:
        argv = (
            "youshiki3",
            SEIKI,
            "--agency",
            "jetro",
            "--issued",
            "2026-08-03",
            "--due",
            "2026-09-24",
            "--send",
        )
        assert o.forms(monkeypatch, *argv) == 0
        runs = [o.spawn("chase", "--today", "2030-01-07", "--json") for _ in range(3)]
        outs = [json.loads(p.communicate(timeout=240)[0]) for p in runs]
        queued = [k for out in outs for k in out["queued"]]
        assert sorted(queued) == sorted(set(queued)) and "youshiki3_overdue:R8-Y3-000001" in queued
        with Store.open(o.settings.store_url) as store:
            kinds = [i.kind for i in store.outbox.items()]
        assert kinds.count("youshiki3_overdue") == 1 and kinds.count("contact_digest") == 2


def test_the_digest_lists_the_deadlines_due_and_drops_the_contacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with office(tmp_path) as o:
        chase(o, monkeypatch, capsys, "2026-12-07")  # received today: nothing due yet
        assert o.forms(monkeypatch, "chase", "--today", "2030-01-07") == 0  # a Monday long after
        assert o.forms(monkeypatch, "review", "contacted", "R8-000001") == 0  # jetro's
        assert o.forms(monkeypatch, "chase", "--today", "2030-01-08") == 0
        assert o.forms(monkeypatch, "process") == 0
        jetro = o.mails_to("jetro@agency.example.jp", "contact_digest")
        scb = o.mails_to("scb@agency.example.jp", "contact_digest")
        assert len(jetro) == 1 and len(scb) == 2, "jetro was contacted before the second morning"
        jetro_text = jetro[0].get_body().get_content()  # type: ignore[union-attr]
        assert (
            "R8-000001" in jetro_text
            and "株式会社サンプル精機" in jetro_text
            and "R8-000002" not in jetro_text
        )
        for mail in scb:
            text = mail.get_body().get_content()  # type: ignore[union-attr]
            assert "R8-000002" in text and "見本商事株式会社" in text and "R8-000001" not in text
        assert "1件" in str(jetro[0]["Subject"])
