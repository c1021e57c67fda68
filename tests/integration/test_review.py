"""The Review service on a real store (SQLite in tmp_path), real sample PDFs and mails, real readers."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import insert

from forms.access.scope import Scope
from forms.config import Settings
from forms.errors import ReviewError
from forms.jp.business_days import add_business_days
from forms.jp.wareki import JST
from forms.mailroom.worker import Mailroom
from forms.model import OutgoingMessage
from forms.review import QueueFilter, Review
from forms.store import Store
from forms.store.schema import blobs, intakes
from tests.support.paths import SAMPLES
from tests.support.settings import make_settings
from tests.support.youshiki1 import blotted_scan, filled_pdf, jetro_values, sample_values

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo")

INBOXES = "jetro=jetro@agency.example.jp,scb=scb@agency.example.jp,kosha=kosha@agency.example.jp"
BANK = "kaigai@mihon-bank.example.jp"
RECEIVED = dt.datetime(2026, 6, 1, 10, 0, tzinfo=JST)  # a Monday


def filled(path: Path, values: dict[str, object]) -> bytes:
    return filled_pdf(values, path).read_bytes()


def bank_mail(pdf: bytes, message_id: str, name: str = "様式1.pdf") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = (
        BANK,
        "mailroom@example.jp",
        "様式1",
        message_id,
    )
    msg.set_content("様式1を送付します。")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=name)
    return msg.as_bytes()


def settings_for(home: Path, **env: str) -> Settings:
    extra = {"FORMS_AGENCY_INBOXES": INBOXES, "FORMS_OUTBOX_DIR": str(home / "outbox"), "FORMS_WORKERS": "1"}
    return make_settings(home, **{**extra, **env})


def receive(room: Mailroom, data: bytes, source: str, when: dt.datetime = RECEIVED) -> int:
    entry = room.spool.put(data, channel="smtp", meta={"source": source, "received_at": when.isoformat()})
    room.drain()
    row = room.store.intakes.by_spool_id(entry.spool_id)
    assert row is not None and row.state == "decided"
    return row.id


@pytest.fixture(scope="module")
def mailroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Mailroom, dict[str, int]]]:
    """One mailroom with a routed mail, a rejected mail (head office outside Tokyo) and a rejected PDF."""
    home = tmp_path_factory.mktemp("review-home")
    room = Mailroom.open(settings_for(home))
    osaka = filled(home / "osaka.pdf", jetro_values(hq_address="大阪府大阪市北区梅田1丁目1番1号"))
    ids = {
        "routed": receive(room, (SAMPLES / "jetro-bank.eml").read_bytes(), "jetro-bank.eml"),
        "osaka": receive(room, bank_mail(osaka, "<osaka-1@mihon-bank.example.jp>"), "osaka", RECEIVED),
        "smrj": receive(room, (SAMPLES / "smrj-fillable.pdf").read_bytes(), "smrj-fillable.pdf"),
    }
    yield room, ids
    room.close()


@pytest.fixture
def review(mailroom: tuple[Mailroom, dict[str, int]]) -> Iterator[Review]:
    room, _ = mailroom
    r = Review(room.store, room.settings, pipeline=room.pipeline)
    yield r
    r.close()


def kinds(store: Store, intake_id: int) -> list[str]:
    return [e.kind for e in store.events.of(intake_id)]


def test_the_queue_holds_the_open_intakes_newest_first_filtered_in_sql(
    review: Review, mailroom: tuple[Mailroom, dict[str, int]]
) -> None:
    _, ids = mailroom
    rows, total = review.queue.page(QueueFilter())
    assert {r.id for r in rows} >= {ids["osaka"], ids["smrj"]} and ids["routed"] not in {r.id for r in rows}
    assert total == len(rows)
    assert [r.received_at for r in rows] == sorted((r.received_at for r in rows), reverse=True)
    osaka = next(r for r in rows if r.id == ids["osaka"])
    assert osaka.status == "rejected" and osaka.reasons == ("NOT_IN_TOKYO",)
    assert osaka.company_name == "株式会社サンプル精機" and osaka.bank_name == "みほん銀行"
    assert [r.id for r in review.queue.page(QueueFilter(reason="not_in_tokyo"))[0]] == [ids["osaka"]]
    assert [r.id for r in review.queue.page(QueueFilter(reason="SMRJ_DIRECT_ONLY"))[0]] == [ids["smrj"]]
    assert [r.id for r in review.queue.page(QueueFilter(status="routed"))[0]] == [ids["routed"]]
    assert {r.id for r in review.queue.page(QueueFilter(search="サンプル精機"))[0]} == {ids["osaka"]}
    reference = osaka.reference or ""
    assert [r.id for r in review.queue.page(QueueFilter(search=reference.lower()))[0]] == [ids["osaka"]]
    assert review.queue.page(QueueFilter(bank="みほん", scope=frozenset({"scb"}))) == ([], 0)  # scb: no jetro
    assert review.queue.page(QueueFilter(since=dt.date(2026, 6, 2), until=dt.date(2026, 6, 1)))[1] == 0
    assert review.queue.page(QueueFilter(status="all", search="%"))[1] == 0  # LIKE wildcards are text
    page, total = review.queue.page(QueueFilter(status="all"), limit=1, offset=1)
    assert len(page) == 1 and total == 3


def test_view_shows_the_reading_with_confidences_and_hides_other_agencies(
    review: Review, mailroom: tuple[Mailroom, dict[str, int]]
) -> None:
    _, ids = mailroom
    view = review.queue.view(ids["osaka"], scope=Scope.of("jetro"))
    assert view is not None and view.shape == "fillable" and view.pages == 2
    assert view.raw["hq_address"] == ("大阪府大阪市北区梅田1丁目1番1号", 1.0)
    assert view.raw["agency_jetro"] == (True, 1.0)
    assert view.fields["capital_yen"] == 30_000_000 and view.low_confidence == frozenset()
    assert view.decision.reasons[0].code == "NOT_IN_TOKYO"
    assert [e.kind for e in view.events][:2] == ["received", "decided"]
    assert review.queue.view(ids["osaka"], scope=Scope.of("kosha")) is None
    assert review.queue.view(999_999) is None


def test_preview_writes_nothing_and_fix_stores_corrections_with_the_clerk(
    review: Review, mailroom: tuple[Mailroom, dict[str, int]]
) -> None:
    room, ids = mailroom
    before = kinds(room.store, ids["osaka"])
    preview = review.corrections.preview(ids["osaka"], {"hq_address": "東京都大田区蒲田9丁目8番7号"})
    assert preview.status == "routed" and preview.fields["hq_address"] == "東京都大田区蒲田9丁目8番7号"
    assert kinds(room.store, ids["osaka"]) == before and room.store.intakes.corrections(ids["osaka"]) == {}
    with pytest.raises(ReviewError, match="no_such_field"):
        review.corrections.preview(ids["osaka"], {"no_such_field": "x"})
    still = review.corrections.fix(ids["osaka"], {"capital_yen": "2,000万円"}, actor="hanako")
    assert still.status == "rejected" and still.fields["capital_yen"] == 20_000_000
    assert room.store.intakes.corrections(ids["osaka"]) == {"capital_yen": "2,000万円"}
    assert room.store.events.of(ids["osaka"])[-1].actor == "hanako"


def test_route_is_refused_with_the_reasons_until_the_corrections_make_it_pass(
    review: Review, mailroom: tuple[Mailroom, dict[str, int]]
) -> None:
    room, ids = mailroom
    intake = ids["osaka"]
    original = room.store.intakes.get(intake)
    assert original is not None
    with pytest.raises(ReviewError, match="NOT_IN_TOKYO"):
        review.corrections.route(intake, actor="hanako")
    review.corrections.fix(intake, {"hq_address": "東京都大田区蒲田9丁目8番7号"}, actor="hanako")
    decision = review.corrections.route(intake, actor="hanako")
    assert decision.status == "routed" and decision.agency == "jetro"
    after = room.store.intakes.get(intake)
    assert after is not None and after.status == "routed" and after.reference == original.reference
    assert after.sha256 == original.sha256 and room.store.intakes.blob(
        after.sha256
    ) == room.store.intakes.blob(original.sha256)
    event = room.store.events.of(intake)[-1]
    assert (event.kind, event.actor) == ("routed_by_clerk", "hanako")
    queued = {o.kind: o for o in room.store.outbox.items() if o.intake_id == intake}
    assert {"agency_forward", "bank_receipt", "bank_rejection"} <= set(queued)
    assert queued["agency_forward"].recipients == ("jetro@agency.example.jp",)
    forward = message_from_bytes(queued["agency_forward"].raw)
    assert forward["X-Forms-Reference"] == original.reference
    assert review.queue.view(intake) is not None and review.queue.view(intake).raw["hq_address"][
        0
    ].startswith("大阪府")
    with pytest.raises(ReviewError):
        review.corrections.route(intake, actor="hanako")  # routed already: nothing is sent twice


def test_reject_sends_the_clerks_text_and_takes_the_intake_out_of_the_queue(
    review: Review, mailroom: tuple[Mailroom, dict[str, int]], tmp_path: Path
) -> None:
    room, _ = mailroom
    pdf = filled(tmp_path / "nagoya.pdf", jetro_values(hq_address="愛知県名古屋市中区1丁目"))
    intake = receive(room, bank_mail(pdf, "<nagoya-1@mihon-bank.example.jp>"), "nagoya")
    review.corrections.reject(
        intake, actor="taro", message="本社所在地が東京都外です。\n\n都内事業所をご記入ください。"
    )
    row = room.store.intakes.get(intake)
    assert row is not None and row.status == "rejected"
    mail = next(
        o
        for o in room.store.outbox.items()
        if o.message_id.endswith(f".clerk_rejection@{'forms.example.jp'}>")
    )
    body = message_from_bytes(mail.raw).get_payload(decode=True).decode("utf-8")
    assert "1. 本社所在地が東京都外です。" in body and "2. 都内事業所をご記入ください。" in body
    assert mail.recipients == (BANK,)
    assert room.store.events.of(intake)[-1].kind == "rejected_by_clerk"
    assert intake not in {r.id for r in review.queue.page(QueueFilter())[0]}
    assert intake in {r.id for r in review.queue.page(QueueFilter(status="handled"))[0]}
    with pytest.raises(ReviewError, match="taro"):
        review.corrections.reject(intake, actor="jiro")


def test_mark_handled_retry_and_a_dead_letter_requeued_are_events_with_the_clerk(
    review: Review, mailroom: tuple[Mailroom, dict[str, int]]
) -> None:
    room, ids = mailroom
    review.corrections.mark_handled(ids["smrj"], actor="hanako", note="企業へ直接案内済み")
    assert ids["smrj"] not in {r.id for r in review.queue.page(QueueFilter())[0]}
    assert room.store.events.of(ids["smrj"])[-1].detail == {"note": "企業へ直接案内済み"}
    review.corrections.retry(ids["smrj"], actor="hanako")
    assert kinds(room.store, ids["smrj"])[-2:] == ["retry", "reopened"]
    room.drain()
    assert ids["smrj"] in {r.id for r in review.queue.page(QueueFilter())[0]}  # decided again, open again


def test_a_dead_letter_is_requeued_by_a_clerk_and_a_pending_one_is_not(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with Store.open(settings.store_url) as store:
        review = Review(store, settings)
        intake = store.intakes.add(data=b"%PDF-1.7\n", channel="smtp", received_at=RECEIVED, spool_id="s-1")
        assert intake is not None and store.intakes.claim_next("w") is not None
        letter = OutgoingMessage(
            "bank_receipt", "<dead-1@forms.example.jp>", (BANK,), "mailroom@example.jp", b"x"
        )
        store.intakes.record_decision(
            intake,
            status="routed",
            agency="jetro",
            reference="R8-000001",
            decision={"status": "routed"},
            message_id=None,
            sender=None,
            form_sha256=None,
            outgoing=[letter],
            actor="w",
        )
        [item] = store.outbox.items()
        with pytest.raises(ReviewError):
            review.corrections.retry_message(item.id, actor="hanako")  # pending, not dead
        claimed = store.outbox.claim_one("w", store.db.now())
        assert claimed is not None
        store.outbox.mark_failed(item.id, "550 no such user", worker="w", retry_at=None)
        assert [o.id for o in review.queue.outbox("dead")] == [item.id]
        review.corrections.retry_message(item.id, actor="hanako")
        assert review.queue.outbox("pending")[0].id == item.id
        assert (store.events.of(intake)[-1].kind, store.events.of(intake)[-1].actor) == ("requeued", "hanako")


def test_reprocess_shows_what_would_change_writes_nothing_then_applies(
    review: Review, mailroom: tuple[Mailroom, dict[str, int]], tmp_path: Path
) -> None:
    room, ids = mailroom
    pdf = filled(tmp_path / "kobe.pdf", jetro_values(hq_address="兵庫県神戸市中央区加納町6丁目5番1号"))
    kobe = receive(room, bank_mail(pdf, "<kobe-1@mihon-bank.example.jp>"), "kobe")
    room.store.intakes.add_correction(kobe, "hq_address", "東京都港区赤坂1丁目12番32号", actor="hanako")
    seen: list[tuple[int, int]] = []
    chosen = [kobe, ids["routed"], 999_999]
    dry = review.reprocess.run(chosen, apply=False, actor="admin", progress=lambda n, t: seen.append((n, t)))
    assert dry == [
        (kobe, "rejected NOT_IN_TOKYO", "routed"),
        (ids["routed"], "routed", "routed"),
        (999_999, "-", "(skipped: absent)"),
    ]
    assert seen[-1] == (2, 2)
    row = room.store.intakes.get(kobe)
    assert row is not None and row.status == "rejected" and "reprocessed" not in kinds(room.store, kobe)
    applied = review.reprocess.run([kobe], apply=True, actor="admin")
    assert applied == [(kobe, "rejected NOT_IN_TOKYO", "routed")]
    row = room.store.intakes.get(kobe)
    assert row is not None and row.status == "routed"
    assert (
        room.store.events.of(kobe)[-1].kind == "reprocessed"
        and room.store.events.of(kobe)[-1].actor == "admin"
    )
    assert any(o.kind == "agency_forward" for o in room.store.outbox.items() if o.intake_id == kobe)
    assert review.reprocess.run([kobe], apply=True, actor="admin") == [(kobe, "routed", "routed")]


def test_contact_deadlines_are_seven_business_days_after_receipt(
    review: Review, mailroom: tuple[Mailroom, dict[str, int]]
) -> None:
    _, ids = mailroom
    due = add_business_days(dt.date(2026, 6, 1), 7)
    assert due == dt.date(2026, 6, 10)
    [row] = [d for d in review.queue.deadlines(dt.date(2026, 6, 10)) if d.intake_id == ids["routed"]]
    assert (row.agency, row.received_on, row.due, row.overdue, row.days_left) == (
        "jetro",
        dt.date(2026, 6, 1),
        due,
        False,
        0,
    )
    [late] = [d for d in review.queue.deadlines(dt.date(2026, 6, 11)) if d.intake_id == ids["routed"]]
    assert late.overdue and late.days_left == -1
    assert review.queue.deadlines(dt.date(2026, 6, 11), scope=Scope.of("kosha")) == []


def test_page_images_come_from_the_original_pdf(
    review: Review, mailroom: tuple[Mailroom, dict[str, int]]
) -> None:
    _, ids = mailroom
    png = review.queue.page_png(ids["routed"], 1, dpi=50)
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")
    assert review.queue.page_png(ids["smrj"], 2, dpi=50) is not None
    assert review.queue.page_png(ids["routed"], 3) is None and review.queue.page_png(999_999, 1) is None


def test_the_queue_filters_and_counts_ten_thousand_intakes(tmp_path: Path) -> None:
    """Each filter finds its page and count among 10,000 intakes (its speed: bench/console.py)."""
    settings = settings_for(tmp_path)
    start = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    statuses = ("routed", "routed", "rejected", "needs_review", "duplicate")
    with Store.open(settings.store_url) as store:
        now = store.db.now()
        rows = [
            dict(
                spool_id=f"s-{i}",
                channel="smtp",
                sha256="0" * 64,
                received_at=start + dt.timedelta(minutes=i),
                state="decided",
                attempts=1,
                status=statuses[i % 5],
                agency=("jetro", "scb", "kosha")[i % 3],
                reference=f"R8-{i:06d}",
                company_name=f"株式会社テスト{i}",
                bank_name=f"テスト{i % 40}信用金庫",
                reason_codes=" NOT_IN_TOKYO " if i % 5 == 2 else " ",
                created_at=now,
                updated_at=now,
            )
            for i in range(10_000)
        ]
        with store.db.writing() as conn:
            conn.execute(insert(blobs).values(sha256="0" * 64, size=0, data=b""))
            conn.execute(insert(intakes), rows)
        review = Review(store, settings)
        for f in {
            "open": QueueFilter(),
            "reason": QueueFilter(reason="NOT_IN_TOKYO", scope=frozenset({"scb"})),
            "search": QueueFilter(status="all", search="テスト9999"),
            "bank+dates": QueueFilter(
                bank="テスト7信用", since=dt.date(2026, 4, 2), until=dt.date(2026, 4, 5)
            ),
        }.values():
            page, total = review.queue.page(f)
            assert page and total >= len(page)
        assert review.queue.page(QueueFilter())[1] == 4000
        assert (
            review.queue.page(QueueFilter(status="all", search="テスト9999"))[0][0].reference == "R8-009999"
        )


@pytest.mark.slow
def test_a_scan_read_with_low_confidence_is_fixed_and_routed_by_a_clerk(tmp_path: Path) -> None:
    room = Mailroom.open(settings_for(tmp_path))
    try:
        scan = blotted_scan(sample_values("kosha-scanned"), "capital_yen", tmp_path)  # a blot: unsure
        intake = receive(room, scan, "kosha-blotted.pdf")
        review = Review(room.store, room.settings, pipeline=room.pipeline)
        view = review.queue.view(intake)
        assert view is not None and view.decision.status == "needs_review" and view.shape == "scanned"
        assert {r.code for r in view.decision.reasons} == {"LOW_CONFIDENCE"} and view.low_confidence
        assert any(confidence < 0.999 for _, confidence in view.raw.values())
        assert "capital_yen" in view.low_confidence and view.certainty["capital_yen"].certain is False
        preview = review.corrections.fix(intake, {"capital_yen": "¥10,000,000"}, actor="hanako")
        assert preview.status == "routed" and preview.fields["capital_yen"] == 10_000_000
        decision = review.corrections.route(intake, actor="hanako")
        assert (decision.status, decision.agency) == ("routed", "kosha")
        forward = next(
            o for o in room.store.outbox.items() if o.intake_id == intake and o.kind == "agency_forward"
        )
        attached = [p for p in message_from_bytes(forward.raw).walk() if p.get_filename()]
        sent_pdf = next(
            p.get_payload(decode=True) for p in attached if p.get_content_type() == "application/pdf"
        )
        row = room.store.intakes.get(intake)
        assert row is not None and hashlib.sha256(sent_pdf).hexdigest() == row.form_sha256
    finally:
        room.close()
